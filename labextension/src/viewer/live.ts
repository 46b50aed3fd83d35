// Live-session controls on top of the viewer (pregel_viz.debug / %pregel --live).
//
// Python owns the session (pregel_viz/recorder/live.py) and publishes its state as the widget's `live`
// trait (LiveState below); this module draws the controls and sends the user's actions back as
// custom messages (LiveAction). It never runs anything itself: every button is a request, and
// what the graph did comes back as a new payload and a new LiveState.
//
// - a bar: Step (F10) / Continue (F8) / Pause (F8) / Stop, the status and why the run stopped, the
//   breakpoints (chips, removable) and "break when channel C is written";
// - a click on a graph node opens a small menu: break before / after that node;
// - when the graph waits in interrupt(): each pending value and a field to answer it;
// - "Edit & fork": a JSON editor of the state at the step shown, validated as you type, that
//   forks the run from that step's checkpoint with the edit, or re-runs from there unedited.

import { fill, h } from "./dom";
import type { Values } from "./model";
import type { GraphView, Json, NamespaceDoc, Payload, StepDoc, ThreadDoc } from "./types";
import type { Viewer } from "./viewer";

export interface LiveBreakpoints {
  before: string[];
  after: string[];
  write: string[];
}

export interface LiveInterrupt {
  id: string;
  value: Json;
}

/** What Python publishes (pregel_viz/views/live_widget.py, LiveDebugger.live). */
export interface LiveState {
  status: string; // paused | running | interrupted | completed | error | stopped
  message: string;
  notice: string; // the last action's error ("" when it went through)
  breakpoints: LiveBreakpoints;
  interrupts: LiveInterrupt[];
  next: string[];
  nodes: string[];
  channels: string[];
  thread: string;
  /** for a forked thread: how the newest branch differs from the branch it left ("" none) */
  fork: string;
  /** what pausing between supersteps changes for this graph (e.g. UntrackedValue channels) */
  caveats: string[];
  /** the number of the last change sent (whole document or append) */
  seq: number;
  /** the change that sent the whole document (the _payload trait) last */
  payload_seq: number;
}

/** A namespace's entries from index `from` on (pregel_viz/views/live_widget.py). */
export interface AppendNamespace extends Omit<NamespaceDoc, "steps"> {
  from: number;
  steps: StepDoc[];
}

/** Only what changed since change `base`: new supersteps (and the last one shown, told again),
 *  a thread's outcome and calls, graphs or warnings when they changed. */
export interface AppendMessage {
  base: number;
  seq: number;
  threads?: (Omit<ThreadDoc, "namespaces"> & { namespaces: AppendNamespace[] })[];
  graphs?: Record<string, GraphView>;
  warnings?: Json[];
}

/** The document with an append message applied (new objects where it changed; the rest shared). */
export function applyAppend(doc: Payload, msg: AppendMessage): Payload {
  const threads = [...doc.threads];
  for (const t of msg.threads ?? []) {
    const i = threads.findIndex((x) => x.id === t.id);
    const known: ThreadDoc = i >= 0 ? threads[i] : { id: t.id, outcome: t.outcome, calls: t.calls, namespaces: [] };
    const namespaces = [...known.namespaces];
    for (const n of t.namespaces ?? []) {
      const j = namespaces.findIndex((x) => x.ns === n.ns);
      const { from, steps, ...head } = n;
      const kept = j >= 0 ? namespaces[j].steps.slice(0, Math.max(0, from)) : [];
      const space: NamespaceDoc = { ...(j >= 0 ? namespaces[j] : {}), ...head, steps: kept.concat(steps ?? []) };
      if (j >= 0) namespaces[j] = space;
      else namespaces.push(space);
    }
    const { namespaces: _n, ...fields } = t;
    void _n;
    const thread: ThreadDoc = { ...known, ...fields, namespaces };
    if (i >= 0) threads[i] = thread;
    else threads.push(thread);
  }
  return {
    ...doc,
    graphs: msg.graphs ?? doc.graphs,
    warnings: msg.warnings ?? doc.warnings,
    threads,
  };
}

