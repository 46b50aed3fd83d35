// A list of LangChain messages (values tagged langchain_core.messages.*) as a chat transcript:
// one bubble per message with its role and name, its content as text (markdown stays text),
// an AI message's tool calls with their arguments and token usage, each tool result linked to
// the call it answers, and, against the list of the step before, the diff by id as
// add_messages applies it (new, replaced, removed). Each bubble keeps the raw fields one click
// away. Everything user-provided goes in as text.
//
// buildTranscript is the data (tested on its own); renderConversation draws it.

import { h } from "./dom";
import { isObject, isTagged, type Obj, sameValue, shortType, TRUNCATED } from "./json";
import type { Json } from "./types";

const MESSAGES = "langchain_core.messages.";

/** A tool call shown inline up to this many characters; longer ones show their arguments as JSON. */
const INLINE_CALL = 80;
/** Content longer than this (characters or lines) is clamped, with "more". */
const CLAMP_CHARS = 600;
const CLAMP_LINES = 10;
/** A conversation with more than EARLIER_LIMIT messages before its first change shows only the
 *  last EARLIER_SHOWN of them; the others are one click away. */
const EARLIER_LIMIT = 24;
const EARLIER_SHOWN = 12;

export type Change = "new" | "replaced" | "removed" | null;

export interface ToolCallView {
  name: string;
  id: string | null;
  args: Json;
  /** `get_weather(city="Paris")` */
  text: string;
  /** too long for one line: the arguments are shown as JSON under the name */
  long: boolean;
  /** the error of an invalid tool call (arguments the model got wrong), else null */
  invalid: string | null;
  /** whether a tool message of the list answers it (null: cannot tell, the list was cut) */
  answered: boolean | null;
  /** whether that answer has status "error", or, unanswered, its tool raised */
  failed: boolean;
  /** unanswered: what the recorded calls say its tool run did (the error it raised, or that it
   *  returned), else null */
  outcome: ToolOutcome | null;
}

/** What the recorded calls say of a tool call's run (a span of kind "tool" with its
 *  tool_call_id): a tool that raised leaves no tool message when nothing handles the error
 *  (the task failed), and only its call says so. */
export interface ToolOutcome {
  /** the span's status: ok | error | running */
  status: string;
  /** its error as text ("ZeroDivisionError: division by zero"), else null */
  error: string | null;
}

/** Tool call id → what its tool run did, as known at the step shown. */
export type ToolOutcomes = ReadonlyMap<string, ToolOutcome>;

/** The outcomes the next conversations drawn read, computed on first need (the panel sets them
 *  for the step it shows: the calls of the tasks up to that step). */
let outcomesSource: (() => ToolOutcomes) | null = null;

/** Set (or clear, with null) where the conversations drawn from now on learn what happened to a
 *  tool call no tool message answers. */
export function setToolOutcomes(source: (() => ToolOutcomes) | null): void {
  let known: ToolOutcomes | null = null;
  outcomesSource = source && (() => (known ??= source()));
}

export interface Segment {
  /** "text": content text; "part": a content part that is not text, named ("[image]") */
  kind: "text" | "part";
  text: string;
}

export interface MessageView {
  /** the message as recorded (tagged) */
  message: Json;
  /** its class: "AIMessage", "ToolMessageChunk", ... */
  type: string;
  /** user, assistant, tool, system, function, remove, or a ChatMessage's own role */
  role: string;
  name: string | null;
  id: string | null;
  content: Segment[];
  /** the text segments joined */
  text: string;
  toolCalls: ToolCallView[];
  /** a tool message: the call it answers (its id, the tool's name, the call when in the list) */
  answers: { id: string | null; name: string | null; call: ToolCallView | null } | null;
  /** a tool message with status "error" */
  error: boolean;
  /** "57 → 18 tokens" */
  usage: string | null;
  model: string | null;
  change: Change;
  /** a replaced message: the message it replaced */
  previous: Json | null;
}

