"""The state pregel-viz shows against LangGraph's own, for every stdlib channel class.

``channel_classes`` (tests/graphs.py) has a state key of every class, in the root graph and in a
subgraph. Each variant below runs it and compares the state recorded (or rebuilt) at every
checkpoint of every namespace with what LangGraph shows for that checkpoint:

* ``get_state_history``, the state as LangGraph reads it back from the saver;
* the ``checkpoints`` stream mode, the state as LangGraph held it when it made the checkpoint.

The two agree except where LangGraph's saver stored a later value than the checkpoint held:
under ``durability="async"`` a ``Topic(accumulate=True)`` or ``NamedBarrierValue`` is saved in
the background while the next superstep adds to it (LangGraph issue #8748). A slow saver makes
that happen every time here. A live recording shows what the checkpoint held, as the stream
does; a run rebuilt with ``from_checkpointer`` can only show what the saver stored, as
``get_state_history`` does. ``UntrackedValue`` keys are never checkpointed: the stream shows
their live value, the history (and pregel-viz) nothing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from graphs import build_channel_classes
from langgraph.channels import (
    AnyValue,
    BinaryOperatorAggregate,
    DeltaChannel,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Topic,
    UntrackedValue,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import EmptyChannelError
from langgraph.types import Overwrite

import pregel_viz
from pregel_viz.logfile import decode_payload, encode_event
from pregel_viz.model import Run
from pregel_viz.recorder import _channels
from pregel_viz.recorder._lg import _SNAPSHOT
from pregel_viz.recorder._topology import spec_key

INPUT = {"last": "in", "total": 1}
THREAD = "t-classes"
CFG = {"configurable": {"thread_id": THREAD}}
# LangGraph saves these classes' live containers (issue #8748)
ALIASED = (Topic, NamedBarrierValue, NamedBarrierValueAfterFinish)


class SlowSaver(InMemorySaver):
    """An in-memory saver that takes a while to store a checkpoint: under
    ``durability="async"`` every save then starts after the next superstep's writes."""

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        time.sleep(0.02)
        return super().put(config, checkpoint, metadata, new_versions)

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        await asyncio.sleep(0.02)
        return super().put(config, checkpoint, metadata, new_versions)


def _safe(value: Any) -> Any:
    """A live value as the log stores it."""
    return decode_payload(encode_event({"v": value}))["v"]


def _channels_of(graph: Any) -> dict[str, dict[str, Any]]:
    """Static namespace -> the live channels of that (sub)graph."""
    out = {"": dict(graph.channels)}
    for key, sub in graph.get_subgraphs(recurse=True):
        out[key] = dict(sub.channels)
    return out


def _keys(graph: Any, ns: str, kinds: tuple[type, ...]) -> set[str]:
    return {k for k, ch in _channels_of(graph)[spec_key(ns)].items() if isinstance(ch, kinds)}


def _stream(graph: Any, durability: str, is_async: bool) -> dict[str, dict[str, Any]]:
    """Run once with the ``checkpoints`` stream mode: checkpoint id -> the values LangGraph
    held when it made it (UntrackedValue keys left out: no checkpoint has them)."""
    kwargs: dict[str, Any] = {
        "durability": durability,
        "stream_mode": "checkpoints",
        "subgraphs": True,
    }

    async def collect() -> list[Any]:
        return [item async for item in graph.astream(INPUT, CFG, **kwargs)]

    items = asyncio.run(collect()) if is_async else list(graph.stream(INPUT, CFG, **kwargs))
    out: dict[str, dict[str, Any]] = {}
    for _ns, payload in items:
        conf = payload["config"]["configurable"]
        untracked = _keys(graph, conf["checkpoint_ns"], (UntrackedValue,))
        values = {k: v for k, v in payload["values"].items() if k not in untracked}
        out[conf["checkpoint_id"]] = _safe(values)
    return out


