"""pregel_viz.recorder.auto: every graph run recorded, nothing changed; the opt-in pytest
plugin; and LangGraph's own test suite run with and without recording (slow)."""

from __future__ import annotations

import asyncio
import inspect
import json
import operator
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from graphs import CASES, CONTINUE, Case
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.pregel import Pregel
from langgraph.types import Command, interrupt

import pregel_viz
from pregel_viz.logfile import decode_payload, encode_event
from pregel_viz.model import Run
from pregel_viz.recorder import auto

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _auto_off() -> Any:
    """Every test starts and ends with auto-recording off."""
    auto.disable()
    yield
    auto.disable()


# --- helpers ----------------------------------------------------------------------------------


def _plain_data(value: Any) -> Any:
    """A value as a log stores it, without the ids that differ between two runs of a graph."""

    def drop(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: drop(x) for k, x in v.items() if k != "id"}
        if isinstance(v, list):
            return [drop(x) for x in v]
        return v

    return drop(decode_payload(encode_event({"v": value}))["v"])


def _outcome(value: Any) -> Any:
    if isinstance(value, BaseException):
        return ("raised", type(value).__name__, str(value))
    return ("returned", _plain_data(value))


def _rounds(case: Case) -> list[Any]:
    return [case.input, *(None if r is CONTINUE else Command(resume=r) for r in case.resume)]


def _run_case(case: Case, *, checkpointer: Any, thread_id: str | None) -> tuple[list[Any], int]:
    """Run every round of ``case`` on a fresh build; the outcome of each and how many ran."""
    graph = case.build(checkpointer)
    config: dict[str, Any] = dict(case.config)
    if thread_id is not None:
        config["configurable"] = {"thread_id": thread_id}
    outcomes: list[Any] = []
    for payload in _rounds(case):
        try:
            if case.is_async:
                result = asyncio.run(graph.ainvoke(payload, config or None))
            else:
                result = graph.invoke(payload, config or None)
        except Exception as exc:
            outcomes.append(_outcome(exc))
            break
        outcomes.append(_outcome(result))
    return outcomes, len(outcomes)


def _task_names(run: Run) -> set[str]:
    return {
        t.name
        for th in run.threads.values()
        for ns in th.namespaces.values()
        for t in ns.tasks.values()
        if not t.name.startswith("__")
    }


class LogState(TypedDict):
    log: Annotated[list[str], operator.add]


