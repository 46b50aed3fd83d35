// The navigable model over a payload: threads → namespaces → step entries, with state and
// channel versions reconstructed from the per-step deltas.
//
// Cost model (a namespace may have 10,000+ entries):
// - building a namespace's index is O(entries), once, on first use;
// - state / versions at entry i: from the nearest keyframe (every KEYFRAME entries, built
//   lazily) plus at most KEYFRAME deltas; moving by one entry applies one delta.

import type { Delta, Json, NamespaceDoc, Payload, StepDoc, TaskDoc, ThreadDoc } from "./types";

export const KEYFRAME = 64;

export type Values = Readonly<Record<string, Json>>;

/** Rebuilds the dict after entry i from a chain of {set, del} deltas. */
export class DeltaChain {
  /** keyframes[k] = the dict after entry k*KEYFRAME + KEYFRAME - 1 ... see `frameEnd` */
  private readonly frames: Values[] = [];
  private cursor: { i: number; value: Values } | null = null;
  /** Number of deltas applied so far (exposed for tests of the cost model). */
  applied = 0;

  constructor(
    private readonly delta: (i: number) => Delta | undefined,
    private readonly length: number,
    private readonly every = KEYFRAME,
  ) {}

  /** frames[k] holds the dict after entry (k + 1) * every - 1. */
  private frameEnd(k: number): number {
    return (k + 1) * this.every - 1;
  }

  at(i: number): Values {
    if (i < 0 || this.length === 0) return {};
    if (i >= this.length) i = this.length - 1;
    const c = this.cursor;
    if (c && c.i === i) return c.value;
    let from: number; // index of the entry `base` is after (-1: empty)
    let base: Values;
    if (c && c.i < i && i - c.i <= this.every) {
      from = c.i;
      base = c.value;
    } else {
      const k = Math.floor((i + 1) / this.every) - 1; // last frame ending at or before i
      const have = Math.min(k, this.frames.length - 1);
      if (have >= 0) {
        from = this.frameEnd(have);
        base = this.frames[have];
      } else {
        from = -1;
        base = {};
      }
      if (c && c.i < i && c.i > from) {
        from = c.i;
        base = c.value;
      }
    }
    const out: Record<string, Json> = { ...base };
    for (let j = from + 1; j <= i; j++) {
      applyDelta(out, this.delta(j));
      this.applied++;
      if ((j + 1) % this.every === 0) {
        const k = (j + 1) / this.every - 1;
        if (k === this.frames.length) this.frames.push({ ...out });
      }
    }
    this.cursor = { i, value: out };
    return out;
  }
}

export function applyDelta(target: Record<string, Json>, d: Delta | undefined): void {
  if (!d) return;
  if (d.set) for (const k of Object.keys(d.set)) target[k] = d.set[k];
  if (d.del) for (const k of d.del) delete target[k];
}

export interface StateDiff {
  added: string[];
  changed: string[];
  removed: string[];
  /** values before this entry for changed and removed keys */
  before: Values;
}

/** Per entry, the index of the entry it came from (its parent checkpoint's), or -1.
 *  A branch's first entry comes from the entry it forks (`fork_of`); any other entry from the
 *  entry before it on its own branch. A thread never forked gives i - 1. */
export function lineage(steps: readonly StepDoc[]): Int32Array {
  const out = new Int32Array(steps.length);
  const lastOf = new Map<number, number>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const b = s.branch ?? 0;
    const f = s.fork_of;
    out[i] = typeof f === "number" && f >= 0 && f < i ? f : (lastOf.get(b) ?? -1);
    lastOf.set(b, i);
  }
  return out;
}

/** One branch of a namespace's entries, root to leaf: the path the viewer steps along (the
 *  step keys and buttons, play, the slider) and the timeline draws. For a forked thread it is
 *  the lineage of an entry back to the first one, then on along that entry's own branch to the
 *  branch's last entry; a thread never forked has one path, every entry in order. */
export class BranchPath {
  private readonly places: Map<number, number> | null;
  /** the number of entries on the path */
  readonly length: number;

