import { describe, expect, it } from "vitest";
import { PayloadModel } from "../src/viewer/model";
import { Timeline, ganttColumn, windowStart } from "../src/viewer/timeline";
import { bigPayload, loadSample } from "./fixture";

const model = new PayloadModel(loadSample());
const step = (thread: string, n: number) => {
  const ns = model.thread(thread)!.namespace("")!;
  return ns.steps[ns.indexOf(n)];
};

describe("Gantt data", () => {
  it("one lane per task, one bar per attempt, positioned within the step", () => {
    const c = ganttColumn(step("happy", 2), 3);
    expect(c.step).toBe(2);
    expect(c.lanes.map((l) => l.name)).toEqual(["worker", "worker", "worker"]);
    for (const l of c.lanes) {
      expect(l.bars).toHaveLength(1);
      expect(l.bars[0].x0).toBeGreaterThanOrEqual(0);
      expect(l.bars[0].x1).toBeLessThanOrEqual(1);
      expect(l.bars[0].x1).toBeGreaterThanOrEqual(l.bars[0].x0);
    }
    expect(Math.min(...c.lanes.map((l) => l.bars[0].x0))).toBe(0);
    expect(Math.max(...c.lanes.map((l) => l.bars[0].x1))).toBe(1);
  });

  it("an interrupted then resumed task shows both attempts as separate bars", () => {
    const c = ganttColumn(step("happy", 3), 4);
    const bars = c.lanes[0].bars;
    expect(bars.map((b) => b.status)).toEqual(["interrupt", "ok"]);
    expect(bars[0].x0).toBe(0);
    expect(bars[1].x1).toBe(1);
    expect(bars[0].x1).toBeLessThan(bars[1].x0);
  });

  it("failed attempts are marked, tasks without timing get an untimed bar", () => {
    const failed = ganttColumn(step("failing", 1), 1);
    expect(failed.lanes[0].bars[0].status).toBe("error");
    expect(failed.lanes[0].bars[0].error).toBe("ValueError: cannot plan 'boom'");
    const start = ganttColumn(step("happy", 0), 1);
    expect(start.lanes[0].bars).toEqual([expect.objectContaining({ status: "untimed", x0: 0, x1: 1 })]);
    expect(ganttColumn(step("happy", -1), 0).lanes).toEqual([]);
  });

  it("retries are separate bars", () => {
    const base = step("happy", 1);
    const t = {
      ...base.tasks[0],
      attempts: [
        { start: 1, end: 2, status: "error", error: { type: "TimeoutError", message: "slow" } },
        { start: 3, end: 4, status: "error", error: { type: "TimeoutError", message: "slow" } },
        { start: 5, end: 9, status: "ok", error: null },
      ],
    };
    const c = ganttColumn({ ...base, tasks: [t] }, 0);
    expect(c.lanes[0].bars.map((b) => [b.status, b.x0, b.x1])).toEqual([
      ["error", 0, 0.125],
      ["error", 0.25, 0.375],
      ["ok", 0.5, 1],
    ]);
  });

  it("a window of columns around the current entry", () => {
    expect(windowStart(0, 10_000, 20)).toBe(0);
    expect(windowStart(5_000, 10_000, 20)).toBe(4_990);
    expect(windowStart(9_999, 10_000, 20)).toBe(9_980);
    expect(windowStart(3, 5, 20)).toBe(0);
  });

  it("draws only the window for a 10,000-step run, and clicking a column selects its entry", () => {
    const steps = bigPayload(10_000, 5).threads[0].namespaces[0].steps;
    const picked: number[] = [];
    const tl = new Timeline({ onSelect: (i) => picked.push(i) });
    document.body.appendChild(tl.el);
    tl.setSteps(steps);
    tl.render(7_000);
    expect(tl.drawn).toBeLessThan(40);
    const cols = tl.el.querySelectorAll(".pv-tl-col");
    expect(cols.length).toBe(tl.drawn);
    const current = tl.el.querySelector(".pv-tl-col.pv-current")!;
    expect(current.getAttribute("data-index")).toBe("7000");
    (cols[0] as HTMLElement).click();
    expect(picked).toEqual([Number(cols[0].getAttribute("data-index"))]);
    tl.el.remove();
  });
});