def _linear(checkpointer: Any = None, name: str = "linear") -> Any:
    g = StateGraph(LogState)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("b", lambda s: {"log": ["b"]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    return g.compile(checkpointer=checkpointer, name=name)


def _asker(checkpointer: Any = None) -> Any:
    def ask(state: LogState) -> dict[str, list[str]]:
        return {"log": [str(interrupt("name?"))]}

    g = StateGraph(LogState)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    return g.compile(checkpointer=checkpointer)


# --- enable / disable -------------------------------------------------------------------------


def test_enable_disable_restores_pregel_exactly(tmp_path: Path) -> None:
    before = dict(Pregel.__dict__)
    order = list(Pregel.__dict__)
    signatures = {n: inspect.signature(getattr(Pregel, n)) for n in ("stream", "astream")}
    assert not auto.is_enabled()
    auto.enable()
    assert auto.is_enabled()
    assert Pregel.__dict__["stream"] is not before["stream"]
    assert Pregel.__dict__["astream"] is not before["astream"]
    # the patched methods look like the originals
    for name, sig in signatures.items():
        assert inspect.signature(getattr(Pregel, name)) == sig
    assert inspect.isgeneratorfunction(Pregel.stream)
    assert inspect.isasyncgenfunction(Pregel.astream)
    auto.enable(tmp_path)  # again: settings change, nothing is patched twice
    auto.disable()
    auto.disable()  # a no-op
    assert not auto.is_enabled()
    after = dict(Pregel.__dict__)
    assert list(Pregel.__dict__) == order
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)


def test_graphs_compiled_after_enabling_are_recorded() -> None:
    auto.enable()
    graph = _linear(name="late")
    assert graph.invoke({"log": []}) == {"log": ["a", "b"]}
    runs = auto.runs()
    assert len(runs) == 1
    assert runs[0].meta["graph"] == "late"
    assert _task_names(runs[0]) == {"a", "b"}
    assert runs[0].thread.calls[0].status == "completed"


# --- the fixture corpus: same outcomes, one recording per top-level call -----------------------


_DIFF_CASES = [name for name, case in CASES.items() if not case.slow]


@pytest.mark.parametrize("name", _DIFF_CASES)
def test_corpus_same_outcome_and_one_recording_per_call(name: str) -> None:
    case = CASES[name]
    if case.needs_checkpointer:
        plain, n = _run_case(case, checkpointer=InMemorySaver(), thread_id="t1")
        auto.enable()
        recorded, m = _run_case(case, checkpointer=InMemorySaver(), thread_id="t1")
    else:
        # no checkpointer and no thread_id: the path where auto lends a saver that stores nothing
        plain, n = _run_case(case, checkpointer=None, thread_id=None)
        auto.enable()
        recorded, m = _run_case(case, checkpointer=None, thread_id=None)
    assert recorded == plain
    if case.raises is not None:
        assert plain[-1][:2] == ("raised", case.raises.__name__)
    runs = auto.runs()
    # one recording per top-level call: subgraphs, in-node invokes and @tasks are inside it
    assert len(runs) == m == n
    assert auto.stats()["recorded"] == n
    assert auto.stats()["recorder_errors"] == 0
    names: set[str] = set()
    for run in runs:
        names |= _task_names(run)
    assert case.expect_nodes <= names
    if case.raises is not None:
        assert runs[-1].thread.calls[-1].status == "error"


def test_interrupt_without_checkpointer_behaves_as_plain() -> None:
    plain = _asker().invoke({"log": []})
    auto.enable()
    recorded = _asker().invoke({"log": []})
    assert _plain_data(recorded) == _plain_data(plain)
    assert "__interrupt__" in recorded
    (run,) = auto.runs()
    assert run.thread.calls[0].status == "interrupted"


def test_streams_are_identical_with_subgraphs() -> None:
    case = CASES["nested_subgraphs"]
    modes = ["updates", "values", "tasks", "custom"]

    def collect() -> list[Any]:
        graph = case.build(None)
        return [
            (tuple(p.split(":")[0] for p in ns), mode, _plain_data(data))
            for ns, mode, data in graph.stream(case.input, stream_mode=modes, subgraphs=True)
        ]

    plain = collect()
    auto.enable()
    assert collect() == plain
    assert len(auto.runs()) == 1


def test_async_stream_and_abatch() -> None:
    case = CASES["async_fanout"]

    async def go() -> tuple[list[Any], list[Any]]:
        graph = case.build(None)
        chunks = [_plain_data(c) async for c in graph.astream(case.input, stream_mode="updates")]
        batch = await graph.abatch([case.input, {"seeds": [5], "log": []}])
        return chunks, _plain_data(batch)

    plain = asyncio.run(go())
    auto.enable()
    assert asyncio.run(go()) == plain
    assert len(auto.runs()) == 3  # astream, then one per abatch input


def test_batch_records_each_input() -> None:
    graph = _linear()
    inputs = [{"log": [str(i)]} for i in range(3)]
    plain = graph.batch(inputs)
    auto.enable()
    assert graph.batch(inputs) == plain
    runs = auto.runs()
    assert len(runs) == 3
    assert sorted(r.thread.calls[0].input["log"][0] for r in runs) == ["0", "1", "2"]


def test_stream_closed_early_ends_the_recording() -> None:
    auto.enable()
    graph = _linear()
    stream = graph.stream({"log": []}, stream_mode="updates")
    assert next(stream) == {"a": {"log": ["a"]}}
    stream.close()
    (run,) = auto.runs()
    assert run.thread.calls[0].status in ("stopped", "interrupted")


# --- with a directory ---------------------------------------------------------------------------


def test_directory_gets_one_loadable_log_per_call(tmp_path: Path) -> None:
    auto.enable(tmp_path / "logs")
    _linear(name="first graph!").invoke({"log": []})
    saver = InMemorySaver()
    asker = _asker(saver)
    cfg: RunnableConfig = {"configurable": {"thread_id": "t"}}
    asker.invoke({"log": []}, cfg)
    asker.invoke(Command(resume="Ada"), cfg)
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["0001-first_graph.pregel", "0002-LangGraph.pregel", "0003-LangGraph.pregel"]
    assert auto.paths() == [str(tmp_path / "logs" / f) for f in files]
    loaded = [pregel_viz.load(p) for p in auto.paths()]
    assert [r.thread.calls[0].status for r in loaded] == ["completed", "interrupted", "completed"]
    assert loaded[2].thread.thread_id == "t"
    # the user's saver holds the thread, as without recording
    assert asker.get_state(cfg).values == {"log": ["Ada"]}
    assert [r.thread.calls[0].status for r in auto.runs()] == [
        "completed",
        "interrupted",
        "completed",
    ]


def test_runs_are_bounded() -> None:
    auto.enable(max_runs=3)
    graph = _linear()
    for i in range(5):
        graph.invoke({"log": [str(i)]})
    runs = auto.runs()
    assert [r.thread.calls[0].input["log"] for r in runs] == [["2"], ["3"], ["4"]]
    assert auto.stats()["recorded"] == 5


# --- nesting ------------------------------------------------------------------------------------


def test_subgraph_invoked_in_a_node_is_part_of_the_parent_recording() -> None:
    auto.enable()
    _, _ = _run_case(CASES["subgraph_in_node"], checkpointer=None, thread_id=None)
    (run,) = auto.runs()
    namespaces = set(run.thread.namespaces)
    assert any(ns.startswith("delegate:") for ns in namespaces)
    assert auto.stats()["nested"] >= 1


def test_child_with_its_own_thread_is_its_own_recording() -> None:
    """LangGraph runs a child invoked in a node with its own thread_id as a root graph."""
    saver = InMemorySaver()
    child = _linear(saver, name="child")
    child_cfg: RunnableConfig = {"configurable": {"thread_id": "child"}}

    def call_child(state: LogState) -> dict[str, list[str]]:
        child.invoke({"log": []}, child_cfg)
        return {"log": ["parent"]}

    g = StateGraph(LogState)
    g.add_node("p", call_child)
    g.add_edge(START, "p")
    parent = g.compile(checkpointer=saver, name="parent")
    auto.enable()
    parent.invoke({"log": []}, {"configurable": {"thread_id": "parent"}})
    state = child.get_state(child_cfg)
    assert state.values == {"log": ["a", "b"]}
    assert state.config["configurable"]["checkpoint_ns"] == ""
    names = sorted(r.meta["graph"] for r in auto.runs())
    assert names == ["child", "parent"]


def test_explicit_recording_of_a_child_with_its_own_thread() -> None:
    """pregel_viz.recording() adds its callback without merging in the enclosing task's config
    (langchain's merge_configs did, and the child then saved under the parent's namespace)."""
    saver = InMemorySaver()
    child = _linear(saver, name="child")
    child_cfg: RunnableConfig = {"configurable": {"thread_id": "child"}}

    def call_child(state: LogState) -> dict[str, list[str]]:
        child.invoke({"log": []}, child_cfg)
        return {"log": ["parent"]}

    g = StateGraph(LogState)
    g.add_node("p", call_child)
    g.add_edge(START, "p")
    parent = g.compile(checkpointer=saver, name="parent")
    with pregel_viz.recording(child) as rec:
        parent.invoke({"log": []}, {"configurable": {"thread_id": "parent"}})
    assert child.get_state(child_cfg).values == {"log": ["a", "b"]}
    assert set(rec.run.threads) == {"child"}
    assert set(rec.run.thread.namespaces) == {""}


def test_explicit_recording_takes_precedence() -> None:
    auto.enable()
    graph = _linear()
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"log": []})
    assert _task_names(rec.run) == {"a", "b"}
    assert auto.runs() == []


