// The viewer core: one payload, one root element. Hosts (anywidget, standalone HTML, later the
// JupyterLab extension) create it with a layout function and sync its position.
//
// Per step the work is bounded by the size of that step (its tasks, the graph's nodes and
// edges, the state's keys and a window of timeline columns), never by the number of steps.
// A step switch only writes to the DOM: no layout is read while it renders (sizes come from a
// ResizeObserver, node boxes are measured once per graph and pane size), so the browser lays
// the page out once, for the frame. Scrolling a node into view is the one write that needs the
// layout, and it comes last.

import { fill, h } from "./dom";
import { makeIcon } from "./icons";
import { formatError } from "./format";
import { GraphPicture, type LayoutFn } from "./graph";
import { sanitizeSvg, stripDotLinks } from "./sanitize";
import { type NamespaceModel, PayloadModel, type ThreadModel, type Values } from "./model";
import { SidePanel } from "./panel";
import { Timeline } from "./timeline";
import type { Payload, Position, StepDoc, TaskDoc } from "./types";

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
}

export interface Viewer {
  readonly root: HTMLElement;
  readonly position: Position;
  setStep(n: number): void;
  setThread(id: string): void;
  setNs(ns: string): void;
  /** Move to a position (any subset); returns the position actually shown. */
  setPosition(p: Partial<Position>): Position;
  /** Replace the document (a live run grew), keeping the position where possible; with
   *  `follow`, a view that showed the last entry moves to the new last entry. */
  setPayload(p: Payload, opts?: { follow?: boolean | "always" }): void;
  /** Nodes to mark as breakpoints: a list (before), or before and after lists. */
  setBreakpoints(bp: string[] | { before?: string[]; after?: string[] }): void;
  /** What is shown: the entry, its full state (this namespace) and whether it is the last. */
  current(): CurrentView;
  /** Select a task of the current step by id (null clears). */
  selectTask(id: string | null): void;
  /** Promise of the current graph being drawn (resolves after the classes are applied). */
  whenReady(): Promise<void>;
  destroy(): void;
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

const SPEEDS = [0.5, 1, 2, 4];
/** Steps closer together than this (ms) are "fast stepping": no colour transitions then. */
const FAST_STEPPING_MS = 250;

/** A node's box, relative to the graph pane's scrolled content (so it holds whatever the
 *  scroll position), in CSS px. */
interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}


interface Cached {
  promise: Promise<GraphPicture>;
  picture: GraphPicture | null;
  error: Error | null;
}