describe("branches of a forked thread", () => {
  const base = model.thread("happy")!.namespace("")!.steps;
  // entries 0..3 on branch 0, then a fork of entry 1 (a later branch): 4, 5 on branch 1
  const forked = [...base.slice(0, 4), { ...base[2], branch: 1, fork_of: 1 }, { ...base[3], branch: 1, fork_of: null }].map((s, i) =>
    i < 4 ? { ...s, branch: 0, fork_of: null } : s,
  );

  it("draws the current branch as a path from the root, the fork leaving at its checkpoint", () => {
    const tl = new Timeline({ onSelect: () => undefined });
    tl.setWidth(2000);
    tl.setSteps(forked);
    tl.render(5);
    const cols = Array.from(tl.el.querySelectorAll<HTMLElement>(".pv-tl-col"));
    // the fork's path: entries 0, 1 (its checkpoint), then the fork's own 4, 5
    expect(cols.map((c) => c.getAttribute("data-index"))).toEqual(["0", "1", "4", "5"]);
    expect(tl.branchPath).toEqual([0, 1, 4, 5]);
    expect(cols.map((c) => c.getAttribute("data-branch"))).toEqual(["0", "0", "1", "1"]);
    expect(cols[2].classList.contains("pv-fork")).toBe(true);
    expect(cols[2].classList.contains("pv-branch-1")).toBe(true);
    expect(cols[2].title).toContain(`branch 2 · fork of step ${base[1].step}`);
    // the checkpoint both branches leave, and the switch on the first column after it
    expect(cols[1].classList.contains("pv-tl-branch-point")).toBe(true);
    expect(cols[1].title).toContain("2 branches leave here");
    expect(cols[2].querySelector(".pv-tl-switch")!.getAttribute("data-branches")).toBe("2/2");
    expect(cols.filter((c) => c.querySelector(".pv-tl-switch")).length).toBe(1);
    tl.render(2); // the first branch: entries 0, 1, 2, 3, with the switch at 1/2
    const first = Array.from(tl.el.querySelectorAll<HTMLElement>(".pv-tl-col"));
    expect(first.map((c) => c.getAttribute("data-index"))).toEqual(["0", "1", "2", "3"]);
    expect(first[2].querySelector(".pv-tl-switch-at")!.textContent).toBe("1/2");
    // on the shared entries the branch shown stays the one last seen
    tl.render(0);
    expect(tl.branchPath).toEqual([0, 1, 2, 3]);
  });

  it("the switch selects the other branch's first entry, and only it", () => {
    const picked: [number, string | null][] = [];
    const tl = new Timeline({ onSelect: (i, t) => picked.push([i, t]) });
    document.body.appendChild(tl.el);
    tl.setWidth(2000);
    tl.setSteps(forked);
    tl.render(3);
    const sw = tl.el.querySelector<HTMLElement>(".pv-tl-switch")!;
    const [prev, next] = Array.from(sw.querySelectorAll<HTMLButtonElement>("button"));
    expect(prev.disabled).toBe(true);
    next.click();
    expect(picked).toEqual([[4, null]]);
    tl.render(4);
    const again = tl.el.querySelectorAll<HTMLButtonElement>(".pv-tl-switch button");
    expect(again[1].disabled).toBe(true);
    again[0].click();
    expect(picked).toEqual([
      [4, null],
      [2, null],
    ]);
    tl.el.remove();
  });

  it("a thread never forked draws no branch marks", () => {
    const tl = new Timeline({ onSelect: () => undefined });
    tl.setSteps(base.map((s) => ({ ...s, branch: 0, fork_of: null })));
    tl.render(0);
    expect(tl.el.querySelectorAll(".pv-branch, .pv-fork, .pv-tl-switch").length).toBe(0);
    expect(tl.branchPath).toBeNull();
  });

  it("the state a fork's first entry changed is against the checkpoint it left", () => {
    const doc = loadSample();
    const thread = doc.threads.find((t) => t.id === "happy")!;
    const ns = thread.namespaces.find((n) => n.ns === "")!;
    const s = ns.steps;
    // a fork of entry 1 appended after entry 3: its delta is recorded against entry 3
    const forkState = { ...new PayloadModel(doc).thread("happy")!.namespace("")!.stateAt(1), extra: 1 };
    const m0 = new PayloadModel(doc).thread("happy")!.namespace("")!;
    const after3 = m0.stateAt(3);
    const set: Record<string, unknown> = {};
    for (const k of Object.keys(forkState)) if (JSON.stringify(after3[k]) !== JSON.stringify((forkState as Record<string, unknown>)[k])) set[k] = (forkState as Record<string, unknown>)[k];
    const del = Object.keys(after3).filter((k) => !(k in forkState));
    ns.steps = [...s.slice(0, 4).map((x) => ({ ...x, branch: 0, fork_of: null })), { ...s[2], branch: 1, fork_of: 1, state: { set: set as never, del } }];
    const m = new PayloadModel(doc).thread("happy")!.namespace("")!;
    expect(m.parentOf(4)).toBe(1);
    expect(m.parentOf(3)).toBe(2);
    const diff = m.stateDiff(4);
    expect(diff.added).toEqual(["extra"]);
    expect(diff.changed).toEqual([]);
    expect(diff.removed).toEqual([]);
  });
});

