"""What a compiled graph looks like: its drawn structure, its channels and its nodes' triggers.

Also LangGraph's own rule for why a pull task runs (``langgraph/pregel/_algo.py:_triggers``),
re-applied to a saved checkpoint: a node runs when one of its trigger channels is available and
has a version newer than the one the node last saw.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..events import BRANCH_TO, GRAPH, JOIN, START, spec_key
from ._channels import ABSENT, empty

__all__ = ["GraphSpec", "explain", "graph_specs", "spec_key", "structure_event"]


@dataclass
class GraphSpec:
    """The parts of one compiled graph (root or subgraph) needed to explain its steps."""

    key: str
    triggers: dict[str, tuple[str, ...]]
    channels: dict[str, Any] = field(default_factory=dict)  # live channel objects

    def available(self, channel: str, values: Mapping[str, Any]) -> bool:
        if channel not in values:
            return False
        spec = self.channels.get(channel)
        if spec is None:
            return True
        try:
            return bool(spec.from_checkpoint(values[channel]).is_available())
        except Exception:
            return True


def _is_pregel(obj: Any) -> bool:
    from langgraph.pregel import Pregel

    return isinstance(obj, Pregel)


def graph_specs(graph: Any) -> dict[str, GraphSpec]:
    """Specs of the graph and every subgraph LangGraph can find in it, keyed by static path."""
    specs: dict[str, GraphSpec] = {}
    todo: list[tuple[str, Any]] = [("", graph)]
    with contextlib.suppress(Exception):
        todo.extend(graph.get_subgraphs(recurse=True))
    for key, g in todo:
        if not _is_pregel(g) or key in specs:
            continue
        specs[key] = GraphSpec(
            key=key,
            triggers={name: tuple(node.triggers) for name, node in g.nodes.items()},
            channels=dict(g.channels),
        )
    return specs


def _channel_info(name: str, ch: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"class": type(ch).__name__}
    # BinaryOperatorAggregate keeps its reducer as .operator, DeltaChannel as .reducer
    op = getattr(ch, "operator", None) or getattr(ch, "reducer", None)
    if op is not None and callable(op):
        info["reducer"] = getattr(op, "__qualname__", None) or getattr(op, "__name__", repr(op))
    accumulate = getattr(ch, "accumulate", None)
    if isinstance(accumulate, bool):  # Topic: keep values across supersteps, or per step
        info["accumulate"] = accumulate
    names = getattr(ch, "names", None)
    if isinstance(names, (set, frozenset)):
        info["names"] = sorted(str(n) for n in names)
    typ = getattr(ch, "typ", None)
    if typ is not None:
        info["type"] = getattr(typ, "__qualname__", None) or str(typ)
    # What LangGraph shows for the channel before anything wrote it (a reducer's empty
    # value); checkpoints leave never-written channels out.
    default = empty(ch)
    if default is not ABSENT:
        info["default"] = default
    return info


def _drawn(graph: Any, xray: bool) -> dict[str, Any]:
    drawn = graph.get_graph(xray=xray)
    nodes = []
    for node_id, node in drawn.nodes.items():
        nodes.append(
            {
                "id": str(node_id),
                "name": str(getattr(node, "name", node_id)),
                "subgraph": _is_pregel(getattr(node, "data", None)),
                "metadata": dict(node.metadata or {}),
            }
        )
    edges = [
        {
            "source": str(e.source),
            "target": str(e.target),
            "conditional": bool(e.conditional),
            "label": None if e.data is None else str(e.data),
        }
        for e in drawn.edges
    ]
    return {"nodes": nodes, "edges": edges}


def _state_channels(graph: Any) -> Any:
    try:
        chans = graph.stream_channels_asis
    except Exception:
        return None
    return chans if isinstance(chans, str) else [str(c) for c in chans]


def structure_event(key: str, graph: Any) -> dict[str, Any]:
    """The ``graph`` event for one compiled graph: drawn structure, channels, triggers."""
    event: dict[str, Any] = {
        "k": GRAPH,
        "key": key,
        "name": str(getattr(graph, "name", "") or ""),
        "channels": {n: _channel_info(n, ch) for n, ch in graph.channels.items()},
        "triggers": {n: list(node.triggers) for n, node in graph.nodes.items()},
        # the channels get_state() shows as the state: a list of keys, or one channel whose
        # value is the state (the functional API's __end__)
        "state_channels": _state_channels(graph),
        "error": None,
    }
    try:
        event.update(_drawn(graph, xray=False))
        if key == "":
            event["xray"] = _drawn(graph, xray=True)
    except Exception as exc:  # get_graph simulates the graph; a weird graph may fail it
        event.setdefault("nodes", [{"id": n, "name": n, "subgraph": False} for n in graph.nodes])
        event.setdefault("edges", [])
        event["error"] = f"get_graph failed: {type(exc).__name__}: {exc}"
    return event


def _newer(cur: Any, seen: Any) -> bool:
    if seen is None:
        return True
    try:
        return bool(cur > seen)
    except TypeError:
        return str(cur) > str(seen)


def _inferred_triggers(
    versions: Mapping[str, Any], seen_all: Mapping[str, Any]
) -> dict[str, tuple[str, ...]]:
    """Triggers of a graph we could not inspect, read off StateGraph's channel naming."""
    out: dict[str, list[str]] = {name: [] for name in seen_all if not name.startswith("__")}
    out[START] = [START]
    for ch in versions:
        if ch.startswith(BRANCH_TO):
            out.setdefault(ch[len(BRANCH_TO) :], []).append(ch)
        elif ch.startswith(JOIN):
            out.setdefault(ch.rsplit(":", 1)[-1], []).append(ch)
    return {k: tuple(v) for k, v in out.items()}


def _present(channel: str, values: Mapping[str, Any]) -> bool:
    """Availability without the channel object: a value is there, and a barrier
    (``join:a+b:node``) has seen every name its channel name lists."""
    if channel not in values:
        return False
    if channel.startswith(JOIN):
        names = set(channel.split(":")[1].split("+"))
        seen = values[channel]
        return isinstance(seen, (set, frozenset, list, tuple)) and names <= set(seen)
    return True


def explain(
    spec: GraphSpec | None,
    versions: Mapping[str, Any],
    seen_all: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Any],
) -> dict[str, list[list[Any]]]:
    """For each node that will run from this checkpoint: ``[[channel, seen, current], ...]``."""
    triggers: Mapping[str, Iterable[str]] = (
        spec.triggers if spec is not None else _inferred_triggers(versions, seen_all)
    )
    out: dict[str, list[list[Any]]] = {}
    for node, chans in triggers.items():
        seen = seen_all.get(node) or {}
        reasons = []
        for ch in chans:
            cur = versions.get(ch)
            if cur is None:
                continue
            old = seen.get(ch)
            if not _newer(cur, old):
                continue
            ok = spec.available(ch, values) if spec is not None else _present(ch, values)
            if ok:
                reasons.append([ch, old, cur])
        if reasons:
            out[node] = reasons
    return out
