// The viewer's document, as built by pregel_viz/views/payload.py (PAYLOAD_VERSION 1).
// This file mirrors that module's docstring, which is the contract; keep the two in step.
// Values (state, writes, inputs...) are plain JSON with tagged maps ({"$type": ...}) for
// other objects, see pregel_viz/values.py.

/** Any JSON value coming from the recorded run. Always rendered as text, never as markup. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Payload {
  version: number;
  meta: Record<string, Json>;
  graphs: Record<string, GraphView>;
  threads: ThreadDoc[];
  warnings?: Json[];
}

export interface GraphNode {
  id: string; // "n<i>": the id of the node's <g> in the SVG
  name: string;
  subgraph: string | null; // graph key of the subgraph this node runs
  is_subgraph: boolean;
}

export interface GraphEdge {
  id: string; // "e<i>": the id of the edge's <g> in the SVG
  source: string;
  target: string;
  kind: "static" | "conditional" | "observed" | string;
  label: string | null;
}

export interface ChannelSpec {
  class?: string;
  reducer?: string;
  type?: string;
  names?: Json;
  [extra: string]: Json | undefined;
}

export interface GraphView {
  dot: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  channels: Record<string, ChannelSpec>;
  error: string | null;
}

export interface ErrorInfo {
  type?: string;
  message?: string;
  [extra: string]: Json | undefined;
}

export interface Outcome {
  status: string; // completed | interrupted | error | ...
  interrupts: Json[];
  error: ErrorInfo | null;
}

export interface CallDoc {
  index: number;
  method: string;
  status: string;
  start: number | null;
  end: number | null;
  interrupts: Json[];
  error: ErrorInfo | null;
}

export interface ThreadDoc {
  id: string;
  outcome: Outcome;
  calls: CallDoc[];
  namespaces: NamespaceDoc[];
}

export interface NamespaceDoc {
  ns: string; // "" for the root, "node:<task id>|child:<task id>" below
  key: string; // static path: the key into Payload.graphs
  node: string;
  parent_ns: string | null;
  parent_task: string | null;
  steps: StepDoc[];
}

export interface Delta {
  set: Record<string, Json>;
  del: string[];
}

/** [channel, seen version, current version] */
export type NextReason = [string, Json, Json];

/** [source node, target node, kind (route | send | join | call)] */
export type EdgeTaken = [string, string, string];

export interface StepDoc {
  step: number; // LangGraph's step number (-1 = input checkpoint)
  source: string; // input | loop | update | fork ...
  checkpoint: string | null;
  parent: string | null;
  start: number | null;
  end: number | null;
  state: Delta; // vs the previous entry of this namespace
  versions: Delta; // vs the previous entry of this namespace
  updated: string[];
  next: Record<string, NextReason[]>;
  edges: EdgeTaken[];
  tasks: TaskDoc[];
  narration?: string[]; // the step told in plain sentences (pregel_viz.narrate); shown as text
  narration_details?: string[]; // the internals behind the sentences (StepNarration.details)
  branch?: number; // which branch of a forked thread (0: the first one recorded)
  fork_of?: number | null; // on a branch's first entry: the index of the entry it forks
}

export interface Trigger {
  channel: string;
  seen: Json;
  current: Json;
  written_by: string[];
}

export interface Attempt {
  start: number | null;
  end: number | null;
  status: string; // ok | error | interrupt | parent_command | bubble | running
  error: ErrorInfo | null;
}

export interface TaskDoc {
  id: string;
  name: string;
  kind: string; // pull | push
  status: string; // ok | error | interrupted | pending
  path: string;
  triggers: Trigger[] | null;
  sent_by: string | null;
  writes: [string, Json][];
  error: ErrorInfo | null;
  interrupts: Json[];
  resumes: Json[];
  attempts: Attempt[] | null;
  input: Json;
  subgraphs: string[];
  /** the calls made inside the task (LangChain runs at any depth), in the order they started;
   *  null when unknown (a run rebuilt from a checkpointer); absent in older payloads */
  calls?: SpanDoc[] | null;
}

/** A tool call an AI message asked for. */
export interface ToolCallDoc {
  name: string;
  args: Json;
  id: string | null;
}

/** Token usage of a model call (usage_metadata). */
export interface UsageDoc {
  input_tokens?: number | null;
  output_tokens?: number | null;
  total_tokens?: number | null;
}

/** One call inside a task (pregel_viz/spans.py Span): a chat model, LLM, tool, retriever or a
 *  chain leading to them. `parent` is the enclosing call's id (null: directly under the task). */
export interface SpanDoc {
  id: number | string;
  parent: number | string | null;
  kind: "chat_model" | "llm" | "tool" | "retriever" | "chain" | string;
  name: string;
  model: string | null;
  start: number | null;
  end: number | null;
  status: string; // ok | error | running
  error: ErrorInfo | null;
  input: Json;
  output: Json;
  tool_calls: ToolCallDoc[] | null;
  tool_call_id: string | null;
  usage: UsageDoc | null;
  first_token: number | null;
  chunks: number | null;
}

/** Where the viewer is: what the host syncs (widget traits step / thread / ns). */
export interface Position {
  step: number;
  thread: string;
  ns: string;
}
