// Small helpers on recorded values (plain JSON with tagged maps, see pregel_viz/values.py),
// shared by the value renderer (values.ts) and the conversation view (conversation.ts).

import type { Json } from "./types";

export const TRUNCATED = "pregel_viz.truncated";
export const CYCLE = "pregel_viz.cycle";

export type Obj = { [key: string]: Json };

export function isObject(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isTagged(v: Json | undefined): v is Obj & { $type: string } {
  return isObject(v) && typeof v.$type === "string";
}

/** "langgraph.types.Send" → "Send" */
export function shortType(t: string): string {
  const i = t.lastIndexOf(".");
  return i >= 0 && i < t.length - 1 ? t.slice(i + 1) : t;
}

/** Whether two values are the same JSON (deep; key order ignored). */
export function sameValue(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!(k in b) || !sameValue(a[k], b[k])) return false;
  return true;
}