def _history(graph: Any, run: Run) -> dict[str, tuple[str, int, dict[str, Any]]]:
    """Checkpoint id -> (namespace, step, values) from get_state_history, every namespace."""
    out: dict[str, tuple[str, int, dict[str, Any]]] = {}
    for ns in run.threads[THREAD].namespaces:
        config = {"configurable": {"thread_id": THREAD, "checkpoint_ns": ns}}
        for snap in graph.get_state_history(config):
            cp_id = snap.config["configurable"]["checkpoint_id"]
            out[cp_id] = (ns, snap.metadata["step"], _safe(snap.values))
    return out


def _shown(run: Run) -> dict[str, tuple[str, int, dict[str, Any]]]:
    """Checkpoint id -> (namespace, step, values) as pregel-viz shows them."""
    return {
        cp.id: (ns, cp.step, cp.values)
        for ns, space in run.threads[THREAD].namespaces.items()
        for cp in space.checkpoints.values()
    }


def _without(values: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in keys}


def _by_step(shown: dict[str, tuple[str, int, dict[str, Any]]]) -> list[Any]:
    """(static namespace, step, values), in order: comparable between two runs."""
    return sorted((spec_key(ns), step, repr(values)) for ns, step, values in shown.values())


# --------------------------------------------------------------------------- live recordings


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "asyncio"])
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_recorded_state_is_langgraphs_at_every_checkpoint(durability: str, is_async: bool) -> None:
    graph = build_channel_classes(SlowSaver())
    with pregel_viz.recording(graph) as rec:
        streamed = _stream(graph, durability, is_async)
    shown = _shown(rec.run)
    history = _history(graph, rec.run)
    assert set(shown) == set(history)
    # the root's steps -1..6 and the subgraph's -1..5; with durability="exit", the root's last
    # checkpoint, after an empty one (step -2) that the DeltaChannel writes are filed under
    assert len(shown) == (2 if durability == "exit" else 15)
    for cp_id, (ns, step, values) in shown.items():
        where = f"{ns!r} step {step}"
        if step != -2:  # what LangGraph held when it made the checkpoint
            assert values == streamed[cp_id], where
        # what it reads back from the saver: the same, but for the containers it saved late
        late = _keys(graph, ns, ALIASED) if durability == "async" else set()
        assert _without(values, late) == _without(history[cp_id][2], late), where


def test_the_slow_saver_makes_langgraph_store_later_values() -> None:
    """The premise of the tests above: LangGraph's own history is wrong for these keys."""
    graph = build_channel_classes(SlowSaver())
    with pregel_viz.recording(graph) as rec:
        streamed = _stream(graph, "async", False)
    history = _history(graph, rec.run)
    wrong = {
        (ns, step)
        for cp_id, (ns, step, values) in history.items()
        if values.get("audit", values.get("sub_audit"))
        != (streamed[cp_id].get("audit", streamed[cp_id].get("sub_audit")))
    }
    assert len(wrong) >= 4  # both graphs' audit, in the steps before their last writes


@pytest.mark.parametrize("how", ["recording", "record"])
def test_recorded_state_without_a_checkpointer(how: str) -> None:
    """A graph without a checkpointer (lent a saver that stores nothing, or given an in-memory
    one by record()): compared step by step with a run under a saver, durability="sync"."""
    reference = build_channel_classes(InMemorySaver())
    reference.invoke(INPUT, CFG, durability="sync")
    graph = build_channel_classes(None)
    if how == "record":
        run = pregel_viz.record(graph, INPUT, CFG)
    else:
        with pregel_viz.recording(graph) as rec:
            graph.invoke(INPUT, CFG)
        run = rec.run
    truth: list[Any] = []
    sub_ns = [
        snap.tasks[0].state["configurable"]["checkpoint_ns"]
        for snap in reference.get_state_history(CFG)
        if snap.tasks and snap.tasks[0].name == "sub" and snap.tasks[0].state
    ]
    for ns in ["", *sorted(set(sub_ns))]:
        config = {"configurable": {"thread_id": THREAD, "checkpoint_ns": ns}}
        for snap in reference.get_state_history(config):
            truth.append((spec_key(ns), snap.metadata["step"], repr(_safe(snap.values))))
    assert _by_step(_shown(run)) == sorted(truth)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "asyncio"])
