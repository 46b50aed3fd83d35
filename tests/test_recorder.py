"""The recorder on real graphs: what each case leaves in the model, and what it must not change."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Annotated, Any, TypedDict

import pytest
from graphs import CASES, HOSTILE_NODE, Case
from langgraph.channels import DeltaChannel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph

import pregel_viz
from pregel_viz import RecorderError
from pregel_viz.model import Run, Task
from pregel_viz.recorder import with_saver
from pregel_viz.values import CYCLE, TRUNCATED


def _record(case: Case, checkpointer: Any = None) -> Run:
    graph = case.build(checkpointer)
    config = {**case.config, "configurable": {"thread_id": "t"}}
    recorder = pregel_viz.arecord if case.is_async else pregel_viz.record
    resume = [None if r is _continue() else r for r in case.resume]
    if case.is_async:
        return asyncio.run(recorder(graph, case.input, config, resume=resume))  # type: ignore[arg-type]
    return recorder(graph, case.input, config, resume=resume)  # type: ignore[return-value]


def _continue() -> Any:
    from graphs import CONTINUE

    return CONTINUE


def _tasks(run: Run, name: str) -> list[Task]:
    return [t for t in run.thread.tasks() if t.name == name]


def test_given_a_graph_when_recording_ends_then_it_is_exactly_as_before() -> None:
    graph = CASES["fanout_fanin"].build(None)
    before = dict(graph.__dict__)
    with pytest.raises(KeyError):
        with pregel_viz.recording(graph):
            graph.invoke({"log": []})
            raise KeyError("user code fails inside the block")
    assert graph.__dict__ == before


def test_the_users_saver_still_receives_everything() -> None:
    saver = InMemorySaver()
    graph = CASES["send_map_reduce"].build(saver)
    config = {"configurable": {"thread_id": "mine"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke(CASES["send_map_reduce"].input, config)
    assert graph.checkpointer is saver
    ids = {t.config["configurable"]["checkpoint_id"] for t in saver.list(config)}
    assert ids == set(rec.run.threads["mine"].root.checkpoints)


def test_without_a_checkpointer_calls_on_one_thread_stay_independent() -> None:
    case = CASES["fanout_fanin"]
    plain = case.build(None)
    expected = [plain.invoke(case.input, {"configurable": {"thread_id": "x"}}) for _ in range(2)]
    graph = case.build(None)
    with pregel_viz.recording(graph) as rec:
        got = [graph.invoke(case.input, {"configurable": {"thread_id": "x"}}) for _ in range(2)]
    assert got == expected
    assert list(rec.run.threads) == ["x", "x#2"]


def test_batch_records_each_input_as_its_own_thread() -> None:
    case = CASES["conditional_path_map"]
    graph = case.build(None)
    with pregel_viz.recording(graph) as rec:
        out = graph.batch([case.input, case.input, case.input])
    assert len(out) == 3
    run = rec.run
    assert len(run.threads) == 3
    assert all(t.outcome["status"] == "completed" for t in run.threads.values())


def test_abatch_and_astream_are_recorded() -> None:
    case = CASES["async_fanout"]
    graph = case.build(None)

    async def go() -> None:
        await graph.abatch([case.input, case.input])
        async for _ in graph.astream(case.input):
            pass

    with pregel_viz.recording(graph) as rec:
        asyncio.run(go())
    assert len(rec.run.threads) == 3
    for thread in rec.run.threads.values():
        names = {t.name for t in thread.tasks()}
        assert {"a1", "a2", "a3", "merge"} <= names


def test_a_failing_node_is_the_outcome_and_finished_steps_stay() -> None:
    run = _record(CASES["parallel_error"])
    assert run.outcome["status"] == "error"
    assert run.outcome["error"]["type"] == "ValueError"
    (boom,) = _tasks(run, "boom")
    assert boom.error is not None and boom.error["type"] == "ValueError"
    assert boom.checkpoint_id is not None
    siblings = _tasks(run, "ok_left") + _tasks(run, "ok_right")
    assert all(t.status == "ok" and t.writes for t in siblings)
    last = run.supersteps[-1]
    assert last.checkpoint is None and {t.name for t in last.tasks} >= {"boom", "ok_left"}


def test_every_retry_attempt_is_timed() -> None:
    run = _record(CASES["retry_policy"])
    (flaky,) = _tasks(run, "flaky")
    assert [a.status for a in flaky.attempts] == ["error", "error", "ok"]
    assert flaky.attempts[0].error["type"] == "FlakyError"
    assert all(a.duration is not None and a.duration >= 0 for a in flaky.attempts)
    starts = [a.start for a in flaky.attempts]
    assert starts == sorted(starts)


def test_send_tasks_name_their_sender_and_carry_their_input() -> None:
    run = _record(CASES["send_map_reduce"])
    workers = _tasks(run, "worker")
    assert len(workers) >= 3
    assert {t.kind for t in workers} == {"push"}
    assert {t.sent_by for t in workers} == {"plan"}
    assert all(isinstance(t.input, dict) and "item" in t.input for t in workers)
    edges = {(e.source, e.target, e.kind): e.count for e in run.edges_taken()}
    assert edges[("plan", "worker", "send")] == len(workers)


def test_routing_that_get_graph_cannot_draw_is_in_the_edges_taken() -> None:
    run = _record(CASES["conditional_no_path_map"])
    drawn = {(e["source"], e["target"]) for e in run.graphs[""]["edges"]}
    taken = {(e.source, e.target) for e in run.edges_taken()}
    hidden = taken - drawn
    assert ("classify", "handle_small") in hidden


def test_subgraph_steps_live_in_their_own_namespace_linked_to_the_parent_task() -> None:
    run = _record(CASES["nested_subgraphs"])
    thread = run.thread
    nested = [ns for ns in thread.namespaces if ns.count("|") == 1]
    assert nested, list(thread.namespaces)
    leaf = thread.namespaces[nested[0]]
    assert leaf.node == "leaf"
    mid = thread.namespaces[leaf.parent_ns or ""]
    owner = mid.tasks[leaf.parent_task_id or ""]
    assert owner.name == "leaf" and nested[0] in owner.subgraphs
    assert any(t.name == "leaf_step" for t in leaf.tasks.values())
    assert "mid" in run.graphs and "mid|leaf" in run.graphs


def test_interrupt_rounds_are_calls_with_their_outcomes() -> None:
    run = _record(CASES["interrupt_twice"])
    statuses = [c.status for c in run.thread.calls]
    assert statuses == ["interrupted", "interrupted", "interrupted", "completed"]
    assert run.thread.calls[0].interrupts
    (ask,) = _tasks(run, "ask")
    assert len(ask.interrupts) == 2 and ask.resumes


def test_static_breakpoints_end_calls_as_interrupted() -> None:
    run = _record(CASES["static_interrupt_before"])
    assert [c.status for c in run.thread.calls] == ["interrupted", "completed"]


class _Count(TypedDict):
    n: int


def _stored_puts(monkeypatch: Any) -> list[Any]:
    """What any InMemorySaver is asked to store from now on."""
    stored: list[Any] = []
    put = InMemorySaver.put

    def counting(self: Any, config: Any, *args: Any) -> Any:
        stored.append(config)
        return put(self, config, *args)

    monkeypatch.setattr(InMemorySaver, "put", counting)
    return stored


def _shape(run: Run) -> Any:
    """What a run did, without its ids, timings or the saver's version strings."""
    thread = run.thread
    steps = [(s.step, s.source, s.values, sorted(s.updated)) for s in thread.root.supersteps]
    calls = [(c.status, c.interrupts, c.error) for c in thread.calls]
    return thread.outcome, calls, steps, sorted(t.name for t in thread.tasks())