# --- behaviour kept where a checkpointer would change it -----------------------------------------


def _refused(run: Run, error: str) -> None:
    """A call LangGraph refused before any step, recorded as it went: the call and its error."""
    (thread,) = run.threads.values()
    assert [c.status for c in thread.calls] == ["error"]
    assert thread.outcome["error"]["type"] == error and thread.supersteps == []


def test_command_resume_without_checkpointer_still_raises_and_is_recorded() -> None:
    auto.enable()
    with pytest.raises(RuntimeError, match="without checkpointer"):
        _asker().invoke(Command(resume="x"))
    (run,) = auto.runs()
    _refused(run, "RuntimeError")
    assert auto.stats()["skipped"] == 0


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_durability_without_checkpointer_behaves_as_plain(durability: Any) -> None:
    def outcome() -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = _outcome(_linear().invoke({"log": []}, durability=durability))
            except Exception as exc:  # LangGraph 1.2.24 fails "sync" without a checkpointer
                result = _outcome(exc)
        return result, sorted(str(w.message) for w in caught)

    plain = outcome()
    assert any("durability" in m for m in plain[1])
    auto.enable()
    assert outcome() == plain
    assert auto.runs() == []


def test_checkpointer_without_configurable_still_raises_and_is_recorded() -> None:
    auto.enable()
    with pytest.raises(ValueError, match="Checkpointer requires"):
        _linear(InMemorySaver()).invoke({"log": []})
    (run,) = auto.runs()
    _refused(run, "ValueError")
    assert auto.stats()["skipped"] == 0 and auto.stats()["recorded"] == 1


