// The viewer's toolbar: step buttons, play (its timer and speed), the step label and slider, the
// thread picker, the run's outcome and the namespace breadcrumb. It holds no position: the
// viewer tells it what to show, and it passes the user's requests back through its actions.

import { fill, h, setProp } from "./dom";
import { formatError } from "./format";
import { makeIcon } from "./icons";
import type { BranchPath, NamespaceModel, ThreadModel } from "./model";
import type { StepDoc } from "./types";

/** Play speeds, as multiples of the base interval (800 ms at 1×: 1.25 steps/s). Above 4× play is
 *  paced by animation frames, at most one step a frame (so every step is drawn): 60× runs at
 *  the display's rate, about 60 steps/s where a step renders within a frame. */
const SPEEDS = [0.5, 1, 2, 4, 10, 25, 60];

/** Below this interval play waits for animation frames rather than timers. */
const FRAME_PACED_MS = 100;

/** Steps per second at an interval of `ms`, for the speed choices' titles. */
function rate(ms: number): string {
  const r = 1000 / ms;
  return r >= 10 ? String(Math.round(r)) : String(Math.round(r * 10) / 10);
}

/** Where a step button (or key) moves: an end, one entry, or (the slider) a place on the branch
 *  shown (every entry, for a thread never forked). */
export type StepMove = "first" | "prev" | "next" | "last" | number;

/** The keys of the step buttons (named in their titles). */
const KEYS = new Map<string, StepMove>([
  ["ArrowLeft", "prev"],
  ["ArrowRight", "next"],
  ["Home", "first"],
  ["End", "last"],
]);

/** Where a key press on the viewer moves, if it is one of the step buttons' keys (and the
 *  focus is not in a field, and no modifier is held). */
export function keyMove(ev: KeyboardEvent): StepMove | undefined {
  const tag = (ev.target as Element | null)?.tagName?.toLowerCase();
  if (tag === "input" || tag === "select" || tag === "textarea") return undefined;
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return undefined;
  return KEYS.get(ev.key);
}

export interface ToolbarActions {
  /** The user moved: play stops (the viewer calls `stop`), then the view moves. */
  move(to: StepMove): void;
  pickThread(id: string): void;
  /** A breadcrumb: back to namespace `ns`, at the task that ran the child namespace. */
  backTo(ns: string, parentTask: string | null): void;
  /** For play: how many entries the namespace shown has, and the index shown (null: none). */
  playhead(): { length: number; index: number } | null;
  /** Play moves to entry i (the host is told, as of the user's moves). */
  playTo(i: number): void;
  /** Play started or stopped. */
  playing(on: boolean): void;
}

export class Toolbar {
  readonly el: HTMLElement;
  private readonly bFirst: HTMLButtonElement;
  private readonly bPrev: HTMLButtonElement;
  private readonly bPlay: HTMLButtonElement;
  private readonly bNext: HTMLButtonElement;
  private readonly bLast: HTMLButtonElement;
  private readonly label: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly threadSel: HTMLSelectElement;
  private readonly threadBox: HTMLElement;
  private readonly outcome: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly graphName: HTMLElement;
  private playing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private frame: number | null = null;
  private speed = 1;

