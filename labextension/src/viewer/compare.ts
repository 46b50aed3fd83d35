// The compare view: two viewers (one per run, or per branch of a thread) and one step
// control over the aligned rows of a comparison (pregel_viz/views/compare_view.py builds the
// document). The shared control moves both viewers, each to its side's step of the row; a side
// without that step stays on its nearest step and is marked missing. The nodes that differ in
// the row are marked on each side (class pv-compare-diff on their <g>, added through the viewer's
// DOM only: the viewer restyles its own classes and leaves others alone); a value-only row marks
// none, since the same tasks ran and wrote the same on both sides.
//
// Differing rows are ranked (pregel_viz.compare): other tasks or routes, then other writes,
// then values only; the first divergence is the first row of the highest rank, and value-only
// rows are drawn lighter. Under the current row's differences, a table sets A's state against
// B's at that row (not each side against its own previous step).
//
// Each viewer keeps its own controls. With "move together" on (the default), moving one side
// picks the row of its new step and moves the other side there; off, each side moves alone
// and shows the differences of the row its own step is in.
// Everything from the document (labels, details, node names) goes in as text.
//
// In a notebook each viewer has the viewer's default (resizable) height; on a page of its own
// (`fill`) the view fills its host: the summary on top, the two viewers sharing the rest, each
// graph fitted to its pane (compare.css; side by side only, stacked sides keep their height).

import { fill, h } from "./dom";
import { preview } from "./format";
import { makeIcon } from "./icons";
import type { LayoutFn } from "./graph";
import type { Json, Payload, Position } from "./types";
import { parseJsonDoc } from "./model";
import { createViewer, type Viewer } from "./viewer";

/** One way the sides differ (pregel_viz.compare.Divergence.to_dict). */
export interface CompareDifference {
  step: number | null; // null: how the whole run ended
  kind: string; // source | tasks | routes | outcome | writes | values | missing
  /** how much it matters: tasks (other tasks or routes) | writes | values (values only) */
  rank?: string;
  details: string;
  a?: Json;
  b?: Json;
  subgraph?: string;
}

/** What one side did at a row (null: it has no such step). */
export interface CompareCell {
  step: number;
  source: string;
  checkpoint_id: string | null;
  tasks: string[];
  statuses: string[];
}

/** Where a side's viewer shows a row: its step number and entry index. */
export interface CompareAt {
  step: number;
  index: number | null;
}

export interface CompareRow {
  step: number;
  a: CompareCell | null;
  b: CompareCell | null;
  same: boolean;
  /** the row's rank: tasks | writes | values, null where the sides agree */
  kind?: string | null;
  /** the fork's own update_state or replay, which only the fork has: not a difference */
  fork_point?: boolean;
  differences: CompareDifference[];
  at: [CompareAt | null, CompareAt | null];
  nodes: [string[], string[]];
}

export interface CompareSide {
  label: string;
  thread: string;
  ns: string;
  branch?: number | null;
  filtered?: boolean;
}

/** Comparison.to_dict() plus what the viewer needs (pregel_viz/views/compare_view.py). */
export interface ComparisonDoc {
  identical: boolean;
  first: CompareDifference | null;
  labels: [string, string];
  rows: CompareRow[];
  differences: CompareDifference[];
  sides?: [CompareSide, CompareSide];
  first_row?: number | null;
  counts?: Partial<Record<Rank, number>>;
}

/** The ranks of a differing row, most first. */
export const RANKS = ["tasks", "writes", "values"] as const;
export type Rank = (typeof RANKS)[number];
const RANK_WORDS: Record<Rank, string> = { tasks: "other tasks or routes", writes: "other writes", values: "values only" };

/** A row's rank: its own `kind`, else the highest rank among its differences (older documents
 *  carry no rank: a "values" difference is values only, anything else ranks as tasks). */
export function rowRank(r: CompareRow): Rank | null {
  if (r.same) return null;
  if (r.kind && (RANKS as readonly string[]).includes(r.kind)) return r.kind as Rank;
  const ranks = new Set(r.differences.map((d) => d.rank ?? (d.kind === "values" ? "values" : d.kind === "writes" ? "writes" : "tasks")));
  return RANKS.find((k) => ranks.has(k)) ?? "tasks";
}

