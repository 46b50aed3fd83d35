// Plain-text descriptions of a step and its tasks (the side panel's sentences).

import { stepTotals, totalsText } from "./calls";
import { drawnName as drawn, formatError, formatVersion, joinList, preview } from "./format";
import type { StepDoc, TaskDoc } from "./types";

export interface TaskGroup {
  name: string;
  tasks: TaskDoc[];
}

/** Tasks of a step grouped by node name, in order of first appearance (Sends → one group). */
export function groupTasks(tasks: TaskDoc[]): TaskGroup[] {
  const groups = new Map<string, TaskGroup>();
  for (const t of tasks ?? []) {
    let g = groups.get(t.name);
    if (!g) {
      g = { name: t.name, tasks: [] };
      groups.set(t.name, g);
    }
    g.tasks.push(t);
  }
  return [...groups.values()];
}

function groupLabel(g: TaskGroup): string {
  return g.tasks.length > 1 ? `${drawn(g.name)} ×${g.tasks.length}` : drawn(g.name);
}

/** Whether a task was stopped by interrupt() in this step (resumed or not). */
export function wasInterrupted(t: TaskDoc): boolean {
  return t.status === "interrupted" || (Array.isArray(t.interrupts) && t.interrupts.length > 0);
}

/** Whether a task ended in failure: one that failed in a call and succeeded when a later call
 *  resumed the thread ended well (its attempts tell the failure; the step did not fail). */
export function endedInError(t: TaskDoc): boolean {
  if (t.status !== "error") return false;
  const last = t.attempts?.[t.attempts.length - 1];
  return last?.status !== "ok";
}

/** The answers interrupt() got, as text: `"yes"`, `"yes" and 42`. */
function answers(t: TaskDoc): string {
  const given = Array.isArray(t.resumes) ? t.resumes : [];
  return given.length ? ` with ${joinList(given.map((v) => preview(v, 40)))}` : "";
}

function outcomeClauses(groups: TaskGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    const failed = g.tasks.filter(endedInError);
    const interrupted = g.tasks.filter((t) => t.status === "interrupted");
    const resumed = g.tasks.filter((t) => t.status !== "interrupted" && wasInterrupted(t) && (t.resumes?.length ?? 0) > 0);
    const who = (n: number) => (g.tasks.length > 1 ? `${n} of ${g.name} ×${g.tasks.length}` : g.name);
    if (failed.length) {
      const err = formatError(failed[0].error ?? failed[0].attempts?.find((a) => a.error)?.error);
      out.push(`${who(failed.length)} failed${err ? ` (${err})` : ""}`);
    }
    if (interrupted.length) out.push(`${who(interrupted.length)} ${interrupted.length > 1 ? "were" : "was"} interrupted`);
    // the answer is shown where it was given: the step the task was resumed in
    if (resumed.length) {
      const given = resumed.length === 1 ? answers(resumed[0]) : "";
      out.push(`${who(resumed.length)} ${resumed.length > 1 ? "were" : "was"} interrupted, then resumed${given}`);
    }
  }
  return out;
}

/** "Step 2: worker ×3 ran in parallel", "Step 1: plan failed (ValueError: ...)", "The input". */
export function summarizeStep(step: StepDoc): string {
  // the input's entry is step -1 to LangGraph; to a reader it is the input
  const head = step.source === "input" ? "The input" : `Step ${step.step}`;
  const tasks = step.tasks ?? [];
  if (!tasks.length) {
    const updated = (step.updated ?? []).filter((c) => c && !c.startsWith("__"));
    if (step.source === "input") return `${head} arrived${updated.length ? ` (${joinList(updated)})` : ""}`;
    if (step.source === "update") return `${head}: ${updateText(step)}`;
    if (step.source === "fork") return `${head}: a fork of the run`;
    return `${head}: no task ran`;
  }
  const groups = groupTasks(tasks);
  if (tasks.length === 1) {
    const t = tasks[0];
    const clauses = outcomeClauses(groups);
    if (clauses.length) return `${head}: ${clauses.join("; ")}`;
    if (t.status === "pending") return `${head}: ${drawn(t.name)} started and never finished`;
    return `${head}: ${drawn(t.name)} ran`;
  }
  const clauses = outcomeClauses(groups);
  return `${head}: ${namesOf(groups)} ran in parallel${clauses.length ? `; ${clauses.join("; ")}` : ""}`;
}

/** LangGraph's own channels (branch:to:X, join:a+b:X, start:X, __pregel_tasks): not state keys. */
function isInternal(channel: string): boolean {
  return channel.startsWith("__") || /^(branch|join|start):/.test(channel);
}

