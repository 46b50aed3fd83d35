// A list of LangChain messages as a conversation: the transcript builder (roles, tool calls,
// tool results linked to their calls, the diff by message id) and its drawing (text only).

import { describe, expect, it } from "vitest";
import { toolOutcomes } from "../src/viewer/calls";
import { buildTranscript, contentSegments, formatToolCall, formatToolCallLong, isMessageList, renderConversation, setToolOutcomes } from "../src/viewer/conversation";
import type { Json, SpanDoc, StepDoc, TaskDoc } from "../src/viewer/types";
import { appendedCount, renderAppended, renderValue } from "../src/viewer/values";
import { XSS_KEY, XSS_NODE, XSS_VALUE } from "./fixture";

type Fields = { [k: string]: Json };

const msg = (cls: string, fields: Fields): Json => ({ $type: `langchain_core.messages.${cls}`, $fields: fields });
const human = (content: Json, id = "h1", extra: Fields = {}) => msg("human.HumanMessage", { content, type: "human", name: null, id, ...extra });
const system = (content: string, id = "s1") => msg("system.SystemMessage", { content, type: "system", name: null, id });
const ai = (content: Json, id: string, extra: Fields = {}) =>
  msg("ai.AIMessage", { content, type: "ai", name: null, id, tool_calls: [], invalid_tool_calls: [], usage_metadata: null, ...extra });
const call = (name: string, args: Json, id: string): Json => ({ name, args, id, type: "tool_call" });
const tool = (content: Json, callId: string, id: string, extra: Fields = {}) =>
  msg("tool.ToolMessage", { content, type: "tool", name: null, id, tool_call_id: callId, artifact: null, status: "success", ...extra });

/** The weather agent's conversation (tests/agents.py weather_script, as recorded). */
function weather(): Json[] {
  return [
    human("What is the weather in Paris, and 2 + 40?"),
    ai("", "a1", {
      tool_calls: [call("get_weather", { city: "Paris" }, "call_weather"), call("add", { a: 2, b: 40 }, "call_add")],
      usage_metadata: { input_tokens: 57, output_tokens: 18, total_tokens: 75 },
    }),
    tool("sunny in Paris", "call_weather", "t1", { name: "get_weather" }),
    tool("42", "call_add", "t2", { name: "add" }),
    ai("It is sunny in Paris, and 2 + 40 = 42.", "a2", { usage_metadata: { input_tokens: 90, output_tokens: 12, total_tokens: 102 } }),
  ];
}

const raw = (v: Json): HTMLElement => renderValue(v, { open: true });

function noMarkup(el: Element): void {
  expect(el.querySelectorAll("script, img, textarea, iframe, object, embed, svg, a").length).toBe(0);
  for (const node of Array.from(el.querySelectorAll("*"))) {
    for (const a of Array.from(node.attributes)) expect(a.name.startsWith("on")).toBe(false);
  }
}

describe("which values are conversations", () => {
  it("a list of LangChain messages (chunks and a cut marker included), nothing else", () => {
    expect(isMessageList(weather())).toBe(true);
    expect(isMessageList([msg("ai.AIMessageChunk", { content: "hi", id: "c" })])).toBe(true);
    expect(isMessageList([human("a"), { $type: "pregel_viz.truncated", $kind: "list", $len: 5000 }])).toBe(true);
    expect(isMessageList([])).toBe(false);
    expect(isMessageList([human("a"), "b"])).toBe(false);
    expect(isMessageList([{ $type: "langgraph.types.Send", $fields: {} }])).toBe(false);
    expect(isMessageList(human("a"))).toBe(false);
  });
});

