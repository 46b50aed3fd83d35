// What runs next, in words: the side panel's "Next" list. LangGraph triggers a node through
// channels (branch:to:X for an edge, join:a+b:X for the barrier of add_edge([a, b], X)); a reader
// is told "after search", "after all of a and b", "merge waits for a and b (a done)", "sent by
// plan". The channels and versions behind each line are kept for a details toggle.

import { drawnName, formatVersion, joinList } from "./format";
import type { NamespaceModel } from "./model";
import type { StepDoc } from "./types";

export interface NextLine {
  /** the node (as drawn: "start" for __start__) */
  node: string;
  /** why it runs next, or what it still waits for, in words */
  words: string;
  /** a barrier that has not heard from every node yet: the node does not run next */
  waiting: boolean;
  /** the channels and versions behind it ("d ← join:b+c:d ∅ → v4") */
  internals: string[];
}

/** Entries walked back (along the lineage) to find who already reported to a barrier. */
const LOOK_BACK = 200;

const shown = drawnName;

/** The nodes a barrier channel waits for: join:a+b:d → [a, b] (null: not a barrier of `target`). */
function barrierNames(channel: string, target: string): string[] | null {
  if (!channel.startsWith("join:") || !channel.endsWith(`:${target}`)) return null;
  const names = channel.slice(5, channel.length - target.length - 1);
  return names ? names.split("+") : [];
}

function listOf(names: string[]): string {
  return names.length > 4 ? `${names[0]} … ${names[names.length - 1]} (${names.length})` : joinList(names);
}

/** The lines of entry `index` of `space`: the pull tasks it triggers, the nodes it sends to,
 *  then the barriers still waiting (reported to in this step, not released). */
export function nextLines(space: NamespaceModel, index: number, channels: readonly string[] = []): NextLine[] {
  const step: StepDoc | undefined = space.steps[index];
  if (!step) return [];
  const out: NextLine[] = [];
  const edges = step.edges ?? [];
  const next = step.next ?? {};
  const by = (node: string, kinds: string[]): string[] => [...new Set(edges.filter((e) => e[1] === node && kinds.includes(e[2])).map((e) => shown(e[0])))];
  for (const [node, reasons] of Object.entries(next)) {
    const words: string[] = [];
    const internals: string[] = [];
    for (const r of Array.isArray(reasons) ? reasons : []) {
      const ch = String(r?.[0] ?? "");
      internals.push(`${node} ← ${ch} ${formatVersion(r?.[1])} → ${formatVersion(r?.[2])}`);
      const join = barrierNames(ch, node);
      if (ch === "__start__") words.push("with the input");
      else if (join) words.push(`after all of ${listOf(join.length ? join : by(node, ["join"]))}`);
      else if (ch.startsWith("branch:to:")) {
        const from = by(node, ["route", "call"]);
        const changed = step.source === "update" ? "after update_state" : step.source === "fork" ? "after the fork" : "routed here";
        words.push(from.length ? `after ${joinList(from)}` : changed);
      } else {
        const writers = [...new Set((step.tasks ?? []).filter((t) => (t.writes ?? []).some((w) => w?.[0] === ch)).map((t) => t.name))];
        words.push(writers.length ? `after ${joinList(writers)} wrote ${ch}` : `${ch} changed`);
      }
    }
    out.push({ node: shown(node), words: [...new Set(words)].join("; ") || "triggered", waiting: false, internals });
  }
  // Send: push tasks of the next step
  const sent = new Map<string, string[]>();
  for (const [src, tgt, kind] of edges) {
    if (kind !== "send") continue;
    const list = sent.get(tgt) ?? [];
    if (!list.includes(src)) list.push(src);
    sent.set(tgt, list);
  }
  for (const [node, from] of sent) out.push({ node: shown(node), words: `sent by ${joinList(from.map(shown))}`, waiting: false, internals: [`${node} ← Send from ${from.join(", ")}`] });
  // barriers reported to in this step that did not release their node
  const waiting = new Set(edges.filter((e) => e[2] === "join" && !(e[1] in next)).map((e) => e[1]));
  for (const node of waiting) {
    const channel = channels.find((c) => barrierNames(c, node) !== null) ?? Object.keys(space.versionsAt(index)).find((c) => barrierNames(c, node) !== null);
    const done = reportedTo(space, index, node);
    const all = channel ? barrierNames(channel, node)! : done;
    const names = all.length ? all : done;
    out.push({
      node: shown(node),
      words: `waits for ${listOf(names)}${done.length && done.length < names.length ? ` (${joinList(done)} done)` : ""}`,
      waiting: true,
      internals: [`${channel ?? `barrier of ${node}`}: ${done.length ? `${done.join(", ")} reported` : "no report yet"}`],
    });
  }
  return out;
}

/** The nodes that reported to `node`'s barrier since it last ran, up to entry `index`. */
function reportedTo(space: NamespaceModel, index: number, node: string): string[] {
  const done: string[] = [];
  for (let i = index, n = 0; i >= 0 && n < LOOK_BACK; i = space.parentOf(i), n++) {
    const s = space.steps[i];
    if (!s || (s.tasks ?? []).some((t) => t.name === node)) break;
    for (const [src, tgt, kind] of s.edges ?? []) if (kind === "join" && tgt === node && !done.includes(src)) done.unshift(src);
  }
  return done;
}
