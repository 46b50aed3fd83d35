"""Rebuild a run after the fact from any LangGraph checkpointer: :func:`from_checkpointer`.

A thread that ran under a checkpointer (a ``SqliteSaver`` file from a deployment, say) holds
every checkpoint of every namespace and the writes of the tasks that ran from each. That is
enough to rebuild the same model :func:`pregel_viz.record` makes, except for what a saver never
keeps, which is marked unknown rather than invented:

* attempts and their timings (retries, durations): ``task.attempts`` is ``UNKNOWN``;
* task inputs;
* tasks that wrote nothing (a subgraph node that bubbled ``Command(graph=PARENT)``, a task still
  running when its process died);
* the calls made on the thread: one synthetic call stands for all of them, its outcome read off
  the newest root checkpoint;
* every interrupt and resume of a task but the last (savers keep one slot for each);
* exceptions: savers keep ``repr(exc)``; type and message are parsed back from it.

``CheckpointTuple.pending_writes`` carry no task name nor path. They are recovered exactly: from
``graph.get_state_history`` when a graph is given, else by recomputing LangGraph's deterministic
task ids (pull tasks from node names and triggers, Sends from the checkpoint's pending Sends,
``@task`` calls from the task functions the graph's nodes reference -- so only with the graph)
and keeping only matches. A task that matches nothing is named ``"?"`` (path ``"~?"``); only
when no writer of a checkpoint could be matched (an id scheme this module does not know) is a
lone writer named after the one node the checkpoint predicts, if it predicts exactly one.
Writes of ``update_state`` are told apart from a task's (they become the checkpoint's input
writes), except when the updated node's task at that checkpoint had failed or was interrupted:
they then show as that task's writes.

Checkpoint files are untrusted input: LangGraph's default serializer imports and calls whatever
a checkpoint names. Open files with :func:`open_sqlite`, which uses a strict serializer.
"""

from __future__ import annotations

import ast
import binascii
import contextlib
import datetime
import functools
import hashlib
import itertools
import os
import re
import sqlite3
import types
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import xxhash
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from ..errors import RecorderError
from ..events import BRANCH_TO, CALL, CALL_END, INPUT, JOIN, SNAPSHOT_BUMPS, START, spec_key
from ..load_limits import LoadLimits
from ..model import Run
from ..values import DEFAULT_LIMITS, Limits
from ._lg import ERROR, INTERRUPT, NS_END, NS_SEP, NULL_TASK_ID, PULL, PUSH, TASKS
from ._session import Recorder
from ._topology import GraphSpec, explain

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver

__all__ = ["from_checkpointer", "open_sqlite", "strict_serde", "task_path_str"]

# versions_seen keys that are LangGraph bookkeeping, not node names
_SEEN_RESERVED = frozenset({INPUT, INTERRUPT, SNAPSHOT_BUMPS})
# trigger sets tried per node when the graph is unknown: all subsets of at most this many channels
_MAX_POOL = 8
_UNNAMED = ("?", "~?")


# --------------------------------------------------------------------------- public API


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