def test_recording_that_begins_mid_thread(is_async: bool) -> None:
    """A thread that ran before the recording began: the DeltaChannels of its first recorded
    checkpoint are read from the saver's history, as LangGraph reads them."""
    graph = build_channel_classes(InMemorySaver())
    graph.invoke(INPUT, CFG, interrupt_before=["collect"], durability="sync")
    with pregel_viz.recording(graph) as rec:
        if is_async:
            asyncio.run(graph.ainvoke(None, CFG, durability="sync"))
        else:
            graph.invoke(None, CFG, durability="sync")
    shown = _shown(rec.run)
    history = _history(graph, rec.run)
    assert shown
    for cp_id, (ns, step, values) in shown.items():
        assert values == history[cp_id][2], f"{ns!r} step {step}"
    assert ("", 4) in {(ns, step) for ns, step, _ in shown.values()}
    first = min(s for ns, s, _ in shown.values() if ns == "")
    root_first = next(v for ns, s, v in shown.values() if ns == "" and s == first)
    assert root_first["notes"] == ["reset", "collect"] and root_first["log"] == ["open", "collect"]


# --------------------------------------------------------------------------- post-mortem


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_rebuilt_state_is_langgraphs_history(durability: str) -> None:
    """from_checkpointer shows what get_state_history shows, at every checkpoint; under async
    durability that includes the late containers the saver stored (it cannot know better)."""
    graph = build_channel_classes(SlowSaver())
    streamed = _stream(graph, durability, False)
    run = pregel_viz.from_checkpointer(graph, CFG)
    shown = _shown(run)
    history = _history(graph, run)
    assert set(shown) == set(history) and len(shown) == 15
    differ = 0
    for cp_id, (ns, step, values) in shown.items():
        assert values == history[cp_id][2], f"{ns!r} step {step}"
        differ += values != streamed[cp_id]
    assert differ == 0 if durability == "sync" else differ > 0


def test_rebuilt_state_when_the_parent_is_gone() -> None:
    """A checkpoint whose parent the saver no longer lists: its DeltaChannels come from the
    saver's history."""
    graph = build_channel_classes(InMemorySaver())
    graph.invoke(INPUT, CFG, durability="sync")
    saver = graph.checkpointer
    root = {k: v for k, v in saver.storage[THREAD][""].items()}
    # hide the root's first checkpoints from list() only; get_tuple still finds them
    hidden = sorted(root)[:3]
    listed = saver.list

    def list_without(config: Any, **kw: Any) -> Any:
        for tup in listed(config, **kw):
            if tup.checkpoint["id"] not in hidden:
                yield tup

    saver.list = list_without  # type: ignore[method-assign]
    run = pregel_viz.from_checkpointer(graph, CFG)
    history = _history(graph, run)
    for cp_id, (ns, step, values) in _shown(run).items():
        assert values == history[cp_id][2], f"{ns!r} step {step}"


# --------------------------------------------------------------------------- the table


def _langgraph_shows(channel: Any, stored: Any) -> Any:
    try:
        return channel.from_checkpoint(stored).get()
    except EmptyChannelError:
        return _channels.ABSENT


def _fold(state: list[str], writes: list[Any]) -> list[str]:
    return [*state, *writes]


SNAPSHOT = _SNAPSHOT[0]