@pytest.mark.parametrize(
    "case", [c for c in CASES.values() if not c.slow], ids=lambda c: str(c.name)
)
def test_record_without_resume_stores_no_checkpoint_and_records_as_before(
    case: Case, monkeypatch: Any
) -> None:
    # what record() recorded before, when it lent every graph without a saver an InMemorySaver
    config = {**case.config, "configurable": {"thread_id": "t"}}
    if case.is_async:
        before = asyncio.run(pregel_viz.arecord(with_saver(case.build(None)), case.input, config))
    else:
        before = pregel_viz.record(with_saver(case.build(None)), case.input, config)
    stored = _stored_puts(monkeypatch)
    graph = case.build(None)
    if case.is_async:
        run = asyncio.run(pregel_viz.arecord(graph, case.input, config))
    else:
        run = pregel_viz.record(graph, case.input, config)
    assert stored == [] and graph.checkpointer is None
    assert _shape(run) == _shape(before)
    if case.resume:  # an interrupt without resume: recorded as it was
        assert run.thread.outcome["status"] == "interrupted"


def test_record_keeps_an_in_memory_saver_when_a_checkpoint_is_read_back(
    monkeypatch: Any,
) -> None:
    stored = _stored_puts(monkeypatch)
    run = _record(CASES["interrupt_twice"])  # resumed: the interrupted checkpoint is read back
    assert stored and run.thread.outcome["status"] == "completed"
    # a subgraph compiled with checkpointer=True reads its own state back within one run
    child = StateGraph(_Count)
    child.add_node("tick", lambda s: {"n": s["n"] + 1})
    child.add_edge(START, "tick")
    parent = StateGraph(_Count)
    parent.add_node("child", child.compile(checkpointer=True))
    parent.add_edge(START, "child")
    stored.clear()
    assert pregel_viz.record(parent.compile(), {"n": 0}).outcome["status"] == "completed"
    assert stored