def from_checkpointer(
    graph_or_saver: Any,
    config: Mapping[str, Any],
    *,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Run:
    """Rebuild the run of a thread that already ran, from its checkpointer.

    Args:
        graph_or_saver: a compiled graph (its ``checkpointer`` is read; its structure makes the
            "why" of every step exact and names every task from ``get_state_history``), or a
            bare ``BaseCheckpointSaver`` (the why is then inferred from channel names, as for a
            subgraph the recorder cannot inspect).
        config: ``{"configurable": {"thread_id": ...}}``. Every checkpoint of the thread is
            read, in every namespace (root and subgraphs), whatever else the config holds.
        checkpointer: read this saver instead of the graph's own (e.g. ``open_sqlite(path)``
            next to the graph that wrote the file).
        limits: bounds on recorded values.

    Returns:
        The run, as :func:`pregel_viz.record` would have made it, with ``meta["timings"] ==
        "unknown"``: no attempts (``task.attempts`` is ``UNKNOWN``), no inputs, and one
        synthetic call (``method == "from_checkpointer"``) whose status is read off the newest
        root checkpoint: ``error`` if its tasks wrote errors, ``interrupted`` if it has pending
        interrupts or tasks, else ``completed``. Checkpoint times are the checkpoints' own
        ``ts``, in seconds since the first one.

    Raises:
        RecorderError: no ``thread_id`` in ``config``, a graph without a checkpointer, or a
            thread without checkpoints.

    Security: loading a checkpoint runs the saver's serializer. LangGraph's default
    ``JsonPlusSerializer`` is permissive: it imports and calls any class a checkpoint names.
    For a file you did not write yourself, open it with :func:`open_sqlite`, or give your saver
    ``serde=strict_serde()`` (or set ``LANGGRAPH_STRICT_MSGPACK=true`` before LangGraph is
    imported) -- in particular when passing a graph, whose saver is usually permissive: pass
    ``checkpointer=open_sqlite(path)`` alongside it.
    """
    graph, saver = _resolve(graph_or_saver, checkpointer)
    thread_id = _thread_id(config)
    label = thread_id
    meta: dict[str, Any] = {
        "timings": "unknown",
        "rebuilt_from": type(saver).__name__,
        "thread_id": thread_id,
    }
    if graph is None:
        meta["graph"] = f"({type(saver).__name__} thread {thread_id})"
    rec = _RebuildRecorder.for_rebuild(graph, meta, limits=limits)
    assert isinstance(rec, _RebuildRecorder)
    namer = _Namer(graph, saver, rec.specs, thread_id)
    by_ns = namer.collect()
    if not by_ns:
        raise RecorderError(
            f"thread {thread_id!r} has no checkpoints in this {type(saver).__name__}; "
            "check the thread_id and that the graph ran with this checkpointer"
        )

    ordered = _oldest_first(by_ns)
    t0 = _first_ts(ordered)
    for tup in ordered:
        ns = _ns_of(tup)
        cp = tup.checkpoint
        rec.clock = _ts_offset(cp.get("ts"), t0, rec.clock)
        parent: Mapping[str, Any] = (tup.parent_config or {}).get("configurable") or {}
        parent_cfg = {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": ns,
                "checkpoint_id": parent.get("checkpoint_id"),
            }
        }
        rec.on_put(label, parent_cfg, cp, dict(tup.metadata or {}))
        cfg = {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": cp["id"]}
        }
        names = namer.names(ns, tup)
        for task_id, writes in _group_writes(tup.pending_writes or []):
            name, path = ("", "") if task_id == NULL_TASK_ID else names.get(task_id, _UNNAMED)
            if name == INTERRUPT:  # update_state's writes: input, not a task
                name = ""
            rec.on_writes(label, cfg, writes, task_id, path, name=name)

    _emit_call(rec, label, thread_id, by_ns.get("", []), ordered)
    rec.close()
    return Run.from_bytes(
        rec.writer.getvalue(),
        source=f"{type(saver).__name__}:{thread_id}",
        limits=LoadLimits.unlimited(),  # written by this process: trusted
    )


def task_path_str(path: Any) -> str:
    """A task path as the string LangGraph files writes under (``_algo.py:task_path_str``)."""
    if isinstance(path, (tuple, list)):
        return "~" + ", ".join(task_path_str(p) for p in path)
    if isinstance(path, int):  # bools too: True -> 0000000001
        return f"{path:010d}"
    return str(path)


# --------------------------------------------------------------------------- the recorder


class _RebuildRecorder(Recorder):
    """A recorder whose clock is the time of the checkpoint being fed, not the wall clock."""

    clock: float = 0.0

    def now(self) -> float:
        return self.clock


