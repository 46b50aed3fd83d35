// The viewer's graph pane: a note on the graph's state, then the graph of the namespace shown,
// laid out once per graph (a cache keyed by graph key and DOT text) and restyled per step.
//
// The pane also marks fast stepping (pv-fast), which turns the graph's colour transitions off.
// Node boxes are measured once per graph and pane size (a ResizeObserver tells when the pane
// changes), so keeping the active node in view reads no layout while stepping.

import { fill, h } from "./dom";
import { GraphPicture, type LayoutFn } from "./graph";
import { sanitizeSvg, stripDotLinks } from "./sanitize";
import type { GraphView, StepDoc, TaskDoc } from "./types";

/** A node's box, relative to the graph pane's scrolled content (so it holds whatever the
 *  scroll position), in CSS px. */
interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

/** Steps closer together than this (ms) are "fast stepping": no colour transitions then. */
const FAST_STEPPING_MS = 250;

interface Cached {
  promise: Promise<GraphPicture>;
  picture: GraphPicture | null;
  error: Error | null;
}

export interface GraphPaneHandlers {
  /** What the graph shows now: the step entry and its selected task. */
  current(): { step: StepDoc | undefined; selected: TaskDoc | null };
  /** A click selected a task of the step (null: the node clicked has none). */
  selectTask(id: string | null): void;
  /** After a click on a node (and its selection). */
  onNodeClick(name: string, ev: MouseEvent): void;
  /** A double click on a node: the subgraph namespaces its tasks ran, to open one. */
  openSubgraph(namespaces: string[]): void;
}

export class GraphPane {
  readonly el: HTMLElement;
  private readonly note: HTMLElement;
  private readonly holder: HTMLElement;
  private readonly pictures = new Map<string, Cached>();
  private picture: GraphPicture | null = null;
  private pictureKey = "";
  private layouts = 0;
  private ready: Promise<void> = Promise.resolve();
  private destroyed = false;
  private breakpoints: { before: string[]; after: string[] } = { before: [], after: [] };
  private lastStepAt = -Infinity;
  private fastTimer: ReturnType<typeof setTimeout> | null = null;
  // reveal's geometry, measured lazily and dropped when the pane is resized or the graph
  // changes (only with a ResizeObserver to tell; without one, every reveal measures)
  private observed = false;
  private paneSize: { width: number; height: number } | null = null;
  private paneScroll: { top: number; left: number } | null = null;
  private readonly nodeBoxes = new Map<string, Box | null>(); // null: not rendered (no box)

