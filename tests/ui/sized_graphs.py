"""The graphs the viewer is looked at with at real sizes: a 14-node chain (tall) and a 60-worker
fan-out (wide), each node appending its name to ``results``."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    results: Annotated[list[str], operator.add]


def writer(name: str) -> Any:
    return lambda state: {"results": [name]}


def chain14(checkpointer: Any = None) -> Any:
    g = StateGraph(S)
    prev = START
    for i in range(14):
        g.add_node(f"step_{i:02d}", writer(f"step_{i:02d}"))
        g.add_edge(prev, f"step_{i:02d}")
        prev = f"step_{i:02d}"
    g.add_edge(prev, END)
    return g.compile(checkpointer=checkpointer)


def fan60(checkpointer: Any = None, *, merge: str = "merge") -> Any:
    g = StateGraph(S)
    g.add_node("plan", writer("plan"))
    g.add_node(merge, writer("merge"))
    g.add_edge(START, "plan")
    workers = [f"worker_{i:02d}" for i in range(60)]
    for w in workers:
        g.add_node(w, writer(w))
        g.add_edge("plan", w)
    g.add_edge(workers, merge)
    g.add_edge(merge, END)
    return g.compile(checkpointer=checkpointer)