def _emit_call(
    rec: Recorder,
    label: str,
    thread_id: str,
    root: list[CheckpointTuple],
    ordered: list[CheckpointTuple],
) -> None:
    """One synthetic call whose outcome is read off the newest root checkpoint."""
    if not root:
        return
    root_ids = {str(t.checkpoint["id"]) for t in root}
    head = [t for t in ordered if str(t.checkpoint["id"]) in root_ids][-1]
    first = min(root, key=lambda t: str(t.checkpoint["id"]))
    first_values = first.checkpoint.get("channel_values") or {}
    source = (first.metadata or {}).get("source")
    call_input = first_values.get(START) if source == "input" else None

    error: dict[str, Any] | None = None
    interrupts: list[Any] = []
    for task_id, channel, value in head.pending_writes or []:
        if task_id == NULL_TASK_ID:
            continue
        if channel == ERROR and error is None:
            err = _error_value(value)
            error = {"type": str(err["$type"]).rsplit(".", 1)[-1], "message": str(err["$error"])}
        elif channel == INTERRUPT:
            interrupts.extend(value if isinstance(value, (list, tuple)) else [value])
    cp = head.checkpoint
    values = cp.get("channel_values") or {}
    spec = rec.specs.get(spec_key(""))
    why = explain(spec, cp.get("channel_versions") or {}, cp.get("versions_seen") or {}, values)
    if spec is None:  # inferred: a consumed barrier still has a value (its empty set)
        why = {
            node: reasons
            for node, reasons in why.items()
            if any(_barrier_ready(str(r[0]), values) for r in reasons)
        }
    if error is not None:
        status = "error"
    elif interrupts or why or values.get(TASKS):
        status = "interrupted"
    else:
        status = "completed"
    rec.writer.append(
        {
            "k": CALL,
            "call": 1,
            "thread": label,
            "thread_id": thread_id,
            "method": "from_checkpointer",
            "input": call_input,
            "t": None,
        },
        rec.limits,
    )
    rec.writer.append(
        {
            "k": CALL_END,
            "call": 1,
            "thread": label,
            "status": status,
            "interrupts": interrupts if status == "interrupted" else [],
            "error": error,
            "t": None,
        },
        rec.limits,
    )


def _barrier_ready(channel: str, values: Mapping[str, Any]) -> bool:
    """Without channel specs: is StateGraph's ``join:a+b:node`` barrier complete?"""
    if not channel.startswith(JOIN):
        return channel in values
    names = channel[len(JOIN) :].rsplit(":", 1)[0].split("+")
    got = values.get(channel)
    return isinstance(got, (set, frozenset, list, tuple)) and all(n in got for n in names)


# --------------------------------------------------------------------------- inputs


def _resolve(
    graph_or_saver: Any, override: BaseCheckpointSaver[Any] | None
) -> tuple[Any, BaseCheckpointSaver[Any]]:
    from langgraph.pregel import Pregel

    if override is not None and not isinstance(override, BaseCheckpointSaver):
        raise RecorderError(
            f"checkpointer= must be a LangGraph BaseCheckpointSaver, got {type(override).__name__}"
        )
    if isinstance(graph_or_saver, BaseCheckpointSaver):
        return None, override or graph_or_saver
    if isinstance(graph_or_saver, Pregel):
        saver = override or graph_or_saver.checkpointer
        if not isinstance(saver, BaseCheckpointSaver):
            raise RecorderError(
                "this graph has no checkpointer, so nothing of its past runs was kept; compile "
                "it with checkpointer=..., or pass the saver (or checkpointer=...) directly"
            )
        graph = graph_or_saver
        if saver is not graph.checkpointer:
            graph = graph.copy(update={"checkpointer": saver})
        return graph, saver
    hint = ""
    if hasattr(graph_or_saver, "compile") and callable(graph_or_saver.compile):
        hint = "; it looks like a builder: pass graph.compile(checkpointer=...)"
    raise RecorderError(
        "from_checkpointer takes a compiled LangGraph graph or a BaseCheckpointSaver, got "
        f"{type(graph_or_saver).__name__}{hint}"
    )


def _thread_id(config: Any) -> str:
    conf = config.get("configurable") if isinstance(config, Mapping) else None
    thread = conf.get("thread_id") if isinstance(conf, Mapping) else None
    if thread is None or thread == "":
        raise RecorderError(
            "from_checkpointer needs the thread to rebuild: "
            "config={'configurable': {'thread_id': ...}}"
        )
    return str(thread)


def _ns_of(tup: CheckpointTuple) -> str:
    return str((tup.config.get("configurable") or {}).get("checkpoint_ns") or "")


def _group_writes(
    pending: Iterable[tuple[str, str, Any]],
) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Pending writes per task id, tasks in first-write order (savers sort them like apply)."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in pending:
        if channel == ERROR:
            value = _error_value(value)
        groups.setdefault(str(task_id), []).append((str(channel), value))
    return list(groups.items())


