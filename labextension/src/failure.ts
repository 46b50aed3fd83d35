// How a host shows that a viewer could not open: one line of text where the viewer would be.

/** A failure shown where the viewer would be (as text); returns its remover. */
export function showError(el: HTMLElement, e: unknown, cls = "pregel-viewer", what = "show this run"): () => void {
  const box = el.ownerDocument.createElement("div");
  box.className = `${cls} pv-failed`;
  box.setAttribute("data-ready", "1");
  box.setAttribute("data-error", "1");
  box.textContent = `pregel-viz: cannot ${what}: ${e instanceof Error ? e.message : String(e)}`;
  el.appendChild(box);
  return () => box.remove();
}