describe("the transcript", () => {
  it("gives each message its role, its name, its content as text and its token usage", () => {
    const t = buildTranscript([
      system("Be brief."),
      human("hi", "h1", { name: "alice" }),
      ...weather().slice(1),
      msg("ai.AIMessageChunk", { content: "streamed", type: "AIMessageChunk", id: "c1", tool_calls: [], usage_metadata: { input_tokens: 3, output_tokens: 1250, total_tokens: 1253 } }),
      msg("chat.ChatMessage", { content: "x", role: "critic", type: "chat", id: "m1" }),
      msg("modifier.RemoveMessage", { content: "", type: "remove", id: "h1" }),
    ]);
    expect(t.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "tool", "assistant", "assistant", "critic", "remove"]);
    expect(t.messages[1].name).toBe("alice");
    expect(t.messages[3].name).toBe("get_weather");
    expect(t.messages[5].text).toBe("It is sunny in Paris, and 2 + 40 = 42.");
    expect(t.messages[2].usage).toBe("57 → 18 tokens");
    expect(t.messages[6].usage).toBe("3 → 1,250 tokens");
    expect(t.messages[6].type).toBe("AIMessageChunk");
    expect(t.diffed).toBe(false);
    expect(t.messages.every((m) => m.change === null)).toBe(true);
  });

  it("shows a content made of parts as its text parts and names the others", () => {
    const parts: Json = [
      { type: "text", text: "Look at this:" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      "and this",
      { type: "input_audio", data: "…" },
      { type: "tool_use", name: "search", id: "x", input: {} },
      { type: "mystery" },
    ];
    const segs = contentSegments(parts);
    expect(segs.map((s) => `${s.kind}:${s.text}`)).toEqual([
      "text:Look at this:",
      "part:[image]",
      "text:and this",
      "part:[audio]",
      "part:[tool_use search]",
      "part:[mystery]",
    ]);
    // a string cut when recorded keeps its head and says so
    const cut = contentSegments({ $type: "pregel_viz.truncated", $kind: "str", $len: 200000, $head: "Once upon" });
    expect(cut.map((s) => s.text)).toEqual(["Once upon", "✂ cut (200000 chars in all)"]);
  });

  it("formats tool calls compactly, with their arguments as JSON when long", () => {
    expect(formatToolCall("get_weather", { city: "Paris" })).toBe('get_weather(city="Paris")');
    expect(formatToolCall("add", { a: 2, b: 40 })).toBe("add(a=2, b=40)");
    expect(formatToolCall("f", {})).toBe("f()");
    expect(formatToolCall("f", null)).toBe("f()");
    expect(formatToolCall("f", { "two words": [1, { x: null }], ok: true })).toBe('f("two words"=[1,{"x":null}], ok=true)');
    expect(formatToolCall("raw", "not json")).toBe("raw(not json)");
    const t = buildTranscript([ai("", "a", { tool_calls: [call("search", { query: "tides ".repeat(30) }, "c1"), call("add", { a: 1, b: 2 }, "c2")] })]);
    const [long, short] = t.messages[0].toolCalls;
    expect(long.long).toBe(true);
    expect(short.long).toBe(false);
    expect(short.text).toBe("add(a=1, b=2)");
    // a long one: one argument a line, values as JSON
    const args: Json = { query: "ocean tides", filters: { year: [2000, 2024] } };
    expect(formatToolCallLong("search", args)).toBe('search(\n  query="ocean tides",\n  filters={"year":[2000,2024]}\n)');
    expect(formatToolCallLong("search", [1, 2])).toBe("search(\n[\n  1,\n  2\n]\n)");
    const drawn = renderConversation([ai("", "a", { tool_calls: [call("search", { query: "tides ".repeat(30) }, "c1")] })], { raw });
    expect(drawn.querySelector(".pv-msg-callsig")!.textContent).toBe(formatToolCallLong("search", { query: "tides ".repeat(30) }));
    // invalid tool calls (arguments the model got wrong) and the provider's own format
    const odd = buildTranscript([
      ai("", "b", {
        invalid_tool_calls: [{ name: "add", args: "{a: 1", id: "bad", error: "not JSON", type: "invalid_tool_call" }],
        additional_kwargs: { tool_calls: [{ id: "oa", type: "function", function: { name: "lookup", arguments: '{"q": "x"}' } }] },
      }),
    ]).messages[0].toolCalls;
    expect(odd.map((c) => [c.text, c.invalid])).toEqual([
      ['lookup(q="x")', null],
      ["add({a: 1)", "not JSON"],
    ]);
  });

  it("links each tool result to the call it answers", () => {
    const t = buildTranscript(weather());
    const [weatherCall, addCall] = t.messages[1].toolCalls;
    expect(t.messages[2].answers).toEqual({ id: "call_weather", name: "get_weather", call: weatherCall });
    expect(t.messages[3].answers!.call).toBe(addCall);
    expect(weatherCall.answered).toBe(true);
    expect(addCall.answered).toBe(true);
    // a tool message without a name takes the tool's name from its call
    const unnamed = buildTranscript([weather()[1], tool("sunny", "call_weather", "t1")]);
    expect(unnamed.messages[1].answers!.name).toBe("get_weather");
    expect(unnamed.messages[0].toolCalls.map((c) => c.answered)).toEqual([true, false]);
    // a call whose result is not in the list: unanswered; unknown when the list was cut
    const cut = buildTranscript([weather()[1], { $type: "pregel_viz.truncated", $kind: "list", $len: 9000 }]);
    expect(cut.messages[0].toolCalls.map((c) => c.answered)).toEqual([null, null]);
    expect(cut.cut).toBe("✂ list cut when recorded (9000 messages in all)");
    // an answer to a call that is not in the list still names the call id
    const orphan = buildTranscript([tool("late", "call_gone", "t9", { name: "search" })]);
    expect(orphan.messages[0].answers).toEqual({ id: "call_gone", name: "search", call: null });
  });

  it("marks a tool result with status error, and its call", () => {
    const list = [
      ai("", "a1", { tool_calls: [call("divide", { a: 1, b: 0 }, "call_div")] }),
      tool("Error: ZeroDivisionError('division by zero')\n Please fix your mistakes.", "call_div", "t1", { name: "divide", status: "error" }),
    ];
    const t = buildTranscript(list);
    expect(t.messages[1].error).toBe(true);
    expect(t.messages[0].toolCalls[0].failed).toBe(true);
    const el = renderConversation(list, { raw });
    const result = el.querySelector(".pv-msg-tool")!;
    expect(result.classList.contains("pv-msg-error")).toBe(true);
    expect(result.querySelector(".pv-msg-status")!.textContent).toBe("error");
    expect(el.querySelector(".pv-msg-call .pv-msg-callstate-error")!.textContent).toBe("error");
  });

  it("diffs by message id as add_messages applies it: new, replaced, removed", () => {
    const before = weather().slice(0, 4);
    // appended: the final answer
    const appended = buildTranscript(weather(), before);
    expect(appended.messages.map((m) => m.change)).toEqual([null, null, null, null, "new"]);
    expect([appended.added, appended.replaced, appended.removed]).toEqual([1, 0, 0]);
    // the tool result t1 replaced (same id, other content), t2 removed, a new one appended
    const after = [before[0], before[1], tool("rainy in Paris", "call_weather", "t1", { name: "get_weather" }), ai("Rain.", "a3")];
    const t = buildTranscript(after, before);
    expect(t.messages.map((m) => [m.id, m.change])).toEqual([
      ["h1", null],
      ["a1", null],
      ["t1", "replaced"],
      ["t2", "removed"], // in its place, after the message it followed
      ["a3", "new"],
    ]);
    expect(t.messages[2].previous).toEqual(before[2]);
    expect(t.messages[2].text).toBe("rainy in Paris");
    expect([t.added, t.replaced, t.removed]).toEqual([1, 1, 1]);
    // the first message removed goes first
    const first = buildTranscript(before.slice(1), before);
    expect(first.messages.map((m) => [m.id, m.change])).toEqual([
      ["h1", "removed"],
      ["a1", null],
      ["t1", null],
      ["t2", null],
    ]);
    // several removed in a row keep their order
    const two = buildTranscript([before[0], before[1]], before);
    expect(two.messages.map((m) => [m.id, m.change])).toEqual([
      ["h1", null],
      ["a1", null],
      ["t1", "removed"],
      ["t2", "removed"],
    ]);
    expect(two.messages[1].toolCalls.map((c) => c.answered)).toEqual([false, false]);
    // a removed tool result no longer answers its call
    expect(first.messages[0].toolCalls).toEqual([]);
    // messages without ids are matched by content
    const plain = (c: string) => msg("human.HumanMessage", { content: c, type: "human", id: null });
    const anon = buildTranscript([plain("a"), plain("c")], [plain("a"), plain("b")]);
    expect(anon.messages.map((m) => [m.text, m.change])).toEqual([
      ["a", null],
      ["b", "removed"],
      ["c", "new"],
    ]);
    // a previous list that was cut cannot tell what is new
    const cutBefore = buildTranscript(weather(), [...before, { $type: "pregel_viz.truncated", $kind: "list", $len: 2000 }]);
    expect(cutBefore.diffed).toBe(false);
  });
});

