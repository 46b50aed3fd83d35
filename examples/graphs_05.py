"""Lesson 05: loops, and the recursion limit that stops a runaway one.

``guess`` halves the search range each time; a conditional edge sends the run back to
``guess`` until it hits the secret. Every trip round the loop is one more superstep. A loop
that does not end is stopped by ``recursion_limit`` (the most supersteps one call may run)
with a ``GraphRecursionError``.
"""

import contextlib
import operator
from typing import Annotated, Any, Literal, TypedDict

from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, StateGraph

import pregel_viz

SECRET = 37


class State(TypedDict, total=False):
    low: int
    high: int
    guesses: Annotated[list[int], operator.add]
    found: bool


def guess(state: State) -> dict[str, Any]:
    low, high = state["low"], state["high"]
    g = (low + high) // 2
    if g == SECRET:
        return {"guesses": [g], "found": True}
    if g < SECRET:
        return {"guesses": [g], "low": g + 1, "found": False}
    return {"guesses": [g], "high": g - 1, "found": False}


def again(state: State) -> Literal["guess", "__end__"]:
    return END if state["found"] else "guess"


def build_graph(checkpointer: Any = None) -> Any:
    """guess, with a conditional edge back to itself until it finds the secret."""
    g = StateGraph(State)
    g.add_node("guess", guess)
    g.add_edge(START, "guess")
    g.add_conditional_edges("guess", again)
    return g.compile(checkpointer=checkpointer, name="guessing_loop")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Thread "finds-it" ends by itself. Thread "runaway" searches 1..20, where the secret is
    not: its loop never ends, and recursion_limit=6 stops it."""
    graph = build_graph()
    with pregel_viz.recording(graph, path) as rec:
        start = {"low": 1, "high": 100, "guesses": []}
        graph.invoke(start, {"configurable": {"thread_id": "finds-it"}})
        runaway = {"low": 1, "high": 20, "guesses": []}
        # the error is recorded as the call's outcome
        with contextlib.suppress(GraphRecursionError):
            graph.invoke(runaway, {"configurable": {"thread_id": "runaway"}, "recursion_limit": 6})
    return rec.run