def _oldest_first(by_ns: Mapping[str, list[CheckpointTuple]]) -> list[CheckpointTuple]:
    """Every checkpoint by id (uuid6: creation order), each after its parent in its namespace."""
    index = {(ns, str(t.checkpoint["id"])): t for ns, tups in by_ns.items() for t in tups}
    out: list[CheckpointTuple] = []
    done: set[tuple[str, str]] = set()
    for key in sorted(index, key=lambda k: k[1]):
        chain: list[tuple[str, str]] = []
        cur: tuple[str, str] | None = key
        while cur is not None and cur in index and cur not in done and cur not in chain:
            chain.append(cur)
            parent = (index[cur].parent_config or {}).get("configurable") or {}
            pid = parent.get("checkpoint_id")
            cur = (cur[0], str(pid)) if pid else None
        for k in reversed(chain):
            done.add(k)
            out.append(index[k])
    return out


def _parse_ts(ts: Any) -> float | None:
    if not isinstance(ts, str):
        return None
    try:
        return datetime.datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


def _first_ts(ordered: Sequence[CheckpointTuple]) -> float | None:
    stamps = [s for s in (_parse_ts(t.checkpoint.get("ts")) for t in ordered) if s is not None]
    return min(stamps) if stamps else None


def _ts_offset(ts: Any, t0: float | None, previous: float) -> float:
    stamp = _parse_ts(ts)
    if stamp is None or t0 is None:
        return previous
    return round(stamp - t0, 6)


_REPR = re.compile(r"\A([A-Za-z_][\w.]*)\((.*)\)\Z", re.DOTALL)


def _error_value(value: Any) -> Any:
    """A saved ``repr(exc)`` as the recorder tags a live exception: ``$type/$error/$repr``."""
    if isinstance(value, BaseException):
        return value
    text = value if isinstance(value, str) else repr(value)
    match = _REPR.match(text)
    if match is None:
        return {"$type": "Exception", "$error": text, "$repr": text}
    kind, inner = match.group(1), match.group(2)
    try:
        args = ast.literal_eval(f"({inner},)") if inner.strip() else ()
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        message = inner
    else:
        if not isinstance(args, tuple):
            message = inner
        elif len(args) == 0:
            message = ""
        elif len(args) == 1:
            message = repr(args[0]) if kind.endswith("KeyError") else str(args[0])
        else:
            message = str(args)
    return {"$type": kind, "$error": message, "$repr": text}


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


# --------------------------------------------------------------------------- task names


def _id_xxh3(namespace: bytes, *parts: str) -> str:
    h = xxhash.xxh3_128_hexdigest(namespace + b"".join(p.encode() for p in parts))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _id_uuid5(namespace: bytes, *parts: str) -> str:
    sha = hashlib.sha1(namespace, usedforsecurity=False)
    sha.update(b"".join(p.encode() for p in parts))
    h = sha.hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _update_id(checkpoint_id: str, i: int) -> str | None:
    """The id ``update_state`` files its writes under when no task was prepared for as_node."""
    try:
        name = INTERRUPT if i == 0 else f"{INTERRUPT}:{i}"
        return str(uuid.uuid5(uuid.UUID(checkpoint_id), name))
    except ValueError:
        return None


