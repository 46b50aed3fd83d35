// The timeline: a Gantt chart with one column per step entry and, inside a column, one lane
// per task and one bar per attempt (retries are separate bars on the same lane, failed ones
// red), with the calls made inside the task (model, tool, chain...) as thin bars within its
// bar, placed by time, one colour per kind. Tasks of one superstep run in parallel, so their
// lanes start together: a bar's length is its duration, against the longest task of the step.
// A step with more tasks than lanes shows them all as a compact stacked band with a count,
// which expands the timeline (its thin lanes draw no calls).
//
// A forked thread is drawn as a tree: the columns are the path of the current entry's branch
// (root to leaf), and where branches leave one checkpoint, the first column after it carries a
// "‹ 1/2 ›" switch to its sibling branches. Only a window of columns around the current entry
// is drawn, so a 10,000-step run costs the same to show as a 10-step one. Moving by one entry
// builds only the column that enters the window; the width comes from the host (setWidth), so
// rendering reads no layout. Clicking a column selects its step, never a task.

import { callTip, callTree, flatten, kindClass, type SubgraphRun, subgraphRuns } from "./calls";
import { h } from "./dom";
import { formatDuration, formatError, formatTime } from "./format";
import { lineage, type ThreadModel } from "./model";
import type { StepDoc, TaskDoc } from "./types";

export interface GanttBar {
  /** 0..1 within the column */
  x0: number;
  x1: number;
  status: string; // attempt status (ok | error | interrupt | ...) or "untimed"
  start: number | null;
  end: number | null;
  attempt: number; // 1-based
  error: string;
}

/** A call made inside the task (calls.ts), placed like the task's bars. */
export interface GanttCall {
  x0: number;
  x1: number;
  kind: string; // model | tool | retriever | chain
  depth: number;
  failed: boolean;
  tip: string;
  /** made inside a subgraph the task ran (an agent as a node), not by the task itself */
  inside: boolean;
}

export interface GanttLane {
  taskId: string;
  name: string;
  status: string;
  bars: GanttBar[];
  /** the calls made inside the task, parents before their children (empty when none) */
  calls: GanttCall[];
}

export interface GanttColumn {
  index: number;
  step: number;
  branch: number;
  /** the step number this entry forks from (the first entry of a later branch), else null */
  forkOf: number | null;
  t0: number | null;
  t1: number | null;
  lanes: GanttLane[];
}

/** The bars of one step entry. Tasks of one superstep run in parallel: each lane starts at 0
 *  and its bars are placed by time from the lane's own start, scaled to the longest lane (the
 *  threads' start-up stagger of microsecond tasks would otherwise draw them one after another).
 *  `forkOf` is the step number of the entry it forks from, when it starts a branch. With the
 *  thread, a task's calls include those made inside the subgraphs it ran, one level deeper. */
export function ganttColumn(step: StepDoc, index: number, forkOf: number | null = null, thread: ThreadModel | null = null): GanttColumn {
  let t0 = Infinity;
  let t1 = -Infinity;
  let longest = 0;
  const spans = (step.tasks ?? []).map((t) => {
    let a0 = Infinity;
    let a1 = -Infinity;
    for (const a of t.attempts ?? []) {
      if (typeof a.start === "number") {
        a0 = Math.min(a0, a.start);
        a1 = Math.max(a1, a.start);
      }
      if (typeof a.end === "number") a1 = Math.max(a1, a.end);
    }
    if (isFinite(a0) && isFinite(a1)) {
      t0 = Math.min(t0, a0);
      t1 = Math.max(t1, a1);
      longest = Math.max(longest, a1 - a0);
      return a0;
    }
    return null;
  });
  const timed = isFinite(t0) && isFinite(t1);
  const lanes: GanttLane[] = (step.tasks ?? []).map((t, k) => {
    const attempts = t.attempts ?? [];
    const from = spans[k];
    const pos = (x: number | null, fallback: number): number => {
      if (from === null || x === null || x === undefined) return fallback;
      return longest > 0 ? Math.max(0, Math.min(1, (x - from) / longest)) : fallback;
    };
    const bars: GanttBar[] = attempts.length
      ? attempts.map((a, i) => ({
          x0: pos(a.start, 0),
          x1: pos(a.end, a.start === null ? 0 : 1),
          status: a.status || "running",
          start: a.start,
          end: a.end,
          attempt: i + 1,
          error: formatError(a.error),
        }))
      : [{ x0: 0, x1: 1, status: "untimed", start: null, end: null, attempt: 0, error: formatError(t.error) }];
    const calls: GanttCall[] = [];
    const place = (list: TaskDoc["calls"], depth: number, where: string): void => {
      for (const n of flatten(callTree(list))) {
        const c = n.call;
        if (typeof c.start !== "number") continue;
        const x0 = pos(c.start, 0);
        calls.push({ x0, x1: Math.max(x0, pos(typeof c.end === "number" ? c.end : null, 1)), kind: kindClass(c.kind), depth: depth + n.depth, failed: c.status === "error", tip: where + callTip(c), inside: depth > 0 });
      }
    };
    const inside = (runs: SubgraphRun[], depth: number, where: string): void => {
      for (const r of runs) {
        for (const it of r.tasks) {
          const at = `${where}subgraph ${r.node} › ${it.task.name} › `;
          place(it.task.calls, depth, at);
          inside(it.runs, depth + 1, at);
        }
      }
    };
    if (from !== null) {
      place(t.calls, 0, "");
      inside(subgraphRuns(t, thread), 1, "");
    }
    return { taskId: t.id, name: t.name, status: t.status, bars, calls };
  });
  return { index, step: step.step, branch: step.branch ?? 0, forkOf, t0: timed ? t0 : null, t1: timed ? t1 : null, lanes };
}

