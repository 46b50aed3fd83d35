"""The calls made inside tasks: chat models, tools, retrievers and the chains between them,
recorded from real agents (LangChain's fake chat models, real tools, LangGraph's ToolNode)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import agents
from graphs import CASES
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

import pregel_viz
from pregel_viz.spans import total_usage

QUESTION = {"messages": [HumanMessage("weather in Paris? and 2+40")]}


def calls_by_task(run: pregel_viz.Run) -> list[tuple[str, list[Any]]]:
    return [
        (task.name, task.calls)
        for thread in run.threads.values()
        for space in thread.namespaces.values()
        for step in space.supersteps
        for task in step.tasks
    ]


def all_calls(run: pregel_viz.Run) -> list[Any]:
    return [c for _, calls in calls_by_task(run) for c in calls]


def test_a_tool_agent_records_every_model_and_tool_call_with_its_task() -> None:
    run = pregel_viz.record(agents.tool_agent(), QUESTION)
    assert run.outcome["status"] == "completed"
    # ToolNode runs the two tool calls in parallel: either may start first
    per_task = [
        (name, sorted((c.kind, c.name) for c in calls)) for name, calls in calls_by_task(run)
    ]
    assert per_task == [
        ("__start__", []),
        ("agent", [("chat_model", "ScriptedChat")]),
        ("tools", [("tool", "add"), ("tool", "get_weather")]),
        ("agent", [("chat_model", "ScriptedChat")]),
    ]
    first, second = (c for c in all_calls(run) if c.kind == "chat_model")
    # the prompt as sent: the human message, then (second call) the tool results
    assert [m["$type"].rsplit(".", 1)[1] for m in first.input] == ["HumanMessage"]
    assert [m["$type"].rsplit(".", 1)[1] for m in second.input] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
    ]
    assert first.model == agents.MODEL and first.status == "ok"
    assert first.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_weather"},
        {"name": "add", "args": {"a": 2, "b": 40}, "id": "call_add"},
    ]
    assert first.usage == agents.FIRST_USAGE and second.usage == agents.SECOND_USAGE
    assert second.output["$fields"]["content"] == agents.ANSWER
    assert second.tool_calls == []
    tools = {c.name: c for c in all_calls(run) if c.kind == "tool"}
    weather, add = tools["get_weather"], tools["add"]
    assert (weather.input, weather.tool_call_id) == ({"city": "Paris"}, "call_weather")
    assert (add.input, add.tool_call_id) == ({"a": 2, "b": 40}, "call_add")
    assert weather.output["$fields"]["content"] == "sunny in Paris"
    assert add.output["$fields"]["content"] == "42"
    for call in all_calls(run):
        assert call.parent is None and call.start is not None and call.end >= call.start
    # the token totals are the scripted usage
    usage = total_usage(all_calls(run))
    assert (usage.calls, usage.input_tokens, usage.output_tokens, usage.total_tokens) == (
        2,
        57 + 90,
        18 + 12,
        75 + 102,
    )


def test_recording_the_calls_changes_nothing_the_graph_returns() -> None:
    plain = agents.tool_agent().invoke(QUESTION)
    graph = agents.tool_agent()
    with pregel_viz.recording(graph):
        recorded = graph.invoke(QUESTION)
    assert [m.content for m in recorded["messages"]] == [m.content for m in plain["messages"]]
    assert recorded["messages"][-1].content == agents.ANSWER


def test_the_prebuilt_react_agent_runs_each_tool_call_as_its_own_task() -> None:
    run = pregel_viz.record(agents.react_agent(), QUESTION)
    tools = [
        (name, [c.name for c in calls]) for name, calls in calls_by_task(run) if name == "tools"
    ]
    assert sorted(tools) == [("tools", ["add"]), ("tools", ["get_weather"])]
    assert total_usage(all_calls(run)).total_tokens == 75 + 102


def test_a_tool_error_handled_by_toolnode_is_an_error_call() -> None:
    script = [
        AIMessage("", tool_calls=[{"name": "divide", "args": {"a": 1, "b": 0}, "id": "call_div"}]),
        AIMessage("Cannot divide by zero."),
    ]
    graph = agents.tool_agent(agents.ScriptedChat(responses=script))
    run = pregel_viz.record(graph, {"messages": [HumanMessage("1/0?")]})
    assert run.outcome["status"] == "completed"
    (div,) = (c for c in all_calls(run) if c.kind == "tool")
    assert div.status == "error" and div.tool_call_id == "call_div"
    assert div.error["type"] == "ZeroDivisionError"
    # and the graph went on with ToolNode's error message, as without recording
    tools_task = next(t for name, t in _tasks(run) if name == "tools")
    (message,) = tools_task.writes[0][1]
    assert message["$fields"]["status"] == "error"


def _tasks(run: pregel_viz.Run) -> list[tuple[str, Any]]:
    return [
        (t.name, t)
        for thread in run.threads.values()
        for space in thread.namespaces.values()
        for s in space.supersteps
        for t in s.tasks
    ]


def test_a_chain_is_recorded_around_the_model_call_it_leads_to() -> None:
    run = pregel_viz.record(agents.prompt_chain_graph(), {"question": "capital of France?"})
    assert (
        run.to_dict()["threads"][0]["namespaces"][""]["supersteps"][-1]["values"]["answer"]
        == "Paris"
    )
    (calls,) = [c for n, c in calls_by_task(run) if n == "answer"]
    chain, model = calls
    assert (chain.kind, chain.name, chain.parent) == ("chain", "RunnableSequence", None)
    assert chain.input == {"question": "capital of France?"}
    assert (model.kind, model.parent) == ("chat_model", chain.id)
    assert [m["$fields"]["content"] for m in model.input] == [
        "You answer in one word.",
        "capital of France?",
    ]
    assert chain.start <= model.start <= model.end <= chain.end
    assert model.usage == {"input_tokens": 11, "output_tokens": 1, "total_tokens": 12}


def test_a_streamed_model_call_has_its_chunks_and_first_token() -> None:
    run = pregel_viz.record(agents.streaming_graph(), {"messages": [HumanMessage("count")]})
    (call,) = all_calls(run)
    assert call.kind == "chat_model" and call.status == "ok"
    assert call.chunks is not None and call.chunks >= 4
    assert call.first_token is not None and 0 <= call.first_token <= call.duration


def test_an_agent_inside_a_subgraph_files_its_calls_under_the_subgraph_tasks() -> None:
    run = pregel_viz.record(agents.agent_in_subgraph(), QUESTION)
    thread = next(iter(run.threads.values()))
    (sub_ns,) = [ns for ns in thread.namespaces if ns]
    sub = thread.namespaces[sub_ns]
    names = [(t.name, sorted(c.name for c in t.calls)) for s in sub.supersteps for t in s.tasks]
    assert ("tools", ["add", "get_weather"]) in names
    assert sum(1 for n, c in names if n == "agent" and c == ["ScriptedChat"]) == 2
    # the outer task that ran the subgraph made no call of its own
    outer = [t for s in thread.root.supersteps for t in s.tasks if t.name == "assistant"]
    assert outer and all(t.calls == [] for t in outer)


def test_an_async_agent_records_its_calls() -> None:
    run = asyncio.run(pregel_viz.arecord(agents.async_tool_agent(), QUESTION))
    kinds = [c.kind for c in all_calls(run)]
    assert kinds.count("chat_model") == 2 and kinds.count("tool") == 2
    assert total_usage(all_calls(run)).total_tokens == 75 + 102


def test_a_graph_without_calls_writes_no_call_events() -> None:
    case = CASES["conditional_path_map"]
    run = pregel_viz.record(case.build(None), case.input)
    kinds = {e["k"] for e in run.events}
    assert "span" not in kinds and "span_end" not in kinds
    assert all(c == [] for _, c in calls_by_task(run))


def test_a_huge_prompt_is_cut_with_a_marker_never_dropped() -> None:
    big = "x" * 100_000
    script = [AIMessage("ok")]
    graph = agents.tool_agent(agents.ScriptedChat(responses=script))
    run = pregel_viz.record(graph, {"messages": [HumanMessage(big)]})
    (call,) = all_calls(run)
    text = json.dumps(call.input)
    assert "pregel_viz.truncated" in text and len(text) < 50_000
    # the state keeps the message whole, as it always did
    last = run.to_dict()["threads"][0]["namespaces"][""]["supersteps"][-1]["values"]
    assert last["messages"][0]["$fields"]["content"] == big


def test_the_export_lists_each_tasks_calls() -> None:
    run = pregel_viz.record(agents.tool_agent(), QUESTION)
    doc = json.loads(json.dumps(run.to_dict()))
    tasks = [t for s in doc["threads"][0]["namespaces"][""]["supersteps"] for t in s["tasks"]]
    assert all(isinstance(t["calls"], list) for t in tasks)
    calls = [c for t in tasks for c in t["calls"]]
    assert set(calls[0]) == {
        "id", "parent", "kind", "name", "model", "start", "end", "status", "error", "input",
        "output", "tool_calls", "tool_call_id", "usage", "first_token", "chunks",
    }  # fmt: skip
    assert sorted(c["name"] for c in calls) == [
        "ScriptedChat",
        "ScriptedChat",
        "add",
        "get_weather",
    ]


def test_a_run_rebuilt_from_a_checkpointer_has_unknown_calls() -> None:
    saver = InMemorySaver()
    graph = agents.tool_agent().copy(update={"checkpointer": saver})
    cfg = {"configurable": {"thread_id": "t1"}}
    graph.invoke(QUESTION, cfg)
    run = pregel_viz.from_checkpointer(graph, cfg)
    doc = run.to_dict()
    tasks = [t for s in doc["threads"][0]["namespaces"][""]["supersteps"] for t in s["tasks"]]
    assert tasks and all(t["calls"] is None for t in tasks)


def test_a_saved_log_reads_back_the_same_calls(tmp_path: Any) -> None:
    path = tmp_path / "agent.pregel"
    run = pregel_viz.record(agents.tool_agent(), QUESTION, path=path)
    again = pregel_viz.load(path)
    assert [(c.id, c.kind, c.name, c.usage, c.tool_calls) for c in all_calls(again)] == [
        (c.id, c.kind, c.name, c.usage, c.tool_calls) for c in all_calls(run)
    ]
