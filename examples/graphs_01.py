"""Lesson 01: a three-node pipeline, to watch supersteps and channels at work.

Every state key is a channel. ``text`` has no reducer, so it is a ``LastValue`` channel: each
write replaces it. ``history`` is annotated with ``operator.add``, so it is a
``BinaryOperatorAggregate`` channel: writes are appended to what it holds.
"""

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

import pregel_viz

THREAD = "lesson-01"
INPUT = {"text": "  Hello, Pregel  ", "history": []}


class State(TypedDict):
    text: str  # LastValue: a write replaces the value
    history: Annotated[list[str], operator.add]  # a reducer: writes are appended


def clean(state: State) -> dict[str, Any]:
    return {"text": state["text"].strip().lower(), "history": ["clean"]}


def shout(state: State) -> dict[str, Any]:
    return {"text": state["text"].upper() + "!", "history": ["shout"]}


def sign(state: State) -> dict[str, Any]:
    return {"text": state["text"] + " -- the graph", "history": ["sign"]}


def build_graph(checkpointer: Any = None) -> Any:
    """START -> clean -> shout -> sign -> END."""
    g = StateGraph(State)
    g.add_node("clean", clean)
    g.add_node("shout", shout)
    g.add_node("sign", sign)
    g.add_edge(START, "clean")
    g.add_edge("clean", "shout")
    g.add_edge("shout", "sign")
    g.add_edge("sign", END)
    return g.compile(checkpointer=checkpointer, name="pipeline")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Record the lesson's run (into ``path`` when given)."""
    config = {"configurable": {"thread_id": THREAD}}
    return pregel_viz.record(build_graph(), dict(INPUT), config, path=path)