/** The first entry of a window of `size` entries centred on `index` (clamped to the run). */
export function windowStart(index: number, length: number, size: number): number {
  if (length <= size) return 0;
  return Math.max(0, Math.min(length - size, index - Math.floor(size / 2)));
}

export interface TimelineOptions {
  columnWidth?: number;
  maxLanes?: number;
  /** A column (or a branch switch) was clicked: select entry `index`. `taskId` is always null
   *  (kept for hosts that passed a task before): a click selects the step, never a task. */
  onSelect: (index: number, taskId: string | null) => void;
}

/** A column as drawn: its element, its lanes, and what its content depended on. */
interface DrawnColumn {
  el: HTMLElement;
  lanes: HTMLElement[];
  /** the lane cap it was drawn with, or -1 when it showed all its lanes (cap-independent) */
  cap: number;
}

/** Lane height (px) in the normal and the expanded view. */
const LANE_H = 12;
const THIN_H = 6;

export class Timeline {
  readonly el: HTMLElement;
  private readonly cols: HTMLElement;
  private steps: StepDoc[] = [];
  /** the thread the steps are of: a task's call bars include its subgraphs' calls */
  private thread: ThreadModel | null = null;
  private index = -1;
  private selectedTask: string | null = null;
  private readonly colW: number;
  private curW = 64;
  private readonly maxLanes: number;
  /** the width given by the host (ResizeObserver), or null: read clientWidth on each render */
  private width: number | null = null;
  /** the columns on screen, by entry index, in window order */
  private drawnCols = new Map<number, DrawnColumn>();
  private drawnW = -1;
  private drawnLanes = -1;
  private drawnWindow = "";
  private drawnPath: number[] | null = null;
  private drawnExpanded = false;
  /** every task of a wide step drawn as its own thin lane (the band's count toggles it) */
  private expanded = false;
  /** the lineage of a forked thread: parent entry and child entries of each entry */
  private parents: Int32Array | null = null;
  private children: Map<number, number[]> | null = null;
  /** the entries on screen, root to leaf, for a forked thread (null: every entry, in order) */
  private path: number[] | null = null;
  private pathPos: Map<number, number> | null = null;
  /** columns drawn on the last render (tests check it stays small) */
  drawn = 0;

  constructor(private readonly opts: TimelineOptions) {
    this.colW = opts.columnWidth ?? 64;
    this.maxLanes = opts.maxLanes ?? 6;
    this.cols = h("div", { class: "pv-tl-cols" });
    this.el = h("div", { class: "pv-timeline", role: "group", "aria-label": "timeline" }, this.cols);
    this.cols.addEventListener("click", (ev) => {
      const target = ev.target as Element | null;
      const sw = target?.closest?.("[data-switch]");
      if (sw) {
        ev.stopPropagation();
        const to = Number(sw.getAttribute("data-switch"));
        if (to >= 0) this.opts.onSelect(to, null);
        return;
      }
      if (target?.closest?.(".pv-tl-count")) {
        ev.stopPropagation();
        this.expanded = !this.expanded;
        this.refresh();
        return;
      }
      const col = target?.closest?.("[data-index]");
      if (!col) return;
      this.opts.onSelect(Number(col.getAttribute("data-index")), null);
    });
  }

