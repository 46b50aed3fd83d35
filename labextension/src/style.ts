// Put the viewer's CSS in the document once. The bundle carries the CSS text (esbuild's text
// loader), so a host needs only viewer.js; a host that already links viewer.css keeps its
// own copy (detected through the --pv-css / --pv-compare-css custom properties the stylesheets set;
// build.mjs writes them all into viewer.css).

import callsCss from "./viewer/calls.css";
import compareCss from "./viewer/compare.css";
import conversationCss from "./viewer/conversation.css";
import styleCss from "./viewer/style.css";

/** The viewer's styles: style.css, then the calls' (calls.css) and the conversations'
 *  (conversation.css). */
const css = `${styleCss}\n${callsCss}\n${conversationCss}`;

function inject(el: HTMLElement, text: string, mark: string, scopeClass: string, probeName: string): void {
  const doc = el.ownerDocument;
  if (!doc || !text) return;
  const root = el.getRootNode() as Document | ShadowRoot;
  const scope: Document | ShadowRoot = root instanceof ShadowRoot ? root : doc;
  const existing = scope instanceof ShadowRoot ? scope.querySelector(`style[${mark}]`) : doc.head?.querySelector(`style[${mark}]`);
  if (existing) return;
  const probe = doc.defaultView?.getComputedStyle?.(el.closest(scopeClass) ?? el).getPropertyValue(probeName);
  if (probe && probe.trim()) return;
  const style = doc.createElement("style");
  style.setAttribute(mark, "");
  style.textContent = text;
  if (scope instanceof ShadowRoot) scope.appendChild(style);
  else (doc.head ?? doc.documentElement).appendChild(style);
}

export function injectStyle(el: HTMLElement): void {
  inject(el, css, "data-pregel-viz-style", ".pregel-viewer", "--pv-css");
}

/** The compare view's CSS (on top of the viewer's, see injectStyle). */
export function injectCompareStyle(el: HTMLElement): void {
  inject(el, compareCss, "data-pregel-viz-compare-style", ".pv-compare", "--pv-compare-css");
}