export function createViewer(host: HTMLElement, payload: Payload, options: ViewerOptions): Viewer {
  let model = new PayloadModel(payload);
  let thread: ThreadModel | null = null;
  let space: NamespaceModel | null = null;
  let index = -1;
  let selectedId: string | null = null;
  let playing = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let speed = 1;
  let layouts = 0;
  let destroyed = false;
  let ready: Promise<void> = Promise.resolve();
  const pictures = new Map<string, Cached>();
  let picture: GraphPicture | null = null;
  let pictureKey = "";
  let breakpoints: { before: string[]; after: string[] } = { before: [], after: [] };
  // revealNode's geometry, measured lazily and dropped when the pane is resized or the graph
  // changes (only with a ResizeObserver to tell; without one, every reveal measures)
  let paneSize: { width: number; height: number } | null = null;
  let paneScroll: { top: number; left: number } | null = null;
  const nodeBoxes = new Map<string, Box | null>(); // null: not rendered (no box)
  let lastStepAt = -Infinity;
  let fastTimer: ReturnType<typeof setTimeout> | null = null;
  let ro: ResizeObserver | null = null; // set up with the event handlers, below

  // ---------- DOM ----------
  const root = h("div", { class: "pregel-viewer", tabindex: 0, role: "application", "aria-label": "LangGraph run viewer", "data-layouts": 0 });
  const btn = (cls: string, icon: string, title: string): HTMLButtonElement =>
    h("button", { type: "button", class: `pv-button pv-icon-button ${cls}`, title, "aria-label": title }, makeIcon(icon));
  const bFirst = btn("pv-first", "first", "first step (Home)");
  const bPrev = btn("pv-prev", "prev", "previous step (←)");
  const bPlay = btn("pv-play", "play", "play");
  const bNext = btn("pv-next-btn", "next", "next step (→)");
  const bLast = btn("pv-last", "last", "last step (End)");
  const speedSel = h(
    "select",
    { class: "pv-speed", title: "play speed", "aria-label": "play speed" },
    SPEEDS.map((x) => h("option", { value: x }, `${x}×`)),
  );
  speedSel.value = "1";
  const label = h("span", { class: "pv-step-label", "aria-live": "polite" });
  const slider = h("input", { type: "range", class: "pv-slider", min: 0, max: 0, step: 1, value: 0, "aria-label": "step" });
  const threadSel = h("select", { class: "pv-thread", title: "thread", "aria-label": "thread" });
  const threadBox = h("label", { class: "pv-thread-box" }, h("span", { class: "pv-muted" }, "thread "), threadSel);
  const outcome = h("span", { class: "pv-outcome-chip" });
  const crumbs = h("nav", { class: "pv-breadcrumb", "aria-label": "namespace" });
  const toolbar = h(
    "div",
    { class: "pv-toolbar" },
    h("div", { class: "pv-controls" }, bFirst, bPrev, bPlay, bNext, bLast, speedSel),
    label,
    slider,
    threadBox,
    outcome,
    crumbs,
  );
  const graphNote = h("div", { class: "pv-graph-note" });
  const graphHolder = h("div", { class: "pv-graph-holder" });
  const graphPane = h("div", { class: "pv-graph" }, graphNote, graphHolder);
  const panel = new SidePanel({
    selectTask: (id) => select(id),
    openNamespace: (ns) => openNamespace(ns),
  });
  const timeline = new Timeline({
    onSelect: (i, taskId) => {
      stop();
      go(i, true);
      if (taskId) select(taskId);
    },
  });
  root.append(toolbar, h("div", { class: "pv-main" }, graphPane, panel.el), timeline.el);
  host.appendChild(root);

  // ---------- helpers ----------
  const currentStep = (): StepDoc | undefined => (space && index >= 0 ? space.steps[index] : undefined);
  const position = (): Position => ({
    step: currentStep()?.step ?? 0,
    thread: thread?.id ?? "",
    ns: space?.ns ?? "",
  });
  const notify = (): void => {
    options.onChange?.(position());
  };

  function rebuildThreads(): void {
    fill(
      threadSel,
      model.threads.map((t) => h("option", { value: t.id }, `${t.id} (${t.doc.outcome?.status ?? "?"})`)),
    );
    threadBox.hidden = model.threads.length < 2;
  }

  function renderOutcome(): void {
    const o = thread?.doc.outcome;
    if (!o) {
      fill(outcome);
      return;
    }
    const status = String(o.status ?? "");
    outcome.className = `pv-outcome-chip pv-chip pv-status-${status.replace(/[^a-z_-]/gi, "")}`;
    let text = status;
    if (o.error) text += `: ${formatError(o.error)}`;
    else if (o.interrupts?.length) text += ` (${o.interrupts.length} interrupt${o.interrupts.length > 1 ? "s" : ""})`;
    outcome.textContent = text;
    outcome.title = text;
  }

  function renderCrumbs(): void {
    if (!thread || !space) {
      fill(crumbs);
      return;
    }
    const chain = thread.chain(space.ns);
    const parts: (HTMLElement | string)[] = [];
    chain.forEach((doc, i) => {
      const name = i === 0 && doc.ns === "" ? "root" : doc.node || doc.ns;
      const isLast = i === chain.length - 1;
      if (i) parts.push(h("span", { class: "pv-crumb-sep" }, "›"));
      if (isLast) parts.push(h("span", { class: "pv-crumb pv-crumb-current", title: doc.ns }, name));
      else {
        const b = h("button", { type: "button", class: "pv-crumb", title: doc.ns || "root", "data-ns": doc.ns }, name);
        const child = chain[i + 1];
        b.addEventListener("click", () => backTo(doc.ns, child.parent_task));
        parts.push(b);
      }
    });
    fill(crumbs, parts);
    crumbs.hidden = chain.length < 2;
  }

  // ---------- graph ----------
  function cached(key: string): Cached | null {
    const view = model.doc.graphs?.[key];
    if (!view || !view.dot) return null;
    const id = `${key}\u0000${view.dot}`;
    let c = pictures.get(id);
    if (!c) {
      layouts++;
      root.setAttribute("data-layouts", String(layouts));
      const entry: Cached = { promise: Promise.resolve().then(() => options.layout(stripDotLinks(view.dot))).then(
        (svgText) => {
          const p = new GraphPicture(sanitizeSvg(svgText, host.ownerDocument), view);
          entry.picture = p;
          return p;
        },
      ), picture: null, error: null };
      entry.promise = entry.promise.catch((e: unknown) => {
        entry.error = e instanceof Error ? e : new Error(String(e));
        throw entry.error;
      });
      entry.promise.catch(() => undefined); // handled where it is awaited
      c = entry;
      pictures.set(id, c);
    }
    return c;
  }

  function showGraph(): void {
    const key = space?.key ?? "";
    const view = model.doc.graphs?.[key];
    const notes: string[] = [];
    if (!view) notes.push(`No graph recorded for "${key || "root"}".`);
    else if (view.error) notes.push(`Graph structure incomplete: ${view.error}`);
    fill(graphNote, notes.map((n) => h("div", null, n)));
    forgetGeometry(); // the note above the graph may have changed height
    const c = cached(key);
    const id = view ? `${key}\u0000${view.dot}` : "";
    if (id === pictureKey && picture) return;
    picture = null;
    pictureKey = id;
    if (!c) {
      fill(graphHolder, h("div", { class: "pv-muted" }, "no graph to draw"));
      root.setAttribute("data-ready", "1");
      ready = Promise.resolve();
      return;
    }
    if (c.picture) {
      attach(c.picture);
      ready = Promise.resolve();
      return;
    }
    if (c.error) {
      layoutFailed(c.error);
      ready = Promise.resolve();
      return;
    }
    fill(graphHolder, h("div", { class: "pv-muted pv-loading" }, "laying out the graph…"));
    ready = c.promise.then(
      (p) => {
        if (!destroyed && pictureKey === id) attach(p);
      },
      (e: Error) => {
        if (!destroyed && pictureKey === id) layoutFailed(e);
      },
    );
  }

  function attach(p: GraphPicture): void {
    picture = p;
    fill(graphHolder, p.svg);
    forgetGeometry();
    const vb = p.svg.getAttribute("viewBox")?.split(/[\s,]+/).map(Number);
    if (vb && vb.length === 4 && isFinite(vb[2])) p.svg.style.width = `${Math.ceil(vb[2] * 1.25)}px`;
    revealNode(restyleGraph());
    root.setAttribute("data-ready", "1");
  }

  function layoutFailed(e: Error): void {
    fill(graphHolder, h("div", { class: "pv-error-text" }, `Graph layout failed: ${e.message}`));
    root.setAttribute("data-ready", "1");
  }

  /** Restyle the graph for the current step; returns the node to keep in view. */
  function restyleGraph(): string | undefined {
    if (!picture) return undefined;
    const style = picture.apply(currentStep());
    picture.setBreakpoints(breakpoints.before, breakpoints.after);
    picture.setSelected(selectedTask()?.name ?? null);
    return style.active[0];
  }

  function forgetGeometry(): void {
    paneSize = null;
    paneScroll = null;
    nodeBoxes.clear();
  }

  /** Measure the pane, its scroll position and the boxes of `names` (one layout, if the DOM
   *  changed since the last one; nodes never move once laid out). False: nothing to measure
   *  (no graph, or the pane is not rendered). */
  function measureGeometry(names: Iterable<string>): boolean {
    if (!picture || !graphPane.getBoundingClientRect) return false;
    const pane = graphPane.getBoundingClientRect();
    if (!pane.height) return false;
    paneSize = { width: pane.width, height: pane.height };
    paneScroll = { top: graphPane.scrollTop, left: graphPane.scrollLeft };
    for (const name of names) {
      const g = picture.nodes.get(name) as Element | undefined;
      if (!g?.getBoundingClientRect) continue;
      const r = g.getBoundingClientRect();
      nodeBoxes.set(name, r.height ? { top: r.top - pane.top + paneScroll.top, left: r.left - pane.left + paneScroll.left, width: r.width, height: r.height } : null);
    }
    return true;
  }

  /** Keep the first active node in view when the graph is larger than its pane (scrolls the
   *  pane only, never the page). Reads no layout when the boxes are known (measured all at
   *  once, see `measureGeometry`) and the node is in view; call it after every other DOM
   *  write of the step. */
  function revealNode(name: string | undefined): void {
    if (!name || !picture?.nodes.has(name)) return;
    if (!ro) nodeBoxes.clear(); // nothing tells when the pane is resized: always measure
    if (!nodeBoxes.has(name) || !paneSize || !paneScroll) {
      nodeBoxes.clear();
      if (!measureGeometry(ro ? picture.nodes.keys() : [name])) return;
    }
    const box = nodeBoxes.get(name);
    if (!box || !paneSize || !paneScroll) return;
    const top = box.top - paneScroll.top; // from the pane's top edge
    const left = box.left - paneScroll.left;
    let moved = false;
    if (top < 0 || top + box.height > paneSize.height) {
      graphPane.scrollTop = paneScroll.top + top - (paneSize.height - box.height) / 2;
      moved = true;
    }
    if (left < 0 || left + box.width > paneSize.width) {
      graphPane.scrollLeft = paneScroll.left + left - (paneSize.width - box.width) / 2;
      moved = true;
    }
    // the browser clamps: read back what it did (the layout is fresh after the write)
    if (moved) paneScroll = { top: graphPane.scrollTop, left: graphPane.scrollLeft };
  }

  // ---------- step rendering ----------
  function selectedTask(): TaskDoc | null {
    const step = currentStep();
    if (!step || !selectedId) return null;
    return step.tasks.find((t) => t.id === selectedId) ?? null;
  }

  function renderStep(): void {
    const step = currentStep();
    const n = space?.length ?? 0;
    const pos = position();
    // write only what changed: every write invalidates style or layout for the frame
    const attr = (el: Element, name: string, value: string): void => {
      if (el.getAttribute(name) !== value) el.setAttribute(name, value);
    };
    const prop = <T extends object, K extends keyof T>(el: T, name: K, value: T[K]): void => {
      if (el[name] !== value) el[name] = value;
    };
    attr(root, "data-step", String(pos.step));
    attr(root, "data-index", String(index));
    attr(root, "data-thread", pos.thread);
    attr(root, "data-ns", pos.ns);
    const active: string[] = [];
    for (const t of step?.tasks ?? []) if (!active.includes(t.name)) active.push(t.name);
    attr(root, "data-active", JSON.stringify(active));
    const branch = step && (step.branch ?? 0) > 0 ? ` · branch ${step.branch}` : "";
    prop(label, "textContent", step ? `step ${step.step} of ${space?.maxStep ?? 0}${branch}` : "no steps");
    prop(label, "title", step ? `entry ${index + 1} of ${n}${step.source && step.source !== "loop" ? ` (${step.source})` : ""}` : "");
    prop(slider, "max", String(Math.max(0, n - 1))); // before the value, which it clamps
    prop(slider, "value", String(Math.max(0, index)));
    prop(slider, "disabled", n < 2);
    for (const b of [bFirst, bPrev]) prop(b, "disabled", index <= 0);
    for (const b of [bNext, bLast]) prop(b, "disabled", index >= n - 1);
    prop(bPlay, "disabled", n < 2);
    const reveal = restyleGraph();
    if (thread && space) {
      panel.update({
        thread,
        space,
        index,
        step,
        graph: model.doc.graphs?.[space.key],
        selected: selectedTask(),
        warnings: model.doc.warnings ?? [],
      });
    } else panel.showEmpty(model.doc.warnings ?? []);
    timeline.render(index, selectedId);
    revealNode(reveal);
  }

  /** Steps in quick succession (key repeat, fast play, a dragged slider) turn the colour
   *  transitions off (pv-fast), so the graph is not repainted for fades between frames. */
  function markStepping(): void {
    const now = Date.now();
    if (now - lastStepAt < FAST_STEPPING_MS) root.classList.add("pv-fast");
    lastStepAt = now;
    if (fastTimer !== null) clearTimeout(fastTimer);
    fastTimer = setTimeout(() => {
      fastTimer = null;
      root.classList.remove("pv-fast");
    }, FAST_STEPPING_MS);
  }

  /** Move to entry i of the current namespace. */
  function go(i: number, user: boolean): void {
    if (!space) return;
    const j = space.clamp(i);
    const prevName = selectedTask()?.name ?? null;
    const moved = j !== index;
    index = j;
    if (moved) {
      markStepping();
      // keep following the same node when it runs again
      const step = currentStep();
      const same = step?.tasks.find((t) => t.id === selectedId);
      selectedId = same ? same.id : (step?.tasks.find((t) => t.name === prevName)?.id ?? null);
    }
    renderStep();
    if (user && moved) notify();
  }

  function enter(t: ThreadModel | null, ns: string, at: { step?: number; index?: number; task?: string | null }): void {
    thread = t;
    space = t ? t.namespace(ns) : null;
    timeline.setSteps(space?.steps ?? []);
    renderOutcome();
    renderCrumbs();
    threadSel.value = t?.id ?? "";
    index = -1;
    selectedId = null;
    if (space) {
      let i = 0;
      if (at.index !== undefined && at.index >= 0) i = at.index;
      else if (at.step !== undefined) i = space.resolve(at.step);
      index = space.clamp(i);
      if (at.task) selectedId = at.task;
    }
    showGraph();
    renderStep();
  }

  function select(id: string | null): void {
    selectedId = id;
    renderStep();
  }

  function openNamespace(ns: string): void {
    if (!thread || !thread.hasNamespace(ns)) return;
    stop();
    enter(thread, ns, { index: 0 });
    notify();
  }

  function backTo(ns: string, parentTask: string | null): void {
    if (!thread) return;
    stop();
    const target = thread.namespace(ns);
    const i = parentTask && target ? target.indexOfTask(parentTask) : -1;
    enter(thread, ns, { index: i >= 0 ? i : undefined, step: i >= 0 ? undefined : 0, task: i >= 0 ? parentTask : null });
    notify();
  }

  function tasksOfNode(name: string): TaskDoc[] {
    return (currentStep()?.tasks ?? []).filter((t) => t.name === name);
  }

  // ---------- play ----------
  function stop(): void {
    playing = false;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    fill(bPlay, makeIcon("play"));
    bPlay.title = "play";
    bPlay.setAttribute("aria-label", "play");
    root.classList.remove("pv-playing");
  }

  function tick(): void {
    timer = null;
    if (!playing || !space) return;
    if (index >= space.length - 1) {
      stop();
      return;
    }
    go(index + 1, true);
    if (index >= space.length - 1) stop();
    else schedule();
  }

  function schedule(): void {
    timer = setTimeout(tick, (options.playInterval ?? 800) / speed);
  }

  function play(): void {
    if (!space || space.length < 2) return;
    if (index >= space.length - 1) go(0, true);
    playing = true;
    fill(bPlay, makeIcon("pause"));
    bPlay.title = "pause";
    bPlay.setAttribute("aria-label", "pause");
    root.classList.add("pv-playing");
    schedule();
  }

  // ---------- events ----------
  const userGo = (i: number): void => {
    stop();
    go(i, true);
  };
  bFirst.addEventListener("click", () => space && userGo(space.first()));
  bPrev.addEventListener("click", () => userGo(index - 1));
  bNext.addEventListener("click", () => userGo(index + 1));
  bLast.addEventListener("click", () => space && userGo(space.last()));
  bPlay.addEventListener("click", () => (playing ? stop() : play()));
  speedSel.addEventListener("change", () => {
    speed = Number(speedSel.value) || 1;
    if (playing) {
      if (timer !== null) clearTimeout(timer);
      schedule();
    }
  });
  slider.addEventListener("input", () => userGo(Number(slider.value)));
  threadSel.addEventListener("change", () => {
    stop();
    const t = model.thread(threadSel.value);
    enter(t, "", { index: t?.namespace("")?.last() ?? 0 });
    notify();
  });
  root.addEventListener("keydown", (ev: KeyboardEvent) => {
    const tag = (ev.target as Element | null)?.tagName?.toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    let handled = true;
    if (ev.key === "ArrowLeft") userGo(index - 1);
    else if (ev.key === "ArrowRight") userGo(index + 1);
    else if (ev.key === "Home") space && userGo(space.first());
    else if (ev.key === "End") space && userGo(space.last());
    else handled = false;
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  });
  graphHolder.addEventListener("click", (ev) => {
    const name = picture?.nodeNameAt(ev.target);
    if (!name) return;
    const tasks = tasksOfNode(name);
    // repeated clicks cycle through a node's parallel tasks (Sends)
    const at = tasks.findIndex((t) => t.id === selectedId);
    if (tasks.length) select(tasks[(at + 1) % tasks.length].id);
    else select(null);
    options.onNodeClick?.(name, ev);
  });
  graphHolder.addEventListener("dblclick", (ev) => {
    const name = picture?.nodeNameAt(ev.target);
    if (!name || !thread) return;
    for (const t of tasksOfNode(name)) {
      const ns = (t.subgraphs ?? []).find((x) => thread!.hasNamespace(x));
      if (ns) {
        openNamespace(ns);
        return;
      }
    }
  });

  let lastWidth = -1;
  // Called from the ResizeObserver (the layout is fresh there: reading sizes costs nothing),
  // and once at the start. Reads first, then writes.
  const onResize = (): void => {
    const w = root.clientWidth;
    if (w === lastWidth) return;
    lastWidth = w;
    const tw = timeline.el.clientWidth;
    root.classList.toggle("pv-narrow", w > 0 && w < 700);
    if (ro) timeline.setWidth(tw);
    else timeline.refresh();
  };
  if (typeof ResizeObserver !== "undefined") {
    ro = new ResizeObserver((entries) => {
      if (entries.some((e) => e.target === graphPane)) {
        // measure now, while the layout is fresh, rather than during the next step
        forgetGeometry();
        if (picture) measureGeometry(picture.nodes.keys());
      }
      onResize();
    });
    ro.observe(root);
    ro.observe(graphPane);
  }
  // the user scrolls the graph: note where to (the layout is fresh when scroll events fire)
  graphPane.addEventListener(
    "scroll",
    () => {
      if (paneScroll) paneScroll = { top: graphPane.scrollTop, left: graphPane.scrollLeft };
    },
    { passive: true },
  );

  // ---------- start ----------
  rebuildThreads();
  enter(model.thread(options.thread ?? ""), options.ns ?? "", { step: options.step });
  onResize();

  const api: Viewer = {
    root,
    get position() {
      return position();
    },
    setStep(n: number) {
      api.setPosition({ step: n });
    },
    setThread(id: string) {
      api.setPosition({ thread: id });
    },
    setNs(ns: string) {
      api.setPosition({ ns });
    },
    setPosition(p: Partial<Position>) {
      if (destroyed) return position();
      const t = p.thread !== undefined ? model.thread(p.thread) : thread;
      const wantNs = p.ns !== undefined ? p.ns : t === thread ? (space?.ns ?? "") : "";
      const ns = t && t.hasNamespace(wantNs) ? wantNs : "";
      if (t !== thread || ns !== (space?.ns ?? "")) {
        stop();
        enter(t, ns, { step: p.step, index: p.step === undefined ? (t === thread ? undefined : t?.namespace(ns)?.last()) : undefined });
      } else if (p.step !== undefined && space && currentStep()?.step !== p.step) {
        go(space.resolve(p.step), false);
      }
      return position();
    },
    setPayload(p: Payload, opts: { follow?: boolean | "always" } = {}) {
      const pos = position();
      const wasLast = !space || index >= space.length - 1;
      const i = index;
      const sel = selectedId;
      model = new PayloadModel(p);
      rebuildThreads();
      const t = model.thread(pos.thread);
      const same = t !== null && t.id === pos.thread;
      const ns = t && t.hasNamespace(pos.ns) ? pos.ns : "";
      const follow = (opts.follow === "always" || (opts.follow === true && wasLast)) && t !== null;
      enter(t, ns, {
        index: follow ? t.namespace(ns)?.last() : same ? i : undefined,
        step: pos.step,
      });
      if (sel && currentStep()?.tasks.some((x) => x.id === sel)) select(sel);
      if (follow && position().step !== pos.step) notify();
    },
    setBreakpoints(bp: string[] | { before?: string[]; after?: string[] }) {
      breakpoints = Array.isArray(bp) ? { before: [...bp], after: [] } : { before: [...(bp.before ?? [])], after: [...(bp.after ?? [])] };
      revealNode(restyleGraph());
    },
    current(): CurrentView {
      const view = space ? model.doc.graphs?.[space.key] : undefined;
      return {
        position: position(),
        index,
        step: currentStep(),
        state: space && index >= 0 ? space.stateAt(index) : {},
        isLast: !space || index >= space.length - 1,
        nodes: (view?.nodes ?? []).map((n) => n.name).filter((n) => !n.startsWith("__")),
      };
    },
    selectTask(id: string | null) {
      select(id);
    },
    whenReady() {
      return ready;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      stop();
      if (fastTimer !== null) clearTimeout(fastTimer);
      ro?.disconnect();
      root.remove();
    },
  };
  return api;
}
