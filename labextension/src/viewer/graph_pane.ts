// The viewer's graph pane: a note on the graph's state, then the graph of the namespace shown,
// laid out once per graph and fold (a cache keyed by graph key and DOT text) and restyled per
// step, in a viewport the reader zooms (wheel, pinch, the +/− buttons) and pans (drag; the SVG is
// drawn at the scale, and panned by the pane's scroll position where it is larger).
//
// The view is fitted when a graph is drawn: the whole graph when it is readable that way,
// otherwise at a readable scale (READABLE) around the active tasks. Stepping keeps the zoom
// and pan; it only pans when the first active node is out of view. "fit" shows the whole graph,
// "fit active" the active tasks of the step. Until the reader zooms or pans, a resize re-fits.
//
// Wide ranks of parallel siblings (a static fan-out) are folded into one group node
// ("w00…w59 ×60", see pregel_viz/views/dot.py): a click (or Enter) on it shows its members,
// "fold" folds them again. A group lights up when any member ran and tells how many did.
//
// The pane also marks fast stepping (pv-fast), which turns the graph's colour transitions off.
// Node boxes come from the SVG's geometry and the pane's size from a ResizeObserver, so
// stepping reads no layout.

import { fill, h, setAttr } from "./dom";
import { foldedDot, foldGroups, GraphPicture, type Box, type FoldGroup, type LayoutFn } from "./graph";
import { sanitizeSvg, stripDotLinks } from "./sanitize";
import type { GraphView, StepDoc, TaskDoc } from "./types";

/** Steps closer together than this (ms) are "fast stepping": no colour transitions then. */
const FAST_STEPPING_MS = 250;
/** CSS px per graph unit (pt) below which a node (0.35 in high) gets hard to read (~15 px,
 *  labels ~7 px): a graph opens at this scale or larger. */
export const READABLE = 0.6;
/** The scale the members of a group just expanded are shown at (labels ~11 px). */
const EXPANDED = 0.9;
/** The largest scale a fit uses (small graphs are not blown up). */
const MAX_FIT = 1.25;
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 4;
/** One +/− step. */
const ZOOM_STEP = 1.25;
/** Room kept around a fitted graph, px. */
const PAD = 12;
/** A pointer that moves less than this (px) between down and up clicks; more is a drag. */
const DRAG_SLOP = 4;

interface Cached {
  promise: Promise<GraphPicture>;
  picture: GraphPicture | null;
  error: Error | null;
}

/** Scale and translation: a point p of the graph (viewBox units) is drawn at p * k + (x, y). */
interface View {
  k: number;
  x: number;
  y: number;
}

export interface GraphPaneHandlers {
  /** What the graph shows now: the step entry and its selected task. */
  current(): { step: StepDoc | undefined; selected: TaskDoc | null };
  /** A click selected a task of the step (null: the node clicked has none). */
  selectTask(id: string | null): void;
  /** After a click on a node (and its selection). */
  onNodeClick(name: string, ev: MouseEvent): void;
  /** Open a subgraph: the namespaces its tasks ran in this step (maybe none), and its node. */
  openSubgraph(namespaces: string[], node: string): void;
}

export class GraphPane {
  readonly el: HTMLElement;
  private readonly note: HTMLElement;
  private readonly holder: HTMLElement;
  private readonly bFold: HTMLButtonElement;
  private readonly pictures = new Map<string, Cached>();
  private picture: GraphPicture | null = null;
  private pictureKey = "";
  private layouts = 0;
  private ready: Promise<void> = Promise.resolve();
  private destroyed = false;
  private breakpoints: { before: string[]; after: string[] } = { before: [], after: [] };
  private lastStepAt = -Infinity;
  private fastTimer: ReturnType<typeof setTimeout> | null = null;
  // the graph shown and its folded groups (per graph key: all of them until expanded)
  private key = "";
  private graphView: GraphView | undefined;
  private readonly folded = new Map<string, Set<string>>();
  // the viewport: the view, the pane's size (from the ResizeObserver, or measured once), and
  // whether the reader moved it since the last fit
  private view: View = { k: 1, x: 0, y: 0 };
  private size: { width: number; height: number } | null = null;
  private observed = false;
  private touched = false;
  private drag: { id: number; x: number; y: number; view: View; moved: boolean } | null = null;
  private swallowClick = false;
  /** after the next picture attaches: what to show (members of a group just expanded) and
   *  what to focus */
  private pending: { members?: string[]; focus?: string } | null = null;

