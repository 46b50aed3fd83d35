"""from_checkpointer: runs rebuilt from real savers after the fact, compared with recordings."""

import itertools
import operator
import os
import pathlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import pytest
from graphs import CASES, CONTINUE, Case, run_plain
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

import pregel_viz
from pregel_viz import RecorderError, from_checkpointer
from pregel_viz.model import UNKNOWN, Run, Task
from pregel_viz.recorder import rebuild as rebuild_mod
from pregel_viz.recorder._topology import spec_key
from pregel_viz.recorder.rebuild import open_sqlite, strict_serde, task_path_str

COMPARED = [
    "conditional_path_map",
    "conditional_no_path_map",
    "fanout_fanin",
    "send_map_reduce",
    "command_goto",
    "subgraph_node",
    "nested_subgraphs",
    "interrupt_twice",
    "static_interrupt_before",
    "parallel_error",
    "defer_fanin",
    "functional_tasks",
    "functional_interrupt",
]
# functional-API @task calls cannot be named without the graph (their names are not stored)
FUNCTIONAL = {"functional_tasks", "functional_interrupt"}
THREAD = "t1"
CFG = {"configurable": {"thread_id": THREAD}}


# --------------------------------------------------------------------------- helpers


def _resume(case: Case) -> list[Any]:
    return [None if r is CONTINUE else r for r in case.resume]


def _recorded(case: Case) -> Run:
    """What the live recorder makes of the case, on a fresh build."""
    graph = case.build(None)
    return pregel_viz.record(graph, case.input, case.config or None, resume=_resume(case))


@pytest.fixture
def sqlite_path(tmp_path: Any) -> Iterator[str]:
    yield str(tmp_path / "checkpoints.sqlite")


def _run_on(kind: str, case: Case, path: str) -> tuple[Any, Any, Any]:
    """Run the case with plain LangGraph on a fresh saver; returns (graph, saver, conn)."""
    if kind == "memory":
        saver: Any = InMemorySaver()
        conn = None
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
        saver = SqliteSaver(conn)
    graph, _ = run_plain(case, saver, THREAD)
    return graph, saver, conn


def _key(task: Task) -> tuple[str, str]:
    return (task.name, task.path)


def _spaces(run: Run) -> dict[str, list[Any]]:
    """Namespaces keyed by static path (runtime keys hold task ids, which differ per run)."""
    out: dict[str, list[Any]] = {}
    for ns, space in run.thread.namespaces.items():
        out.setdefault(spec_key(ns), []).append(space)
    for spaces in out.values():
        spaces.sort(key=lambda s: [(st.step, sorted(map(_key, st.tasks))) for st in s.supersteps])
    return out


def _steps(space: Any) -> list[Any]:
    return [(s.step, s.source, sorted(_key(t) for t in s.tasks)) for s in space.supersteps]


def _compare(
    rebuilt: Run,
    recorded: Run,
    *,
    triggers: bool = True,
    names: bool = True,
    structure: bool = True,
) -> None:
    got, want = _spaces(rebuilt), _spaces(recorded)
    assert sorted(got) == sorted(want)
    for key in want:
        assert len(got[key]) == len(want[key]), key
        for g_space, w_space in zip(got[key], want[key], strict=True):
            if names:
                assert _steps(g_space) == _steps(w_space), key
            else:
                assert [s.step for s in g_space.supersteps] == [s.step for s in w_space.supersteps]
            for g_step, w_step in zip(g_space.supersteps, w_space.supersteps, strict=True):
                # every channel, LangGraph's own included, as the saver kept it
                assert g_step.channels == w_step.channels, (key, g_step.step)
                if structure:  # the state as get_state shows it needs the graph's channels
                    assert g_step.values == w_step.values, (key, g_step.step)
                assert g_step.source == w_step.source
                g_tasks = sorted(g_step.tasks, key=_key)
                w_tasks = sorted(w_step.tasks, key=_key)
                if not names:
                    g_tasks = sorted(g_step.tasks, key=lambda t: repr(t.writes))
                    w_tasks = sorted(w_step.tasks, key=lambda t: repr(t.writes))
                for g, w in zip(g_tasks, w_tasks, strict=True):
                    assert g.writes == w.writes, (key, g_step.step, w.name)
                    assert g.error == w.error, (key, g_step.step, w.name)
                    assert g.attempts is UNKNOWN
                    assert isinstance(w.attempts, list)  # the live recorder times attempts
                    if names:
                        assert g.kind == w.kind
                    # savers keep one interrupt slot per task: the last one
                    if w.interrupts and g.interrupts:
                        assert g.interrupts[-1] == w.interrupts[-1]
                    if triggers:
                        assert _trig(g) == _trig(w), (key, g_step.step, w.name)
                        assert g.sent_by == w.sent_by
    assert rebuilt.outcome["status"] == recorded.outcome["status"]
    assert rebuilt.outcome["error"] == recorded.outcome["error"]


