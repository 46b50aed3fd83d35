// Tiny DOM helpers. User data only ever goes in as text nodes or attribute values:
// nothing here (or anywhere in the viewer) assigns innerHTML.

export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  [name: string]: string | number | boolean | null | undefined;
}

/** Create an HTML element. Attribute values go through setAttribute, children through
 *  createTextNode, so names, keys and values stay text whatever they contain. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag: string, attrs?: Attrs | null, ...children: (Child | Child[])[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    // event handlers are never set through attributes
    if (/^on/i.test(k)) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else if (typeof c === "string" || typeof c === "number") el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Replace the children of `el`. */
export function fill(el: Node, ...children: (Child | Child[])[]): void {
  clear(el);
  append(el, children);
}

/** Set an attribute only when it changes (a write invalidates style or layout for the frame). */
export function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Set a property only when it changes (see setAttr). */
export function setProp<T extends object, K extends keyof T>(el: T, name: K, value: T[K]): void {
  if (el[name] !== value) el[name] = value;
}