def _plain_shape(value: Any) -> Any:
    """A stream chunk without what differs from run to run (timestamps, ids)."""
    if isinstance(value, dict):
        return {
            k: _plain_shape(v)
            for k, v in value.items()
            if k not in ("timestamp", "id", "checkpoint_id")
        }
    if isinstance(value, (list, tuple)):
        return [_plain_shape(v) for v in value]
    return value


STREAMED_CHECKPOINT_CALLS = {
    "debug": {"stream_mode": "debug"},
    "checkpoints": {"stream_mode": "checkpoints"},
    "debug+values": {"stream_mode": ["debug", "values"]},
    "checkpoints+updates, subgraphs": {
        "stream_mode": ["checkpoints", "updates"],
        "subgraphs": True,
    },
    "debug, subgraphs": {"stream_mode": "debug", "subgraphs": True},
    "debug, v2": {"stream_mode": "debug", "version": "v2"},
    "debug+checkpoints, v2, subgraphs": {
        "stream_mode": ["debug", "checkpoints"],
        "version": "v2",
        "subgraphs": True,
    },
}


@pytest.mark.parametrize("how", ["stream", "astream", "invoke"])
@pytest.mark.parametrize("name", list(STREAMED_CHECKPOINT_CALLS))
def test_a_checkpoints_or_debug_stream_without_checkpointer_is_unchanged_and_recorded(
    how: str, name: str
) -> None:
    """A saver lent to such a call makes LangGraph emit checkpoints it would not: they are taken
    out of the stream, which stays the plain one, and the call is recorded like any other."""
    kwargs = STREAMED_CHECKPOINT_CALLS[name]

    def collect() -> Any:
        graph = _linear()
        if how == "invoke":
            return _plain_shape(graph.invoke({"log": []}, **kwargs))
        if how == "stream":
            return _plain_shape(list(graph.stream({"log": []}, **kwargs)))

        async def chunks() -> list[Any]:
            return [c async for c in graph.astream({"log": []}, **kwargs)]

        return _plain_shape(asyncio.run(chunks()))

    plain = collect()
    auto.enable()
    assert collect() == plain
    (run,) = auto.runs()
    assert [sorted(t.name for t in s.tasks) for s in run.supersteps] == [
        [],
        ["__start__"],
        ["a"],
        ["b"],
    ]
    assert run.state_at(run.supersteps[-1].step) == {"log": ["a", "b"]}
    assert auto.stats()["skipped"] == 0


