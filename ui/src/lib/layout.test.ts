import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { matches, NARROW, QUERIES, TABLET, TABLET_LANDSCAPE, TOUCH } from "./layout";

// vitest runs from ui/ (npm test)
const css = readFileSync(join(process.cwd(), "src", "app.css"), "utf8");
const mediaQueries = [...css.matchAll(/@media\s+([^{]+?)\s*\{/g)].map((m) => m[1]);

describe("the tablet layout's media queries", () => {
  it("are the same in app.css as in the code, each used there", () => {
    expect(mediaQueries.length).toBeGreaterThan(0);
    for (const q of mediaQueries) expect(QUERIES, `app.css: @media ${q}`).toContain(q);
    for (const q of QUERIES) expect(mediaQueries, q).toContain(q);
  });

  it("take a tablet either way round, and leave the 1280 × 800 desktop alone", () => {
    // What each width gets, as a browser evaluates these queries.
    const maxWidth = (q: string) => Number(/max-width:\s*(\d+)px/.exec(q)![1]);
    const at = (width: number) => ({ tablet: width <= maxWidth(TABLET), narrow: width <= maxWidth(NARROW) });
    expect(at(768)).toEqual({ tablet: true, narrow: true });
    expect(at(1024)).toEqual({ tablet: true, narrow: false });
    expect(at(1280)).toEqual({ tablet: false, narrow: false });
    expect(TOUCH).toContain("(pointer: coarse)");
    expect(TABLET_LANDSCAPE).toContain("(orientation: landscape)");
  });

  it("cover the smallest window the app allows, which a tablet either way round fits", () => {
    const conf = JSON.parse(readFileSync(join(process.cwd(), "..", "src-tauri", "tauri.conf.json"), "utf8"));
    const { minWidth, minHeight } = conf.app.windows[0];
    expect(minWidth).toBeLessThanOrEqual(768);
    expect(minHeight).toBeLessThanOrEqual(768);
    expect(minWidth).toBeLessThanOrEqual(Number(/max-width:\s*(\d+)px/.exec(NARROW)![1]));
  });

  it("answer from the window when there is one, and no otherwise", () => {
    const saved = globalThis.matchMedia;
    try {
      globalThis.matchMedia = ((q: string) => ({ matches: q === TABLET, media: q })) as unknown as typeof matchMedia;
      expect(matches(TABLET)).toBe(true);
      expect(matches(NARROW)).toBe(false);
      // @ts-expect-error: no window (as in a worker)
      delete globalThis.matchMedia;
      expect(matches(TABLET)).toBe(false);
    } finally {
      globalThis.matchMedia = saved;
    }
  });
});