def _trig(task: Task) -> Any:
    if task.triggers is None:
        return None
    return sorted((t.channel, sorted(t.written_by)) for t in task.triggers)


def _check_rebuilt_meta(run: Run) -> None:
    assert run.meta["timings"] == "unknown"
    assert [c.method for c in run.thread.calls] == ["from_checkpointer"]
    for task in run.thread.tasks():
        assert task.attempts is UNKNOWN
        assert task.duration is None


# --------------------------------------------------------------------------- differential


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("name", COMPARED)
def test_rebuilt_from_graph_matches_recording(name: str, kind: str, sqlite_path: str) -> None:
    case = CASES[name]
    recorded = _recorded(case)
    graph, _, conn = _run_on(kind, case, sqlite_path)
    try:
        rebuilt = from_checkpointer(graph, CFG)
        _check_rebuilt_meta(rebuilt)
        assert not any(t.name == "?" for t in rebuilt.thread.tasks())
        _compare(rebuilt, recorded)
        # the structure came from the graph: the why is exact, not inferred
        assert set(rebuilt.graphs) == set(recorded.graphs)
        for space in rebuilt.thread.namespaces.values():
            for cp in space.checkpoints.values():
                assert cp.why_inferred is (spec_key(space.ns) not in recorded.graphs)
    finally:
        if conn is not None:
            conn.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("name", COMPARED)
def test_rebuilt_from_bare_saver_matches_recording(name: str, kind: str, sqlite_path: str) -> None:
    case = CASES[name]
    recorded = _recorded(case)
    graph, saver, conn = _run_on(kind, case, sqlite_path)
    try:
        bare = open_sqlite(sqlite_path) if kind == "sqlite" else saver
        rebuilt = from_checkpointer(bare, CFG)
        _check_rebuilt_meta(rebuilt)
        assert rebuilt.graphs == {}
        if name in FUNCTIONAL:
            _compare(rebuilt, recorded, triggers=False, names=False, structure=False)
            calls = [t for t in rebuilt.thread.tasks() if t.name == "?"]
            assert calls and all(t.path == "~?" for t in calls)
            entry = [t for t in rebuilt.thread.tasks() if t.name != "?"]
            assert [t.name for t in entry] == list(graph.nodes)
        else:
            assert not any(t.name == "?" for t in rebuilt.thread.tasks())
            _compare(rebuilt, recorded, triggers=False, structure=False)
    finally:
        if conn is not None:
            conn.close()


def test_sqlite_and_memory_rebuilds_agree(sqlite_path: str) -> None:
    case = CASES["send_map_reduce"]
    g_mem, _, _ = _run_on("memory", case, sqlite_path)
    g_sql, _, conn = _run_on("sqlite", case, sqlite_path)
    try:
        a = from_checkpointer(g_mem, CFG)
        b = from_checkpointer(g_sql, CFG)
        c = from_checkpointer(g_sql, CFG, checkpointer=open_sqlite(sqlite_path))
        for other in (b, c):
            assert [_steps(s) for s in _spaces(a)[""]] == [_steps(s) for s in _spaces(other)[""]]
            assert [s.values for s in a.supersteps] == [s.values for s in other.supersteps]
    finally:
        conn.close()


