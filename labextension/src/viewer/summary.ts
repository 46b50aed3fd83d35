// Plain-text descriptions of a step and its tasks (the side panel's sentences).

import { formatError, formatVersion, joinList } from "./format";
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
  return g.tasks.length > 1 ? `${g.name} ×${g.tasks.length}` : g.name;
}

/** Whether a task was stopped by interrupt() in this step (resumed or not). */
export function wasInterrupted(t: TaskDoc): boolean {
  return t.status === "interrupted" || (Array.isArray(t.interrupts) && t.interrupts.length > 0);
}

function outcomeClauses(groups: TaskGroup[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    const failed = g.tasks.filter((t) => t.status === "error");
    const interrupted = g.tasks.filter((t) => t.status === "interrupted");
    const resumed = g.tasks.filter((t) => t.status !== "interrupted" && wasInterrupted(t) && (t.resumes?.length ?? 0) > 0);
    const who = (n: number) => (g.tasks.length > 1 ? `${n} of ${g.name} ×${g.tasks.length}` : g.name);
    if (failed.length) {
      const err = formatError(failed[0].error ?? failed[0].attempts?.find((a) => a.error)?.error);
      out.push(`${who(failed.length)} failed${err ? ` (${err})` : ""}`);
    }
    if (interrupted.length) out.push(`${who(interrupted.length)} ${interrupted.length > 1 ? "were" : "was"} interrupted`);
    if (resumed.length) out.push(`${who(resumed.length)} ${resumed.length > 1 ? "were" : "was"} interrupted, then resumed`);
  }
  return out;
}

/** "Step 2: worker ×3 ran in parallel", "Step 1: plan failed (ValueError: ...)". */
export function summarizeStep(step: StepDoc): string {
  const head = `Step ${step.step}`;
  const tasks = step.tasks ?? [];
  if (!tasks.length) {
    const updated = (step.updated ?? []).filter((c) => c);
    if (step.source === "input") return `${head}: the input was written${updated.length ? ` to ${joinList(updated)}` : ""}`;
    if (step.source === "update") return `${head}: the state was updated by update_state${updated.length ? ` (${joinList(updated)})` : ""}`;
    if (step.source === "fork") return `${head}: a fork of the run`;
    return `${head}: no task ran`;
  }
  const groups = groupTasks(tasks);
  if (tasks.length === 1) {
    const t = tasks[0];
    const clauses = outcomeClauses(groups);
    if (clauses.length) return `${head}: ${clauses.join("; ")}`;
    if (t.status === "pending") return `${head}: ${t.name} started and never finished`;
    return `${head}: ${t.name} ran`;
  }
  const clauses = outcomeClauses(groups);
  return `${head}: ${joinList(groups.map(groupLabel))} ran in parallel${clauses.length ? `; ${clauses.join("; ")}` : ""}`;
}

/** Why a task ran, in one line: "sent by plan", "branch:to:plan (written by __start__)". */
export function whyText(t: TaskDoc): string {
  if (t.sent_by) return `sent by ${t.sent_by}`;
  if (t.kind === "push" && !t.triggers?.length) return "pushed";
  if (!t.triggers || !t.triggers.length) return t.triggers === null ? "" : "no trigger recorded";
  return t.triggers
    .map((tr) => {
      const by = tr.written_by?.length ? ` by ${tr.written_by.join(", ")}` : "";
      return `${tr.channel}${by}`;
    })
    .join("; ");
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
