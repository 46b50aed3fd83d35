import { describe, expect, it } from "vitest";
import { formatDuration, formatVersion } from "../src/viewer/format";
import { PayloadModel } from "../src/viewer/model";
import { groupTasks, nextTriggers, summarizeStep, whyText } from "../src/viewer/summary";
import { loadSample } from "./fixture";

const model = new PayloadModel(loadSample());
const root = (thread: string) => model.thread(thread)!.namespace("")!;
const at = (thread: string, n: number) => {
  const ns = root(thread);
  return ns.steps[ns.indexOf(n)];
};

describe("summary sentence", () => {
  it("describes each step of the sample", () => {
    expect(summarizeStep(at("happy", -1))).toBe("Step -1: the input was written to __start__");
    expect(summarizeStep(at("happy", 0))).toBe("Step 0: __start__ ran");
    expect(summarizeStep(at("happy", 1))).toBe("Step 1: plan ran");
    expect(summarizeStep(at("happy", 2))).toBe("Step 2: worker ×3 ran in parallel");
    expect(summarizeStep(at("happy", 3))).toBe("Step 3: review was interrupted, then resumed");
    expect(summarizeStep(at("happy", 4))).toBe("Step 4: summarize ran");
    expect(summarizeStep(at("failing", 1))).toBe("Step 1: plan failed (ValueError: cannot plan 'boom')");
  });

  it("mixed parallel steps name the failures", () => {
    const base = at("happy", 2);
    const tasks = base.tasks.map((t, i) => (i === 1 ? { ...t, status: "error", error: { type: "KeyError", message: "x" } } : t));
    const extra = { ...base.tasks[0], id: "other", name: "other", status: "interrupted" };
    expect(summarizeStep({ ...base, tasks: [...tasks, extra] })).toBe(
      "Step 2: worker ×3 and other ran in parallel; 1 of worker ×3 failed (KeyError: x); other was interrupted",
    );
  });

  it("groups Sends by node", () => {
    expect(groupTasks(at("happy", 2).tasks).map((g) => [g.name, g.tasks.length])).toEqual([["worker", 3]]);
  });
});

describe("why and next", () => {
  it("pull tasks name the trigger channel and its writer; push tasks their sender", () => {
    expect(whyText(at("happy", 1).tasks[0])).toBe("branch:to:plan by __start__");
    expect(whyText(at("happy", 2).tasks[0])).toBe("sent by plan");
  });
  it("next-step triggers with the channel that advanced", () => {
    expect(nextTriggers(at("happy", 2))).toEqual([{ node: "review", channel: "branch:to:review", seen: "∅", current: "v4" }]);
    expect(nextTriggers(at("happy", 4))).toEqual([]);
  });
  it("formats versions and durations", () => {
    expect(formatVersion("00000000000000000000000000000004.0.19389412814214024")).toBe("v4");
    expect(formatVersion(3)).toBe("v3");
    expect(formatVersion(null)).toBe("∅");
    expect(formatDuration(0.0021)).toBe("2.10 ms");
    expect(formatDuration(0.00005)).toBe("50 µs");
    expect(formatDuration(null)).toBe("");
  });
});
