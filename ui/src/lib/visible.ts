// A Svelte action: calls back when an element enters or leaves the viewport
// (with a margin, so pages start rendering just before they scroll in).
export function visible(node: Element, onChange: (isVisible: boolean) => void) {
  let callback = onChange;
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) callback(e.isIntersecting);
  }, { rootMargin: "400px 0px" });
  observer.observe(node);
  return {
    update(next: (isVisible: boolean) => void) {
      callback = next;
    },
    destroy() {
      observer.disconnect();
    },
  };
}

// A Svelte action for page images: when the element leaves the DOM, drop its
// source at once. A detached <img> keeps its decoded bitmap until the
// JavaScript garbage collector happens to run, so scrolling a 500-page
// document would otherwise pile up hundreds of megabytes of page bitmaps in
// the web process (tests/e2e/bench_app.py measures it).
export function releaseOnRemove(node: HTMLImageElement) {
  return {
    destroy() {
      node.removeAttribute("src");
    },
  };
}
