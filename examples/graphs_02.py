"""Lesson 02: conditional routing. ``triage`` decides where the ticket goes next.

A conditional edge is a function of the state that returns where to go. LangGraph runs it
right after ``triage``, in the same task, and writes to the routing channel
``branch:to:<node>`` of the node it picked: that write is what triggers the node in the next
superstep.
"""

from typing import Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph

import pregel_viz

TICKETS = {
    "outage": "The website is down for everyone",
    "question": "How do I change my password?",
}


class State(TypedDict, total=False):
    ticket: str
    priority: str
    handled_by: str


def triage(state: State) -> dict[str, Any]:
    urgent = any(word in state["ticket"].lower() for word in ("down", "outage", "broken"))
    return {"priority": "urgent" if urgent else "normal"}


def route(state: State) -> Literal["urgent", "normal"]:
    return "urgent" if state["priority"] == "urgent" else "normal"


def page_on_call(state: State) -> dict[str, Any]:
    return {"handled_by": "on-call engineer"}


def queue(state: State) -> dict[str, Any]:
    return {"handled_by": "support queue"}


def build_graph(checkpointer: Any = None) -> Any:
    """triage -> (urgent: page_on_call | normal: queue)."""
    g = StateGraph(State)
    g.add_node("triage", triage)
    g.add_node("page_on_call", page_on_call)
    g.add_node("queue", queue)
    g.add_edge(START, "triage")
    g.add_conditional_edges("triage", route, {"urgent": "page_on_call", "normal": "queue"})
    g.add_edge("page_on_call", END)
    g.add_edge("queue", END)
    return g.compile(checkpointer=checkpointer, name="ticket_triage")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Two tickets, one thread each: one takes each route."""
    graph = build_graph()
    with pregel_viz.recording(graph, path) as rec:
        for thread, ticket in TICKETS.items():
            graph.invoke({"ticket": ticket}, {"configurable": {"thread_id": thread}})
    return rec.run
