// Values as a JSON tree. Every string, key and type name becomes a text node.
// Tagged maps from pregel_viz/values.py render compactly: type name + fields / repr / str;
// pregel_viz.truncated and pregel_viz.cycle markers render as visible markers.
// Containers that are not small render collapsed (<details>) and build their children only
// when first opened, so a huge state costs nothing until looked at.

import { isMessageList, renderConversation } from "./conversation";
import { h } from "./dom";
import { CYCLE, isObject, isTagged, type Obj, sameValue, shortType, TRUNCATED } from "./json";
import type { Json } from "./types";

export { CYCLE, isObject, isTagged, sameValue, shortType, TRUNCATED };

const INLINE_BUDGET = 60;
const LONG_STRING = 120;

/** A compact one-line text for `v`, or null if it exceeds `budget` characters. */
export function compactText(v: Json | undefined, budget = INLINE_BUDGET): string | null {
  let out = "";
  const push = (s: string): boolean => {
    out += s;
    return out.length <= budget;
  };
  const walk = (x: Json | undefined): boolean => {
    if (x === undefined) return push("undefined");
    if (x === null || typeof x !== "object") return push(typeof x === "string" ? JSON.stringify(x) : String(x));
    if (Array.isArray(x)) {
      if (!push("[")) return false;
      for (let i = 0; i < x.length; i++) {
        if (i && !push(", ")) return false;
        if (!walk(x[i])) return false;
      }
      return push("]");
    }
    if (isTagged(x)) return push(taggedText(x));
    if (!push("{")) return false;
    let first = true;
    for (const k of Object.keys(x)) {
      if (!first && !push(", ")) return false;
      first = false;
      if (!push(`${JSON.stringify(k)}: `)) return false;
      if (!walk(x[k])) return false;
    }
    return push("}");
  };
  return walk(v) ? out : null;
}

/** One-line text for a tagged value (used in previews and summaries). */
export function taggedText(v: Obj & { $type: string }): string {
  const t = v.$type;
  if (t === TRUNCATED) return truncatedText(v);
  if (t === CYCLE) return `↻ cycle ${typeof v.$repr === "string" ? v.$repr : ""}`.trim();
  const name = shortType(t);
  if (typeof v.$error === "string") return `${name}: ${v.$error}`;
  if (typeof v.$str === "string") return `${name}(${v.$str})`;
  if (typeof v.$name === "string") return `${name}.${v.$name}`;
  if (typeof v.$repr === "string") return v.$repr;
  if (typeof v.$base64 === "string") return `${name} (${base64Length(v.$base64)} bytes)`;
  if (Array.isArray(v.$items)) return `${name}(${v.$items.length} items)`;
  if (isObject(v.$fields)) {
    const inner = compactText(v.$fields, 200);
    return `${name}${inner ?? "{…}"}`;
  }
  return name;
}

function base64Length(b64: string): number {
  const pad = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((b64.length * 3) / 4) - pad);
}

function truncatedText(v: Obj): string {
  const kind = typeof v.$kind === "string" ? v.$kind : "value";
  const len = typeof v.$len === "number" ? v.$len : null;
  switch (kind) {
    case "str":
      return `✂ string truncated${len !== null ? ` (${len} chars)` : ""}`;
    case "bytes":
      return `✂ bytes truncated${len !== null ? ` (${len} bytes)` : ""}`;
    case "list":
      return `✂ list truncated${len !== null ? ` (${len} items in all)` : ""}`;
    case "dict":
      return `✂ dict truncated${len !== null ? ` (${len} keys in all)` : ""}`;
    case "depth":
      return "✂ nested too deep";
    default:
      return `✂ ${kind} truncated`;
  }
}

export interface RenderOptions {
  /** open the top container (when it is not inline) */
  open?: boolean;
  /** the value this one replaced (the previous step's): a list of LangChain messages then shows
   *  which messages are new, replaced or removed */
  before?: Json;
}

