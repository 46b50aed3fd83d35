// An agent as a node of an outer graph (a compiled graph as the node's runnable, e.g. a prebuilt
// agent): the outer task makes no call itself, the subgraph's tasks make them. The outer task
// shows them as its own, as the nested tree they are, under the subgraph and its tasks, with
// totals; its step line and its timeline bar count them too. Also: the toolbar counts the
// supersteps of the branch shown on a forked thread, and the task table names __start__ "start".

import { afterEach, describe, expect, it } from "vitest";
import { renderTaskCalls, stepTotals, subgraphRuns, taskCalls, totalsText } from "../src/viewer/calls";
import { PayloadModel } from "../src/viewer/model";
import { ganttColumn, Timeline } from "../src/viewer/timeline";
import type { Json, Payload, SpanDoc, StepDoc, TaskDoc } from "../src/viewer/types";
import { bigPayload } from "./fixture";
import { closeViewers, openViewer, pressKey } from "./viewers";

afterEach(() => closeViewers());

function span(id: number, fields: Partial<SpanDoc> = {}): SpanDoc {
  return { id, parent: null, kind: "chain", name: `call${id}`, model: null, start: 0, end: 0.001, status: "ok", error: null, input: null, output: null, tool_calls: [], tool_call_id: null, usage: null, first_token: null, chunks: null, ...fields };
}

const ai = (content: string): Json => ({ $type: "langchain_core.messages.ai.AIMessage", $fields: { content, tool_calls: [] } });
const toolMsg = (content: string, id: string): Json => ({ $type: "langchain_core.messages.tool.ToolMessage", $fields: { content, tool_call_id: id, status: "success" } });

const ASKING = span(1, {
  kind: "chat_model",
  name: "ScriptedChat",
  model: "scripted-model-1",
  start: 1.1,
  end: 1.3,
  tool_calls: [
    { name: "get_weather", args: { city: "Paris" }, id: "call_weather" },
    { name: "add", args: { a: 2, b: 40 }, id: "call_add" },
  ],
  output: ai(""),
  usage: { input_tokens: 57, output_tokens: 18, total_tokens: 75 },
});
const WEATHER = span(2, { kind: "tool", name: "get_weather", input: { city: "Paris" }, output: toolMsg("sunny in Paris", "call_weather"), tool_call_id: "call_weather", start: 1.5, end: 1.52 });
const ADD = span(3, { kind: "tool", name: "add", input: { a: 2, b: 40 }, output: toolMsg("42", "call_add"), tool_call_id: "call_add", start: 1.5, end: 1.51 });
const ANSWERING = span(4, { kind: "chat_model", name: "ScriptedChat", model: "scripted-model-1", start: 1.7, end: 1.9, output: ai("It is sunny in Paris."), usage: { input_tokens: 90, output_tokens: 12, total_tokens: 102 } });

function task(id: string, name: string, calls: SpanDoc[] | null, start: number, end: number, subgraphs: string[] = []): TaskDoc {
  return { id, name, kind: "pull", status: "ok", path: "", triggers: [], sent_by: null, writes: [], error: null, interrupts: [], resumes: [], attempts: [{ start, end, status: "ok", error: null }], input: null, subgraphs, calls };
}

function step(n: number, tasks: TaskDoc[], source = "loop"): StepDoc {
  return { step: n, source, checkpoint: `c${n}`, parent: null, start: 0, end: 1, state: { set: {}, del: [] }, versions: { set: {}, del: [] }, updated: [], next: {}, edges: [], tasks };
}

const SUB = "assistant:t1";

/** agent_in_subgraph of tests/agents.py, as its payload reads: the outer "assistant" task runs
 *  the tool agent as a subgraph; only the subgraph's tasks have calls. */
