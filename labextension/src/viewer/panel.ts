// The side panel, in reading order: what changed first (the step summary, its tasks, the state
// with its diff), then the selected task's details (with the calls made inside it), the thread's
// token totals per node and per model (when it made calls), the narration, next-step triggers
// and the channels. The viewer scrolls it to the top when the step changes. Sections are built once; each step only refills their bodies, so a
// section the user collapsed stays collapsed. A section is refilled only when what it shows
// changed (keyed by the model objects it reads: they are immutable for a payload), and the
// channel table is updated in place. Everything user-provided goes in as text.

import { renderRunTokens, renderTaskCalls, runTokensTitle, stepTotals, threadHasCalls, toolOutcomes, totalsText } from "./calls";
import { setToolOutcomes } from "./conversation";
import { fill, h } from "./dom";
import { makeIcon } from "./icons";
import { drawnName, formatDuration, formatError, formatTime, formatVersion } from "./format";
import type { NamespaceModel, ThreadModel } from "./model";
import { nextLines } from "./next_words";
import { groupTasks, summarizeStep, taskDuration, wasInterrupted, whyText } from "./summary";
import type { GraphView, Json, StepDoc, TaskDoc } from "./types";
import { appendedCount, renderAppended, renderValue } from "./values";

/** One drawn row of the channel table, with what it shows. */
interface ChannelRow {
  tr: HTMLElement;
  version: HTMLElement;
  upd: HTMLElement;
  value: Json | undefined;
  updated: boolean;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface PanelContext {
  thread: ThreadModel;
  space: NamespaceModel;
  index: number;
  step: StepDoc | undefined;
  graph: GraphView | undefined;
  selected: TaskDoc | null;
  warnings: Json[];
}

export interface PanelHandlers {
  selectTask: (id: string | null) => void;
  openNamespace: (ns: string) => void;
}

interface Section {
  root: HTMLDetailsElement;
  title: HTMLElement;
  body: HTMLElement;
}

function section(cls: string, title: string, open = true): Section {
  const t = h("span", { class: "pv-section-title" }, title);
  const body = h("div", { class: "pv-section-body" });
  const root = h("details", { class: `pv-section ${cls}` }, h("summary", null, t), body);
  root.open = open;
  return { root, title: t, body };
}

function statusChip(status: string): HTMLElement {
  return h("span", { class: `pv-chip pv-status-${status.replace(/[^a-z_-]/gi, "")}` }, status);
}

function table(headers: string[], rows: HTMLElement[], cls = ""): HTMLElement {
  return h(
    "table",
    { class: `pv-table ${cls}` },
    h("thead", null, h("tr", null, headers.map((x) => h("th", null, x)))),
    h("tbody", null, rows),
  );
}

/** A name (state key, channel, task) on one line: it never breaks mid-word; a name longer than
 *  its column is cut with an ellipsis, whole in its tooltip. */
function nameText(name: string): HTMLElement {
  return h("span", { class: "pv-name-text", title: name }, name);
}

/** A task's node as the graph and the narration name it: LangGraph's __start__ and __end__
 *  read "start" and "end" (LangGraph's name in the tooltip), a task the history did not name
 *  "unnamed". */
function taskNameText(name: string): HTMLElement {
  const shown = drawnName(name);
  const title = name === "?" ? "a task whose name the history did not keep" : `${shown} (LangGraph's ${name})`;
  return shown === name ? nameText(name) : h("span", { class: "pv-name-text", title }, shown);
}

function nameCell(name: string): HTMLElement {
  return h("td", { class: "pv-name" }, nameText(name));
}

function muted(text: string): HTMLElement {
  return h("div", { class: "pv-muted" }, text);
}

/** A thread id pregel-viz made up for a run given none (pregel_viz/analysis/narrate/_words.py
 *  AUTO_THREAD): it says nothing to the reader. */
const MADE_UP_THREAD = /^pregel-viz-[0-9a-f]{8,}$/;

/** A wide step's task table shows this many rows (and every failed, interrupted or selected
 *  task), the rest behind a "+ N more tasks" button: the state diff after it stays in view. */
export const TASKS_SHOWN = 10;

/** The thread as the reader knows it: "Thread <id>" when they named it, else "This run". */
export function threadLabel(id: string): string {
  return !id || MADE_UP_THREAD.test(id) ? "This run" : `Thread ${id}`;
}

export class SidePanel {
  readonly el: HTMLElement;
  private readonly narration: Section;
  private readonly summary: Section;
  private readonly tasks: Section;
  private readonly details: Section;
  private readonly next: Section;
  private readonly state: Section;
  private readonly channels: Section;
  /** the thread's calls: tokens, model time and tool calls per node and per model (calls.ts) */
  private readonly tokens: Section;
  /** per section, what it was last drawn from */
  private readonly keys = new Map<string, unknown[]>();
  /** whether the internals behind the narration and the Next list are shown (the reader's
   *  choice, kept from step to step) */
  private readonly internalsOpen = { narration: false, next: false };
  /** the task whose row is marked selected */
  private selectedRow: string | null = null;
  /** whether a wide step's task table shows every row (the reader's choice, kept from step to
   *  step, as the internals toggles are) */
  private allTasks = false;
  /** the task whose section was last brought into view */
  private revealed: string | null = null;
  /** the channel table on screen: its graph and row names, and its rows by name */
  private channelTable: { graph: GraphView | undefined; names: string[]; rows: Map<string, ChannelRow> } | null = null;

