"""The trace: one canonical text of a run, the same bytes for the same behaviour."""

from __future__ import annotations

import asyncio
from typing import Any

import agents
import pytest
from graphs import CASES, CONTINUE, Case

import pregel_viz
from pregel_viz.analysis.trace import TRACE_HEADER, trace, trace_blocks

FAST = [name for name, case in CASES.items() if not case.slow]


def _resume(case: Case) -> list[Any]:
    return [None if r is CONTINUE else r for r in case.resume]


def _sync(case: Case) -> pregel_viz.Run:
    return pregel_viz.record(case.build(None), case.input, case.config, resume=_resume(case))


def _async(case: Case) -> pregel_viz.Run:
    return asyncio.run(
        pregel_viz.arecord(case.build(None), case.input, case.config, resume=_resume(case))
    )


@pytest.mark.parametrize("name", FAST)
def test_a_fixture_graph_traces_the_same_bytes_every_run_and_sync_or_async(name: str) -> None:
    case = CASES[name]
    first = _async(case) if case.is_async else _sync(case)
    text = trace(first)
    assert text.startswith(TRACE_HEADER + "\n") and text.endswith("\n")
    assert "[root] step" in text
    again = _async(case) if case.is_async else _sync(case)
    assert trace(again) == text
    if not case.is_async:  # the same graph through ainvoke behaves the same
        assert trace(_async(case)) == text


def test_a_trace_has_no_ids_timings_or_made_up_thread_ids() -> None:
    run = pregel_viz.record(agents.tool_agent(), {"messages": [("user", "weather in Paris?")]})
    text = trace(run)
    thread = next(iter(run.threads))
    assert thread not in text
    for task in run.thread.root.tasks.values():
        assert task.id not in text
    for cp in run.thread.root.checkpoints:
        assert cp not in text
    assert "0." not in text.replace("2 + 40", "")  # no float times


def test_the_agents_calls_and_messages_read_in_the_trace() -> None:
    run = pregel_viz.record(agents.tool_agent(), {"messages": [("user", "weather in Paris?")]})
    text = trace(run)
    assert "chat_model ScriptedChat (scripted-model-1): 57 -> 18 tokens" in text
    assert "tool get_weather [call call_weather]" in text
    assert '{"call": "call_weather", "name": "get_weather", "tool": "sunny in Paris"}' in text
    assert f'state ~ messages += [{{"ai": "{agents.ANSWER}"}}]' in text


def test_exclude_drops_state_keys_and_paths() -> None:
    case = CASES["send_map_reduce"]
    run = _sync(case)
    full = trace(run)
    assert "summary" in full
    text = trace(run, exclude=["summary", "items.*"])
    assert '"W,X,Y,Z"' not in text and "state + summary" not in text
    assert 'items = ["<excluded>", "<excluded>", "<excluded>", "<excluded>"]' in text


def test_exclude_looks_into_messages_fields() -> None:
    run = pregel_viz.record(agents.tool_agent(), {"messages": [("user", "weather in Paris?")]})
    text = trace(run, exclude=["messages.*.content"])
    assert "sunny in Paris" not in text.split("[root] step 2")[1].split("tool get_weather")[0]
    assert '"tool": "<excluded>"' in text


def test_a_run_that_fails_or_is_interrupted_traces_its_outcome() -> None:
    failing = next(n for n in FAST if CASES[n].raises is not None)
    text = trace(_sync(CASES[failing]))
    assert ": error" in text.splitlines()[3]
    interrupted = CASES["interrupt_twice"]
    run = pregel_viz.record(interrupted.build(None), interrupted.input)
    assert "run 1: interrupted, interrupts" in trace(run)


def test_blocks_cut_a_trace_at_its_step_headers() -> None:
    text = trace(_sync(CASES["send_map_reduce"]))
    blocks = trace_blocks(text)
    assert blocks[0][0] == "" and blocks[0][1][0] == TRACE_HEADER
    heads = [head for head, _ in blocks[1:]]
    assert heads == ["[root] step -1 (input)"] + [f"[root] step {n}" for n in (0, 1, 2, 3)]


def test_the_cli_prints_the_trace(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from pregel_viz.cli import main

    path = tmp_path / "run.pregel"
    run = pregel_viz.record(agents.tool_agent(), {"messages": [("user", "hi")]}, path=path)
    assert main(["trace", str(path)]) == 0
    assert capsys.readouterr().out == trace(run)
    assert main(["trace", str(path), "--exclude", "messages"]) == 0
    out = capsys.readouterr().out
    assert out == trace(run, exclude=["messages"])
    assert "state ~ messages" not in out and "write messages" not in out


def test_the_cli_help_says_what_the_trace_holds(capsys: pytest.CaptureFixture[str]) -> None:
    from pregel_viz.cli import main

    assert main(["trace", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "usage: pregel-viz trace [-h] [--exclude PATH] FILE" in text
    assert "FILE the .pregel log" in text
    # what a reader of --help needs: what it prints, what is left out, what to use it for
    assert "one block per superstep" in text
    assert "no ids or timings" in text
    assert "syrupy" in text and "pregel-viz diff --trace" in text


def test_the_cli_diffs_two_traces(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from pregel_viz.cli import main

    case = CASES["conditional_path_map"]
    big, small = tmp_path / "big.pregel", tmp_path / "small.pregel"
    pregel_viz.record(case.build(None), case.input, path=big)
    other = {**case.input, "value": 3}
    pregel_viz.record(case.build(None), other, path=small)
    assert main(["diff", "--trace", str(big), str(big)]) == 0
    assert capsys.readouterr().out == "the traces are identical\n"
    assert main(["diff", "--trace", str(big), str(small)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("first divergence at [root] step")
    assert f"--- {big}" in out and f"+++ {small}" in out


@pytest.mark.parametrize("name", ["send_map_reduce", "conditional_path_map", "subgraph_node"])
def test_invoke_stream_batch_and_durability_give_the_same_trace(name: str) -> None:
    """The parity trace: where LangGraph promises the same behaviour, the trace is the same.
    (durability="exit" saves only the last checkpoint, so its history is not the same.)"""
    from langgraph.checkpoint.memory import InMemorySaver

    case = CASES[name]
    base = trace(_sync(case))
    graph = case.build(None)
    with pregel_viz.recording(graph) as rec:
        list(graph.stream(case.input))
    assert trace(rec.run) == base
    graph = case.build(None)
    with pregel_viz.recording(graph) as rec:
        graph.batch([case.input])
    assert trace(rec.run) == base
    for durability in ("sync", "async"):
        graph = case.build(InMemorySaver())
        with pregel_viz.recording(graph) as rec:
            graph.invoke(case.input, {"configurable": {"thread_id": "t"}}, durability=durability)
        assert trace(rec.run) == base.replace("thread 1\n", "thread 1 t\n", 1)
