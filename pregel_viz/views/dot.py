"""Graphviz DOT for one graph of a run: its drawn structure plus the edges the run took.

The text is laid out once, in the browser, by WASM Graphviz; stepping only restyles the SVG.
Nodes and edges get stable ids (``n0``, ``e0``...) listed in :func:`graph_view`, so the viewer
never has to parse names out of SVG, and names reach the SVG only as escaped labels.

Conventions the viewer relies on:

- a node's SVG group has ``id="n<i>"`` and the classes ``pv-node`` plus ``pv-start``/``pv-end``
  (LangGraph's ``__start__``/``__end__``) or ``pv-subgraph`` (a node that is a graph);
- an edge's SVG group has ``id="e<i>"`` and the class ``pv-edge`` plus ``pv-static``,
  ``pv-conditional`` (dashed) or ``pv-observed`` (taken by the run but not drawn by
  ``get_graph()``: dynamic routing, Sends, ``Command(goto)``);
- a label longer than :data:`LABEL_MAX` characters is shortened in the middle (``…``): the
  viewer gives every node and edge its full name as tooltip and accessible name;
- parallel siblings (:data:`FOLD_AT` or more nodes with the same predecessors and successors,
  through the same kinds of edge: a wide static fan-out) are listed in ``fold``, with the DOT
  statements to draw each group as one node (``id="g<i>"``, classes ``pv-node pv-group``) and
  its edges (``id="ge<i>_<j>"``). The viewer assembles the DOT from ``fold`` with any set of
  groups folded; ``dot`` is always the whole graph, every node drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz

from ..events import END, START
from ..model import EdgeTaken

__all__ = ["FOLD_AT", "LABEL_MAX", "graph_view"]

LABEL_MAX = 32
"""Longest label drawn whole; longer ones keep their start and end around an ellipsis."""

FOLD_AT = 8
"""Parallel siblings drawn as one group node when there are at least this many."""


def _text(s: str) -> str:
    """``s`` as a label Graphviz draws literally: not an HTML-like label (``"<b>"``), no escape
    sequence (``"\\N"``), no character reference (``"&#58;"``, which Graphviz would decode)."""
    # graphviz.escape returns a str subclass that quote() keeps out of HTML labels: not str()
    label: str = graphviz.escape(s.replace("&", "&amp;"))
    return label


def _short(s: str, most: int = LABEL_MAX) -> str:
    """``s`` shortened in the middle to at most ``most`` characters (the end of a name often
    tells siblings apart: ``worker_07``)."""
    if len(s) <= most:
        return s
    tail = max(1, (most - 1) // 3)
    return f"{s[: most - 1 - tail]}…{s[-tail:]}"


def _groups(names: list[str], edges: list[dict[str, Any]], exclude: set[str]) -> list[list[str]]:
    """Sets of :data:`FOLD_AT` or more nodes (not in ``exclude``) with the same predecessors
    and successors through the same kinds of edge, in drawing order."""
    ins: dict[str, list[tuple[str, str, str]]] = {n: [] for n in names}
    outs: dict[str, list[tuple[str, str, str]]] = {n: [] for n in names}
    for e in edges:
        src, dst = e["source"], e["target"]
        if src == dst:
            exclude = exclude | {src}
        outs[src].append((dst, e["kind"], e["label"] or ""))
        ins[dst].append((src, e["kind"], e["label"] or ""))
    by_sig: dict[tuple[Any, ...], list[str]] = {}
    for n in names:
        if n in exclude or not (ins[n] or outs[n]):
            continue
        by_sig.setdefault((tuple(sorted(ins[n])), tuple(sorted(outs[n]))), []).append(n)
    groups = [members for members in by_sig.values() if len(members) >= FOLD_AT]
    # a group whose neighbour is folded too would lose that edge: such groups stay unfolded
    folded = {n: i for i, members in enumerate(groups) for n in members}
    return [
        members
        for i, members in enumerate(groups)
        if not any(folded.get(peer, i) != i for peer, _, _ in ins[members[0]] + outs[members[0]])
    ]


def _fold(
    head: str,
    stmts: dict[str, str],
    names: list[str],
    node_ids: dict[str, str],
    edges: list[dict[str, Any]],
    subgraphs: set[str],
) -> dict[str, Any] | None:
    """The DOT statements of the graph, and of each group of parallel siblings drawn as one
    node (see the module's docstring); None when there is nothing to fold."""
    groups = _groups(names, edges, {START, END, *subgraphs})
    if not groups:
        return None
    out = []
    for i, members in enumerate(groups):
        gid = f"g{i}"
        piece = graphviz.Digraph()
        label = f"{_short(members[0], 16)}…{_short(members[-1], 16)} \u00d7{len(members)}"
        piece.node(gid, id=gid, label=_text(label), **{"class": "pv-node pv-group"})
        first = members[0]
        group_edges: list[dict[str, Any]] = []
        for e in edges:
            if first not in (e["source"], e["target"]):
                continue
            into = e["target"] == first
            peer = e["source"] if into else e["target"]
            eid = f"ge{i}_{len(group_edges)}"
            attrs = {"id": eid, "class": f"pv-edge pv-{e['kind']}"}
            if e["kind"] == "conditional":
                attrs["style"] = "dashed"
            elif e["kind"] == "observed":
                attrs["style"] = "dotted"
            if e["label"]:
                attrs["label"] = _text(_short(e["label"]))
            if into:
                piece.edge(node_ids[peer], gid, **attrs)
            else:
                piece.edge(gid, node_ids[peer], **attrs)
            group_edges.append({"id": eid, "peer": peer, "into": into, "label": e["label"]})
        out.append(
            {
                "id": gid,
                "members": members,
                "label": label,
                "stmts": list(piece.body),
                "edges": group_edges,
            }
        )
    return {"head": head, "stmts": stmts, "groups": out}


def _node_names(structure: dict[str, Any] | None, extra: Iterable[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for node in (structure or {}).get("nodes") or []:
        if isinstance(node, dict):
            name = str(node.get("id", node.get("name", "")))
            if name not in seen:
                seen.add(name)
                names.append(name)
    for name in extra:
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def graph_view(
    structure: dict[str, Any] | None,
    taken: Iterable[EdgeTaken] = (),
    task_names: Iterable[str] = (),
    subgraph_keys: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The viewer's description of one graph: DOT text, nodes and edges with their ids.

    Args:
        structure: the ``graph`` event of this graph (``None`` when the recorder could not see
            it, for a subgraph invoked inside a node: the nodes then come from the tasks).
        taken: edges the run took in this graph, over all its invocations.
        task_names: names of tasks that ran, so nodes missing from the structure still show.
        subgraph_keys: node name -> static path of the graph that node runs, for nodes that are
            graphs.
    """
    taken = list(taken)
    subgraph_keys = subgraph_keys or {}
    structure_nodes = {
        str(n.get("id")): n for n in (structure or {}).get("nodes") or [] if isinstance(n, dict)
    }
    extra = [*task_names, *(e.source for e in taken), *(e.target for e in taken)]
    names = _node_names(structure, extra)
    if structure is None and names and START not in names:
        names.insert(0, START)
    node_ids = {name: f"n{i}" for i, name in enumerate(names)}

    dot = graphviz.Digraph("pregel", strict=False)
    dot.attr("graph", rankdir="TB", bgcolor="transparent", nodesep="0.3", ranksep="0.4")
    dot.attr(
        "node",
        shape="box",
        style="rounded,filled",
        fillcolor="white",
        fontname="Helvetica",
        fontsize="12",
        height="0.35",
    )
    dot.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")

    head = "".join(dot.body)  # the attribute statements
    stmts: dict[str, str] = {}  # node or edge id -> its statement
    nodes = []
    for name in names:
        info = structure_nodes.get(name) or {}
        is_sub = bool(info.get("subgraph")) or name in subgraph_keys
        classes = ["pv-node"]
        attrs: dict[str, str] = {}
        if name == START:
            classes.append("pv-start")
            attrs.update(shape="circle", label="start", width="0.5", fixedsize="true")
        elif name == END:
            classes.append("pv-end")
            attrs.update(shape="doublecircle", label="end", width="0.45", fixedsize="true")
        else:
            attrs["label"] = _text(_short(name))
        if is_sub:
            classes.append("pv-subgraph")
            attrs["peripheries"] = "2"
        dot.node(node_ids[name], id=node_ids[name], **{"class": " ".join(classes)}, **attrs)
        stmts[node_ids[name]] = dot.body[-1]
        nodes.append(
            {
                "id": node_ids[name],
                "name": name,
                "subgraph": subgraph_keys.get(name) if is_sub else None,
                "is_subgraph": is_sub,
            }
        )

    edges: list[dict[str, Any]] = []
    drawn: set[tuple[str, str]] = set()
    for e in (structure or {}).get("edges") or []:
        if not isinstance(e, dict):
            continue
        src, dst = str(e.get("source")), str(e.get("target"))
        if src not in node_ids or dst not in node_ids:
            continue
        kind = "conditional" if e.get("conditional") else "static"
        label = e.get("label")
        edges.append(
            {
                "source": src,
                "target": dst,
                "kind": kind,
                "label": None if label is None else str(label),
            }
        )
        drawn.add((src, dst))
    for t in taken:
        if (t.source, t.target) in drawn or t.source not in node_ids or t.target not in node_ids:
            continue
        drawn.add((t.source, t.target))
        edges.append(
            {
                "source": t.source,
                "target": t.target,
                "kind": "observed",
                "label": None if t.kind == "route" else t.kind,
            }
        )
    for i, e in enumerate(edges):
        e["id"] = f"e{i}"
        attrs = {"id": e["id"], "class": f"pv-edge pv-{e['kind']}"}
        if e["kind"] == "conditional":
            attrs["style"] = "dashed"
        elif e["kind"] == "observed":
            attrs["style"] = "dotted"
        if e["label"]:
            attrs["label"] = _text(_short(e["label"]))
        dot.edge(node_ids[e["source"]], node_ids[e["target"]], **attrs)
        stmts[e["id"]] = dot.body[-1]
    view: dict[str, Any] = {
        "dot": dot.source,
        "nodes": nodes,
        "edges": edges,
        "error": (structure or {}).get("error"),
    }
    subgraphs = {str(n["name"]) for n in nodes if n["is_subgraph"]}
    fold = _fold(f"digraph pregel {{\n{head}", stmts, names, node_ids, edges, subgraphs)
    if fold is not None:
        view["fold"] = fold
    return view