/** What the controls ask Python to do. */
export type LiveAction =
  | { live: "step" | "continue" | "pause" | "stop" | "compare" | "sync" }
  | { live: "breakpoint"; name: string; where: "before" | "after" | "write"; on: boolean }
  | { live: "answer"; id: string; value: Json }
  | { live: "fork"; checkpoint: string; updates: Record<string, Json> | null; as_node: string | null };

export const EMPTY_LIVE: LiveState = {
  status: "paused",
  message: "",
  notice: "",
  breakpoints: { before: [], after: [], write: [] },
  interrupts: [],
  next: [],
  nodes: [],
  channels: [],
  thread: "",
  fork: "",
  caveats: [],
  seq: 0,
  payload_seq: 0,
};

/** Read the trait's value defensively (it is whatever Python sent). */
export function parseLiveState(v: unknown): LiveState | null {
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (typeof o.status !== "string") return null;
  const strs = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : []);
  const bp = (o.breakpoints ?? {}) as Record<string, unknown>;
  return {
    status: o.status,
    message: typeof o.message === "string" ? o.message : "",
    notice: typeof o.notice === "string" ? o.notice : "",
    breakpoints: { before: strs(bp.before), after: strs(bp.after), write: strs(bp.write) },
    interrupts: Array.isArray(o.interrupts)
      ? (o.interrupts as unknown[])
          .filter((i): i is Record<string, unknown> => !!i && typeof i === "object")
          .map((i) => ({ id: String(i.id ?? ""), value: (i.value ?? null) as Json }))
      : [],
    next: strs(o.next),
    nodes: strs(o.nodes),
    channels: strs(o.channels),
    thread: typeof o.thread === "string" ? o.thread : "",
    fork: typeof o.fork === "string" ? o.fork : "",
    caveats: strs(o.caveats),
    seq: typeof o.seq === "number" ? o.seq : -1,
    payload_seq: typeof o.payload_seq === "number" ? o.payload_seq : -1,
  };
}

/** What each status means, for the status chip's tooltip. One word per state, the same word
 *  the toolbar's outcome uses for the session's thread. */
const STATUS_MEANS: Record<string, string> = {
  paused: "paused between supersteps (a Step, a breakpoint or Pause): Step or Continue goes on",
  running: "running: Pause stops before the next superstep",
  interrupted: "interrupted: interrupt() waits for an answer (below)",
  completed: "completed: nothing is left to run (Edit & fork runs on from any step)",
  error: "error: Step or Continue runs the failed superstep again",
  stopped: "stopped: the session has ended",
};

export type EditResult = { ok: true; updates: Record<string, Json> } | { ok: false; error: string };

const same = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

function hasTag(v: Json | undefined): boolean {
  if (Array.isArray(v)) return v.some(hasTag);
  if (v && typeof v === "object") return "$type" in v || Object.values(v).some(hasTag);
  return false;
}

/** Validate the editor's text against the state it started from: the channels whose value
 *  changed (only those are sent, so values the editor cannot round-trip stay untouched). */
export function validateEdit(text: string, original: Values): EditResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, error: "the state must be a JSON object: {channel: value, ...}" };
  }
  const edited = parsed as Record<string, Json>;
  const removed = Object.keys(original).filter((k) => !(k in edited));
  if (removed.length) {
    return { ok: false, error: `a channel cannot be removed (${removed.join(", ")}): edit its value instead` };
  }
  const updates: Record<string, Json> = {};
  for (const [k, v] of Object.entries(edited)) {
    if (k in original && same(original[k], v)) continue;
    if (hasTag(v)) {
      return {
        ok: false,
        error: `${k}: values marked "$type" stand for Python objects and cannot be edited here; edit them in Python (session.fork)`,
      };
    }
    updates[k] = v;
  }
  return { ok: true, updates };
}

