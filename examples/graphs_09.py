"""Lesson 09: time travel. Go back to a past checkpoint, change it, and run from there.

Every superstep leaves a checkpoint, and ``graph.get_state_history(config)`` lists them.
``graph.update_state(past_config, values, as_node=...)`` writes new values on top of a past
checkpoint, as if ``as_node`` had returned them: a new checkpoint, a new branch of the
thread. ``graph.invoke(None, config)`` with a checkpoint's config runs on from there (when
that checkpoint is in the past, LangGraph first copies it: a *fork*).
"""

from typing import Any, Literal, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

import pregel_viz

THREAD = "trip"


class State(TypedDict, total=False):
    budget: int
    plan: str
    booked: str


def plan(state: State) -> dict[str, Any]:
    return {"plan": "luxury" if state["budget"] >= 1000 else "saver"}


def route(state: State) -> Literal["book_luxury", "book_saver"]:
    return "book_luxury" if state["plan"] == "luxury" else "book_saver"


def book_luxury(state: State) -> dict[str, Any]:
    return {"booked": "suite with a view"}


def book_saver(state: State) -> dict[str, Any]:
    return {"booked": "hostel bunk"}


def build_graph(checkpointer: Any = None) -> Any:
    """plan -> book_luxury | book_saver."""
    g = StateGraph(State)
    g.add_node("plan", plan)
    g.add_node("book_luxury", book_luxury)
    g.add_node("book_saver", book_saver)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", route)
    g.add_edge("book_luxury", END)
    g.add_edge("book_saver", END)
    return g.compile(checkpointer=checkpointer or InMemorySaver(), name="trip_planner")


def checkpoint_before(graph: Any, config: Any, node: str) -> Any:
    """The newest checkpoint whose next task is ``node``."""
    for snapshot in graph.get_state_history(config):
        if snapshot.next == (node,):
            return snapshot
    raise LookupError(f"no checkpoint before {node}")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Run, then branch twice from the past: update_state, and a plain replay."""
    graph = build_graph()
    cfg = {"configurable": {"thread_id": THREAD}}
    with pregel_viz.recording(graph, path) as rec:
        graph.invoke({"budget": 5000}, cfg)  # branch 1: luxury
        # branch 2: go back to just after plan, change the budget *and* the plan, as if
        # plan had returned it: plan's conditional edge runs again on the new values
        after_plan = checkpoint_before(graph, cfg, "book_luxury")
        new_cfg = graph.update_state(
            after_plan.config, {"budget": 300, "plan": "saver"}, as_node="plan"
        )
        graph.invoke(None, new_cfg)
        # branch 3: replay from before plan ran: LangGraph forks that checkpoint, reruns plan
        before_plan = checkpoint_before(graph, cfg, "plan")
        graph.invoke(None, before_plan.config)
    return rec.run