  /** `entries`: the path's entry indices, root to leaf; null: entries 0 to `length` - 1. */
  constructor(
    readonly entries: readonly number[] | null,
    length: number,
  ) {
    this.places = entries ? new Map(entries.map((e, k) => [e, k])) : null;
    this.length = entries ? entries.length : Math.max(0, length);
  }

  /** Whether entry i is on the path. */
  has(i: number): boolean {
    return this.indexOf(i) >= 0;
  }

  /** The place of entry i on the path (0: its first entry), or -1. */
  indexOf(i: number): number {
    if (this.places) return this.places.get(i) ?? -1;
    return Number.isInteger(i) && i >= 0 && i < this.length ? i : -1;
  }

  /** The entry at place k, clamped to the path (-1: an empty path). */
  at(k: number): number {
    if (!this.length) return -1;
    const j = Math.max(0, Math.min(this.length - 1, Math.trunc(k) || 0));
    return this.entries ? this.entries[j] : j;
  }

  first(): number {
    return this.at(0);
  }
  last(): number {
    return this.at(this.length - 1);
  }
  /** The entry after entry i on the path (i itself at the path's end). */
  next(i: number): number {
    const k = this.indexOf(i);
    return k < 0 ? i : this.at(k + 1);
  }
  /** The entry before entry i on the path (i itself at its start). */
  prev(i: number): number {
    const k = this.indexOf(i);
    return k < 0 ? i : this.at(k - 1);
  }
}

/** The step entries of one namespace (the root graph or one subgraph invocation). */
export class NamespaceModel {
  readonly steps: StepDoc[];
  private readonly lastIndex = new Map<number, number>();
  private readonly sortedNumbers: number[];
  private readonly state: DeltaChain;
  private readonly versions: DeltaChain;
  private taskIndex: Map<string, number> | null = null;
  readonly maxStep: number;
  /** How many supersteps LangGraph's loop ran here: the entries of source "loop" (step 0, the
   *  __start__ step, counts; the input, update_state and a fork's checkpoint do not). The
   *  same count as `pregel-viz info` and the CI report (pregel_viz.model.superstep_count). */
  readonly supersteps: number;

  constructor(
    readonly doc: NamespaceDoc,
    readonly thread: ThreadModel,
  ) {
    this.steps = Array.isArray(doc.steps) ? doc.steps : [];
    let max = -Infinity;
    let loop = 0;
    this.steps.forEach((s, i) => {
      this.lastIndex.set(s.step, i);
      if (s.step > max) max = s.step;
      if (s.source === "loop") loop++;
    });
    this.maxStep = this.steps.length ? max : 0;
    this.supersteps = loop;
    this.sortedNumbers = [...this.lastIndex.keys()].sort((a, b) => a - b);
    this.state = new DeltaChain((i) => this.steps[i]?.state, this.steps.length);
    this.versions = new DeltaChain((i) => this.steps[i]?.versions, this.steps.length);
  }

  get ns(): string {
    return this.doc.ns;
  }
  get key(): string {
    return this.doc.key;
  }
  get length(): number {
    return this.steps.length;
  }

  /** The index of the last entry with LangGraph step number `n` (forks repeat numbers), or -1. */
  indexOf(n: number): number {
    return this.lastIndex.get(n) ?? -1;
  }

