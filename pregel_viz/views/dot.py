"""Graphviz DOT for one graph of a run: its drawn structure plus the edges the run took.

The text is laid out once, in the browser, by WASM Graphviz; stepping only restyles the SVG.
Nodes and edges get stable ids (``n0``, ``e0``...) listed in :func:`graph_view`, so the viewer
never has to parse names out of SVG, and names reach the SVG only as escaped labels.

Conventions the viewer relies on:

- a node's SVG group has ``id="n<i>"`` and the classes ``pv-node`` plus ``pv-start``/``pv-end``
  (LangGraph's ``__start__``/``__end__``) or ``pv-subgraph`` (a node that is a graph);
- an edge's SVG group has ``id="e<i>"`` and the class ``pv-edge`` plus ``pv-static``,
  ``pv-conditional`` (dashed) or ``pv-observed`` (taken by the run but not drawn by
  ``get_graph()``: dynamic routing, Sends, ``Command(goto)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz

from ..events import END, START
from ..model import EdgeTaken

__all__ = ["graph_view"]


def _text(s: str) -> str:
    """``s`` as a label Graphviz draws literally: not an HTML-like label (``"<b>"``), no escape
    sequence (``"\\N"``), no character reference (``"&#58;"``, which Graphviz would decode)."""
    # graphviz.escape returns a str subclass that quote() keeps out of HTML labels: not str()
    label: str = graphviz.escape(s.replace("&", "&amp;"))
    return label


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
            attrs["label"] = _text(name)
        if is_sub:
            classes.append("pv-subgraph")
            attrs["peripheries"] = "2"
        dot.node(node_ids[name], id=node_ids[name], **{"class": " ".join(classes)}, **attrs)
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
            attrs["label"] = _text(e["label"])
        dot.edge(node_ids[e["source"]], node_ids[e["target"]], **attrs)
    return {
        "dot": dot.source,
        "nodes": nodes,
        "edges": edges,
        "error": (structure or {}).get("error"),
    }