/** More state keys than this are named by the first ones and a count. */
const KEYS = 4;

/** An update_state step in words: "update_state wrote route and sent the run to handle_big".
 *  The nodes it sent the run to are the next ones a channel it wrote triggers (the routes it took
 *  as its node's output); its channels (branch:to:X) are in the narration's details. */
function updateText(step: StepDoc): string {
  const updated = (step.updated ?? []).filter(Boolean);
  const keys = updated.filter((c) => !isInternal(c));
  const wrote = new Set(updated);
  const sent = Object.entries(step.next ?? {})
    .filter(([, reasons]) => Array.isArray(reasons) && reasons.some((r) => wrote.has(String(r?.[0] ?? ""))))
    .map(([node]) => node);
  const named = keys.length > KEYS ? [...keys.slice(0, KEYS - 1), `${keys.length - KEYS + 1} more keys`] : keys;
  const wroteText = named.length ? `wrote ${joinList(named)}` : "";
  const sentText = sent.length ? `sent the run to ${joinList(sent)}` : "";
  if (wroteText && sentText) return `update_state ${wroteText}${named.length > 1 ? "," : ""} and ${sentText}`;
  if (wroteText || sentText) return `update_state ${wroteText || sentText}`;
  return "the state was updated by update_state";
}

/** More groups than this are named by their ends and a count (a wide fan-out). */
export const LONG = 8;

const natural = new Intl.Collator(undefined, { numeric: true });

/** "a, b and c"; "60 tasks: worker_00 … worker_59" for a wide step. */
function namesOf(groups: TaskGroup[]): string {
  if (groups.length <= LONG) return joinList(groups.map(groupLabel));
  const names = groups.map((g) => g.name).sort(natural.compare);
  const n = groups.reduce((k, g) => k + g.tasks.length, 0);
  return `${n} tasks (${names[0]} … ${names[names.length - 1]})`;
}

const WRITERS: Record<string, string> = { "(input)": "the input", "(update_state)": "update_state", "(fork)": "the fork" };

/** Why a task ran, in one line of words: "sent by plan", "after search", "after all of a and b".
 *  LangGraph's channels behind it (branch:to:X, join:a+b:X) are in the narration's details. */
export function whyText(t: TaskDoc): string {
  if (t.sent_by) return `sent by ${t.sent_by}`;
  if (t.kind === "push" && !t.triggers?.length) return "pushed";
  if (!t.triggers || !t.triggers.length) return t.triggers === null ? "" : "no trigger recorded";
  const reasons = t.triggers.map((tr) => {
    const by = joinList((tr.written_by ?? []).map((w) => WRITERS[w] ?? drawn(w)));
    const ch = String(tr.channel ?? "");
    if (ch === "__start__") return "the input";
    if (ch.startsWith("branch:to:")) return by ? `after ${by}` : "routed here";
    if (ch.startsWith("join:")) {
      const names = ch.split(":")[1]?.split("+") ?? [];
      const list = names.length > 4 ? `${names[0]} … ${names[names.length - 1]} (${names.length})` : joinList(names);
      return `after all of ${list}`;
    }
    return by ? `${ch} written by ${by}` : `${ch} advanced`;
  });
  return [...new Set(reasons)].join("; ");
}

export interface NextTrigger {
  node: string;
  channel: string;
  seen: string;
  current: string;
}

/** The pull tasks this step triggers for the next one, with the channel that advanced. */
export function nextTriggers(step: StepDoc): NextTrigger[] {
  const out: NextTrigger[] = [];
  for (const [node, reasons] of Object.entries(step.next ?? {})) {
    if (!Array.isArray(reasons) || !reasons.length) {
      out.push({ node, channel: "", seen: "", current: "" });
      continue;
    }
    for (const r of reasons) {
      out.push({
        node,
        channel: String(r?.[0] ?? ""),
        seen: formatVersion(r?.[1]),
        current: formatVersion(r?.[2]),
      });
    }
  }
  return out;
}

/** The duration of a task, first attempt start → last attempt end, in seconds. */
export function taskDuration(t: TaskDoc): number | null {
  const a = t.attempts;
  if (!a || !a.length) return null;
  const start = a[0].start;
  const end = a[a.length - 1].end;
  return start === null || end === null || start === undefined || end === undefined ? null : end - start;
}

/** The calls the step's tasks made, in one line: "2 model calls, 147 → 30 tokens, 1.2 s; 2 tool
 *  calls". "" when they made none, or when the run did not record them (a rebuilt run). */
export function stepCallsText(step: StepDoc): string {
  const t = stepTotals(step);
  return t ? totalsText(t) : "";
}