  /** `indexOf(n)`, else the last entry of the greatest step number below n, else the first. */
  resolve(n: number): number {
    if (!this.steps.length) return -1;
    const exact = this.indexOf(n);
    if (exact >= 0) return exact;
    let lo = 0;
    let hi = this.sortedNumbers.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sortedNumbers[mid] < n) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best >= 0 ? this.indexOf(this.sortedNumbers[best]) : 0;
  }

  clamp(i: number): number {
    if (!this.steps.length) return -1;
    return Math.max(0, Math.min(this.steps.length - 1, Math.trunc(i)));
  }
  first(): number {
    return this.steps.length ? 0 : -1;
  }
  last(): number {
    return this.steps.length - 1;
  }
  next(i: number): number {
    return this.clamp(i + 1);
  }
  prev(i: number): number {
    return this.clamp(i - 1);
  }

  stateAt(i: number): Values {
    return this.state.at(i);
  }
  versionsAt(i: number): Values {
    return this.versions.at(i);
  }
  /** Deltas applied so far by the state chain (for tests of the cost model). */
  get deltasApplied(): number {
    return this.state.applied;
  }

  private parents: Int32Array | null = null;

  /** The index of the entry entry i came from (-1: none): i - 1, except on the first entry of
   *  a fork, where it is the entry the fork left (see `lineage`). */
  parentOf(i: number): number {
    if (!this.parents) this.parents = lineage(this.steps);
    return i >= 0 && i < this.parents.length ? this.parents[i] : -1;
  }

  private children: Map<number, number[]> | null = null;
  private isForked: boolean | null = null;

  /** Whether the entries span more than one branch (a forked thread). */
  get forked(): boolean {
    if (this.isForked === null) this.isForked = this.steps.some((s) => (s.branch ?? 0) !== 0);
    return this.isForked;
  }

  /** The branch through entry i (see BranchPath): `keep` itself while i is on it (so a step
   *  back onto the entries a fork shares with its parent stays on the fork's path), else the
   *  path through i, on along i's own branch. */
  branchPath(i: number, keep?: BranchPath | null): BranchPath {
    if (keep && keep.has(i)) return keep;
    if (!this.forked || i < 0 || i >= this.steps.length) return new BranchPath(null, this.steps.length);
    if (!this.children) {
      const children = new Map<number, number[]>();
      for (let j = 0; j < this.steps.length; j++) {
        const p = this.parentOf(j);
        if (p < 0) continue;
        const list = children.get(p);
        if (list) list.push(j);
        else children.set(p, [j]);
      }
      this.children = children;
    }
    const path: number[] = [];
    const seen = new Set<number>();
    for (let j = i; j >= 0 && !seen.has(j); j = this.parentOf(j)) {
      seen.add(j);
      path.push(j);
    }
    path.reverse();
    const branch = this.steps[i].branch ?? 0;
    for (let cur = i; ; ) {
      const next = (this.children.get(cur) ?? []).find((c) => (this.steps[c].branch ?? 0) === branch && !seen.has(c));
      if (next === undefined) break;
      seen.add(next);
      path.push(next);
      cur = next;
    }
    return new BranchPath(path, path.length);
  }

  /** What entry i changed in the state, against the entry it came from (entry i - 1, or for
   *  the first entry of a fork the entry it left). */
  stateDiff(i: number): StateDiff {
    const step = this.steps[i];
    const p = this.parentOf(i);
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    if (step && p !== i - 1) {
      // a fork: its delta is against the entry recorded before it, not the one it came from
      const before = p >= 0 ? this.stateAt(p) : {};
      const now = this.stateAt(i);
      for (const k of Object.keys(now)) {
        if (!Object.prototype.hasOwnProperty.call(before, k)) added.push(k);
        else if (JSON.stringify(before[k]) !== JSON.stringify(now[k])) changed.push(k);
      }
      for (const k of Object.keys(before)) if (!Object.prototype.hasOwnProperty.call(now, k)) removed.push(k);
      return { added, changed, removed, before };
    }
    const before = i > 0 ? this.stateAt(i - 1) : {};
    if (step) {
      for (const k of Object.keys(step.state?.set ?? {})) {
        if (Object.prototype.hasOwnProperty.call(before, k)) changed.push(k);
        else added.push(k);
      }
      for (const k of step.state?.del ?? []) if (Object.prototype.hasOwnProperty.call(before, k)) removed.push(k);
    }
    return { added, changed, removed, before };
  }

  private alongCounts = new WeakMap<BranchPath, { supersteps: number; maxStep: number }>();

  /** `supersteps` and `maxStep` along one branch of a forked thread (the entries of `path`,
   *  as the viewer steps along them): a fork's replayed steps are not counted twice. The whole
   *  namespace's figures for no path, or a path of every entry. Computed once per path. */
  countsAlong(path?: BranchPath | null): { supersteps: number; maxStep: number } {
    if (!path || !path.entries) return { supersteps: this.supersteps, maxStep: this.maxStep };
    const known = this.alongCounts.get(path);
    if (known) return known;
    let loop = 0;
    let max = -Infinity;
    for (const i of path.entries) {
      const s = this.steps[i];
      if (!s) continue;
      if (s.source === "loop") loop++;
      if (s.step > max) max = s.step;
    }
    const out = { supersteps: loop, maxStep: isFinite(max) ? max : 0 };
    this.alongCounts.set(path, out);
    return out;
  }

  /** The index of the entry holding task `id`, or -1 (map built once, on first use). */
  indexOfTask(id: string): number {
    if (!this.taskIndex) {
      this.taskIndex = new Map();
      this.steps.forEach((s, i) => {
        for (const t of s.tasks ?? []) this.taskIndex!.set(t.id, i);
      });
    }
    return this.taskIndex.get(id) ?? -1;
  }

  findTask(id: string): TaskDoc | undefined {
    const i = this.indexOfTask(id);
    return i >= 0 ? this.steps[i].tasks.find((t) => t.id === id) : undefined;
  }
}