  /** `root` (the viewer's) gets data-layouts and data-ready; `doc` is the host's document. */
  constructor(
    private readonly root: HTMLElement,
    private readonly doc: Document,
    private readonly layout: LayoutFn,
    private readonly handlers: GraphPaneHandlers,
  ) {
    this.note = h("div", { class: "pv-graph-note" });
    this.holder = h("div", { class: "pv-graph-holder" });
    const button = (cls: string, text: string, title: string, act: () => void): HTMLButtonElement => {
      const b = h("button", { type: "button", class: `pv-button pv-zoom-${cls}`, title, "aria-label": title }, text);
      b.addEventListener("click", act);
      return b;
    };
    this.bFold = button("fold", "fold", "fold the parallel nodes again", () => this.foldAll());
    this.bFold.hidden = true;
    const controls = h(
      "div",
      { class: "pv-zoom", role: "toolbar", "aria-label": "graph view" },
      button("out", "−", "zoom out (−)", () => this.zoomBy(1 / ZOOM_STEP)),
      button("in", "+", "zoom in (+)", () => this.zoomBy(ZOOM_STEP)),
      button("fit", "fit", "fit the whole graph (0)", () => this.fit()),
      button("fit-active", "fit active", "fit the active tasks of this step", () => this.fitActive()),
      this.bFold,
    );
    this.el = h("div", { class: "pv-graph" }, this.note, this.holder, controls);

    this.holder.addEventListener("click", (ev) => {
      if (this.swallowClick) {
        this.swallowClick = false;
        return;
      }
      this.activate(ev.target, ev);
    });
    this.holder.addEventListener("dblclick", (ev) => {
      if (this.picture?.openAt(ev.target)) return;
      const name = this.picture?.nodeNameAt(ev.target);
      if (name) this.open(name);
    });
    this.holder.addEventListener("keydown", (ev) => {
      if ((ev.key !== "Enter" && ev.key !== " ") || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const target = ev.target as Element | null;
      if (!target?.closest?.("g.pv-node, g.pv-open")) return;
      ev.preventDefault();
      ev.stopPropagation();
      const r = target.getBoundingClientRect?.();
      const at = r ? { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 } : {};
      this.activate(target, new MouseEvent("click", at));
    });
    // a node focused by Tab is panned into view; the browser's own scrolling of the viewport
    // (which would shift the whole drawing) is undone
    this.holder.addEventListener("focusin", (ev) => {
      const g = (ev.target as Element | null)?.closest?.("g.pv-node");
      if (g && this.picture) this.revealBox(this.picture.boxOf(g));
    });
    // the browser scrolled the pane itself (a node scrolled into view): the view follows
    this.holder.addEventListener(
      "scroll",
      () => {
        const st = this.picture?.svg.style;
        if (!st) return;
        this.view = { k: this.view.k, x: (parseFloat(st.marginLeft) || 0) - this.holder.scrollLeft, y: (parseFloat(st.marginTop) || 0) - this.holder.scrollTop };
      },
      { passive: true },
    );
    this.el.addEventListener("keydown", (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const tag = (ev.target as Element | null)?.tagName?.toLowerCase();
      if (tag === "input" || tag === "select" || tag === "textarea") return;
      if (ev.key === "+" || ev.key === "=") this.zoomBy(ZOOM_STEP);
      else if (ev.key === "-" || ev.key === "_") this.zoomBy(1 / ZOOM_STEP);
      else if (ev.key === "0") this.fit();
      else return;
      ev.preventDefault();
      ev.stopPropagation();
    });
    this.holder.addEventListener(
      "wheel",
      (ev) => {
        if (!this.picture) return;
        ev.preventDefault();
        // a pinch comes as a wheel with ctrlKey and small deltas
        const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
        const factor = Math.exp((-ev.deltaY * unit * (ev.ctrlKey ? 0.01 : 0.0015)));
        const r = this.holder.getBoundingClientRect();
        this.zoomBy(factor, { x: ev.clientX - r.left, y: ev.clientY - r.top });
      },
      { passive: false },
    );
    this.holder.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || !this.picture) return;
      this.drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, view: { ...this.view }, moved: false };
    });
    this.holder.addEventListener("pointermove", (ev) => {
      const d = this.drag;
      if (!d || d.id !== ev.pointerId) return;
      const dx = ev.clientX - d.x;
      const dy = ev.clientY - d.y;
      if (!d.moved && Math.hypot(dx, dy) < DRAG_SLOP) return;
      if (!d.moved) {
        d.moved = true;
        this.holder.setPointerCapture?.(ev.pointerId);
        this.holder.classList.add("pv-dragging");
      }
      this.touched = true;
      this.setView({ k: d.view.k, x: d.view.x + dx, y: d.view.y + dy });
    });
    const end = (ev: PointerEvent): void => {
      const d = this.drag;
      if (!d || d.id !== ev.pointerId) return;
      this.drag = null;
      this.holder.classList.remove("pv-dragging");
      // the click that ends a drag selects nothing
      if (d.moved) this.swallowClick = ev.type === "pointerup";
    };
    this.holder.addEventListener("pointerup", end);
    this.holder.addEventListener("pointercancel", end);
  }

  /** Promise of the current graph being drawn (resolves after the classes are applied). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Let `ro` tell the pane of its size changes (it then calls `resized`). */
  observe(ro: ResizeObserver): void {
    this.observed = true;
    ro.observe(this.el);
  }

  /** The pane was resized (the layout is fresh here): re-fit, unless the reader moved the
   *  view, which then keeps its centre. */
  resized(): void {
    const old = this.size;
    this.size = null;
    const size = this.measure();
    if (!this.picture || !size) return;
    if (!this.touched || !old) this.fitDefault();
    else {
      const v = this.view;
      this.setView({ k: v.k, x: v.x + (size.width - old.width) / 2, y: v.y + (size.height - old.height) / 2 });
    }
  }

  /** Show the graph `view` of graph key `key` (laid out now, or taken from the cache). */
  show(key: string, view: GraphView | undefined): void {
    const notes: string[] = [];
    if (!view) notes.push(`No graph recorded for "${key || "root"}".`);
    else if (view.error) notes.push(`Graph structure incomplete: ${view.error}`);
    fill(this.note, notes.map((n) => h("div", null, n)));
    this.key = key;
    this.graphView = view;
    if (view && !this.folded.has(key)) this.folded.set(key, new Set(foldGroups(view).map((g) => g.id)));
    const folded = this.folded.get(key) ?? new Set<string>();
    this.bFold.hidden = !view || foldGroups(view).every((g) => folded.has(g.id));
    const c = this.cached(key, view, folded);
    const id = c ? c.id : "";
    if (id === this.pictureKey && this.picture) return;
    if (!this.pending && this.holder.contains(this.doc.activeElement)) this.pending = {};
    this.picture = null;
    this.pictureKey = id;
    if (!c) {
      fill(this.holder, h("div", { class: "pv-muted" }, "no graph to draw"));
      this.root.setAttribute("data-ready", "1");
      this.ready = Promise.resolve();
      return;
    }
    if (c.entry.picture) {
      this.attach(c.entry.picture);
      this.ready = Promise.resolve();
      return;
    }
    if (c.entry.error) {
      this.layoutFailed(c.entry.error);
      this.ready = Promise.resolve();
      return;
    }
    fill(this.holder, h("div", { class: "pv-muted pv-loading" }, "laying out the graph…"));
    this.ready = c.entry.promise.then(
      (p) => {
        if (!this.destroyed && this.pictureKey === id) this.attach(p);
      },
      (e: Error) => {
        if (!this.destroyed && this.pictureKey === id) this.layoutFailed(e);
      },
    );
  }

  /** Restyle the graph for the current step; returns the node to keep in view. */
  restyle(): string | undefined {
    if (!this.picture) return undefined;
    const { step, selected } = this.handlers.current();
    const style = this.picture.apply(step);
    this.picture.setBreakpoints(this.breakpoints.before, this.breakpoints.after);
    this.picture.setSelected(selected?.name ?? null);
    // "open ›" opens the subgraph run in this step, else its last run before it (lighter)
    for (const [name, b] of this.picture.opens) {
      b.classList.toggle("pv-open-idle", !this.tasksOf(name).some((t) => (t.subgraphs ?? []).length > 0));
    }
    return style.active[0];
  }

  /** Nodes to mark as breakpoints: a list (before), or before and after lists. */
  setBreakpoints(bp: string[] | { before?: string[]; after?: string[] }): void {
    this.breakpoints = Array.isArray(bp) ? { before: [...bp], after: [] } : { before: [...(bp.before ?? [])], after: [...(bp.after ?? [])] };
    this.reveal(this.restyle());
  }

  /** Keep node `name` in view: pan (never zoom) when it is outside the pane. Reads no layout
   *  (the node's box comes from the SVG's geometry, the pane's size from the observer). */
  reveal(name: string | undefined): void {
    const picture = this.picture;
    const g = name === undefined ? undefined : picture?.targetOf(name);
    this.revealBox(g && picture?.boxOf(g));
  }

  private revealBox(box: Box | null | undefined): void {
    const size = this.measure();
    if (!box || !size) return;
    const { k, x, y } = this.view;
    const left = box.x * k + x;
    const top = box.y * k + y;
    let nx = x;
    let ny = y;
    if (left < 0 || left + box.width * k > size.width) nx = size.width / 2 - (box.x + box.width / 2) * k;
    if (top < 0 || top + box.height * k > size.height) ny = size.height / 2 - (box.y + box.height / 2) * k;
    if (nx !== x || ny !== y) this.setView({ k, x: nx, y: ny });
  }

  /** Zoom by `factor` around a point of the pane (default: its centre). */
  zoomBy(factor: number, at?: { x: number; y: number }): void {
    const size = this.measure();
    if (!this.picture || !size) return;
    const { k, x, y } = this.view;
    const nk = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k * factor));
    const p = at ?? { x: size.width / 2, y: size.height / 2 };
    this.touched = true;
    this.setView({ k: nk, x: p.x - ((p.x - x) / k) * nk, y: p.y - ((p.y - y) / k) * nk });
  }

  /** Show the whole graph. */
  fit(): void {
    const p = this.picture;
    if (!p) return;
    this.touched = false;
    this.fitBox({ x: 0, y: 0, width: p.width, height: p.height }, 0);
  }

  /** Show the active tasks of the step (the whole graph when none is active). */
  fitActive(): void {
    const p = this.picture;
    if (!p) return;
    const boxes = (this.handlers.current().step?.tasks ?? [])
      .map((t) => p.targetOf(t.name))
      .map((g) => (g ? p.boxOf(g) : null))
      .filter((b): b is Box => b !== null);
    if (!boxes.length) return this.fit();
    this.touched = true;
    this.fitBox(union(boxes), 0);
  }

  /** The viewer moved to another entry. Steps in quick succession (key repeat, fast play, a
   *  dragged slider) turn the colour transitions off (pv-fast on the viewer's root), so the
   *  graph is not repainted for fades between frames. */
  stepped(): void {
    const now = Date.now();
    if (now - this.lastStepAt < FAST_STEPPING_MS) this.root.classList.add("pv-fast");
    this.lastStepAt = now;
    if (this.fastTimer !== null) clearTimeout(this.fastTimer);
    this.fastTimer = setTimeout(() => {
      this.fastTimer = null;
      this.root.classList.remove("pv-fast");
    }, FAST_STEPPING_MS);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.fastTimer !== null) clearTimeout(this.fastTimer);
  }

  // ---------- nodes ----------

  /** A click (or Enter, Space) on `target`: open a subgraph, expand a group, or select the
   *  node's task (repeated clicks cycle through a node's parallel tasks: Sends). */
  private activate(target: EventTarget | null, ev: MouseEvent): void {
    const picture = this.picture;
    if (!picture) return;
    const open = picture.openAt(target);
    if (open !== null) return this.open(open);
    const group = picture.groupAt(target);
    if (group !== null) return this.expand(group);
    const name = picture.nodeNameAt(target);
    if (!name) return;
    const tasks = this.tasksOf(name);
    const selected = this.handlers.current().selected;
    const at = tasks.findIndex((t) => t.id === selected?.id);
    this.handlers.selectTask(tasks.length ? tasks[(at + 1) % tasks.length].id : null);
    this.handlers.onNodeClick(name, ev);
  }

  private open(name: string): void {
    this.handlers.openSubgraph(this.tasksOf(name).flatMap((t) => t.subgraphs ?? []), name);
  }

  /** Draw the members of folded group `id` (a new layout), around where the group was. */
  private expand(id: string): void {
    const folded = this.folded.get(this.key);
    const group = foldGroups(this.graphView).find((g) => g.id === id);
    if (!folded || !group) return;
    folded.delete(id);
    this.pending = { members: group.members, focus: group.members[0] };
    this.show(this.key, this.graphView);
  }

  private foldAll(): void {
    const groups: FoldGroup[] = foldGroups(this.graphView);
    this.folded.set(this.key, new Set(groups.map((g) => g.id)));
    this.pending = { focus: groups[0]?.members[0] };
    this.show(this.key, this.graphView);
  }

  /** The tasks of the step shown that ran node `name`. */
  private tasksOf(name: string): TaskDoc[] {
    return (this.handlers.current().step?.tasks ?? []).filter((t) => t.name === name);
  }

  // ---------- the viewport ----------

  /** The pane's size: from the observer, or measured now (once per size, when nothing
   *  observes); null when it is not rendered. */
  private measure(): { width: number; height: number } | null {
    if (this.size) return this.size;
    const size = { width: this.holder.clientWidth, height: this.holder.clientHeight };
    if (!size.width || !size.height) return null;
    if (this.observed) this.size = size;
    return size;
  }

  /** Draw the graph at scale v.k with its origin at (v.x, v.y) in the pane: the SVG is sized
   *  to the scale, and placed by its margin where it is smaller than the pane, else by the
   *  pane's scroll position (so the browser can still scroll a node into view). The browser
   *  keeps the graph's edges at the pane's: the view kept is the one drawn. */
  private setView(v: View): void {
    const p = this.picture;
    const size = this.measure();
    if (!p || !size) {
      this.view = v;
      return;
    }
    const sw = p.width * v.k;
    const sh = p.height * v.k;
    const place = (at: number, content: number, pane: number): { margin: number; scroll: number } =>
      content <= pane ? { margin: clamp(at, 0, pane - content), scroll: 0 } : { margin: 0, scroll: clamp(-at, 0, content - pane) };
    const hx = place(v.x, sw, size.width);
    const hy = place(v.y, sh, size.height);
    const st = p.svg.style;
    st.width = `${round(sw)}px`;
    st.height = `${round(sh)}px`;
    st.marginLeft = `${round(hx.margin)}px`;
    st.marginTop = `${round(hy.margin)}px`;
    this.view = { k: v.k, x: hx.margin - hx.scroll, y: hy.margin - hy.scroll };
    this.holder.scrollLeft = hx.scroll;
    this.holder.scrollTop = hy.scroll;
    setAttr(this.el, "data-zoom", String(round(v.k, 1e3)));
  }

  /** Fit `box` in the pane, at a scale of at most MAX_FIT and at least `min`. */
  private fitBox(box: Box, min: number): void {
    const size = this.measure();
    if (!size) return;
    const w = Math.max(1, size.width - 2 * PAD);
    const hh = Math.max(1, size.height - 2 * PAD);
    const k = Math.max(min, MIN_ZOOM, Math.min(MAX_FIT, w / Math.max(box.width, 1), hh / Math.max(box.height, 1)));
    this.setView({ k, x: size.width / 2 - (box.x + box.width / 2) * k, y: size.height / 2 - (box.y + box.height / 2) * k });
  }

  /** The view a graph opens with: the whole graph if it is readable so, else a readable scale
   *  with the top of the graph in view. The members of a group just expanded are shown from
   *  the first, at a scale where their labels read. */
  private fitDefault(members?: string[]): void {
    const p = this.picture;
    const size = this.measure();
    if (!p || !size) return;
    this.touched = false;
    const whole = { x: 0, y: 0, width: p.width, height: p.height };
    const boxes = (members ?? [])
      .map((m) => p.targetOf(m))
      .map((g) => (g ? p.boxOf(g) : null))
      .filter((b): b is Box => b !== null);
    this.fitBox(whole, boxes.length ? EXPANDED : READABLE);
    const { k } = this.view;
    let { x, y } = this.view;
    if (boxes.length) {
      const row = union(boxes);
      if (row.width * k > size.width - 2 * PAD) x = PAD - row.x * k;
      else x = size.width / 2 - (row.x + row.width / 2) * k;
      if (p.height * k > size.height) y = size.height / 2 - (row.y + row.height / 2) * k;
    } else if (p.height * k > size.height) y = PAD;
    this.setView({ k, x, y });
  }

  // ---------- drawing ----------

  private cached(key: string, view: GraphView | undefined, folded: ReadonlySet<string>): { id: string; entry: Cached } | null {
    if (!view || !view.dot) return null;
    const { dot, groups } = foldedDot(view, folded);
    const id = `${key}\u0000${dot}`;
    let c = this.pictures.get(id);
    if (!c) {
      this.layouts++;
      this.root.setAttribute("data-layouts", String(this.layouts));
      const entry: Cached = {
        promise: Promise.resolve()
          .then(() => this.layout(stripDotLinks(dot)))
          .then((svgText) => {
            const p = new GraphPicture(sanitizeSvg(svgText, this.doc), view, groups);
            entry.picture = p;
            return p;
          }),
        picture: null,
        error: null,
      };
      entry.promise = entry.promise.catch((e: unknown) => {
        entry.error = e instanceof Error ? e : new Error(String(e));
        throw entry.error;
      });
      entry.promise.catch(() => undefined); // handled where it is awaited
      c = entry;
      this.pictures.set(id, c);
    }
    return { id, entry: c };
  }

  private attach(p: GraphPicture): void {
    this.picture = p;
    fill(this.holder, p.svg);
    const pending = this.pending;
    this.pending = null;
    this.fitDefault(pending?.members);
    const first = this.restyle();
    if (!pending?.members) this.reveal(first);
    this.root.setAttribute("data-ready", "1");
    if (pending) {
      // the focus was in the graph just replaced: keep it in the viewer
      const target = pending.focus === undefined ? undefined : p.targetOf(pending.focus);
      ((target as HTMLElement | undefined) ?? this.root).focus?.({ preventScroll: true });
    }
  }

  private layoutFailed(e: Error): void {
    fill(this.holder, h("div", { class: "pv-error-text" }, `Graph layout failed: ${e.message}`));
    this.root.setAttribute("data-ready", "1");
  }
}

function union(boxes: Box[]): Box {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, by = 100): number {
  return Math.round(v * by) / by;
}
