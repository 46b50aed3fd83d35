"""pregel_viz.instrument: a graph that records the runs a LangGraph server makes on it.

Locally, an instrumented graph is given its checkpointer the way the server gives it (a copy
with ``checkpointer=...``, or one lent through the config) and run on thread ids; then inside a
real ``langgraph dev`` (the session's server, serving ``server_app/instrumented_graphs.py``).
Each thread's log must trace exactly like ``pregel_viz.record`` of the same graph and input.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import logging
import os
import pathlib
import threading
from typing import Any

import pytest
from graphs import CASES, CONTINUE, Case, rounds_of, run_rounds
from langgraph.checkpoint.memory import InMemorySaver

import pregel_viz
from pregel_viz.recorder import _thread_log
from pregel_viz.recorder.instrument import forget_ended_logs, instrument, log_path

# routing, Send fan-out, join, subgraphs, interrupt + resume, errors, retries, async, functional
LOCAL = [
    "conditional_path_map",
    "fanout_fanin",
    "send_map_reduce",
    "command_goto",
    "command_parent",
    "subgraph_node",
    "subgraph_in_node",
    "nested_subgraphs",
    "interrupt_twice",
    "static_interrupt_before",
    "parallel_error",
    "retry_policy",
    "async_fanout",
    "functional_interrupt",
    "messages_state",
    "channel_variety",
]
CHECKPOINTER_KEY = "__pregel_checkpointer"


def _config(case: Case, thread_id: str) -> dict[str, Any]:
    return {
        **case.config,
        "configurable": {**case.config.get("configurable", {}), "thread_id": thread_id},
    }


def _local(case: Case, thread_id: str, name: str | None = None) -> pregel_viz.Run:
    resume = [None if r is CONTINUE else r for r in case.resume]
    graph = case.build(None)
    if name is not None and graph.name == "LangGraph":  # a server names it after its id
        graph = graph.copy(update={"name": name})
    config = _config(case, thread_id)
    if case.is_async:
        return asyncio.run(pregel_viz.arecord(graph, case.input, config, resume=resume))
    return pregel_viz.record(graph, case.input, config, resume=resume)


def _outcome(result: Any) -> Any:
    return (
        ("raised", type(result).__name__, str(result)) if isinstance(result, Exception) else result
    )


@pytest.mark.parametrize("lend", ["copy", "config"])
@pytest.mark.parametrize("name", LOCAL)
def test_given_a_fixture_graph_when_instrumented_then_its_log_traces_like_a_local_recording(
    name: str, lend: str, tmp_path: pathlib.Path
) -> None:
    case = CASES[name]
    thread = f"thread-{name}"
    graph = instrument(case.build(None), directory=tmp_path)
    saver = InMemorySaver()
    config = _config(case, thread)
    if lend == "copy":  # what the server does with a graph named in langgraph.json
        graph = graph.copy(update={"checkpointer": saver})
    else:  # what it does for a graph factory, and what a parent graph does for a subgraph
        config["configurable"][CHECKPOINTER_KEY] = saver
    result = run_rounds(graph, case, config)

    _, plain = _plain(case, thread)
    assert _outcome(result) == _outcome(plain)  # recording changed nothing
    got = pregel_viz.load(log_path(tmp_path, thread))
    want = _local(case, thread)
    assert pregel_viz.trace(got) == pregel_viz.trace(want)
    assert len(got.thread.calls) == len(rounds_of(case)) or isinstance(result, Exception)
    assert [c.status for c in got.thread.calls] == [c.status for c in want.thread.calls]
    assert sorted(os.listdir(tmp_path)) == sorted([f"{thread}.pregel", f".{thread}.pregel.lock"])


def _plain(case: Case, thread: str) -> tuple[Any, Any]:
    graph = case.build(InMemorySaver())
    return graph, run_rounds(graph, case, _config(case, thread))


def test_given_a_retried_task_when_instrumented_then_every_attempt_is_timed(
    tmp_path: pathlib.Path,
) -> None:
    case = CASES["retry_policy"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    run_rounds(graph, case, _config(case, "r"))
    run = pregel_viz.load(log_path(tmp_path, "r"))
    (flaky,) = [t for t in run.thread.tasks() if t.name == "flaky"]
    assert [a.status for a in flaky.attempts] == ["error", "error", "ok"]
    assert all(a.end is not None and a.end >= a.start for a in flaky.attempts)


def test_given_many_threads_at_once_when_instrumented_then_no_log_holds_another_threads_run(
    tmp_path: pathlib.Path,
) -> None:
    case = CASES["send_map_reduce"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    inputs = {f"t{i}": {"items": [f"x{i}-{j}" for j in range(i % 4 + 1)]} for i in range(12)}
    start = threading.Barrier(6)

    def run(thread: str) -> Any:
        if thread in ("t0", "t1", "t2", "t3", "t4", "t5"):  # the first six start together
            start.wait()
        config = {"configurable": {"thread_id": thread}}
        first = graph.invoke(inputs[thread], config)
        second = graph.invoke({"items": ["again"]}, config)  # a second run on the thread
        return first, second

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = dict(zip(inputs, pool.map(run, inputs), strict=True))

    for thread, payload in inputs.items():
        got = pregel_viz.load(log_path(tmp_path, thread))
        assert list(got.threads) == [thread]
        assert [c.input for c in got.thread.calls] == [payload, {"items": ["again"]}]
        assert [c.index for c in got.thread.calls] == [1, 2]
        local = pregel_viz.recording(case.build(InMemorySaver()))
        with local as rec:
            config = {"configurable": {"thread_id": thread}}
            rec.graph.invoke(payload, config)
            rec.graph.invoke({"items": ["again"]}, config)
        assert pregel_viz.trace(got) == pregel_viz.trace(rec.run)
        plain = case.build(InMemorySaver())
        config = {"configurable": {"thread_id": thread}}
        assert results[thread] == (
            plain.invoke(payload, config),
            plain.invoke({"items": ["again"]}, config),
        )


def test_given_two_workers_when_they_take_turns_on_a_thread_then_it_keeps_one_log(
    tmp_path: pathlib.Path,
) -> None:
    """Two graph objects (two server workers) share the directory and the checkpointer."""
    case = CASES["interrupt_twice"]
    saver = InMemorySaver()
    built = case.build(None)  # one build: its nodes count their runs in a closure
    workers = [
        instrument(built, directory=tmp_path).copy(update={"checkpointer": saver}) for _ in range(2)
    ]
    config = _config(case, "shared")
    for i, payload in enumerate(rounds_of(case)):
        workers[i % 2].invoke(payload, config)
    got = pregel_viz.load(log_path(tmp_path, "shared"))
    assert pregel_viz.trace(got) == pregel_viz.trace(_local(case, "shared"))
    calls = got.thread.calls
    assert [c.index for c in calls] == [1, 2, 3, 4]
    starts = [c.start for c in calls]
    assert starts == sorted(starts) and starts[0] is not None
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize("where", ["a file", "inside a file", "read-only"])
def test_given_a_directory_it_cannot_write_when_a_run_goes_then_the_run_is_unchanged(
    where: str, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    if where == "a file":
        directory = blocker
    elif where == "inside a file":
        directory = blocker / "runs"
    else:
        directory = tmp_path / "ro"
        directory.mkdir()
        directory.chmod(0o500)
        if os.access(directory, os.W_OK):  # root writes anyway
            pytest.skip("running as root: a read-only directory is writable")
    case = CASES["parallel_error"]
    graph = instrument(case.build(InMemorySaver()), directory=directory)
    ok = instrument(CASES["conditional_path_map"].build(InMemorySaver()), directory=directory)
    with caplog.at_level(logging.WARNING, logger="pregel_viz"):
        result = run_rounds(graph, case, _config(case, "x"))
        fine = ok.invoke(CASES["conditional_path_map"].input, {"configurable": {"thread_id": "y"}})
    assert _outcome(result) == _outcome(_plain(case, "x")[1])
    assert fine == _plain(CASES["conditional_path_map"], "y")[1]
    assert "could not record thread x" in caplog.text
    assert "could not record thread y" in caplog.text


def test_given_a_full_disk_when_a_run_goes_then_it_is_unchanged_and_the_log_cut_short(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up in the middle of a run: the run goes on, the log keeps its first
    frames and a warning says it is incomplete."""
    case = CASES["long_loop"]
    real_open = open
    written = {"n": 0}

    class Full:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def write(self, data: Any) -> int:
            written["n"] += 1
            if written["n"] > 2:  # the header and one batch fit
                raise OSError(28, "No space left on device")
            return int(self.fh.write(data))

        def close(self) -> None:
            self.fh.close()

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        fh = real_open(path, *args, **kwargs)
        return Full(fh) if str(path).endswith("full.pregel") and "w" in args[0] else fh

    import pregel_viz.logfile as logfile

    monkeypatch.setattr(logfile, "open", fake_open, raising=False)
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    with caplog.at_level(logging.WARNING, logger="pregel_viz"):
        result = run_rounds(graph, case, _config(case, "full"))
    assert _outcome(result) == _outcome(_plain(case, "full")[1])
    assert written["n"] > 2
    assert "incomplete" in caplog.text
    cut = pregel_viz.load(log_path(tmp_path, "full"))  # the frames written before it
    assert len(cut.thread.root.supersteps) < len(_local(case, "full").thread.root.supersteps)


