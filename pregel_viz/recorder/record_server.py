"""Record a run of a LangGraph server as it runs: :func:`record_server`.

:func:`pregel_viz.record` runs a graph in this process; :func:`record_server` asks a LangGraph
server (``langgraph dev``, ``langgraph up``, LangGraph Platform) to run one of its assistants,
and records what the server streams back. Each round is one ``runs.stream`` call with
``stream_mode=["debug"]`` and ``stream_subgraphs=True`` (the first with the input, each next
one with ``Command(resume=value)``), and its debug events become the recorder's events:

* ``checkpoint``: a checkpoint, in the root graph or a subgraph namespace: its id, parent,
  step, source and the state as the server shows it (plain JSON: class tags are lost);
* ``task``: an attempt starts (``task_start``), with the server's timestamp, its input and the
  names of its trigger channels;
* ``task_result``: its writes to the state keys, its error, its interrupts (every one, each
  round's), and the attempt's end (``task_end``) with the server's timestamp.

One history pass (``threads.get_history``, every namespace) then gives what the stream does
not: each task's path (so a Send shows as a push task), and the structure comes from
``assistants.get_graph``. What the server never gives is marked unknown, as
:func:`pregel_viz.from_server` does (:data:`UNKNOWN_FROM_STREAM`): channel versions and so why a
task ran, who sent a Send, routing, Send and ``goto`` writes (LangGraph's own channels), failed
attempts (a retried task shows one attempt per round, spanning its retries), the calls made
inside tasks and the resume value each task read. Unlike a thread's history, the stream names
the task a join triggers and every interrupt, so those are known.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import RecorderError, ServerError
from ..events import (
    CALL,
    CALL_END,
    ERROR,
    INTERRUPT,
    PULL,
    PUSH,
    TASK_END,
    TASK_START,
    WRITES,
)
from ..load_limits import LoadLimits
from ..model import Run
from ..values import DEFAULT_LIMITS, Limits
from ._lg import task_path_str
from ._server_api import Api, cp_id, histories, structure
from ._session import Recorder
from .pull import (
    checkpoint_event,
    command_value,
    interrupt_value,
    server_time,
    state_values,
    task_writes,
    with_input,
)

__all__ = ["UNKNOWN_FROM_STREAM", "record_server"]

UNKNOWN_FROM_STREAM = (
    "channel versions",
    "why each task ran",
    "who wrote its triggers",
    "who sent each Send",
    "routing, Send and goto writes",
    "failed attempts (a retried task shows one attempt per round, spanning its retries)",
    "calls inside tasks",
    "resume values per task",
)
"""What a server's debug stream and history do not give: marked unknown in a recorded run."""

