// The viewer core: one payload, one root element. Hosts (anywidget, the standalone HTML page,
// the JupyterLab extension) create it with a layout function and sync its position. The viewer
// holds the position (thread, namespace, entry, selected task) and moves it; it shows it
// through its parts: the toolbar (toolbar.ts), the graph pane (graph_pane.ts), the side panel
// (panel.ts) and the timeline (timeline.ts).
//
// Per step the work is bounded by the size of that step (its tasks, the graph's nodes and
// edges, the state's keys and a window of timeline columns), never by the number of steps.
// A step switch only writes to the DOM: no layout is read while it renders (sizes come from a
// ResizeObserver, node boxes are measured once per graph and pane size), so the browser lays
// the page out once, for the frame. Scrolling a node into view is the one write that needs the
// layout, and it comes last.

import { h, setAttr } from "./dom";
import type { LayoutFn } from "./graph";
import { GraphPane } from "./graph_pane";
import { type BranchPath, type NamespaceModel, PayloadModel, type ThreadModel, type Values } from "./model";
import { SidePanel } from "./panel";
import { Timeline } from "./timeline";
import { keyMove, Toolbar, type StepMove } from "./toolbar";
import type { Payload, Position, StepDoc, TaskDoc } from "./types";

/** Escape or Backspace with no modifier, outside a field: leave the subgraph shown. */
function leavesSubgraph(ev: KeyboardEvent): boolean {
  if (ev.key !== "Escape" && ev.key !== "Backspace") return false;
  if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.defaultPrevented) return false;
  const el = ev.target as HTMLElement | null;
  const tag = el?.tagName?.toLowerCase();
  return !(tag === "input" || tag === "select" || tag === "textarea" || el?.isContentEditable);
}

/** The graph's name from the log's meta ("" when it has none). */
function graphName(doc: Payload): string {
  const name = doc.meta?.graph;
  return typeof name === "string" ? name : "";
}

export interface ViewerOptions {
  /** DOT → SVG text (WASM Graphviz in the bundle; anything in tests). */
  layout: LayoutFn;
  /** LangGraph step number to show first (default: the first entry). */
  step?: number;
  /** thread id ("" or unknown: the last thread) */
  thread?: string;
  /** namespace ("" : the root) */
  ns?: string;
  /** Called when the user moves the view (not for set* calls from the host). */
  onChange?: (p: Position) => void;
  /** Called when the user clicks a node of the graph (after the viewer selects its task). */
  onNodeClick?: (name: string, ev: MouseEvent) => void;
  /** Base play interval at 1×, ms. */
  playInterval?: number;
  /** Fill the host's height (a page or a document tab) instead of the default height with a
   *  resize handle (a notebook output). */
  fill?: boolean;
}

export interface CurrentView {
  position: Position;
  index: number;
  step: StepDoc | undefined;
  state: Values;
  isLast: boolean;
  /** the graph's node names (of the namespace shown) */
  nodes: string[];
}

export function createViewer(host: HTMLElement, payload: Payload, options: ViewerOptions): Viewer {
  return new Viewer(host, payload, options);
}

export class Viewer {
  readonly root: HTMLElement;
  private model: PayloadModel;
  private thread: ThreadModel | null = null;
  private space: NamespaceModel | null = null;
  private index = -1;
  /** the branch the step keys follow (every entry, for a thread never forked) */
  private path: BranchPath | null = null;
  private selectedId: string | null = null;
  private destroyed = false;
  private ro: ResizeObserver | null = null;
  private lastWidth = -1;
  /** what the side panel last showed (thread, namespace, entry): a new step scrolls it to the top */
  private shownAt = "";
  private panelScrolled = false;
  private readonly toolbar: Toolbar;
  private readonly graph: GraphPane;
  private readonly panel: SidePanel;
  private readonly timeline: Timeline;