class _Namer:
    """Names the tasks whose writes a checkpoint holds, and finds the thread's namespaces."""

    def __init__(
        self,
        graph: Any,
        saver: BaseCheckpointSaver[Any],
        specs: Mapping[str, GraphSpec],
        thread_id: str,
    ) -> None:
        self.graph = graph
        self.saver = saver
        self.specs = specs
        self.thread_id = thread_id
        self.by_ns: dict[str, list[CheckpointTuple]] = {}
        self._snapshots: dict[str, dict[str, dict[str, tuple[str, tuple[Any, ...]]]]] = {}
        self._pools: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        self._cache: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        self._children: dict[str, dict[str, set[str]]] = {}
        self._call_names = sorted(_task_function_names(graph)) if graph is not None else []

    # --- namespaces -----------------------------------------------------------------------

    def collect(self) -> dict[str, list[CheckpointTuple]]:
        """Every checkpoint of the thread, by namespace.

        ``list()`` without a ``checkpoint_ns`` returns every namespace in InMemorySaver,
        SqliteSaver and PostgresSaver. A saver that returns the root only is probed for the
        namespace of each task (``node:task_id``), recursively.
        """
        base: RunnableConfig = {"configurable": {"thread_id": self.thread_id}}
        for tup in self.saver.list(base):
            self.by_ns.setdefault(_ns_of(tup), []).append(tup)
        if set(self.by_ns) == {""}:
            todo = [""]
            while todo:
                ns = todo.pop()
                for tup in list(self.by_ns.get(ns, [])):
                    for task_id, (name, _) in self.names(ns, tup).items():
                        if name in ("?", INTERRUPT):
                            continue
                        part = f"{name}{NS_END}{task_id}"
                        child = f"{ns}{NS_SEP}{part}" if ns else part
                        if child in self.by_ns:
                            continue
                        found = list(
                            self.saver.list(
                                {
                                    "configurable": {
                                        "thread_id": self.thread_id,
                                        "checkpoint_ns": child,
                                    }
                                }
                            )
                        )
                        if found:
                            self.by_ns[child] = found
                            todo.append(child)
        return self.by_ns

    # --- names ----------------------------------------------------------------------------

    def names(self, ns: str, tup: CheckpointTuple) -> dict[str, tuple[str, str]]:
        """task id -> (name, path string) for the writers of this checkpoint that are known."""
        cp = tup.checkpoint
        key = (ns, str(cp["id"]))
        if key in self._cache:
            return self._cache[key]
        wanted = {str(w[0]) for w in tup.pending_writes or []} - {NULL_TASK_ID}
        out: dict[str, tuple[str, str]] = {}
        paths: dict[str, Any] = {}
        if wanted:
            for tid, (name, path) in self._snapshot(ns).get(str(cp["id"]), {}).items():
                if tid in wanted:
                    out[tid] = (name, task_path_str(path))
                    paths[tid] = path
            try:
                if wanted - set(out):
                    self._by_hash(ns, tup, wanted, out, paths)
                if wanted - set(out) and not paths:
                    self._by_elimination(ns, tup, wanted, out)
                self._updates(ns, tup, wanted, out)
            except (TypeError, ValueError, AttributeError, KeyError):
                pass  # a checkpoint of an unexpected shape: what is named so far stands
        self._cache[key] = out
        return out

    def _updates(
        self, ns: str, tup: CheckpointTuple, wanted: set[str], out: dict[str, tuple[str, str]]
    ) -> None:
        """``update_state(as_node=X)`` at the head files X's writes under X's prepared task id.

        Told apart from a task that ran: a superstep whose tasks all finished (no error, no
        interrupt) always makes a ``loop`` checkpoint; here there is none, only an ``update``.
        """
        children = self._children.get(ns)
        if children is None:
            children = self._children[ns] = {}
            for other in self.by_ns.get(ns, []):
                pid = ((other.parent_config or {}).get("configurable") or {}).get("checkpoint_id")
                if pid:
                    source = str((other.metadata or {}).get("source"))
                    children.setdefault(str(pid), set()).add(source)
        sources = children.get(str(tup.checkpoint["id"]), set())
        if "loop" in sources or "update" not in sources:
            return
        stuck = {ERROR, INTERRUPT}
        if any(w[1] in stuck for w in tup.pending_writes or [] if w[0] != NULL_TASK_ID):
            return
        for i, tid in enumerate(sorted(wanted)):
            out[tid] = (INTERRUPT, task_path_str((INTERRUPT, i)))

    def _snapshot(self, ns: str) -> dict[str, dict[str, tuple[str, tuple[Any, ...]]]]:
        """LangGraph's own answer: the tasks of each checkpoint, from get_state_history."""
        if ns in self._snapshots:
            return self._snapshots[ns]
        found: dict[str, dict[str, tuple[str, tuple[Any, ...]]]] = {}
        self._snapshots[ns] = found
        if self.graph is None or (ns and spec_key(ns) not in self.specs):
            return found
        cfg = {"configurable": {"thread_id": self.thread_id, "checkpoint_ns": ns}}
        try:
            for snap in self.graph.get_state_history(cfg):
                cp_id = str((snap.config.get("configurable") or {}).get("checkpoint_id"))
                found[cp_id] = {str(t.id): (str(t.name), tuple(t.path)) for t in snap.tasks}
        except Exception:  # a subgraph LangGraph cannot find, a state it cannot read...
            pass
        return found

    def _pools_for(self, ns: str) -> dict[str, list[tuple[str, ...]]]:
        """Node name -> candidate trigger sets (sorted), for recomputing pull task ids."""
        if ns in self._pools:
            return self._pools[ns]
        spec = self.specs.get(spec_key(ns))
        pools: dict[str, list[tuple[str, ...]]] = {}
        if spec is not None:
            pools = {name: [tuple(sorted(trig))] for name, trig in spec.triggers.items()}
        else:
            channels: set[str] = set()
            seen: dict[str, set[str]] = {}
            for tup in self.by_ns.get(ns, []):
                versions = tup.checkpoint.get("channel_versions")
                if isinstance(versions, Mapping):
                    channels.update(str(c) for c in versions)
                seen_all = tup.checkpoint.get("versions_seen")
                for node, chans in (seen_all if isinstance(seen_all, Mapping) else {}).items():
                    if node not in _SEEN_RESERVED and isinstance(chans, Mapping):
                        seen.setdefault(str(node), set()).update(str(c) for c in chans)
            nodes = set(seen)
            for ch in channels:
                if ch.startswith(BRANCH_TO):
                    nodes.add(ch[len(BRANCH_TO) :])
                elif ch.startswith(JOIN):
                    nodes.add(ch.rsplit(":", 1)[-1])
            nodes.add(START)
            for node in sorted(nodes):
                pool = set(seen.get(node, ())) | {f"{BRANCH_TO}{node}"}
                pool |= {
                    c
                    for c in channels
                    if c == node or (c.startswith(JOIN) and c.endswith(f":{node}"))
                }
                if node == START or START in channels:
                    pool.add(START)
                pools[node] = _subsets(sorted(pool))
        self._pools[ns] = pools
        return pools

    def _by_hash(
        self,
        ns: str,
        tup: CheckpointTuple,
        wanted: set[str],
        out: dict[str, tuple[str, str]],
        paths: dict[str, Any],
    ) -> None:
        """Recompute LangGraph's task ids from what they hash; keep only exact matches."""
        cp = tup.checkpoint
        cp_id = str(cp["id"])
        step_no = (tup.metadata or {}).get("step")
        if not isinstance(step_no, int):
            return
        try:
            cp_bytes = binascii.unhexlify(cp_id.replace("-", ""))
        except (binascii.Error, ValueError):
            return
        version = cp.get("v")
        make = _id_xxh3 if isinstance(version, int) and version > 1 else _id_uuid5
        step = str(step_no + 1)

        def task_ns(name: str) -> str:
            return f"{ns}{NS_SEP}{name}" if ns else name

        def hit(tid: str, name: str, path: tuple[Any, ...]) -> bool:
            if tid in wanted and tid not in out:
                out[tid] = (name, task_path_str(path))
                paths[tid] = path
                return True
            return False

        # pull tasks: (checkpoint, ns|name, step, name, PULL, *sorted(triggers))
        for name, trigger_sets in self._pools_for(ns).items():
            for triggers in trigger_sets:
                if hit(
                    make(cp_bytes, task_ns(name), step, name, PULL, *triggers), name, (PULL, name)
                ):
                    break
        # Sends: (checkpoint, ns|node, step, node, PUSH, idx)
        sends = (cp.get("channel_values") or {}).get(TASKS) or []
        if isinstance(sends, (list, tuple)):
            for idx, packet in enumerate(sends):
                node = getattr(packet, "node", None)
                if isinstance(node, str):
                    hit(
                        make(cp_bytes, task_ns(node), step, node, PUSH, str(idx)),
                        node,
                        (PUSH, idx, False),
                    )
        # update_state writes: not tasks (the reader files "~__interrupt__" paths as input)
        for i in range(len(wanted)):
            uid = _update_id(cp_id, i)
            if uid is not None and uid in wanted and uid not in out:
                out[uid] = (INTERRUPT, task_path_str((INTERRUPT, i)))
        # @task calls: (checkpoint, <caller's task ns>|name, step, name, PUSH, caller's path,
        # idx of the call); a call made from a call nests, so search breadth-first from callers
        if not self._call_names:
            return
        bound = len(wanted) + 4
        frontier = [(path, f"{task_ns(out[tid][0])}{NS_END}{tid}") for tid, path in paths.items()]
        while frontier and wanted - set(out):
            found: list[tuple[tuple[Any, ...], str]] = []
            for parent, parent_ns in frontier:
                parent_str = task_path_str(parent)
                for idx in range(bound):
                    for name in self._call_names:
                        call_ns = f"{parent_ns}{NS_SEP}{name}"
                        tid = make(cp_bytes, call_ns, step, name, PUSH, parent_str, str(idx))
                        path = (PUSH, parent, idx, True)
                        if hit(tid, name, path):
                            found.append((path, f"{call_ns}{NS_END}{tid}"))
            frontier = found

    def _by_elimination(
        self, ns: str, tup: CheckpointTuple, wanted: set[str], out: dict[str, tuple[str, str]]
    ) -> None:
        """No task id recomputes (an unknown id scheme), one writer, one predicted node: it.

        Only tried when no writer of the checkpoint could be named exactly: when some could,
        the one left is something else (a ``@task`` call of an unknown function, say).
        """
        left = sorted(wanted - set(out))
        cp = tup.checkpoint
        if len(left) != 1 or (cp.get("channel_values") or {}).get(TASKS):
            return
        why = explain(
            self.specs.get(spec_key(ns)),
            cp.get("channel_versions") or {},
            cp.get("versions_seen") or {},
            cp.get("channel_values") or {},
        )
        named = {name for name, _ in out.values()}
        nodes = [n for n in why if n not in named]
        if len(nodes) == 1:
            out[left[0]] = (nodes[0], task_path_str((PULL, nodes[0])))


