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

State keys are shown as ``get_state_history`` shows them (a ``LastValueAfterFinish`` once
released, a ``DeltaChannel`` rebuilt from its snapshot and the writes since), given the graph;
from a bare saver, whose channel classes are unknown, they are shown as stored. A rebuilt run
shows what the saver stored, which is not always what the run held: under
``durability="async"`` LangGraph may store a ``Topic(accumulate=True)`` or a
``NamedBarrierValue`` after the next superstep has already added to it (LangGraph issue #8748),
and ``get_state_history`` shows the same. A live recording (:func:`pregel_viz.record`) keeps
what each checkpoint held when it was made.

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

Checkpoint files and databases are untrusted input: LangGraph's default serializer imports and
calls whatever a checkpoint names. Open files with :func:`open_sqlite` and Postgres databases
with :func:`open_postgres` (or rebuild a thread at once with :func:`from_postgres`), which use a
strict serializer.

An ``AsyncPostgresSaver`` (a graph compiled with one, or the saver itself) is read through a
synchronous connection to the same database: its own synchronous methods fail in its event
loop's thread (``InvalidStateError``), as in a notebook cell or an ``async def``.
"""

from __future__ import annotations

import ast
import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

from ..errors import RecorderError
from ..events import CALL, CALL_END, JOIN, START, spec_key
from ..load_limits import LoadLimits
from ..model import Run
from ..values import DEFAULT_LIMITS, Limits
from ._history import Namer as _Namer
from ._history import ns_of, oldest_first
from ._lg import ERROR, INTERRUPT, NULL_TASK_ID, TASKS, task_path_str
from ._postgres import open_postgres, sync_reader
from ._session import Recorder
from ._sqlite import open_sqlite, strict_serde
from ._topology import explain

__all__ = [
    "from_checkpointer",
    "from_postgres",
    "open_postgres",
    "open_sqlite",
    "strict_serde",
    "task_path_str",
]

_UNNAMED = ("?", "~?")


# --------------------------------------------------------------------------- public API


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
        ``ts``, in seconds since the first one. The state at each checkpoint is what
        ``get_state_history`` shows (given the graph; a bare saver's values are shown as
        stored), including what LangGraph stored late under ``durability="async"``: see the
        module docstring.

    An ``AsyncPostgresSaver`` is read over a new synchronous, read-only connection to its
    database (with its own serializer), so this works inside its event loop too (a notebook
    cell, an ``async def``), where its synchronous methods raise ``InvalidStateError``.

    Raises:
        RecorderError: no ``thread_id`` in ``config``, a graph without a checkpointer, or a
            thread without checkpoints; for an ``AsyncPostgresSaver``, its database cannot be
            reached.

    Security: loading a checkpoint runs the saver's serializer. LangGraph's default
    ``JsonPlusSerializer`` is permissive: it imports and calls any class a checkpoint names.
    For a file you did not write yourself, open it with :func:`open_sqlite` (a Postgres
    database with :func:`open_postgres`), or give your saver
    ``serde=strict_serde()`` (or set ``LANGGRAPH_STRICT_MSGPACK=true`` before LangGraph is
    imported) -- in particular when passing a graph, whose saver is usually permissive: pass
    ``checkpointer=open_sqlite(path)`` alongside it.
    """
    graph, saver = _resolve(graph_or_saver, checkpointer)
    thread_id = _thread_id(config)
    kind = type(saver).__name__
    reader = sync_reader(saver)
    if reader is None:
        return _rebuild(graph, saver, kind, thread_id, limits)
    try:  # an AsyncPostgresSaver: its rows, read over a synchronous connection
        if graph is not None:
            graph = graph.copy(update={"checkpointer": reader})
        return _rebuild(graph, reader, kind, thread_id, limits)
    finally:
        reader.conn.close()  # type: ignore[attr-defined]


def from_postgres(
    dsn: str,
    thread_id: str,
    *,
    graph: Any = None,
    allowed_msgpack_modules: Iterable[tuple[str, ...] | type] = (),
) -> Run:
    """Rebuild a thread stored by a ``PostgresSaver`` (a deployment's database) as a Run.

    :func:`open_postgres` (read-only, strict serializer, no ``setup()``), then
    :func:`from_checkpointer` on the thread, then the connection is closed. Given the compiled
    ``graph`` that ran (its own checkpointer is not used), the "why" of every step is exact and
    every task is named, ``@task`` calls included; without it they are inferred from the
    channel names, as from any bare saver. ``pregel-viz pull postgresql://... THREAD_ID -o
    FILE`` calls this.

    Args:
        dsn: ``postgresql://user:password@host:port/dbname`` or any libpq connection string.
        thread_id: the thread to rebuild.
        graph: the compiled graph that ran, if you have it.
        allowed_msgpack_modules: your own types to construct, as for :func:`open_postgres`.

    Raises:
        RecorderError: as :func:`open_postgres` (server down, login refused, no checkpoint
            tables, a pickled value), or the thread has no checkpoints.
    """
    saver = open_postgres(dsn, allowed_msgpack_modules=allowed_msgpack_modules)
    try:
        config = {"configurable": {"thread_id": str(thread_id)}}
        if graph is None:
            return from_checkpointer(saver, config)
        return from_checkpointer(graph, config, checkpointer=saver)
    finally:
        saver.conn.close()


def _rebuild(
    graph: Any, saver: BaseCheckpointSaver[Any], kind: str, thread_id: str, limits: Limits
) -> Run:
    label = thread_id
    meta: dict[str, Any] = {
        "timings": "unknown",
        "rebuilt_from": kind,
        "thread_id": thread_id,
    }
    if graph is None:
        meta["graph"] = f"({kind} thread {thread_id})"
    rec = _RebuildRecorder.for_rebuild(graph, meta, limits=limits)
    assert isinstance(rec, _RebuildRecorder)
    namer = _Namer(graph, saver, rec.specs, thread_id)
    by_ns = namer.collect()
    if not by_ns:
        raise RecorderError(
            f"thread {thread_id!r} has no checkpoints in this {kind}; "
            "check the thread_id and that the graph ran with this checkpointer"
        )

    ordered = oldest_first(by_ns)
    t0 = _first_ts(ordered)
    for tup in ordered:
        ns = ns_of(tup)
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
        history = _history(rec, saver, parent_cfg, tup)
        rec.on_put(label, parent_cfg, cp, dict(tup.metadata or {}), history)
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
        source=f"{kind}:{thread_id}",
        limits=LoadLimits.unlimited(),  # written by this process: trusted
    )