/** A row's label on the strip: its step, or both sides' steps where a fork runs ahead. */
export function rowLabel(r: CompareRow): string {
  const a = r.a?.step;
  const b = r.b?.step;
  return typeof a === "number" && typeof b === "number" && a !== b ? `${a}↔${b}` : String(r.step);
}

/** The compare document: a payload per side and the comparison. */
export interface CompareDoc {
  a: Payload;
  b: Payload;
  comparison: ComparisonDoc;
}

export interface CompareOptions extends CompareDoc {
  /** DOT → SVG text, for both viewers. */
  layout: LayoutFn;
  /** Names of the sides (default: the comparison's labels). */
  labels?: [string, string];
  /** Row to show first (default: the first divergence, else the last row). */
  row?: number;
  /** The user moved the shared row (not called for setRow). */
  onChange?: (row: number) => void;
  /** The viewers' own play interval, ms. */
  playInterval?: number;
  /** Fill the host's height (a page of its own): the summary on top, the two viewers sharing
   *  the rest. Otherwise (a notebook output) each viewer has the default, resizable height. */
  fill?: boolean;
}

export interface CompareView {
  readonly root: HTMLElement;
  /** Index of the current row. */
  readonly row: number;
  readonly viewers: readonly [Viewer, Viewer];
  /** Move both sides to row i (clamped); returns the row shown. */
  setRow(i: number): number;
  /** Resolves when both graphs are drawn and the differences marked. */
  whenReady(): Promise<void>;
  destroy(): void;
}

const SIDES = [0, 1] as const;
type Side = (typeof SIDES)[number];
/** Below this width (px) the two viewers are stacked. */
const NARROW = 1000;

/** A comparison document with every list present (rows without `at` are placed by step). */
export function parseComparison(data: unknown): ComparisonDoc {
  const value = parseJsonDoc(data);
  if (!value || typeof value !== "object") throw new Error("pregel-viz: the comparison is not a JSON object");
  const c = value as Partial<ComparisonDoc>;
  const rows = (Array.isArray(c.rows) ? c.rows : []).map((r): CompareRow => {
    const cell = (x: CompareCell | null | undefined): CompareAt | null => (x && typeof x.step === "number" ? { step: x.step, index: null } : null);
    const at: [CompareAt | null, CompareAt | null] = Array.isArray(r.at) && r.at.length === 2 ? [r.at[0] ?? null, r.at[1] ?? null] : [cell(r.a), cell(r.b)];
    const nodes: [string[], string[]] =
      Array.isArray(r.nodes) && r.nodes.length === 2 ? [(r.nodes[0] ?? []).map(String), (r.nodes[1] ?? []).map(String)] : [[], []];
    const differences = Array.isArray(r.differences) ? r.differences : [];
    return { ...r, at, nodes, differences, same: typeof r.same === "boolean" ? r.same : !differences.length };
  });
  const labels: [string, string] = Array.isArray(c.labels) && c.labels.length === 2 ? [String(c.labels[0]), String(c.labels[1])] : ["A", "B"];
  return {
    identical: c.identical ?? rows.every((r) => r.same),
    first: c.first ?? null,
    labels,
    rows,
    differences: Array.isArray(c.differences) ? c.differences : [],
    sides: Array.isArray(c.sides) && c.sides.length === 2 ? c.sides : undefined,
    first_row: typeof c.first_row === "number" ? c.first_row : null,
  };
}

function squash(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, k]) => (k > 1 ? `${n} ×${k}` : n)).join(", ");
}

/** What a side did at a row, in a few words (mirrors pregel_viz/analysis/compare.py's table cells). */
export function cellText(cell: CompareCell | null): string {
  if (!cell) return "no such step";
  const tasks = cell.tasks ?? [];
  const text = tasks.length ? squash(tasks) : "no task";
  if (cell.source && cell.source !== "loop") return `(${cell.source})${tasks.length ? ` ${text}` : ""}`;
  return cell.checkpoint_id === null ? `${text} [no checkpoint]` : text;
}

