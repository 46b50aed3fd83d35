"""Totals of the calls made inside a thread's tasks, per node and per model: which node burns
the tokens. ::

    totals = call_totals(run.get_thread())
    totals.nodes["agent"].models.total_tokens   # the agent node's tokens, every step together
    totals.models["scripted-model-1"].calls     # how many times that model was asked
    print("\\n".join(totals.lines()))            # the table run.summary() shows

A node of a subgraph is named by its path (``assistant|agent``). Time is the time spent inside
the calls (a model or tool call nested in another, e.g. an agent used as a tool, counts once).
Tokens are those the models reported: a model call that reported no usage (some streamed
models) adds none, and a row none of whose model calls reported any shows them as unknown (—).
Runs rebuilt from a checkpointer have no calls, so no totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import NS_SEP, spec_key
from ..model import Thread
from ..spans import MODEL_KINDS, Span, Usage

__all__ = ["CallTotals", "NodeCalls", "call_totals"]

_LEAVES = (*MODEL_KINDS, "tool", "retriever")


@dataclass
class NodeCalls:
    """The calls of one node, over every task of it."""

    models: Usage = field(default_factory=Usage)  # its model calls: count, tokens, time
    tools: int = 0  # its tool and retriever calls
    seconds: float = 0.0  # time inside its model, tool and retriever calls


@dataclass
class CallTotals:
    """Per node (in the order they first called) and per model (model name, else the class)."""

    nodes: dict[str, NodeCalls] = field(default_factory=dict)
    models: dict[str, Usage] = field(default_factory=dict)

    @property
    def total(self) -> Usage:
        """Every model call of the thread."""
        out = Usage()
        for u in self.models.values():
            out.calls += u.calls
            out.input_tokens += u.input_tokens
            out.output_tokens += u.output_tokens
            out.total_tokens += u.total_tokens
            out.seconds += u.seconds
            out.reported += u.reported
        return out

    @property
    def tools(self) -> int:
        return sum(n.tools for n in self.nodes.values())

    def lines(self) -> list[str]:
        """The totals as a table: one line per node, then one per model, most tokens first."""
        if not self.nodes:
            return []
        t = self.total
        head = f"calls in tasks: {_count(t.calls, 'model call')}"
        if t.calls:
            tokens = f"{_tokens(t)} tokens" if t.reported else "no token usage reported"
            head += f" ({tokens}, {_secs(t.seconds)})"
        head += f", {_count(self.tools, 'tool call')}"
        width = max(len(k) for k in [*self.nodes, *self.models, "per model"]) + 2
        cols = f"{'tokens in':>11}{'tokens out':>12}{'total':>8}{'time':>10}"
        out = [head, f"  {'per node':<{width}}{'model calls':>12}{cols}{'tool calls':>12}"]
        nodes = sorted(self.nodes.items(), key=lambda kv: -kv[1].models.total_tokens)
        for name, n in nodes:
            out.append(f"  {name:<{width}}{_row(n.models, n.seconds, 12)}{n.tools:>12}")
        if self.models:
            out.append(f"  {'per model':<{width}}{'calls':>12}{cols}")
            models = sorted(self.models.items(), key=lambda kv: -kv[1].total_tokens)
            out.extend(f"  {name:<{width}}{_row(u, u.seconds, 12)}" for name, u in models)
        return out


def _count(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def _secs(s: float) -> str:
    return "<0.01 s" if 0 < s < 0.01 else f"{s:.2f} s"


def _tokens(u: Usage) -> str:
    return f"{u.input_tokens} in, {u.output_tokens} out, {u.total_tokens}"


def _row(u: Usage, seconds: float, first: int) -> str:
    """A row's counts; its tokens are unknown (—) when its model calls reported none."""
    known = u.reported or not u.calls
    i, o, t = (u.input_tokens, u.output_tokens, u.total_tokens) if known else ("—",) * 3
    return f"{u.calls:>{first}}{i:>11}{o:>12}{t:>8}{_secs(seconds):>10}"


def _outermost(spans: list[Span]) -> list[Span]:
    """The model, tool and retriever calls not nested in another of them."""
    by_id = {s.id: s for s in spans}
    out = []
    for s in spans:
        if s.kind not in _LEAVES:
            continue
        parent = by_id.get(s.parent) if s.parent is not None else None
        nested = False
        while parent is not None:
            if parent.kind in _LEAVES:
                nested = True
                break
            parent = by_id.get(parent.parent) if parent.parent is not None else None
        if not nested:
            out.append(s)
    return out


def call_totals(thread: Thread) -> CallTotals:
    """The totals of the calls made in every task of ``thread`` (its subgraph runs too)."""
    out = CallTotals()
    for ns, space in thread.namespaces.items():
        prefix = spec_key(ns)
        for step in space.supersteps:
            for task in step.tasks:
                if not isinstance(task.calls, list) or not task.calls:
                    continue
                spans = [s for s in task.calls if s.kind in _LEAVES]
                if not spans:
                    continue
                label = f"{prefix}{NS_SEP}{task.name}" if prefix else task.name
                node = out.nodes.setdefault(label, NodeCalls())
                for s in spans:
                    if s.is_model:
                        node.models.add(s)
                        out.models.setdefault(s.model or s.name, Usage()).add(s)
                    else:
                        node.tools += 1
                node.seconds += sum(s.duration or 0.0 for s in _outermost(task.calls))
    return out
