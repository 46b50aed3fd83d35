import { describe, expect, it } from "vitest";
import { drawnName, formatDuration, formatVersion } from "../src/viewer/format";
import { PayloadModel } from "../src/viewer/model";
import { groupTasks, nextTriggers, summarizeStep, whyText } from "../src/viewer/summary";
import type { StepDoc } from "../src/viewer/types";
import { loadSample } from "./fixture";

const model = new PayloadModel(loadSample());
const root = (thread: string) => model.thread(thread)!.namespace("")!;
const at = (thread: string, n: number) => {
  const ns = root(thread);
  return ns.steps[ns.indexOf(n)];
};

describe("summary sentence", () => {
  it("describes each step of the sample", () => {
    expect(summarizeStep(at("happy", -1))).toBe("The input arrived");
    expect(summarizeStep(at("happy", 0))).toBe("Step 0: start ran");
    expect(summarizeStep(at("happy", 1))).toBe("Step 1: plan ran");
    expect(summarizeStep(at("happy", 2))).toBe("Step 2: worker ×3 ran in parallel");
    // the answer interrupt() got is shown in the step where it was given
    expect(summarizeStep(at("happy", 3))).toBe('Step 3: review was interrupted, then resumed with "yes"');
    expect(summarizeStep(at("happy", 4))).toBe("Step 4: summarize ran");
    expect(summarizeStep(at("failing", 1))).toBe("Step 1: plan failed (ValueError: cannot plan 'boom')");
  });

  it("mixed parallel steps name the failures", () => {
    const base = at("happy", 2);
    const tasks = base.tasks.map((t, i) => (i === 1 ? { ...t, status: "error", error: { type: "KeyError", message: "x" }, attempts: t.attempts!.map((a) => ({ ...a, status: "error" })) } : t));
    const extra = { ...base.tasks[0], id: "other", name: "other", status: "interrupted" };
    expect(summarizeStep({ ...base, tasks: [...tasks, extra] })).toBe(
      "Step 2: worker ×3 and other ran in parallel; 1 of worker ×3 failed (KeyError: x); other was interrupted",
    );
  });

  it("a task that failed in one call and succeeded in the next did not fail the step", () => {
    const base = at("happy", 1);
    const t = base.tasks[0];
    const recovered = {
      ...t,
      status: "error", // an older payload: the model now says "ok"
      error: { type: "ValueError", message: "card declined" },
      attempts: [
        { ...t.attempts![0], status: "error" },
        { ...t.attempts![0], status: "ok" },
      ],
    };
    expect(summarizeStep({ ...base, tasks: [recovered] })).toBe("Step 1: plan ran");
    const failed = { ...recovered, attempts: [{ ...t.attempts![0], status: "error" }] };
    expect(summarizeStep({ ...base, tasks: [failed] })).toBe("Step 1: plan failed (ValueError: card declined)");
  });

  it("a wide step names its ends and a count, not 60 names", () => {
    const base = at("happy", 1);
    const tasks = Array.from({ length: 60 }, (_, i) => ({ ...base.tasks[0], id: `t${i}`, name: `worker_${String(59 - i).padStart(2, "0")}` }));
    expect(summarizeStep({ ...base, tasks })).toBe("Step 1: 60 tasks (worker_00 … worker_59) ran in parallel");
  });

  it("an update_state step says what it wrote and where it sent the run, not its channels", () => {
    const update = (updated: string[], next: StepDoc["next"]) =>
      summarizeStep({ ...at("happy", 2), source: "update", tasks: [], edges: [], updated, next });
    // as recorded for update_state(..., as_node="classify") on a past checkpoint: the versions of
    // both routes differ from the entry before, the next step names the one it took
    const routed = { handle_small: [["branch:to:handle_small", null, 4]] } as StepDoc["next"];
    expect(update(["branch:to:handle_big", "branch:to:handle_small", "value"], routed)).toBe(
      "Step 2: update_state wrote value and sent the run to handle_small",
    );
    expect(update(["route", "branch:to:handle_big"], { handle_big: [["branch:to:handle_big", 3, 4]] })).toBe(
      "Step 2: update_state wrote route and sent the run to handle_big",
    );
    expect(update(["a", "b", "join:a+b:c"], { c: [["join:a+b:c", null, 2]], d: [["join:x+y:d", 1, 2]] })).toBe(
      "Step 2: update_state wrote a and b, and sent the run to c",
    );
    expect(update(["value"], {})).toBe("Step 2: update_state wrote value");
    expect(update(["branch:to:c2", "__pregel_tasks"], { c2: [["branch:to:c2", null, 4]] })).toBe(
      "Step 2: update_state sent the run to c2",
    );
    expect(update(["k1", "k2", "k3", "k4", "k5", "k6"], {})).toBe("Step 2: update_state wrote k1, k2, k3 and 3 more keys");
    expect(update([], {})).toBe("Step 2: the state was updated by update_state");
    for (const text of [update(["route", "branch:to:x", "join:a+b:x", "start:x"], { x: [["branch:to:x", null, 1]] })]) {
      expect(text).not.toMatch(/branch:|join:|start:/);
    }
  });

  it("groups Sends by node", () => {
    expect(groupTasks(at("happy", 2).tasks).map((g) => [g.name, g.tasks.length])).toEqual([["worker", 3]]);
  });
});

describe("why and next", () => {
  it("pull tasks say after whom they ran, in words; push tasks their sender", () => {
    expect(whyText(at("happy", 1).tasks[0])).toBe("after start");
    expect(whyText(at("happy", 2).tasks[0])).toBe("sent by plan");
    const t = at("happy", 1).tasks[0];
    const join = { ...t, triggers: [{ channel: "join:a+b:merge", written_by: ["a", "b"], seen: null, current: 2 }] };
    expect(whyText(join)).toBe("after all of a and b");
    const wide = { ...t, triggers: [{ channel: `join:${Array.from({ length: 60 }, (_, i) => `w${i}`).join("+")}:m`, written_by: [], seen: null, current: 2 }] };
    expect(whyText(wide)).toBe("after all of w0 … w59 (60)");
    const input = { ...t, triggers: [{ channel: "__start__", written_by: ["(input)"], seen: null, current: 1 }] };
    expect(whyText(input)).toBe("the input");
    expect(whyText(at("happy", 1).tasks[0])).not.toContain("branch:to:");
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

describe("drawnName", () => {
  it("names nodes as the graph draws them, and a task the history did not name as unnamed", () => {
    expect(drawnName("__start__")).toBe("start");
    expect(drawnName("__end__")).toBe("end");
    expect(drawnName("?")).toBe("unnamed");
    expect(drawnName("agent")).toBe("agent");
    // a step line of a step whose task was not named (a server's join gap) reads "unnamed ran"
    const step: StepDoc = { ...at("happy", 1), tasks: [{ ...at("happy", 1).tasks[0], name: "?" }] };
    expect(summarizeStep(step)).toContain("unnamed ran");
  });
});