describe("the conversation drawn", () => {
  it("reads like a chat: a bubble per message, tool calls and results linked, usage", () => {
    const el = renderConversation(weather(), { raw });
    const bubbles = Array.from(el.querySelectorAll(".pv-msg"));
    expect(bubbles.map((b) => b.getAttribute("data-role"))).toEqual(["user", "assistant", "tool", "tool", "assistant"]);
    expect(el.querySelector(".pv-convo-head")!.textContent).toBe("5 messages");
    const calls = Array.from(bubbles[1].querySelectorAll(".pv-msg-call"));
    expect(calls.map((c) => c.querySelector(".pv-msg-callsig")!.textContent)).toEqual(['get_weather(city="Paris")', "add(a=2, b=40)"]);
    expect(calls.map((c) => c.getAttribute("data-call"))).toEqual(["call_weather", "call_add"]);
    expect(bubbles[1].querySelector(".pv-msg-usage")!.textContent).toBe("57 → 18 tokens");
    expect(bubbles[1].querySelector(".pv-msg-body")).toBeNull(); // no empty text for a tool-calls-only message
    const answer = bubbles[2].querySelector(".pv-msg-answers")!;
    expect(bubbles[2].querySelector(".pv-msg-name")!.textContent).toBe("get_weather");
    expect(answer.textContent).toBe("↩ call_weather");
    expect(answer.getAttribute("data-call")).toBe("call_weather");
    expect(answer.getAttribute("title")).toBe('the result of get_weather(city="Paris")');
    expect(bubbles[4].querySelector(".pv-msg-body")!.textContent).toBe("It is sunny in Paris, and 2 + 40 = 42.");
    // hovering a result lights its call
    answer.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    expect(calls[0].classList.contains("pv-msg-linked")).toBe(true);
    expect(calls[1].classList.contains("pv-msg-linked")).toBe(false);
    el.dispatchEvent(new MouseEvent("mouseleave"));
    expect(el.querySelectorAll(".pv-msg-linked").length).toBe(0);
  });

  it("keeps each message's raw fields one click away", () => {
    const el = renderConversation(weather(), { raw });
    const bubble = el.querySelectorAll(".pv-msg")[1];
    const box = bubble.querySelector<HTMLElement>(".pv-msg-raw")!;
    expect(box.hidden).toBe(true);
    expect(box.childNodes.length).toBe(0); // built on first click
    bubble.querySelector<HTMLButtonElement>(".pv-msg-rawbtn")!.click();
    expect(box.hidden).toBe(false);
    expect(box.querySelector(".pv-v-type")!.textContent).toBe("AIMessage");
    expect(box.textContent).toContain("usage_metadata");
    bubble.querySelector<HTMLButtonElement>(".pv-msg-rawbtn")!.click();
    expect(box.hidden).toBe(true);
  });

  it("clamps long contents, with more", () => {
    const long = `# Title\n\n${"A line of a long answer.\n".repeat(40)}`;
    const el = renderConversation([human("q"), ai(long, "a")], { raw });
    const body = el.querySelectorAll(".pv-msg")[1].querySelector(".pv-msg-body")!;
    expect(body.classList.contains("pv-msg-clamped")).toBe(true);
    expect(body.textContent).toBe(long); // all of it is there, as text
    const more = el.querySelector<HTMLButtonElement>(".pv-msg-more")!;
    expect(more.textContent).toBe("more");
    more.click();
    expect(body.classList.contains("pv-msg-clamped")).toBe(false);
    expect(more.textContent).toBe("less");
    expect(el.querySelectorAll(".pv-msg")[0].querySelector(".pv-msg-more")).toBeNull();
  });

  it("marks the changes: + new, replaced (with what it was), removed", () => {
    const before = weather().slice(0, 4);
    const after = [before[0], before[1], tool("rainy", "call_weather", "t1", { name: "get_weather" }), ai("Rain.", "a3")];
    const el = renderConversation(after, { raw, before });
    expect(el.querySelector(".pv-convo-head")!.textContent).toBe("+ 1 new · 1 replaced · 1 removed (4 messages now)");
    const marks = Array.from(el.querySelectorAll(".pv-msg")).map((b) => b.querySelector(".pv-msg-change")?.textContent ?? "");
    expect(marks).toEqual(["", "", "replaced", "removed", "+ new"]);
    const replaced = el.querySelector(".pv-msg-replaced")!;
    expect(replaced.querySelector(":scope > .pv-msg-body")!.textContent).toBe("rainy");
    expect(replaced.querySelector(".pv-msg-was")!.textContent).toBe("wassunny in Paris");
    expect(el.querySelector(".pv-msg-removed .pv-msg-body")!.textContent).toBe("42");
    expect(el.getAttribute("data-messages")).toBe("4");
  });

  it("shows the last messages before a change in a long conversation, the others on demand", () => {
    const list: Json[] = [];
    for (let i = 0; i < 40; i++) list.push(i % 2 ? ai(`answer ${i}`, `m${i}`) : human(`question ${i}`, `m${i}`));
    const el = renderConversation(list, { raw, before: list.slice(0, 39) });
    expect(el.querySelectorAll(".pv-msg").length).toBe(13);
    const earlier = el.querySelector<HTMLButtonElement>(".pv-convo-earlier")!;
    expect(earlier.textContent).toBe("⋯ 27 messages before");
    earlier.click();
    expect(el.querySelectorAll(".pv-msg").length).toBe(40);
    expect(el.querySelector(".pv-msg")!.textContent).toContain("question 0");
  });

  it("hostile strings stay text", () => {
    const list: Json[] = [
      human(XSS_VALUE, XSS_KEY, { name: XSS_NODE }),
      ai([{ type: "text", text: XSS_VALUE }, { type: XSS_KEY }], "a1", {
        tool_calls: [call(XSS_NODE, { [XSS_KEY]: XSS_VALUE }, XSS_KEY)],
        response_metadata: { model_name: XSS_VALUE },
      }),
      tool(XSS_VALUE, XSS_KEY, "t1", { name: XSS_NODE, status: "error" }),
    ];
    const el = renderConversation(list, { raw, before: [human("x", XSS_VALUE)] });
    document.body.append(el);
    for (const b of Array.from(el.querySelectorAll<HTMLButtonElement>(".pv-msg-rawbtn"))) b.click();
    for (const d of Array.from(el.querySelectorAll("details"))) {
      d.open = true;
      (d as HTMLDetailsElement & { pvBuild?: () => void }).pvBuild?.();
    }
    noMarkup(el);
    expect(el.textContent).toContain(XSS_VALUE);
    expect(el.textContent).toContain(XSS_KEY);
    expect(el.textContent).toContain(XSS_NODE);
    expect(el.querySelector(".pv-msg-callsig")!.textContent).toBe(`${XSS_NODE}(${JSON.stringify(XSS_KEY)}=${JSON.stringify(XSS_VALUE)})`);
    el.remove();
  });
});