  constructor(host: HTMLElement, payload: Payload, private readonly options: ViewerOptions) {
    this.model = new PayloadModel(payload);
    this.root = h("div", { class: options.fill ? "pregel-viewer pv-fill" : "pregel-viewer", tabindex: 0, role: "application", "aria-label": "LangGraph run viewer", "data-layouts": 0 });
    this.toolbar = new Toolbar(
      {
        move: (to) => this.move(to),
        pickThread: (id) => this.pickThread(id),
        backTo: (ns, parentTask) => this.backTo(ns, parentTask),
        // play moves along the branch shown, as the step keys do
        playhead: () => {
          const path = this.along();
          return path ? { length: path.length, index: path.indexOf(this.index) } : null;
        },
        playTo: (k) => {
          const path = this.along();
          if (path) this.go(path.at(k), true);
        },
        playing: (on) => this.root.classList.toggle("pv-playing", on),
      },
      options.playInterval ?? 800,
    );
    this.graph = new GraphPane(this.root, host.ownerDocument, options.layout, {
      current: () => ({ step: this.currentStep(), selected: this.selectedTask() }),
      selectTask: (id) => this.select(id),
      onNodeClick: (name, ev) => options.onNodeClick?.(name, ev),
      openSubgraph: (namespaces, node) => {
        const ns = this.thread && (namespaces.find((x) => this.thread!.hasNamespace(x)) ?? this.lastRunOf(node));
        if (ns) this.openNamespace(ns);
      },
    });
    this.panel = new SidePanel({
      selectTask: (id) => this.select(id),
      openNamespace: (ns) => this.openNamespace(ns),
    });
    this.timeline = new Timeline({
      onSelect: (i, taskId) => {
        this.toolbar.stop();
        this.go(i, true);
        if (taskId) this.select(taskId);
      },
    });
    this.root.append(this.toolbar.el, h("div", { class: "pv-main" }, this.graph.el, this.panel.el), this.timeline.el);
    this.panel.el.addEventListener("scroll", () => (this.panelScrolled = this.panel.el.scrollTop > 0), { passive: true });
    host.appendChild(this.root);

    this.root.addEventListener("keydown", (ev) => {
      const to = keyMove(ev);
      if (to === undefined) {
        if (leavesSubgraph(ev) && this.leaveNamespace()) {
          ev.preventDefault();
          ev.stopPropagation();
        }
        return;
      }
      this.move(to);
      ev.preventDefault();
      ev.stopPropagation();
    });
    if (typeof ResizeObserver !== "undefined") {
      this.ro = new ResizeObserver((entries) => {
        if (entries.some((e) => e.target === this.graph.el)) {
          // a re-fit shows the top of a tall graph: the step's active node is brought back
          this.graph.resized();
          this.graph.reveal(this.currentStep()?.tasks?.[0]?.name);
        }
        this.onResize();
      });
      this.ro.observe(this.root);
      this.graph.observe(this.ro);
    }

    this.toolbar.setThreads(this.model.threads);
    this.toolbar.setGraphName(graphName(this.model.doc));
    this.enter(this.model.thread(options.thread ?? ""), options.ns ?? "", { step: options.step });
    this.onResize();
  }

  // ---------- the host's API ----------

  get position(): Position {
    return {
      step: this.currentStep()?.step ?? 0,
      thread: this.thread?.id ?? "",
      ns: this.space?.ns ?? "",
    };
  }

  setStep(n: number): void {
    this.setPosition({ step: n });
  }

  setThread(id: string): void {
    this.setPosition({ thread: id });
  }

  setNs(ns: string): void {
    this.setPosition({ ns });
  }

  /** Move to a position (any subset); returns the position actually shown. */
  setPosition(p: Partial<Position>): Position {
    if (this.destroyed) return this.position;
    const { thread, space } = this;
    const t = p.thread !== undefined ? this.model.thread(p.thread) : thread;
    const wantNs = p.ns !== undefined ? p.ns : t === thread ? (space?.ns ?? "") : "";
    const ns = t && t.hasNamespace(wantNs) ? wantNs : "";
    if (t !== thread || ns !== (space?.ns ?? "")) {
      this.toolbar.stop();
      this.enter(t, ns, { step: p.step, index: p.step === undefined ? (t === thread ? undefined : t?.namespace(ns)?.last()) : undefined });
    } else if (p.step !== undefined && space && this.currentStep()?.step !== p.step) {
      this.go(space.resolve(p.step), false);
    }
    return this.position;
  }

  /** Replace the document (a live run grew), keeping the position where possible; with
   *  `follow`, a view that showed the last entry moves to the new last entry. */
  setPayload(p: Payload, opts: { follow?: boolean | "always" } = {}): void {
    const pos = this.position;
    const wasLast = !this.space || this.index >= this.space.length - 1;
    const i = this.index;
    const sel = this.selectedId;
    this.model = new PayloadModel(p);
    this.toolbar.setThreads(this.model.threads);
    this.toolbar.setGraphName(graphName(this.model.doc));
    const t = this.model.thread(pos.thread);
    const same = t !== null && t.id === pos.thread;
    const ns = t && t.hasNamespace(pos.ns) ? pos.ns : "";
    const follow = (opts.follow === "always" || (opts.follow === true && wasLast)) && t !== null;
    this.enter(t, ns, {
      index: follow ? t.namespace(ns)?.last() : same ? i : undefined,
      step: pos.step,
    });
    if (sel && this.currentStep()?.tasks.some((x) => x.id === sel)) this.select(sel);
    if (follow && this.position.step !== pos.step) this.notify();
  }