  /** `playInterval`: ms between steps at 1×. */
  constructor(
    private readonly actions: ToolbarActions,
    private readonly playInterval: number,
  ) {
    const btn = (cls: string, icon: string, title: string): HTMLButtonElement =>
      h("button", { type: "button", class: `pv-button pv-icon-button ${cls}`, title, "aria-label": title }, makeIcon(icon));
    this.bFirst = btn("pv-first", "first", "first step (Home)");
    this.bPrev = btn("pv-prev", "prev", "previous step (←)");
    this.bPlay = btn("pv-play", "play", "play");
    this.bNext = btn("pv-next-btn", "next", "next step (→)");
    this.bLast = btn("pv-last", "last", "last step (End)");
    const speedSel = h(
      "select",
      { class: "pv-speed", title: "play speed", "aria-label": "play speed" },
      SPEEDS.map((x) => h("option", { value: x, title: `${rate(playInterval / x)} steps/s` }, `${x}×`)),
    );
    speedSel.value = "1";
    this.label = h("span", { class: "pv-step-label", "aria-live": "polite" });
    this.slider = h("input", { type: "range", class: "pv-slider", min: 0, max: 0, step: 1, value: 0, "aria-label": "step" });
    this.threadSel = h("select", { class: "pv-thread", title: "thread", "aria-label": "thread" });
    this.threadBox = h("label", { class: "pv-thread-box" }, h("span", { class: "pv-muted" }, "thread "), this.threadSel);
    this.outcome = h("span", { class: "pv-outcome-chip" });
    this.crumbs = h("nav", { class: "pv-breadcrumb", "aria-label": "namespace" });
    this.graphName = h("span", { class: "pv-graph-name", hidden: true });
    this.el = h(
      "div",
      { class: "pv-toolbar" },
      this.graphName,
      h("div", { class: "pv-controls" }, this.bFirst, this.bPrev, this.bPlay, this.bNext, this.bLast, speedSel),
      this.label,
      this.slider,
      this.threadBox,
      this.outcome,
      this.crumbs,
    );

    this.bFirst.addEventListener("click", () => actions.move("first"));
    this.bPrev.addEventListener("click", () => actions.move("prev"));
    this.bNext.addEventListener("click", () => actions.move("next"));
    this.bLast.addEventListener("click", () => actions.move("last"));
    this.bPlay.addEventListener("click", () => (this.playing ? this.stop() : this.play()));
    speedSel.addEventListener("change", () => {
      this.speed = Number(speedSel.value) || 1;
      if (this.playing) {
        this.cancelTimer();
        this.schedule();
      }
    });
    this.slider.addEventListener("input", () => actions.move(Number(this.slider.value)));
    this.threadSel.addEventListener("change", () => actions.pickThread(this.threadSel.value));
  }

  /** The graph's name (the log's meta), shown first; empty: none shown. */
  setGraphName(name: string): void {
    setProp(this.graphName, "textContent", name);
    setProp(this.graphName, "title", name ? `graph ${name}` : "");
    setProp(this.graphName, "hidden", !name);
  }

  /** The thread picker's choices (hidden with fewer than two threads). */
  setThreads(threads: readonly ThreadModel[]): void {
    fill(
      this.threadSel,
      threads.map((t) => h("option", { value: t.id }, `${t.id} (${t.doc.outcome?.status ?? "?"})`)),
    );
    this.threadBox.hidden = threads.length < 2;
  }

  /** The thread shown: the picker's choice, its outcome chip, the breadcrumb to `space`. */
  showThread(thread: ThreadModel | null, space: NamespaceModel | null): void {
    this.renderOutcome(thread);
    this.renderCrumbs(thread, space);
    this.threadSel.value = thread?.id ?? "";
  }

  /** The step label, the slider and which buttons apply, for entry `index` of `space`; `along`
   *  is its place on the branch the buttons step along (default: every entry), and that branch
   *  (`path`), along which the supersteps are counted. Writes only what changed: every write
   *  invalidates style or layout for the frame. */
  showStep(space: NamespaceModel | null, index: number, step: StepDoc | undefined, along?: { at: number; length: number; path?: BranchPath | null }): void {
    const n = space?.length ?? 0;
    const { at, length } = along ?? { at: index, length: n };
    // branches count from 1, as the timeline's "‹ 2/2 ›" switch does (the first is not named)
    const branch = step && (step.branch ?? 0) > 0 ? ` · branch ${(step.branch ?? 0) + 1}` : "";
    // a forked thread: the supersteps of the branch shown, not of every branch recorded
    const counts = space?.countsAlong(along?.path) ?? { supersteps: 0, maxStep: 0 };
    const max = counts.maxStep;
    // LangGraph numbers the input -1: it reads "input", the loop's steps count from 0, so the
    // last of 4 supersteps is step 3: the label gives the count apart from the step's number
    const input = step !== undefined && step.step === -1;
    const count = counts.supersteps;
    const total = `${count} superstep${count === 1 ? "" : "s"}`;
    setProp(this.label, "textContent", !step ? "no steps" : input ? `input${branch}` : `step ${step.step}${branch} · ${total}`);
    setProp(
      this.label,
      "title",
      step ? `${input ? `the input (step -1), then ${total}, steps 0 to ${max}; ` : ""}entry ${index + 1} of ${n}${step.source && step.source !== "loop" ? ` (${step.source})` : ""}` : "",
    );
    setProp(this.slider, "max", String(Math.max(0, length - 1))); // before the value, which it clamps
    setProp(this.slider, "value", String(Math.max(0, at)));
    setProp(this.slider, "disabled", length < 2);
    for (const b of [this.bFirst, this.bPrev]) setProp(b, "disabled", at <= 0);
    for (const b of [this.bNext, this.bLast]) setProp(b, "disabled", at >= length - 1);
    setProp(this.bPlay, "disabled", length < 2);
  }

