// The calls made inside a task (chat models, LLMs, tools, retrievers and the chains leading to
// them): the tree a task's calls form through their `parent`, their totals (model calls, tokens,
// model time) per task, step, node and model, and how the side panel shows them: the selected
// task's calls as a tree, and the thread's token totals per node and per model. Everything the
// run recorded goes in as text; inputs and outputs through the value renderer.

import { h } from "./dom";
import { formatDuration, formatError } from "./format";
import type { ThreadModel } from "./model";
import type { Json, SpanDoc, StepDoc, TaskDoc, ToolCallDoc } from "./types";
import type { ToolOutcome } from "./conversation";
import { compactText, isObject, isTagged, renderValue } from "./values";

// ---------- the tree ----------

export interface CallNode {
  call: SpanDoc;
  children: CallNode[];
  depth: number;
  /** its parent is named but not among the task's calls (it was cut, or ran elsewhere) */
  orphan: boolean;
}

/** The calls as a forest, in the order they started: a call under its `parent`; a call whose
 *  parent is not among them (or would make a loop) is a root, marked orphan. */
export function callTree(calls: SpanDoc[] | null | undefined): CallNode[] {
  const list = Array.isArray(calls) ? calls : [];
  const nodes = new Map<string, CallNode>();
  for (const c of list) nodes.set(String(c.id), { call: c, children: [], depth: 0, orphan: false });
  const roots: CallNode[] = [];
  for (const c of list) {
    const node = nodes.get(String(c.id))!;
    const parentKey = c.parent === null || c.parent === undefined ? null : String(c.parent);
    let parent = parentKey !== null ? nodes.get(parentKey) : undefined;
    // a parent chain that comes back to this call is no tree: cut it here
    for (let p = parent, hops = 0; p && hops <= list.length; hops++) {
      if (p === node) {
        parent = undefined;
        break;
      }
      const up = p.call.parent;
      p = up === null || up === undefined ? undefined : nodes.get(String(up));
    }
    if (parent && parent !== node) parent.children.push(node);
    else {
      node.orphan = parentKey !== null;
      roots.push(node);
    }
  }
  const depth = (n: CallNode, d: number): void => {
    n.depth = d;
    for (const k of n.children) depth(k, d + 1);
  };
  for (const r of roots) depth(r, 0);
  return roots;
}