export class ThreadModel {
  private readonly spaces = new Map<string, NamespaceModel>();
  private readonly docs = new Map<string, NamespaceDoc>();

  constructor(readonly doc: ThreadDoc) {
    for (const ns of doc.namespaces ?? []) this.docs.set(ns.ns, ns);
  }
  get id(): string {
    return this.doc.id;
  }
  hasNamespace(ns: string): boolean {
    return this.docs.has(ns);
  }
  /** The namespace `ns`, or the root (or the first namespace) when it is unknown. */
  namespace(ns: string): NamespaceModel | null {
    const doc = this.docs.get(ns) ?? this.docs.get("") ?? this.doc.namespaces?.[0];
    if (!doc) return null;
    let m = this.spaces.get(doc.ns);
    if (!m) {
      m = new NamespaceModel(doc, this);
      this.spaces.set(doc.ns, m);
    }
    return m;
  }
  /** root → ... → ns, following parent_ns. */
  chain(ns: string): NamespaceDoc[] {
    const out: NamespaceDoc[] = [];
    const seen = new Set<string>();
    let cur = this.docs.get(ns);
    while (cur && !seen.has(cur.ns)) {
      seen.add(cur.ns);
      out.unshift(cur);
      cur = cur.parent_ns === null || cur.parent_ns === undefined ? undefined : this.docs.get(cur.parent_ns);
    }
    return out;
  }
}

export class PayloadModel {
  readonly threads: ThreadModel[];
  private readonly byId = new Map<string, ThreadModel>();

  constructor(readonly doc: Payload) {
    this.threads = (doc.threads ?? []).map((t) => new ThreadModel(t));
    for (const t of this.threads) this.byId.set(t.id, t);
  }
  /** Thread `id`; "" (or an unknown id) is the last thread. */
  thread(id: string): ThreadModel | null {
    return this.byId.get(id) ?? this.threads[this.threads.length - 1] ?? null;
  }
}

/** JSON as hosts hand it over: a DataView / ArrayBuffer / typed array of UTF-8 JSON, JSON text
 *  (empty text: {}), or the parsed value. */
export function parseJsonDoc(data: unknown): unknown {
  let value: unknown = data;
  // tags, not instanceof: the bytes may come from another realm (iframe, test DOM)
  const tag = Object.prototype.toString.call(value);
  if (tag === "[object ArrayBuffer]" || tag === "[object SharedArrayBuffer]") {
    value = new TextDecoder().decode(new Uint8Array(value as ArrayBuffer));
  } else if (ArrayBuffer.isView(value) || tag === "[object DataView]") {
    const v = value as ArrayBufferView;
    value = new TextDecoder().decode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  if (typeof value === "string") value = value.trim() ? JSON.parse(value) : {};
  return value;
}

/** Accept what hosts hand us (see parseJsonDoc) as a payload, every list present. */
export function parsePayload(data: unknown): Payload {
  const value = parseJsonDoc(data);
  if (!value || typeof value !== "object") throw new Error("pregel-viz: the payload is not a JSON object");
  const p = value as Partial<Payload>;
  return {
    version: typeof p.version === "number" ? p.version : 0,
    meta: p.meta ?? {},
    graphs: p.graphs ?? {},
    threads: Array.isArray(p.threads) ? p.threads : [],
    warnings: Array.isArray(p.warnings) ? p.warnings : [],
  };
}