  constructor(private readonly handlers: PanelHandlers) {
    this.narration = section("pv-narration", "Narration");
    this.summary = section("pv-summary", "Step");
    this.tasks = section("pv-tasks", "Tasks");
    this.details = section("pv-details", "Task");
    this.next = section("pv-next-list", "Next");
    this.state = section("pv-state", "State");
    this.channels = section("pv-channels", "Channels", false);
    this.tokens = section("pv-tokens", "Tokens");
    this.tokens.root.hidden = true;
    this.el = h(
      "div",
      { class: "pv-side" },
      [this.summary, this.tasks, this.state, this.details, this.tokens, this.narration, this.next, this.channels].map((x) => x.root),
    );
    this.tasks.body.addEventListener("click", (ev) => {
      const row = (ev.target as Element | null)?.closest?.("tr[data-task]");
      if (row) this.handlers.selectTask(row.getAttribute("data-task"));
    });
    this.tasks.body.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" && ev.key !== " ") return;
      const row = (ev.target as Element | null)?.closest?.("tr[data-task]");
      if (row) {
        ev.preventDefault();
        this.handlers.selectTask(row.getAttribute("data-task"));
      }
    });
  }

  update(ctx: PanelContext): void {
    const { thread, space, index, step, selected } = ctx;
    // a tool call no tool message answers: what its run did, as known at this step
    setToolOutcomes(() => toolOutcomes(space.steps, index, thread));
    if (this.changed("narration", [step])) this.renderNarration(ctx);
    if (this.changed("summary", [thread, space, step, ctx.warnings.length ? ctx.warnings : 0])) this.renderSummary(ctx);
    if (this.changed("tokens", [thread])) {
      const body = renderRunTokens(thread);
      this.tokens.root.hidden = !body;
      this.tokens.title.textContent = runTokensTitle(thread);
      fill(this.tokens.body, body);
    }
    if (this.changed("tasks", [step])) this.renderTasks(ctx);
    else if ((selected?.id ?? null) !== this.selectedRow) this.markSelectedRow(selected?.id ?? null);
    if (this.changed("details", [thread, selected, selected ? 0 : step?.tasks?.length ? 1 : 0])) this.renderDetails(ctx);
    if ((selected?.id ?? null) !== this.revealed) {
      this.revealed = selected?.id ?? null;
      if (selected) this.revealDetails();
    }
    if (this.changed("next", [step, index === space.length - 1, ctx.graph])) this.renderNext(ctx);
    if (this.changed("state", [space, index])) this.renderState(ctx);
    if (this.changed("channels", [space, index, step, ctx.graph])) this.renderChannels(ctx);
  }

  /** Whether `key` differs from the one section `name` was last drawn from (then remembered). */
  /** No thread to show (an empty log): the step summary says so, with the log's warnings. */
  showEmpty(warnings: Json[]): void {
    if (!this.changed("summary", ["empty", ...warnings])) return;
    const texts = warnings.length ? warnings : ["No supersteps recorded."];
    fill(this.summary.body, texts.map((w) => h("div", { class: "pv-muted pv-empty" }, typeof w === "string" ? w : renderValue(w))));
  }

  private changed(name: string, key: unknown[]): boolean {
    const prev = this.keys.get(name);
    if (prev && sameList(prev, key)) return false;
    this.keys.set(name, key);
    return true;
  }

  /** A task just selected: its section comes after the State (a conversation can be long), so
   *  when its head is not in the panel's view, the panel scrolls to it (the panel alone, never
   *  the page or notebook around the viewer). Read from the layout once per selection. */
  private revealDetails(): void {
    const box = this.el.getBoundingClientRect();
    if (box.height <= 0) return; // not laid out (a hidden tab)
    const top = this.details.root.getBoundingClientRect().top;
    if (top >= box.top && top <= box.bottom - Math.min(160, box.height / 3)) return;
    this.el.scrollTop += top - box.top;
  }

  private markSelectedRow(id: string | null): void {
    const was = this.selectedRow;
    this.selectedRow = id;
    for (const row of Array.from(this.tasks.body.querySelectorAll("tr[data-task]"))) {
      const t = row.getAttribute("data-task");
      if (t !== was && t !== id) continue;
      // the class list as renderTasks writes it: "pv-task-row[ pv-selected] pv-row-<status>"
      const base = row.className.replace(/ pv-selected\b/, "");
      row.className = t === id ? base.replace(/^pv-task-row/, "pv-task-row pv-selected") : base;
      if (t === id) (row as HTMLElement).hidden = false; // a task selected on the graph is shown
    }
  }

  /** The step told in plain sentences (payload `narration`), one list item each, as text. */
  private renderNarration(ctx: PanelContext): void {
    const step = ctx.step;
    const sentences = Array.isArray(step?.narration) ? step.narration : [];
    if (!sentences.length) {
      fill(this.narration.body, muted(step ? "No narration recorded for this step." : "This namespace has no steps."));
      return;
    }
    const details = Array.isArray(step?.narration_details) ? step.narration_details : [];
    fill(
      this.narration.body,
      h("ul", { class: "pv-list pv-narration-list" }, sentences.map((x) => h("li", { class: "pv-narration-item" }, String(x)))),
      this.internals("narration", details, "LangGraph's channels and namespaces behind these sentences"),
    );
  }

  /** A "details" toggle over the internals behind a section's words (none: nothing). */
  private internals(which: "narration" | "next", lines: readonly unknown[], title: string): HTMLElement | null {
    if (!lines.length) return null;
    const box = h(
      "details",
      { class: `pv-internals pv-${which}-internals` },
      h("summary", { title }, "details"),
      h("ul", { class: "pv-list pv-internals-list" }, lines.map((x) => h("li", null, h("code", null, String(x))))),
    );
    box.open = this.internalsOpen[which];
    box.addEventListener("toggle", () => (this.internalsOpen[which] = box.open));
    return box;
  }

  private renderSummary(ctx: PanelContext): void {
    const { step, thread } = ctx;
    this.summary.title.textContent = !step ? "Step" : step.step === -1 ? "Input" : `Step ${step.step}`;
    const parts: HTMLElement[] = [];
    parts.push(h("p", { class: "pv-sentence" }, step ? summarizeStep(step) : "This namespace has no steps."));
    // with the calls made inside the subgraphs its tasks ran (an agent as a node)
    const sum = step ? stepTotals(step, thread) : null;
    const calls = sum ? totalsText(sum) : "";
    if (calls) parts.push(h("p", { class: "pv-step-calls" }, calls));
    if (step) {
      const meta: string[] = [];
      if (step.source && step.source !== "loop") meta.push(`source: ${step.source}`);
      if (step.start !== null && step.end !== null && step.start !== undefined && step.end !== undefined) meta.push(`took ${formatDuration(step.end - step.start)}`);
      if (step.end !== null && step.end !== undefined) meta.push(`at ${formatTime(step.end)}`);
      if (!step.checkpoint) meta.push("no checkpoint saved");
      if (meta.length) parts.push(h("p", { class: "pv-muted" }, meta.join(" · ")));
    }
    const o = thread.doc.outcome;
    if (o && ctx.space.ns === "" ) {
      const line = h("div", { class: `pv-outcome pv-outcome-${String(o.status).replace(/[^a-z_-]/gi, "")}` }, h("span", null, `${threadLabel(thread.id)}: `), statusChip(String(o.status)));
      if (o.error) line.append(" ", h("span", { class: "pv-error-text" }, formatError(o.error)));
      parts.push(line);
      if (o.interrupts?.length) {
        parts.push(h("div", { class: "pv-kv" }, h("span", { class: "pv-label" }, "waiting on: "), o.interrupts.map((v) => renderValue(v, { open: true }))));
      }
    }
    if (ctx.warnings.length && ctx.space.ns === "") {
      parts.push(h("details", { class: "pv-warnings" }, h("summary", null, `${ctx.warnings.length} warning${ctx.warnings.length === 1 ? "" : "s"} while reading the log`), ctx.warnings.map((w) => h("div", null, renderValue(w)))));
    }
    fill(this.summary.body, parts);
  }

  private renderTasks(ctx: PanelContext): void {
    const tasks = ctx.step?.tasks ?? [];
    this.selectedRow = ctx.selected?.id ?? null;
    this.tasks.title.textContent = `Tasks (${tasks.length})`;
    if (!tasks.length) {
      fill(this.tasks.body, muted("No task ran in this step."));
      return;
    }
    const sizes = new Map(groupTasks(tasks).map((g) => [g.name, g.tasks.length]));
    const seen = new Map<string, number>();
    const rows = tasks.map((t) => {
      const n = (seen.get(t.name) ?? 0) + 1;
      seen.set(t.name, n);
      const size = sizes.get(t.name) ?? 1;
      const marks: HTMLElement[] = [];
      if (t.status === "error") marks.push(h("span", { class: "pv-mark pv-mark-error", title: formatError(t.error) }, "!"));
      if (wasInterrupted(t)) marks.push(h("span", { class: "pv-mark pv-mark-interrupt", title: "interrupted by interrupt()" }, makeIcon("pause")));
      return h(
        "tr",
        {
          class: `pv-task-row${ctx.selected?.id === t.id ? " pv-selected" : ""} pv-row-${t.status.replace(/[^a-z_-]/gi, "")}`,
          "data-task": t.id,
          tabindex: 0,
        },
        h("td", { class: "pv-name" }, taskNameText(t.name), size > 1 ? h("span", { class: "pv-muted" }, ` ${n}/${size}`) : null, marks),
        h("td", null, t.kind),
        h("td", null, statusChip(t.status)),
        h("td", { class: "pv-num" }, formatDuration(taskDuration(t))),
        h("td", { class: "pv-why" }, whyText(t)),
      );
    });
    // a wide step (60 workers): its first rows, and those to see (failed, interrupted, the
    // selected task); the rest behind a button, so the state diff stays on screen
    const folded = tasks.map((t, i) => i >= TASKS_SHOWN && t.status !== "error" && !wasInterrupted(t) && t.id !== ctx.selected?.id);
    const hidden = folded.filter(Boolean).length;
    let more: HTMLElement | null = null;
    if (hidden) {
      const button = h("button", { type: "button", class: "pv-button pv-tasks-more", "aria-expanded": "false" });
      const show = (): void => {
        folded.forEach((f, i) => f && (rows[i].hidden = !this.allTasks));
        button.textContent = this.allTasks ? "show fewer tasks" : `+ ${hidden} more task${hidden === 1 ? "" : "s"}`;
        button.setAttribute("aria-expanded", String(this.allTasks));
      };
      button.addEventListener("click", () => {
        this.allTasks = !this.allTasks;
        show();
      });
      show();
      more = h("div", { class: "pv-tasks-more-row" }, button);
    }
    fill(this.tasks.body, table(["name", "kind", "status", "time", "why"], rows, "pv-task-table"), more);
  }

  private renderDetails(ctx: PanelContext): void {
    const t = ctx.selected;
    // no task in the step: "Tasks (0)" says it already
    this.details.root.hidden = !t && !ctx.step?.tasks?.length;
    if (!t) {
      this.details.title.textContent = "Task";
      fill(this.details.body, muted(ctx.step?.tasks?.length ? "Select a task (table row or graph node) to see why it ran, its writes, attempts and input." : "No task in this step."));
      return;
    }
    this.details.title.textContent = `Task ${drawnName(t.name)}`;
    const out: (HTMLElement | null)[] = [];
    out.push(h("div", { class: "pv-task-head" }, h("strong", null, taskNameText(t.name)), " ", statusChip(t.status), " ", h("span", { class: "pv-muted" }, `${t.kind} · ${t.id}`)));
    const subs = (t.subgraphs ?? []).filter((ns) => ctx.thread.hasNamespace(ns));
    if (subs.length) {
      out.push(
        h(
          "div",
          { class: "pv-sub" },
          h("h4", null, "Subgraph"),
          subs.map((ns) => {
            const b = h("button", { type: "button", class: "pv-button pv-open-subgraph", "data-ns": ns, title: ns }, `open subgraph ${ns.split("|").pop()?.split(":")[0] ?? ns} ›`);
            b.addEventListener("click", () => this.handlers.openNamespace(ns));
            return b;
          }),
        ),
      );
    }
    // why
    const why: HTMLElement[] = [];
    if (t.sent_by) why.push(h("li", null, "sent by ", h("strong", null, t.sent_by), t.path ? h("span", { class: "pv-muted" }, ` (${t.path})`) : null));
    for (const tr of t.triggers ?? []) {
      // in words first ("after agent"), LangGraph's channel and versions behind it
      const words = whyText({ ...t, sent_by: null, kind: "pull", triggers: [tr] });
      why.push(
        h(
          "li",
          null,
          words ? h("span", { class: "pv-why-words" }, words, " ") : null,
          h(
            "span",
            { class: "pv-muted" },
            "(",
            h("code", null, tr.channel),
            ` ${formatVersion(tr.seen)} → ${formatVersion(tr.current)}`,
            tr.written_by?.length ? h("span", null, ", written by ", h("strong", null, tr.written_by.join(", "))) : null,
            ")",
          ),
        ),
      );
    }
    if (!why.length) why.push(h("li", { class: "pv-muted" }, t.triggers === null && !t.sent_by ? "not recorded" : "no trigger recorded"));
    out.push(h("div", { class: "pv-sub" }, h("h4", null, "Why it ran"), h("ul", { class: "pv-list" }, why)));
    if (t.error) out.push(h("div", { class: "pv-sub pv-error-box" }, h("h4", null, "Error"), h("div", { class: "pv-error-text" }, formatError(t.error))));
    if (t.interrupts?.length) out.push(h("div", { class: "pv-sub" }, h("h4", null, "Interrupts"), t.interrupts.map((v) => h("div", { class: "pv-vrow" }, renderValue(v, { open: true })))));
    if (t.resumes?.length) out.push(h("div", { class: "pv-sub" }, h("h4", null, "Resumed with"), t.resumes.map((v) => h("div", { class: "pv-vrow" }, renderValue(v, { open: true })))));
    out.push(renderTaskCalls(t, { steps: ctx.space.steps, index: ctx.index, threadHasCalls: threadHasCalls(ctx.thread), thread: ctx.thread }));
    // writes
    out.push(
      h(
        "div",
        { class: "pv-sub" },
        h("h4", null, `Writes (${t.writes?.length ?? 0})`),
        t.writes?.length
          ? table(
              ["channel", "value"],
              t.writes.map((w) => h("tr", null, nameCell(String(w?.[0] ?? "")), h("td", { class: "pv-valcell" }, renderValue(w?.[1] ?? null)))),
              "pv-writes",
            )
          : muted("none"),
      ),
    );
    // attempts
    out.push(
      h(
        "div",
        { class: "pv-sub" },
        h("h4", null, `Attempts${t.attempts ? ` (${t.attempts.length})` : ""}`),
        t.attempts === null
          ? muted("not recorded (run rebuilt from saved checkpoints)")
          : t.attempts.length
            ? table(
                ["#", "start", "end", "time", "status", "error"],
                t.attempts.map((a, i) =>
                  h(
                    "tr",
                    { class: `pv-row-${String(a.status).replace(/[^a-z_-]/gi, "")}` },
                    h("td", { class: "pv-num" }, String(i + 1)),
                    h("td", { class: "pv-num" }, formatTime(a.start)),
                    h("td", { class: "pv-num" }, formatTime(a.end)),
                    h("td", { class: "pv-num" }, formatDuration(a.start !== null && a.end !== null ? a.end - a.start : null)),
                    h("td", null, statusChip(String(a.status))),
                    h("td", { class: "pv-error-text" }, formatError(a.error)),
                  ),
                ),
                "pv-attempts",
              )
            : muted("no timing recorded"),
      ),
    );
    out.push(h("div", { class: "pv-sub" }, h("h4", null, "Input"), t.input === null || t.input === undefined ? muted("not recorded") : renderValue(t.input, { open: true })));
    fill(this.details.body, out);
  }

  /** What runs next, in words ("b after a", "d waits for b and c (b done)"); the channels and
   *  versions that trigger it in a details toggle. */
  private renderNext(ctx: PanelContext): void {
    const lines = ctx.step ? nextLines(ctx.space, ctx.index, Object.keys(ctx.graph?.channels ?? {})) : [];
    const running = lines.filter((x) => !x.waiting);
    this.next.title.textContent = `Next (${new Set(running.map((x) => x.node)).size})`;
    const parts: (HTMLElement | null)[] = [];
    if (!running.length) {
      const last = ctx.index === ctx.space.length - 1;
      parts.push(muted(last ? "Nothing runs next: the run stops here (or waits)." : "Nothing is triggered by this step."));
    }
    if (lines.length) {
      parts.push(
        h(
          "ul",
          { class: "pv-list pv-next-words" },
          lines.map((x) => h("li", { class: x.waiting ? "pv-next-waiting" : "pv-next-runs", "data-node": x.node }, h("strong", null, x.node), ` ${x.words}`)),
        ),
      );
    }
    parts.push(this.internals("next", lines.flatMap((x) => x.internals), "the channels and versions that trigger them"));
    fill(this.next.body, parts);
  }

  private renderState(ctx: PanelContext): void {
    const { space, index } = ctx;
    if (index < 0) {
      fill(this.state.body, muted("no state"));
      return;
    }
    const state = space.stateAt(index);
    const diff = space.stateDiff(index);
    const added = new Set(diff.added);
    const changed = new Set(diff.changed);
    // the keys this step changed first (in the state's order), then the others
    const all = Object.keys(state);
    const keys = [...all.filter((k) => added.has(k) || changed.has(k)), ...all.filter((k) => !added.has(k) && !changed.has(k))];
    const rows: HTMLElement[] = keys.map((k) => {
      let kind = added.has(k) ? "added" : changed.has(k) ? "changed" : "";
      const value = state[k];
      const grew = kind === "changed" ? appendedCount(diff.before[k], value) : 0;
      let cell: HTMLElement;
      if (grew && Array.isArray(value)) {
        // a list that only grew: its new items, readable, rather than the list and what it was
        kind = "appended";
        cell = h("td", { class: "pv-valcell" }, renderAppended(value, value.length - grew));
      } else {
        cell = h("td", { class: "pv-valcell" }, renderValue(value));
        if (kind === "changed") cell.append(h("details", { class: "pv-was" }, h("summary", null, "was"), renderValue(diff.before[k])));
      }
      const mark = kind === "added" ? "+" : kind === "appended" ? "+" : kind === "changed" ? "~" : "";
      return h(
        "tr",
        { class: kind === "appended" ? "pv-changed pv-appended-row" : kind ? `pv-${kind}` : "", "data-key": k },
        h("td", { class: "pv-diffmark", title: kind }, mark),
        nameCell(k),
        cell,
      );
    });
    for (const k of diff.removed) {
      rows.push(
        h(
          "tr",
          { class: "pv-removed", "data-key": k },
          h("td", { class: "pv-diffmark", title: "removed" }, "−"),
          nameCell(k),
          h("td", { class: "pv-valcell" }, renderValue(diff.before[k])),
        ),
      );
    }
    const n = diff.added.length + diff.changed.length + diff.removed.length;
    this.state.title.textContent = `State${n ? ` (${n} changed)` : ""}`;
    fill(this.state.body, keys.length || diff.removed.length ? table(["", "key", "value"], rows, "pv-state-table") : muted("empty"));
  }

  private renderChannels(ctx: PanelContext): void {
    const { space, index, step, graph } = ctx;
    const specs = graph?.channels ?? {};
    const versions = index >= 0 ? space.versionsAt(index) : {};
    const updated = new Set(step?.updated ?? []);
    const names = Object.keys(specs);
    for (const k of Object.keys(versions)) if (!(k in specs)) names.push(k);
    const title = `Channels (${names.length}; ${updated.size} updated)`;
    if (this.channels.title.textContent !== title) this.channels.title.textContent = title;
    const drawn = this.channelTable;
    if (drawn && drawn.graph === graph && sameList(drawn.names, names)) {
      // the same rows: touch only the cells whose version or update mark changed
      for (const name of names) {
        const row = drawn.rows.get(name)!;
        const v = versions[name];
        const u = updated.has(name);
        if (u !== row.updated) {
          row.updated = u;
          row.tr.className = u ? "pv-updated" : "";
          row.upd.textContent = u ? "✓" : "";
        }
        if (v !== row.value) {
          row.value = v;
          row.version.title = v === undefined ? "" : String(v);
          row.version.textContent = v === undefined ? "" : formatVersion(v);
        }
      }
      return;
    }
    this.channelTable = null;
    if (!names.length) {
      fill(this.channels.body, muted("no channels recorded"));
      return;
    }
    const rows = new Map<string, ChannelRow>();
    const trs = names.map((name) => {
      const spec = specs[name] ?? {};
      const v = versions[name];
      const u = updated.has(name);
      const version = h("td", { class: "pv-num", title: v === undefined ? "" : String(v) }, v === undefined ? "" : formatVersion(v));
      const upd = h("td", { class: "pv-upd" }, u ? "✓" : "");
      const tr = h(
        "tr",
        { class: u ? "pv-updated" : "", "data-channel": name },
        nameCell(name),
        h(
          "td",
          { title: spec.accumulate === true ? "keeps its values across supersteps" : spec.accumulate === false ? "holds only the last superstep's values" : "" },
          typeof spec.class === "string" ? `${spec.class}${spec.accumulate === true ? " (accumulate)" : ""}` : "",
        ),
        h("td", null, typeof spec.reducer === "string" ? spec.reducer : ""),
        version,
        upd,
      );
      rows.set(name, { tr, version, upd, value: v, updated: u });
      return tr;
    });
    fill(this.channels.body, table(["channel", "class", "reducer", "version", "updated"], trs, "pv-channel-table"));
    this.channelTable = { graph, names, rows };
  }
}
