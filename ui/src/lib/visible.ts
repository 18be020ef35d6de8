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
