// A laid-out graph: Graphviz SVG (sanitized: see sanitize.ts), which the graph pane
// (graph_pane.ts) inserts once per graph key and fold; stepping then only toggles classes on the
// node and edge groups found by id (n<i> / e<i>, group nodes g<i> and their edges ge<i>_<j>,
// see pregel_viz/views/dot.py).
//
// Every node is focusable (a button: Enter or Space does what a click does), named by its full
// name (labels may be shortened in the middle), and a subgraph node carries an "open ›" button.

import { s } from "./dom";
import { drawnName } from "./format";
import type { GraphView, StepDoc } from "./types";
import { groupTasks, wasInterrupted } from "./summary";

export { sanitizeSvg } from "./sanitize";

/** DOT text → SVG text. Injected, so the core runs (and is tested) without WASM. */
export type LayoutFn = (dot: string) => Promise<string>;

/** Parallel siblings that can be drawn as one node (pregel_viz/views/dot.py: ``fold``). */
export interface FoldGroup {
  id: string; // "g<i>": the group node's id
  members: string[];
  label: string;
  stmts: string[]; // the group node's DOT statement, then its edges'
  edges: { id: string; peer: string; into: boolean; label: string | null }[];
}

export interface FoldDoc {
  head: string; // "digraph pregel {" and the attribute statements
  stmts: Record<string, string>; // node or edge id → its DOT statement
  groups: FoldGroup[];
}

/** The groups of parallel siblings of a graph (none for most graphs). */
export function foldGroups(view: GraphView | undefined): FoldGroup[] {
  const fold = (view as (GraphView & { fold?: FoldDoc }) | undefined)?.fold;
  return Array.isArray(fold?.groups) ? fold.groups : [];
}

/** The DOT of `view` with the groups `folded` drawn as one node each (and their members not
 *  drawn); the whole graph's DOT when nothing is folded. */
export function foldedDot(view: GraphView, folded: ReadonlySet<string>): { dot: string; groups: FoldGroup[] } {
  const fold = (view as GraphView & { fold?: FoldDoc }).fold;
  const groups = foldGroups(view).filter((g) => folded.has(g.id));
  if (!fold || !groups.length) return { dot: view.dot, groups: [] };
  const hidden = new Set(groups.flatMap((g) => g.members));
  const parts: (string | undefined)[] = [fold.head];
  for (const n of view.nodes ?? []) if (!hidden.has(n.name)) parts.push(fold.stmts[n.id]);
  for (const g of groups) parts.push(g.stmts[0]);
  for (const e of view.edges ?? []) if (!hidden.has(e.source) && !hidden.has(e.target)) parts.push(fold.stmts[e.id]);
  for (const g of groups) parts.push(...g.stmts.slice(1));
  if (parts.some((p) => typeof p !== "string")) return { dot: view.dot, groups: [] };
  parts.push("}\n");
  return { dot: parts.join(""), groups };
}

/** A box in the SVG's viewBox units. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The points of a node's or edge's shapes (ellipse extremes, polygon and path points). */
function shapePoints(g: Element, take: (x: number, y: number) => void): void {
  for (const el of Array.from(g.children)) {
    const tag = el.localName;
    if (tag === "ellipse") {
      const cx = Number(el.getAttribute("cx"));
      const cy = Number(el.getAttribute("cy"));
      const rx = Number(el.getAttribute("rx"));
      const ry = Number(el.getAttribute("ry"));
      take(cx - rx, cy - ry);
      take(cx + rx, cy + ry);
    } else if (tag === "polygon" || tag === "path" || tag === "polyline") {
      const nums = (el.getAttribute(tag === "path" ? "d" : "points") ?? "").match(/-?\d*\.?\d+(?:e-?\d+)?/gi) ?? [];
      for (let i = 0; i + 1 < nums.length; i += 2) take(Number(nums[i]), Number(nums[i + 1]));
    }
  }
}

/** The translation of Graphviz's top group (graph coordinates → viewBox units). */
function graphOffset(svg: Element): { x: number; y: number } {
  const t = svg.querySelector("g.graph, g#graph0")?.getAttribute("transform") ?? "";
  const m = /translate\(\s*(-?[\d.]+)[\s,]+(-?[\d.]+)\s*\)/.exec(t);
  return m ? { x: Number(m[1]), y: Number(m[2]) } : { x: 0, y: 0 };
}