function agentInSubgraph(linked = true): Payload {
  const root = [step(-1, [], "input"), step(0, [task("t0", "__start__", [], 0, 0.01)]), step(1, [task("t1", "assistant", [], 1, 2, linked ? [SUB] : [])]), step(2, [task("t2", "wrap_up", [], 2.1, 2.2)])];
  const sub = [step(-1, [], "input"), step(0, [task("s0", "__start__", [], 1.01, 1.02)]), step(1, [task("s1", "agent", [ASKING], 1.05, 1.35)]), step(2, [task("s2", "tools", [WEATHER, ADD], 1.45, 1.55)]), step(3, [task("s3", "agent", [ANSWERING], 1.65, 1.95)])];
  const dot = `digraph pregel {\nn0 [label="__start__" class="pv-node" id=n0]\nn1 [label="assistant" class="pv-node" id=n1]\nn2 [label="wrap_up" class="pv-node" id=n2]\n}\n`;
  return {
    version: 1,
    meta: {},
    graphs: {
      "": {
        dot,
        nodes: [
          { id: "n0", name: "__start__", subgraph: null, is_subgraph: false },
          { id: "n1", name: "assistant", subgraph: "assistant", is_subgraph: true },
          { id: "n2", name: "wrap_up", subgraph: null, is_subgraph: false },
        ],
        edges: [],
        channels: {},
        error: null,
      },
    },
    threads: [
      {
        id: "th",
        outcome: { status: "completed", interrupts: [], error: null },
        calls: [],
        namespaces: [
          { ns: "", key: "", node: "", parent_ns: null, parent_task: null, steps: root },
          { ns: SUB, key: "assistant", node: "assistant", parent_ns: "", parent_task: "t1", steps: sub },
        ],
      },
    ],
    warnings: [],
  };
}

describe("the calls made inside a subgraph a task ran", () => {
  const thread = new PayloadModel(agentInSubgraph()).thread("th")!;
  const outer = thread.namespace("")!;
  const assistant = outer.steps[2].tasks[0];

  it("are the task's calls, in the order the subgraph made them", () => {
    expect(subgraphRuns(assistant, thread).map((r) => [r.ns, r.node, r.tasks.map((t) => t.task.name)])).toEqual([[SUB, "assistant", ["agent", "tools", "agent"]]]);
    expect(taskCalls(assistant, thread)!.map((c) => c.id)).toEqual([1, 2, 3, 4]);
    // without the thread, or without the link, only its own calls (none)
    expect(taskCalls(assistant)).toEqual([]);
    const unlinked = new PayloadModel(agentInSubgraph(false)).thread("th")!;
    expect(taskCalls(unlinked.namespace("")!.steps[2].tasks[0], unlinked)).toEqual([]);
  });

  it("the task panel lists them under the subgraph and its tasks, with totals", () => {
    const el = renderTaskCalls(assistant, { steps: outer.steps, index: 2, threadHasCalls: true, thread })!;
    expect(el.querySelector("h4")!.textContent).toBe("Calls (4)");
    expect(el.querySelector(".pv-calls-total")!.textContent).toBe("2 model calls, 147 → 30 tokens, 400.0 ms; 2 tool calls · all inside subgraph assistant");
    const sub = el.querySelector(".pv-call-subgraph")!;
    expect(sub.getAttribute("data-ns")).toBe(SUB);
    expect(sub.querySelector(".pv-call-head")!.textContent).toBe("⤷ inside subgraph assistant · 2 model calls, 147 → 30 tokens, 400.0 ms; 2 tool calls");
    const inner = [...sub.querySelectorAll(":scope > ul > li.pv-call-inner-task")];
    expect(inner.map((li) => [li.getAttribute("data-task"), li.querySelector(".pv-call-head")!.textContent])).toEqual([
      ["s1", "task agent · step 1 · 1 model call, 57 → 18 tokens, 200.0 ms"],
      ["s2", "task tools · step 2 · 2 tool calls"],
      ["s3", "task agent · step 3 · 1 model call, 90 → 12 tokens, 200.0 ms"],
    ]);
    // each call under its task, as the call tree shows a task's own calls
    expect(inner.map((li) => [...li.querySelectorAll("li.pv-call[data-call]")].map((c) => c.getAttribute("data-call")))).toEqual([["1"], ["2", "3"], ["4"]]);
    // a tool call finds the model call that asked for it, in the subgraph's earlier step
    expect(inner[1].querySelector(".pv-call-link")!.textContent).toBe("asked for by agent (scripted-model-1) at step 1 as call_weather");
    // without the thread: the task made none
    const bare = renderTaskCalls(assistant, { steps: outer.steps, index: 2, threadHasCalls: true })!;
    expect(bare.querySelector("h4")!.textContent).toBe("Calls (0)");
  });

  it("the step's totals count them", () => {
    expect(totalsText(stepTotals(outer.steps[2], thread)!)).toBe("2 model calls, 147 → 30 tokens, 400.0 ms; 2 tool calls");
    expect(totalsText(stepTotals(outer.steps[2])!)).toBe("");
  });

  it("the task's timeline bar holds their call bars, marked as inside the subgraph", () => {
    const col = ganttColumn(outer.steps[2], 2, null, thread);
    expect(col.lanes[0].calls.map((c) => [c.kind, c.depth, c.inside, +c.x0.toFixed(2), +c.x1.toFixed(2)])).toEqual([
      ["model", 1, true, 0.1, 0.3],
      ["tool", 1, true, 0.5, 0.52],
      ["tool", 1, true, 0.5, 0.51],
      ["model", 1, true, 0.7, 0.9],
    ]);
    expect(ganttColumn(outer.steps[2], 2).lanes[0].calls).toEqual([]);
    const tl = new Timeline({ onSelect: () => {} });
    tl.setWidth(800);
    tl.setSteps(outer.steps, thread);
    tl.render(2);
    const bars = [...tl.el.querySelectorAll('.pv-tl-col[data-index="2"] .pv-tl-call')];
    expect(bars).toHaveLength(4);
    expect(bars[0].classList.contains("pv-tl-call-inside")).toBe(true);
    expect(bars[0].getAttribute("title")).toBe("assistant › subgraph assistant › agent › model ScriptedChat (scripted-model-1): 200.0 ms, 57 → 18 tokens");
  });

  it("the viewer shows them: task panel, step line and timeline", async () => {
    const v = await openViewer(agentInSubgraph());
    pressKey(v, "Home");
    pressKey(v, "ArrowRight");
    pressKey(v, "ArrowRight");
    expect(v.root.getAttribute("data-step")).toBe("1");
    (v.root.querySelector<HTMLElement>('.pv-task-row[data-task="t1"]')!).click();
    expect(v.root.querySelector(".pv-details .pv-calls h4")!.textContent).toBe("Calls (4)");
    expect(v.root.querySelector(".pv-summary .pv-step-calls")!.textContent).toBe("2 model calls, 147 → 30 tokens, 400.0 ms; 2 tool calls");
    expect(v.root.querySelectorAll('.pv-tl-col[data-index="2"] .pv-tl-call')).toHaveLength(4);
  });
});