def test_update_state_and_forks_are_checkpoints_of_the_thread() -> None:
    case = CASES["fanout_fanin"]
    graph = case.build(InMemorySaver())
    config = {"configurable": {"thread_id": "tt"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke(case.input, config)
        history = list(graph.get_state_history(config))
        step1 = next(s for s in history if s.metadata["step"] == 1)
        forked = graph.update_state(step1.config, {"log": ["edited"]})
        graph.invoke(None, forked)
    root = rec.run.threads["tt"].root
    sources = [s.source for s in root.supersteps]
    assert "update" in sources
    update = next(s for s in root.supersteps if s.source == "update")
    assert (
        update.checkpoint is not None
        and update.checkpoint.parent == step1.config["configurable"]["checkpoint_id"]
    )
    assert "edited" in update.values["log"]
    # both branches stay: the original step 2 and the re-run after the fork
    assert len([s for s in root.supersteps if s.step == 3]) == 2


def test_functional_tasks_are_push_tasks_called_by_the_entrypoint() -> None:
    run = _record(CASES["functional_tasks"])
    squares = _tasks(run, "square")
    assert len(squares) == 4
    assert {t.kind for t in squares} == {"push"}
    assert {t.sent_by for t in squares} == {"squares_workflow"}
    assert run.state_at(run.supersteps[-1].step)


def test_task_calls_starting_at_once_are_each_named_and_timed(monkeypatch: Any) -> None:
    """LangGraph gives every @task call its caller's callback manager and writes the call's
    metadata into it just before reporting the call's start, so calls starting at once can all
    be reported with the last one's metadata: one call timed twice, another never (and unnamed).
    Forced here: each square call waits until all four have written their metadata."""
    from langgraph._internal import _runnable

    real = _runnable.get_callback_manager_for_config
    barrier = threading.Barrier(4)

    def racing(config: Any, tags: Any = None) -> Any:
        manager = real(config, tags)
        if config.get("run_name") == "square":
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
        return manager

    monkeypatch.setattr(_runnable, "get_callback_manager_for_config", racing)
    run = _record(CASES["functional_tasks"])
    assert not barrier.broken
    squares = _tasks(run, "square")
    assert len(squares) == 4 and not _tasks(run, "?")
    assert sorted(t.input["n"] for t in squares) == [1, 2, 3, 4]
    for t in squares:
        assert [a.index for a in t.attempts] == [1]
        assert t.writes == [["__return__", t.input["n"] ** 2]]


def test_channel_classes_and_reducers_are_recorded() -> None:
    run = _record(CASES["channel_variety"])
    classes = {k: v["class"] for k, v in run.graphs[""]["channels"].items()}
    assert {"Topic", "EphemeralValue", "BinaryOperatorAggregate", "LastValue"} <= set(
        classes.values()
    )
    reducers = [v.get("reducer") for v in run.graphs[""]["channels"].values()]
    assert any(r for r in reducers)
    fan = _record(CASES["fanout_fanin"])
    assert "NamedBarrierValue" in {v["class"] for v in fan.graphs[""]["channels"].values()}
    channels = run.graphs[""]["channels"]
    assert channels["events"]["accumulate"] is True and channels["recent"]["accumulate"] is False
    assert channels["total"]["reducer"] == "add"


def _merge(current: list[str], writes: Any) -> list[str]:
    return [*current, *(w for batch in writes for w in batch)]


class DeltaState(TypedDict, total=False):
    items: Annotated[list[str], DeltaChannel(_merge)]


def test_a_delta_channels_reducer_is_recorded() -> None:
    g = StateGraph(DeltaState)
    g.add_node("a", lambda s: {"items": ["x"]})
    g.add_edge(START, "a")
    run = pregel_viz.record(g.compile(), {"items": []})
    spec = run.graphs[""]["channels"]["items"]
    assert spec["class"] == "DeltaChannel" and spec["reducer"] == "_merge"


def test_hostile_values_are_recorded_bounded_and_inert() -> None:
    run = _record(CASES["hostile_values"])
    assert run.outcome["status"] == "completed"
    assert _tasks(run, HOSTILE_NODE)
    text = repr(run.to_dict())
    assert TRUNCATED in text  # the 5 MB string
    assert "<script>alert(1)</script>" in text
    assert CYCLE in text  # the cyclic list, in the writes of its untracked channel


def test_long_and_wide_runs_are_complete() -> None:
    long_run = _record(CASES["long_loop"])
    assert len(long_run.supersteps) > 300
    wide = _record(CASES["wide_fanout"])
    widest = max(len(s.tasks) for s in wide.supersteps)
    assert widest == 60


def test_recording_rejects_what_it_cannot_record() -> None:
    with pytest.raises(RecorderError, match="builder"):
        pregel_viz.record(object.__new__(type("StateGraph", (), {"compile": lambda s: s})), {})
    graph = CASES["fanout_fanin"].build(None)
    with pregel_viz.recording(graph):
        with pytest.raises(RecorderError, match="already"):
            with pregel_viz.recording(graph):
                pass


def test_state_at_and_diff_follow_the_state() -> None:
    run = _record(CASES["fanout_fanin"])
    steps = [s.step for s in run.supersteps]
    first, last = steps[1], steps[-1]
    diff = run.diff(first, last)
    assert "log" in diff["changed"]
    old, new = diff["changed"]["log"]
    assert new[: len(old)] == old and len(new) > len(old)
    with pytest.raises(KeyError, match="no superstep 99"):
        run.state_at(99)


class _OldSaver(InMemorySaver):
    """A saver written before LangGraph passed task_path to put_writes."""

    def put_writes(self, config: Any, writes: Any, task_id: str) -> None:  # type: ignore[override]
        super().put_writes(config, writes, task_id)


def test_a_saver_without_task_path_is_called_as_langgraph_calls_it() -> None:
    case = CASES["send_map_reduce"]
    graph = case.build(_OldSaver())
    config = {"configurable": {"thread_id": "old"}}
    with pregel_viz.recording(graph) as rec:
        out = graph.invoke(case.input, config)
    assert out == case.build(InMemorySaver()).invoke(case.input, config)
    assert {"plan", "worker", "reduce"} <= {t.name for t in rec.run.thread.tasks()}


def test_a_failing_recorder_never_reaches_the_graph(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from pregel_viz.recorder._session import Recorder

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Recorder, "on_writes", boom)
    case = CASES["fanout_fanin"]
    graph = case.build(InMemorySaver())
    config = {"configurable": {"thread_id": "f"}}
    with pregel_viz.recording(graph):
        out = graph.invoke(case.input, config)
    assert out == case.build(InMemorySaver()).invoke(case.input, config)
    assert "could not record put_writes: RuntimeError: disk full" in caplog.text


def test_a_drained_call_is_recorded_as_paused_and_resumable() -> None:
    import threading
    import time as _time

    from langgraph.errors import GraphDrained
    from langgraph.graph import END, START, StateGraph
    from langgraph.runtime import RunControl
    from typing_extensions import TypedDict

    class N(TypedDict):
        n: int

    def tick(state: N) -> dict[str, int]:
        _time.sleep(0.01)
        return {"n": state["n"] + 1}

    g = StateGraph(N)
    g.add_node("tick", tick)
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] < 50 else END)
    graph = g.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "drain"}}
    control = RunControl()
    with pregel_viz.recording(graph) as rec:
        threading.Timer(0.1, control.request_drain).start()
        with pytest.raises(GraphDrained):
            graph.invoke({"n": 0}, config, control=control)
        assert rec.run.outcome["status"] == "paused"
        out = graph.invoke(None, config)
    assert out == {"n": 50}
    assert [c.status for c in rec.run.thread.calls] == ["paused", "completed"]
