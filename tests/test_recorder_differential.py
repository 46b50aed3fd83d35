"""Differential checks: what pregel-viz records against what LangGraph itself reports.

Every fixture graph runs twice on fresh builds, once plainly and once under recording, with the
same stream modes. The streamed output must be identical (recording changes nothing). The
recorded run is then compared with LangGraph's public views of the very same thread:
``get_state_history`` (root and every subgraph namespace), the ``tasks`` stream mode's task ids
and names, and the checkpoint ids, steps, sources, parents, values, next tasks and task errors
and interrupts they hold.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from graphs import CASES, CONTINUE, Case
from langgraph.channels import NamedBarrierValue, NamedBarrierValueAfterFinish, Topic
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import pregel_viz
from pregel_viz.logfile import decode_payload, encode_event
from pregel_viz.model import Run
from pregel_viz.recorder._topology import spec_key

MODES = ["updates", "tasks", "custom"]


def _params() -> list[Any]:
    return [
        pytest.param(case, id=name, marks=[pytest.mark.slow] if case.slow else [])
        for name, case in CASES.items()
    ]


def _safe(value: Any) -> Any:
    """A live value as the log stores it."""
    return decode_payload(encode_event({"v": value}))["v"]


def _drop_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_drop_ids(v) for v in value]
    return value


def _normalize(chunk: Any) -> Any:
    """Stream output as plain data, without the ids that differ between two runs of a graph."""
    return _drop_ids(_safe(chunk))


def _strip_ns(item: Any) -> Any:
    # (ns tuple, mode, payload): the namespace holds task ids; keep its static path only
    ns, mode, payload = item
    return (tuple(p.split(":")[0] for p in ns), mode, _normalize(payload))


def _config(case: Case) -> dict[str, Any]:
    return {**case.config, "configurable": {"thread_id": "t-diff"}}


def _rounds(case: Case) -> list[Any]:
    return [case.input, *(None if r is CONTINUE else Command(resume=r) for r in case.resume)]


def _drive(case: Case, graph: Any) -> tuple[list[Any], BaseException | None]:
    """Stream every round; return (raw stream items, exception that ended it)."""
    items: list[Any] = []
    config = _config(case)

    async def arun(payload: Any) -> None:
        async for item in graph.astream(payload, config, stream_mode=MODES, subgraphs=True):
            items.append(item)

    for payload in _rounds(case):
        try:
            if case.is_async:
                asyncio.run(arun(payload))
            else:
                for item in graph.stream(payload, config, stream_mode=MODES, subgraphs=True):
                    items.append(item)
        except Exception as exc:
            return items, exc
    return items, None


def _recorded(case: Case) -> tuple[Any, Run, list[Any], BaseException | None]:
    graph = case.build(InMemorySaver())
    with pregel_viz.recording(graph) as rec:
        items, exc = _drive(case, graph)
    return graph, rec.run, items, exc


@pytest.mark.parametrize("case", _params())
def test_recording_changes_no_streamed_output(case: Case) -> None:
    plain_items, plain_exc = _drive(case, case.build(InMemorySaver()))
    _, _, rec_items, rec_exc = _recorded(case)
    if case.raises is not None:
        # When a task fails, LangGraph drops the results of siblings still running from the
        # stream, whichever they are: only the task starts are deterministic then.
        rec_items = [i for i in rec_items if i[1] == "tasks" and "input" in i[2]]
        plain_items = [i for i in plain_items if i[1] == "tasks" and "input" in i[2]]
    # parallel tasks finish in any order: compare the items, not their interleaving
    assert sorted(repr(_strip_ns(i)) for i in rec_items) == sorted(
        repr(_strip_ns(i)) for i in plain_items
    )
    assert _normalize(rec_exc) == _normalize(plain_exc)
    if case.raises is not None:
        assert isinstance(rec_exc, case.raises)


def _history(graph: Any, ns: str) -> list[Any]:
    config = {"configurable": {"thread_id": "t-diff", "checkpoint_ns": ns}}
    return list(graph.get_state_history(config))


def _saved_late(graph: Any, ns: str) -> set[str]:
    """State keys whose saved value may be later than the checkpoint: under the default
    durability ("async"), LangGraph saves a Topic's or a barrier's live container in the
    background while the next superstep adds to it (LangGraph issue #8748). The recording keeps
    the checkpoint's own value (tests/test_channel_values.py checks it against the stream)."""
    key = spec_key(ns)
    found = (
        graph
        if not key
        else next((g for k, g in graph.get_subgraphs(recurse=True) if k == key), None)
    )
    channels = getattr(found, "channels", {})
    late = (Topic, NamedBarrierValue, NamedBarrierValueAfterFinish)
    return {k for k, ch in channels.items() if isinstance(ch, late)}


@pytest.mark.parametrize("case", _params())
def test_recorded_checkpoints_match_get_state_history(case: Case) -> None:
    graph, run, _items, _ = _recorded(case)
    thread = run.threads["t-diff"]
    root_history = _history(graph, "")
    assert root_history, "LangGraph kept no history"
    for ns, space in thread.namespaces.items():
        history = root_history if ns == "" else _history(graph, ns)
        if ns and not history:
            continue  # a subgraph compiled with checkpointer=False keeps nothing
        by_id = {snap.config["configurable"]["checkpoint_id"]: snap for snap in history}
        assert set(by_id) == set(space.checkpoints), f"checkpoint ids differ in {ns!r}"
        for cp_id, snap in by_id.items():
            cp = space.checkpoints[cp_id]
            assert cp.step == snap.metadata["step"]
            assert cp.source == snap.metadata["source"]
            parent = (
                snap.parent_config["configurable"]["checkpoint_id"] if snap.parent_config else None
            )
            assert cp.parent == parent
            late = _saved_late(graph, ns)
            values = snap.values if isinstance(snap.values, dict) else {}
            assert set(cp.values) - late == set(values) - late, f"{ns!r} step {cp.step} keys"
            for key, value in values.items():
                if key not in late:
                    assert cp.values[key] == _safe(value), f"{ns!r} step {cp.step} key {key}"
            _check_tasks(space, cp, snap)


def _check_tasks(space: Any, cp: Any, snap: Any) -> None:
    """LangGraph's tasks of a snapshot (those that run from it) against the recorded ones."""
    recorded = {t.id: t for t in space.tasks.values() if t.checkpoint_id == cp.id}
    predicted = set(cp.why)
    for task in snap.tasks:
        if task.id in recorded:
            mine = recorded[task.id]
            assert mine.name == task.name
            assert (mine.error is not None) == (task.error is not None)
            if task.interrupts:  # LangGraph keeps the pending ones; the log keeps them all
                pending = [_safe(i.value) for i in task.interrupts]
                assert mine.interrupts[-len(pending) :] == pending
        else:
            # not run (yet): it must be one LangGraph's trigger rule predicts, or a Send
            assert task.name in predicted or task.path[0] == "__pregel_push", (
                f"task {task.name} at step {cp.step} neither recorded nor predicted"
            )
    assert Counter(t.name for t in snap.tasks if t.path[0] != "__pregel_push") <= Counter(
        {name: 1 for name in predicted}
    ) + Counter(t.name for t in recorded.values())


@pytest.mark.parametrize("case", _params())
def test_streamed_tasks_are_recorded_with_their_ids(case: Case) -> None:
    _, run, items, _ = _recorded(case)
    thread = run.threads["t-diff"]
    tasks = {t.id: t for t in thread.tasks()}
    streamed = [
        (ns, payload) for ns, mode, payload in items if mode == "tasks" and "input" in payload
    ]
    assert streamed or case.raises, "the stream showed no task"
    for ns, payload in streamed:
        task = tasks.get(payload["id"])
        assert task is not None, f"streamed task {payload['name']} missing from the log"
        assert task.name == payload["name"]
        assert spec_key(task.ns) == spec_key("|".join(ns)) or task.kind == "push"
    for name in case.expect_nodes:
        assert any(t.name == name for t in tasks.values()), f"no task {name}"


@pytest.mark.parametrize("case", _params())
def test_every_pull_task_has_its_why(case: Case) -> None:
    _, run, _, _ = _recorded(case)
    for thread in run.threads.values():
        for space in thread.namespaces.values():
            for step in space.supersteps:
                for task in step.tasks:
                    if (
                        task.kind == "pull"
                        and step.parent is not None
                        and task.triggers is not None
                    ):
                        assert task.triggers, f"{task.name} at step {step.step} has no reason"
                        for trig in task.triggers:
                            assert trig.current is not None
                            assert trig.seen is None or str(trig.seen) < str(trig.current)
                            assert trig.written_by, f"{trig.channel} has no writer"
                    if task.kind == "push" and "__pregel_pull" not in task.path:
                        assert task.sent_by, f"Send task {task.name} has no sender"


@pytest.mark.parametrize("case", _params())
def test_log_file_reads_back_as_the_live_model(case: Case, tmp_path: Any) -> None:
    path = tmp_path / "run.pregel"
    graph = case.build(InMemorySaver())
    with pregel_viz.recording(graph, path) as rec:
        _drive(case, graph)
    assert pregel_viz.load(path).to_dict() == rec.run.to_dict()
