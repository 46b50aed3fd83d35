// The graph's markup comes from the payload's DOT text, and a payload is data from wherever the
// notebook, page or log came from: it is never trusted. Two layers, each enough on its own:
//
// - stripDotLinks: before the layout, the DOT loses every attribute that makes Graphviz write a
//   link or read a file (URL, href, target, tooltip, image...) and every HTML-like label;
// - sanitizeSvg: Graphviz's SVG keeps only the elements and attributes Graphviz draws a graph
//   with (an allow-list): links are unwrapped, and nothing that links, loads or runs is left.

const SVG_NS = "http://www.w3.org/2000/svg";
const XML_NS = "http://www.w3.org/XML/1998/namespace";

/** What Graphviz's SVG renderer draws with (plus a few shapes it could), and nothing else. */
const ELEMENTS = new Set([
  "svg", "g", "title", "polygon", "ellipse", "path", "polyline", "text", "tspan", "rect", "circle", "line",
  "defs", "linearGradient", "radialGradient", "stop",
]);
/** Kept as their children: Graphviz wraps the linked parts of a node or edge in <a>. */
const UNWRAP = "a";
/** Geometry and presentation attributes; none of them links, loads or runs anything. */
const ATTRIBUTES = new Set([
  "id", "class", "width", "height", "viewBox", "preserveAspectRatio", "transform",
  "points", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
  "fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity", "stroke-linecap",
  "stroke-linejoin", "opacity", "text-anchor", "font-family", "font-size", "font-weight", "font-style",
  "font-variant", "font-stretch", "text-decoration", "baseline-shift", "dominant-baseline",
  "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "style",
]);
/** Properties a style attribute may set (Graphviz writes style only on gradient stops). */
const STYLE_PROPERTIES = new Set(["stop-color", "stop-opacity", "fill", "fill-opacity", "stroke", "stroke-opacity", "stroke-width", "opacity"]);
/** A colour, number or name list: no url(), no escapes, no quotes, no functions. */
const PLAIN_VALUE = /^[#\w\s.,%-]*$/;
/** Ids the way Graphviz and pregel_viz/views/dot.py write them (n0, e3, graph0, a_node1_0,
 *  n0_l_0...): never a name that could shadow a global of the page (window[id]). */
const ID = /^[A-Za-z_]{1,12}\d+(?:[_-][\w-]{0,40})?$/;
const CLASS = /^[\w\s-]*$/;
/** The only url() kept: a reference to a gradient of the same SVG. */
const LOCAL_URL = /^url\(#([\w-]+)\)$/;

function cleanStyle(value: string): string {
  const kept: string[] = [];
  for (const decl of value.split(";")) {
    const at = decl.indexOf(":");
    if (at < 0) continue;
    const prop = decl.slice(0, at).trim().toLowerCase();
    const v = decl.slice(at + 1).trim();
    if (STYLE_PROPERTIES.has(prop) && v && PLAIN_VALUE.test(v)) kept.push(`${prop}: ${v}`);
  }
  return kept.join("; ");
}

/** The value to keep for an attribute of a kept element, or null to drop it. */
function cleanAttribute(attr: Attr): string | null {
  if (attr.namespaceURI === XML_NS) return attr.localName === "space" ? attr.value : null;
  if (attr.namespaceURI !== null || !ATTRIBUTES.has(attr.name)) return null;
  const value = attr.value;
  if (attr.name === "id") return ID.test(value) ? value : null;
  if (attr.name === "class") return CLASS.test(value) ? value : null;
  if (attr.name === "style") return cleanStyle(value) || null;
  if (/url\s*\(/i.test(value)) return LOCAL_URL.test(value.trim()) ? value.trim() : null;
  return /[\\<>"'`]|&#|expression|script/i.test(value) ? null : value;
}

/** Sanitize the children of `el` in place (`el` itself is already kept). */
function cleanChildren(el: Element): void {
  for (const child of Array.from(el.childNodes)) {
    if (child.nodeType === 3) continue; // text stays text
    if (child.nodeType === 4) {
      // CDATA: its text, as a text node (an HTML document cannot hold CDATA sections)
      el.replaceChild(el.ownerDocument.createTextNode((child as CharacterData).data), child);
      continue;
    }
    if (child.nodeType !== 1) {
      el.removeChild(child); // comments (Graphviz writes node names there), PIs...
      continue;
    }
    const c = child as Element;
    if (c.namespaceURI !== SVG_NS) el.removeChild(c);
    else if (c.localName === UNWRAP) {
      cleanChildren(c);
      while (c.firstChild) el.insertBefore(c.firstChild, c);
      el.removeChild(c);
    } else if (!ELEMENTS.has(c.localName)) el.removeChild(c);
    else {
      cleanAttributes(c);
      cleanChildren(c);
    }
  }
}

function cleanAttributes(el: Element): void {
  for (const attr of Array.from(el.attributes)) {
    const value = cleanAttribute(attr);
    if (value === null) el.removeAttributeNode(attr);
    else if (value !== attr.value) attr.value = value;
  }
}

/** Parse Graphviz's SVG text as XML and keep only inert SVG: the allow-listed elements and
 *  attributes, links unwrapped (their children kept), text as text. Returns an element of
 *  `doc` (not yet attached). Throws when the text is not an SVG document. */
export function sanitizeSvg(svgText: string, doc: Document = document): SVGSVGElement {
  const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const root = parsed.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== "svg" || parsed.getElementsByTagName("parsererror").length) {
    throw new Error("Graphviz did not return SVG");
  }
  cleanAttributes(root);
  cleanChildren(root);
  return doc.importNode(root, true) as unknown as SVGSVGElement;
}

// ---------- DOT ----------

/** DOT attributes that make Graphviz write a link (or its tooltip, or its target) or read a
 *  file; compared in lower case. */
const DOT_LINK_ATTRIBUTES = new Set(
  ["URL", "href", "target", "tooltip", "edgeURL", "edgehref", "edgetarget", "edgetooltip", "headURL", "headhref",
    "headtarget", "headtooltip", "tailURL", "tailhref", "tailtarget", "tailtooltip", "labelURL", "labelhref",
    "labeltarget", "labeltooltip", "image", "imagepath", "shapefile", "stylesheet", "fontpath"].map((a) => a.toLowerCase()),
);
/** What a link attribute's name becomes: an attribute Graphviz keeps and ignores. */
const DROPPED = "pv_dropped";

type Kind = "space" | "comment" | "string" | "html" | "id" | "punct";
interface Token {
  kind: Kind;
  start: number;
  end: number;
}

/** Only blanks between the previous newline (or the start) and `i`: a preprocessor line. */
function atLineStart(dot: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (dot[j] === " " || dot[j] === "\t")) j--;
  return j < 0 || dot[j] === "\n";
}

/** DOT's lexical structure, enough to tell names from strings, comments and HTML strings. */
function tokenize(dot: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = dot.length;
  while (i < n) {
    const start = i;
    const c = dot[i];
    let kind: Kind;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(dot[i])) i++;
      kind = "space";
    } else if (c === "/" && dot[i + 1] === "/") {
      i = dot.indexOf("\n", i);
      i = i < 0 ? n : i;
      kind = "comment";
    } else if (c === "/" && dot[i + 1] === "*") {
      i = dot.indexOf("*/", i + 2);
      i = i < 0 ? n : i + 2;
      kind = "comment";
    } else if (c === "#" && atLineStart(dot, i)) {
      i = dot.indexOf("\n", i);
      i = i < 0 ? n : i;
      kind = "comment";
    } else if (c === '"') {
      i++;
      while (i < n && dot[i] !== '"') i += dot[i] === "\\" ? 2 : 1;
      i = Math.min(i + 1, n);
      kind = "string";
    } else if (c === "<") {
      let depth = 0;
      do {
        if (dot[i] === "<") depth++;
        else if (dot[i] === ">") depth--;
        i++;
      } while (i < n && depth > 0);
      kind = "html";
    } else if (/[\w.\u0080-\uffff]/.test(c)) {
      while (i < n && /[\w.\u0080-\uffff]/.test(dot[i])) i++;
      kind = "id";
    } else {
      i++;
      kind = "punct";
    }
    out.push({ kind, start, end: i });
  }
  return out;
}

