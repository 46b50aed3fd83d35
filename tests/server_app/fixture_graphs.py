"""The graphs the test server serves: fixture shapes of ``tests/graphs.py``.

Each is a graph factory, so the server builds a fresh graph (with fresh closures, such as the
retry counter) for every run. ``tests/`` is on the server's ``PYTHONPATH`` (the fixture puts it
there), so the builders are the same ones the local recordings use.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from graphs import (
    build_conditional_path_map,
    build_fanout_fanin,
    build_parallel_error,
    build_retry_policy,
    build_send_map_reduce,
    build_subgraph_node,
)
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt as ask_user


class ReviewState(TypedDict):
    """A draft, the answers a reviewer gave, and a log."""

    draft: str
    answers: list[Any]
    log: Annotated[list[str], operator.add]


def build_interrupt(checkpointer: Any) -> Any:
    """write -> ask (interrupts twice) -> publish (interrupts once): three resumes.

    Unlike ``interrupt_twice`` of tests/graphs.py it keeps no counter across runs, so a
    server that builds the graph again for every run gives the same values.
    """

    def write(state: ReviewState) -> dict[str, Any]:
        return {"draft": f"draft of {state['draft']}", "log": ["write"]}

    def ask(state: ReviewState) -> dict[str, Any]:
        first = ask_user("approve?")
        second = ask_user({"question": "why?", "previous": first})
        return {"answers": [first, second], "log": ["ask"]}

    def publish(state: ReviewState) -> dict[str, Any]:
        ok = ask_user("publish?")
        return {"log": [f"publish:{ok}"]}

    g = StateGraph(ReviewState)
    g.add_node("write", write)
    g.add_node("ask", ask)
    g.add_node("publish", publish)
    g.add_edge(START, "write")
    g.add_edge("write", "ask")
    g.add_edge("ask", "publish")
    g.add_edge("publish", END)
    return g.compile(checkpointer=checkpointer)


def routing(config: Any) -> Any:
    return build_conditional_path_map(None)


def fanout(config: Any) -> Any:
    return build_fanout_fanin(None)


def send(config: Any) -> Any:
    return build_send_map_reduce(None)


def subgraph(config: Any) -> Any:
    return build_subgraph_node(None)


def interrupt(config: Any) -> Any:
    return build_interrupt(None)


def error(config: Any) -> Any:
    return build_parallel_error(None)


def retry(config: Any) -> Any:
    return build_retry_policy(None)