/** The lists appendedCount last compared, when they are messages and not an append. The side
 *  panel asks appendedCount about a changed state key and, when it is not an append, renders
 *  the new value next: that value then shows its diff by message id against the list it
 *  replaced. Taken (or dropped) by the next renderValue / renderAppended call. */
let compared: { before: Json[]; after: Json[] } | null = null;

/** Render any value as a tree of elements (text only). A list of LangChain messages renders as
 *  a conversation (conversation.ts). */
export function renderValue(v: Json | undefined, opts: RenderOptions = {}): HTMLElement {
  const pair = compared;
  compared = null;
  if (Array.isArray(v) && isMessageList(v)) {
    const before = opts.before !== undefined ? opts.before : pair && pair.after === v ? pair.before : undefined;
    return conversation(v, Array.isArray(before) ? before : null);
  }
  return render(v, 0, opts.open ?? false);
}

function conversation(list: Json[], before: Json[] | null): HTMLElement {
  return renderConversation(list, { before, raw: (m) => render(m, 0, true) });
}

function render(v: Json | undefined, depth: number, open: boolean): HTMLElement {
  if (v === undefined) return h("span", { class: "pv-v pv-v-undef" }, "—");
  if (v === null) return h("span", { class: "pv-v pv-v-null" }, "null");
  if (typeof v === "boolean") return h("span", { class: "pv-v pv-v-bool" }, String(v));
  if (typeof v === "number") return h("span", { class: "pv-v pv-v-num" }, String(v));
  if (typeof v === "string") return renderString(v);
  if (Array.isArray(v)) return isMessageList(v) ? conversation(v, null) : renderContainer(v, depth, open, "array");
  if (isTagged(v)) return renderTagged(v, depth, open);
  return renderContainer(v, depth, open, "object");
}

function renderString(v: string, cls = "pv-v-str", quote = true): HTMLElement {
  const shown = quote ? JSON.stringify(v) : v;
  if (shown.length <= LONG_STRING && !v.includes("\n")) return h("span", { class: `pv-v ${cls}` }, shown);
  const pre = h("pre", { class: "pv-v-pre" });
  const d = h(
    "details",
    { class: `pv-v pv-v-long ${cls}` },
    h("summary", null, `${quote ? JSON.stringify(v.slice(0, 60)) : v.slice(0, 60)}… `, h("span", { class: "pv-v-meta" }, `(${v.length} chars)`)),
    pre,
  );
  lazy(d, () => {
    pre.textContent = v;
  });
  return d;
}

/** Build children on first open. */
function lazy(d: HTMLDetailsElement, build: () => void): void {
  let built = false;
  const go = (): void => {
    if (built) return;
    built = true;
    build();
  };
  if (d.open) go();
  else d.addEventListener("toggle", () => d.open && go());
  // open may be set later by the caller
  (d as HTMLDetailsElement & { pvBuild?: () => void }).pvBuild = go;
}

function entriesOf(v: Json[] | Obj): [string, Json][] {
  return Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.keys(v).map((k) => [k, v[k]]);
}