  private isBranched: boolean | null = null;

  /** Whether the entries span more than one branch (a forked thread). */
  private branched(): boolean {
    if (this.isBranched === null) this.isBranched = this.steps.some((s) => (s.branch ?? 0) !== 0);
    return this.isBranched;
  }

  /** Show the entries `steps` (of a namespace of `thread`, which gives the calls made inside
   *  the subgraphs a task ran). */
  setSteps(steps: StepDoc[], thread: ThreadModel | null = null): void {
    this.steps = steps;
    this.thread = thread;
    this.isBranched = null;
    this.index = -1;
    this.parents = null;
    this.children = null;
    this.path = null;
    this.pathPos = null;
    this.drawnCols.clear(); // the next render redraws every column
    if (this.branched()) {
      const parents = lineage(steps);
      const children = new Map<number, number[]>();
      parents.forEach((p, i) => {
        if (p < 0) return;
        const list = children.get(p);
        if (list) list.push(i);
        else children.set(p, [i]);
      });
      this.parents = parents;
      this.children = children;
    }
  }

  /** The width of the timeline in px, as measured by the host (a ResizeObserver callback, where
   *  reading it costs no layout). Once set, rendering never reads the layout. */
  setWidth(width: number): void {
    if (width === this.width) return;
    this.width = width;
    this.refresh();
  }

  /** Whether every task of a wide step is drawn as its own lane. */
  get isExpanded(): boolean {
    return this.expanded;
  }

  /** The entries drawn for a forked thread, root to leaf (null for a thread never forked). */
  get branchPath(): readonly number[] | null {
    return this.path;
  }

  /** The path through entry `index`: its lineage back to the root, then on along its own
   *  branch to that branch's last entry. Kept while the index stays on it. */
  private pathThrough(index: number): void {
    if (!this.parents || !this.children) return;
    if (this.pathPos?.has(index)) return;
    const up: number[] = [];
    const seen = new Set<number>();
    for (let i = index; i >= 0 && !seen.has(i); i = this.parents[i]) {
      seen.add(i);
      up.push(i);
    }
    up.reverse();
    let cur = index;
    for (;;) {
      const kids: number[] = this.children.get(cur) ?? [];
      const branch = this.steps[cur]?.branch ?? 0;
      const next: number | undefined = kids.find((c) => (this.steps[c].branch ?? 0) === branch && !seen.has(c));
      if (next === undefined) break;
      seen.add(next);
      up.push(next);
      cur = next;
    }
    this.path = up;
    this.pathPos = new Map(up.map((e, k) => [e, k]));
  }

  /** For an entry that starts one of several branches leaving one checkpoint: its place among
   *  them (1-based), their number and their first entries; else null. */
  siblings(entry: number): { at: number; of: number; entries: number[] } | null {
    if (!this.parents || !this.children) return null;
    const p = this.parents[entry];
    const kids = p >= 0 ? (this.children.get(p) ?? []) : [];
    if (kids.length < 2) return null;
    return { at: kids.indexOf(entry) + 1, of: kids.length, entries: kids };
  }

