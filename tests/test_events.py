"""The log's schema (pregel_viz/events.py): what the recorder writes fits it, and LangGraph's
reserved names it declares are the installed LangGraph's."""

from __future__ import annotations

import asyncio
import importlib
import operator
from typing import Annotated, Any

import agents
import pytest
from graphs import CASES, CONTINUE, Case, run_plain
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph

import pregel_viz
from pregel_viz import events
from pregel_viz.recorder._lg import _THEIRS, reserved_name_differences


def _record(case: Case) -> list[dict[str, Any]]:
    graph = case.build(None)
    config = {**case.config, "configurable": {"thread_id": "t"}}
    resume = [None if r is CONTINUE else r for r in case.resume]
    if case.is_async:
        run = asyncio.run(pregel_viz.arecord(graph, case.input, config, resume=resume))
    else:
        run = pregel_viz.record(graph, case.input, config, resume=resume)
    return run.events


def _rebuilt(case: Case) -> list[dict[str, Any]]:
    saver = InMemorySaver()
    graph, _ = run_plain(case, saver, thread_id="t")
    return pregel_viz.from_checkpointer(graph, {"configurable": {"thread_id": "t"}}).events


def _misfits(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in log if e["k"] not in events.KINDS or not events.SCHEMA[e["k"]].ok(e)]


def test_every_event_the_recorder_writes_for_the_fixture_graphs_is_a_kind_and_fits_it() -> None:
    written: set[str] = set()
    for name, case in CASES.items():
        if case.slow:
            continue
        log = _record(case)
        assert _misfits(log) == [], name
        written |= {e["k"] for e in log}
    for name, (graph, input) in _AGENTS.items():  # the calls inside tasks
        log = pregel_viz.record(graph(), input).events
        assert _misfits(log) == [], name
        written |= {e["k"] for e in log}
    rebuilt = _rebuilt(CASES["send_map_reduce"])
    assert _misfits(rebuilt) == []
    assert written | {e["k"] for e in rebuilt} == set(events.KINDS)


_AGENTS = {
    "tool agent": (agents.tool_agent, {"messages": [("user", "weather in Paris? and 2+40")]}),
    "prompt chain": (agents.prompt_chain_graph, {"question": "capital of France?"}),
    "streaming": (agents.streaming_graph, {"messages": [("user", "count")]}),
}


def test_the_kinds_are_the_schemas_kinds() -> None:
    kinds = [events.META, events.GRAPH, events.CALL, events.CALL_END, events.CHECKPOINT]
    kinds += [events.WRITES, events.TASK_START, events.TASK_END, events.SPAN, events.SPAN_END]
    assert list(events.KINDS) == kinds == list(events.EVENTS) == list(events.SCHEMA)


@pytest.mark.parametrize("name", sorted(_THEIRS))
def test_every_reserved_name_is_compared_with_the_installed_langgraphs(name: str) -> None:
    module, attr = _THEIRS[name]
    theirs = getattr(importlib.import_module(module), attr)  # defined: the check is not vacuous
    assert getattr(events, name) == (theirs.format("") if name == "BRANCH_TO" else theirs)


def test_a_compiled_graph_names_its_channels_as_the_schema_says() -> None:
    graph = StateGraph(Annotated[list, operator.add])
    for name in ("a", "b", "c"):
        graph.add_node(name, lambda state, name=name: [name])
    graph.add_edge(events.START, "a")
    graph.add_edge(events.START, "b")
    graph.add_edge(["a", "b"], "c")
    channels = set(graph.compile().channels)
    assert {events.ROOT, events.START, events.TASKS} <= channels
    assert f"{events.BRANCH_TO}c" in channels
    assert f"{events.JOIN}a+b:c" in channels


def test_the_recorder_finds_no_reserved_name_spelled_otherwise() -> None:
    assert reserved_name_differences() == {}