function renderContainer(v: Json[] | Obj, depth: number, open: boolean, kind: "array" | "object", label?: HTMLElement): HTMLElement {
  const n = Array.isArray(v) ? v.length : Object.keys(v).length;
  if (n === 0) {
    return h("span", { class: "pv-v pv-v-empty" }, label ?? null, kind === "array" ? "[]" : "{}");
  }
  // small containers render inline, on one line
  if (n <= 8 && depth < 6) {
    const text = compactText(v);
    if (text !== null && !hasMarkers(v)) return renderInline(v, label);
  }
  const body = h("div", { class: "pv-v-body" });
  const sizeText = kind === "array" ? `[${n} item${n === 1 ? "" : "s"}]` : `{${n} key${n === 1 ? "" : "s"}}`;
  const prev = compactText(v, 50);
  const d = h(
    "details",
    { class: `pv-v pv-v-${kind}` },
    h("summary", null, label ?? null, h("span", { class: "pv-v-meta" }, sizeText), prev ? h("span", { class: "pv-v-preview" }, ` ${prev}`) : null),
    body,
  );
  if (open) d.open = true;
  lazy(d, () => {
    const rows: HTMLElement[] = [];
    for (const [k, x] of entriesOf(v)) {
      if (k === "$truncated" && isTagged(x)) {
        rows.push(h("div", { class: "pv-v-row" }, renderTagged(x, depth + 1, false)));
        continue;
      }
      rows.push(
        h(
          "div",
          { class: "pv-v-row" },
          h("span", { class: kind === "array" ? "pv-v-index" : "pv-v-key" }, k),
          h("span", { class: "pv-v-colon" }, ": "),
          render(x, depth + 1, false),
        ),
      );
    }
    body.append(...rows);
  });
  return d;
}

function hasMarkers(v: Json | undefined): boolean {
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) return v.some(hasMarkers);
  if (isTagged(v)) return true;
  return Object.keys(v).some((k) => hasMarkers(v[k]));
}

/** A small container (no tagged values inside), one line, keys and strings as text. */
function renderInline(v: Json[] | Obj, label?: HTMLElement): HTMLElement {
  const out = h("span", { class: "pv-v pv-v-inline" }, label ?? null);
  const walk = (x: Json, into: HTMLElement): void => {
    if (x === null || typeof x !== "object") {
      into.appendChild(render(x, 99, false));
      return;
    }
    if (Array.isArray(x)) {
      into.append("[");
      x.forEach((y, i) => {
        if (i) into.append(", ");
        walk(y, into);
      });
      into.append("]");
      return;
    }
    into.append("{");
    Object.keys(x).forEach((k, i) => {
      if (i) into.append(", ");
      into.append(h("span", { class: "pv-v-key" }, JSON.stringify(k)), ": ");
      walk(x[k], into);
    });
    into.append("}");
  };
  walk(v, out);
  return out;
}

function typeBadge(t: string): HTMLElement {
  return h("span", { class: "pv-v-type", title: t }, shortType(t));
}

function renderTagged(v: Obj & { $type: string }, depth: number, open: boolean): HTMLElement {
  const t = v.$type;
  if (t === TRUNCATED) {
    const el = h("span", { class: "pv-v pv-v-trunc", title: "cut by pregel_viz when recording" }, truncatedText(v));
    if (typeof v.$head === "string") {
      el.append(" ", renderString(v.$head));
      el.append(h("span", { class: "pv-v-meta" }, "…"));
    } else if (isTagged(v.$head)) {
      el.append(" ", renderTagged(v.$head, depth + 1, false));
    }
    if (typeof v.$repr === "string") el.append(" ", h("span", { class: "pv-v-repr" }, v.$repr));
    return el;
  }
  if (t === CYCLE) {
    return h(
      "span",
      { class: "pv-v pv-v-trunc pv-v-cycle", title: "a reference back to a containing object" },
      "↻ cycle",
      typeof v.$repr === "string" ? h("span", { class: "pv-v-repr" }, ` ${v.$repr}`) : null,
    );
  }
  const badge = typeBadge(t);
  if (typeof v.$error === "string") {
    return h("span", { class: "pv-v pv-v-tagged pv-v-error" }, badge, ": ", h("span", { class: "pv-v-repr" }, v.$error));
  }
  if (typeof v.$str === "string") {
    return h("span", { class: "pv-v pv-v-tagged" }, badge, " ", h("span", { class: "pv-v-repr" }, v.$str));
  }
  if (typeof v.$name === "string") {
    return h(
      "span",
      { class: "pv-v pv-v-tagged" },
      badge,
      ".",
      h("span", { class: "pv-v-repr" }, v.$name),
      v.$value !== undefined ? h("span", { class: "pv-v-meta" }, " = ") : null,
      v.$value !== undefined ? render(v.$value, depth + 1, false) : null,
    );
  }
  if (typeof v.$base64 === "string") {
    return h(
      "span",
      { class: "pv-v pv-v-tagged", title: v.$base64.length > 200 ? `${v.$base64.slice(0, 200)}…` : v.$base64 },
      badge,
      h("span", { class: "pv-v-meta" }, ` ${base64Length(v.$base64)} bytes`),
    );
  }
  if (Array.isArray(v.$items)) {
    const inner = renderContainer(v.$items, depth + 1, open, "array", badge);
    inner.classList.add("pv-v-tagged");
    return inner;
  }
  if (isObject(v.$fields)) {
    const inner = renderContainer(v.$fields, depth + 1, open, "object", badge);
    inner.classList.add("pv-v-tagged");
    return inner;
  }
  if (typeof v.$repr === "string") {
    return h("span", { class: "pv-v pv-v-tagged" }, badge, " ", renderString(v.$repr, "pv-v-repr", false));
  }
  // an unknown tag: show the map as it is
  return renderContainer(v, depth, open, "object");
}

