"""Lesson 06: subgraphs, two ways.

``research`` is a compiled graph added as a node: it shares the ``notes`` key with its parent,
runs its own supersteps in its own namespace (``research:<task id>``), and what it returns is
written to the parent like any node's output. ``write`` calls another graph, ``polish``, from
inside its body with ``.invoke()``: that graph has a different state, and runs as a subgraph
too (LangGraph gives it a namespace under ``write``).
"""

from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

import pregel_viz

THREAD = "lesson-06"
INPUT = {"topic": "channels"}


class State(TypedDict, total=False):
    topic: str
    notes: list[str]
    article: str


class ResearchState(TypedDict, total=False):
    topic: str
    notes: list[str]  # shared with the parent by name


class PolishState(TypedDict, total=False):
    text: str  # a different schema: the caller maps its state in and out
    words: int


def build_research() -> Any:
    """search -> summarize, over the research state."""

    def search(state: ResearchState) -> dict[str, Any]:
        return {"notes": [f"{state['topic']} carry values", f"{state['topic']} have versions"]}

    def summarize(state: ResearchState) -> dict[str, Any]:
        return {"notes": [*state["notes"], f"{len(state['notes'])} facts found"]}

    g = StateGraph(ResearchState)
    g.add_node("search", search)
    g.add_node("summarize", summarize)
    g.add_edge(START, "search")
    g.add_edge("search", "summarize")
    g.add_edge("summarize", END)
    return g.compile()


def build_polish() -> Any:
    """tidy -> count, over its own state."""

    def tidy(state: PolishState) -> dict[str, Any]:
        return {"text": state["text"].replace("  ", " ").strip().capitalize()}

    def count(state: PolishState) -> dict[str, Any]:
        return {"words": len(state["text"].split())}

    g = StateGraph(PolishState)
    g.add_node("tidy", tidy)
    g.add_node("count", count)
    g.add_edge(START, "tidy")
    g.add_edge("tidy", "count")
    g.add_edge("count", END)
    return g.compile()


def build_graph(checkpointer: Any = None) -> Any:
    """outline -> research (a subgraph node) -> write (calls the polish graph)."""
    polish = build_polish()

    def outline(state: State) -> dict[str, Any]:
        return {"notes": [f"about {state['topic']}"]}

    def write(state: State) -> dict[str, Any]:
        out = polish.invoke({"text": "  ".join(state["notes"])})
        return {"article": f"{out['text']} ({out['words']} words)"}

    g = StateGraph(State)
    g.add_node("outline", outline)
    g.add_node("research", build_research())
    g.add_node("write", write)
    g.add_edge(START, "outline")
    g.add_edge("outline", "research")
    g.add_edge("research", "write")
    g.add_edge("write", END)
    return g.compile(checkpointer=checkpointer, name="article_writer")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Record the lesson's run (into ``path`` when given)."""
    config = {"configurable": {"thread_id": THREAD}}
    return pregel_viz.record(build_graph(), dict(INPUT), config, path=path)