/** The answer field's text as a value: JSON when it parses, else the text itself. */
export function parseAnswer(text: string): Json {
  const t = text.trim();
  if (!t) return "";
  try {
    return JSON.parse(t) as Json;
  } catch {
    return text;
  }
}

export interface LiveControlsOptions {
  send: (action: LiveAction) => void;
  /** Show a compare document (the fork beside the branch it left) in `el`. */
  mountCompare?: (el: HTMLElement, doc: unknown) => { destroy(): void };
}

export class LiveControls {
  readonly el: HTMLElement;
  private state: LiveState = EMPTY_LIVE;
  private readonly bStep: HTMLButtonElement;
  private readonly bCont: HTMLButtonElement;
  private readonly bPause: HTMLButtonElement;
  private readonly bStop: HTMLButtonElement;
  private readonly bEdit: HTMLButtonElement;
  private readonly statusEl: HTMLElement;
  private readonly messageEl: HTMLElement;
  private readonly noticeEl: HTMLElement;
  private readonly forkEl: HTMLElement;
  private readonly forkText: HTMLElement;
  private readonly bCompare: HTMLButtonElement;
  private readonly compareBox: HTMLElement;
  private compareView: { destroy(): void } | null = null;
  private readonly caveatsEl: HTMLElement;
  private readonly bpsEl: HTMLElement;
  private readonly writeSel: HTMLSelectElement;
  private readonly interruptBox: HTMLElement;
  private readonly editor: HTMLElement;
  private readonly editorTitle: HTMLElement;
  private readonly editorText: HTMLTextAreaElement;
  private readonly editorCheck: HTMLElement;
  private readonly asNode: HTMLSelectElement;
  private readonly bFork: HTMLButtonElement;
  private readonly bRerun: HTMLButtonElement;
  private menu: HTMLElement | null = null;
  /** the step entry the editor was opened on, and the state it started from */
  private editing: { checkpoint: string; step: number; state: Values; dirty: boolean } | null = null;
  private answers = new Map<string, string>();
  /** an action was sent that will move the run: show the newest entry when it lands */
  private wantFollow = false;
  /** the change the document shown is at (see AppendMessage), and the whole document's last */
  private seq = -1;
  private payloadSeq = -1;
  private syncAsked = false;
  private readonly onDocClick: (ev: MouseEvent) => void;
  private readonly onKey: (ev: KeyboardEvent) => void;