# --------------------------------------------------------------------------- the recorder


class _RebuildRecorder(Recorder):
    """A recorder whose clock is the time of the checkpoint being fed, not the wall clock, and
    that replays a checkpoint's writes in the saver's order (the order they are fed in)."""

    ARRIVAL_ORDER = True
    clock: float = 0.0

    def now(self) -> float:
        return self.clock


def _history(
    rec: Recorder,
    saver: BaseCheckpointSaver[Any],
    parent_cfg: Mapping[str, Any],
    tup: CheckpointTuple,
) -> Mapping[str, Any] | None:
    """The saver's DeltaChannel history of a checkpoint whose parent was not fed (the thread
    no longer holds it); the recorder rebuilds the others from the parent's values and writes."""
    chans = rec.history_needed(parent_cfg, tup.checkpoint)
    if not chans:
        return None
    try:
        return saver.get_delta_channel_history(config=tup.config, channels=chans)
    except Exception:  # a saver without it: those values are marked not recorded
        return None


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
            err = error_value(value)
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


def _group_writes(
    pending: Iterable[tuple[str, str, Any]],
) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Pending writes per task id, tasks in first-write order (savers sort them like apply)."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in pending:
        if channel == ERROR:
            value = error_value(value)
        groups.setdefault(str(task_id), []).append((str(channel), value))
    return list(groups.items())


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


def error_value(value: Any) -> Any:
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