def test_given_a_damaged_log_when_a_run_goes_then_it_is_set_aside_and_a_new_one_begins(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = pathlib.Path(log_path(tmp_path, "d"))
    path.write_bytes(b"garbage, not a log")
    case = CASES["conditional_path_map"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    with caplog.at_level(logging.WARNING, logger="pregel_viz"):
        graph.invoke(case.input, {"configurable": {"thread_id": "d"}})
    assert "set aside" in caplog.text
    (aside,) = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert aside.read_bytes() == b"garbage, not a log"
    assert pregel_viz.trace(pregel_viz.load(path)) == pregel_viz.trace(_local(case, "d"))


def test_given_a_thread_log_locked_by_another_run_when_a_run_goes_then_it_gets_its_own_file(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    case = CASES["conditional_path_map"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    fd = os.open(tmp_path / ".busy.pregel.lock", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with caplog.at_level(logging.WARNING, logger="pregel_viz"):
            graph.invoke(case.input, {"configurable": {"thread_id": "busy"}})
    finally:
        os.close(fd)
    assert "being written by another run" in caplog.text
    assert not (tmp_path / "busy.pregel").exists()
    side = pregel_viz.load(tmp_path / "busy.2.pregel")
    assert pregel_viz.trace(side) == pregel_viz.trace(_local(case, "busy"))


def test_given_odd_thread_ids_when_instrumented_then_each_gets_a_safe_file_of_its_own(
    tmp_path: pathlib.Path,
) -> None:
    case = CASES["conditional_path_map"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    ids = ["../escape", "a/b", "a_b", ".hidden", "é", "x" * 300]
    for tid in ids:
        graph.invoke(case.input, {"configurable": {"thread_id": tid}})
    paths = {log_path(tmp_path, tid) for tid in ids}
    assert len(paths) == len(ids)
    for tid in ids:
        path = pathlib.Path(log_path(tmp_path, tid))
        assert path.parent == tmp_path and not path.name.startswith(".")
        assert list(pregel_viz.load(path).threads) == [tid]


def test_given_no_directory_when_instrumented_then_the_graph_is_returned_as_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    graph = CASES["conditional_path_map"].build(None)
    monkeypatch.delenv("PREGEL_VIZ_DIR", raising=False)
    assert instrument(graph) is graph
    monkeypatch.setenv("PREGEL_VIZ_DIR", str(tmp_path / "env"))
    served = instrument(graph).copy(update={"checkpointer": InMemorySaver()})
    served.invoke(CASES["conditional_path_map"].input, {"configurable": {"thread_id": "e"}})
    assert os.path.exists(log_path(tmp_path / "env", "e"))
    assert type(graph).stream is not type(served).stream
    assert isinstance(served, type(graph))


def test_given_an_instrumented_graph_used_as_a_subgraph_then_only_the_parent_records_it(
    tmp_path: pathlib.Path,
) -> None:
    from graphs import build_subgraph_node
    from langgraph.graph import START, StateGraph

    inner = instrument(build_subgraph_node(None), directory=tmp_path)
    schema = build_subgraph_node(None).builder.state_schema
    parent = StateGraph(schema)
    parent.add_node("wrapped", inner)
    parent.add_edge(START, "wrapped")
    graph = instrument(parent.compile(checkpointer=InMemorySaver()), directory=tmp_path)
    graph.invoke(CASES["subgraph_node"].input, {"configurable": {"thread_id": "p"}})
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".pregel")) == ["p.pregel"]
    run = pregel_viz.load(log_path(tmp_path, "p"))
    assert len(run.thread.namespaces) > 2  # the parent, the wrapped graph and its child


# --- inside a real server ------------------------------------------------------------------------

SERVED = {  # graph id in server_app/langgraph.json -> (builder, input, resume rounds)
    "instrumented_routing": ("conditional_path_map", None),
    "instrumented_send": ("send_map_reduce", None),
    "instrumented_subgraph": ("subgraph_node", None),
    "instrumented_interrupt": ("interrupt", ["yes", "because", "ok"]),
    "instrumented_error": ("parallel_error", None),
    "instrumented_retry": ("retry_policy", None),
}


def _served_case(graph_id: str) -> Case:
    name, resume = SERVED[graph_id]
    if name == "interrupt":
        from server_app.fixture_graphs import build_interrupt

        return Case(
            "interrupt", build_interrupt, {"draft": "d", "answers": [], "log": []}, tuple(resume)
        )
    return CASES[name]


def _same_writes(trace: str) -> str:
    """``trace`` with each task's writes sorted: a node's edges live in a set, so the order in
    which it writes its ``branch:to:*`` channels follows the process's string hash seed, which
    differs between the server and this process."""
    out: list[str] = []
    block: list[str] = []
    for line in [*trace.splitlines(), ""]:
        if line.startswith("    write "):
            block.append(line)
            continue
        out.extend(sorted(block))
        block = []
        out.append(line)
    return "\n".join(out)


def _serve(client: Any, graph_id: str, case: Case) -> tuple[str, Any]:
    """One thread of ``graph_id``: the input, then each resume, one run each."""
    thread = client.threads.create()["thread_id"]
    result: Any = None
    for i, payload in enumerate([case.input, *case.resume]):
        kwargs = {"input": payload} if i == 0 else {"command": {"resume": payload}}
        result = client.runs.wait(thread, graph_id, raise_error=False, **kwargs)
    return thread, result


@pytest.mark.parametrize("graph_id", sorted(SERVED))
def test_given_a_served_instrumented_graph_when_a_thread_runs_then_its_log_traces_like_local(
    graph_id: str, langgraph_server: Any
) -> None:
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=langgraph_server.url)
    case = _served_case(graph_id)
    thread, _ = _serve(client, graph_id, case)
    path = log_path(langgraph_server.app_dir / "pregel-runs", thread)
    got = pregel_viz.load(path)
    want = _local(case, thread, graph_id)
    assert _same_writes(pregel_viz.trace(got)) == _same_writes(pregel_viz.trace(want))
    assert [c.status for c in got.thread.calls] == [c.status for c in want.thread.calls]
    assert got.outcome == want.outcome
    if graph_id == "instrumented_retry":
        (flaky,) = [t for t in got.thread.tasks() if t.name == "flaky"]
        assert [a.status for a in flaky.attempts] == ["error", "error", "ok"]
    assert "could not record" not in langgraph_server.log()
    assert "Blocking call" not in langgraph_server.log()


def test_given_runs_on_several_threads_at_once_in_the_server_then_no_log_mixes_them(
    langgraph_server: Any,
) -> None:
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=langgraph_server.url)
    inputs = {}
    for i in range(6):
        thread = client.threads.create()["thread_id"]
        inputs[thread] = {"items": [f"t{i}-{j}" for j in range(i + 1)]}
    runs = [
        (thread, client.runs.create(thread, "instrumented_send", input=payload))
        for thread, payload in inputs.items()
    ]  # all queued before any is waited for
    for thread, run in runs:
        client.runs.join(thread, run["run_id"])
    case = CASES["send_map_reduce"]
    for thread, payload in inputs.items():
        got = pregel_viz.load(log_path(langgraph_server.app_dir / "pregel-runs", thread))
        assert list(got.threads) == [thread]
        assert [c.input for c in got.thread.calls] == [payload]
        local = pregel_viz.record(
            case.build(None).copy(update={"name": "instrumented_send"}),
            payload,
            {"configurable": {"thread_id": thread}},
        )
        assert _same_writes(pregel_viz.trace(got)) == _same_writes(pregel_viz.trace(local))


def test_given_a_thread_edited_through_the_server_then_its_log_has_the_update_step(
    langgraph_server: Any,
) -> None:
    """A user edits a thread's state through the server's API (what Studio's state editor
    does): the server calls the instrumented graph's aupdate_state, which is recorded."""
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=langgraph_server.url)
    thread = client.threads.create()["thread_id"]
    case = CASES["conditional_path_map"]
    client.runs.wait(thread, "instrumented_routing", input=case.input)
    client.threads.update_state(thread, {"value": 3})
    client.runs.wait(thread, "instrumented_routing", input=case.input)
    got = pregel_viz.load(log_path(langgraph_server.app_dir / "pregel-runs", thread))
    sources = [s.source for s in got.thread.supersteps]
    assert sources.count("update") == 1 and sources.count("input") == 2, sources
    (update,) = [s for s in got.thread.supersteps if s.source == "update"]
    assert got.state_at(update.step)["value"] == 3
    assert "could not record" not in langgraph_server.log()


# --------------------------------------------------------------------------- a long thread


@pytest.mark.parametrize("process", ["same", "new"])
def test_given_a_thread_when_each_run_goes_then_it_is_appended_to_its_log_never_rewritten(
    tmp_path: pathlib.Path, process: str
) -> None:
    """Each run adds its own bytes after the earlier runs' (in a new process too, which reads
    the log once to go on with its call numbers and clock); the log is the whole thread."""
    case = CASES["interrupt_twice"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    config = _config(case, "long")
    path = pathlib.Path(log_path(tmp_path, "long"))
    seen: list[bytes] = []
    for payload in rounds_of(case):
        if process == "new":
            forget_ended_logs()  # what a new worker process knows of the file: nothing
        graph.invoke(payload, config)
        data = path.read_bytes()
        if seen:
            assert data.startswith(seen[-1]) and len(data) > len(seen[-1])  # appended
        seen.append(data)
    assert len(seen) == 4
    got = pregel_viz.load(path)
    assert pregel_viz.trace(got) == pregel_viz.trace(_local(case, "long"))
    assert [c.index for c in got.thread.calls] == [1, 2, 3, 4]
    starts = [c.start for c in got.thread.calls]
    assert starts == sorted(starts)


def test_given_a_log_its_last_writer_did_not_finish_when_a_run_goes_then_it_is_rewritten_whole(
    tmp_path: pathlib.Path,
) -> None:
    """A writer killed before it ended its zlib stream, or a log of format 1.1, cannot be
    appended to: the next run copies the earlier runs into a new file, as whole as before."""
    case = CASES["interrupt_twice"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    config = _config(case, "cut")
    path = pathlib.Path(log_path(tmp_path, "cut"))
    rounds = rounds_of(case)
    graph.invoke(rounds[0], config)
    path.write_bytes(path.read_bytes()[:-4])  # the stream's end (its checksum) never written
    forget_ended_logs()
    graph.invoke(rounds[1], config)
    data = path.read_bytes()
    assert data[11:15] == b"\x00\x01\x00\x02"  # rewritten: a new file of this format
    path.write_bytes(data[:11] + b"\x00\x01\x00\x01" + data[15:])  # now a 1.1 log
    forget_ended_logs()
    graph.invoke(rounds[2], config)
    assert path.read_bytes()[11:15] == b"\x00\x01\x00\x02"
    graph.invoke(rounds[3], config)
    got = pregel_viz.load(path)
    assert pregel_viz.trace(got) == pregel_viz.trace(_local(case, "cut"))
    assert [c.index for c in got.thread.calls] == [1, 2, 3, 4]


def test_given_a_log_another_process_appended_to_then_this_process_reads_it_again(
    tmp_path: pathlib.Path,
) -> None:
    """What this process remembers of a file it wrote is used only while the file is as it
    left it: a run by another worker in between is read, and numbering goes on after it."""
    case = CASES["interrupt_twice"]
    graph = instrument(case.build(InMemorySaver()), directory=tmp_path)
    config = _config(case, "moved")
    rounds = rounds_of(case)
    graph.invoke(rounds[0], config)
    remembered = dict(_thread_log._ENDED)
    forget_ended_logs()  # another worker process takes run 2
    graph.invoke(rounds[1], config)
    forget_ended_logs()
    _thread_log._ENDED.update(remembered)  # back here: what this process last saw is stale
    graph.invoke(rounds[2], config)
    graph.invoke(rounds[3], config)
    got = pregel_viz.load(log_path(tmp_path, "moved"))
    assert [c.index for c in got.thread.calls] == [1, 2, 3, 4]
    assert pregel_viz.trace(got) == pregel_viz.trace(_local(case, "moved"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_given_update_state_between_runs_then_the_thread_log_has_the_update_step(
    tmp_path: pathlib.Path, mode: str
) -> None:
    """`update_state` / `aupdate_state` (what a server calls when a user edits a thread's
    state) is recorded in the thread's log as a local recording's update step."""
    case = CASES["conditional_path_map"]
    config = {"configurable": {"thread_id": "edited"}}
    edit = {"value": 3}  # a user edits the state, then runs the thread on

    def drive(graph: Any) -> None:
        graph.invoke(case.input, config)
        graph.update_state(config, edit)
        graph.invoke(case.input, config)

    async def adrive(graph: Any) -> None:
        await graph.ainvoke(case.input, config)
        await graph.aupdate_state(config, edit)
        await graph.ainvoke(case.input, config)

    local = case.build(InMemorySaver())
    with pregel_viz.recording(local) as rec:
        drive(local)
    served = instrument(case.build(InMemorySaver()), directory=tmp_path)
    if mode == "sync":
        drive(served)
    else:
        asyncio.run(adrive(served))
    got = pregel_viz.load(log_path(tmp_path, "edited"))
    sources = [s.source for s in got.thread.supersteps]
    assert "update" in sources, sources
    assert sources == [s.source for s in rec.run.thread.supersteps]
    assert pregel_viz.trace(got) == pregel_viz.trace(rec.run)
