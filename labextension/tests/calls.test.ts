// The calls inside tasks: the tree their parents make, the totals (tokens, model time) per task,
// step, node and model, and how the side panel and the timeline show them.

import { describe, expect, it } from "vitest";
import callsCss from "../src/viewer/calls.css";
import baseCss from "../src/viewer/style.css";
import {
  addCalls,
  callSignature,
  callTree,
  findAsker,
  flatten,
  renderRunTokens,
  runTokensTitle,
  renderTaskCalls,
  resultText,
  stepTotals,
  threadBreakdown,
  totalsText,
} from "../src/viewer/calls";
import { PayloadModel } from "../src/viewer/model";
import { stepCallsText } from "../src/viewer/summary";
import { ganttColumn, Timeline } from "../src/viewer/timeline";
import type { Json, Payload, SpanDoc, StepDoc, TaskDoc } from "../src/viewer/types";

function span(id: number, fields: Partial<SpanDoc> = {}): SpanDoc {
  return {
    id,
    parent: null,
    kind: "chain",
    name: `call${id}`,
    model: null,
    start: 0,
    end: 0.001,
    status: "ok",
    error: null,
    input: null,
    output: null,
    tool_calls: [],
    tool_call_id: null,
    usage: null,
    first_token: null,
    chunks: null,
    ...fields,
  };
}

const aiMessage = (content: string, toolCalls: Json[] = []): Json => ({
  $type: "langchain_core.messages.ai.AIMessage",
  $fields: { content, tool_calls: toolCalls, id: "ai-1" },
});
const toolMessage = (content: string, id: string, status = "success"): Json => ({
  $type: "langchain_core.messages.tool.ToolMessage",
  $fields: { content, tool_call_id: id, status },
});

// the scripted agent of tests/agents.py: 57 → 18 tokens asking for two tools, then 90 → 12
const ASKING = span(1, {
  kind: "chat_model",
  name: "ScriptedChat",
  model: "scripted-model-1",
  start: 0.1,
  end: 0.3,
  tool_calls: [
    { name: "get_weather", args: { city: "Paris" }, id: "call_weather" },
    { name: "add", args: { a: 2, b: 40 }, id: "call_add" },
  ],
  output: aiMessage(""),
  usage: { input_tokens: 57, output_tokens: 18, total_tokens: 75 },
});
const WEATHER = span(2, { kind: "tool", name: "get_weather", input: { city: "Paris" }, output: toolMessage("sunny in Paris", "call_weather"), tool_call_id: "call_weather", start: 1, end: 1.01 });
const ADD = span(3, { kind: "tool", name: "add", input: { a: 2, b: 40 }, output: toolMessage("42", "call_add"), tool_call_id: "call_add", start: 1, end: 1.02 });
const ANSWERING = span(4, {
  kind: "chat_model",
  name: "ScriptedChat",
  model: "scripted-model-1",
  start: 2,
  end: 3,
  output: aiMessage("It is sunny in Paris, and 2 + 40 = 42."),
  usage: { input_tokens: 90, output_tokens: 12, total_tokens: 102 },
});

function task(id: string, name: string, calls: SpanDoc[] | null, start = 0, end = 1): TaskDoc {
  return {
    id,
    name,
    kind: "pull",
    status: "ok",
    path: "",
    triggers: [],
    sent_by: null,
    writes: [],
    error: null,
    interrupts: [],
    resumes: [],
    attempts: [{ start, end, status: "ok", error: null }],
    input: null,
    subgraphs: [],
    calls,
  };
}

function step(n: number, tasks: TaskDoc[]): StepDoc {
  return { step: n, source: "loop", checkpoint: "c", parent: null, start: 0, end: 1, state: { set: {}, del: [] }, versions: { set: {}, del: [] }, updated: [], next: {}, edges: [], tasks };
}

const STEPS = [step(1, [task("t1", "agent", [ASKING], 0, 0.4)]), step(2, [task("t2", "tools", [WEATHER, ADD], 0.9, 1.1)]), step(3, [task("t3", "agent", [ANSWERING], 1.9, 3.1)])];