  /** Stop playing (if it plays). */
  stop(): void {
    this.playing = false;
    this.cancelTimer();
    this.showPlaying(false);
  }

  /** Whether play is on. */
  get isPlaying(): boolean {
    return this.playing;
  }

  private play(): void {
    const at = this.actions.playhead();
    if (!at || at.length < 2) return;
    if (at.index >= at.length - 1) this.actions.playTo(0);
    this.playing = true;
    this.showPlaying(true);
    this.schedule();
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  /** The next step after the interval: a timer for slow speeds; for fast ones the first
   *  animation frame at or after it (a timer that fires between frames would step twice in a
   *  frame, or be late by most of one). */
  private schedule(): void {
    const wait = this.playInterval / this.speed;
    if (wait >= FRAME_PACED_MS || typeof requestAnimationFrame !== "function") {
      this.timer = setTimeout(() => this.tick(), wait);
      return;
    }
    const from = performance.now();
    const onFrame = (now: number): void => {
      this.frame = null;
      // a frame's time may be a little before the schedule's start: allow 2 ms of slack
      if (now - from < wait - 2) this.frame = requestAnimationFrame(onFrame);
      else this.tick();
    };
    this.frame = requestAnimationFrame(onFrame);
  }

  private tick(): void {
    this.timer = null;
    const at = this.actions.playhead();
    if (!this.playing || !at) return;
    if (at.index >= at.length - 1) {
      this.stop();
      return;
    }
    this.actions.playTo(at.index + 1);
    const now = this.actions.playhead();
    if (!now || now.index >= now.length - 1) this.stop();
    else this.schedule();
  }

  /** The play button as play (stopped) or pause (playing). */
  private showPlaying(playing: boolean): void {
    const what = playing ? "pause" : "play";
    fill(this.bPlay, makeIcon(what));
    this.bPlay.title = what;
    this.bPlay.setAttribute("aria-label", what);
    this.actions.playing(playing);
  }

  private renderOutcome(thread: ThreadModel | null): void {
    const o = thread?.doc.outcome;
    const outcome = this.outcome;
    if (!o) {
      fill(outcome);
      return;
    }
    const status = String(o.status ?? "");
    outcome.className = `pv-outcome-chip pv-chip pv-status-${status.replace(/[^a-z_-]/gi, "")}`;
    let text = status;
    if (o.error) text += `: ${formatError(o.error)}`;
    else if (o.interrupts?.length) text += ` (${o.interrupts.length} interrupt${o.interrupts.length > 1 ? "s" : ""})`;
    outcome.textContent = text;
    outcome.title = text;
  }

  private renderCrumbs(thread: ThreadModel | null, space: NamespaceModel | null): void {
    const crumbs = this.crumbs;
    if (!thread || !space) {
      fill(crumbs);
      return;
    }
    const chain = thread.chain(space.ns);
    const parts: (HTMLElement | string)[] = [];
    chain.forEach((doc, i) => {
      const name = i === 0 && doc.ns === "" ? "root" : doc.node || doc.ns;
      const isLast = i === chain.length - 1;
      if (i) parts.push(h("span", { class: "pv-crumb-sep" }, "›"));
      if (isLast) parts.push(h("span", { class: "pv-crumb pv-crumb-current", title: doc.ns }, name));
      else {
        const b = h("button", { type: "button", class: "pv-crumb", title: doc.ns || "root", "data-ns": doc.ns }, name);
        const child = chain[i + 1];
        b.addEventListener("click", () => this.actions.backTo(doc.ns, child.parent_task));
        parts.push(b);
      }
    });
    fill(crumbs, parts);
    crumbs.hidden = chain.length < 2;
  }
}
