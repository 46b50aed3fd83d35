"""Opening checkpoint files, which are untrusted input, safely: :func:`open_sqlite` and
:func:`strict_serde`.

LangGraph's default serializer imports and calls whatever a checkpoint names; the strict one
constructs only LangGraph's safe types. Both are public as :mod:`pregel_viz.recorder.rebuild`'s.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections.abc import Iterable
from typing import TYPE_CHECKING

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from ..errors import RecorderError

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver

__all__ = ["open_sqlite", "strict_serde"]


def strict_serde(
    allowed_msgpack_modules: Iterable[tuple[str, ...] | type] = (),
) -> JsonPlusSerializer:
    """A checkpoint serializer that constructs only LangGraph's safe types (plus ``allowed``).

    Anything else (a dataclass, a pydantic model, a crafted constructor call) is *not* imported
    nor called: it loads as its raw payload (usually a dict of its fields).
    """
    allowed = tuple(allowed_msgpack_modules)
    # None = strict: LangGraph's SAFE_MSGPACK_TYPES only; pickle stays off; legacy "json"
    # constructors stay limited to the safe types too (allowed_json_modules=None).
    return JsonPlusSerializer(
        pickle_fallback=False,
        allowed_json_modules=None,
        allowed_msgpack_modules=allowed or None,
    )


def open_sqlite(
    path: str | os.PathLike[str],
    *,
    allowed_msgpack_modules: Iterable[tuple[str, ...] | type] = (),
) -> SqliteSaver:
    """Open a ``SqliteSaver`` checkpoint file read-only, with a strict serializer.

    The file is opened with SQLite's ``mode=ro`` (``immutable=1`` when even that fails, e.g. a
    WAL file in a read-only directory); the saver's ``setup()`` (which would create tables and
    switch the journal mode) is skipped. Values load through :func:`strict_serde`: classes
    outside LangGraph's safe list come back as plain data, their code never runs. Name your own
    types in ``allowed_msgpack_modules`` (``[(module, name)]`` or classes) to get them back.

    Raises:
        FileNotFoundError: there is no such file.
        RecorderError: the file is not an SQLite database written by ``SqliteSaver``, or
            ``langgraph-checkpoint-sqlite`` is not installed.
    """
    try:
        from langgraph.checkpoint.sqlite import SqliteSaver
    except ImportError:  # pragma: no cover - the sqlite extra is installed in tests
        raise RecorderError(
            "open_sqlite needs langgraph-checkpoint-sqlite: pip install 'pregel-viz[sqlite]'"
        ) from None
    source = os.path.abspath(os.fspath(path))
    if not os.path.isfile(source):
        raise FileNotFoundError(f"no checkpoint file {source!r}")
    conn = _connect_ro(source)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        tables = {str(r[0]) for r in rows}
        if not {"checkpoints", "writes"} <= tables:
            raise RecorderError(
                f"{source} is an SQLite database but not a LangGraph SqliteSaver file "
                f"(tables: {sorted(tables)})"
            )
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(writes)").fetchall()}
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RecorderError(f"{source} is not a readable SQLite database: {exc}") from None
    except RecorderError:
        conn.close()
        raise
    saver = SqliteSaver(conn, serde=strict_serde(allowed_msgpack_modules))
    # setup() writes (CREATE TABLE, journal_mode=WAL, ALTER TABLE): the tables exist, skip it.
    saver.is_setup = True
    if "task_path" not in columns:  # a file from before writes.task_path existed
        saver._has_task_path = False
    return saver


def _connect_ro(source: str) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(source)
    last: sqlite3.Error | None = None
    for params in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(uri + params, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            last = exc
            continue
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:  # e.g. WAL without -shm in a read-only dir
            conn.close()
            last = exc
            continue
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise RecorderError(f"{source} is not an SQLite database: {exc}") from None
        return conn
    raise RecorderError(f"cannot open {source} read-only: {last}")
