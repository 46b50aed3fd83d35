"""Open a thread of a LangGraph server: :func:`from_server`.

A LangGraph server (``langgraph dev``, ``langgraph up``, LangGraph Platform) keeps every
checkpoint of a thread, and answers for them through its API. This module reads them with
``langgraph-sdk`` (the optional extra ``pregel-viz[server]``) and writes the recorder's events
directly from what the API gives, as :func:`pregel_viz.from_checkpointer` does from a saver:

* each checkpoint of ``threads.get_history``, paged through to the thread's first, in the root
  graph and in every subgraph namespace its tasks name (``checkpoint_ns``), recursively: its
  step, source, parent and time, and the state as the server shows it (plain JSON: class tags
  are lost, so a LangChain message reads as its fields);
* each task listed at a checkpoint: its id, name and path, what it wrote to the state keys
  (``result``), its error (a ``repr`` string, parsed back into type and message) and its
  interrupt (the last one only);
* each call on the thread from ``runs.list``: its input, or the ``Command`` that resumed it,
  and its times; how the last one ended from ``threads.get`` (status, error, interrupts);
* the structure from ``assistants.get_graph`` (with ``xray=True`` for the subgraphs' nodes) and
  the state keys from ``assistants.get_schemas``.

What the server does not keep is marked unknown, never guessed: channel versions and so why a
task ran (``task.triggers is None``), who wrote its triggers, who sent a Send (``sent_by``),
routing, Send and ``goto`` writes (LangGraph's own channels), attempts and their times
(``task.attempts is UNKNOWN``), the calls made inside tasks (``task.calls is UNKNOWN``), task
inputs, resume values per task, every interrupt of a task but the last, and the interrupts of
calls before the last. Tasks triggered by a join (``add_edge(["b", "c"], "d")``) and
functional-API ``@task`` calls are not in a server's history: where the state changes between
two checkpoints and the server lists no task, the superstep holds one task named ``"?"``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ..errors import RecorderError, ServerError
from ..events import (
    CALL,
    CALL_END,
    CHECKPOINT,
    ERROR,
    INTERRUPT,
    NO_WRITES,
    ROOT,
    START,
    UNLISTED_TASK,
    WRITES,
)
from ..load_limits import LoadLimits
from ..model import Run
from ..values import DEFAULT_LIMITS, Limits
from ._history import parents_first
from ._lg import task_path_str
from ._server_api import Api, cp_id, histories, list_runs, parent_id, structure
from ._session import Recorder
from .rebuild import error_value

__all__ = ["UNKNOWN_FROM_SERVER", "from_server", "list_threads"]

UNKNOWN_FROM_SERVER = (
    "channel versions",
    "why each task ran",
    "who wrote its triggers",
    "who sent each Send",
    "routing, Send and goto writes",
    "attempts and their times",
    "calls inside tasks",
    "task inputs",
    "resume values per task",
    "every interrupt of a task but the last",
    "tasks triggered by a join, and @task calls",
)
"""What a server's thread history does not keep: marked unknown in a pulled run."""

_UNKNOWN_TASK = UNLISTED_TASK
_STATUS = {"success": "completed", "error": "error", "timeout": "error", "interrupted": "stopped"}


# --------------------------------------------------------------------------- public API