TABLE_CASES: list[tuple[Any, Any]] = [
    (LastValue(str), "x"),
    (AnyValue(str), "x"),
    (EphemeralValue(str), "x"),
    (BinaryOperatorAggregate(int, lambda a, b: a + b), 3),
    (BinaryOperatorAggregate(list, lambda a, b: a + b), SNAPSHOT(["a"])),
    (LastValueAfterFinish(str), ("x", False)),
    (LastValueAfterFinish(str), ("x", True)),
    (LastValueAfterFinish(str), ["x", True]),  # as a saver reads a pair back
    (NamedBarrierValue(str, {"a", "b"}), {"a"}),
    (NamedBarrierValue(str, {"a", "b"}), {"a", "b"}),
    (NamedBarrierValueAfterFinish(str, {"a", "b"}), ({"a", "b"}, False)),
    (NamedBarrierValueAfterFinish(str, {"a", "b"}), ({"a", "b"}, True)),
    (NamedBarrierValueAfterFinish(str, {"a", "b"}), ({"a"}, True)),
    (Topic(str), []),
    (Topic(str), ["a"]),
    (Topic(str, accumulate=True), ["a", "b"]),
    (DeltaChannel(_fold), SNAPSHOT(["a"])),
    (DeltaChannel(_fold), ["a"]),  # a value stored before the key became a DeltaChannel
]


@pytest.mark.parametrize(
    ("channel", "stored"), TABLE_CASES, ids=[f"{type(c).__name__}-{s!r}" for c, s in TABLE_CASES]
)
def test_the_table_reads_as_langgraph_does(channel: Any, stored: Any) -> None:
    assert _channels.shown(channel, stored) == _langgraph_shows(channel, stored)


def test_every_stdlib_class_is_in_the_table() -> None:
    import langgraph.channels as lgc

    classes = {getattr(lgc, n) for n in lgc.__all__ if n != "BaseChannel"}
    assert classes == set(_channels.SHOWN)


def test_a_delta_channel_overwrite_is_replayed() -> None:
    """The writes since the last snapshot are replayed as LangGraph replays them."""
    ch = DeltaChannel(_fold)
    assert _channels._replay(ch, ["a"], ["b", Overwrite(["c"]), "d"]) == ["c", "d"]
    assert _channels._replay(ch, _channels.ABSENT, ["b"]) == ["b"]
    assert _channels._replay(ch, SNAPSHOT(["a"]), ["b"]) == ["a", "b"]


def test_update_state_forks_and_replays_live_and_rebuilt() -> None:
    """update_state at the head and on a past checkpoint (with an Overwrite), then a replay
    from a past checkpoint: every checkpoint of the thread, recorded and rebuilt."""
    graph = build_channel_classes(InMemorySaver())
    with pregel_viz.recording(graph) as rec:
        graph.invoke(INPUT, CFG, interrupt_before=["collect"], durability="sync")
        edit = {"notes": ["edited"], "log": ["edited"], "audit": "edited"}
        graph.update_state(CFG, edit, as_node="right")
        graph.invoke(None, CFG, durability="sync")
        past = next(h for h in graph.get_state_history(CFG) if h.metadata["step"] == 2)
        forked = graph.update_state(
            past.config, {"notes": Overwrite(["forked"]), "log": ["f"]}, as_node="left"
        )
        graph.invoke(None, forked, durability="sync")
        graph.invoke(None, past.config, durability="sync")
    for run in (rec.run, pregel_viz.from_checkpointer(graph, CFG)):
        shown = _shown(run)
        history = _history(graph, run)
        assert set(shown) == set(history) and len(shown) > 25
        for cp_id, (ns, step, values) in shown.items():
            assert values == history[cp_id][2], f"{ns!r} step {step}"


def test_rebuilt_from_sqlite(tmp_path: Any) -> None:
    """A SqliteSaver file, rebuilt with the graph: the same values as its history."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(tmp_path / "cp.sqlite")) as saver:
        graph = build_channel_classes(saver)
        graph.invoke(INPUT, CFG, durability="sync")
        run = pregel_viz.from_checkpointer(graph, CFG)
        shown = _shown(run)
        history = _history(graph, run)
    assert set(shown) == set(history) and len(shown) == 15
    for cp_id, (ns, step, values) in shown.items():
        assert values == history[cp_id][2], f"{ns!r} step {step}"
