// The timeline: a Gantt chart with one column per step entry and, inside a column, one lane
// per task and one bar per attempt (retries are separate bars on the same lane, failed ones
// red). Only a window of columns around the current entry is drawn, so a 10,000-step run
// costs the same to show as a 10-step one. Moving by one entry builds only the column that
// enters the window; the width comes from the host (setWidth), so rendering reads no layout.

import { h } from "./dom";
import { formatDuration, formatError, formatTime } from "./format";
import type { StepDoc } from "./types";

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

export interface GanttLane {
  taskId: string;
  name: string;
  status: string;
  bars: GanttBar[];
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

/** The bars of one step entry, positioned within the entry's own time span. `forkOf` is the
 *  step number of the entry it forks from, when it starts a branch. */
export function ganttColumn(step: StepDoc, index: number, forkOf: number | null = null): GanttColumn {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of step.tasks ?? []) {
    for (const a of t.attempts ?? []) {
      if (typeof a.start === "number") t0 = Math.min(t0, a.start);
      if (typeof a.end === "number") t1 = Math.max(t1, a.end);
      if (typeof a.start === "number") t1 = Math.max(t1, a.start);
    }
  }
  const timed = isFinite(t0) && isFinite(t1);
  const span = timed && t1 > t0 ? t1 - t0 : 0;
  const pos = (t: number | null, fallback: number): number => {
    if (!timed || t === null || t === undefined) return fallback;
    return span > 0 ? Math.max(0, Math.min(1, (t - t0) / span)) : fallback;
  };
  const lanes: GanttLane[] = (step.tasks ?? []).map((t) => {
    const attempts = t.attempts ?? [];
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
    return { taskId: t.id, name: t.name, status: t.status, bars };
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
  onSelect: (index: number, taskId: string | null) => void;
}

/** A column as drawn: its element, its lanes, and what its content depended on. */
interface DrawnColumn {
  el: HTMLElement;
  lanes: HTMLElement[];
  /** the lane cap it was drawn with, or -1 when it showed all its lanes (cap-independent) */
  cap: number;
}

export class Timeline {
  readonly el: HTMLElement;
  private readonly cols: HTMLElement;
  private steps: StepDoc[] = [];
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
  /** columns drawn on the last render (tests check it stays small) */
  drawn = 0;

  constructor(private readonly opts: TimelineOptions) {
    this.colW = opts.columnWidth ?? 64;
    this.maxLanes = opts.maxLanes ?? 6;
    this.cols = h("div", { class: "pv-tl-cols" });
    this.el = h("div", { class: "pv-timeline", role: "group", "aria-label": "timeline" }, this.cols);
    this.cols.addEventListener("click", (ev) => {
      const target = ev.target as Element | null;
      const col = target?.closest?.("[data-index]");
      if (!col) return;
      const bar = target?.closest?.("[data-task]");
      this.opts.onSelect(Number(col.getAttribute("data-index")), bar ? bar.getAttribute("data-task") : null);
    });
  }

  private isBranched: boolean | null = null;

  /** Whether the entries span more than one branch (a forked thread). */
  private branched(): boolean {
    if (this.isBranched === null) this.isBranched = this.steps.some((s) => (s.branch ?? 0) !== 0);
    return this.isBranched;
  }

  setSteps(steps: StepDoc[]): void {
    this.steps = steps;
    this.isBranched = null;
    this.index = -1;
    this.drawnCols.clear(); // the next render redraws every column
  }

  /** The timeline's width in px, as measured by the host (a ResizeObserver callback, where
   *  reading it costs no layout). Once set, rendering never reads the layout. */
  setWidth(width: number): void {
    if (width === this.width) return;
    this.width = width;
    this.refresh();
  }

  /** Draw the window around entry `index`. Columns already on screen are kept (only the
   *  current-column and selected-lane classes move); columns entering the window are built. */
  render(index: number, selectedTask: string | null = null): void {
    const prevIndex = this.index;
    const prevSelected = this.selectedTask;
    this.index = index;
    this.selectedTask = selectedTask;
    const width = (this.width ?? this.el.clientWidth) || 800;
    // few entries: wider columns fill the width (up to 3× the base width)
    const colW = Math.max(this.colW, Math.min(this.colW * 3, Math.floor(width / Math.max(1, this.steps.length))));
    this.curW = colW;
    const size = Math.max(3, Math.floor(width / colW));
    const start = windowStart(index, this.steps.length, size);
    const end = Math.min(this.steps.length, start + size);
    let most = 1;
    for (let i = start; i < end; i++) most = Math.max(most, this.steps[i].tasks?.length ?? 0);
    const lanes = Math.min(this.maxLanes, most);
    const old = this.drawnCols;
    const fresh = new Map<number, DrawnColumn>();
    if (colW !== this.drawnW || !old.size) {
      // everything changes (first render, new steps, new width): build the window at once
      const frag = document.createDocumentFragment();
      for (let i = start; i < end; i++) {
        const d = this.column(this.gantt(i), lanes);
        fresh.set(i, d);
        frag.appendChild(d.el);
      }
      this.cols.replaceChildren(frag);
    } else {
      for (const [i, d] of old) if (i < start || i >= end) d.el.remove();
      // what is left is a run of the new window, in order: walk it, building what is missing
      let cursor = this.cols.firstElementChild;
      for (let i = start; i < end; i++) {
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
        const nd = this.column(this.gantt(i), lanes);
        fresh.set(i, nd);
        if (d) {
          this.cols.replaceChild(nd.el, d.el);
          cursor = nd.el.nextElementSibling;
        } else this.cols.insertBefore(nd.el, cursor);
      }
    }
    this.drawnCols = fresh;
    this.drawnW = colW;
    if (lanes !== this.drawnLanes) {
      this.cols.style.setProperty("--pv-lanes", String(lanes));
      this.drawnLanes = lanes;
    }
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
    return ganttColumn(s, i, from ? from.step : null);
  }

  private column(c: GanttColumn, lanes: number): DrawnColumn {
    const cur = c.index === this.index;
    const branched = this.branched();
    const fork = c.forkOf !== null ? ` · fork of step ${c.forkOf}` : "";
    const col = h("div", {
      class: `pv-tl-col${cur ? " pv-current" : ""}${branched ? ` pv-branch pv-branch-${c.branch % 6}` : ""}${c.forkOf !== null ? " pv-fork" : ""}`,
      "data-index": c.index,
      "data-branch": c.branch,
      title: `step ${c.step}${branched ? ` · branch ${c.branch}${fork}` : ""}${c.t0 !== null && c.t1 !== null ? ` · ${formatDuration(c.t1 - c.t0)}` : ""} · ${c.lanes.length} task${c.lanes.length === 1 ? "" : "s"}`,
      style: `width:${this.curW}px`,
    });
    col.appendChild(h("div", { class: "pv-tl-head" }, c.forkOf !== null ? `↳ ${c.step}` : String(c.step)));
    const body = h("div", { class: "pv-tl-body" });
    const rows: HTMLElement[] = [];
    c.lanes.slice(0, lanes).forEach((lane, li) => {
      const row = h("div", {
        class: `pv-tl-lane${lane.taskId === this.selectedTask ? " pv-selected" : ""}`,
        "data-task": lane.taskId,
        style: `top:${li * 12}px`,
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
      body.appendChild(row);
      rows.push(row);
    });
    if (c.lanes.length > lanes) body.appendChild(h("div", { class: "pv-tl-more" }, `+${c.lanes.length - lanes}`));
    col.appendChild(body);
    return { el: col, lanes: rows, cap: c.lanes.length > lanes ? lanes : -1 };
  }
}
