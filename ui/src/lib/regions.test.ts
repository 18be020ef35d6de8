import { describe, expect, it } from "vitest";
import { dragRegion, fromPresentRegion, pointOnPage, regionStyle, scrollToRegion, toPresentRegion } from "./regions";

describe("a region dragged over a page", () => {
  const box = { left: 100, top: 50, width: 400, height: 800 };

  it("reads the pointer as fractions of the page, clamped to it", () => {
    expect(pointOnPage(box, 300, 450)).toEqual({ x: 0.5, y: 0.5 });
    expect(pointOnPage(box, 0, 2000)).toEqual({ x: 0, y: 1 });
  });

  it("takes a drag in any direction, and refuses a click or a sliver", () => {
    expect(dragRegion({ x: 0.75, y: 0.5 }, { x: 0.25, y: 0.25 })).toEqual({ x: 0.25, y: 0.25, w: 0.5, h: 0.25 });
    expect(dragRegion({ x: 0.3, y: 0.3 }, { x: 0.3, y: 0.3 })).toBeNull();
    expect(dragRegion({ x: 0.1, y: 0.1 }, { x: 0.8, y: 0.11 })).toBeNull();
  });

  it("goes to the presentation as [left, top, right, bottom] and comes back the same", () => {
    const r = { x: 0.25, y: 0.5, w: 0.5, h: 0.25 };
    expect(toPresentRegion(r)).toEqual([0.25, 0.5, 0.75, 0.75]);
    expect(fromPresentRegion(toPresentRegion(r))).toEqual(r);
  });

  it("ignores a presentation region that is not a rectangle on the page", () => {
    expect(fromPresentRegion(null)).toBeNull();
    expect(fromPresentRegion([0.5, 0.5, 0.2, 0.9])).toBeNull();
    expect(fromPresentRegion([0, 0, Number.NaN, 1])).toBeNull();
    expect(fromPresentRegion([0.1, 0.2])).toBeNull();
    expect(fromPresentRegion([-1, 0, 2, 1])).toEqual({ x: 0, y: 0, w: 1, h: 1 });
  });

  it("is drawn in percentages of the page, whatever the zoom", () => {
    expect(regionStyle({ x: 0.1, y: 0.2, w: 0.3, h: 0.4 })).toBe("left: 10.000%; top: 20.000%; width: 30.000%; height: 40.000%");
  });

  it("scrolls a follower's view to the region", () => {
    // The page's top is 1000 px below the view's top: the region at 40 %
    // of its 1200 px height comes to 24 px below the top.
    expect(scrollToRegion({ top: 1000, left: 10, width: 800, height: 1200 }, { x: 0.5, y: 0.4, w: 0.2, h: 0.1 }))
      .toEqual({ dx: 386, dy: 1456 });
  });
});