/** The tree in reading order (each call, then its children). */
export function flatten(roots: CallNode[]): CallNode[] {
  const out: CallNode[] = [];
  const walk = (n: CallNode): void => {
    out.push(n);
    n.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

// ---------- totals ----------

export const MODEL_KINDS = new Set(["chat_model", "llm"]);

export function isModelCall(c: SpanDoc): boolean {
  return MODEL_KINDS.has(c.kind);
}

export function callDuration(c: SpanDoc): number | null {
  return typeof c.start === "number" && typeof c.end === "number" ? c.end - c.start : null;
}

/** Totals over calls: model calls with their tokens and time (as pregel_viz.spans.total_usage
 *  counts them), tool calls, failures. */
export interface CallTotals {
  modelCalls: number;
  toolCalls: number;
  errors: number;
  input: number;
  output: number;
  total: number;
  /** model calls that reported token usage */
  withUsage: number;
  /** time spent in model calls (s) */
  seconds: number;
}

export function emptyTotals(): CallTotals {
  return { modelCalls: 0, toolCalls: 0, errors: 0, input: 0, output: 0, total: 0, withUsage: 0, seconds: 0 };
}

function count(v: unknown): number {
  return typeof v === "number" && isFinite(v) ? v : 0;
}

/** Add the calls to `into` (a new totals object when none is given). */
export function addCalls(calls: SpanDoc[] | null | undefined, into: CallTotals = emptyTotals()): CallTotals {
  for (const c of calls ?? []) {
    if (c.status === "error") into.errors++;
    if (c.kind === "tool") into.toolCalls++;
    if (!isModelCall(c)) continue;
    into.modelCalls++;
    const u = c.usage;
    if (u && typeof u === "object") {
      into.withUsage++;
      into.input += count(u.input_tokens);
      into.output += count(u.output_tokens);
      into.total += count(u.total_tokens) || count(u.input_tokens) + count(u.output_tokens);
    }
    into.seconds += callDuration(c) ?? 0;
  }
  return into;
}

/** The totals of a step's tasks, with the calls made inside the subgraphs they ran when the
 *  thread is given; null when no task of it knows its calls (a rebuilt run). */
export function stepTotals(step: StepDoc, thread?: ThreadModel | null): CallTotals | null {
  const tasks = step.tasks ?? [];
  const lists = tasks.map((t) => taskCalls(t, thread));
  if (tasks.length && lists.every((c) => c === null)) return null;
  const out = emptyTotals();
  for (const c of lists) addCalls(c, out);
  return out;
}

// ---------- the calls made inside a task's subgraphs ----------

/** A task of a subgraph run, with its own calls and the subgraph runs it started in turn. */
export interface InnerTask {
  task: TaskDoc;
  /** the subgraph namespace's entries, and the index of the task's entry (to find askers) */
  steps: StepDoc[];
  index: number;
  runs: SubgraphRun[];
}

/** One invocation of a subgraph by a task (a node whose runnable is a compiled graph, e.g. a
 *  prebuilt agent): its namespace and the tasks of it that made calls, in step order. */
export interface SubgraphRun {
  ns: string;
  node: string;
  tasks: InnerTask[];
}

const innerRuns = new WeakMap<ThreadModel, WeakMap<TaskDoc, SubgraphRun[]>>();

/** The subgraph runs task `task` started (its `subgraphs`, the namespaces whose parent_task it
 *  is) that made calls, at any depth; none without the thread. Computed once per task. */
export function subgraphRuns(task: TaskDoc, thread: ThreadModel | null | undefined): SubgraphRun[] {
  if (!thread || !task.subgraphs?.length) return [];
  let byTask = innerRuns.get(thread);
  if (!byTask) innerRuns.set(thread, (byTask = new WeakMap()));
  const known = byTask.get(task);
  if (known) return known;
  const seen = new Set<string>();
  const walk = (t: TaskDoc): SubgraphRun[] => {
    const out: SubgraphRun[] = [];
    for (const ns of t.subgraphs ?? []) {
      // an unknown namespace would resolve to the root: only the ones recorded, each once
      if (typeof ns !== "string" || seen.has(ns) || !thread.hasNamespace(ns)) continue;
      seen.add(ns);
      const space = thread.namespace(ns);
      if (!space) continue;
      const tasks: InnerTask[] = [];
      space.steps.forEach((s, index) => {
        for (const it of s.tasks ?? []) {
          const runs = walk(it);
          if (it.calls?.length || runs.length) tasks.push({ task: it, steps: space.steps, index, runs });
        }
      });
      if (tasks.length) out.push({ ns, node: space.doc.node || ns, tasks });
    }
    return out;
  };
  const runs = walk(task);
  byTask.set(task, runs);
  return runs;
}

/** Every call of the runs, in reading order (each task's calls, then its own runs'). */
export function runsCalls(runs: SubgraphRun[], into: SpanDoc[] = []): SpanDoc[] {
  for (const r of runs) {
    for (const t of r.tasks) {
      into.push(...(t.task.calls ?? []));
      runsCalls(t.runs, into);
    }
  }
  return into;
}

/** The calls made inside task `task`: its own, then those made inside the subgraphs it ran
 *  (with the thread); null when neither is known (a rebuilt run). */
export function taskCalls(task: TaskDoc, thread?: ThreadModel | null): SpanDoc[] | null {
  const runs = subgraphRuns(task, thread);
  if (!runs.length) return task.calls === undefined ? [] : task.calls;
  return runsCalls(runs, [...(task.calls ?? [])]);
}

/** What the tool calls made by the tasks of entries 0..index of `steps` did, by tool call id
 *  (the latest run of an id wins: a retried call that then returned is not failed). The
 *  conversation view reads it for a call no tool message answers: a tool that raised with
 *  nothing to handle the error failed its task, and only its call says so. */
export function toolOutcomes(steps: StepDoc[], index: number, thread?: ThreadModel | null): Map<string, ToolOutcome> {
  const out = new Map<string, ToolOutcome>();
  for (let i = 0; i <= Math.min(index, steps.length - 1); i++) {
    for (const t of steps[i]?.tasks ?? []) {
      for (const c of taskCalls(t, thread) ?? []) {
        if (c.kind !== "tool" || typeof c.tool_call_id !== "string" || !c.tool_call_id) continue;
        out.set(c.tool_call_id, { status: String(c.status), error: c.status === "error" ? formatError(c.error) || "its tool raised" : null });
      }
    }
  }
  return out;
}

const num = new Intl.NumberFormat("en-US");

export function formatTokens(input: number, output: number): string {
  return `${num.format(input)} → ${num.format(output)}`;
}

function plural(n: number, word: string): string {
  return `${num.format(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** "2 model calls, 147 → 30 tokens, 1.2 s; 2 tool calls"; "" when there was no call. */
export function totalsText(t: CallTotals): string {
  const parts: string[] = [];
  if (t.modelCalls) {
    let s = plural(t.modelCalls, "model call");
    if (t.withUsage) s += `, ${formatTokens(t.input, t.output)} tokens`;
    s += `, ${formatDuration(t.seconds) || "0 s"}`;
    parts.push(s);
  }
  if (t.toolCalls) parts.push(plural(t.toolCalls, "tool call"));
  if (t.errors) parts.push(`${num.format(t.errors)} failed`);
  return parts.join("; ");
}

export interface Breakdown {
  all: CallTotals;
  /** per node ("agent", a subgraph's "assistant › agent"), most tokens first */
  nodes: [string, CallTotals][];
  /** per model (the model's name, else the call's), most tokens first */
  models: [string, CallTotals][];
  /** tasks whose calls were not recorded, and tasks in all */
  unknown: number;
  tasks: number;
}

function byWeight(a: [string, CallTotals], b: [string, CallTotals]): number {
  return b[1].total - a[1].total || b[1].seconds - a[1].seconds || b[1].modelCalls - a[1].modelCalls || a[0].localeCompare(b[0]);
}

const breakdowns = new WeakMap<ThreadModel, Breakdown>();

/** The thread's totals per node and per model, over every namespace (a subgraph's node is named
 *  by the nodes that lead to it). Computed once per thread. */
export function threadBreakdown(thread: ThreadModel): Breakdown {
  const cached = breakdowns.get(thread);
  if (cached) return cached;
  const docs = thread.doc.namespaces ?? [];
  const byNs = new Map(docs.map((d) => [d.ns, d]));
  const labels = new Map<string, string>();
  const label = (ns: string): string => {
    if (!ns) return "";
    const known = labels.get(ns);
    if (known !== undefined) return known;
    labels.set(ns, ns); // a loop in the parents stops here
    const d = byNs.get(ns);
    const parent = d?.parent_ns ? label(d.parent_ns) : "";
    const name = d?.node || ns;
    const out = parent ? `${parent} › ${name}` : name;
    labels.set(ns, out);
    return out;
  };
  const all = emptyTotals();
  const nodes = new Map<string, CallTotals>();
  const models = new Map<string, CallTotals>();
  let unknown = 0;
  let tasks = 0;
  for (const d of docs) {
    const prefix = label(d.ns);
    for (const step of d.steps ?? []) {
      for (const t of step.tasks ?? []) {
        tasks++;
        if (t.calls === null) {
          unknown++;
          continue;
        }
        if (!t.calls?.length) continue;
        const key = prefix ? `${prefix} › ${t.name}` : t.name;
        let n = nodes.get(key);
        if (!n) nodes.set(key, (n = emptyTotals()));
        addCalls(t.calls, n);
        addCalls(t.calls, all);
        for (const c of t.calls) {
          if (!isModelCall(c)) continue;
          const m = c.model || c.name;
          let mt = models.get(m);
          if (!mt) models.set(m, (mt = emptyTotals()));
          addCalls([c], mt);
        }
      }
    }
  }
  const out: Breakdown = {
    all,
    nodes: [...nodes].filter(([, v]) => v.modelCalls || v.toolCalls).sort(byWeight),
    models: [...models].sort(byWeight),
    unknown,
    tasks,
  };
  breakdowns.set(thread, out);
  return out;
}

/** Whether any task of the thread made a call (then every task says how many it made). */
export function threadHasCalls(thread: ThreadModel): boolean {
  const b = threadBreakdown(thread);
  return b.all.modelCalls + b.all.toolCalls > 0 || b.nodes.length > 0;
}

// ---------- the texts of one call ----------

/** The text of a message's content (a string, or the text blocks of a list), else null. */
export function contentText(v: Json | undefined): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const texts = v.map((b) => (typeof b === "string" ? b : isObject(b) && typeof b.text === "string" ? b.text : null)).filter((x): x is string => x !== null);
    return texts.length ? texts.join("") : null;
  }
  return null;
}

/** A message's fields (a tagged LangChain message), else null. */
function messageFields(v: Json | undefined): { [k: string]: Json } | null {
  return isTagged(v) && isObject(v.$fields) ? v.$fields : null;
}

/** What a call answered, as text: a message's content, a string, else a compact value. */
export function resultText(v: Json | undefined, budget = 160): string {
  const f = messageFields(v);
  const text = f ? contentText(f.content) : contentText(v);
  if (text !== null) return text;
  return compactText(v, budget) ?? `${compactText(v, 10_000)?.slice(0, budget) ?? "…"}…`;
}

/** What a tool, retriever or chain returned, for its → line: its text; else, for a message
 *  that asks for tools (a chain around a model), those calls; else "(empty)", never a bare →. */
function outputText(v: Json | undefined): string {
  const text = resultText(v);
  if (text.trim()) return text;
  const asked = messageFields(v)?.tool_calls;
  if (Array.isArray(asked) && asked.length) return asked.map((tc) => (isObject(tc) ? callSignature(String(tc.name ?? "?"), tc.args) : "?")).join(", ");
  return "(empty)";
}

/** `get_weather(city="Paris")`: a call's name and its arguments, compactly. */
export function callSignature(name: string, args: Json | undefined, budget = 90): string {
  let inner: string;
  if (isObject(args) && !isTagged(args)) {
    inner = Object.keys(args)
      .map((k) => `${k}=${compactText(args[k], budget) ?? "…"}`)
      .join(", ");
  } else if (args === undefined || args === null) inner = "";
  else inner = typeof args === "string" ? JSON.stringify(args) : (compactText(args, budget) ?? "…");
  const full = `${name}(${inner})`;
  return full.length > budget + name.length ? `${full.slice(0, budget + name.length - 2)}…)` : full;
}

/** A ToolMessage output whose status says the tool failed (ToolNode's handled errors). */
function toolMessageFailed(c: SpanDoc): boolean {
  const f = messageFields(c.output);
  return f !== null && f.status === "error";
}

const KIND_LABEL: Record<string, string> = { chat_model: "model", llm: "llm", tool: "tool", retriever: "retriever", chain: "chain" };
const KIND_ICON: Record<string, string> = { chat_model: "◆", llm: "◆", tool: "⚙", retriever: "≡", chain: "∘" };

export function kindClass(kind: string): string {
  return MODEL_KINDS.has(kind) ? "model" : kind === "tool" ? "tool" : kind === "retriever" ? "retriever" : "chain";
}

/** One line for a tooltip: "ScriptedChat (scripted-model-1): 1.0 ms, 57 → 18 tokens". */
export function callTip(c: SpanDoc): string {
  const parts = [formatDuration(callDuration(c))];
  if (c.usage) parts.push(`${formatTokens(count(c.usage.input_tokens), count(c.usage.output_tokens))} tokens`);
  if (c.status !== "ok") parts.push(c.status);
  if (c.error) parts.push(formatError(c.error));
  const head = c.kind === "tool" ? callSignature(c.name, c.input, 60) : `${c.name}${c.model && c.model !== c.name ? ` (${c.model})` : ""}`;
  return `${KIND_LABEL[c.kind] ?? c.kind} ${head}: ${parts.filter(Boolean).join(", ")}`;
}

// ---------- the side panel ----------

/** Where the model call that asked for a tool call is: in this task, or a task of an earlier
 *  step of the namespace (searched back from the step shown). */
export interface Asker {
  call: SpanDoc;
  task: TaskDoc;
  step: number;
  same: boolean;
}

export function findAsker(id: string, task: TaskDoc, steps: StepDoc[], index: number): Asker | null {
  const asks = (c: SpanDoc): boolean => Array.isArray(c.tool_calls) && c.tool_calls.some((x) => x?.id === id);
  const own = (task.calls ?? []).find(asks);
  if (own) return { call: own, task, step: steps[index]?.step ?? 0, same: true };
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--) {
    for (const t of steps[i].tasks ?? []) {
      if (t === task || !t.calls?.length) continue;
      const c = t.calls.find(asks);
      if (c) return { call: c, task: t, step: steps[i].step, same: false };
    }
  }
  return null;
}

export interface CallsContext {
  steps: StepDoc[];
  index: number;
  /** whether any task of the thread made a call: a task with none then says "none" */
  threadHasCalls: boolean;
  /** the thread, to find the calls made inside the subgraphs a task ran (none without it) */
  thread?: ThreadModel | null;
}

function chip(cls: string, text: string, title?: string): HTMLElement {
  return h("span", { class: cls, title: title ?? null }, text);
}

function kindBadge(kind: string): HTMLElement {
  const k = kindClass(kind);
  return h("span", { class: `pv-call-kind pv-call-kind-${k}`, title: kind }, h("span", { class: "pv-call-icon", "aria-hidden": "true" }, KIND_ICON[kind] ?? "•"), ` ${KIND_LABEL[kind] ?? kind}`);
}

function toolCallList(calls: ToolCallDoc[]): HTMLElement {
  return h(
    "ul",
    { class: "pv-call-toolcalls" },
    calls.map((tc) =>
      h(
        "li",
        { "data-tool-call": tc?.id ?? "" },
        h("code", { class: "pv-call-sig", title: callSignature(String(tc?.name ?? "?"), tc?.args, 10_000) }, callSignature(String(tc?.name ?? "?"), tc?.args)),
        tc?.id ? h("span", { class: "pv-call-id", title: "tool call id" }, ` ${tc.id}`) : null,
      ),
    ),
  );
}

/** Input and output, one click away, through the value renderer (built when opened). */
function ioDetails(c: SpanDoc): HTMLElement {
  const body = h("div", { class: "pv-call-io-body" });
  const d = h("details", { class: "pv-call-io" }, h("summary", null, "input · output"), body);
  d.addEventListener("toggle", () => {
    if (!d.open || body.firstChild) return;
    body.append(
      h("div", { class: "pv-kv" }, h("span", { class: "pv-label" }, "input: "), renderValue(c.input, { open: true })),
      h("div", { class: "pv-kv" }, h("span", { class: "pv-label" }, "output: "), c.status === "running" && (c.output === null || c.output === undefined) ? h("span", { class: "pv-muted" }, "none (never ended)") : renderValue(c.output, { open: true })),
    );
  });
  return d;
}

function callRow(n: CallNode, task: TaskDoc, ctx: CallsContext): HTMLElement {
  const c = n.call;
  const failed = c.status === "error" || (c.kind === "tool" && toolMessageFailed(c));
  const dur = formatDuration(callDuration(c));
  const head = h(
    "div",
    { class: "pv-call-head" },
    kindBadge(c.kind),
    " ",
    h("span", { class: "pv-call-name", title: c.name }, c.kind === "tool" ? callSignature(c.name, c.input) : c.name),
    c.model && c.model !== c.name ? h("span", { class: "pv-call-modelname", title: "model" }, ` ${c.model}`) : null,
    dur ? chip("pv-call-time", ` ${dur}`, "duration") : null,
    c.usage ? chip("pv-call-tokens", ` ${formatTokens(count(c.usage.input_tokens), count(c.usage.output_tokens))} tokens`, `input → output tokens (total ${num.format(count(c.usage.total_tokens))})`) : null,
    c.first_token !== null && c.first_token !== undefined ? chip("pv-call-meta", ` first token ${formatDuration(c.first_token)}`) : null,
    c.chunks ? chip("pv-call-meta", ` ${plural(c.chunks, "chunk")}`) : null,
    c.status !== "ok" || failed ? h("span", null, " ", h("span", { class: `pv-chip pv-status-${failed ? "error" : c.status.replace(/[^a-z_-]/gi, "")}` }, failed ? "error" : c.status)) : null,
    n.orphan ? chip("pv-call-meta", " (its parent call was not recorded)") : null,
  );
  const lines: (HTMLElement | null)[] = [head];
  if (c.error) lines.push(h("div", { class: "pv-call-line pv-error-text" }, formatError(c.error)));
  if (MODEL_KINDS.has(c.kind)) {
    const asked = Array.isArray(c.tool_calls) ? c.tool_calls : [];
    if (asked.length) lines.push(h("div", { class: "pv-call-line" }, h("span", { class: "pv-label" }, `asked for ${plural(asked.length, "tool call")}: `), toolCallList(asked)));
    const answer = c.status === "ok" ? resultText(c.output) : "";
    if (answer) lines.push(h("div", { class: "pv-call-line pv-call-answer", title: answer.length > 200 ? `${answer.slice(0, 2000)}` : null }, h("span", { class: "pv-label" }, "answer: "), answer.length > 200 ? `${answer.slice(0, 200)}…` : answer));
  } else if (c.status !== "running" && !c.error) {
    const result = outputText(c.output);
    lines.push(
      h(
        "div",
        { class: `pv-call-line pv-call-result${failed ? " pv-error-text" : ""}` },
        h("span", { class: "pv-label" }, failed ? "error: " : "→ "),
        result.length > 200 ? `${result.slice(0, 200)}…` : result,
      ),
    );
  }
  if (c.tool_call_id) {
    const asker = findAsker(c.tool_call_id, task, ctx.steps, ctx.index);
    const where = asker ? (asker.same ? ` by ${asker.call.model || asker.call.name} in this task` : ` by ${asker.task.name} (${asker.call.model || asker.call.name}) at step ${asker.step}`) : "";
    lines.push(
      h(
        "div",
        { class: "pv-call-line pv-call-link", "data-tool-call": c.tool_call_id },
        h("span", { class: "pv-label" }, `asked for${where}`),
        " as ",
        h("span", { class: "pv-call-id" }, c.tool_call_id),
      ),
    );
  }
  lines.push(ioDetails(c));
  const el = h(
    "li",
    { class: `pv-call pv-call-${kindClass(c.kind)}${failed ? " pv-call-failed" : ""}`, "data-call": String(c.id), "data-kind": c.kind },
    lines,
  );
  if (n.children.length) el.append(h("ul", { class: "pv-call-children" }, n.children.map((k) => callRow(k, task, ctx))));
  return el;
}

/** A subgraph run inside the task's call tree: "inside subgraph assistant" with its totals,
 *  then each of its tasks that made calls ("agent · step 1", its totals), their call trees
 *  under them, and the subgraphs they ran in turn. */
function subgraphRow(run: SubgraphRun, ctx: CallsContext): HTMLElement {
  const all = runsCalls([run]);
  const sum = totalsText(addCalls(all));
  const tasks = run.tasks.map((it) => {
    const own = it.task.calls ?? [];
    const inner: CallsContext = { ...ctx, steps: it.steps, index: it.index };
    const mine = totalsText(addCalls([...own, ...runsCalls(it.runs)]));
    const step = it.steps[it.index]?.step;
    return h(
      "li",
      { class: "pv-call pv-call-inner-task", "data-task": it.task.id, "data-ns": run.ns },
      h(
        "div",
        { class: "pv-call-head" },
        h("span", { class: "pv-call-kind pv-call-kind-task", title: "a task of the subgraph" }, "task"),
        " ",
        h("span", { class: "pv-call-name", title: it.task.name }, it.task.name),
        step !== undefined ? h("span", { class: "pv-call-meta" }, ` · step ${step}`) : null,
        mine ? h("span", { class: "pv-call-meta" }, ` · ${mine}`) : null,
      ),
      h("ul", { class: "pv-call-children" }, callTree(own).map((n) => callRow(n, it.task, inner)), it.runs.map((r) => subgraphRow(r, inner))),
    );
  });
  return h(
    "li",
    { class: "pv-call pv-call-subgraph", "data-ns": run.ns },
    h(
      "div",
      { class: "pv-call-head" },
      h("span", { class: "pv-call-kind pv-call-kind-subgraph", title: run.ns }, "⤷ inside subgraph"),
      " ",
      h("span", { class: "pv-call-name", title: run.ns }, run.node),
      sum ? h("span", { class: "pv-call-meta" }, ` · ${sum}`) : null,
    ),
    h("ul", { class: "pv-call-children" }, tasks),
  );
}

/** The selected task's calls, as a tree with a line of totals: its own, then those made inside
 *  the subgraphs it ran (with ctx.thread), each under its subgraph and task; null for a task
 *  with no calls in a thread that made none (nothing to say). */
export function renderTaskCalls(task: TaskDoc, ctx: CallsContext): HTMLElement | null {
  const runs = subgraphRuns(task, ctx.thread);
  const own = task.calls;
  if (own === null && !runs.length) return h("div", { class: "pv-sub pv-calls" }, h("h4", null, "Calls"), h("div", { class: "pv-muted" }, "calls not recorded (run rebuilt from saved checkpoints)"));
  const inside = runsCalls(runs);
  const calls = [...(own ?? []), ...inside];
  if (!calls.length) return ctx.threadHasCalls ? h("div", { class: "pv-sub pv-calls" }, h("h4", null, "Calls (0)"), h("div", { class: "pv-muted" }, "none")) : null;
  const sum = addCalls(calls);
  const totals = sum.modelCalls ? totalsText(sum) : "";
  const where = inside.length
    ? inside.length === calls.length
      ? `all inside subgraph ${[...new Set(runs.map((r) => r.node))].join(", ")}`
      : `${num.format(inside.length)} inside subgraph ${[...new Set(runs.map((r) => r.node))].join(", ")}`
    : "";
  return h(
    "div",
    { class: "pv-sub pv-calls" },
    h("h4", null, `Calls (${calls.length})`),
    totals || where ? h("div", { class: "pv-muted pv-calls-total" }, [totals, where].filter(Boolean).join(" · ")) : null,
    h("ul", { class: "pv-call-tree" }, callTree(own).map((n) => callRow(n, task, ctx)), runs.map((r) => subgraphRow(r, ctx))),
  );
}

function totalsRow(name: string, t: CallTotals, all: number, tools: boolean): HTMLElement {
  const share = all > 0 && t.withUsage ? `${Math.round((t.total / all) * 100)}%` : "";
  return h(
    "tr",
    { "data-name": name },
    h("td", { class: "pv-name" }, h("span", { class: "pv-name-text", title: name }, name)),
    h("td", { class: "pv-num" }, String(t.modelCalls)),
    h("td", { class: "pv-num" }, t.withUsage ? formatTokens(t.input, t.output) : "—"),
    h("td", { class: "pv-num pv-tokens-share", title: "share of the thread's tokens" }, share),
    h("td", { class: "pv-num" }, t.modelCalls ? formatDuration(t.seconds) : ""),
    tools ? h("td", { class: "pv-num" }, t.toolCalls ? String(t.toolCalls) : "") : null,
  );
}

function totalsTable(first: string, rows: [string, CallTotals][], cls: string, tools: boolean): HTMLElement {
  const all = rows.reduce((m, [, t]) => m + t.total, 0);
  const heads = [first, "model calls", "tokens in → out", "share", "model time", ...(tools ? ["tool calls"] : [])];
  return h(
    "table",
    { class: `pv-table pv-tokens-table ${cls}` },
    h("thead", null, h("tr", null, heads.map((x) => h("th", null, x)))),
    h("tbody", null, rows.map(([name, t]) => totalsRow(name, t, all, tools))),
  );
}

/** The title of the thread's token section: "Tokens: 147 → 30 in 2 model calls". */
export function runTokensTitle(thread: ThreadModel): string {
  const t = threadBreakdown(thread).all;
  if (!t.modelCalls) return "Tokens";
  return t.withUsage ? `Tokens: ${formatTokens(t.input, t.output)} in ${plural(t.modelCalls, "model call")}` : `Tokens: ${plural(t.modelCalls, "model call")}`;
}

/** The thread's totals, per node and per model; null when the thread made no call at all. */
export function renderRunTokens(thread: ThreadModel): HTMLElement | null {
  const b = threadBreakdown(thread);
  if (b.tasks && b.unknown === b.tasks) return h("div", { class: "pv-muted" }, "calls not recorded (run rebuilt from saved checkpoints)");
  if (!b.nodes.length) return null;
  const out: HTMLElement[] = [h("div", { class: "pv-muted pv-tokens-all" }, `in all: ${totalsText(b.all)}`)];
  out.push(h("h4", null, "Per node"), totalsTable("node", b.nodes, "pv-tokens-nodes", true));
  if (b.models.length) out.push(h("h4", null, "Per model"), totalsTable("model", b.models, "pv-tokens-models", false));
  if (b.unknown) out.push(h("div", { class: "pv-muted" }, `${plural(b.unknown, "task")} with calls not recorded`));
  return h("div", { class: "pv-tokens-body" }, out);
}