def test_task_ids_recomputed_without_state_history(monkeypatch: Any) -> None:
    """With get_state_history unavailable, names come from recomputed task ids (graph specs)."""
    monkeypatch.setattr(rebuild_mod._Namer, "_snapshot", lambda self, ns: {})
    for name in ("send_map_reduce", "nested_subgraphs", "functional_tasks", "parallel_error"):
        case = CASES[name]
        graph, _, _ = _run_on("memory", case, "")
        rebuilt = from_checkpointer(graph, CFG)
        assert not any(t.name == "?" for t in rebuilt.thread.tasks()), name
        _compare(rebuilt, _recorded(case))


# --------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize("bare", [False, True])
def test_interrupted_thread(bare: bool) -> None:
    case = CASES["interrupt_twice"]
    recorded = pregel_viz.record(case.build(None), case.input, resume=["yes"])
    graph = case.build(InMemorySaver())
    graph.invoke(case.input, CFG)
    from langgraph.types import Command

    graph.invoke(Command(resume="yes"), CFG)
    rebuilt = from_checkpointer(graph.checkpointer if bare else graph, CFG)
    assert rebuilt.outcome["status"] == "interrupted" == recorded.outcome["status"]
    assert rebuilt.outcome["interrupts"] == [{"question": "second?", "previous": "yes"}]
    assert recorded.outcome["interrupts"][-1] == rebuilt.outcome["interrupts"][-1]
    (ask,) = [t for t in rebuilt.thread.tasks() if t.name == "ask"]
    (want,) = [t for t in recorded.thread.tasks() if t.name == "ask"]
    # the saver kept the last interrupt and the last resume only
    assert ask.interrupts == want.interrupts[-1:]
    assert ask.resumes == want.resumes[-1:]
    assert ask.status == want.status


@pytest.mark.parametrize("bare", [False, True])
def test_static_interrupt_pending(bare: bool) -> None:
    case = CASES["static_interrupt_before"]
    graph = case.build(InMemorySaver())
    graph.invoke(case.input, CFG)
    rebuilt = from_checkpointer(graph.checkpointer if bare else graph, CFG)
    assert rebuilt.outcome["status"] == "interrupted"
    assert "review" in rebuilt.supersteps[-1].next_tasks


def test_error_outcome_parsed_from_repr() -> None:
    case = CASES["parallel_error"]
    graph, _, _ = _run_on("memory", case, "")
    rebuilt = from_checkpointer(graph.checkpointer, CFG)
    assert rebuilt.outcome["status"] == "error"
    assert rebuilt.outcome["error"] == {"type": "ValueError", "message": "boom: deliberate failure"}
    (boom,) = rebuilt.thread.errors()
    assert boom.name == "boom" and boom.status == "error"
    # the siblings' writes, kept by the saver for the retry, are there too
    last = rebuilt.supersteps[-1]
    assert last.checkpoint is None
    assert sorted(t.name for t in last.tasks) == ["boom", "ok_left", "ok_right"]


def test_update_state_writes_are_input_not_tasks() -> None:
    case = CASES["static_interrupt_before"]
    for as_node in (None, "review"):
        graph = case.build(InMemorySaver())
        with pregel_viz.recording(graph) as rec:
            graph.invoke(case.input, CFG)
            graph.update_state(CFG, {"log": ["edited"]}, as_node=as_node)
            graph.invoke(None, CFG)
        for source in (graph, graph.checkpointer):
            rebuilt = from_checkpointer(source, CFG)
            assert _steps(rebuilt.thread.root) == _steps(rec.run.thread.root)
            inputs = [cp.input_writes for cp in rebuilt.thread.root.checkpoints.values()]
            want = [cp.input_writes for cp in rec.run.thread.root.checkpoints.values()]
            assert inputs == want
            assert ["log", ["edited"]] in [w for ws in inputs for w in ws]


