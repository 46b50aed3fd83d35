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
  it("marks each entry's branch and the first entry of a fork", () => {
    const base = model.thread("happy")!.namespace("")!.steps;
    // entries 0..3 on branch 0, then a fork of entry 1 (a later branch): 4, 5 on branch 1
    const steps = [...base.slice(0, 4), { ...base[2], branch: 1, fork_of: 1 }, { ...base[3], branch: 1, fork_of: null }].map((s, i) =>
      i < 4 ? { ...s, branch: 0, fork_of: null } : s,
    );
    const tl = new Timeline({ onSelect: () => undefined });
    tl.setWidth(2000);
    tl.setSteps(steps);
    tl.render(5);
    const cols = Array.from(tl.el.querySelectorAll<HTMLElement>(".pv-tl-col"));
    expect(cols.map((c) => c.getAttribute("data-branch"))).toEqual(["0", "0", "0", "0", "1", "1"]);
    expect(cols.map((c) => c.classList.contains("pv-fork"))).toEqual([false, false, false, false, true, false]);
    expect(cols[4].classList.contains("pv-branch-1")).toBe(true);
    expect(cols[4].querySelector(".pv-tl-head")!.textContent).toBe(`↳ ${base[2].step}`);
    expect(cols[4].title).toContain(`branch 1 · fork of step ${base[1].step}`);
    // a thread never forked draws no branch marks
    tl.setSteps(base.map((s) => ({ ...s, branch: 0, fork_of: null })));
    tl.render(0);
    expect(tl.el.querySelectorAll(".pv-branch, .pv-fork").length).toBe(0);
  });
});
