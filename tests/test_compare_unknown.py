"""Comparing a recorded run with one that does not know everything: a run rebuilt from a
checkpointer (``pregel_viz.from_checkpointer``; a run pulled from a LangGraph server lacks the same)
has no attempts (``task.attempts`` is ``UNKNOWN``), no calls, and only the last interrupt of a
task. What one side never knew is not a difference; and the prose names the ``__start__`` node
as the graph draws it, ``start``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest
from graphs import CASES, CONTINUE
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

import pregel_viz
from pregel_viz.model import UNKNOWN, Run


def _recorded_and_rebuilt(name: str) -> tuple[Run, Run]:
    """The case recorded live on an InMemorySaver thread, and the same thread rebuilt."""
    case = CASES[name]
    graph = case.build(InMemorySaver())
    config: dict[str, Any] = {**case.config, "configurable": {"thread_id": "t"}}
    rounds = [case.input, *(None if r is CONTINUE else Command(resume=r) for r in case.resume)]
    with pregel_viz.recording(graph) as rec:
        for payload in rounds:
            graph.invoke(payload, config)
    return rec.run, pregel_viz.from_checkpointer(graph, config)


@pytest.mark.parametrize("name", ["conditional_path_map", "retry_policy", "interrupt_twice"])
def test_given_a_recorded_run_and_its_rebuilt_thread_when_compared_then_they_are_identical(
    name: str,
) -> None:
    recorded, rebuilt = _recorded_and_rebuilt(name)
    # the rebuilt side really lacks what the recorder knows
    tasks = [t for s in rebuilt.thread.supersteps for t in s.tasks]
    assert tasks and all(t.attempts is UNKNOWN and t.calls is UNKNOWN for t in tasks)
    known = [t for s in recorded.thread.supersteps for t in s.tasks]
    if name == "retry_policy":  # a task that failed twice, then finished
        assert any(len(t.attempts) == 3 for t in known if isinstance(t.attempts, list))
    if name == "interrupt_twice":  # a task paused twice; the saver keeps the last interrupt
        assert any(len(t.interrupts) == 2 for t in known)
    for a, b in ((recorded, rebuilt), (rebuilt, recorded)):
        result = pregel_viz.compare(a, b)
        text = result.text()
        assert result.identical, text
        assert "finished in A but finished in B" not in text
        assert "in B but" not in text and "interrupt(s) in A" not in text


class _Log(TypedDict):
    log: Annotated[list[str], operator.add]


def _maybe_failing() -> Any:
    """work fails when the config says so."""

    def work(state: _Log, config: RunnableConfig) -> dict[str, list[str]]:
        if config["configurable"].get("fail"):
            raise ValueError("down")
        return {"log": ["work"]}

    g = StateGraph(_Log)
    g.add_node("work", work)
    g.add_edge(START, "work")
    g.add_edge("work", END)
    return g.compile(checkpointer=InMemorySaver())


def test_given_a_task_that_failed_on_one_side_only_then_the_rebuilt_side_still_differs() -> None:
    """Unknown attempts hide no real difference: a task that failed in the recorded run and
    finished in the rebuilt one is still told, in words that make sense."""
    live = _maybe_failing()
    with pregel_viz.recording(live) as rec, pytest.raises(ValueError, match="down"):
        live.invoke({"log": []}, {"configurable": {"thread_id": "t", "fail": True}})
    graph = _maybe_failing()
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    graph.invoke({"log": []}, config)
    rebuilt = pregel_viz.from_checkpointer(graph, config)
    result = pregel_viz.compare(rec.run, rebuilt)
    assert result.first is not None, result.text()
    assert result.first.details == "work failed (ValueError: down) in A but finished in B."


def test_given_two_inputs_when_compared_then_the_start_node_is_named_as_drawn() -> None:
    case = CASES["conditional_path_map"]
    a = pregel_viz.record(case.build(None), case.input)
    b = pregel_viz.record(case.build(None), {**case.input, "value": case.input["value"] + 100})
    text = pregel_viz.compare(a, b).text()
    assert "start wrote differently: wrote value: A 42, B 142." in text
    assert "__start__" not in text