def test_input_and_call(sqlite_path: str) -> None:
    case = CASES["conditional_path_map"]
    _, _, conn = _run_on("sqlite", case, sqlite_path)
    conn.close()
    rebuilt = from_checkpointer(open_sqlite(sqlite_path), CFG)
    (call,) = rebuilt.thread.calls
    assert call.method == "from_checkpointer"
    assert call.input == case.input
    assert call.status == "completed"
    # times are the checkpoints' own timestamps, from the first one
    ends = [s.end for s in rebuilt.supersteps]
    assert ends[0] == 0.0 and all(b >= a for a, b in itertools.pairwise(ends))


# --------------------------------------------------------------------------- namespaces


class RootOnlySaver(InMemorySaver):
    """A saver whose list() without a namespace returns the root namespace only."""

    def list(self, config: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if config is not None and "checkpoint_ns" not in config.get("configurable", {}):
            config = {"configurable": {**config["configurable"], "checkpoint_ns": ""}}
        return super().list(config, **kwargs)


@pytest.mark.parametrize("bare", [False, True])
def test_subgraph_namespaces_found_when_list_skips_them(bare: bool) -> None:
    case = CASES["nested_subgraphs"]
    saver = RootOnlySaver()
    graph, _ = run_plain(case, saver, THREAD)
    assert {_ns(t) for t in saver.list(CFG)} == {""}
    rebuilt = from_checkpointer(saver if bare else graph, CFG)
    assert sorted(_spaces(rebuilt)) == ["", "mid", "mid|leaf"]
    _compare(rebuilt, _recorded(case), triggers=not bare, structure=not bare)


def _ns(tup: Any) -> str:
    return str(tup.config["configurable"].get("checkpoint_ns", ""))


def test_savers_list_every_namespace(sqlite_path: str) -> None:
    """InMemorySaver and SqliteSaver list every namespace when none is named."""
    for kind in ("memory", "sqlite"):
        _, saver, conn = _run_on(kind, CASES["nested_subgraphs"], sqlite_path)
        namespaces = {spec_key(_ns(t)) for t in saver.list(CFG)}
        assert namespaces == {"", "mid", "mid|leaf"}, kind
        if conn is not None:
            conn.close()


# --------------------------------------------------------------------------- errors


def test_errors() -> None:
    graph, _, _ = _run_on("memory", CASES["fanout_fanin"], "")
    with pytest.raises(RecorderError, match="thread_id"):
        from_checkpointer(graph, {})
    with pytest.raises(RecorderError, match="thread_id"):
        from_checkpointer(graph, {"configurable": {}})
    with pytest.raises(RecorderError, match="no checkpoints"):
        from_checkpointer(graph, {"configurable": {"thread_id": "nope"}})
    with pytest.raises(RecorderError, match="no checkpointer"):
        from_checkpointer(CASES["fanout_fanin"].build(None), CFG)
    with pytest.raises(RecorderError, match="builder"):
        from_checkpointer(StateGraph(LogState), CFG)
    with pytest.raises(RecorderError, match="compiled LangGraph graph"):
        from_checkpointer(object(), CFG)
    with pytest.raises(RecorderError, match="BaseCheckpointSaver"):
        from_checkpointer(graph, CFG, checkpointer=object())  # type: ignore[arg-type]


def test_open_sqlite_errors(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError):
        open_sqlite(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RecorderError, match="SQLite"):
        open_sqlite(junk)
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(RecorderError, match="not a LangGraph SqliteSaver"):
        open_sqlite(other)


def test_open_sqlite_leaves_the_file_alone(sqlite_path: str) -> None:
    _, _, conn = _run_on("sqlite", CASES["subgraph_node"], sqlite_path)
    conn.close()
    before = pathlib.Path(sqlite_path).read_bytes()
    saver = open_sqlite(sqlite_path)
    rebuilt = from_checkpointer(saver, CFG)
    assert rebuilt.thread.supersteps
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        saver.conn.execute("DELETE FROM checkpoints")
    assert pathlib.Path(sqlite_path).read_bytes() == before


# --------------------------------------------------------------------------- untrusted files

SIDE_EFFECTS: list[str] = []


@dataclass
class Tripwire:
    """A class whose construction has a visible side effect."""

    label: str

    def __post_init__(self) -> None:
        SIDE_EFFECTS.append(f"constructed {self.label}")


class TripState(TypedDict, total=False):
    trip: Tripwire
    log: Annotated[list[str], operator.add]


class LogState(TypedDict):
    log: Annotated[list[str], operator.add]


def _tripwire_graph(checkpointer: Any) -> Any:
    def arm(state: TripState) -> dict[str, Any]:
        return {"trip": Tripwire("armed"), "log": ["arm"]}

    def after(state: TripState) -> dict[str, Any]:
        return {"log": ["after"]}

    g = StateGraph(TripState)
    g.add_node("arm", arm)
    g.add_node("after", after)
    g.add_edge(START, "arm")
    g.add_edge("arm", "after")
    g.add_edge("after", END)
    return g.compile(checkpointer=checkpointer)


def test_open_sqlite_never_constructs_classes(sqlite_path: str) -> None:
    conn = sqlite3.connect(sqlite_path, check_same_thread=False)
    graph = _tripwire_graph(SqliteSaver(conn))
    graph.invoke({"log": []}, CFG)
    conn.close()

    # control: LangGraph's default (permissive) serde runs the class's code on load
    SIDE_EFFECTS.clear()
    permissive = SqliteSaver(sqlite3.connect(sqlite_path, check_same_thread=False))
    loaded = from_checkpointer(permissive, CFG)
    assert SIDE_EFFECTS, "the control should have constructed the class"
    assert loaded.supersteps[-1].values["trip"]["$type"].endswith("Tripwire")

    SIDE_EFFECTS.clear()
    for rebuilt in (
        from_checkpointer(open_sqlite(sqlite_path), CFG),
        from_checkpointer(
            _tripwire_graph(None).copy(update={"checkpointer": InMemorySaver()}),
            CFG,
            checkpointer=open_sqlite(sqlite_path),
        ),
    ):
        assert SIDE_EFFECTS == []
        state = rebuilt.supersteps[-1].values
        assert state["trip"] == {"label": "armed"}  # the raw fields, as plain data
        assert state["log"] == ["arm", "after"]
        assert [sorted(t.name for t in s.tasks) for s in rebuilt.supersteps] == [
            [],
            ["__start__"],
            ["arm"],
            ["after"],
        ]
        assert rebuilt.outcome["status"] == "completed"

    # allow-listing the type explicitly brings it back
    allowed = from_checkpointer(open_sqlite(sqlite_path, allowed_msgpack_modules=[Tripwire]), CFG)
    assert SIDE_EFFECTS and set(SIDE_EFFECTS) == {"constructed armed"}
    assert allowed.supersteps[-1].values["trip"]["$type"].endswith("Tripwire")


def test_strict_serde_blocks_unknown_types() -> None:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    blob = JsonPlusSerializer(allowed_msgpack_modules=True).dumps_typed(Tripwire("x"))
    SIDE_EFFECTS.clear()
    assert strict_serde().loads_typed(blob) == {"label": "x"}
    assert SIDE_EFFECTS == []


# --------------------------------------------------------------------------- files, paths


@pytest.mark.parametrize("name", ["send_map_reduce", "interrupt_twice", "functional_tasks"])
def test_save_and_load_roundtrip(name: str, tmp_path: Any) -> None:
    graph, _, _ = _run_on("memory", CASES[name], "")
    rebuilt = from_checkpointer(graph, CFG)
    path = rebuilt.save(tmp_path / "rebuilt.pregel")
    assert os.path.getsize(path) > 0
    loaded = pregel_viz.load(path)
    assert loaded.to_dict() == rebuilt.to_dict()
    assert all(t.attempts is UNKNOWN for t in loaded.thread.tasks())


def test_task_path_str_matches_langgraph() -> None:
    from langgraph.pregel._algo import task_path_str as lg_task_path_str

    for path in [
        ("__pregel_pull", "node"),
        ("__pregel_push", 3, False),
        ("__pregel_push", ("__pregel_pull", "entry"), 12, True),
        ("__pregel_push", ("__pregel_push", ("__pregel_pull", "e"), 0, True), 1, True),
        ("__interrupt__", 0),
    ]:
        assert task_path_str(path) == lg_task_path_str(path)
