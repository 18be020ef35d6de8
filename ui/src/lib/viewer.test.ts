import { describe, expect, it } from "vitest";
import { pageTooLarge, pageUrl, renderScale, thumbUrl } from "./pages";
import { cssPixels, fitWidth, zoomIn, zoomOut, ZOOM_STEPS } from "./zoom";
import { releaseOnRemove } from "./visible";

describe("page URLs", () => {
  it("use the ecabinet scheme in the form each webview expects", () => {
    expect(pageUrl("v-1", 0, 1.5, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit")).toBe("ecabinet://localhost/page/v-1/0?scale=1.5");
    expect(thumbUrl("v-1", 4, 120, "Mozilla/5.0 (Windows NT 10.0) Edg/1")).toBe("http://ecabinet.localhost/thumb/v-1/4?w=120");
  });

  it("render at the screen's pixel density in quarter steps", () => {
    expect(renderScale(1, 1)).toBe(1.25); // 96/72 = 1.333 → 1.25
    expect(renderScale(1, 2)).toBe(2.75); // 2.667 → 2.75
    expect(renderScale(0.5, 1)).toBe(0.75);
  });

  it("know a page over the engine's pixel limit before asking for it", () => {
    // A4 at the viewer's highest scale fits; a 14,400-point page at 100 dpi does not.
    expect(pageTooLarge(595, 842, 8, 50_000_000)).toBe(false);
    expect(pageTooLarge(14_400, 14_400, 100 / 72, 50_000_000)).toBe(true);
    expect(pageTooLarge(5000, 10_000, 1, 50_000_000)).toBe(false); // exactly the limit
  });
});

describe("zoom", () => {
  it("steps through the levels and stops at the ends", () => {
    expect(zoomIn(1)).toBe(1.25);
    expect(zoomOut(1)).toBe(0.75);
    expect(zoomIn(ZOOM_STEPS[ZOOM_STEPS.length - 1])).toBe(3);
    expect(zoomOut(0.5)).toBe(0.5);
    expect(zoomIn(1.1)).toBe(1.25);
  });

  it("sizes an A4 page (595 pt) at 100% like print on a 96 dpi screen", () => {
    expect(cssPixels(595, 1)).toBe(793);
    expect(cssPixels(595, 2)).toBe(1587);
  });

  it("opens an A4 page on an upright tablet fitted to the width, and never past its printed size", () => {
    // 768 px wide, less the pages' padding: the page fills it without a sideways scroll.
    const z = fitWidth(595, 736);
    expect(z).toBe(0.92);
    expect(cssPixels(595, z)).toBeLessThanOrEqual(736);
    expect(cssPixels(595, z)).toBeGreaterThan(700);
    // Landscape 1024 and the desktop have room: 100% as before.
    expect(fitWidth(595, 840)).toBe(1);
    expect(fitWidth(595, 1096)).toBe(1);
    // A landscape page on the upright tablet; a fraction of a pixel never makes it overflow.
    expect(cssPixels(842, fitWidth(842, 736.9))).toBeLessThanOrEqual(736);
  });

  it("keeps to the smallest step on a tiny pane, and to 100% when it knows no size", () => {
    expect(fitWidth(2384, 300)).toBe(ZOOM_STEPS[0]);
    expect(fitWidth(595, 0)).toBe(1);
    expect(fitWidth(0, 736)).toBe(1);
  });
});

describe("page images leaving the view", () => {
  it("drop their source when removed, so the web view can free the bitmap before any garbage collection", () => {
    const img = document.createElement("img");
    img.src = pageUrl("v-1", 3, 1.25, "X11");
    document.body.append(img);
    const action = releaseOnRemove(img);
    expect(img.getAttribute("src")).toBe("ecabinet://localhost/page/v-1/3?scale=1.25");
    img.remove();
    action.destroy();
    expect(img.hasAttribute("src")).toBe(false);
  });
});
