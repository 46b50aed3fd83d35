"""Postgres checkpoints, read safely: :func:`open_postgres` (``rebuild.from_postgres`` uses it),
and the sync reader :func:`pregel_viz.from_checkpointer` uses for an ``AsyncPostgresSaver``.

A database of a deployment is untrusted input, like a checkpoint file: values load through the
strict serializer (LangGraph's safe types only, never pickle), the session is read-only, and
the saver's ``setup()`` (which creates tables and runs migrations) is never called.
Both are public as :mod:`pregel_viz.recorder.rebuild`'s. psycopg is imported on first use, so
``import pregel_viz`` never needs it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from ..errors import RecorderError

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver

__all__ = ["open_postgres", "sync_reader"]

TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
_LOADABLE = frozenset({"null", "bytes", "bytearray", "json", "msgpack"})
_DRIVER = re.compile(r"\A(postgres(?:ql)?)\+\w+://")
_INSTALL = "pip install 'pregel-viz[postgres]'"


class RefusingSerde(JsonPlusSerializer):
    """:func:`~pregel_viz.recorder.rebuild.strict_serde`, and a value stored in a form it
    never loads (``pickle``, which runs whatever code the row holds, or an unknown type) is a
    clear :class:`RecorderError` instead of LangGraph's ``NotImplementedError``."""

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind = data[0]
        if kind not in _LOADABLE:
            raise RecorderError(
                f"a checkpoint value is stored as {kind!r}, which pregel-viz refuses to load "
                f"(it loads only {', '.join(sorted(_LOADABLE))}; unpickling runs whatever code "
                "the value names). Write checkpoints without pickle_fallback, or read this "
                "database with a saver of your own if you trust it"
            )
        return super().loads_typed(data)


def refusing_serde(allowed_msgpack_modules: Iterable[tuple[str, ...] | type] = ()) -> Any:
    allowed = tuple(allowed_msgpack_modules)
    return RefusingSerde(
        pickle_fallback=False,
        allowed_json_modules=None,
        allowed_msgpack_modules=allowed or None,
    )


def open_postgres(
    dsn: str,
    *,
    allowed_msgpack_modules: Iterable[tuple[str, ...] | type] = (),
) -> PostgresSaver:
    """Open a ``PostgresSaver`` database read-only, with a strict serializer.

    Args:
        dsn: a libpq connection string, ``postgresql://user:password@host:port/dbname`` or
            ``"host=... dbname=..."``; the usual ``PG*`` environment variables and
            ``~/.pgpass`` apply.
        allowed_msgpack_modules: your own types to construct (``[(module, name)]`` or
            classes); any other class a value names loads as its raw payload, its code
            never runs.

    Returns:
        A ``PostgresSaver`` on its own connection, whose session is read-only (``SET SESSION
        CHARACTERISTICS AS TRANSACTION READ ONLY``): pass it to
        :func:`~pregel_viz.from_checkpointer`, and close it with ``saver.conn.close()``.
        ``setup()`` is never called. A value stored with pickle raises :class:`RecorderError`
        when read.

    Raises:
        RecorderError: the server cannot be reached or refuses the login (the message names
            the host, port, database and user, never the password), the database holds no
            LangGraph checkpoint tables, or ``langgraph-checkpoint-postgres`` is not
            installed.
    """
    saver_class = _saver_class()
    conn = connect(dsn)
    try:
        _check_tables(conn, dsn)
    except BaseException:
        conn.close()
        raise
    saver: PostgresSaver = saver_class(conn, serde=refusing_serde(allowed_msgpack_modules))
    return saver


# --------------------------------------------------------------------------- connections


def connect(conninfo: str, **kwargs: Any) -> Any:
    """A read-only autocommit psycopg connection as PostgresSaver wants it (dict rows, no
    prepared statements, which poolers such as PgBouncer reject)."""
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        from psycopg.rows import dict_row
    except ImportError:
        raise RecorderError(f"reading Postgres needs psycopg: {_INSTALL}") from None
    conninfo = _DRIVER.sub(r"\1://", conninfo)  # SQLAlchemy's postgresql+psycopg://
    try:
        params = conninfo_to_dict(conninfo, **kwargs)
    except psycopg.ProgrammingError as exc:
        raise RecorderError(f"not a Postgres connection string: {_first_line(exc)}") from None
    params.setdefault("connect_timeout", 10)
    try:
        conn = psycopg.connect(
            make_conninfo("", **params), autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
    except psycopg.OperationalError as exc:
        raise RecorderError(
            f"cannot connect to PostgreSQL at {_where(params)}: {_first_line(exc)}. "
            "Is the server running there, and does it accept this user?"
        ) from None
    try:
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    except BaseException:
        conn.close()
        raise
    return conn


def _check_tables(conn: Any, dsn: str) -> None:
    rows = conn.execute(
        "SELECT t, to_regclass(t) IS NOT NULL AS found FROM unnest(%s::text[]) AS t",
        (list(TABLES),),
    ).fetchall()
    missing = [row["t"] for row in rows if not row["found"]]
    if missing:
        from psycopg.conninfo import conninfo_to_dict

        raise RecorderError(
            f"the database at {_where(conninfo_to_dict(dsn))} holds no LangGraph checkpoints "
            f"(no table {', '.join(missing)} on its search_path): name the database (and "
            "schema, options=-csearch_path=...) that the PostgresSaver wrote to"
        )


def _where(params: dict[str, Any]) -> str:
    """host:port/dbname as user, never the password."""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or 5432
    text = f"{host}:{port}/{params.get('dbname') or params.get('user') or '?'}"
    if params.get("user"):
        text += f" as {params['user']}"
    return text


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _saver_class() -> Any:
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:
        raise RecorderError(f"reading Postgres needs the Postgres saver: {_INSTALL}") from None
    return PostgresSaver


# --------------------------------------------------------------------------- AsyncPostgresSaver


def sync_reader(saver: BaseCheckpointSaver[Any]) -> BaseCheckpointSaver[Any] | None:
    """For an ``AsyncPostgresSaver``, a ``PostgresSaver`` on a new read-only connection to the
    same database with the same serializer; else ``None``.

    The async saver's synchronous methods run on its event loop: called from that loop's own
    thread (a notebook cell, an ``async def``) they raise ``InvalidStateError``, and once that
    loop has stopped they never return. A synchronous connection reads the same rows from any
    thread. Close it with ``reader.conn.close()``.
    """
    aio = sys.modules.get("langgraph.checkpoint.postgres.aio")
    if aio is None or not isinstance(saver, aio.AsyncPostgresSaver):
        return None
    conninfo, kwargs = _conninfo_of(saver.conn)
    conn = connect(conninfo, **kwargs)
    reader: BaseCheckpointSaver[Any] = _saver_class()(conn, serde=saver.serde)
    return reader


def _conninfo_of(conn: Any) -> tuple[str, dict[str, Any]]:
    """The connection string of an AsyncConnection or AsyncConnectionPool, password
    included (a connection's ``info.dsn`` leaves it out)."""
    if hasattr(conn, "conninfo"):  # a pool: its own string and keyword arguments
        kwargs = {
            k: v
            for k, v in dict(getattr(conn, "kwargs", None) or {}).items()
            if k not in ("autocommit", "prepare_threshold", "row_factory")
        }
        return str(conn.conninfo), kwargs
    info = conn.info
    params: dict[str, Any] = dict(info.get_parameters())
    params["host"] = info.host
    params["port"] = info.port
    if info.password:
        params["password"] = info.password
    return "", params
