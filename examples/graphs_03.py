"""Lesson 03: fan-out, fan-in, and why parallel writers need a reducer.

``search`` fans out to three branches that run in the same superstep. ``lint`` makes the
``code`` branch one step longer. ``merge`` waits for ``web``, ``docs`` and ``lint`` together:
``add_edge([...], "merge")`` makes a barrier channel (``NamedBarrierValue``) that releases
``merge`` only when all three have written to it.
"""

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

import pregel_viz

THREAD = "lesson-03"
INPUT = {"query": "supersteps", "results": []}


class State(TypedDict, total=False):
    query: str
    results: Annotated[list[str], operator.add]  # parallel writes are appended, in task order
    summary: str


def _finder(source: str) -> Any:
    def find(state: State) -> dict[str, Any]:
        return {"results": [f"{source}: {state['query']}"]}

    return find


def lint(state: State) -> dict[str, Any]:
    return {"results": ["lint: ok"]}


def merge(state: State) -> dict[str, Any]:
    return {"summary": f"{len(state['results'])} results"}


def build_graph(checkpointer: Any = None) -> Any:
    """search -> (web, docs, code -> lint) -> merge."""
    g = StateGraph(State)
    g.add_node("search", lambda state: {})
    for source in ("web", "docs", "code"):
        g.add_node(source, _finder(source))
    g.add_node("lint", lint)
    g.add_node("merge", merge)
    g.add_edge(START, "search")
    for source in ("web", "docs", "code"):
        g.add_edge("search", source)
    g.add_edge("code", "lint")
    g.add_edge(["web", "docs", "lint"], "merge")  # a barrier: merge waits for all three
    g.add_edge("merge", END)
    return g.compile(checkpointer=checkpointer, name="search_fan_out")


class NoReducerState(TypedDict, total=False):
    query: str
    result: str  # no reducer: a LastValue channel takes one write per superstep


def build_broken_graph(checkpointer: Any = None) -> Any:
    """The same fan-out, writing to a key without a reducer: LangGraph refuses two writes."""
    g = StateGraph(NoReducerState)
    g.add_node("web", lambda state: {"result": "web"})
    g.add_node("docs", lambda state: {"result": "docs"})
    g.add_edge(START, "web")
    g.add_edge(START, "docs")
    return g.compile(checkpointer=checkpointer)


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Record the lesson's run (into ``path`` when given)."""
    config = {"configurable": {"thread_id": THREAD}}
    return pregel_viz.record(build_graph(), dict(INPUT), config, path=path)
