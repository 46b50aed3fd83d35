"""Lesson 04: map-reduce with ``Send``.

``split`` does not know in advance how many workers it needs, so a conditional edge returns
one ``Send("measure", {"word": w})`` per word. Each Send becomes its own task in the next
superstep, with its own private input (not the graph's state). The workers' writes to
``lengths`` are combined by its reducer, and ``report`` reads the result.
"""

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

import pregel_viz

THREAD = "lesson-04"
INPUT = {"sentence": "pregel runs in supersteps"}


class State(TypedDict, total=False):
    sentence: str
    words: list[str]
    lengths: Annotated[list[str], operator.add]
    longest: str


class WordTask(TypedDict):
    word: str  # what one Send carries to one "measure" task


def split(state: State) -> dict[str, Any]:
    return {"words": state["sentence"].split()}


def fan_out(state: State) -> list[Send]:
    return [Send("measure", {"word": w}) for w in state["words"]]


def measure(task: WordTask) -> dict[str, Any]:
    return {"lengths": [f"{task['word']}={len(task['word'])}"]}


def report(state: State) -> dict[str, Any]:
    longest = max(state["words"], key=len)
    return {"longest": longest}


def build_graph(checkpointer: Any = None) -> Any:
    """split -> one Send per word to measure -> report."""
    g = StateGraph(State)
    g.add_node("split", split)
    g.add_node("measure", measure, input_schema=WordTask)
    g.add_node("report", report)
    g.add_edge(START, "split")
    g.add_conditional_edges("split", fan_out, ["measure"])
    g.add_edge("measure", "report")
    g.add_edge("report", END)
    return g.compile(checkpointer=checkpointer, name="word_lengths")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """Record the lesson's run (into ``path`` when given)."""
    config = {"configurable": {"thread_id": THREAD}}
    return pregel_viz.record(build_graph(), dict(INPUT), config, path=path)
