"""Lesson 08: errors and retries.

A node's ``retry_policy`` runs it again, in the same superstep, when it raises an error the
policy retries: each try is one *attempt* of the same task. An error that is not retried (or
keeps failing) ends the superstep without a checkpoint, but the writes of the tasks that did
finish are saved, so resuming the thread (``invoke(None)``) runs only the failed task again.
"""

import contextlib
import operator
import time
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy

import pregel_viz


class FlakyError(Exception):
    """A transient failure, worth retrying."""


class State(TypedDict, total=False):
    order: str
    log: Annotated[list[str], operator.add]
    price: int


def build_graph(checkpointer: Any = None, *, card_ok: dict[str, bool] | None = None) -> Any:
    """price (flaky, retried) -> (charge, reserve, email) -> done.

    ``price`` fails twice, then succeeds on attempt 3. ``charge`` raises ValueError while
    ``card_ok["value"]`` is False (not retried: ValueError is a bug, not a hiccup).
    """
    calls = {"price": 0}
    card = card_ok if card_ok is not None else {"value": True}

    def price(state: State) -> dict[str, Any]:
        calls["price"] += 1
        if calls["price"] < 3:
            raise FlakyError(f"price service busy (try {calls['price']})")
        return {"price": 42, "log": ["price"]}

    def charge(state: State) -> dict[str, Any]:
        time.sleep(0.05)  # fail after the other tasks of the step have finished
        if not card["value"]:
            raise ValueError("card declined")
        return {"log": ["charge"]}

    def reserve(state: State) -> dict[str, Any]:
        return {"log": ["reserve"]}

    def email(state: State) -> dict[str, Any]:
        return {"log": ["email"]}

    def done(state: State) -> dict[str, Any]:
        return {"log": ["done"]}

    g = StateGraph(State)
    g.add_node(
        "price",
        price,
        retry_policy=RetryPolicy(
            max_attempts=3, initial_interval=0.01, jitter=False, retry_on=FlakyError
        ),
    )
    for name, fn in (("charge", charge), ("reserve", reserve), ("email", email)):
        g.add_node(name, fn)
        g.add_edge("price", name)
    g.add_node("done", done)
    g.add_edge(START, "price")
    g.add_edge(["charge", "reserve", "email"], "done")
    g.add_edge("done", END)
    return g.compile(checkpointer=checkpointer or InMemorySaver(), name="order_flow")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """One thread, "order-7": charge fails, the card is fixed, the thread is resumed."""
    card_ok = {"value": False}
    graph = build_graph(card_ok=card_ok)
    cfg = {"configurable": {"thread_id": "order-7"}}
    with pregel_viz.recording(graph, path) as rec:
        # charge fails: the call raises; the thread keeps what finished
        with contextlib.suppress(ValueError):
            graph.invoke({"order": "order-7", "log": []}, cfg)
        card_ok["value"] = True  # "fix the card"
        graph.invoke(None, cfg)  # resume: only the failed task runs again
    return rec.run
