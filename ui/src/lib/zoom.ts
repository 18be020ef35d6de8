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