function payload(steps: StepDoc[], sub: StepDoc[] = []): Payload {
  const namespaces = [{ ns: "", key: "", node: "", parent_ns: null, parent_task: null, steps }];
  if (sub.length) namespaces.push({ ns: "assistant:x", key: "assistant", node: "assistant", parent_ns: "" as unknown as null, parent_task: "t1" as unknown as null, steps: sub });
  return { version: 1, meta: {}, graphs: {}, threads: [{ id: "th", outcome: { status: "completed", interrupts: [], error: null }, calls: [], namespaces }] };
}

describe("the call tree", () => {
  it("nests calls under their parents, in the order they started", () => {
    const chain = span(1, { name: "RunnableSequence" });
    const model = span(2, { parent: 1, kind: "chat_model", name: "ScriptedChat" });
    const tool = span(3, { parent: 2, kind: "tool", name: "lookup" });
    const second = span(4, { name: "after" });
    const roots = callTree([chain, model, tool, second]);
    expect(roots.map((n) => n.call.name)).toEqual(["RunnableSequence", "after"]);
    expect(roots[0].children[0].call.name).toBe("ScriptedChat");
    expect(roots[0].children[0].children[0].call.name).toBe("lookup");
    expect(flatten(roots).map((n) => [n.call.id, n.depth])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 0],
    ]);
    expect(flatten(roots).some((n) => n.orphan)).toBe(false);
  });

  it("a call whose parent is missing is a root, marked orphan; a parent loop is cut", () => {
    const roots = callTree([span(5, { parent: 99, kind: "tool" }), span(6, { parent: 5 })]);
    expect(roots).toHaveLength(1);
    expect(roots[0].orphan).toBe(true);
    expect(roots[0].children[0].call.id).toBe(6);
    const loop = callTree([span(1, { parent: 2 }), span(2, { parent: 1 })]);
    expect(flatten(loop).map((n) => n.call.id).sort()).toEqual([1, 2]);
    expect(loop.length).toBeGreaterThan(0);
  });

  it("unknown or absent calls make no tree", () => {
    expect(callTree(null)).toEqual([]);
    expect(callTree(undefined)).toEqual([]);
  });
});

describe("totals", () => {
  it("sum the model calls' tokens and time, and count tool calls", () => {
    const t = addCalls([ASKING, WEATHER, ADD, ANSWERING]);
    expect([t.modelCalls, t.toolCalls, t.input, t.output, t.total]).toEqual([2, 2, 57 + 90, 18 + 12, 75 + 102]);
    expect(t.seconds).toBeCloseTo(0.2 + 1.0);
    expect(totalsText(t)).toBe("2 model calls, 147 → 30 tokens, 1.20 s; 2 tool calls");
  });

  it("a model call without usage counts, without tokens; failures are counted", () => {
    const t = addCalls([span(1, { kind: "llm", start: 0, end: 0.5 }), span(2, { kind: "tool", status: "error", error: { type: "ZeroDivisionError", message: "division by zero" } })]);
    expect(totalsText(t)).toBe("1 model call, 500.0 ms; 1 tool call; 1 failed");
    expect(totalsText(addCalls([]))).toBe("");
  });

  it("a step's line totals its tasks; a step of unknown calls says nothing", () => {
    const both = step(5, [task("a", "agent", [ASKING]), task("b", "agent", [ANSWERING])]);
    expect(stepCallsText(both)).toBe("2 model calls, 147 → 30 tokens, 1.20 s");
    expect(stepCallsText(step(1, [task("a", "plain", [])]))).toBe("");
    expect(stepTotals(step(1, [task("a", "rebuilt", null)]))).toBeNull();
    expect(stepCallsText(step(1, [task("a", "rebuilt", null)]))).toBe("");
  });

  it("the thread's totals per node (subgraph nodes by their path) and per model", () => {
    const other = span(9, { kind: "chat_model", name: "Other", model: "big-model", start: 0, end: 2, usage: { input_tokens: 1000, output_tokens: 5, total_tokens: 1005 } });
    const model = new PayloadModel(payload(STEPS, [step(1, [task("s1", "agent", [other])])]));
    const b = threadBreakdown(model.thread("th")!);
    expect(b.nodes.map(([n, t]) => [n, t.modelCalls, t.input, t.output, t.toolCalls])).toEqual([
      ["assistant › agent", 1, 1000, 5, 0],
      ["agent", 2, 147, 30, 0],
      ["tools", 0, 0, 0, 2],
    ]);
    expect(b.models.map(([n, t]) => [n, t.modelCalls, t.total])).toEqual([
      ["big-model", 1, 1005],
      ["scripted-model-1", 2, 177],
    ]);
    expect([b.all.input, b.all.output]).toEqual([1147, 35]);
  });
});

