// A region of a page, chosen by dragging a rectangle over it: what a
// presenter points the meeting at, and what a member's comment is about.
// Fractions of the page as the reader sees it (0..1 from its top left), so
// every device draws it at the same place whatever its zoom.
import type { CommentRegionView } from "./bindings";

/** A point on the page as fractions of its width and height. */
export interface PagePoint { x: number; y: number }

/** The presentation's form: [left, top, right, bottom]. */
export type PresentRegion = [number, number, number, number];

/** Smallest side a chosen region may have (a click is not a region). */
export const MIN_REGION_SIDE = 0.02;

const clamp = (v: number) => Math.min(1, Math.max(0, v));

/** Where a pointer at (clientX, clientY) is on a page whose box on screen
 *  is `box`, clamped to the page. */
export function pointOnPage(box: { left: number; top: number; width: number; height: number }, clientX: number, clientY: number): PagePoint {
  return {
    x: box.width > 0 ? clamp((clientX - box.left) / box.width) : 0,
    y: box.height > 0 ? clamp((clientY - box.top) / box.height) : 0,
  };
}

/** The rectangle between two corners of a drag, in any direction; `null`
 *  when either side is under {@link MIN_REGION_SIDE}. */
export function dragRegion(a: PagePoint, b: PagePoint): CommentRegionView | null {
  const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
  const w = Math.abs(a.x - b.x), h = Math.abs(a.y - b.y);
  return w < MIN_REGION_SIDE || h < MIN_REGION_SIDE ? null : { x, y, w, h };
}

/** A region as the presentation sends it. */
export function toPresentRegion(r: CommentRegionView): PresentRegion {
  return [r.x, r.y, clamp(r.x + r.w), clamp(r.y + r.h)];
}

/** A presentation's region as a rectangle; `null` for a malformed one. */
export function fromPresentRegion(r: readonly number[] | null | undefined): CommentRegionView | null {
  if (!r || r.length !== 4 || r.some((v) => !Number.isFinite(v))) return null;
  const [l, t, right, b] = r.map(clamp);
  return right > l && b > t ? { x: l, y: t, w: right - l, h: b - t } : null;
}

/** CSS placing a region over its page (percentages, so zoom does not matter). */
export function regionStyle(r: CommentRegionView): string {
  const pc = (v: number) => `${(v * 100).toFixed(3)}%`;
  return `left: ${pc(r.x)}; top: ${pc(r.y)}; width: ${pc(r.w)}; height: ${pc(r.h)}`;
}

/** How far to scroll a view so that a region of a page stands `margin`
 *  pixels below the view's top edge and as far to the left as it can:
 *  (dx, dy) in pixels from where the page is now (`pageTop`/`pageLeft`:
 *  the page's box relative to the view's box). */
export function scrollToRegion(
  page: { top: number; left: number; width: number; height: number },
  r: CommentRegionView,
  margin = 24,
): { dx: number; dy: number } {
  return { dx: page.left + r.x * page.width - margin, dy: page.top + r.y * page.height - margin };
}