def _subsets(pool: list[str]) -> list[tuple[str, ...]]:
    """Candidate trigger sets, largest first (all subsets of a small pool)."""
    if len(pool) > _MAX_POOL:
        return [tuple(pool)] + [(c,) for c in pool]
    out: list[tuple[str, ...]] = []
    for size in range(len(pool), 0, -1):
        out.extend(itertools.combinations(pool, size))
    return out


def _task_function_names(graph: Any) -> set[str]:
    """Names of the functional-API ``@task`` functions the graph's node functions reference."""
    graphs = [graph]
    with contextlib.suppress(Exception):
        graphs.extend(g for _, g in graph.get_subgraphs(recurse=True))
    names: set[str] = set()
    for g in graphs:
        for node in getattr(g, "nodes", {}).values():
            bound = getattr(node, "bound", None)
            for attr in ("func", "afunc"):
                for obj in _referenced(getattr(bound, attr, None)):
                    name = _task_name(obj)
                    if name:
                        names.add(name)
    return names


def _task_name(obj: Any) -> str | None:
    kind = type(obj)
    if kind.__name__ != "_TaskFunction" or not kind.__module__.startswith("langgraph"):
        return None
    name = getattr(getattr(obj, "func", None), "__name__", None)
    return name if isinstance(name, str) else None


def _referenced(func: Any) -> Iterator[Any]:
    """Objects a function reaches by name: closure cells and globals its code names."""
    seen: set[int] = set()
    todo = [func]
    while todo:
        f = todo.pop()
        if f is None or id(f) in seen or len(seen) > 200:
            continue
        seen.add(id(f))
        if isinstance(f, functools.partial):
            todo.append(f.func)
            continue
        wrapped = getattr(f, "__wrapped__", None)
        if wrapped is not None:
            todo.append(wrapped)
        code = getattr(f, "__code__", None)
        if not isinstance(code, types.CodeType):
            continue
        for cell in getattr(f, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            yield value
            if isinstance(value, types.FunctionType):
                todo.append(value)
        glb = getattr(f, "__globals__", None) or {}
        for name in _code_names(code):
            if name in glb:
                yield glb[name]


def _code_names(code: types.CodeType) -> set[str]:
    names: set[str] = set()
    todo = [code]
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return names