describe("the side panel", () => {
  const model = new PayloadModel(payload(STEPS));
  const thread = model.thread("th")!;
  const ctx = { steps: STEPS, index: 1, threadHasCalls: true };

  it("a chat model call shows its model, tokens, tool calls and answer", () => {
    const el = renderTaskCalls(STEPS[0].tasks[0], { ...ctx, index: 0 })!;
    const head = el.querySelector(".pv-call-head")!.textContent!;
    expect(head).toContain("ScriptedChat");
    expect(head).toContain("scripted-model-1");
    expect(head).toContain("57 → 18 tokens");
    const asked = [...el.querySelectorAll(".pv-call-toolcalls li")].map((li) => li.textContent);
    expect(asked).toEqual(['get_weather(city="Paris") call_weather', "add(a=2, b=40) call_add"]);
  });

  it("a tool call shows its arguments, its result and who asked for it", () => {
    const el = renderTaskCalls(STEPS[1].tasks[0], ctx)!;
    const rows = [...el.querySelectorAll(".pv-call")];
    expect(rows.map((r) => r.querySelector(".pv-call-name")!.textContent)).toEqual(['get_weather(city="Paris")', "add(a=2, b=40)"]);
    expect(rows.map((r) => r.querySelector(".pv-call-result")!.textContent)).toEqual(["→ sunny in Paris", "→ 42"]);
    expect(rows[0].querySelector(".pv-call-link")!.textContent).toBe("asked for by agent (scripted-model-1) at step 1 as call_weather");
  });

  it("inputs and outputs are one click away, rendered as text", () => {
    const hostile = span(1, { kind: "tool", name: "t", input: { q: "<img src=x onerror=alert(1)>" }, output: "<b>bold</b>" });
    const el = renderTaskCalls(task("x", "n", [hostile]), ctx)!;
    const io = el.querySelector("details.pv-call-io") as HTMLDetailsElement;
    expect(io.querySelector(".pv-call-io-body")!.childElementCount).toBe(0);
    io.open = true;
    io.dispatchEvent(new Event("toggle"));
    expect(io.querySelector(".pv-call-io-body")!.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(el.querySelector("img, b")).toBeNull();
  });

  it("an error shows in red with its message; a ToolNode-handled error too", () => {
    const failed = span(1, { kind: "tool", name: "divide", status: "error", error: { type: "ZeroDivisionError", message: "division by zero" } });
    const handled = span(2, { kind: "tool", name: "divide", output: toolMessage("Error: ZeroDivisionError('division by zero')", "c", "error") });
    const el = renderTaskCalls(task("x", "tools", [failed, handled]), ctx)!;
    const rows = [...el.querySelectorAll(".pv-call")];
    expect(rows.every((r) => r.classList.contains("pv-call-failed"))).toBe(true);
    expect(rows[0].querySelector(".pv-error-text")!.textContent).toBe("ZeroDivisionError: division by zero");
    expect(rows[1].querySelector(".pv-call-result.pv-error-text")!.textContent).toContain("division by zero");
  });

  it("unknown calls say 'not recorded', none says 'none', and a run without calls says nothing", () => {
    expect(renderTaskCalls(task("x", "n", null), ctx)!.textContent).toContain("calls not recorded");
    expect(renderTaskCalls(task("x", "n", []), ctx)!.textContent).toContain("none");
    expect(renderTaskCalls(task("x", "n", []), { ...ctx, threadHasCalls: false })).toBeNull();
  });

  it("the thread's token section: per node and per model; unknown runs say so", () => {
    const el = renderRunTokens(thread)!;
    const cells = (sel: string) => [...el.querySelectorAll(`${sel} tbody tr`)].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
    expect(cells(".pv-tokens-nodes")).toEqual([
      ["agent", "2", "147 → 30", "100%", "1.20 s", ""],
      ["tools", "0", "—", "", "", "2"],
    ]);
    expect(cells(".pv-tokens-models")).toEqual([["scripted-model-1", "2", "147 → 30", "100%", "1.20 s"]]);
    expect(runTokensTitle(thread)).toBe("Tokens: 147 → 30 in 2 model calls");
    const rebuilt = new PayloadModel(payload([step(1, [task("a", "agent", null)])]));
    expect(renderRunTokens(rebuilt.thread("th")!)!.textContent).toBe("calls not recorded (run rebuilt from saved checkpoints)");
    const plain = new PayloadModel(payload([step(1, [task("a", "agent", [])])]));
    expect(renderRunTokens(plain.thread("th")!)).toBeNull();
  });

  it("a chain that returned a model's tool calls says so; an empty result says empty, not a bare →", () => {
    // create_react_agent's RunnableSequence around the model: its output is the AIMessage('') that asks for tools
    const chain = span(1, { kind: "chain", name: "RunnableSequence", output: aiMessage("", [{ name: "get_weather", args: { city: "Paris" }, id: "c_w" }, { name: "add", args: { a: 2, b: 40 }, id: "c_a" }]) });
    const silent = span(2, { kind: "tool", name: "noop", input: {}, output: toolMessage("", "c_n") });
    const rows = [...renderTaskCalls(task("x", "agent", [chain, silent]), ctx)!.querySelectorAll(".pv-call-result")].map((r) => r.textContent);
    expect(rows).toEqual(['→ get_weather(city="Paris"), add(a=2, b=40)', "→ (empty)"]);
  });

  it("finds the model call that asked for a tool call, in the task or an earlier step", () => {
    expect(findAsker("call_add", STEPS[1].tasks[0], STEPS, 1)?.task.id).toBe("t1");
    expect(findAsker("nope", STEPS[1].tasks[0], STEPS, 1)).toBeNull();
  });

  it("texts: signatures and results", () => {
    expect(callSignature("f", { s: "x", n: 1, l: [1, 2] })).toBe('f(s="x", n=1, l=[1, 2])');
    expect(callSignature("f", "raw")).toBe('f("raw")');
    expect(callSignature("f", { long: "y".repeat(300) }).length).toBeLessThan(110);
    expect(resultText(toolMessage("ok", "c"))).toBe("ok");
    expect(resultText({ $type: "x.AIMessage", $fields: { content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] } })).toBe("ab");
  });
});