/** Top-right corner of a node's shape, from its SVG geometry (no getBBox: works unrendered). */
export function nodeCorner(g: Element): { x: number; y: number } | null {
  let maxX = -Infinity;
  let minY = Infinity;
  const take = (x: number, y: number): void => {
    if (isFinite(x) && isFinite(y)) {
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
    }
  };
  for (const el of Array.from(g.children)) {
    const tag = el.localName;
    if (tag === "ellipse") {
      const cx = Number(el.getAttribute("cx"));
      const cy = Number(el.getAttribute("cy"));
      const rx = Number(el.getAttribute("rx"));
      const ry = Number(el.getAttribute("ry"));
      take(cx + rx * 0.7, cy - ry * 0.7);
    } else if (tag === "polygon" || tag === "path" || tag === "polyline") {
      const nums = (el.getAttribute(tag === "path" ? "d" : "points") ?? "").match(/-?\d*\.?\d+(?:e-?\d+)?/gi) ?? [];
      for (let i = 0; i + 1 < nums.length; i += 2) take(Number(nums[i]), Number(nums[i + 1]));
    }
  }
  return isFinite(maxX) ? { x: maxX, y: minY } : null;
}

export interface GraphStyle {
  /** node names highlighted (pv-active), in task order */
  active: string[];
}

/** One laid-out graph (one graph key and fold): its SVG and the groups to restyle. */
export class GraphPicture {
  readonly nodes = new Map<string, Element>(); // node name → <g> (nodes drawn as themselves)
  readonly edges = new Map<string, Element>(); // edge id → <g>
  /** folded group id → its <g> and member names */
  readonly groups = new Map<string, { g: Element; members: string[] }>();
  /** subgraph node name → its "open ›" button */
  readonly opens = new Map<string, Element>();
  /** the viewBox's size */
  readonly width: number;
  readonly height: number;
  private readonly memberOf = new Map<string, string>(); // member name → group id
  private readonly edgeIdsByPair = new Map<string, string[]>();
  private readonly badges = new Map<Element, SVGElement>();
  private readonly boxes = new Map<Element, Box | null>();
  private readonly offset: { x: number; y: number };

  constructor(
    readonly svg: SVGSVGElement,
    readonly view: GraphView,
    folded: FoldGroup[] = [],
  ) {
    svg.classList.add("pv-svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", "graph");
    const vb = (svg.getAttribute("viewBox") ?? "").split(/[\s,]+/).map(Number);
    this.width = vb.length === 4 && isFinite(vb[2]) ? vb[2] : 0;
    this.height = vb.length === 4 && isFinite(vb[3]) ? vb[3] : 0;
    this.offset = graphOffset(svg);
    const byId = new Map<string, Element>();
    for (const g of Array.from(svg.querySelectorAll("g[id]"))) byId.set(g.getAttribute("id") ?? "", g);
    for (const n of view.nodes ?? []) {
      const g = byId.get(n.id);
      if (!g) continue;
      this.nodes.set(n.name, g);
      g.setAttribute("data-name", n.name);
      const label = drawnName(n.name);
      this.focusable(g, n.is_subgraph ? `${label} (subgraph)` : label, n.name);
    }
    for (const grp of folded) {
      const g = byId.get(grp.id);
      if (!g) continue;
      this.groups.set(grp.id, { g, members: grp.members });
      for (const m of grp.members) this.memberOf.set(m, grp.id);
      g.setAttribute("data-group", grp.id);
      const first = grp.members[0];
      const last = grp.members[grp.members.length - 1];
      this.focusable(g, `${grp.members.length} parallel nodes, ${first} … ${last} (folded: Enter shows them)`, `${grp.members.length} parallel nodes: ${grp.members.join(", ")}`);
      for (const e of grp.edges) {
        const eg = byId.get(e.id);
        if (!eg) continue;
        this.edges.set(e.id, eg);
        const title = eg.querySelector("title");
        if (title) title.textContent = e.into ? `${e.peer} → ${first} … ${last}` : `${first} … ${last} → ${e.peer}`;
        for (const m of grp.members) this.pair(e.into ? e.peer : m, e.into ? m : e.peer, e.id);
      }
    }
    for (const n of view.nodes ?? []) {
      const g = this.nodes.get(n.name);
      if (n.is_subgraph && g) this.openButton(g, n.name);
    }
    for (const e of view.edges ?? []) {
      const g = byId.get(e.id);
      if (!g) continue;
      this.edges.set(e.id, g);
      this.pair(e.source, e.target, e.id);
      const title = g.querySelector("title");
      if (title) title.textContent = `${e.source} → ${e.target}${e.label ? ` (${e.label})` : ""}`;
    }
  }

