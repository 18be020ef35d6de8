// The tablet layout (issue 20) as media queries. app.css holds the same
// queries (layout.test.ts checks that every one there is one of these);
// the code asks them only where CSS cannot decide, such as the zoom a
// document opens at.

/** A tablet either way round (768×1024, 1024×768) or a window as small:
 *  the vote dialog is a sheet along the bottom edge, within a thumb's
 *  reach, and a document opens fitted to the width. */
export const TABLET = "(max-width: 1024px)";

/** A tablet lying down: the vote sheet puts its choices side by side. */
export const TABLET_LANDSCAPE = `${TABLET} and (orientation: landscape)`;

/** A tablet's width or any touch screen: every control at least 44 px each
 *  way, for a finger or a pen. */
export const TOUCH = `${TABLET}, (pointer: coarse)`;

/** A tablet upright (768 px wide): one column. The meeting shows its
 *  agenda or its session panel, one at a time, and the viewer's page
 *  thumbnails open as a drawer over the document. */
export const NARROW = "(max-width: 900px)";

export const QUERIES = [TABLET, TABLET_LANDSCAPE, TOUCH, NARROW] as const;

/** Whether the window matches a query now (never outside a browser). */
export function matches(query: string): boolean {
  return typeof globalThis.matchMedia === "function" && globalThis.matchMedia(query).matches;
}
