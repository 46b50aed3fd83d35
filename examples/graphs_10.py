"""Lesson 10: comparing two runs. Same graph, same input, one setting changed.

``quote`` reads ``discount_over`` from the run's config: orders above it get a discount.
Two threads run the same order with two settings; ``pregel_viz.compare`` lines their
supersteps up and names the first place they part.
"""

from typing import Any, Literal, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

import pregel_viz

ORDER = {"items": ["lamp", "desk", "chair"], "total": 0}
PRICES = {"lamp": 40, "desk": 250, "chair": 120}
SETTINGS = {"discount-over-300": 300, "discount-over-500": 500}


class State(TypedDict, total=False):
    items: list[str]
    total: int
    discount: int
    invoice: str


def quote(state: State, config: RunnableConfig) -> dict[str, Any]:
    total = sum(PRICES[i] for i in state["items"])
    return {"total": total}


def route(state: State, config: RunnableConfig) -> Literal["discount", "full_price"]:
    over = int(config["configurable"].get("discount_over", 300))
    return "discount" if state["total"] > over else "full_price"


def discount(state: State) -> dict[str, Any]:
    return {"discount": state["total"] // 10}


def full_price(state: State) -> dict[str, Any]:
    return {"discount": 0}


def invoice(state: State) -> dict[str, Any]:
    return {"invoice": f"pay {state['total'] - state['discount']}"}


def build_graph(checkpointer: Any = None) -> Any:
    """quote -> discount | full_price -> invoice."""
    g = StateGraph(State)
    g.add_node("quote", quote)
    g.add_node("discount", discount)
    g.add_node("full_price", full_price)
    g.add_node("invoice", invoice)
    g.add_edge(START, "quote")
    g.add_conditional_edges("quote", route)
    g.add_edge("discount", "invoice")
    g.add_edge("full_price", "invoice")
    g.add_edge("invoice", END)
    return g.compile(checkpointer=checkpointer, name="pricing")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """One thread per setting, same order."""
    graph = build_graph()
    with pregel_viz.recording(graph, path) as rec:
        for thread, over in SETTINGS.items():
            config = {"configurable": {"thread_id": thread, "discount_over": over}}
            graph.invoke(dict(ORDER), config)
    return rec.run
