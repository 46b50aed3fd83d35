"""Post-mortem on Postgres: threads stored by LangGraph's PostgresSaver and AsyncPostgresSaver
in a real PostgreSQL server (tests/postgres.py), rebuilt with ``from_checkpointer`` and
``from_postgres`` and compared with live recordings of the same graphs; ``open_postgres`` on
hostile rows, a database without LangGraph's tables, and a server that is down."""

from __future__ import annotations

import asyncio
import pickle
import time
import uuid
from collections.abc import Iterator
from typing import Any

import postgres
import pytest
from graphs import CASES, CounterModel, Point, run_plain
from test_rebuild import (
    FUNCTIONAL,
    SIDE_EFFECTS,
    Tripwire,
    _check_rebuilt_meta,
    _compare,
    _resume,
    _tripwire_graph,
)

import pregel_viz
from pregel_viz import from_checkpointer
from pregel_viz.errors import PregelVizError, RecorderError
from pregel_viz.model import Run
from pregel_viz.recorder.rebuild import from_postgres, open_postgres

psycopg = pytest.importorskip("psycopg")
pg_saver = pytest.importorskip("langgraph.checkpoint.postgres")
pg_aio = pytest.importorskip("langgraph.checkpoint.postgres.aio")
PostgresSaver = pg_saver.PostgresSaver
AsyncPostgresSaver = pg_aio.AsyncPostgresSaver

# LangGraph issue #8748: under durability="async" a Topic(accumulate=True) or NamedBarrierValue
# is saved after the next superstep has already added to it, so the saver holds a later value
# than the checkpoint did (get_state_history shows the same). A saver that takes a moment to
# store makes it happen every time; durability="sync" stores them right (the control below).
BUG_8748 = {"channel_variety", "channel_classes"}
# A subgraph task that bubbled Command(graph=PARENT) writes nothing: no saver keeps it, so a
# rebuilt run cannot show it (on any saver; see pregel_viz.recorder.rebuild's docstring).
UNSTORED = {"command_parent": "a subgraph task that bubbled Command(graph=PARENT) is not stored"}
# the state's own classes: the strict serializer constructs them only when allowed
OWN_TYPES: dict[str, list[type]] = {"hostile_values": [Point], "pydantic_state": [CounterModel]}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer]:
    try:
        with postgres.running() as server:
            yield server
    except postgres.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def dsn(pg_server: postgres.PostgresServer) -> str:
    """A database with LangGraph's tables (setup() run once, by the writing side)."""
    with PostgresSaver.from_conn_string(pg_server.dsn) as saver:
        saver.setup()
    return pg_server.dsn


@pytest.fixture
def conn(dsn: str) -> Iterator[Any]:
    """A connection as PostgresSaver wants it, for the graphs that write."""
    from psycopg.rows import dict_row

    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row) as c:
        yield c


class SlowPostgresSaver(PostgresSaver):  # type: ignore[misc, valid-type]
    """A PostgresSaver that takes a moment to store a checkpoint: under durability="async"
    every save then starts after the next superstep's writes (LangGraph #8748 every time)."""

    def put(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.02)
        return super().put(*args, **kwargs)


def _recorded(case: Any) -> Run:
    """The live recording of the case on a fresh build (ainvoke for async graphs)."""
    graph = case.build(None)
    if case.is_async:
        return asyncio.run(pregel_viz.arecord(graph, case.input, resume=_resume(case)))
    return pregel_viz.record(graph, case.input, case.config or None, resume=_resume(case))


