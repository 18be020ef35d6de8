// URLs of the `ecabinet:` scheme that serves rendered pages (src-tauri/src/pages.rs).
// WebKit (Linux, macOS) uses `ecabinet://localhost/`, WebView2 (Windows)
// `http://ecabinet.localhost/`.

function base(userAgent: string): string {
  return /Windows/.test(userAgent) ? "http://ecabinet.localhost" : "ecabinet://localhost";
}

const ua = () => (typeof navigator === "undefined" ? "" : navigator.userAgent);

/** Pixels per PDF point for a zoom where 1 shows a page at its printed size on a 96 dpi screen. */
export function renderScale(zoom: number, devicePixelRatio: number): number {
  // Quarter steps keep the renderer's cache useful across small zoom changes.
  return Math.max(0.25, Math.round(((zoom * 96) / 72) * devicePixelRatio * 4) / 4);
}

/** Whether a page of `widthPt` × `heightPt` points rendered at `scale` passes
 * the engine's pixel limit (the engine refuses such a page; crates/pdf
 * `MAX_RENDER_PIXELS`, sent with the opened document). Rounded as the engine does. */
export function pageTooLarge(widthPt: number, heightPt: number, scale: number, maxPixels: number): boolean {
  const px = (pt: number) => Math.max(1, Math.round(pt * scale));
  return px(widthPt) * px(heightPt) > maxPixels;
}

export function pageUrl(versionId: string, page: number, scale: number, userAgent = ua()): string {
  return `${base(userAgent)}/page/${encodeURIComponent(versionId)}/${page}?scale=${scale}`;
}

export function thumbUrl(versionId: string, page: number, width: number, userAgent = ua()): string {
  return `${base(userAgent)}/thumb/${encodeURIComponent(versionId)}/${page}?w=${width}`;
}