describe("in the value renderer", () => {
  it("a message list renders as a conversation wherever it is, other lists as before", () => {
    expect(renderValue(weather()).classList.contains("pv-convo")).toBe(true);
    const state = renderValue({ messages: weather(), n: 1 }, { open: true });
    expect(state.querySelector(".pv-convo .pv-msg-assistant")).not.toBeNull();
    expect(renderValue(["a", "b"]).textContent).toBe('["a", "b"]');
    expect(renderValue(human("lone")).querySelector(".pv-v-type")!.textContent).toBe("HumanMessage");
  });

  it("a message list that grew shows the whole conversation, its new messages marked", () => {
    const list = weather();
    expect(appendedCount(list.slice(0, 4), list)).toBe(1);
    const el = renderAppended(list, 4);
    expect(el.classList.contains("pv-convo")).toBe(true);
    expect(el.querySelectorAll(".pv-msg").length).toBe(5);
    expect(Array.from(el.querySelectorAll(".pv-msg-new")).map((b) => b.querySelector(".pv-msg-body")!.textContent)).toEqual(["It is sunny in Paris, and 2 + 40 = 42."]);
    // other lists keep their "+ appended" items
    expect(renderAppended(["a", "b", "c"], 1).querySelector(".pv-append-head")!.textContent).toBe("+ 2 appended (3 items now)");
  });

  it("a message list that changed otherwise is diffed against the one appendedCount compared", () => {
    const before = weather();
    const after = [before[0], before[1], before[2], before[4]]; // t2 removed
    expect(appendedCount(before, after)).toBe(0);
    const el = renderValue(after); // as the side panel renders a changed state key
    expect(el.querySelector(".pv-msg-removed")!.getAttribute("data-id")).toBe("t2");
    // taken once: the next rendering of the same list is not a diff
    expect(renderValue(after).querySelector(".pv-msg-removed")).toBeNull();
    // an explicit previous value does the same
    expect(renderValue(after, { before }).querySelectorAll(".pv-msg-removed").length).toBe(1);
    // a comparison followed by another value does not leak into a later one
    appendedCount(before, after);
    renderValue("something else");
    expect(renderValue(after).querySelector(".pv-msg-removed")).toBeNull();
  });
});