_COMMAND = command_value({})["$type"]  # how a resumed round's input is tagged
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def record_server(
    url: str,
    assistant_id: str,
    input: Any,
    *,
    thread_id: str | None = None,
    resume: Sequence[Any] = (),
    path: str | os.PathLike[str] | None = None,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Run:
    """Run assistant ``assistant_id`` of the LangGraph server at ``url`` on ``input``, and
    return the recorded :class:`~pregel_viz.Run`.

    Args:
        url: the server, e.g. ``http://127.0.0.1:2024`` or a LangGraph Platform deployment.
        assistant_id: an assistant's id, or the name of a graph in the server's
            ``langgraph.json``.
        input: the first round's input.
        thread_id: run on this thread (made on the server if it has none); default: a new one.
        resume: what to do after each interrupt, in turn, as :func:`pregel_viz.record`: a value
            continues with ``Command(resume=value)``, ``None`` with input ``None``. A round
            that ends in an error ends the recording.
        path: also write the run there as a ``.pregel`` log.
        api_key: sent as ``x-api-key``; default: ``LANGGRAPH_API_KEY``, else
            ``LANGSMITH_API_KEY`` from the environment (a local ``langgraph dev`` needs none).
        headers: more HTTP headers for every request.
        limits: bounds on recorded values.

    Returns:
        The run: one call per round, with ``meta["recorded_from"] == "langgraph-server"`` and
        ``meta["unknown"]`` listing what the server does not give (see the module docstring);
        ``meta["timings"] == "unknown"`` as for a rebuilt run, since the times are the server's
        and one attempt per task per round is all it reports. An error raised by the graph is
        the run's outcome, not an exception.

    Raises:
        ServerError: the server cannot be reached, does not answer as a LangGraph server,
            refuses the API key (401/403), or has no such assistant or graph.
        RecorderError: ``langgraph-sdk`` is not installed (``pip install 'pregel-viz[server]'``).
    """
    if not isinstance(assistant_id, str) or not assistant_id:
        raise RecorderError("record_server needs the assistant to run: its id or a graph's name")
    api = Api(url, api_key, headers)
    graph_id = _graph_of(api, assistant_id)
    if thread_id is None:
        made = api.call("threads.create", lambda c: c.threads.create())
        thread_id = made.get("thread_id") if isinstance(made, Mapping) else None
        if not isinstance(thread_id, str) or not thread_id:
            raise api.garbage("threads.create", made)
    rounds: list[tuple[Any, list[tuple[str, Any]]]] = []
    for i, value in enumerate([input, *resume]):
        if i == 0 or value is None:
            kwargs: dict[str, Any] = {"input": value}
            call_input = value
        else:
            kwargs = {"command": {"resume": value}}
            call_input = command_value(kwargs["command"])
        parts = _stream(api, str(thread_id), assistant_id, kwargs)
        rounds.append((call_input, parts))
        if any(event == "error" for event, _ in parts):
            break
    by_ns = histories(api, str(thread_id))
    meta = {
        "timings": "unknown",
        "recorded_from": "langgraph-server",
        "thread_id": str(thread_id),
        "server": api.url,
        "assistant": assistant_id,
        "graph": graph_id,
        "unknown": list(UNKNOWN_FROM_STREAM),
    }
    rec = Recorder.for_rebuild(None, meta, limits=limits)
    for event in structure(api, assistant_id, by_ns):
        rec.writer.append(event, rec.limits)
    _Feed(rec, str(thread_id), by_ns, rounds).emit()
    rec.close()
    data = rec.writer.getvalue()
    if path is not None:
        try:
            Path(path).write_bytes(data)
        except OSError as exc:
            raise RecorderError(f"cannot write the log to {os.fspath(path)!r}: {exc}") from None
    return Run.from_bytes(
        data,
        source=f"{api.url} thread {thread_id}",
        limits=LoadLimits.unlimited(),  # written by this process from plain JSON
    )


# --------------------------------------------------------------------------- the server


def _graph_of(api: Api, assistant_id: str) -> str:
    """The graph an assistant runs; a ServerError naming the graphs when there is none."""
    from langgraph_sdk import errors as sdk

    def find(c: Any) -> Any:
        try:
            if _UUID.match(assistant_id):
                return [c.assistants.get(assistant_id)]
            return c.assistants.search(graph_id=assistant_id, limit=1)
        except sdk.NotFoundError:
            return []

    found = api.call("assistants.search", find)
    if not isinstance(found, list) or not all(isinstance(a, Mapping) for a in found):
        raise api.garbage("assistants.search", found)
    if not found:
        if not api.answers_ok():  # a 404 from a web server that is not LangGraph's
            raise ServerError(
                f"{api.url} is not a LangGraph server (its /ok does not answer as one); "
                "check the URL: the server's API at its root"
            )
        names = _graph_names(api)
        known = f"; its graphs: {', '.join(names)}" if names else ""
        raise ServerError(f"{api.url} has no assistant or graph {assistant_id!r}{known}")
    return str(found[0].get("graph_id") or assistant_id)


def _graph_names(api: Api) -> list[str]:
    try:
        found = api.call("assistants.search", lambda c: c.assistants.search(limit=100))
    except ServerError:
        return []
    if not isinstance(found, list):
        return []
    return sorted({str(a.get("graph_id")) for a in found if isinstance(a, Mapping)} - {"None"})


def _stream(
    api: Api, thread_id: str, assistant_id: str, kwargs: dict[str, Any]
) -> list[tuple[str, Any]]:
    """One round's stream parts, as (event, data); a ServerError for anything else."""

    def run(c: Any) -> list[Any]:
        return list(
            c.runs.stream(
                thread_id,
                assistant_id,
                stream_mode=["debug"],
                stream_subgraphs=True,
                if_not_exists="create",
                **kwargs,
            )
        )

    parts = api.call("runs.stream", run, thread_id=thread_id)
    out: list[tuple[str, Any]] = []
    for part in parts:
        event, data = getattr(part, "event", None), getattr(part, "data", None)
        if not isinstance(event, str):
            raise api.garbage("runs.stream", part)
        if event.split("|", 1)[0] == "debug" and not (
            isinstance(data, Mapping)
            and isinstance(data.get("type"), str)
            and isinstance(data.get("payload"), Mapping)
        ):
            raise api.garbage("runs.stream", data)
        out.append((event, data))
    if not out:
        raise api.garbage("runs.stream", parts)
    return out


def _paths(by_ns: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    """Each task's path, by task id, from the thread's history."""
    out: dict[str, list[Any]] = {}
    for entries in by_ns.values():
        for entry in entries:
            for task in entry.get("tasks") or ():
                if isinstance(task, Mapping) and isinstance(task.get("path"), list):
                    out[str(task.get("id"))] = task["path"]
    return out


# --------------------------------------------------------------------------- events


class _Feed:
    """Writes the recorder's events for the rounds' debug events, in stream order."""

    def __init__(
        self,
        rec: Recorder,
        label: str,
        by_ns: Mapping[str, list[dict[str, Any]]],
        rounds: list[tuple[Any, list[tuple[str, Any]]]],
    ) -> None:
        self.rec, self.label, self.rounds = rec, label, rounds
        self.paths = _paths(by_ns)
        # checkpoint id -> the tasks the history lists there
        self.listed = {
            str(cp_id(e)): [t for t in e.get("tasks") or () if isinstance(t, Mapping)]
            for entries in by_ns.values()
            for e in entries
        }
        self.streamed = {
            str(d["payload"].get("id"))
            for _, parts in rounds
            for _, d in parts
            if isinstance(d, Mapping) and d.get("type") == "task"
        }
        stamps = [
            server_time(d.get("timestamp"))
            for _, parts in rounds
            for _, d in parts
            if isinstance(d, Mapping)
        ]
        found = [t for t in stamps if t is not None]
        self.t0 = min(found) if found else None
        self.seen: set[str] = set()  # checkpoint ids written
        self.head: dict[str, str] = {}  # namespace -> its newest checkpoint
        self.pending: dict[str, bool] = {}  # namespace -> its newest checkpoint has next tasks
        self.ran_from: dict[str, tuple[str, str]] = {}  # task id -> (namespace, checkpoint)
        self.wrote: dict[str, set[str]] = {}  # checkpoint -> state keys its tasks wrote
        self.attempts: dict[str, int] = {}
        self.round_input: Any = None  # the input of the round being written (not a Command)

    def t(self, data: Mapping[str, Any]) -> float | None:
        t = server_time(data.get("timestamp"))
        return None if t is None or self.t0 is None else round(t - self.t0, 6)

    def append(self, event: dict[str, Any]) -> None:
        self.rec.writer.append(event, self.rec.limits)

    def emit(self) -> None:
        for call, (call_input, parts) in enumerate(self.rounds, start=1):
            resumed = isinstance(call_input, Mapping) and call_input.get("$type") == _COMMAND
            self.round_input = None if resumed else call_input
            times = [self.t(d) for _, d in parts if isinstance(d, Mapping)]
            times = [t for t in times if t is not None]
            self.append(
                {
                    "k": CALL,
                    "call": call,
                    "thread": self.label,
                    "thread_id": self.label,
                    "method": "runs.stream",
                    "input": call_input,
                    "t": times[0] if times else None,
                }
            )
            interrupts: list[Any] = []
            error: dict[str, Any] | None = None
            for event, data in parts:
                kind = event.split("|", 1)[0]
                if kind == "error":
                    error = _failure(data)
                elif kind == "debug":
                    ns = event.split("|", 1)[1] if "|" in event else ""
                    got = self.debug(ns, data)
                    if ns == "":
                        interrupts.extend(got)
            if error is not None:
                status = "error"
            elif interrupts or self.pending.get(""):
                status = "interrupted"
            else:
                status = "completed"
            self.append(
                {
                    "k": CALL_END,
                    "call": call,
                    "thread": self.label,
                    "status": status,
                    "interrupts": interrupts if status == "interrupted" else [],
                    "error": error,
                    "t": times[-1] if times else None,
                }
            )

    def debug(self, ns: str, data: Mapping[str, Any]) -> list[Any]:
        """Write one debug event's events; the interrupts a task result gives."""
        kind, payload = data["type"], data["payload"]
        if kind == "checkpoint":
            self.checkpoint(ns, data, payload)
        elif kind == "task":
            self.task(ns, data, payload)
        elif kind == "task_result":
            return self.task_result(ns, data, payload)
        return []

    def checkpoint(self, ns: str, data: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
        conf = _conf(payload.get("config"))
        cp = conf.get("checkpoint_id")
        if not isinstance(cp, str) or not cp:
            return
        ns = str(conf.get("checkpoint_ns") or ns)
        self.head[ns] = cp
        self.pending[ns] = bool(payload.get("next"))
        if cp in self.seen:  # a resumed round streams the checkpoint it resumes from again
            return
        self.seen.add(cp)
        meta = payload.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        parent = _conf(payload.get("parent_config")).get("checkpoint_id")
        parent = parent if isinstance(parent, str) and parent else None
        updated = None
        if meta.get("source") == "loop" and parent is not None:
            updated = sorted(self.wrote.get(parent, ()))
        values = state_values(payload)
        with_input(values, ns, meta, self.round_input)
        # what runs next, as the server lists it; why (channels, versions) is unknown
        why: dict[str, list[Any]] = {
            str(n): [] for n in payload.get("next") or () if isinstance(n, str)
        }
        self.append(
            checkpoint_event(self.label, ns, cp, parent, meta, values, updated, why, self.t(data))
        )
        for task in self.listed.get(cp, ()):
            # not streamed: the input's own task (__start__), which the server only keeps
            writes = task_writes(task)
            if writes is None or str(task.get("id")) in self.streamed:
                continue
            path = task.get("path")
            self.append(
                {
                    "k": WRITES,
                    "thread": self.label,
                    "ns": ns,
                    "cp": cp,
                    "task": str(task.get("id")),
                    "path": task_path_str(path) if path else task_path_str([PULL, "?"]),
                    "writes": writes,
                    "name": str(task.get("name") or "?"),
                    "t": self.t(data),
                }
            )

    def task(self, ns: str, data: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
        task_id, name = str(payload.get("id")), str(payload.get("name") or "?")
        triggers = [str(t) for t in payload.get("triggers") or () if isinstance(t, str)]
        path = self.paths.get(task_id)
        if path is None:  # not in the history: a pull task's path is its name
            path = [PUSH] if PUSH in triggers else [PULL, name]
        self.ran_from[task_id] = (ns, self.head.get(ns, ""))
        n = self.attempts[task_id] = self.attempts.get(task_id, 0) + 1
        step = data.get("step")
        event: dict[str, Any] = {
            "k": TASK_START,
            "thread": self.label,
            "ns": ns,
            "task": task_id,
            "name": name,
            "step": step if isinstance(step, int) and not isinstance(step, bool) else None,
            "path": list(path),
            "triggers": triggers,
            "attempt": n,
            "t": self.t(data),
        }
        if n == 1 and "input" in payload:
            event["input"] = payload["input"]
        self.append(event)

    def task_result(
        self, ns: str, data: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> list[Any]:
        task_id, name = str(payload.get("id")), str(payload.get("name") or "?")
        ns, cp = self.ran_from.get(task_id, (ns, self.head.get(ns, "")))
        result, failure = payload.get("result"), _failure(payload.get("error"))
        raw = payload.get("interrupts") or []
        interrupts = [interrupt_value(i) for i in (raw if isinstance(raw, list) else [raw])]
        writes: list[list[Any]] = []
        if isinstance(result, Mapping):
            writes.extend([str(k), v] for k, v in result.items())
            self.wrote.setdefault(cp, set()).update(str(k) for k in result)
        if failure is not None:
            message = failure["message"]
            writes.append(
                [
                    ERROR,
                    {
                        "$type": failure["type"],
                        "$error": message,
                        "$repr": f"{failure['type']}({message!r})",
                    },
                ]
            )
        if interrupts:
            writes.append([INTERRUPT, interrupts])
        path = self.paths.get(task_id) or [PULL, name]
        t = self.t(data)
        self.append(
            {
                "k": WRITES,
                "thread": self.label,
                "ns": ns,
                "cp": cp or None,
                "task": task_id,
                "path": task_path_str(path),
                "writes": writes,
                "name": name,
                "t": t,
            }
        )
        status = "error" if failure else "interrupt" if interrupts else "ok"
        self.append(
            {
                "k": TASK_END,
                "task": task_id,
                "attempt": self.attempts.get(task_id, 1),
                "status": status,
                "error": failure,
                "t": t,
            }
        )
        return interrupts


def _conf(config: Any) -> Mapping[str, Any]:
    conf = config.get("configurable") if isinstance(config, Mapping) else None
    return conf if isinstance(conf, Mapping) else {}


def _failure(value: Any) -> dict[str, str] | None:
    """The server's ``{"error": type, "message": ...}`` as the recorder's error map."""
    if not value:
        return None
    if isinstance(value, Mapping):
        return {
            "type": str(value.get("error") or "Exception"),
            "message": str(value.get("message") or ""),
        }
    return {"type": "Exception", "message": str(value)}