  /** The node name for an event target inside the SVG, if any (not a folded group). */
  nodeNameAt(target: EventTarget | null): string | null {
    const el = target as Element | null;
    const g = el?.closest?.("g.pv-node, g[data-name]");
    if (!g || !this.svg.contains(g)) return null;
    return g.getAttribute("data-name");
  }

  /** The folded group for an event target inside the SVG, if any. */
  groupAt(target: EventTarget | null): string | null {
    const g = (target as Element | null)?.closest?.("g[data-group]");
    return g && this.svg.contains(g) ? g.getAttribute("data-group") : null;
  }

  /** The subgraph node whose "open ›" button is the event target, if any. */
  openAt(target: EventTarget | null): string | null {
    const g = (target as Element | null)?.closest?.("g.pv-open");
    return g && this.svg.contains(g) ? g.getAttribute("data-open") : null;
  }

  /** What draws node `name`: its own group, or the folded group it is a member of. */
  targetOf(name: string): Element | undefined {
    const own = this.nodes.get(name);
    if (own) return own;
    const gid = this.memberOf.get(name);
    return gid === undefined ? undefined : this.groups.get(gid)?.g;
  }

  /** The box of a node (or group) in viewBox units, from its shapes' geometry (no layout). */
  boxOf(g: Element): Box | null {
    let b = this.boxes.get(g);
    if (b === undefined) {
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      shapePoints(g, (x, y) => {
        if (!isFinite(x) || !isFinite(y)) return;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      });
      b = isFinite(x0) ? { x: x0 + this.offset.x, y: y0 + this.offset.y, width: x1 - x0, height: y1 - y0 } : null;
      this.boxes.set(g, b);
    }
    return b;
  }

  /** Restyle for one step entry: only class toggles and badge text, never a layout. */
  apply(step: StepDoc | undefined): GraphStyle {
    const groups = groupTasks(step?.tasks ?? []);
    const active = new Set<string>();
    const error = new Set<string>();
    const interrupted = new Set<string>();
    const counts = new Map<string, number>();
    for (const g of groups) {
      active.add(g.name);
      counts.set(g.name, g.tasks.length);
      if (g.tasks.some((t) => t.status === "error")) error.add(g.name);
      if (g.tasks.some(wasInterrupted)) interrupted.add(g.name);
    }
    const next = new Set(Object.keys(step?.next ?? {}));
    for (const [name, g] of this.nodes) {
      g.classList.toggle("pv-active", active.has(name));
      g.classList.toggle("pv-error", error.has(name));
      g.classList.toggle("pv-interrupted", interrupted.has(name));
      g.classList.toggle("pv-next", next.has(name));
      const n = counts.get(name) ?? 0;
      this.badge(g, n > 1 ? `×${n}` : "");
    }
    // a folded group lights up when any member ran, and tells how many did
    for (const { g, members } of this.groups.values()) {
      const ran = members.filter((m) => active.has(m)).length;
      g.classList.toggle("pv-active", ran > 0);
      g.classList.toggle("pv-error", members.some((m) => error.has(m)));
      g.classList.toggle("pv-interrupted", members.some((m) => interrupted.has(m)));
      g.classList.toggle("pv-next", members.some((m) => next.has(m)));
      g.setAttribute("data-ran", String(ran));
      this.badge(g, ran ? `${ran}/${members.length} ran` : "");
    }
    const taken = new Set<string>();
    for (const e of step?.edges ?? []) {
      for (const id of this.edgeIdsByPair.get(`${e[0]}\u0000${e[1]}`) ?? []) taken.add(id);
    }
    for (const [id, g] of this.edges) g.classList.toggle("pv-taken", taken.has(id));
    return { active: groups.map((g) => g.name) };
  }

  setSelected(name: string | null): void {
    const gid = name === null ? undefined : this.memberOf.get(name);
    for (const [n, g] of this.nodes) g.classList.toggle("pv-selected", n === name);
    for (const [id, { g }] of this.groups) g.classList.toggle("pv-selected", id === gid);
  }