export interface Transcript {
  messages: MessageView[];
  /** the list was cut when recorded: what the marker says */
  cut: string | null;
  /** whether the list was compared with a previous one */
  diffed: boolean;
  added: number;
  replaced: number;
  removed: number;
}

function str(v: Json | undefined): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function num(v: Json | undefined): number | null {
  return typeof v === "number" && isFinite(v) ? v : null;
}

/** Whether `v` is a LangChain message as recorded. */
export function isMessage(v: Json | undefined): v is Obj & { $type: string } {
  return isTagged(v) && v.$type.startsWith(MESSAGES);
}

function isListCut(v: Json | undefined): boolean {
  return isTagged(v) && v.$type === TRUNCATED && v.$kind === "list";
}

/** Whether `v` is a list of LangChain messages (a trailing "list cut" marker allowed). */
export function isMessageList(v: Json | undefined): boolean {
  if (!Array.isArray(v) || !v.length) return false;
  let messages = 0;
  for (const x of v) {
    if (isMessage(x)) messages++;
    else if (!isListCut(x)) return false;
  }
  return messages > 0;
}

function fieldsOf(m: Json): Obj {
  return isTagged(m) && isObject(m.$fields) ? m.$fields : {};
}

function idOf(m: Json): string | null {
  return str(fieldsOf(m).id);
}

const ROLES: Record<string, string> = {
  HumanMessage: "user",
  AIMessage: "assistant",
  ToolMessage: "tool",
  SystemMessage: "system",
  FunctionMessage: "function",
  RemoveMessage: "remove",
};

const TYPE_ROLES: Record<string, string> = { human: "user", ai: "assistant", tool: "tool", system: "system", function: "function", remove: "remove" };

function roleOf(type: string, f: Obj): string {
  const base = type.replace(/Chunk$/, "");
  if (base === "ChatMessage" && str(f.role)) return str(f.role)!;
  if (ROLES[base]) return ROLES[base];
  const t = str(f.type);
  if (t && TYPE_ROLES[t]) return TYPE_ROLES[t];
  return base.replace(/Message$/, "").toLowerCase() || "message";
}

/** What a string cut when recorded says, after its head. */
function cutText(v: Obj): string {
  const len = num(v.$len);
  return `✂ cut${len !== null ? ` (${len} chars in all)` : ""}`;
}

const PART_NAMES: Record<string, string> = {
  image: "image",
  image_url: "image",
  input_image: "image",
  audio: "audio",
  input_audio: "audio",
  file: "file",
  input_file: "file",
  video: "video",
};

function partSegments(p: Json): Segment[] {
  if (typeof p === "string") return p ? [{ kind: "text", text: p }] : [];
  if (isTagged(p)) {
    if (p.$type === TRUNCATED) return contentSegments(p);
    return [{ kind: "part", text: `[${shortType(p.$type)}]` }];
  }
  if (isObject(p)) {
    const type = str(p.type);
    if ((type === "text" || type === null) && (typeof p.text === "string" || isTagged(p.text))) return contentSegments(p.text);
    if (type && PART_NAMES[type]) return [{ kind: "part", text: `[${PART_NAMES[type]}]` }];
    if (type === "tool_use" && str(p.name)) return [{ kind: "part", text: `[tool_use ${p.name}]` }];
    return [{ kind: "part", text: `[${type ?? "part"}]` }];
  }
  return p === null ? [] : [{ kind: "part", text: `[${Array.isArray(p) ? "list" : typeof p}]` }];
}

/** A message's content as text segments: a string as it is, a list of parts as their text
 *  and the names of the others. */