  /** Draw the window around entry `index`. Columns already on screen are kept (only the
   *  current-column and selected-lane classes move); columns entering the window are built. */
  render(index: number, selectedTask: string | null = null): void {
    const prevIndex = this.index;
    const prevSelected = this.selectedTask;
    this.index = index;
    this.selectedTask = selectedTask;
    if (this.parents) this.pathThrough(index);
    const path = this.path;
    const length = path ? path.length : this.steps.length;
    const at = path ? (this.pathPos?.get(index) ?? 0) : index;
    const entry = (k: number): number => (path ? path[k] : k);
    const width = (this.width ?? this.el.clientWidth) || 800;
    // few entries: wider columns fill the width (up to 3× the base width)
    const colW = Math.max(this.colW, Math.min(this.colW * 3, Math.floor(width / Math.max(1, length))));
    this.curW = colW;
    const size = Math.max(3, Math.floor(width / colW));
    const start = windowStart(at, length, size);
    const end = Math.min(length, start + size);
    let most = 1;
    for (let k = start; k < end; k++) most = Math.max(most, this.steps[entry(k)].tasks?.length ?? 0);
    const lanes = this.expanded ? most : Math.min(this.maxLanes, most);
    const laneH = this.expanded && most > this.maxLanes ? THIN_H : LANE_H;
    const old = this.drawnCols;
    const fresh = new Map<number, DrawnColumn>();
    if (colW !== this.drawnW || !old.size || path !== this.drawnPath || this.expanded !== this.drawnExpanded) {
      // everything changes (first render, new steps, new width, another branch): build it all
      const frag = document.createDocumentFragment();
      for (let k = start; k < end; k++) {
        const i = entry(k);
        const d = this.column(this.gantt(i), lanes, laneH);
        fresh.set(i, d);
        frag.appendChild(d.el);
      }
      this.cols.replaceChildren(frag);
    } else {
      const inWindow = new Set<number>();
      for (let k = start; k < end; k++) inWindow.add(entry(k));
      for (const [i, d] of old) if (!inWindow.has(i)) d.el.remove();
      // what is left is a run of the new window, in order: walk it, building what is missing
      let cursor = this.cols.firstElementChild;
      for (let k = start; k < end; k++) {
        const i = entry(k);
        const d = old.get(i);
        const count = this.steps[i].tasks?.length ?? 0;
        if (d && d.cap === (count > lanes ? lanes : -1)) {
          if (i === prevIndex || i === index) d.el.classList.toggle("pv-current", i === index);
          if (prevSelected !== selectedTask) {
            for (const lane of d.lanes) {
              const id = lane.getAttribute("data-task");
              if (id === prevSelected || id === selectedTask) lane.classList.toggle("pv-selected", id === selectedTask);
            }
          }
          fresh.set(i, d);
          cursor = d.el.nextElementSibling;
          continue;
        }
        const nd = this.column(this.gantt(i), lanes, laneH);
        fresh.set(i, nd);
        if (d) {
          this.cols.replaceChild(nd.el, d.el);
          cursor = nd.el.nextElementSibling;
        } else this.cols.insertBefore(nd.el, cursor);
      }
    }
    this.drawnCols = fresh;
    this.drawnW = colW;
    this.drawnPath = path;
    this.drawnExpanded = this.expanded;
    if (lanes !== this.drawnLanes) {
      this.cols.style.setProperty("--pv-lanes", String(lanes));
      this.drawnLanes = lanes;
    }
    this.cols.style.setProperty("--pv-lane-h", `${laneH}px`);
    this.el.classList.toggle("pv-tl-expanded", this.expanded);
    this.drawn = end - start;
    const win = `${start}-${end - 1}`;
    if (win !== this.drawnWindow) {
      this.el.setAttribute("data-window", win);
      this.drawnWindow = win;
    }
  }

  refresh(): void {
    if (this.index >= 0) this.render(this.index, this.selectedTask);
  }

  private gantt(i: number): GanttColumn {
    const s = this.steps[i];
    const from = typeof s.fork_of === "number" ? this.steps[s.fork_of] : undefined;
    return ganttColumn(s, i, from ? from.step : null, this.thread);
  }

