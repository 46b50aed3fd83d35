import { describe, expect, it } from "vitest";
import { DeltaChain, KEYFRAME, NamespaceModel, parsePayload, PayloadModel, ThreadModel } from "../src/viewer/model";
import type { Delta, NamespaceDoc, StepDoc } from "../src/viewer/types";
import { bigPayload, loadSample, referenceStates, XSS_KEY, XSS_VALUE } from "./fixture";

const sample = loadSample();
const model = new PayloadModel(sample);

function shuffled(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let seed = 7;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe("state reconstruction", () => {
  it("equals applying every delta from scratch, at every entry of every namespace, in any order", () => {
    let checked = 0;
    for (const t of sample.threads) {
      const thread = model.thread(t.id)!;
      for (const nsDoc of t.namespaces) {
        const ref = referenceStates(nsDoc.steps, "state");
        const refV = referenceStates(nsDoc.steps, "versions");
        const orders = [shuffled(nsDoc.steps.length), [...ref.keys()].reverse(), [...ref.keys()]];
        for (const order of orders) {
          const ns = new NamespaceModel(nsDoc, thread); // fresh caches for each order
          for (const i of order) {
            expect(ns.stateAt(i)).toEqual(ref[i]);
            expect(ns.versionsAt(i)).toEqual(refV[i]);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("happy root: what the fixture's run did, step by step", () => {
    const ns = model.thread("happy")!.namespace("")!;
    const at = (n: number) => ns.stateAt(ns.indexOf(n));
    expect(at(-1)).toEqual({ results: [] });
    expect(at(0).topic).toBe("letters");
    expect(at(1).items).toEqual(["a", "b", "c"]);
    expect(at(1).notes).toEqual({ [XSS_KEY]: XSS_VALUE });
    // the three Sends each added one result (in any order)
    expect([...(at(2).results as string[])].sort()).toEqual(["A", "B", "C"]);
    expect(at(3).approved).toBe("yes");
    expect(at(4).summary).toBe("3 results (polished)");
    expect(ns.versionsAt(ns.indexOf(4)).summary).toBeTruthy();
  });

  it("the subgraph namespace has its own steps and state", () => {
    const thread = model.thread("happy")!;
    const sub = sample.threads[0].namespaces.find((n) => n.ns !== "")!;
    const ns = thread.namespace(sub.ns)!;
    expect(ns.key).toBe("summarize");
    expect(ns.stateAt(ns.indexOf(2)).summary).toBe("3 results (polished)");
    expect(thread.chain(sub.ns).map((d) => d.ns)).toEqual(["", sub.ns]);
    // the subgraph was run by the root's summarize task
    const root = thread.namespace("")!;
    const i = root.indexOfTask(sub.parent_task!);
    expect(root.steps[i].step).toBe(4);
    expect(root.findTask(sub.parent_task!)?.name).toBe("summarize");
  });

  it("diff against the previous entry: added / changed / removed", () => {
    const ns = model.thread("happy")!.namespace("")!;
    const d1 = ns.stateDiff(ns.indexOf(1));
    expect(d1.added.sort()).toEqual(["items", "notes"]);
    expect(d1.changed).toEqual([]);
    const d2 = ns.stateDiff(ns.indexOf(2));
    expect(d2.changed).toEqual(["results"]);
    expect(d2.before.results).toEqual([]);
    const big = new PayloadModel(bigPayload(1200, 5)).thread("")!.namespace("")!;
    const d = big.stateDiff(500);
    expect(d.removed).toEqual(["mark_0"]);
    expect(d.before.mark_0).toBe("at 0");
    expect(big.stateAt(500).mark_0).toBeUndefined();
  });

  it("keyframes keep any entry of a 10,000-step namespace cheap to show", () => {
    const p = bigPayload(10_000, 10);
    const ns = new PayloadModel(p).thread("")!.namespace("")!;
    const ref = referenceStates(p.threads[0].namespaces[0].steps, "state");
    // first jump to the end builds the keyframes once: O(steps)
    expect(ns.stateAt(9_999)).toEqual(ref[9_999]);
    const afterWarm = ns.deltasApplied;
    expect(afterWarm).toBeLessThanOrEqual(10_000);
    // then any entry costs at most KEYFRAME deltas
    for (const i of [5, 9_000, 123, 7_777, 64, 63, 0, 9_998, 4_321]) {
      const before = ns.deltasApplied;
      expect(ns.stateAt(i)).toEqual(ref[i]);
      expect(ns.deltasApplied - before).toBeLessThanOrEqual(KEYFRAME);
    }
    // and stepping forward applies one delta
    ns.stateAt(5_000);
    const b = ns.deltasApplied;
    ns.stateAt(5_001);
    expect(ns.deltasApplied - b).toBe(1);
  });

  it("DeltaChain with small keyframes", () => {
    const deltas: Delta[] = Array.from({ length: 50 }, (_, i) => ({ set: { [`k${i % 7}`]: i }, del: i % 5 === 4 ? [`k${(i + 3) % 7}`] : [] }));
    const ref = referenceStates(deltas.map((d) => ({ state: d })), "state");
    const chain = new DeltaChain((i) => deltas[i], deltas.length, 4);
    for (const i of shuffled(50)) expect(chain.at(i)).toEqual(ref[i]);
    expect(chain.at(-1)).toEqual({});
    expect(chain.at(99)).toEqual(ref[49]);
  });
});

describe("step model", () => {
  const step = (n: number): StepDoc =>
    ({ step: n, source: "loop", checkpoint: null, parent: null, start: null, end: null, state: { set: { n }, del: [] }, versions: { set: {}, del: [] }, updated: [], next: {}, edges: [], tasks: [] }) as StepDoc;
  const doc: NamespaceDoc = { ns: "", key: "", node: "", parent_ns: null, parent_task: null, steps: [-1, 0, 1, 2, 1, 2, 3].map(step) };
  const ns = new NamespaceModel(doc, new ThreadModel({ id: "t", outcome: { status: "completed", interrupts: [], error: null }, calls: [], namespaces: [doc] }));

  it("first / last / next / prev clamp to the entries", () => {
    expect(ns.first()).toBe(0);
    expect(ns.last()).toBe(6);
    expect(ns.next(6)).toBe(6);
    expect(ns.next(2)).toBe(3);
    expect(ns.prev(0)).toBe(0);
    expect(ns.prev(3)).toBe(2);
    expect(ns.maxStep).toBe(3);
  });

  it("a step number with duplicates (a fork) means its last entry", () => {
    expect(ns.indexOf(1)).toBe(4);
    expect(ns.indexOf(2)).toBe(5);
    expect(ns.indexOf(-1)).toBe(0);
    expect(ns.indexOf(9)).toBe(-1);
    expect(ns.stateAt(ns.indexOf(1))).toEqual({ n: 1 });
  });

  it("an unknown number resolves to the closest one below, else the first entry", () => {
    expect(ns.resolve(9)).toBe(6);
    expect(ns.resolve(-5)).toBe(0);
    expect(ns.resolve(2)).toBe(5);
  });

  it("entries keep the payload's order", () => {
    const failing = model.thread("failing")!.namespace("")!;
    expect(failing.steps.map((s) => s.step)).toEqual(sample.threads[1].namespaces[0].steps.map((s) => s.step));
    expect(failing.steps[failing.indexOf(1)].tasks[0].status).toBe("error");
  });

  it("threads: '' or an unknown id is the last thread; unknown namespaces fall back to the root", () => {
    expect(model.thread("")!.id).toBe(sample.threads[sample.threads.length - 1].id);
    expect(model.thread("happy")!.id).toBe("happy");
    expect(model.thread("happy")!.namespace("nope")!.ns).toBe("");
  });
});

describe("parsePayload", () => {
  const text = JSON.stringify(sample);
  it("accepts a DataView, an ArrayBuffer, a typed array, a string or the object", () => {
    const bytes = new TextEncoder().encode(text);
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    for (const input of [new DataView(buf), buf, bytes, text, sample]) {
      const p = parsePayload(input);
      expect(p.threads.map((t) => t.id)).toEqual(["happy", "failing"]);
    }
  });
  it("a DataView over part of a buffer", () => {
    const bytes = new TextEncoder().encode(`xx${text}yy`);
    expect(parsePayload(new DataView(bytes.buffer, 2, bytes.length - 4)).version).toBe(1);
  });
  it("rejects what is not a JSON object", () => {
    expect(() => parsePayload(42)).toThrow();
    expect(() => parsePayload("not json")).toThrow();
  });
});