def test_a_printed_debug_stream_without_checkpointer_is_left_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Printed checkpoints cannot be taken back: such a call is not recorded."""
    _linear().invoke({"log": []}, print_mode="debug")
    plain = capsys.readouterr().out
    auto.enable()
    _linear().invoke({"log": []}, print_mode="debug")
    again = capsys.readouterr().out
    assert "'type': 'task'" in plain and "'type': 'checkpoint'" not in plain
    assert again.count("'type': 'task'") == plain.count("'type': 'task'")
    assert "'type': 'checkpoint'" not in again
    assert auto.runs() == []
    assert auto.stats()["skipped_reasons"] == {
        "checkpoints/debug stream mode without checkpointer, printed": 1
    }


def test_nodes_see_no_made_up_thread_id_and_the_graph_keeps_its_saver() -> None:
    seen: list[Any] = []
    saver = InMemorySaver()

    def node(state: LogState, config: RunnableConfig) -> dict[str, list[str]]:
        seen.append(
            (config["configurable"].get("thread_id"), config.get("metadata", {}).get("thread_id"))
        )
        return {"log": ["n"]}

    def build(checkpointer: Any) -> Any:
        g = StateGraph(LogState)
        g.add_node("n", node)
        g.add_edge(START, "n")
        return g.compile(checkpointer=checkpointer)

    auto.enable()
    build(None).invoke({"log": []})
    graph = build(saver)
    graph.invoke({"log": []}, {"configurable": {"thread_id": "mine"}})
    assert seen == [(None, None), ("mine", "mine")]
    assert graph.checkpointer is saver
    assert len(auto.runs()) == 2


def test_concurrent_calls_on_one_graph_keep_their_threads() -> None:
    saver = InMemorySaver()
    graph = _linear(saver)
    auto.enable()
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            cfg: RunnableConfig = {"configurable": {"thread_id": f"t{i}"}}
            assert graph.invoke({"log": [str(i)]}, cfg) == {"log": [str(i), "a", "b"]}
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert graph.checkpointer is saver
    runs = auto.runs()
    assert sorted(r.thread.thread_id for r in runs) == sorted(f"t{i}" for i in range(8))
    for r in runs:
        assert len(r.threads) == 1


def test_recorder_failures_never_reach_the_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    from pregel_viz.recorder._session import Recorder

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("recorder bug")

    graph = _linear()
    plain = graph.invoke({"log": []})
    monkeypatch.setattr(Recorder, "on_put", broken)
    monkeypatch.setattr(Recorder, "on_writes", broken)
    monkeypatch.setattr(Recorder, "on_attempt_start", broken)
    auto.enable()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert graph.invoke({"log": []}) == plain
    stats = auto.stats()
    assert stats["recorder_errors"] > 0
    assert "recorder bug" in stats["errors"][0]
    assert len(auto.runs()) == 1


# --- the pytest plugin --------------------------------------------------------------------------


_PLUGIN_TEST = textwrap.dedent(
    """
    import operator
    from typing import Annotated, TypedDict

    from langgraph.graph import START, StateGraph

    from pregel_viz.recorder import auto


    class S(TypedDict):
        log: Annotated[list, operator.add]


    def build():
        g = StateGraph(S)
        g.add_node("a", lambda s: {"log": ["a"]})
        g.add_edge(START, "a")
        return g.compile(name="plugged")


    def test_one():
        assert build().invoke({"log": []}) == {"log": ["a"]}


    def test_two():
        graph = build()
        graph.invoke({"log": []})
        graph.invoke({"log": ["x"]})
        if CORRUPT:
            with open(auto.paths()[-1], "wb") as fh:
                fh.write(b"not a pregel log")
    """
)


def _pytest_in(
    tmp_path: Path, *args: str, corrupt: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_plugged.py").write_text(f"CORRUPT = {corrupt}\n{_PLUGIN_TEST}")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "pregel_viz.pytest_plugin",
            "test_plugged.py",
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_pytest_plugin_records_and_checks_every_log(tmp_path: Path) -> None:
    logs, report = tmp_path / "logs", tmp_path / "report.json"
    proc = _pytest_in(tmp_path, f"--pregel-viz-dir={logs}", f"--pregel-viz-json={report}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pregel-viz" in proc.stdout
    assert "3 logs written, all load" in proc.stdout
    assert len(list(logs.glob("*-plugged.pregel"))) == 3
    data = json.loads(report.read_text())
    assert data["logs"] == 3 and data["failures"] == []
    assert data["stats"]["recorded"] == 3


def test_pytest_plugin_fails_the_session_on_a_log_that_does_not_load(tmp_path: Path) -> None:
    proc = _pytest_in(tmp_path, f"--pregel-viz-dir={tmp_path / 'logs'}", corrupt=True)
    assert "2 passed" in proc.stdout
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed to load" in proc.stdout
    assert "FAILED to load" in proc.stdout


def test_pytest_plugin_reads_the_environment_variable(tmp_path: Path) -> None:
    logs = tmp_path / "from-env"
    proc = _pytest_in(tmp_path, env={"PREGEL_VIZ_AUTO": str(logs)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list(logs.glob("*.pregel"))) == 3


def test_plugin_is_opt_in() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert "pytest11" not in text
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; "
            "print([e.value for e in m.entry_points(group='pytest11')])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "pregel_viz" not in proc.stdout


# --- LangGraph's own test suite -----------------------------------------------------------------

# interrupts, subgraphs, Send, retries and checkpoint history, sync and async, with the in-memory
# saver and without a checkpointer (~120 tests)
SUITE_K = "(interrupt or subgraph or send or retry or history) and not sqlite"


@pytest.mark.slow
def test_langgraph_suite_subset_same_outcomes_with_recording(tmp_path: Path) -> None:
    out = tmp_path / "suite.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "langgraph_suite.py"),
            "-k",
            SUITE_K,
            "--json",
            str(out),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode == 3:
        pytest.skip(f"the langgraph sdist cannot be downloaded: {proc.stdout[-500:]}")
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["differing"] == [], proc.stdout[-3000:]
    plain, recorded = result["counts"]["plain"], result["counts"]["recorded"]
    assert plain == recorded
    assert plain["passed"] >= 80
    plugin = result["plugin"]
    assert plugin["failures"] == []
    assert plugin["logs"] > 100
    assert plugin["stats"]["recorder_errors"] == 0
    assert proc.returncode == 0, proc.stdout[-3000:]
