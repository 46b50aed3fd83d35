// A laid-out graph: Graphviz SVG (sanitized: see sanitize.ts), which the graph pane
// (graph_pane.ts) inserts once per graph key; stepping then only toggles classes on the node
// and edge groups found by id (n<i> / e<i>, see pregel_viz/views/dot.py).

import { s } from "./dom";
import type { GraphView, StepDoc } from "./types";
import { groupTasks, wasInterrupted } from "./summary";

export { sanitizeSvg } from "./sanitize";

/** DOT text → SVG text. Injected, so the core runs (and is tested) without WASM. */
export type LayoutFn = (dot: string) => Promise<string>;

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

/** One laid-out graph (one graph key): its SVG and the groups to restyle. */
export class GraphPicture {
  readonly nodes = new Map<string, Element>(); // node name → <g>
  readonly edges = new Map<string, Element>(); // edge id → <g>
  private readonly edgeIdsByPair = new Map<string, string[]>();
  private readonly badges = new Map<string, SVGElement>();
  private readonly nameById = new Map<string, string>();

  constructor(
    readonly svg: SVGSVGElement,
    readonly view: GraphView,
  ) {
    svg.classList.add("pv-svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("role", "img");
    const byId = new Map<string, Element>();
    for (const g of Array.from(svg.querySelectorAll("g[id]"))) byId.set(g.getAttribute("id") ?? "", g);
    for (const n of view.nodes ?? []) {
      const g = byId.get(n.id);
      if (!g) continue;
      this.nodes.set(n.name, g);
      this.nameById.set(n.id, n.name);
      g.setAttribute("data-name", n.name);
      const title = g.querySelector("title");
      if (title) title.textContent = n.name;
    }
    for (const e of view.edges ?? []) {
      const g = byId.get(e.id);
      if (!g) continue;
      this.edges.set(e.id, g);
      const key = `${e.source}\u0000${e.target}`;
      const list = this.edgeIdsByPair.get(key) ?? [];
      list.push(e.id);
      this.edgeIdsByPair.set(key, list);
      const title = g.querySelector("title");
      if (title) title.textContent = `${e.source} → ${e.target}${e.label ? ` (${e.label})` : ""}`;
    }
  }

  /** The node name for an event target inside the SVG, if any. */
  nodeNameAt(target: EventTarget | null): string | null {
    const el = target as Element | null;
    const g = el?.closest?.("g.pv-node, g[data-name]");
    if (!g || !this.svg.contains(g)) return null;
    return g.getAttribute("data-name");
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
      this.badge(name, g, counts.get(name) ?? 0);
    }
    const taken = new Set<string>();
    for (const e of step?.edges ?? []) {
      for (const id of this.edgeIdsByPair.get(`${e[0]}\u0000${e[1]}`) ?? []) taken.add(id);
    }
    for (const [id, g] of this.edges) g.classList.toggle("pv-taken", taken.has(id));
    return { active: groups.map((g) => g.name) };
  }

  setSelected(name: string | null): void {
    for (const [n, g] of this.nodes) g.classList.toggle("pv-selected", n === name);
  }

  /** Mark the nodes with a breakpoint before (pv-bp-before) or after (pv-bp-after) them;
   *  either one also sets pv-breakpoint. */
  setBreakpoints(before: Iterable<string>, after: Iterable<string> = []): void {
    const b = new Set(before);
    const a = new Set(after);
    for (const [n, g] of this.nodes) {
      g.classList.toggle("pv-bp-before", b.has(n));
      g.classList.toggle("pv-bp-after", a.has(n));
      g.classList.toggle("pv-breakpoint", b.has(n) || a.has(n));
    }
  }

  private badge(name: string, g: Element, count: number): void {
    let b = this.badges.get(name);
    if (count <= 1) {
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
      this.badges.set(name, b);
    }
    b.removeAttribute("visibility");
    const label = `×${count}`;
    const t = b.querySelector("text");
    if (t) t.textContent = label;
    const r = b.querySelector("rect");
    const x = Number(t?.getAttribute("x"));
    if (r && isFinite(x)) {
      const w = 10 + 6.5 * label.length;
      r.setAttribute("x", String(x - w / 2));
      r.setAttribute("width", String(w));
    }
  }
}
