// The side panel says things in words: the thread only when the reader named it, what runs
// next ("review after worker", "d waits for b and c2 (b done)", "worker sent by plan"), with
// LangGraph's channels and versions, and the narration's internals, behind "details" toggles.

import { afterEach, describe, expect, it } from "vitest";
import { threadLabel } from "../src/viewer/panel";
import type { Payload, StepDoc } from "../src/viewer/types";
import type { Viewer } from "../src/viewer/viewer";
import { bigPayload, loadSample } from "./fixture";
import { closeViewers, openViewer as open, pressKey as key } from "./viewers";

afterEach(() => {
  closeViewers();
});

const q = (v: Viewer, sel: string) => v.root.querySelector<HTMLElement>(sel);
/** The Next list's lines, as shown (the details toggle aside). */
const nextWords = (v: Viewer) => Array.from(v.root.querySelectorAll(".pv-next-words li")).map((li) => li.textContent);

/** a → (b, c); c → c2; add_edge([b, c2], d), as LangGraph records it: b reports to d's
 *  barrier a step before c2 does. */
function barrierPayload(id = "pregel-viz-50d3f2b2bb14"): Payload {
  const p = bigPayload(6, 5);
  const names = ["a", "b", "c", "c2", "d"];
  p.graphs[""].nodes.forEach((n, i) => (n.name = names[i]));
  p.graphs[""].channels["join:b+c2:d"] = { class: "NamedBarrierValue" };
  p.threads[0].id = id;
  const steps = p.threads[0].namespaces[0].steps;
  const at = (i: number, tasks: string[], next: StepDoc["next"], edges: StepDoc["edges"], details: string[] = []) => {
    const s = steps[i];
    s.tasks = tasks.map((name, k) => ({ ...steps[1].tasks[0], id: `t${i}-${k}`, name }));
    s.next = next;
    s.edges = edges;
    s.narration = [`step ${i} in words`];
    s.narration_details = details;
  };
  at(0, [], { __start__: [["__start__", null, 1]] }, [], ["the input is written to the channel __start__"]);
  at(1, ["a"], { b: [["branch:to:b", null, 3]], c: [["branch:to:c", null, 3]] }, [["a", "b", "route"], ["a", "c", "route"]], ["a: triggered through the channel branch:to:a"]);
  at(2, ["b", "c"], { c2: [["branch:to:c2", null, 4]] }, [["b", "d", "join"], ["c", "c2", "route"]], ["channel join:b+c2:d (NamedBarrierValue)"]);
  at(3, ["c2"], { d: [["join:b+c2:d", null, 5]] }, [["c2", "d", "join"]]);
  at(4, ["d"], {}, [["d", "e", "send"]]);
  at(5, ["e"], {}, []);
  return p;
}

describe("the thread's name", () => {
  it("is shown only when the reader named it", () => {
    expect(threadLabel("pregel-viz-50d3f2b2bb14")).toBe("This run");
    expect(threadLabel("")).toBe("This run");
    expect(threadLabel("support-42")).toBe("Thread support-42");
    expect(threadLabel("pregel-viz-demo")).toBe("Thread pregel-viz-demo"); // a name, not a made-up id
  });

  it("the step summary calls a made-up thread 'this run'", async () => {
    const v = await open(barrierPayload(), { step: 0 });
    const outcome = q(v, ".pv-summary .pv-outcome")!.textContent!;
    expect(outcome).toBe("This run: completed");
    expect(q(v, ".pv-side")!.textContent).not.toContain("pregel-viz-");
    const named = await open(barrierPayload("support-42"), { step: 0 });
    expect(q(named, ".pv-summary .pv-outcome")!.textContent).toBe("Thread support-42: completed");
  });
});

describe("the Next list", () => {
  it("says what runs next and what waits, in words; the channels are in its details", async () => {
    const v = await open(barrierPayload(), { step: -1 });
    expect(nextWords(v)).toEqual(["start with the input"]);
    key(v, "ArrowRight");
    expect(nextWords(v)).toEqual(["b after a", "c after a"]);
    key(v, "ArrowRight"); // b reported to d's barrier; c2 has not yet
    expect(nextWords(v)).toEqual(["c2 after c", "d waits for b and c2 (b done)"]);
    expect(q(v, ".pv-next-list .pv-section-title")!.textContent).toBe("Next (1)");
    expect(q(v, '.pv-next-words li[data-node="d"]')!.className).toBe("pv-next-waiting");
    key(v, "ArrowRight");
    expect(nextWords(v)).toEqual(["d after all of b and c2"]);
    key(v, "ArrowRight");
    expect(nextWords(v)).toEqual(["e sent by d"]);
    // nothing of LangGraph's internals in the words
    for (let i = 0; i < 6; i++) {
      v.setPosition({ step: i - 1 });
      const words = nextWords(v).join(" ");
      expect(words).not.toMatch(/branch:|join:|∅|→|\bv\d/);
    }
  });

  it("keeps the channels and versions in a details toggle, closed until the reader opens it", async () => {
    const v = await open(barrierPayload(), { step: 2 });
    const box = () => q(v, ".pv-next-list details.pv-internals") as HTMLDetailsElement;
    expect(box().open).toBe(false);
    expect(box().querySelector("summary")!.textContent).toBe("details");
    expect(Array.from(box().querySelectorAll("li")).map((x) => x.textContent)).toEqual(["d ← join:b+c2:d ∅ → v5"]);
    box().open = true;
    box().dispatchEvent(new Event("toggle"));
    key(v, "ArrowLeft");
    expect(box().open).toBe(true); // the reader's choice is kept from step to step
    expect(Array.from(box().querySelectorAll("li")).map((x) => x.textContent)).toEqual(["c2 ← branch:to:c2 ∅ → v4", "join:b+c2:d: b reported"]);
  });

  it("a node an update_state routed to runs after update_state", async () => {
    const p = barrierPayload();
    const s = p.threads[0].namespaces[0].steps[2];
    s.source = "update";
    s.tasks = [];
    s.edges = [];
    s.next = { c2: [["branch:to:c2", null, 4]] };
    const v = await open(p, { step: 1 });
    expect(nextWords(v)).toEqual(["c2 after update_state"]);
  });

  it("the happy sample: review after worker, and a Send's targets", async () => {
    const v = await open(loadSample(), { thread: "happy", step: 1 });
    expect(nextWords(v)).toEqual(["worker sent by plan"]);
    key(v, "ArrowRight");
    expect(nextWords(v)).toEqual(["review after worker"]);
  });
});

describe("the narration's details", () => {
  it("are behind a details toggle, as text, only where the step has some", async () => {
    const v = await open(barrierPayload(), { step: 1 });
    const box = q(v, ".pv-narration details.pv-internals") as HTMLDetailsElement;
    expect(box.open).toBe(false);
    expect(q(v, ".pv-narration .pv-narration-list")!.textContent).toBe("step 2 in words");
    expect(Array.from(box.querySelectorAll("li")).map((x) => x.textContent)).toEqual(["channel join:b+c2:d (NamedBarrierValue)"]);
    key(v, "ArrowRight");
    expect(q(v, ".pv-narration details.pv-internals")).toBeNull();
  });
});