/** How many items `after` appended to `before`: both lists, `after` longer and starting with
 *  every item of `before` (a reducer's append, add_messages adding new messages). 0 when it is
 *  not an append (items replaced, removed or reordered, or not lists). */
export function appendedCount(before: Json | undefined, after: Json | undefined): number {
  compared = null;
  if (!Array.isArray(before) || !Array.isArray(after)) return 0;
  let grew = after.length > before.length;
  for (let i = 0; grew && i < before.length; i++) if (!sameValue(before[i], after[i])) grew = false;
  if (grew) return after.length - before.length;
  if (isMessageList(after)) compared = { before, after };
  return 0;
}

/** Appended items shown at once; the rest behind a toggle (a 60-way fan-out appends 60). */
const APPENDED_SHOWN = 10;

/** A list that grew by appends: its new items, each open and readable, marked "+", then the
 *  whole list collapsed. `start` is the index of the first new item. A list of LangChain
 *  messages shows the whole conversation instead, its new messages marked "+ new". */
export function renderAppended(list: Json[], start: number): HTMLElement {
  compared = null;
  if (isMessageList(list)) return conversation(list, list.slice(0, start));
  const added = list.length - start;
  const item = (i: number): HTMLElement =>
    h(
      "li",
      { class: "pv-append-item", "data-index": i },
      h("span", { class: "pv-append-mark", title: `appended, item ${i}` }, "+"),
      renderValue(list[i], { open: true }),
    );
  const items: HTMLElement[] = [];
  for (let i = start; i < Math.min(list.length, start + APPENDED_SHOWN); i++) items.push(item(i));
  const out = h(
    "div",
    { class: "pv-appended" },
    h("div", { class: "pv-append-head" }, `+ ${added} appended`, h("span", { class: "pv-v-meta" }, ` (${list.length} item${list.length === 1 ? "" : "s"} now)`)),
    h("ul", { class: "pv-append-list" }, items),
  );
  if (added > APPENDED_SHOWN) {
    const rest = h("ul", { class: "pv-append-list" });
    const more = h("details", { class: "pv-append-more" }, h("summary", null, `+ ${added - APPENDED_SHOWN} more appended`), rest);
    lazy(more, () => {
      const all: HTMLElement[] = [];
      for (let i = start + APPENDED_SHOWN; i < list.length; i++) all.push(item(i));
      rest.append(...all);
    });
    out.append(more);
  }
  if (start > 0) {
    const body = h("div");
    const all = h("details", { class: "pv-was pv-append-all" }, h("summary", null, `the whole list (${list.length} items)`), body);
    lazy(all, () => body.append(renderValue(list, { open: true })));
    out.append(all);
  }
  return out;
}
