// Zoom steps of the document viewer.
export const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3] as const;

export function zoomIn(z: number): number {
  return ZOOM_STEPS.find((s) => s > z + 1e-9) ?? ZOOM_STEPS[ZOOM_STEPS.length - 1];
}

export function zoomOut(z: number): number {
  return [...ZOOM_STEPS].reverse().find((s) => s < z - 1e-9) ?? ZOOM_STEPS[0];
}

/** CSS pixels of a page `points` wide at zoom `z` (1 = printed size at 96 dpi). */
export function cssPixels(points: number, z: number): number {
  return Math.round((points * 96 * z) / 72);
}

/** The zoom at which a page `points` wide fits in `width` CSS pixels: in
 *  hundredths, rounded down so it fits; never above 1 (a page is not
 *  enlarged past its printed size) nor below the smallest step. */
export function fitWidth(points: number, width: number): number {
  if (!(points > 0) || !(width > 0)) return 1;
  const z = Math.floor((Math.floor(width) * 72 * 100) / (points * 96)) / 100;
  return Math.min(1, Math.max(ZOOM_STEPS[0], z));
}