/** tests/agents.py tool_agent(handle_tool_errors=False) asked for get_weather and divide(1, 0):
 *  divide raised, the tools task failed and no tool message came back; only its recorded call
 *  (a "tool" span with status error and the call's id) says what happened. As recorded. */
describe("a tool that raised with nothing to handle it (the run crashed)", () => {
  const asked = ai("", "a1", { tool_calls: [call("get_weather", { city: "Paris" }, "call_weather"), call("divide", { a: 1, b: 0 }, "call_div")] });
  const list = (): Json[] => [human("Weather in Paris, and 1/0?"), asked];
  const toolSpan = (id: number, name: string, callId: string, status: string, error: SpanDoc["error"]): SpanDoc => ({
    id,
    parent: null,
    kind: "tool",
    name,
    model: null,
    start: 1,
    end: 1.01,
    status,
    error,
    input: null,
    output: null,
    tool_calls: null,
    tool_call_id: callId,
    usage: null,
    first_token: null,
    chunks: null,
  });
  const task = (id: string, name: string, status: string, calls: SpanDoc[]): TaskDoc => ({
    id,
    name,
    kind: "pull",
    status,
    path: "",
    triggers: [],
    sent_by: null,
    writes: [],
    error: status === "error" ? { type: "ZeroDivisionError", message: "division by zero" } : null,
    interrupts: [],
    resumes: [],
    attempts: null,
    input: null,
    subgraphs: [],
    calls,
  });
  const step = (n: number, tasks: TaskDoc[]): StepDoc => ({ step: n, source: "loop", checkpoint: `c${n}`, parent: null, start: 0, end: 1, state: { set: {}, del: [] }, versions: { set: {}, del: [] }, updated: [], next: {}, edges: [], tasks });
  const steps = (error: SpanDoc["error"]): StepDoc[] => [
    step(1, [task("t1", "agent", "ok", [])]),
    step(2, [task("t2", "tools", "error", [toolSpan(2, "get_weather", "call_weather", "ok", null), toolSpan(3, "divide", "call_div", "error", error)])]),
  ];
  const DIV = { type: "ZeroDivisionError", message: "division by zero" };

  it("the recorded calls of the steps so far say which tool raised, and what", () => {
    const o = toolOutcomes(steps(DIV), 1);
    expect(o.get("call_div")).toEqual({ status: "error", error: "ZeroDivisionError: division by zero" });
    expect(o.get("call_weather")).toEqual({ status: "ok", error: null });
    // at the step that asked, the tools have not run yet
    expect(toolOutcomes(steps(DIV), 0).size).toBe(0);
    const t = buildTranscript(list(), null, o);
    const [weather, div] = t.messages[1].toolCalls;
    expect([div.answered, div.failed, div.outcome?.error]).toEqual([false, true, "ZeroDivisionError: division by zero"]);
    expect([weather.answered, weather.failed]).toEqual([false, false]);
  });

  it("shows the call failed with the error as text, styled as an error result; 'no result' only when nothing is known", () => {
    const el = renderConversation(list(), { raw, outcomes: toolOutcomes(steps(DIV), 1) });
    const div = el.querySelector<HTMLElement>('.pv-msg-call[data-call="call_div"]')!;
    expect(div.classList.contains("pv-msg-call-failed")).toBe(true);
    expect(div.querySelector(".pv-msg-callstate")!.textContent).toBe("failed");
    expect(div.querySelector(".pv-msg-callstate")!.classList.contains("pv-msg-callstate-error")).toBe(true);
    expect(div.querySelector(".pv-msg-callerror")!.textContent).toBe("ZeroDivisionError: division by zero");
    expect(div.textContent).not.toContain("no result");
    // get_weather returned, but its task failed: its result never reached the list
    const weather = el.querySelector<HTMLElement>('.pv-msg-call[data-call="call_weather"]')!;
    expect(weather.querySelector(".pv-msg-callstate")!.textContent).toBe("no result");
    expect(weather.querySelector(".pv-msg-callstate")!.getAttribute("title")).toContain("its tool returned");
    expect(weather.classList.contains("pv-msg-call-failed")).toBe(false);
    // nothing known (no calls recorded, or the step that asked): "no result" for both
    for (const outcomes of [null, toolOutcomes(steps(DIV), 0)]) {
      const plain = renderConversation(list(), { raw, outcomes });
      expect([...plain.querySelectorAll(".pv-msg-callstate")].map((s) => s.textContent)).toEqual(["no result", "no result"]);
      expect(plain.querySelector(".pv-msg-call-failed")).toBeNull();
    }
  });

  it("the error is text, never markup", () => {
    const hostile = { type: "ValueError", message: `${XSS_VALUE}<img src=x onerror=alert(1)><script>alert(2)</script>` };
    const el = renderConversation(list(), { raw, outcomes: toolOutcomes(steps(hostile), 1) });
    expect(el.querySelector('.pv-msg-call[data-call="call_div"] .pv-msg-callerror')!.textContent).toBe(`ValueError: ${hostile.message}`);
    noMarkup(el);
  });

  it("a handled error (ToolNode answered with a status-error tool message) stays the tool message's", () => {
    const answered = [...list(), tool("Error: ZeroDivisionError('division by zero')", "call_div", "t1", { name: "divide", status: "error" })];
    const el = renderConversation(answered, { raw, outcomes: toolOutcomes(steps(DIV), 1) });
    const div = el.querySelector<HTMLElement>('.pv-msg-call[data-call="call_div"]')!;
    expect(div.querySelector(".pv-msg-callstate")!.textContent).toBe("error");
    expect(div.querySelector(".pv-msg-callerror")).toBeNull();
  });

  it("through the value renderer, with what the panel set for the step shown", () => {
    let asked = 0;
    setToolOutcomes(() => {
      asked++;
      return toolOutcomes(steps(DIV), 1);
    });
    try {
      const el = renderValue(list());
      expect(el.querySelector('.pv-msg-call[data-call="call_div"] .pv-msg-callstate')!.textContent).toBe("failed");
      renderValue(list());
      expect(asked).toBe(1); // computed once per step shown
      // a conversation whose calls are all answered does not ask
      setToolOutcomes(() => {
        throw new Error("not needed");
      });
      renderValue(weather());
    } finally {
      setToolOutcomes(null);
    }
  });
});
