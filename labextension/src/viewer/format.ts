// Small text formatters shared by the panels, the timeline and the summary.

import type { ErrorInfo, Json } from "./types";

/** LangGraph channel versions are strings like "00000000000000000000000000000002.0.4622..."
 *  (or plain ints); show the counter part, "v2". `null` means never seen. */
export function formatVersion(v: Json | undefined): string {
  if (v === null || v === undefined) return "∅";
  if (typeof v === "number") return `v${v}`;
  if (typeof v === "string") {
    const m = /^0*(\d+)(?:\.|$)/.exec(v);
    if (m) return `v${m[1]}`;
    return v;
  }
  return JSON.stringify(v);
}

/** Seconds → a short duration text. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
  const ms = seconds * 1000;
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${(seconds - m * 60).toFixed(0)} s`;
}

/** Seconds since the recording started → "+12.3 ms". */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
  return `+${formatDuration(seconds)}`;
}

export function formatError(e: ErrorInfo | null | undefined): string {
  if (!e) return "";
  const type = typeof e.type === "string" ? e.type : "Error";
  const msg = typeof e.message === "string" ? e.message : "";
  return msg ? `${type}: ${msg}` : type;
}

/** "a", "a and b", "a, b and c" */
export function joinList(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** A short one-line preview of a value (for tooltips and collapsed summaries). */
export function preview(v: Json | undefined, max = 80): string {
  let text: string;
  try {
    text = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A node as the graph and the narration name it: LangGraph's __start__ and __end__ are "start"
 *  and "end", and a task whose name the history did not keep ("?") is "unnamed". */
export function drawnName(name: string): string {
  return name === "__start__" ? "start" : name === "__end__" ? "end" : name === "?" ? "unnamed" : name;
}