  /** Mark the nodes with a breakpoint before (pv-bp-before) or after (pv-bp-after) them;
   *  either one also sets pv-breakpoint. */
  setBreakpoints(before: Iterable<string>, after: Iterable<string> = []): void {
    const b = new Set(before);
    const a = new Set(after);
    const mark = (g: Element, bb: boolean, aa: boolean): void => {
      g.classList.toggle("pv-bp-before", bb);
      g.classList.toggle("pv-bp-after", aa);
      g.classList.toggle("pv-breakpoint", bb || aa);
    };
    for (const [n, g] of this.nodes) mark(g, b.has(n), a.has(n));
    for (const { g, members } of this.groups.values()) mark(g, members.some((m) => b.has(m)), members.some((m) => a.has(m)));
  }

  private pair(source: string, target: string, id: string): void {
    const key = `${source}\u0000${target}`;
    const list = this.edgeIdsByPair.get(key) ?? [];
    list.push(id);
    this.edgeIdsByPair.set(key, list);
  }

  /** A node reachable by Tab, a button named `label`; its tooltip is `full`. */
  private focusable(g: Element, label: string, full: string): void {
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", label);
    const title = g.querySelector("title");
    if (title) title.textContent = full;
  }

  /** The "open ›" button of a subgraph node: beside it (right, else left, where no other node
   *  is), else on its bottom-right corner. Called once every node is known. */
  private openButton(g: Element, name: string): void {
    const box = this.boxOf(g);
    if (!box) return;
    const w = 40;
    const hh = 14;
    const cy = box.y + box.height / 2;
    const others = [...this.nodes.values(), ...[...this.groups.values()].map((x) => x.g)].filter((o) => o !== g).map((o) => this.boxOf(o)).filter((b): b is Box => b !== null);
    const free = (r: Box): boolean => others.every((o) => r.x > o.x + o.width || r.x + r.width < o.x || r.y > o.y + o.height || r.y + r.height < o.y);
    const candidates: Box[] = [
      { x: box.x + box.width + 3, y: cy - hh / 2, width: w, height: hh },
      { x: box.x - 3 - w, y: cy - hh / 2, width: w, height: hh },
    ];
    const at = candidates.find(free) ?? { x: box.x + box.width - w + 8, y: box.y + box.height - hh / 2, width: w, height: hh };
    // back to Graphviz's coordinates (the button lives in the node's group)
    const x = at.x - this.offset.x;
    const y = at.y - this.offset.y;
    const button = g.appendChild(
      s(
        "g",
        { class: "pv-open", tabindex: 0, role: "button", "aria-label": `open subgraph ${name}`, "data-open": name },
        s("title", null, `open subgraph ${name}`),
        s("rect", { x, y, width: w, height: hh, rx: hh / 2, ry: hh / 2, class: "pv-open-bg" }),
        s("text", { x: x + w / 2, y: y + hh / 2 + 3.2, "text-anchor": "middle", class: "pv-open-text" }, "open ›"),
      ),
    );
    this.opens.set(name, button);
  }

  /** The count badge of a node or group on its top-right corner ("" hides it). */
  private badge(g: Element, label: string): void {
    let b = this.badges.get(g);
    if (!label) {
      if (b) b.setAttribute("visibility", "hidden");
      return;
    }
    if (!b) {
      const corner = nodeCorner(g);
      if (!corner) return;
      const text = s("text", { x: corner.x, y: corner.y + 3.5, "text-anchor": "middle", class: "pv-badge-text" });
      b = s(
        "g",
        { class: "pv-badge" },
        s("rect", { x: corner.x - 11, y: corner.y - 7, width: 22, height: 14, rx: 7, ry: 7, class: "pv-badge-bg" }),
        text,
      );
      g.appendChild(b);
      this.badges.set(g, b);
    }
    b.removeAttribute("visibility");
    const t = b.querySelector("text");
    if (t && t.textContent !== label) t.textContent = label;
    const r = b.querySelector("rect");
    const x = Number(t?.getAttribute("x"));
    if (r && isFinite(x)) {
      const w = 10 + 6.5 * label.length;
      r.setAttribute("x", String(x - w / 2));
      r.setAttribute("width", String(w));
    }
  }
}