describe("parallel tasks and wide steps", () => {
  const task = (id: string, start: number, end: number) => ({
    ...step("happy", 2).tasks[0],
    id,
    attempts: [{ start, end, status: "ok", error: null }],
  });

  it("tasks of one step start together: microsecond tasks started one after another are not staggered", () => {
    // three 2 µs tasks whose threads started 10 µs apart
    const c = ganttColumn({ ...step("happy", 2), tasks: [task("a", 1, 1.000002), task("b", 1.00001, 1.000012), task("c", 1.00002, 1.000021)] }, 0);
    expect(c.lanes.map((l) => l.bars[0].x0)).toEqual([0, 0, 0]);
    expect(c.lanes.map((l) => l.bars[0].x1.toFixed(2))).toEqual(["1.00", "1.00", "0.50"]);
  });

  it("a 60-task step shows every task as a thin lane of one band with a count that expands", () => {
    const picked: [number, string | null][] = [];
    const wide = { ...step("happy", 2), tasks: Array.from({ length: 60 }, (_, k) => task(`w${k}`, k * 0.001, k * 0.001 + 0.0005)) };
    const tl = new Timeline({ onSelect: (i, t) => picked.push([i, t]) });
    document.body.appendChild(tl.el);
    tl.setWidth(1000);
    tl.setSteps([step("happy", 1), wide, step("happy", 3)]);
    tl.render(0);
    const col = tl.el.querySelector<HTMLElement>('.pv-tl-col[data-index="1"]')!;
    expect(col.querySelectorAll(".pv-tl-lane").length).toBe(60);
    expect(col.querySelectorAll(".pv-tl-lane.pv-tl-thin").length).toBe(60);
    expect(col.textContent).not.toContain("+54");
    const count = col.querySelector<HTMLButtonElement>(".pv-tl-count")!;
    expect(count.textContent).toBe("×60 ▾");
    count.click();
    expect(picked).toEqual([]); // expanding selects nothing
    expect(tl.isExpanded).toBe(true);
    const open = tl.el.querySelector<HTMLElement>('.pv-tl-col[data-index="1"]')!;
    expect(open.querySelectorAll(".pv-tl-lane.pv-tl-thin").length).toBe(0);
    expect(open.querySelectorAll(".pv-tl-lane").length).toBe(60);
    expect(tl.el.querySelector<HTMLElement>(".pv-tl-cols")!.style.getPropertyValue("--pv-lanes")).toBe("60");
    open.querySelector<HTMLButtonElement>(".pv-tl-count")!.click();
    expect(tl.isExpanded).toBe(false);
    tl.el.remove();
  });

  it("clicking a column, even on a task's bar, selects the step and no task", () => {
    const picked: [number, string | null][] = [];
    const tl = new Timeline({ onSelect: (i, t) => picked.push([i, t]) });
    document.body.appendChild(tl.el);
    tl.setSteps([step("happy", 1), step("happy", 2)]);
    tl.render(0);
    tl.el.querySelector<HTMLElement>('.pv-tl-col[data-index="1"] .pv-tl-bar')!.click();
    tl.el.querySelector<HTMLElement>('.pv-tl-col[data-index="0"] .pv-tl-head')!.click();
    expect(picked).toEqual([
      [1, null],
      [0, null],
    ]);
    tl.el.remove();
  });
});