  /** Nodes to mark as breakpoints: a list (before), or before and after lists. */
  setBreakpoints(bp: string[] | { before?: string[]; after?: string[] }): void {
    this.graph.setBreakpoints(bp);
  }

  /** What is shown: the entry, its full state (this namespace) and whether it is the last. */
  current(): CurrentView {
    const { space, index } = this;
    const view = space ? this.model.doc.graphs?.[space.key] : undefined;
    return {
      position: this.position,
      index,
      step: this.currentStep(),
      state: space && index >= 0 ? space.stateAt(index) : {},
      isLast: !space || index >= space.length - 1,
      nodes: (view?.nodes ?? []).map((n) => n.name).filter((n) => !n.startsWith("__")),
    };
  }

  /** Select a task of the current step by id (null clears). */
  selectTask(id: string | null): void {
    this.select(id);
  }

  /** Promise of the current graph being drawn (resolves after the classes are applied). */
  whenReady(): Promise<void> {
    return this.graph.whenReady();
  }

  /** Put the keyboard focus on the viewer (the step keys work at once), without scrolling. */
  focus(): void {
    if (!this.destroyed) this.root.focus({ preventScroll: true });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.graph.destroy();
    this.toolbar.stop();
    this.ro?.disconnect();
    this.root.remove();
  }

  // ---------- the position ----------

  private currentStep(): StepDoc | undefined {
    return this.space && this.index >= 0 ? this.space.steps[this.index] : undefined;
  }

  private selectedTask(): TaskDoc | null {
    const step = this.currentStep();
    if (!step || !this.selectedId) return null;
    return step.tasks.find((t) => t.id === this.selectedId) ?? null;
  }

  private notify(): void {
    this.options.onChange?.(this.position);
  }

  /** Run `change` (it redraws part of the viewer); if the focus was inside the viewer and the
   *  element holding it went away or was disabled (the "next" button at the last step, the
   *  "open subgraph" button of a panel redrawn for the subgraph, a breadcrumb), the viewer
   *  takes the focus back, so the step keys keep working. */
  private keepingFocus(change: () => void): void {
    const doc = this.root.ownerDocument;
    const before = doc.activeElement;
    const inside = before !== null && before !== this.root && this.root.contains(before);
    change();
    if (!inside || this.destroyed) return;
    const now = doc.activeElement;
    const lost = now === null || now === doc.body || !this.root.contains(now) || (now as HTMLButtonElement).disabled === true;
    if (lost) this.root.focus({ preventScroll: true });
  }

  /** Show thread `t`, namespace `ns`, at an entry index, else a step number (else the first). */
  private enter(t: ThreadModel | null, ns: string, at: { step?: number; index?: number; task?: string | null }): void {
    this.keepingFocus(() => this.enterNow(t, ns, at));
  }

  private enterNow(t: ThreadModel | null, ns: string, at: { step?: number; index?: number; task?: string | null }): void {
    this.thread = t;
    const space = t ? t.namespace(ns) : null;
    this.space = space;
    this.path = null;
    this.timeline.setSteps(space?.steps ?? [], t);
    this.toolbar.showThread(t, space);
    this.index = -1;
    this.selectedId = null;
    if (space) {
      let i = 0;
      if (at.index !== undefined && at.index >= 0) i = at.index;
      else if (at.step !== undefined) i = space.resolve(at.step);
      this.index = space.clamp(i);
      if (at.task) this.selectedId = at.task;
    }
    const key = space?.key ?? "";
    this.graph.show(key, this.model.doc.graphs?.[key]);
    this.renderStep();
  }

  /** Move to entry i of the current namespace. */
  private go(i: number, user: boolean): void {
    if (!this.space) return;
    const j = this.space.clamp(i);
    const prevName = this.selectedTask()?.name ?? null;
    const moved = j !== this.index;
    this.index = j;
    if (moved) {
      this.graph.stepped();
      // keep following the same node when it runs again
      const step = this.currentStep();
      const same = step?.tasks.find((t) => t.id === this.selectedId);
      this.selectedId = same ? same.id : (step?.tasks.find((t) => t.name === prevName)?.id ?? null);
    }
    this.renderStep();
    if (user && moved) this.notify();
  }

  /** The branch the step keys follow: the one shown, while the entry shown is on it (a step
   *  back onto the entries a fork shares with its parent stays on the fork), else the branch
   *  through the entry shown. The timeline draws the same path. */
  private along(): BranchPath | null {
    const { space, index } = this;
    if (!space || index < 0) return null;
    this.path = space.branchPath(index, this.path);
    return this.path;
  }