export function contentSegments(c: Json | undefined): Segment[] {
  if (c === undefined || c === null) return [];
  if (typeof c === "string") return c ? [{ kind: "text", text: c }] : [];
  if (isTagged(c) && c.$type === TRUNCATED) {
    const out: Segment[] = [];
    if (typeof c.$head === "string") out.push({ kind: "text", text: c.$head });
    out.push({ kind: "part", text: c.$kind === "str" ? cutText(c) : "✂ cut" });
    return out;
  }
  if (Array.isArray(c)) return c.flatMap(partSegments);
  return partSegments(c);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function argText(v: Json): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function argList(args: Json | undefined): string[] | null {
  if (!isObject(args) || isTagged(args)) return null;
  return Object.keys(args).map((k) => `${IDENT.test(k) ? k : JSON.stringify(k)}=${argText(args[k])}`);
}

/** `get_weather(city="Paris")`: a tool call in one line, arguments as keyword=JSON. */
export function formatToolCall(name: string, args: Json | undefined): string {
  if (args === undefined || args === null) return `${name}()`;
  const list = argList(args);
  if (list) return `${name}(${list.join(", ")})`;
  return `${name}(${typeof args === "string" ? args : argText(args)})`;
}

/** A tool call too long for one line: one argument a line (values as JSON), or the arguments
 *  as indented JSON when they are not keywords. */
export function formatToolCallLong(name: string, args: Json | undefined): string {
  const list = argList(args);
  if (list) return `${name}(\n${list.map((a) => `  ${a}`).join(",\n")}\n)`;
  if (typeof args === "string") return `${name}(\n  ${args}\n)`;
  return `${name}(\n${JSON.stringify(args ?? null, null, 2)}\n)`;
}

function callView(name: string | null, args: Json | undefined, id: string | null, invalid: string | null): ToolCallView {
  const n = name ?? "?";
  const a = args === undefined ? null : args;
  const text = formatToolCall(n, a);
  return { name: n, id, args: a, text, long: text.length > INLINE_CALL, invalid, answered: null, failed: false, outcome: null };
}

function parseArgs(s: Json | undefined): Json {
  if (typeof s !== "string") return s ?? null;
  try {
    return JSON.parse(s) as Json;
  } catch {
    return s;
  }
}

function toolCallsOf(f: Obj): ToolCallView[] {
  const out: ToolCallView[] = [];
  const calls = Array.isArray(f.tool_calls) ? f.tool_calls : [];
  for (const c of calls) if (isObject(c) && !isTagged(c)) out.push(callView(str(c.name), c.args, str(c.id), null));
  const ak = f.additional_kwargs;
  if (!out.length && isObject(ak) && Array.isArray(ak.tool_calls)) {
    // the provider's own format (OpenAI: {id, function: {name, arguments}}), kept by older messages
    for (const c of ak.tool_calls) {
      if (!isObject(c)) continue;
      const fn = isObject(c.function) ? c.function : {};
      out.push(callView(str(fn.name), parseArgs(fn.arguments), str(c.id), null));
    }
  }
  if (Array.isArray(f.invalid_tool_calls)) {
    for (const c of f.invalid_tool_calls) {
      if (isObject(c) && !isTagged(c)) out.push(callView(str(c.name), c.args, str(c.id), str(c.error) ?? "invalid arguments"));
    }
  }
  return out;
}

function usageOf(u: Json | undefined): string | null {
  if (!isObject(u)) return null;
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const i = num(u.input_tokens);
  const o = num(u.output_tokens);
  const t = num(u.total_tokens);
  if (i !== null && o !== null) return `${fmt(i)} → ${fmt(o)} tokens`;
  if (t !== null) return `${fmt(t)} tokens`;
  return null;
}

function viewOf(m: Obj & { $type: string }): MessageView {
  const f = fieldsOf(m);
  const type = shortType(m.$type);
  const role = roleOf(type, f);
  let content: Segment[];
  if (isObject(m.$fields)) content = contentSegments(f.content);
  else {
    // a message that could not be recorded field by field: what was recorded of it
    const said = str(m.$error) ?? str(m.$repr) ?? str(m.$str);
    content = said ? [{ kind: "text", text: said }] : [];
  }
  const meta = isObject(f.response_metadata) ? f.response_metadata : {};
  return {
    message: m,
    type,
    role,
    name: str(f.name),
    id: str(f.id),
    content,
    text: content
      .filter((s) => s.kind === "text")
      .map((s) => s.text)
      .join("\n"),
    toolCalls: role === "assistant" ? toolCallsOf(f) : [],
    answers: role === "tool" ? { id: str(f.tool_call_id), name: str(f.name), call: null } : null,
    error: role === "tool" && f.status === "error",
    usage: role === "assistant" ? usageOf(f.usage_metadata) : null,
    model: role === "assistant" ? (str(meta.model_name) ?? str(meta.model)) : null,
    change: null,
    previous: null,
  };
}

/** The messages of `list` as views: tool results linked to their calls, and when `before` (the
 *  list of the step before) is given, each message marked as add_messages changed it, by id:
 *  "new" (an id `before` lacks), "replaced" (the same id, other content), and the messages of
 *  `before` whose id is gone put back in place as "removed". Messages without an id are matched
 *  by content. */
export function buildTranscript(list: Json[], before?: Json[] | null, outcomes?: ToolOutcomes | (() => ToolOutcomes) | null): Transcript {
  const messages: MessageView[] = [];
  let cut: string | null = null;
  for (const x of list) {
    if (isMessage(x)) messages.push(viewOf(x));
    else if (isListCut(x)) {
      const len = num((x as Obj).$len);
      cut = `✂ list cut when recorded${len !== null ? ` (${len} messages in all)` : ""}`;
    }
  }
  const out: Transcript = { messages, cut, diffed: false, added: 0, replaced: 0, removed: 0 };
  // a previous list that was cut cannot say what is new
  if (Array.isArray(before) && !before.some(isListCut)) diff(out, before);
  link(out, outcomes ?? null);
  return out;
}

function diff(t: Transcript, before: Json[]): void {
  t.diffed = true;
  const prev = before.filter(isMessage);
  const byId = new Map<string, Obj & { $type: string }>();
  const anonymous: Json[] = [];
  for (const m of prev) {
    const id = idOf(m);
    if (id === null) anonymous.push(m);
    else if (!byId.has(id)) byId.set(id, m);
  }
  const kept = new Set<string>();
  for (const v of t.messages) {
    if (v.id !== null) {
      const old = byId.get(v.id);
      if (old === undefined) v.change = "new";
      else {
        kept.add(v.id);
        if (!sameValue(old, v.message)) {
          v.change = "replaced";
          v.previous = old;
        }
      }
    } else {
      const i = anonymous.findIndex((o) => sameValue(o, v.message));
      if (i < 0) v.change = "new";
      else anonymous.splice(i, 1);
    }
  }
  // the removed ones, each after the message it followed (the nearest earlier one still there)
  const out: MessageView[] = [...t.messages];
  let anchor = -1; // index in `out` after which the next removed message goes
  for (const m of prev) {
    const id = idOf(m);
    const gone = id !== null ? !kept.has(id) : anonymous.includes(m);
    if (!gone) {
      const at = out.findIndex((v) => (id !== null ? v.id === id : sameValue(v.message, m)));
      if (at >= 0) anchor = at;
      continue;
    }
    const r = viewOf(m);
    r.change = "removed";
    out.splice(anchor + 1, 0, r);
    anchor++;
    t.removed++;
  }
  t.messages = out;
  for (const v of out) {
    if (v.change === "new") t.added++;
    else if (v.change === "replaced") t.replaced++;
  }
}

/** Join each tool message to the call it answers (same call id), and mark each call answered;
 *  an unanswered one takes what `outcomes` knows of its tool run (failed when it raised). */
function link(t: Transcript, outcomes: ToolOutcomes | (() => ToolOutcomes) | null): void {
  const calls = new Map<string, ToolCallView>();
  for (const v of t.messages) {
    if (v.change === "removed") continue;
    for (const c of v.toolCalls) if (c.id !== null && !c.invalid) calls.set(c.id, c);
  }
  for (const v of t.messages) {
    if (!v.answers || v.change === "removed") continue;
    const call = v.answers.id !== null ? calls.get(v.answers.id) : undefined;
    if (!call) continue;
    v.answers.call = call;
    if (v.answers.name === null) v.answers.name = call.name;
    call.answered = true;
    if (v.error) call.failed = true;
  }
  let known: ToolOutcomes | null = typeof outcomes === "function" ? null : outcomes;
  for (const c of calls.values()) {
    if (c.answered !== null) continue;
    if (!known && typeof outcomes === "function") known = outcomes();
    const o = c.id !== null ? (known?.get(c.id) ?? null) : null;
    if (o) {
      c.outcome = o;
      if (o.status === "error") c.failed = true;
    }
    if (!t.cut) c.answered = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing

export interface ConversationOptions {
  /** the list of the step before: mark what changed */
  before?: Json[] | null;
  /** the generic value view, for a message's raw fields */
  raw: (v: Json) => HTMLElement;
  /** what the recorded calls say of tool calls no tool message answers (default: what
   *  setToolOutcomes set) */
  outcomes?: ToolOutcomes | (() => ToolOutcomes) | null;
}

const CHANGE_TEXT: Record<string, string> = { new: "+ new", replaced: "replaced", removed: "removed" };
const CHANGE_TITLE: Record<string, string> = {
  new: "added in this step",
  replaced: "a message with the same id replaced this one in this step",
  removed: "removed in this step",
};

function countText(n: number): string {
  return `${n} message${n === 1 ? "" : "s"}`;
}

/** A block of text clamped to a few lines when long, with "more" / "less". */
function clamped(cls: string, children: HTMLElement[] | string, long: boolean): HTMLElement[] {
  const body = h("div", { class: cls }, children);
  if (!long) return [body];
  body.classList.add("pv-msg-clamped");
  const more = h("button", { type: "button", class: "pv-msg-more", "aria-expanded": "false" }, "more");
  more.addEventListener("click", () => {
    const open = body.classList.toggle("pv-msg-clamped");
    more.textContent = open ? "more" : "less";
    more.setAttribute("aria-expanded", String(!open));
  });
  return [body, more];
}

function isLong(text: string): boolean {
  if (text.length > CLAMP_CHARS) return true;
  let lines = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) if (++lines > CLAMP_LINES) return true;
  return false;
}

function renderCall(c: ToolCallView): HTMLElement {
  const long = c.long ? formatToolCallLong(c.name, c.args) : null;
  const sig = long !== null ? clamped("pv-msg-callsig pv-msg-callsig-long", long, isLong(long)) : [h("span", { class: "pv-msg-callsig" }, c.text)];
  const raised = c.failed && c.answered !== true ? (c.outcome?.error ?? "its tool raised") : null;
  const state =
    c.invalid !== null
      ? h("span", { class: "pv-msg-callstate pv-msg-callstate-error", title: c.invalid }, "invalid")
      : raised !== null
        ? h("span", { class: "pv-msg-callstate pv-msg-callstate-error", title: "its tool raised: no tool message came back (nothing handled the error)" }, "failed")
        : c.failed
          ? h("span", { class: "pv-msg-callstate pv-msg-callstate-error", title: "its tool message has status error" }, "error")
          : c.answered === false
            ? h(
                "span",
                {
                  class: "pv-msg-callstate",
                  title:
                    c.outcome?.status === "ok"
                      ? "its tool returned, but no tool message answers this call in the list (its task failed?)"
                      : "no tool message answers this call in the list",
                },
                "no result",
              )
            : null;
  return h(
    "li",
    { class: `pv-msg-call${c.long ? " pv-msg-call-long" : ""}${c.invalid !== null ? " pv-msg-call-invalid" : ""}${raised !== null ? " pv-msg-call-failed" : ""}`, "data-call": c.id ?? "" },
    h("span", { class: "pv-msg-callmark", "aria-hidden": "true" }, "→"),
    h("span", { class: "pv-msg-callmain" }, sig),
    state,
    c.id !== null ? h("span", { class: "pv-msg-callid", title: `tool call id ${c.id}` }, c.id) : null,
    c.invalid !== null ? h("div", { class: "pv-msg-callerror" }, c.invalid) : null,
    raised !== null ? h("div", { class: "pv-msg-callerror pv-msg-callraised" }, raised) : null,
  );
}

function renderContent(v: MessageView, cls: string): HTMLElement[] {
  if (!v.content.length) return [];
  const kids = v.content.map((s) => (s.kind === "text" ? h("span", { class: "pv-msg-text" }, s.text) : h("span", { class: "pv-msg-part" }, s.text)));
  return clamped(cls, kids, isLong(v.text));
}

function renderMessage(v: MessageView, opts: ConversationOptions): HTMLElement {
  const cls = ["pv-msg", `pv-msg-${v.role.replace(/[^a-z_-]/gi, "") || "other"}`];
  if (v.change) cls.push(`pv-msg-${v.change}`);
  if (v.error) cls.push("pv-msg-error");
  const head = h("div", { class: "pv-msg-head" });
  if (v.change) head.append(h("span", { class: "pv-msg-change", title: CHANGE_TITLE[v.change] }, CHANGE_TEXT[v.change]));
  head.append(h("span", { class: "pv-msg-role", title: isTagged(v.message) ? v.message.$type : v.type }, v.role));
  const name = v.name ?? v.answers?.name ?? null;
  if (name !== null) head.append(h("span", { class: "pv-msg-name" }, name));
  if (v.answers) {
    const id = v.answers.id;
    head.append(
      h(
        "span",
        {
          class: "pv-msg-answers",
          "data-call": id ?? "",
          title: v.answers.call ? `the result of ${v.answers.call.text}` : id ? `the result of tool call ${id}` : "no tool call id",
        },
        `↩ ${id ?? "no call id"}`,
      ),
    );
  }
  if (v.error) head.append(h("span", { class: "pv-msg-status" }, "error"));
  if (v.type.endsWith("Chunk")) head.append(h("span", { class: "pv-msg-meta", title: v.type }, "chunk"));
  head.append(h("span", { class: "pv-msg-fill" }));
  if (v.model) head.append(h("span", { class: "pv-msg-meta pv-msg-model" }, v.model));
  if (v.usage) head.append(h("span", { class: "pv-msg-meta pv-msg-usage", title: "input → output tokens" }, v.usage));
  const raw = h("div", { class: "pv-msg-raw", hidden: true });
  const rawBtn = h("button", { type: "button", class: "pv-msg-rawbtn", "aria-expanded": "false", title: "the message's recorded fields" }, "raw");
  rawBtn.addEventListener("click", () => {
    if (!raw.firstChild) raw.append(opts.raw(v.message));
    raw.hidden = !raw.hidden;
    rawBtn.setAttribute("aria-expanded", String(!raw.hidden));
    rawBtn.classList.toggle("pv-on", !raw.hidden);
  });
  head.append(rawBtn);

  const el = h("div", { class: cls.join(" "), "data-role": v.role, "data-id": v.id ?? "" }, head);
  if (v.role === "remove") {
    el.append(h("div", { class: "pv-msg-body pv-msg-muted" }, v.id ? `removes message ${v.id}` : "removes a message"));
  } else {
    const body = renderContent(v, v.role === "tool" ? "pv-msg-body pv-msg-mono" : "pv-msg-body");
    if (body.length) el.append(...body);
    else if (!v.toolCalls.length) el.append(h("div", { class: "pv-msg-body pv-msg-muted" }, "(no content)"));
  }
  if (v.toolCalls.length) el.append(h("ul", { class: "pv-msg-calls" }, v.toolCalls.map(renderCall)));
  if (v.previous !== null) {
    const was = viewOf(v.previous as Obj & { $type: string });
    const d = h("details", { class: "pv-msg-was" }, h("summary", null, "was"));
    const wasBody = renderContent(was, "pv-msg-body");
    d.append(...(wasBody.length ? wasBody : [h("div", { class: "pv-msg-body pv-msg-muted" }, "(no content)")]));
    if (was.toolCalls.length) d.append(h("ul", { class: "pv-msg-calls" }, was.toolCalls.map(renderCall)));
    el.append(d);
  }
  el.append(raw);
  return el;
}

/** Mark the call and the result that share `id` (hover), or bring the other one into view (click). */
function linked(root: HTMLElement, id: string): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>("[data-call]")).filter((e) => e.getAttribute("data-call") === id);
}