/** The text of a quoted DOT string token: quotes off, \" and line continuations undone. */
const unquote = (s: string): string => s.slice(1, -1).replace(/\\\r?\n/g, "").replace(/\\"/g, '"');

/** `dot` with every attribute that makes Graphviz write a link, or read a file, renamed to one
 *  Graphviz ignores (the value stays, inert), and every HTML-like string made a plain quoted
 *  string (so no HREF or IMG of an HTML label reaches Graphviz). Strings, comments and the rest
 *  are left exactly as they are: our own DOT comes out unchanged. */
export function stripDotLinks(dot: string): string {
  const tokens = tokenize(dot);
  const edits: { start: number; end: number; text: string }[] = [];
  const significant = tokens.filter((t) => t.kind !== "space" && t.kind !== "comment");
  for (let k = 0; k < significant.length; k++) {
    const t = significant[k];
    if (t.kind !== "id" && t.kind !== "string" && t.kind !== "html") continue;
    // a name: an ID, an HTML string, or quoted strings joined by "+"
    const text = dot.slice(t.start, t.end);
    let name = t.kind === "id" ? text : t.kind === "html" ? text.slice(1, -1) : unquote(text);
    let last = k;
    while (t.kind === "string" && significant[last + 1]?.kind === "punct" && dot[significant[last + 1].start] === "+" && significant[last + 2]?.kind === "string") {
      last += 2;
      name += unquote(dot.slice(significant[last].start, significant[last].end));
    }
    const next = significant[last + 1];
    if (next?.kind === "punct" && dot[next.start] === "=" && DOT_LINK_ATTRIBUTES.has(name.toLowerCase())) {
      edits.push({ start: t.start, end: significant[last].end, text: DROPPED });
    } else if (t.kind === "html") {
      edits.push({ start: t.start, end: t.end, text: `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` });
    }
    k = last;
  }
  let out = "";
  let at = 0;
  for (const e of edits) {
    out += dot.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + dot.slice(at);
}