  /** `root` (the viewer's) gets data-layouts and data-ready; `doc` is the host's document. */
  constructor(
    private readonly root: HTMLElement,
    private readonly doc: Document,
    private readonly layout: LayoutFn,
    private readonly handlers: GraphPaneHandlers,
  ) {
    this.note = h("div", { class: "pv-graph-note" });
    this.holder = h("div", { class: "pv-graph-holder" });
    this.el = h("div", { class: "pv-graph" }, this.note, this.holder);
    this.holder.addEventListener("click", (ev) => {
      const name = this.picture?.nodeNameAt(ev.target);
      if (!name) return;
      const tasks = this.tasksOf(name);
      // repeated clicks cycle through a node's parallel tasks (Sends)
      const selected = handlers.current().selected;
      const at = tasks.findIndex((t) => t.id === selected?.id);
      handlers.selectTask(tasks.length ? tasks[(at + 1) % tasks.length].id : null);
      handlers.onNodeClick(name, ev);
    });
    this.holder.addEventListener("dblclick", (ev) => {
      const name = this.picture?.nodeNameAt(ev.target);
      if (name) handlers.openSubgraph(this.tasksOf(name).flatMap((t) => t.subgraphs ?? []));
    });
    // the user scrolls the graph: note where to (the layout is fresh when scroll events fire)
    this.el.addEventListener(
      "scroll",
      () => {
        if (this.paneScroll) this.paneScroll = { top: this.el.scrollTop, left: this.el.scrollLeft };
      },
      { passive: true },
    );
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

  /** The pane was resized: measure now, while the layout is fresh, rather than during the
   *  next step. */
  resized(): void {
    this.forgetGeometry();
    if (this.picture) this.measureGeometry(this.picture.nodes.keys());
  }

  /** Show the graph `view` of graph key `key` (laid out now, or taken from the cache). */
  show(key: string, view: GraphView | undefined): void {
    const notes: string[] = [];
    if (!view) notes.push(`No graph recorded for "${key || "root"}".`);
    else if (view.error) notes.push(`Graph structure incomplete: ${view.error}`);
    fill(this.note, notes.map((n) => h("div", null, n)));
    this.forgetGeometry(); // the note above the graph may have changed height
    const c = this.cached(key, view);
    const id = view ? `${key}\u0000${view.dot}` : "";
    if (id === this.pictureKey && this.picture) return;
    this.picture = null;
    this.pictureKey = id;
    if (!c) {
      fill(this.holder, h("div", { class: "pv-muted" }, "no graph to draw"));
      this.root.setAttribute("data-ready", "1");
      this.ready = Promise.resolve();
      return;
    }
    if (c.picture) {
      this.attach(c.picture);
      this.ready = Promise.resolve();
      return;
    }
    if (c.error) {
      this.layoutFailed(c.error);
      this.ready = Promise.resolve();
      return;
    }
    fill(this.holder, h("div", { class: "pv-muted pv-loading" }, "laying out the graph…"));
    this.ready = c.promise.then(
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
    return style.active[0];
  }

  /** The tasks of the step shown that ran node `name`. */
  private tasksOf(name: string): TaskDoc[] {
    return (this.handlers.current().step?.tasks ?? []).filter((t) => t.name === name);
  }

  /** Nodes to mark as breakpoints: a list (before), or before and after lists. */
  setBreakpoints(bp: string[] | { before?: string[]; after?: string[] }): void {
    this.breakpoints = Array.isArray(bp) ? { before: [...bp], after: [] } : { before: [...(bp.before ?? [])], after: [...(bp.after ?? [])] };
    this.reveal(this.restyle());
  }

  /** Keep the first active node in view when the graph is larger than its pane (scrolls the
   *  pane only, never the page). Reads no layout when the boxes are known (measured all at
   *  once, see `measureGeometry`) and the node is in view; call it after every other DOM
   *  write of the step. */
  reveal(name: string | undefined): void {
    const picture = this.picture;
    if (!name || !picture?.nodes.has(name)) return;
    if (!this.observed) this.nodeBoxes.clear(); // nothing tells when the pane is resized: always measure
    if (!this.nodeBoxes.has(name) || !this.paneSize || !this.paneScroll) {
      this.nodeBoxes.clear();
      if (!this.measureGeometry(this.observed ? picture.nodes.keys() : [name])) return;
    }
    const box = this.nodeBoxes.get(name);
    const { paneSize, paneScroll } = this;
    if (!box || !paneSize || !paneScroll) return;
    const pane = this.el;
    const top = box.top - paneScroll.top; // from the pane's top edge
    const left = box.left - paneScroll.left;
    let moved = false;
    if (top < 0 || top + box.height > paneSize.height) {
      pane.scrollTop = paneScroll.top + top - (paneSize.height - box.height) / 2;
      moved = true;
    }
    if (left < 0 || left + box.width > paneSize.width) {
      pane.scrollLeft = paneScroll.left + left - (paneSize.width - box.width) / 2;
      moved = true;
    }
    // the browser clamps: read back what it did (the layout is fresh after the write)
    if (moved) this.paneScroll = { top: pane.scrollTop, left: pane.scrollLeft };
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

  private cached(key: string, view: GraphView | undefined): Cached | null {
    if (!view || !view.dot) return null;
    const id = `${key}\u0000${view.dot}`;
    let c = this.pictures.get(id);
    if (!c) {
      this.layouts++;
      this.root.setAttribute("data-layouts", String(this.layouts));
      const entry: Cached = {
        promise: Promise.resolve()
          .then(() => this.layout(stripDotLinks(view.dot)))
          .then((svgText) => {
            const p = new GraphPicture(sanitizeSvg(svgText, this.doc), view);
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
    return c;
  }

  private attach(p: GraphPicture): void {
    this.picture = p;
    fill(this.holder, p.svg);
    this.forgetGeometry();
    const vb = p.svg.getAttribute("viewBox")?.split(/[\s,]+/).map(Number);
    if (vb && vb.length === 4 && isFinite(vb[2])) p.svg.style.width = `${Math.ceil(vb[2] * 1.25)}px`;
    this.reveal(this.restyle());
    this.root.setAttribute("data-ready", "1");
  }

  private layoutFailed(e: Error): void {
    fill(this.holder, h("div", { class: "pv-error-text" }, `Graph layout failed: ${e.message}`));
    this.root.setAttribute("data-ready", "1");
  }

  private forgetGeometry(): void {
    this.paneSize = null;
    this.paneScroll = null;
    this.nodeBoxes.clear();
  }

  /** Measure the pane, its scroll position and the boxes of `names` (one layout, if the DOM
   *  changed since the last one; nodes never move once laid out). False: nothing to measure
   *  (no graph, or the pane is not rendered). */
  private measureGeometry(names: Iterable<string>): boolean {
    const pane = this.el;
    if (!this.picture || !pane.getBoundingClientRect) return false;
    const r0 = pane.getBoundingClientRect();
    if (!r0.height) return false;
    this.paneSize = { width: r0.width, height: r0.height };
    const scroll = { top: pane.scrollTop, left: pane.scrollLeft };
    this.paneScroll = scroll;
    for (const name of names) {
      const g = this.picture.nodes.get(name) as Element | undefined;
      if (!g?.getBoundingClientRect) continue;
      const r = g.getBoundingClientRect();
      this.nodeBoxes.set(name, r.height ? { top: r.top - r0.top + scroll.top, left: r.left - r0.left + scroll.left, width: r.width, height: r.height } : null);
    }
    return true;
  }
}