describe("the timeline", () => {
  it("places each call inside its task's bar, by time", () => {
    const chain = span(1, { name: "RunnableSequence", start: 0.2, end: 0.8 });
    const model = span(2, { parent: 1, kind: "chat_model", start: 0.4, end: 0.6 });
    const col = ganttColumn(step(1, [task("t", "answer", [chain, model], 0, 1), task("u", "plain", [], 0, 0.5)]), 0);
    expect(col.lanes[0].calls.map((c) => [c.kind, c.depth, +c.x0.toFixed(2), +c.x1.toFixed(2)])).toEqual([
      ["chain", 0, 0.2, 0.8],
      ["model", 1, 0.4, 0.6],
    ]);
    expect(col.lanes[1].calls).toEqual([]);
    const failed = ganttColumn(step(1, [task("t", "tools", [span(1, { kind: "tool", status: "error", start: 0.1, end: 0.2 })])]), 0);
    expect(failed.lanes[0].calls.map((c) => [c.kind, c.failed])).toEqual([["tool", true]]);
  });

  it("draws call bars with their tooltips, and none in a band of thin lanes", () => {
    const tl = new Timeline({ onSelect: () => {} });
    tl.setWidth(800);
    tl.setSteps(STEPS);
    tl.render(1);
    const bars = [...tl.el.querySelectorAll(".pv-tl-call")];
    expect(bars.map((b) => b.className)).toEqual(["pv-tl-call pv-tl-call-model", "pv-tl-call pv-tl-call-tool", "pv-tl-call pv-tl-call-tool", "pv-tl-call pv-tl-call-model"]);
    expect(bars[0].getAttribute("title")).toBe("agent › model ScriptedChat (scripted-model-1): 200.0 ms, 57 → 18 tokens");
    expect(bars[1].getAttribute("title")).toBe('tools › tool get_weather(city="Paris"): 10.0 ms');
    const wide = step(1, Array.from({ length: 20 }, (_, i) => task(`w${i}`, "worker", [ASKING])));
    const band = new Timeline({ onSelect: () => {} });
    band.setWidth(800);
    band.setSteps([wide]);
    band.render(0);
    expect(band.el.querySelectorAll(".pv-tl-call")).toHaveLength(0);
  });
});

