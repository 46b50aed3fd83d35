"""Lesson 07: a human in the loop, with ``interrupt()`` and with breakpoints.

``approve`` calls ``interrupt(...)``: the call stops there and returns, the thread's
checkpoint keeps everything done so far, and a later call with ``Command(resume=answer)``
runs ``approve`` again from the top; this time ``interrupt()`` returns the answer. A
breakpoint (``interrupt_before=[...]``) pauses between supersteps instead, with no value to
answer: the next call continues with input ``None``.
"""

from typing import Any, Literal, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

import pregel_viz

INPUT = {"to": "team@example.com"}


class State(TypedDict, total=False):
    to: str
    draft: str
    answer: str
    status: str


def draft(state: State) -> dict[str, Any]:
    return {"draft": f"Hello {state['to']}, the release is ready."}


def approve(state: State) -> dict[str, Any]:
    answer = interrupt({"question": "send this email?", "draft": state["draft"]})
    return {"answer": str(answer)}


def route(state: State) -> Literal["send", "discard"]:
    return "send" if state["answer"] == "yes" else "discard"


def send(state: State) -> dict[str, Any]:
    return {"status": "sent"}


def discard(state: State) -> dict[str, Any]:
    return {"status": "discarded"}


def build_graph(checkpointer: Any = None) -> Any:
    """draft -> approve (interrupts) -> send | discard. Interrupts need a checkpointer."""
    g = StateGraph(State)
    g.add_node("draft", draft)
    g.add_node("approve", approve)
    g.add_node("send", send)
    g.add_node("discard", discard)
    g.add_edge(START, "draft")
    g.add_edge("draft", "approve")
    g.add_conditional_edges("approve", route)
    g.add_edge("send", END)
    g.add_edge("discard", END)
    return g.compile(checkpointer=checkpointer or InMemorySaver(), name="email_approval")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Thread "approved": answered "yes". Thread "breakpoint": paused before approve, then "no"."""
    graph = build_graph()
    with pregel_viz.recording(graph, path) as rec:
        cfg = {"configurable": {"thread_id": "approved"}}
        graph.invoke(dict(INPUT), cfg)  # stops at interrupt(); returns the state so far
        graph.invoke(Command(resume="yes"), cfg)

        cfg = {"configurable": {"thread_id": "breakpoint"}}
        graph.invoke(dict(INPUT), cfg, interrupt_before=["approve"])  # a breakpoint
        graph.invoke(None, cfg)  # continue: approve runs and interrupts
        graph.invoke(Command(resume="no"), cfg)
    return rec.run