def from_server(
    url: str,
    thread_id: str,
    *,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Run:
    """The run of thread ``thread_id`` of the LangGraph server at ``url``, from its history.

    Args:
        url: the server, e.g. ``http://127.0.0.1:2024`` or a LangGraph Platform deployment.
        thread_id: the thread to open (``pregel-viz pull URL --list`` lists recent ones).
        api_key: sent as ``x-api-key``; default: ``LANGGRAPH_API_KEY``, else
            ``LANGSMITH_API_KEY`` from the environment (a local ``langgraph dev`` needs none).
        headers: more HTTP headers for every request (an ``Authorization`` header, say).
        limits: bounds on recorded values.

    Returns:
        The run, with ``meta["timings"] == "unknown"`` and ``meta["rebuilt_from"] ==
        "langgraph-server"``; see the module docstring for what is known and what is marked
        unknown. One call per run the server made on the thread, in order.

    Raises:
        ServerError: the server cannot be reached, does not answer as a LangGraph server,
            refuses the API key (401/403), or has no such thread.
        RecorderError: ``langgraph-sdk`` is not installed (``pip install 'pregel-viz[server]'``).
    """
    if not isinstance(thread_id, str) or not thread_id:
        raise RecorderError("from_server needs the id of the thread to open, a non-empty string")
    api = Api(url, api_key, headers)
    thread = api.call("threads.get", lambda c: c.threads.get(thread_id), thread_id=thread_id)
    if not isinstance(thread, Mapping):
        raise api.garbage("threads.get", thread)
    by_ns = histories(api, thread_id)
    if not by_ns.get(""):
        raise ServerError(
            f"thread {thread_id!r} on {api.url} has no checkpoints yet: nothing ran on it"
        )
    runs = list_runs(api, thread_id)
    meta_of = _mapping(thread.get("metadata"))
    graph_id = str(meta_of.get("graph_id") or _first_meta(by_ns[""], "graph_id") or "")
    assistant = str(meta_of.get("assistant_id") or _first_meta(by_ns[""], "assistant_id") or "")
    meta = {
        "timings": "unknown",
        "rebuilt_from": "langgraph-server",
        "thread_id": thread_id,
        "server": api.url,
        "graph": graph_id or f"(thread {thread_id} on {api.url})",
        "unknown": list(UNKNOWN_FROM_SERVER),
    }
    rec = Recorder.for_rebuild(None, meta, limits=limits)
    entries = parents_first(by_ns, lambda e: str(cp_id(e)), parent_id)
    t0 = _first_time(
        [e.get("created_at") for _, e in entries] + [r.get("created_at") for r in runs]
    )
    for event in structure(api, assistant or graph_id, by_ns):
        rec.writer.append(event, rec.limits)
    _emit_checkpoints(rec, thread_id, by_ns, entries, t0, run_inputs(runs))
    _emit_calls(rec, thread_id, thread, runs, by_ns[""], t0)
    rec.close()
    return Run.from_bytes(
        rec.writer.getvalue(),
        source=f"{api.url} thread {thread_id}",
        limits=LoadLimits.unlimited(),  # written by this process from plain JSON
    )


def list_threads(
    url: str,
    *,
    limit: int = 20,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The server's most recently updated threads: ``thread_id``, ``graph``, ``status``,
    ``updated`` (ISO time), newest first. Raises :class:`ServerError` as :func:`from_server`."""
    api = Api(url, api_key, headers)
    found = api.call(
        "threads.search",
        lambda c: c.threads.search(limit=limit, sort_by="updated_at", sort_order="desc"),
    )
    if not isinstance(found, list):
        raise api.garbage("threads.search", found)
    out = []
    for t in found:
        if not isinstance(t, Mapping):
            raise api.garbage("threads.search", found)
        meta = _mapping(t.get("metadata"))
        out.append(
            {
                "thread_id": str(t.get("thread_id")),
                "graph": str(meta.get("graph_id") or ""),
                "status": str(t.get("status") or ""),
                "updated": str(t.get("updated_at") or ""),
            }
        )
    return out


# --------------------------------------------------------------------------- the API


# --------------------------------------------------------------------------- events


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _meta(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = entry.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _first_meta(entries: list[dict[str, Any]], key: str) -> Any:
    return next((_meta(e).get(key) for e in entries if _meta(e).get(key)), None)


def server_time(stamp: Any) -> float | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _first_time(stamps: list[Any]) -> float | None:
    found = [t for t in map(server_time, stamps) if t is not None]
    return min(found) if found else None


def _offset(stamp: Any, t0: float | None) -> float | None:
    t = server_time(stamp)
    return None if t is None or t0 is None else round(t - t0, 6)


def interrupt_value(value: Any) -> dict[str, Any]:
    """A server's ``{"value", "id"}`` as the recorder tags LangGraph's Interrupt."""
    if isinstance(value, Mapping) and "value" in value:
        fields = {"value": value.get("value"), "id": value.get("id")}
    else:
        fields = {"value": value, "id": None}
    return {"$type": "langgraph.types.Interrupt", "$fields": fields}


def task_writes(task: Mapping[str, Any]) -> list[list[Any]] | None:
    """A listed task's writes as the recorder files them; None: it has not run (yet)."""
    result, error, interrupts = task.get("result"), task.get("error"), task.get("interrupts")
    if result is None and not error and not interrupts:
        return None
    writes: list[list[Any]] = []
    if isinstance(result, Mapping):
        writes.extend([str(k), v] for k, v in result.items())
    elif result is not None:
        writes.append([ROOT, result])
    if error:
        writes.append([ERROR, error_value(str(error))])
    if interrupts:
        items = interrupts if isinstance(interrupts, list) else [interrupts]
        writes.append([INTERRUPT, [interrupt_value(i) for i in items]])
    return writes


def state_values(entry: Mapping[str, Any]) -> dict[str, Any]:
    values = entry.get("values")
    if isinstance(values, Mapping):
        return {str(k): v for k, v in values.items()}
    return {} if values is None else {ROOT: values}


def checkpoint_event(
    label: str,
    ns: str,
    cp: str,
    parent: str | None,
    meta: Mapping[str, Any],
    values: dict[str, Any],
    updated: list[str] | None,
    why: dict[str, list[Any]],
    t: float | None,
) -> dict[str, Any]:
    """The ``checkpoint`` event of a checkpoint a LangGraph server gave (pulled from its history
    or streamed): its step, source, parents and values, with no channel versions (a server gives
    none), so ``why`` names at most what runs next and is always inferred."""
    step, source = meta.get("step"), meta.get("source")
    return {
        "k": CHECKPOINT,
        "thread": label,
        "ns": ns,
        "id": cp,
        "parent": parent,
        "step": step if isinstance(step, int) and not isinstance(step, bool) else None,
        "source": str(source) if source is not None else None,
        "parents": dict(meta.get("parents") or {}),
        "full": True,
        "versions": {},
        "values": values,
        "removed": [],
        "seen": {},
        "updated": updated,
        "why": why,
        "why_inferred": True,
        "t": t,
    }


def run_inputs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each run's input, by run id: what its input checkpoint's ``__start__`` channel held
    (a server's history gives the state keys only). Runs resumed by a Command have none."""
    out: dict[str, Any] = {}
    for run in runs:
        kwargs = _mapping(run.get("kwargs"))
        if kwargs.get("input") is not None and not kwargs.get("command"):
            out[str(run.get("run_id"))] = kwargs["input"]
    return out


def with_input(values: dict[str, Any], ns: str, meta: Mapping[str, Any], given: Any) -> None:
    """An input checkpoint of the root graph holds its run's input in ``__start__``, as in
    LangGraph's own checkpoint (``None``: not known)."""
    if ns == "" and meta.get("source") == "input" and given is not None:
        values[START] = given


def _emit_checkpoints(
    rec: Recorder,
    label: str,
    by_ns: Mapping[str, list[dict[str, Any]]],
    entries: list[tuple[str, dict[str, Any]]],
    t0: float | None,
    inputs: Mapping[str, Any],
) -> None:
    children: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ns, entry in entries:
        pid = parent_id(entry)
        if pid:
            children.setdefault((ns, pid), []).append(entry)
    for ns, entry in entries:
        this = str(cp_id(entry))
        meta = _meta(entry)
        source = meta.get("source")
        parent = parent_id(entry)
        values = state_values(entry)
        with_input(values, ns, meta, inputs.get(str(meta.get("run_id"))))
        t = _offset(entry.get("created_at"), t0)
        updated: list[str] | None = None
        if source == "loop" and parent:
            before = next((e for e in by_ns.get(ns, ()) if cp_id(e) == parent), None)
            if before is not None:
                written = {
                    str(k)
                    for task in before.get("tasks") or ()
                    if isinstance(task, Mapping) and isinstance(task.get("result"), Mapping)
                    for k in task["result"]
                }
                updated = sorted(written)
        # what runs next, as the server lists it; why (channels, versions) is unknown
        why: dict[str, list[Any]] = {
            str(n): [] for n in entry.get("next") or () if isinstance(n, str)
        }
        rec.writer.append(
            checkpoint_event(label, ns, this, parent, meta, values, updated, why, t),
            rec.limits,
        )
        ran = [e for e in children.get((ns, this), ()) if _meta(e).get("source") == "loop"]
        listed = [t for t in entry.get("tasks") or () if isinstance(t, Mapping)]
        for task in listed:
            writes = task_writes(task)
            if writes is None and not ran:
                continue  # next to run, not run yet
            path = task.get("path")
            rec.writer.append(
                {
                    "k": WRITES,
                    "thread": label,
                    "ns": ns,
                    "cp": this,
                    "task": str(task.get("id")),
                    "path": task_path_str(path) if path else f"~{_UNKNOWN_TASK}",
                    # a task that ran (a checkpoint followed) but whose writes the server did
                    # not keep (routing, Sends): finished, as LangGraph marks a task that wrote
                    # nothing, rather than shown as never done
                    "writes": writes or [[NO_WRITES, None]],
                    "name": str(task.get("name") or _UNKNOWN_TASK),
                    "t": t,
                },
                rec.limits,
            )
        if not listed and any(state_values(e) != values for e in ran):
            # the join gap: the state changed, the server names no task
            rec.writer.append(
                {
                    "k": WRITES,
                    "thread": label,
                    "ns": ns,
                    "cp": this,
                    "task": f"unknown:{this}",
                    "path": f"~{_UNKNOWN_TASK}",
                    "writes": [[NO_WRITES, None]],  # finished; what it wrote is unknown
                    "name": _UNKNOWN_TASK,
                    "t": t,
                },
                rec.limits,
            )


def command_value(command: Mapping[str, Any]) -> dict[str, Any]:
    """A run's ``command`` as the recorder tags LangGraph's Command."""
    fields = {
        "graph": command.get("graph"),
        "update": command.get("update"),
        "resume": command.get("resume"),
        "goto": command.get("goto") or [],
    }
    return {"$type": "langgraph.types.Command", "$fields": fields}


def _emit_calls(
    rec: Recorder,
    label: str,
    thread: Mapping[str, Any],
    runs: list[dict[str, Any]],
    root: list[dict[str, Any]],
    t0: float | None,
) -> None:
    """One call per run; the last one's outcome is the thread's."""
    if not runs:  # a thread written by update_state alone, or runs the server forgot
        runs = [{"kwargs": {}, "status": None}]
    last_of: dict[str, Mapping[str, Any]] = {}
    for entry in sorted(root, key=lambda e: str(cp_id(e))):
        run_id = _meta(entry).get("run_id")
        if isinstance(run_id, str):
            last_of[run_id] = entry
    for i, run in enumerate(runs, start=1):
        kwargs = _mapping(run.get("kwargs"))
        command = kwargs.get("command")
        call_input = command_value(command) if isinstance(command, Mapping) else kwargs.get("input")
        rec.writer.append(
            {
                "k": CALL,
                "call": i,
                "thread": label,
                "thread_id": label,
                "method": "run",
                "input": call_input,
                "t": _offset(run.get("created_at"), t0),
            },
            rec.limits,
        )
        if i == len(runs):
            status, interrupts, error = _outcome(thread)
        else:
            status, interrupts, error = _run_status(run, last_of.get(str(run.get("run_id"))))
        rec.writer.append(
            {
                "k": CALL_END,
                "call": i,
                "thread": label,
                "status": status,
                "interrupts": interrupts,
                "error": error,
                "t": _offset(run.get("updated_at"), t0),
            },
            rec.limits,
        )


def _run_status(
    run: Mapping[str, Any], last: Mapping[str, Any] | None
) -> tuple[str, list[Any], dict[str, Any] | None]:
    """How an earlier run ended. A run that stopped at an interrupt is a "success" to the
    server: its last checkpoint still had tasks to run, or it made none (a resumed task that
    interrupted again). Its interrupts are not kept."""
    status = _STATUS.get(str(run.get("status")), str(run.get("status") or "unknown"))
    if status == "completed" and (last is None or last.get("next")):
        status = "interrupted"
    return status, [], None


def _outcome(thread: Mapping[str, Any]) -> tuple[str, list[Any], dict[str, Any] | None]:
    status = str(thread.get("status") or "")
    raw = thread.get("interrupts")
    interrupts: list[Any] = []
    if isinstance(raw, Mapping):
        for items in raw.values():
            interrupts.extend(
                interrupt_value(i) for i in (items if isinstance(items, list) else [items])
            )
    elif isinstance(raw, list):
        interrupts.extend(interrupt_value(i) for i in raw)
    err = thread.get("error")
    if status == "error" or err:
        error = None
        if isinstance(err, Mapping):
            error = {
                "type": str(err.get("error") or "Exception"),
                "message": str(err.get("message") or ""),
            }
        elif err:
            parsed = error_value(str(err))
            error = {
                "type": str(parsed["$type"]).rsplit(".", 1)[-1],
                "message": str(parsed["$error"]),
            }
        return "error", [], error
    if status == "interrupted" or interrupts:
        return "interrupted", interrupts, None
    if status == "busy":
        return "running", [], None
    return "completed", [], None