def _thread(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def _cfg(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def _run_async_case(case: Any, dsn: str, thread: str) -> None:
    async def main() -> None:
        async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
            graph = case.build(saver)
            await graph.ainvoke(case.input, _cfg(thread))

    asyncio.run(main())


def _store(name: str, conn: Any, dsn: str) -> tuple[Any, str]:
    """Run the case with plain LangGraph on Postgres; returns (graph, thread)."""
    case = CASES[name]
    thread = _thread(name)
    if case.is_async:  # PostgresSaver has no async methods: the async saver stores these
        _run_async_case(case, dsn, thread)
        return case.build(PostgresSaver(conn)), thread
    saver = SlowPostgresSaver(conn) if name in BUG_8748 else PostgresSaver(conn)
    graph, _ = run_plain(case, saver, thread)
    return graph, thread


def _dated(export: dict[str, Any]) -> dict[str, Any]:
    """An export without the time it was made."""
    return {**export, "meta": {k: v for k, v in export["meta"].items() if k != "created"}}


def _params() -> list[Any]:
    out = []
    for name, case in CASES.items():
        marks: list[Any] = [pytest.mark.slow] if case.slow else []
        if name in BUG_8748:
            reason = "LangGraph #8748: Topic/NamedBarrierValue saved late (durability=async)"
            marks.append(pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError))
        elif name in UNSTORED:
            marks.append(
                pytest.mark.xfail(reason=UNSTORED[name], strict=True, raises=AssertionError)
            )
        out.append(pytest.param(name, id=name, marks=marks))
    return out


# --------------------------------------------------------------------------- differential


@pytest.mark.parametrize("name", _params())
def test_postgres_thread_rebuilt_matches_recording(name: str, conn: Any, dsn: str) -> None:
    case = CASES[name]
    recorded = _recorded(case)
    graph, thread = _store(name, conn, dsn)

    # a graph compiled with a PostgresSaver
    rebuilt = from_checkpointer(graph, _cfg(thread))
    _check_rebuilt_meta(rebuilt)
    assert not any(t.name == "?" for t in rebuilt.thread.tasks())
    _compare(rebuilt, recorded)

    # from the DSN alone, with the graph that ran: read-only, strict serializer
    pulled = from_postgres(
        dsn, thread, graph=case.build(None), allowed_msgpack_modules=OWN_TYPES.get(name, ())
    )
    _check_rebuilt_meta(pulled)
    assert pulled.meta["rebuilt_from"] == "PostgresSaver"
    _compare(pulled, recorded)
    assert _dated(pulled.to_dict()) == _dated(rebuilt.to_dict())


BARE = ["send_map_reduce", "nested_subgraphs", "interrupt_twice", "parallel_error"]


@pytest.mark.parametrize("name", [*BARE, *sorted(FUNCTIONAL)])
def test_from_postgres_without_the_graph(name: str, conn: Any, dsn: str) -> None:
    """Without the graph the why is inferred and @task calls are unnamed, as from any saver."""
    case = CASES[name]
    _, thread = _store(name, conn, dsn)
    pulled = from_postgres(dsn, thread)
    _check_rebuilt_meta(pulled)
    assert pulled.graphs == {}
    recorded = _recorded(case)
    if name in FUNCTIONAL:
        _compare(pulled, recorded, triggers=False, names=False, structure=False)
        assert any(t.name == "?" for t in pulled.thread.tasks())
    else:
        assert not any(t.name == "?" for t in pulled.thread.tasks())
        _compare(pulled, recorded, triggers=False, structure=False)


@pytest.mark.parametrize("name", sorted(BUG_8748))
def test_8748_control_durability_sync_matches(name: str, conn: Any, dsn: str) -> None:
    """The xfails above are LangGraph's: the same graphs stored with durability="sync", on the
    same slow saver, rebuild exactly."""
    case = CASES[name]
    thread = _thread(name)
    graph = case.build(SlowPostgresSaver(conn))
    graph.invoke(case.input, {**case.config, **_cfg(thread)}, durability="sync")
    _compare(from_checkpointer(graph, _cfg(thread)), _recorded(case))
    _compare(from_postgres(dsn, thread, graph=case.build(None)), _recorded(case))


# --------------------------------------------------------------------------- AsyncPostgresSaver


@pytest.mark.parametrize("pool", [False, True], ids=["connection", "pool"])
@pytest.mark.parametrize("name", ["async_fanout", "send_map_reduce", "nested_subgraphs"])
def test_async_saver_inside_its_own_event_loop(name: str, pool: bool, dsn: str) -> None:
    """from_checkpointer called (synchronously) in the loop that owns an AsyncPostgresSaver,
    as in a notebook cell: LangGraph's sync methods raise InvalidStateError there; pregel-viz
    reads the rows over a synchronous connection of its own."""
    case = CASES[name]
    thread = _thread(name)
    recorded = _recorded(case)

    async def main() -> tuple[Run, Run, BaseException]:
        if pool:
            from psycopg.rows import dict_row
            from psycopg_pool import AsyncConnectionPool

            kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
            async with AsyncConnectionPool(dsn, kwargs=kwargs, open=False) as p:
                return await body(AsyncPostgresSaver(p))
        async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
            return await body(saver)

    async def body(saver: Any) -> tuple[Run, Run, BaseException]:
        graph = case.build(saver)
        if case.is_async:
            await graph.ainvoke(case.input, _cfg(thread))
        else:
            await asyncio.to_thread(graph.invoke, case.input, _cfg(thread))
        with pytest.raises(asyncio.InvalidStateError) as plain:  # LangGraph's own, here
            list(saver.list(_cfg(thread)))
        return (
            from_checkpointer(graph, _cfg(thread)),
            from_checkpointer(saver, _cfg(thread)),
            plain.value,
        )

    from_graph, from_saver, _ = asyncio.run(main())
    assert from_graph.meta["rebuilt_from"] == "AsyncPostgresSaver"
    _check_rebuilt_meta(from_graph)
    _compare(from_graph, recorded)
    _compare(from_saver, recorded, triggers=False, structure=False)


def test_async_saver_from_another_thread(dsn: str) -> None:
    """asyncio.to_thread(from_checkpointer, ...) from the loop works too (the same rows)."""
    case = CASES["async_fanout"]
    thread = _thread("async")

    async def main() -> Run:
        async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
            graph = case.build(saver)
            await graph.ainvoke(case.input, _cfg(thread))
            return await asyncio.to_thread(from_checkpointer, graph, _cfg(thread))

    _compare(asyncio.run(main()), _recorded(case))


# --------------------------------------------------------------------------- untrusted rows


def _blob_rows(conn: Any, thread: str, channel: str) -> list[Any]:
    return list(
        conn.execute(
            "SELECT version, type FROM checkpoint_blobs WHERE thread_id = %s AND channel = %s",
            (thread, channel),
        ).fetchall()
    )


def test_open_postgres_never_constructs_classes(conn: Any, dsn: str) -> None:
    thread = _thread("trip")
    graph = _tripwire_graph(PostgresSaver(conn))  # LangGraph's default, permissive serde
    graph.invoke({"log": []}, _cfg(thread))

    # control: the permissive serde runs the class's code on load
    SIDE_EFFECTS.clear()
    from_checkpointer(PostgresSaver(conn), _cfg(thread))
    assert SIDE_EFFECTS, "the control should have constructed the class"

    SIDE_EFFECTS.clear()
    pulled = from_postgres(dsn, thread)
    assert SIDE_EFFECTS == []
    assert pulled.supersteps[-1].values["trip"] == {"label": "armed"}  # its fields, as data
    assert pulled.supersteps[-1].values["log"] == ["arm", "after"]

    allowed = from_postgres(dsn, thread, allowed_msgpack_modules=[Tripwire])
    assert SIDE_EFFECTS and set(SIDE_EFFECTS) == {"constructed armed"}
    assert allowed.supersteps[-1].values["trip"]["$type"].endswith("Tripwire")


def test_open_postgres_refuses_a_crafted_row(conn: Any, dsn: str, tmp_path: Any) -> None:
    """A row rewritten to name os.system loads as its raw payload, nothing runs; a pickled
    row is a clear error, never unpickled."""
    import ormsgpack

    thread = _thread("crafted")
    graph = CASES["fanout_fanin"].build(PostgresSaver(conn))
    graph.invoke({"log": []}, _cfg(thread))
    rows = _blob_rows(conn, thread, "log")
    assert rows and {r["type"] for r in rows} == {"msgpack"}

    marker = tmp_path / "pwned"
    call = ormsgpack.packb(["os", "system", f"touch {marker}"])
    crafted = ormsgpack.packb(ormsgpack.Ext(0, call))  # EXT_CONSTRUCTOR_SINGLE_ARG
    conn.execute(
        "UPDATE checkpoint_blobs SET blob = %s WHERE thread_id = %s AND channel = 'log'",
        (crafted, thread),
    )
    pulled = from_postgres(dsn, thread)
    assert not marker.exists()
    assert pulled.supersteps[-1].values["log"] == f"touch {marker}"

    conn.execute(
        "UPDATE checkpoint_blobs SET type = 'pickle', blob = %s "
        "WHERE thread_id = %s AND channel = 'log'",
        (pickle.dumps(Tripwire("pickled")), thread),
    )
    SIDE_EFFECTS.clear()
    with pytest.raises(RecorderError, match=r"stored as 'pickle', which pregel-viz refuses"):
        from_postgres(dsn, thread)
    assert SIDE_EFFECTS == []


def test_open_postgres_is_read_only_and_never_sets_up(pg_server: Any, dsn: str) -> None:
    saver = open_postgres(dsn)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            saver.conn.execute("DELETE FROM checkpoints")
    finally:
        saver.conn.close()

    # a database without LangGraph's tables: a clear error, and still no tables after
    name = f"empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    empty = pg_server.dsn_for(name)
    with pytest.raises(RecorderError, match="holds no LangGraph checkpoints"):
        from_postgres(empty, "t1")
    with psycopg.connect(empty) as c:
        assert c.execute("SELECT to_regclass('checkpoints')").fetchone() == (None,)


def test_unknown_thread(dsn: str) -> None:
    # SQLAlchemy's spelling of the URL is accepted too
    for url in (dsn, dsn.replace("postgresql://", "postgresql+psycopg://")):
        with pytest.raises(RecorderError, match="has no checkpoints in this PostgresSaver"):
            from_postgres(url, "no-such-thread")


def test_database_down_is_a_clear_error() -> None:
    port = postgres.free_port()  # nothing listens there
    dsn = f"postgresql://reader:s3cret-pw@127.0.0.1:{port}/app"
    with pytest.raises(PregelVizError) as err:
        from_postgres(dsn, "t1")
    assert isinstance(err.value, RecorderError)
    message = str(err.value)
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}/app as reader" in message
    assert "s3cret" not in message
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_the_cli_pulls_a_postgres_thread_with_the_graph_that_ran(
    conn: Any, dsn: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pregel-viz pull postgresql://... THREAD --graph MODULE:ATTR`: every task named, as
    from_postgres(graph=...) gives it; without --graph the @task calls are unnamed."""
    from pregel_viz.cli import main

    name = "functional_tasks"
    _, thread = _store(name, conn, dsn)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pulled_app.py").write_text(
        f"from graphs import CASES\n\ngraph = CASES[{name!r}].build(None)\n"
    )
    out = tmp_path / "with.pregel"
    assert main(["pull", dsn, thread, "-o", str(out), "--graph", "pulled_app:graph"]) == 0
    with_graph = pregel_viz.load(out)
    assert not any(t.name == "?" for t in with_graph.thread.tasks())
    expected = from_postgres(dsn, thread, graph=CASES[name].build(None))
    assert pregel_viz.trace(with_graph) == pregel_viz.trace(expected)
    assert main(["pull", dsn, thread, "-o", str(tmp_path / "without.pregel")]) == 0
    without = pregel_viz.load(tmp_path / "without.pregel")
    assert any(t.name == "?" for t in without.thread.tasks())
    # a server describes its own graph
    assert main(["pull", "http://127.0.0.1:1", "t", "-o", str(out), "--graph", "x:y"]) == 2