  constructor(
    private readonly viewer: Viewer,
    private readonly opts: LiveControlsOptions,
  ) {
    const button = (cls: string, text: string, title: string): HTMLButtonElement =>
      h("button", { type: "button", class: `pv-button ${cls}`, title }, text);
    this.bStep = button("pv-live-step", "Step", "run exactly one superstep (F10)");
    this.bCont = button("pv-live-continue", "Continue", "run to the next breakpoint, interrupt or the end (F8)");
    this.bPause = button("pv-live-pause", "Pause", "stop before the next superstep (F8)");
    this.bStop = button("pv-live-stop", "Stop", "end the session");
    this.bEdit = button("pv-live-edit", "Edit & fork…", "edit the state at the step shown and run on from there");
    this.statusEl = h("span", { class: "pv-live-status pv-chip", "aria-live": "polite" });
    this.messageEl = h("span", { class: "pv-live-message" });
    this.noticeEl = h("div", { class: "pv-live-notice", role: "alert" });
    this.caveatsEl = h("ul", { class: "pv-live-caveats", "aria-label": "caveats" });
    this.forkText = h("span", { class: "pv-live-fork-text" });
    this.bCompare = button("pv-live-compare", "Side by side", "the fork beside the branch it left, stepped together");
    this.bCompare.hidden = !opts.mountCompare;
    this.bCompare.addEventListener("click", () => this.opts.send({ live: "compare" }));
    this.forkEl = h("div", { class: "pv-live-fork" }, this.forkText, " ", this.bCompare);
    const bCloseCompare = button("pv-live-compare-close", "Close", "close the comparison");
    bCloseCompare.addEventListener("click", () => this.closeCompare());
    this.compareBox = h("div", { class: "pv-live-box pv-live-compare-box", hidden: true }, h("div", { class: "pv-live-row" }, bCloseCompare));
    this.bpsEl = h("span", { class: "pv-live-bps", "aria-label": "breakpoints" });
    this.writeSel = h("select", { class: "pv-live-write", title: "break when this channel is written", "aria-label": "break when channel written" });
    this.writeSel.addEventListener("change", () => {
      const name = this.writeSel.value;
      this.writeSel.value = "";
      if (name) this.opts.send({ live: "breakpoint", name, where: "write", on: true });
    });
    this.interruptBox = h("div", { class: "pv-live-box pv-interrupt", hidden: true });

    this.editorTitle = h("div", { class: "pv-editor-title" });
    this.editorText = h("textarea", { class: "pv-editor-text", spellcheck: "false", "aria-label": "state (JSON)" });
    this.editorCheck = h("div", { class: "pv-validation", "aria-live": "polite" });
    this.asNode = h("select", { class: "pv-editor-as-node", title: "update_state(as_node=...)", "aria-label": "as node" });
    this.bFork = button("pv-editor-fork", "Fork with this state", "update_state on this step's checkpoint, then continue");
    this.bRerun = button("pv-editor-rerun", "Re-run from here", "replay from this step's checkpoint without an edit");
    const bCancel = button("pv-editor-cancel", "Close", "close the editor");
    const bReset = button("pv-editor-reset", "Reset", "back to the state at the step shown");
    this.editor = h(
      "div",
      { class: "pv-live-box pv-editor", hidden: true },
      this.editorTitle,
      this.editorText,
      this.editorCheck,
      h("div", { class: "pv-live-row" }, h("label", null, "as node ", this.asNode), this.bFork, this.bRerun, bReset, bCancel),
    );
    this.editorText.addEventListener("input", () => {
      if (this.editing) this.editing.dirty = true;
      this.check();
    });
    bCancel.addEventListener("click", () => this.closeEditor());
    bReset.addEventListener("click", () => this.openEditor());
    this.bFork.addEventListener("click", () => this.fork(true));
    this.bRerun.addEventListener("click", () => this.fork(false));

    this.el = h(
      "div",
      { class: "pv-live", role: "group", "aria-label": "live session" },
      // the buttons first and the status in a fixed width: nothing moves as the words change
      h("div", { class: "pv-live-bar" }, this.bStep, this.bCont, this.bPause, this.bStop, this.bEdit, this.statusEl, this.messageEl),
      h(
        "div",
        { class: "pv-live-bar pv-live-bps-row" },
        h("label", { class: "pv-live-write-box" }, h("span", { class: "pv-muted" }, "break on write "), this.writeSel),
        this.bpsEl,
      ),
      this.noticeEl,
      this.caveatsEl,
      this.forkEl,
      this.compareBox,
      this.interruptBox,
      this.editor,
    );
    const act = (live: "step" | "continue" | "pause" | "stop") => () => {
      if (live !== "pause") this.wantFollow = true;
      // no second Step / Continue before Python has answered (the next update re-enables)
      if (live === "step" || live === "continue") this.bStep.disabled = this.bCont.disabled = true;
      this.opts.send({ live });
    };
    this.bStep.addEventListener("click", act("step"));
    this.bCont.addEventListener("click", act("continue"));
    this.bPause.addEventListener("click", act("pause"));
    this.bStop.addEventListener("click", act("stop"));
    this.bEdit.addEventListener("click", () => (this.editor.hidden ? this.openEditor() : this.closeEditor()));

    this.onDocClick = (ev: MouseEvent) => {
      if (this.menu && !this.menu.contains(ev.target as Node)) this.closeMenu();
    };
    // the browsers' debugger keys, while the viewer has the focus: F10 Step, F8 Continue
    // (or Pause while running)
    const keys: Record<string, () => HTMLButtonElement> = {
      F10: () => this.bStep,
      F8: () => (this.state.status === "running" ? this.bPause : this.bCont),
    };
    this.onKey = (ev: KeyboardEvent) => {
      if (ev.key === "Escape" && this.menu) {
        this.closeMenu();
        ev.stopPropagation();
        return;
      }
      const button = keys[ev.key]?.();
      if (!button || ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      ev.stopPropagation();
      if (!button.disabled) button.click();
    };
    viewer.root.ownerDocument.addEventListener("mousedown", this.onDocClick, true);
    viewer.root.addEventListener("keydown", this.onKey, true);
    viewer.root.classList.add("pv-is-live");
    viewer.root.insertBefore(this.el, viewer.root.firstChild);
  }

  /** Whether an action sent since the last call should make the view follow the run. */
  takeFollow(): boolean {
    const f = this.wantFollow;
    this.wantFollow = false;
    return f;
  }

  update(state: LiveState): void {
    this.state = state;
    const s = state.status;
    // after an error, Step / Continue run the failed superstep again (LangGraph retries it)
    const idle = s === "paused" || s === "error";
    this.bStep.disabled = !idle;
    this.bCont.title = s === "error" ? "run the failed superstep again, then on (F8)" : "run to the next breakpoint, interrupt or the end (F8)";
    this.bCont.disabled = !idle;
    this.bPause.disabled = s !== "running";
    // a completed run has nothing left to stop (Edit & fork still runs on from a step)
    this.bStop.disabled = s === "stopped" || s === "completed";
    this.bEdit.disabled = s === "running" || s === "stopped";
    this.statusEl.textContent = s;
    this.statusEl.title = STATUS_MEANS[s] ?? s;
    this.statusEl.className = `pv-live-status pv-chip pv-status-${s.replace(/[^a-z_-]/gi, "")}`;
    this.viewer.root.setAttribute("data-live-status", s);
    const next = state.next.length && s !== "completed" ? ` · next: ${state.next.join(", ")}` : "";
    this.messageEl.textContent = `${state.message}${next}`;
    this.messageEl.title = this.messageEl.textContent;
    if (state.payload_seq !== this.payloadSeq) {
      // the whole document came (the _payload trait, just before this state): it is at that change
      this.payloadSeq = state.payload_seq;
      this.seq = state.payload_seq;
      this.syncAsked = false;
    }
    this.noticeEl.textContent = state.notice;
    this.forkText.textContent = state.fork;
    this.forkEl.hidden = !state.fork;
    fill(this.caveatsEl, state.caveats.map((c) => h("li", null, c)));
    this.caveatsEl.hidden = state.caveats.length === 0;
    this.renderBreakpoints();
    this.renderInterrupts();
    this.viewer.setBreakpoints({ before: state.breakpoints.before, after: state.breakpoints.after });
    const asNode = this.asNode.value; // a choice survives a redraw
    fill(this.asNode, [h("option", { value: "" }, "(automatic)"), ...state.nodes.map((n) => h("option", { value: n }, n))]);
    this.asNode.value = state.nodes.includes(asNode) ? asNode : "";
    if (this.editing) this.check();
    this.refresh();
  }

  /** An append message from Python: the document with it applied, or null when this view
   *  missed a change (it was opened meanwhile): then it asks for the whole document. */
  applyMessage(doc: Payload, msg: unknown): Payload | null {
    if (!msg || typeof msg !== "object") return null;
    const m = msg as AppendMessage;
    if (typeof m.seq !== "number" || m.base !== this.seq) {
      if (!this.syncAsked) {
        this.syncAsked = true;
        this.opts.send({ live: "sync" });
      }
      return null;
    }
    this.seq = m.seq;
    return applyAppend(doc, m);
  }

  /** The view moved or the document changed: keep the editor on the step shown. */
  refresh(): void {
    if (this.editor.hidden) return;
    // a draft is kept; otherwise the editor shows the step now in view (or why it cannot)
    if (!this.editing || !this.editing.dirty) this.openEditor();
    else this.check();
  }

  /** A node of the graph was clicked: offer its breakpoints. */
  nodeClicked(name: string, ev: MouseEvent): void {
    this.closeMenu();
    // breakpoints are on the root graph's nodes (a subgraph's nodes may share their names)
    if (this.viewer.position.ns !== "") return;
    if (this.state.status === "stopped" || name.startsWith("__") || !this.state.nodes.includes(name)) return;
    const bp = this.state.breakpoints;
    const item = (where: "before" | "after"): HTMLButtonElement => {
      const on = (where === "before" ? bp.before : bp.after).includes(name);
      const b = h(
        "button",
        { type: "button", role: "menuitemcheckbox", "aria-checked": on ? "true" : "false", class: `pv-menu-${where}`, "data-where": where },
        `Break ${where} ${name}`,
      );
      b.addEventListener("click", () => {
        this.closeMenu();
        this.opts.send({ live: "breakpoint", name, where, on: !on });
      });
      return b;
    };
    const root = this.viewer.root;
    const box = root.getBoundingClientRect();
    const menu = h(
      "div",
      { class: "pv-node-menu", role: "menu", "aria-label": `breakpoints of ${name}`, "data-node": name },
      h("div", { class: "pv-menu-title" }, name),
      item("before"),
      item("after"),
    );
    menu.style.left = `${Math.max(0, ev.clientX - box.left + 4)}px`;
    menu.style.top = `${Math.max(0, ev.clientY - box.top + 4)}px`;
    root.appendChild(menu);
    this.menu = menu;
    (menu.querySelector("button") as HTMLButtonElement | null)?.focus();
  }

  /** Show the compare document Python sent (answer to the "compare" action). */
  showCompare(doc: unknown): void {
    if (!this.opts.mountCompare) return;
    this.closeCompare();
    const host = h("div", { class: "pv-live-compare-view" });
    this.compareBox.appendChild(host);
    this.compareBox.hidden = false;
    this.compareView = this.opts.mountCompare(host, doc);
  }

  private closeCompare(): void {
    this.compareView?.destroy();
    this.compareView = null;
    this.compareBox.querySelector(".pv-live-compare-view")?.remove();
    this.compareBox.hidden = true;
  }

  destroy(): void {
    this.closeCompare();
    this.closeMenu();
    this.viewer.root.ownerDocument.removeEventListener("mousedown", this.onDocClick, true);
    this.viewer.root.removeEventListener("keydown", this.onKey, true);
    this.el.remove();
  }

  // ---------- internals ----------

  private closeMenu(): void {
    this.menu?.remove();
    this.menu = null;
  }

  private renderBreakpoints(): void {
    const bp = this.state.breakpoints;
    const chip = (where: "before" | "after" | "write", name: string): HTMLElement => {
      const text = where === "write" ? `on write ${name}` : `${where} ${name}`;
      const x = h("button", { type: "button", title: `remove the breakpoint ${text}`, "aria-label": `remove breakpoint ${text}` }, "×");
      x.addEventListener("click", () => this.opts.send({ live: "breakpoint", name, where, on: false }));
      return h("span", { class: "pv-bp-chip", "data-where": where, "data-name": name }, text, x);
    };
    fill(this.bpsEl, [
      ...bp.before.map((n) => chip("before", n)),
      ...bp.after.map((n) => chip("after", n)),
      ...bp.write.map((n) => chip("write", n)),
    ]);
    fill(this.writeSel, [
      h("option", { value: "" }, "channel…"),
      ...this.state.channels.filter((c) => !bp.write.includes(c)).map((c) => h("option", { value: c }, c)),
    ]);
    this.writeSel.value = "";
  }

  private renderInterrupts(): void {
    const pending = this.state.status === "interrupted" ? this.state.interrupts : [];
    this.interruptBox.hidden = pending.length === 0;
    const ids = new Set(pending.map((i) => i.id));
    for (const id of [...this.answers.keys()]) if (!ids.has(id)) this.answers.delete(id);
    fill(
      this.interruptBox,
      pending.map((intr) => {
        const field = h("textarea", {
          class: "pv-answer-text",
          rows: 2,
          placeholder: "your answer: JSON (42, \"yes\", {...}) or plain text",
          "aria-label": "answer",
        });
        field.value = this.answers.get(intr.id) ?? "";
        field.addEventListener("input", () => this.answers.set(intr.id, field.value));
        const submit = h("button", { type: "button", class: "pv-button pv-answer-submit" }, "Answer and resume");
        submit.addEventListener("click", () => {
          this.wantFollow = true;
          this.answers.delete(intr.id);
          this.opts.send({ live: "answer", id: intr.id, value: parseAnswer(field.value) });
        });
        field.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) submit.click();
        });
        return h(
          "div",
          { class: "pv-interrupt-item", "data-interrupt": intr.id },
          h("div", { class: "pv-muted" }, "interrupt() is waiting for an answer:"),
          h("pre", { class: "pv-interrupt-value" }, typeof intr.value === "string" ? intr.value : JSON.stringify(intr.value, null, 2)),
          field,
          h("div", { class: "pv-live-row" }, submit),
        );
      }),
    );
  }

  private openEditor(): void {
    const cur = this.viewer.current();
    const step = cur.step;
    this.editor.hidden = false;
    this.bEdit.setAttribute("aria-expanded", "true");
    if (!step || cur.position.ns !== "" || !step.checkpoint) {
      this.editing = null;
      this.editorTitle.textContent = !step
        ? "No step to fork from yet."
        : cur.position.ns !== ""
          ? "Forks start from the root graph: go back to the root to edit its state."
          : `Step ${step.step} has no checkpoint yet (it is still pending).`;
      this.editorText.value = "";
      this.editorText.disabled = true;
      this.check();
      return;
    }
    this.editing = { checkpoint: step.checkpoint, step: step.step, state: cur.state, dirty: false };
    this.editorTitle.textContent = `Fork from ${step.source === "input" ? "the input" : `step ${step.step}`}: edit the state, then fork.`;
    this.editorTitle.title = `checkpoint ${step.checkpoint}`; // the id, one hover away
    this.editorText.disabled = false;
    this.editorText.value = JSON.stringify(cur.state, null, 2);
    this.check();
  }

  private closeEditor(): void {
    this.editor.hidden = true;
    this.bEdit.setAttribute("aria-expanded", "false");
    this.editing = null;
  }

  private check(): EditResult | null {
    const busy = this.state.status === "running" || this.state.status === "stopped";
    if (!this.editing) {
      this.editorCheck.textContent = "";
      this.bFork.disabled = true;
      this.bRerun.disabled = true;
      return null;
    }
    const r = validateEdit(this.editorText.value, this.editing.state);
    this.editorText.classList.toggle("pv-invalid", !r.ok);
    this.editorText.setAttribute("aria-invalid", r.ok ? "false" : "true");
    this.editorCheck.classList.toggle("pv-ok", r.ok);
    if (r.ok) {
      const keys = Object.keys(r.updates);
      this.editorCheck.textContent = keys.length ? `valid: changes ${keys.join(", ")}` : "valid: nothing changed yet";
    } else this.editorCheck.textContent = r.error;
    this.bFork.disabled = busy || !r.ok || Object.keys(r.updates).length === 0;
    this.bRerun.disabled = busy;
    return r;
  }

  private fork(withEdit: boolean): void {
    if (!this.editing) return;
    let updates: Record<string, Json> | null = null;
    if (withEdit) {
      const r = this.check();
      if (!r || !r.ok || !Object.keys(r.updates).length) return;
      updates = r.updates;
    }
    this.wantFollow = true;
    this.opts.send({ live: "fork", checkpoint: this.editing.checkpoint, updates, as_node: this.asNode.value || null });
    this.closeEditor();
  }
}