describe("the task table", () => {
  it("names LangGraph's __start__ as the graph and the narration do; the row keeps its id", async () => {
    const v = await openViewer(agentInSubgraph());
    pressKey(v, "Home");
    pressKey(v, "ArrowRight");
    expect(v.root.getAttribute("data-step")).toBe("0");
    const row = v.root.querySelector<HTMLElement>('.pv-task-row[data-task="t0"]')!;
    expect(row.querySelector(".pv-name-text")!.textContent).toBe("start");
    expect(row.querySelector(".pv-name-text")!.getAttribute("title")).toBe("start (LangGraph's __start__)");
    row.click();
    expect(v.root.querySelector(".pv-details .pv-section-title")!.textContent).toBe("Task start");
    expect(v.root.querySelector(".pv-details .pv-task-head strong")!.textContent).toBe("start");
  });
});

describe("the toolbar's count of supersteps on a forked thread", () => {
  /** Entries 0..7 on branch 0 (the input, then steps 0..6), then update_state on entry 3's
   *  checkpoint (entry 8, an update) and on from there: entries 9..11 (steps 4..6 again). */
  function forked(): Payload {
    const p = bigPayload(12, 10);
    p.threads[0].namespaces[0].steps.forEach((s, i) => {
      s.branch = i < 8 ? 0 : 1;
      s.fork_of = i === 8 ? 3 : null;
      if (i >= 8) s.step = i - 5;
      if (i === 8) s.source = "update";
    });
    return p;
  }
  const label = (v: { root: HTMLElement }) => v.root.querySelector(".pv-step-label")!.textContent;

  it("counts the supersteps the loop ran along the branch shown", async () => {
    const space = new PayloadModel(forked()).thread("")!.namespace("")!;
    expect(space.supersteps).toBe(10); // every branch: 7 + 3
    expect(space.countsAlong(space.branchPath(5))).toEqual({ supersteps: 7, maxStep: 6 });
    expect(space.countsAlong(space.branchPath(10))).toEqual({ supersteps: 6, maxStep: 6 });
    expect(space.countsAlong(null)).toEqual({ supersteps: 10, maxStep: 6 });
    const v = await openViewer(forked());
    pressKey(v, "End");
    expect(v.root.getAttribute("data-index")).toBe("7");
    expect(label(v)).toBe("step 6 · 7 supersteps");
    // to the fork through the timeline's switch, then along it
    v.root.querySelector<HTMLElement>(".pv-tl-switch button:last-child")!.click();
    expect(v.root.getAttribute("data-index")).toBe("8");
    pressKey(v, "End");
    expect(label(v)).toBe("step 6 · branch 2 · 6 supersteps");
    // back onto the entries both branches share: still the fork's path, and its count
    pressKey(v, "Home");
    pressKey(v, "ArrowRight");
    expect(label(v)).toBe("step 0 · 6 supersteps");
  });
});
