"""Lesson 12: a support-ticket graph, served by ``langgraph dev`` and debugged from the server.

``classify`` reads the ticket and a conditional edge routes it to ``billing``, ``technical`` or
``general``. A refund is never sent without a human: ``billing`` drafts the reply, then
``approve`` calls ``interrupt(...)`` and the thread waits for the answer
(``Command(resume=...)``) before ``send`` or ``escalate``.

The same module is what the server serves (``server_app_12/support.py`` names
:func:`build_graph`) and what :func:`record_lesson` records locally, for the shipped log.
"""

from typing import Any, Literal, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

import pregel_viz

# thread id -> the ticket, and the answer the human gives when the thread waits for one
TICKETS = {
    "ticket-101": ("I was charged twice for my May invoice, please refund one.", "yes"),
    "ticket-102": ("The app crashes when I upload a photo.", None),
}


class Ticket(TypedDict, total=False):
    text: str
    category: str
    reply: str
    approved: bool
    status: str


def classify(state: Ticket) -> dict[str, Any]:
    text = state["text"].lower()
    if any(word in text for word in ("refund", "charged", "invoice")):
        return {"category": "billing"}
    if any(word in text for word in ("crash", "error", "bug")):
        return {"category": "technical"}
    return {"category": "general"}


def route(state: Ticket) -> Literal["billing", "technical", "general"]:
    return state["category"]  # type: ignore[return-value]


def billing(state: Ticket) -> dict[str, Any]:
    return {"reply": "We have refunded the duplicate charge; it shows within 5 days."}


def technical(state: Ticket) -> dict[str, Any]:
    return {"reply": "Thanks! Engineering has the crash report; a fix ships this week."}


def general(state: Ticket) -> dict[str, Any]:
    return {"reply": "Thanks for writing, we will get back to you shortly."}


def approve(state: Ticket) -> dict[str, Any]:
    answer = interrupt({"question": "send this refund?", "reply": state["reply"]})
    return {"approved": answer == "yes"}


def after_approval(state: Ticket) -> Literal["send", "escalate"]:
    return "send" if state["approved"] else "escalate"


def send(state: Ticket) -> dict[str, Any]:
    return {"status": "replied"}


def escalate(state: Ticket) -> dict[str, Any]:
    return {"status": "escalated"}


def build_graph(checkpointer: Any = None) -> Any:
    """classify -> billing | technical | general; billing -> approve (interrupts) -> send."""
    g = StateGraph(Ticket)
    for node in (classify, billing, technical, general, approve, send, escalate):
        g.add_node(node.__name__, node)
    g.add_edge(START, "classify")
    g.add_conditional_edges("classify", route)
    g.add_edge("billing", "approve")
    g.add_conditional_edges("approve", after_approval)
    g.add_edge("technical", "send")
    g.add_edge("general", "send")
    g.add_edge("send", END)
    g.add_edge("escalate", END)
    return g.compile(checkpointer=checkpointer, name="support")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """The tickets run locally, as the notebook runs them on the server: one thread each."""
    graph = build_graph(InMemorySaver())
    with pregel_viz.recording(graph, path) as rec:
        for thread_id, (text, answer) in TICKETS.items():
            config = {"configurable": {"thread_id": thread_id}}
            graph.invoke({"text": text}, config)
            if answer is not None:
                graph.invoke(Command(resume=answer), config)
    return rec.run
