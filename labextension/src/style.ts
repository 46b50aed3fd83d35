// Put the viewer's CSS in the document once. The bundle carries the CSS text (esbuild's text
// loader), so a host needs only viewer.js; a host that already links viewer.css keeps its
// own copy (detected through the --pv-css custom property the stylesheet sets).

import css from "./viewer/style.css";

const MARK = "data-pregel-viz-style";

export function injectStyle(el: HTMLElement): void {
  const doc = el.ownerDocument;
  if (!doc || !css) return;
  const root = el.getRootNode() as Document | ShadowRoot;
  const scope: Document | ShadowRoot = root instanceof ShadowRoot ? root : doc;
  const existing = scope instanceof ShadowRoot ? scope.querySelector(`style[${MARK}]`) : doc.head?.querySelector(`style[${MARK}]`);
  if (existing) return;
  const probe = doc.defaultView?.getComputedStyle?.(el.closest(".pregel-viewer") ?? el).getPropertyValue("--pv-css");
  if (probe && probe.trim()) return;
  const style = doc.createElement("style");
  style.setAttribute(MARK, "");
  style.textContent = css;
  if (scope instanceof ShadowRoot) scope.appendChild(style);
  else (doc.head ?? doc.documentElement).appendChild(style);
}