export function createCompare(host: HTMLElement, options: CompareOptions): CompareView {
  const cmp = options.comparison;
  const rows = cmp.rows;
  const labels: [string, string] = options.labels ?? [cmp.sides?.[0]?.label ?? cmp.labels[0], cmp.sides?.[1]?.label ?? cmp.labels[1]];
  const sideInfo = SIDES.map((k) => ({ thread: cmp.sides?.[k]?.thread ?? "", ns: cmp.sides?.[k]?.ns ?? "" }));
  // the first divergence as ranked by the comparison (older documents: the first differing row)
  const firstDiff =
    typeof cmp.first_row === "number" && rows[cmp.first_row] && !rows[cmp.first_row].same ? cmp.first_row : rows.findIndex((r) => !r.same);
  const ranks = rows.map(rowRank);
  // where each side's viewer goes for each row: its own step, else its nearest step before
  // (after, at the start), marked missing
  const place = SIDES.map((k) => {
    const out: (number | null)[] = rows.map((r) => r.at[k]?.step ?? null);
    let last: number | null = null;
    for (let i = 0; i < out.length; i++) {
      if (rows[i].at[k]) last = rows[i].at[k]!.step;
      else out[i] = last;
    }
    let next: number | null = null;
    for (let i = out.length - 1; i >= 0; i--) {
      if (rows[i].at[k]) next = rows[i].at[k]!.step;
      else if (out[i] === null) out[i] = next;
    }
    return out;
  });
  const rowOfStep = SIDES.map((k) => {
    const m = new Map<number, number>();
    rows.forEach((r, i) => {
      const at = r.at[k];
      if (at) m.set(at.step, i);
    });
    return m;
  });

  const defaultRow = firstDiff >= 0 ? firstDiff : rows.length - 1;
  const asked = options.row !== undefined && Number.isFinite(options.row) ? options.row : defaultRow;
  const startRow = rows.length ? Math.max(0, Math.min(rows.length - 1, Math.trunc(asked))) : -1;
  let row = -1;
  let linked = true;
  let destroyed = false;
  /** A side moved by the user away from the shared row (its marks follow its own step). */
  const detached: [boolean, boolean] = [false, false];
  const marked: [string[], string[]] = [[], []];

  // ---------- DOM ----------
  const root = h("div", { class: options.fill ? "pv-compare pv-compare-fill" : "pv-compare", tabindex: 0, role: "group", "aria-label": "two runs side by side", "data-rows": rows.length });
  const btn = (cls: string, icon: string | null, text: string, title: string): HTMLButtonElement =>
    h("button", { type: "button", class: `pv-button ${icon ? "pv-icon-button " : ""}${cls}`, title, "aria-label": title }, icon ? makeIcon(icon) : text);
  const bFirst = btn("pv-compare-first", "first", "", "first step (Home)");
  const bPrev = btn("pv-compare-prev", "prev", "", "previous step (←)");
  const bNext = btn("pv-compare-next", "next", "", "next step (→)");
  const bLast = btn("pv-compare-last", "last", "", "last step (End)");
  const bPrevDiff = btn("pv-compare-prev-diff", null, "‹ diff", "previous difference ([)");
  const bNextDiff = btn("pv-compare-next-diff", null, "diff ›", "next difference (])");
  const bFirstDiff = btn("pv-compare-first-diff", null, "first divergence", "jump to the first divergence");
  const label = h("span", { class: "pv-compare-label", "aria-live": "polite" });
  const slider = h("input", { type: "range", class: "pv-compare-slider", min: 0, max: Math.max(0, rows.length - 1), step: 1, value: 0, "aria-label": "aligned step" });
  const linkBox = h("input", { type: "checkbox", class: "pv-compare-link-box" });
  linkBox.checked = true;
  const link = h("label", { class: "pv-compare-link", title: "moving one side moves the other to the same step" }, linkBox, " move together");
  const verdict = h("div", { class: "pv-compare-verdict" });
  const strip = h("div", { class: "pv-compare-strip", role: "listbox", "aria-label": "aligned steps" });
  const diffs = h("div", { class: "pv-compare-diffs", "aria-live": "polite" });
  const heads = SIDES.map((k) =>
    h("div", { class: "pv-compare-side-head" }, h("span", { class: "pv-compare-side-label" }, labels[k]), h("span", { class: "pv-compare-side-note" })),
  );
  const hosts = SIDES.map(() => h("div", { class: "pv-compare-host" }));
  const sideEls = SIDES.map((k) => h("section", { class: `pv-compare-side pv-compare-side-${k ? "b" : "a"}`, "data-side": k ? "b" : "a", "aria-label": labels[k] }, heads[k], hosts[k]));
  root.append(
    h(
      "div",
      { class: "pv-compare-toolbar" },
      h("div", { class: "pv-compare-controls" }, bFirst, bPrev, bNext, bLast),
      label,
      slider,
      h("div", { class: "pv-compare-controls" }, bPrevDiff, bFirstDiff, bNextDiff),
      link,
    ),
    verdict,
    strip,
    diffs,
    h("div", { class: "pv-compare-sides" }, sideEls),
  );
  host.appendChild(root);

  const rowButtons = rows.map((r, i) => {
    const kinds = [...new Set(r.differences.map((d) => d.kind))];
    const rank = ranks[i];
    const b = h(
      "button",
      {
        type: "button",
        role: "option",
        class: `pv-compare-row${r.same ? "" : ` pv-compare-row-diff pv-compare-rank-${rank}`}${!r.at[0] || !r.at[1] ? " pv-compare-row-missing" : ""}${r.fork_point ? " pv-compare-row-fork" : ""}${i === firstDiff ? " pv-compare-row-first" : ""}`,
        "data-row": i,
        "data-step": r.step,
        "data-rank": rank ?? "",
        title: r.fork_point
          ? `step ${rowLabel(r)}: where the fork left (its own update), not a difference`
          : r.same
            ? `step ${rowLabel(r)}: the same`
            : `step ${rowLabel(r)}: ${RANK_WORDS[rank!]} (${kinds.join(", ")})`,
      },
      rowLabel(r),
    );
    b.addEventListener("click", () => userRow(i));
    return b;
  });
  fill(strip, rowButtons);
  strip.hidden = rows.length === 0;

  // the verdict, and how the whole runs ended when that differs (no row holds it)
  const outcomeDiffs = cmp.differences.filter((d) => d.step === null || d.step === undefined);
  const tally = RANKS.map((k) => [k, ranks.filter((x) => x === k).length] as const).filter(([, n]) => n > 0);
  const firstRow = firstDiff >= 0 ? rows[firstDiff] : null;
  const firstText = firstRow
    ? `the runs first differ at step ${rowLabel(firstRow)}: ${RANK_WORDS[ranks[firstDiff]!]}${
        ranks[firstDiff] === "tasks" ? "" : ranks[firstDiff] === "writes" ? " (the same tasks ran everywhere)" : " (the same tasks ran and wrote the same everywhere)"
      }`
    : "the steps are the same";
  fill(
    verdict,
    h(
      "span",
      { class: `pv-compare-verdict-text ${cmp.identical ? "pv-compare-same" : "pv-compare-differ"}` },
      cmp.identical ? `identical: ${labels[0]} and ${labels[1]} made the same supersteps, with the same tasks, writes and values` : firstText,
    ),
    tally.length
      ? h(
          "span",
          { class: "pv-compare-tally" },
          tally.map(([k, n]) => h("span", { class: `pv-compare-tally-item pv-compare-rank-${k}`, "data-rank": k }, `${n} step${n === 1 ? "" : "s"}: ${RANK_WORDS[k]}`)),
        )
      : null,
    outcomeDiffs.map((d) => h("div", { class: "pv-compare-outcome" }, d.details)),
  );
  bFirstDiff.disabled = firstDiff < 0;

  // ---------- viewers ----------
  const viewers = SIDES.map((k) =>
    createViewer(hosts[k], k ? options.b : options.a, {
      layout: options.layout,
      thread: sideInfo[k].thread,
      ns: sideInfo[k].ns,
      step: startRow >= 0 ? (place[k][startRow] ?? undefined) : undefined,
      playInterval: options.playInterval,
      onChange: (p) => sideMoved(k, p),
    }),
  ) as [Viewer, Viewer];

  // ---------- rendering ----------
  function onSideRow(k: Side, p: Position): number | undefined {
    if (p.ns !== sideInfo[k].ns) return undefined;
    return rowOfStep[k].get(p.step);
  }

  /** The nodes to outline on side k at row i: the row's differing nodes, none on a value-only
   *  row (its nodes did the same things; only the values they left differ). */
  function markedNodes(i: number, k: Side): string[] {
    return ranks[i] === "values" ? [] : rows[i].nodes[k];
  }

  function markNodes(k: Side, names: string[]): void {
    marked[k] = names;
    const v = viewers[k];
    const want = new Set(names);
    v.root.setAttribute("data-compare-nodes", JSON.stringify(names));
    for (const g of Array.from(v.root.querySelectorAll("g[data-name]"))) {
      g.classList.toggle("pv-compare-diff", want.has(g.getAttribute("data-name") ?? ""));
    }
  }

  function renderSide(k: Side): void {
    const v = viewers[k];
    const p = v.position;
    let names: string[] = [];
    let note = "";
    let missing = false;
    let differs = false;
    const r = rows[row];
    if (!detached[k] && r) {
      missing = !r.at[k];
      names = markedNodes(row, k);
      differs = !r.same;
      const other = labels[k ? 0 : 1];
      note = missing
        ? place[k][row] === null
          ? `no steps`
          : r.fork_point
            ? `showing step ${place[k][row]}: ${other} left here (its own update, not a difference)`
            : `no step ${r.step} (showing step ${place[k][row]}); ${other} has it`
        : `step ${r.at[k]!.step}`;
    } else {
      const i = onSideRow(k, p);
      if (i !== undefined) {
        names = markedNodes(i, k);
        differs = !rows[i].same;
        note = `step ${p.step} (moved alone)`;
      } else note = p.ns !== sideInfo[k].ns ? "in a subgraph run (not compared here)" : `step ${p.step} (not in the comparison)`;
    }
    const el = sideEls[k];
    el.classList.toggle("pv-compare-missing", missing);
    el.classList.toggle("pv-compare-differs", differs);
    el.classList.toggle("pv-compare-detached", detached[k]);
    el.setAttribute("data-missing", missing ? "1" : "0");
    (heads[k].querySelector(".pv-compare-side-note") as HTMLElement).textContent = note;
    markNodes(k, names);
    // the graph may still be laid out (or replaced, after a namespace change): mark it then
    v.whenReady().then(
      () => {
        if (!destroyed && marked[k] === names) markNodes(k, names);
      },
      () => undefined,
    );
  }

  function renderDiffs(): void {
    const r = rows[row];
    if (!r) {
      fill(diffs, h("div", { class: "pv-muted" }, "no steps to compare"));
      return;
    }
    const rank = ranks[row];
    const head = h(
      "div",
      { class: "pv-compare-diffs-head" },
      h("span", { class: "pv-compare-diffs-step" }, `step ${rowLabel(r)}`),
      rank ? h("span", { class: `pv-chip pv-compare-rank pv-compare-rank-${rank}`, "data-rank": rank }, RANK_WORDS[rank]) : null,
      SIDES.map((k) => h("span", { class: "pv-compare-cell" }, h("b", null, labels[k]), `: ${cellText(k ? r.b : r.a)}`)),
    );
    const items = r.fork_point
      ? [h("li", { class: "pv-compare-diff-none" }, "where the fork left its parent (its own update): not a difference")]
      : r.same
        ? [h("li", { class: "pv-compare-diff-none" }, "the same on both sides")]
        : r.differences.map((d) =>
            h(
              "li",
              { class: `pv-compare-diff pv-compare-rank-${d.rank ?? (d.kind === "values" ? "values" : "tasks")}`, "data-kind": d.kind },
              h("span", { class: `pv-chip pv-compare-kind pv-compare-kind-${String(d.kind).replace(/[^a-z_-]/gi, "")}` }, d.kind),
              d.subgraph ? h("span", { class: "pv-compare-where" }, `in ${d.subgraph}: `) : null,
              h("span", { class: "pv-compare-details" }, d.details),
            ),
          );
    fill(diffs, head, h("ul", { class: "pv-compare-diff-list" }, items), stateTable(r));
  }

  /** A's state against B's after this row's step: the keys whose values differ. */
  function stateTable(r: CompareRow): HTMLElement | null {
    if (!r.a || !r.b || r.fork_point) return null;
    const vd = r.differences.find((d) => d.kind === "values" && !d.subgraph);
    const a = vd && vd.a && typeof vd.a === "object" && !Array.isArray(vd.a) ? (vd.a as Record<string, Json>) : null;
    const b = vd && vd.b && typeof vd.b === "object" && !Array.isArray(vd.b) ? (vd.b as Record<string, Json>) : null;
    if (!a || !b) return h("div", { class: "pv-compare-state pv-muted" }, `state after the step: the same in ${labels[0]} and ${labels[1]}`);
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const name = (k: string): string => (k === "__start__" ? "input" : k);
    const cell = (v: Json | undefined): HTMLElement => {
      const text = v === undefined || v === null ? "—" : preview(v, 120);
      return h("td", { class: "pv-compare-state-value", title: v === undefined ? "" : preview(v, 2000) }, text);
    };
    return h(
      "table",
      { class: "pv-compare-state", "aria-label": `state after the step, ${labels[0]} against ${labels[1]}` },
      h("caption", null, `state after the step: ${labels[0]} against ${labels[1]}`),
      h("thead", null, h("tr", null, h("th", null, "key"), h("th", null, labels[0]), h("th", null, labels[1]))),
      h(
        "tbody",
        null,
        keys.map((k) => h("tr", { "data-key": k }, h("th", { class: "pv-compare-state-key" }, name(k)), cell(a[k]), cell(b[k]))),
      ),
    );
  }

  function renderChrome(): void {
    const r = rows[row];
    const n = rows.length;
    root.setAttribute("data-row", String(row));
    root.setAttribute("data-step", r ? String(r.step) : "");
    root.setAttribute("data-differs", r && !r.same ? "1" : "0");
    root.setAttribute("data-rank", (r && ranks[row]) ?? "");
    label.textContent = r ? `step ${rowLabel(r)} · row ${row + 1} of ${n}` : "no steps";
    label.title = r ? `${labels[0]}: ${cellText(r.a)} | ${labels[1]}: ${cellText(r.b)}` : "";
    slider.value = String(Math.max(0, row));
    slider.disabled = n < 2;
    for (const b of [bFirst, bPrev]) b.disabled = row <= 0;
    for (const b of [bNext, bLast]) b.disabled = row >= n - 1;
    bPrevDiff.disabled = prevDiff(row) < 0;
    bNextDiff.disabled = nextDiff(row) < 0;
    rowButtons.forEach((b, i) => {
      const on = i === row;
      b.classList.toggle("pv-compare-row-current", on);
      if (on) b.setAttribute("aria-selected", "true");
      else b.removeAttribute("aria-selected");
    });
    renderDiffs();
  }

  const prevDiff = (i: number): number => {
    for (let j = i - 1; j >= 0; j--) if (!rows[j].same) return j;
    return -1;
  };
  const nextDiff = (i: number): number => {
    for (let j = i + 1; j < rows.length; j++) if (!rows[j].same) return j;
    return -1;
  };

  /** Show row i on both sides (or only on `only`, when the other side is where it should be). */
  function go(i: number, only?: Side): number {
    if (!rows.length) {
      row = -1;
      renderChrome();
      SIDES.forEach(renderSide);
      return row;
    }
    if (Number.isFinite(i)) row = Math.max(0, Math.min(rows.length - 1, Math.trunc(i)));
    else if (row < 0) row = 0;
    for (const k of SIDES) {
      detached[k] = false;
      const step = place[k][row];
      if (k !== only && step !== null) viewers[k].setPosition({ thread: sideInfo[k].thread, ns: sideInfo[k].ns, step });
    }
    renderChrome();
    SIDES.forEach(renderSide);
    return row;
  }

  function userRow(i: number): void {
    const before = row;
    const doc = root.ownerDocument;
    const had = doc.activeElement;
    const inside = had !== null && had !== root && root.contains(had);
    go(i);
    if (row !== before) options.onChange?.(row);
    // a button that held the focus disabled ("next" at the last row): the comparison takes the
    // focus back, so ←, →, [ and ] keep working (the browser would hand it to the page's body)
    const now = doc.activeElement;
    if (inside && !destroyed && (now === null || now === doc.body || (now as HTMLButtonElement).disabled === true)) root.focus({ preventScroll: true });
  }

  function sideMoved(k: Side, p: Position): void {
    if (destroyed) return;
    const i = onSideRow(k, p);
    if (linked && i !== undefined) {
      const before = row;
      go(i, k);
      if (row !== before) options.onChange?.(row);
      return;
    }
    detached[k] = true;
    renderSide(k);
  }

  // ---------- events ----------
  bFirst.addEventListener("click", () => userRow(0));
  bPrev.addEventListener("click", () => userRow(row - 1));
  bNext.addEventListener("click", () => userRow(row + 1));
  bLast.addEventListener("click", () => userRow(rows.length - 1));
  bPrevDiff.addEventListener("click", () => prevDiff(row) >= 0 && userRow(prevDiff(row)));
  bNextDiff.addEventListener("click", () => nextDiff(row) >= 0 && userRow(nextDiff(row)));
  bFirstDiff.addEventListener("click", () => firstDiff >= 0 && userRow(firstDiff));
  slider.addEventListener("input", () => userRow(Number(slider.value)));
  linkBox.addEventListener("change", () => {
    linked = linkBox.checked;
    root.setAttribute("data-linked", linked ? "1" : "0");
    if (linked) {
      // follow the side the user moved last, else re-align both on the shared row
      const moved = SIDES.find((k) => detached[k] && onSideRow(k, viewers[k].position) !== undefined);
      if (moved !== undefined) {
        const before = row;
        go(onSideRow(moved, viewers[moved].position)!, moved);
        if (row !== before) options.onChange?.(row);
      } else go(row);
    }
  });
  root.addEventListener("keydown", (ev: KeyboardEvent) => {
    const tag = (ev.target as Element | null)?.tagName?.toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    // inside a viewer, its own keys move that viewer (it stops them); these are the rest
    let handled = true;
    if (ev.key === "ArrowLeft") userRow(row - 1);
    else if (ev.key === "ArrowRight") userRow(row + 1);
    else if (ev.key === "Home") userRow(0);
    else if (ev.key === "End") userRow(rows.length - 1);
    else if (ev.key === "[") prevDiff(row) >= 0 && userRow(prevDiff(row));
    else if (ev.key === "]") nextDiff(row) >= 0 && userRow(nextDiff(row));
    else handled = false;
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  });

  let ro: ResizeObserver | null = null;
  const onResize = (): void => {
    const w = root.clientWidth;
    root.classList.toggle("pv-compare-narrow", w > 0 && w < NARROW);
  };
  if (typeof ResizeObserver !== "undefined") {
    ro = new ResizeObserver(onResize);
    ro.observe(root);
  }

  // ---------- start ----------
  root.setAttribute("data-linked", "1");
  go(startRow);
  onResize();
  let ready: Promise<void> = Promise.resolve();
  const whenReady = (): Promise<void> => {
    ready = Promise.all(viewers.map((v) => v.whenReady().catch(() => undefined))).then(() => {
      if (destroyed) return;
      for (const k of SIDES) markNodes(k, marked[k]);
      root.setAttribute("data-ready", "1");
    });
    return ready;
  };
  void whenReady();

  return {
    root,
    get row() {
      return row;
    },
    viewers,
    setRow(i: number) {
      if (destroyed) return row;
      return go(i);
    },
    whenReady,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      ro?.disconnect();
      for (const v of viewers) v.destroy();
      root.remove();
    },
  };
}