  private column(c: GanttColumn, lanes: number, laneH: number): DrawnColumn {
    const cur = c.index === this.index;
    const branched = this.branched();
    const fork = c.forkOf !== null ? ` · fork of step ${c.forkOf}` : "";
    const sib = branched ? this.siblings(c.index) : null;
    const leaving = branched ? (this.children?.get(c.index)?.length ?? 0) : 0;
    const n = c.lanes.length;
    const col = h("div", {
      class: `pv-tl-col${cur ? " pv-current" : ""}${branched ? ` pv-branch pv-branch-${c.branch % 6}` : ""}${c.forkOf !== null ? " pv-fork" : ""}${leaving > 1 ? " pv-tl-branch-point" : ""}`,
      "data-index": c.index,
      "data-branch": c.branch,
      title: `${c.step < 0 ? "the input" : `step ${c.step}`}${branched ? ` · branch ${c.branch + 1}${fork}` : ""}${leaving > 1 ? ` · ${leaving} branches leave here` : ""}${c.t0 !== null && c.t1 !== null ? ` · ${formatDuration(c.t1 - c.t0)}` : ""} · ${n} task${n === 1 ? "" : "s"}${n > 1 ? " in parallel" : ""}`,
      style: `width:${this.curW}px`,
    });
    const head = h("div", { class: "pv-tl-head" });
    if (sib) {
      const prev = sib.entries[sib.at - 2] ?? -1;
      const next = sib.entries[sib.at] ?? -1;
      const arrow = (text: string, to: number, what: string): HTMLElement => {
        const b = h("button", { type: "button", class: "pv-tl-switch-btn", "data-switch": to, title: what, "aria-label": what }, text);
        (b as HTMLButtonElement).disabled = to < 0;
        return b;
      };
      head.appendChild(
        h(
          "span",
          { class: "pv-tl-switch", "data-branches": `${sib.at}/${sib.of}` },
          arrow("‹", prev, "the previous branch from this checkpoint"),
          h("span", { class: "pv-tl-switch-at" }, `${sib.at}/${sib.of}`),
          arrow("›", next, "the next branch from this checkpoint"),
        ),
      );
    }
    // LangGraph numbers the input's entry -1; the toolbar and the panel call it the input
    head.appendChild(h("span", { class: "pv-tl-step" }, c.step < 0 ? "input" : String(c.step)));
    col.appendChild(head);
    const body = h("div", { class: "pv-tl-body" });
    const rows: HTMLElement[] = [];
    // more tasks than lanes: every task as a thin lane of a stacked band (the count expands it)
    const band = n > lanes;
    const rowH = band ? (lanes * LANE_H) / n : laneH;
    c.lanes.forEach((lane, li) => {
      const row = h("div", {
        class: `pv-tl-lane${band ? " pv-tl-thin" : ""}${lane.taskId === this.selectedTask ? " pv-selected" : ""}`,
        "data-task": lane.taskId,
        style: band || laneH !== LANE_H ? `top:${(li * rowH).toFixed(2)}px;height:${Math.max(1, rowH - (band ? 0.25 : 1)).toFixed(2)}px` : `top:${li * LANE_H}px`,
      });
      for (const b of lane.bars) {
        const x0 = b.x0 * 100;
        const w = Math.max(0, (b.x1 - b.x0) * 100);
        const tip =
          b.status === "untimed"
            ? `${lane.name}: no timing recorded`
            : `${lane.name} attempt ${b.attempt}: ${b.status} ${formatTime(b.start)} → ${formatTime(b.end)} (${formatDuration(
                b.start !== null && b.end !== null ? b.end - b.start : null,
              )})${b.error ? ` ${b.error}` : ""}`;
        row.appendChild(
          h("div", {
            class: `pv-tl-bar pv-bar-${b.status}`,
            style: `left:${x0.toFixed(2)}%;width:calc(${w.toFixed(2)}% + 2px)`,
            title: tip,
          }),
        );
      }
      // the calls inside the task: thin bars within its bar (not in a band of thin lanes)
      if (!band && lane.calls.length) {
        row.classList.add("pv-tl-has-calls");
        for (const k of lane.calls) {
          row.appendChild(
            h("div", {
              class: `pv-tl-call pv-tl-call-${k.kind}${k.depth ? " pv-tl-call-nested" : ""}${k.inside ? " pv-tl-call-inside" : ""}${k.failed ? " pv-tl-call-failed" : ""}`,
              style: `left:${(k.x0 * 100).toFixed(2)}%;width:calc(${Math.max(0, (k.x1 - k.x0) * 100).toFixed(2)}% + 1px)`,
              title: `${lane.name} › ${k.tip}`,
            }),
          );
        }
      }
      body.appendChild(row);
      rows.push(row);
    });
    if (n > this.maxLanes) {
      const what = this.expanded ? `show the ${n} tasks as one band` : `show each of the ${n} tasks`;
      body.appendChild(
        h("button", { type: "button", class: "pv-tl-count", title: what, "aria-label": what, "aria-expanded": this.expanded ? "true" : "false" }, `×${n} ${this.expanded ? "▴" : "▾"}`),
      );
    }
    col.appendChild(body);
    return { el: col, lanes: rows, cap: band ? lanes : -1 };
  }
}