function wireLinks(root: HTMLElement): void {
  let lit: HTMLElement[] = [];
  const over = (ev: Event): void => {
    const at = (ev.target as Element | null)?.closest?.("[data-call]");
    const id = at?.getAttribute("data-call") || null;
    for (const e of lit) e.classList.remove("pv-msg-linked");
    lit = id ? linked(root, id) : [];
    if (lit.length < 2) lit = [];
    for (const e of lit) e.classList.add("pv-msg-linked");
  };
  root.addEventListener("mouseover", over);
  root.addEventListener("mouseleave", over);
  root.addEventListener("click", (ev) => {
    const at = (ev.target as Element | null)?.closest?.(".pv-msg-answers[data-call], .pv-msg-call[data-call]");
    const id = at?.getAttribute("data-call");
    if (!at || !id) return;
    const other = linked(root, id).find((e) => e !== at && e.classList.contains(at.classList.contains("pv-msg-answers") ? "pv-msg-call" : "pv-msg-answers"));
    other?.scrollIntoView?.({ block: "nearest" });
  });
}

/** A list of LangChain messages as a chat transcript (see the top of this file). */
export function renderConversation(list: Json[], opts: ConversationOptions): HTMLElement {
  const t = buildTranscript(list, opts.before, opts.outcomes !== undefined ? opts.outcomes : outcomesSource);
  const shown = t.messages.filter((v) => v.change !== "removed").length;
  const root = h("div", { class: "pv-convo", "data-messages": shown });
  if (t.diffed || shown > 1) {
    const changes: string[] = [];
    if (t.added) changes.push(`+ ${t.added} new`);
    if (t.replaced) changes.push(`${t.replaced} replaced`);
    if (t.removed) changes.push(`${t.removed} removed`);
    root.append(
      h(
        "div",
        { class: "pv-convo-head" },
        changes.length ? h("span", { class: "pv-convo-changes" }, changes.join(" · ")) : null,
        h("span", { class: "pv-msg-meta" }, changes.length ? ` (${countText(shown)} now)` : countText(shown)),
      ),
    );
  }
  const first = t.messages.findIndex((v) => v.change !== null);
  const upTo = first < 0 ? t.messages.length : first;
  const hide = upTo > EARLIER_LIMIT ? upTo - EARLIER_SHOWN : 0;
  const items = h("div", { class: "pv-convo-list" });
  if (hide) {
    const earlier = h("button", { type: "button", class: "pv-convo-earlier" }, `⋯ ${countText(hide)} before`);
    earlier.addEventListener("click", () => earlier.replaceWith(...t.messages.slice(0, hide).map((v) => renderMessage(v, opts))));
    items.append(earlier);
  }
  for (const v of t.messages.slice(hide)) items.append(renderMessage(v, opts));
  root.append(items);
  if (t.cut) root.append(h("div", { class: "pv-convo-cut" }, t.cut));
  wireLinks(root);
  return root;
}