describe("a failed call inside a failed task", () => {
  it("is drawn apart from the task's red bar: another fill, and an outline", () => {
    const failing = task("t", "tools", [span(1, { kind: "tool", name: "divide", status: "error", error: { type: "ZeroDivisionError", message: "division by zero" }, start: 0.2, end: 0.6 })]);
    failing.status = "error";
    failing.attempts = [{ start: 0, end: 1, status: "error", error: { type: "ZeroDivisionError", message: "division by zero" } }];
    const tl = new Timeline({ onSelect: () => {} });
    tl.setWidth(800);
    tl.setSteps([step(1, [failing])]);
    tl.render(0);
    const style = document.createElement("style");
    style.textContent = baseCss + callsCss;
    document.head.append(style);
    const root = document.createElement("div");
    root.className = "pregel-viewer";
    root.append(tl.el);
    document.body.append(root);
    try {
      const bar = tl.el.querySelector(".pv-tl-bar.pv-bar-error")!;
      const call = tl.el.querySelector(".pv-tl-call.pv-tl-call-failed")!;
      expect(bar).not.toBeNull();
      expect(call).not.toBeNull();
      const b = getComputedStyle(bar);
      const c = getComputedStyle(call);
      // declared values (jsdom resolves no var()): the call's fill is not the failed task's
      expect(b.getPropertyValue("background")).toContain("var(--pv-error)");
      expect(c.getPropertyValue("background")).not.toBe(b.getPropertyValue("background"));
      expect(c.getPropertyValue("background")).toMatch(/#000|#7f1010/);
      expect(c.getPropertyValue("box-shadow")).toContain("var(--pv-bg)");
    } finally {
      root.remove();
      style.remove();
    }
  });
});

describe("a 10,000-step agent run", () => {
  const N = 10_000;
  const steps = Array.from({ length: N }, (_, i) =>
    step(i, [task(`t${i}`, i % 2 ? "tools" : "agent", i % 2 ? [{ ...WEATHER, id: 2 * i }, { ...ADD, id: 2 * i + 1 }] : [{ ...ASKING, id: 2 * i }], 0, 2)]),
  );

  it("the timeline draws the calls of the columns on screen only", () => {
    const tl = new Timeline({ onSelect: () => {} });
    tl.setWidth(1500);
    tl.setSteps(steps);
    tl.render(5000);
    const drawn = tl.el.querySelectorAll(".pv-tl-col").length;
    expect(drawn).toBe(tl.drawn);
    expect(drawn).toBeLessThan(40);
    expect(tl.el.querySelectorAll(".pv-tl-call").length).toBeLessThanOrEqual(2 * drawn);
    expect(tl.el.querySelectorAll(".pv-tl-call").length).toBeGreaterThan(drawn);
  });

  it("the thread's totals are computed once, and add up", () => {
    const thread = new PayloadModel(payload(steps)).thread("th")!;
    const b = threadBreakdown(thread);
    expect(threadBreakdown(thread)).toBe(b); // cached: the panel asks at each step
    expect([b.all.modelCalls, b.all.toolCalls, b.all.input, b.all.output]).toEqual([N / 2, N, (N / 2) * 57, (N / 2) * 18]);
  });
});