  /** The user moved (a step button, a key, the slider: a place on the branch shown): playing
   *  stops. A forked thread is stepped along its current branch, never into another one; the
   *  timeline's branch switch changes branch. */
  private move(to: StepMove): void {
    const path = this.along();
    if (!path) return;
    const i =
      to === "first" ? path.first() : to === "last" ? path.last() : to === "prev" ? path.prev(this.index) : to === "next" ? path.next(this.index) : path.at(to);
    this.toolbar.stop();
    this.go(i, true);
  }

  private select(id: string | null): void {
    this.selectedId = id;
    this.renderStep();
  }

  private pickThread(id: string): void {
    this.toolbar.stop();
    const t = this.model.thread(id);
    this.enter(t, "", { index: t?.namespace("")?.last() ?? 0 });
    this.notify();
  }

  /** The subgraph namespace that node `node` of the namespace shown ran last, up to the entry
   *  shown (else its first run): what "open ›" opens at a step where the node did not run. */
  private lastRunOf(node: string): string | undefined {
    const space = this.space;
    if (!this.thread || !space) return undefined;
    const runs = (this.thread.doc.namespaces ?? []).filter((d) => d.parent_ns === space.ns && d.node === node);
    let best: string | undefined;
    let at = -1;
    for (const d of runs) {
      const i = d.parent_task ? space.indexOfTask(d.parent_task) : -1;
      if (i <= this.index && i >= at) {
        best = d.ns;
        at = i;
      }
    }
    return best ?? runs[0]?.ns;
  }

  private openNamespace(ns: string): void {
    const thread = this.thread;
    if (!thread || !thread.hasNamespace(ns)) return;
    this.toolbar.stop();
    this.enter(thread, ns, { index: 0 });
    this.notify();
  }

  /** Escape or Backspace in a subgraph: back to the namespace that ran it, at its task. */
  private leaveNamespace(): boolean {
    const { thread, space } = this;
    if (!thread || !space || space.ns === "") return false;
    const chain = thread.chain(space.ns);
    if (chain.length < 2) return false;
    this.backTo(chain[chain.length - 2].ns, chain[chain.length - 1].parent_task);
    return true;
  }

  private backTo(ns: string, parentTask: string | null): void {
    const thread = this.thread;
    if (!thread) return;
    this.toolbar.stop();
    const target = thread.namespace(ns);
    const i = parentTask && target ? target.indexOfTask(parentTask) : -1;
    this.enter(thread, ns, { index: i >= 0 ? i : undefined, step: i >= 0 ? undefined : 0, task: i >= 0 ? parentTask : null });
    this.notify();
  }

  // ---------- rendering ----------

  private renderStep(): void {
    this.keepingFocus(() => this.renderStepNow());
  }

  private renderStepNow(): void {
    const { root, space, index } = this;
    const step = this.currentStep();
    const pos = this.position;
    // a new step is read from the top of the panel (its summary, tasks and state diff); the
    // scroll event said whether it is scrolled, so nothing is read from the layout here
    const at = `${pos.thread}\u0000${pos.ns}\u0000${index}`;
    if (at !== this.shownAt) {
      this.shownAt = at;
      if (this.panelScrolled) {
        this.panelScrolled = false;
        this.panel.el.scrollTop = 0;
      }
    }
    // write only what changed: every write invalidates style or layout for the frame
    setAttr(root, "data-step", String(pos.step));
    setAttr(root, "data-index", String(index));
    setAttr(root, "data-thread", pos.thread);
    setAttr(root, "data-ns", pos.ns);
    const active: string[] = [];
    for (const t of step?.tasks ?? []) if (!active.includes(t.name)) active.push(t.name);
    setAttr(root, "data-active", JSON.stringify(active));
    const path = this.along();
    this.toolbar.showStep(space, index, step, path ? { at: path.indexOf(index), length: path.length, path } : undefined);
    const reveal = this.graph.restyle();
    const warnings = this.model.doc.warnings ?? [];
    if (this.thread && space) {
      const graph = this.model.doc.graphs?.[space.key];
      this.panel.update({ thread: this.thread, space, index, step, graph, selected: this.selectedTask(), warnings });
    } else this.panel.showEmpty(warnings);
    this.timeline.render(index, this.selectedId);
    this.graph.reveal(reveal);
  }

  // Called from the ResizeObserver (the layout is fresh there: reading sizes costs nothing),
  // and once at the start. Reads first, then writes.
  private onResize(): void {
    const w = this.root.clientWidth;
    if (w === this.lastWidth) return;
    this.lastWidth = w;
    const tw = this.timeline.el.clientWidth;
    this.root.classList.toggle("pv-narrow", w > 0 && w < 700);
    if (this.ro) this.timeline.setWidth(tw);
    else this.timeline.refresh();
  }

}
