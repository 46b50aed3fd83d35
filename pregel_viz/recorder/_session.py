"""The recorder: joins checkpoints, writes and attempts into one event log.

Three public seams, joined by task id:

1. a :class:`RecordingSaver` around the graph's checkpointer sees every checkpoint (root and
   subgraph namespaces) and every task's writes, routing, Sends, errors and interrupts included;
2. an :class:`AttemptHandler` (LangChain callbacks) times every attempt, failed retries included,
   and sees each task's input;
3. LangGraph's own trigger rule, applied to each saved checkpoint, says why the next tasks run.

A checkpoint's state keys are recorded as LangGraph's ``get_state`` shows them, which is not
always what the checkpoint stores (:mod:`pregel_viz.recorder._channels`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import itertools
import logging
import os
import platform
import threading
import time
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langgraph.errors import GraphDrained

from .._version import __version__
from ..errors import LogWriteWarning
from ..events import (
    CALL,
    CALL_END,
    CHECKPOINT,
    META,
    SPAN,
    SPAN_END,
    TASK_END,
    TASK_START,
    WRITES,
)
from ..logfile import LogWriter
from ..values import DEFAULT_LIMITS, Limits, safe_str
from ._callbacks import attempt_status
from ._channels import Channels
from ._lg import INTERRUPT, LANGGRAPH_VERSION, TASKS, applying_writes, check_version
from ._topology import GraphSpec, explain, graph_specs, spec_key, structure_event

__all__ = ["Recorder"]

logger = logging.getLogger("pregel_viz")

_LRU_SIZE = 512
# a call event (a prompt, a model's answer, a tool's result) larger than this is re-encoded with
# the limits' bounds on strings and items
SPAN_EVENT_BYTES = 64 << 10
# attempt counts kept per task id, most recently started or ended last: a task's count must
# outlive its retries' backoff and a resumed interrupt, not the whole run
_ATTEMPTS_KEPT = 4096


class _Seen:
    """What the recorder remembers of a checkpoint to store its successor as a delta."""

    __slots__ = ("present", "seen", "versions")

    def __init__(self, versions: dict[str, Any], seen: dict[str, Any], present: set[str]):
        self.versions = versions
        self.seen = seen
        self.present = present


class Recorder:
    """Receives what the seams observe and appends it to a log, one frame per event.

    Thread-safe: savers and callbacks call it from LangGraph's worker threads.

    Writing the log file never fails a call: when a write fails (disk full, file-size limit...),
    the file is left as it is (its complete frames stay readable), the in-memory copy of the log
    goes on complete, :attr:`write_error` says what happened and one :class:`LogWriteWarning`
    is issued at the next call boundary (the end of a call, or :meth:`close`).
    """

    # replay a checkpoint's DeltaChannel writes in the order they were fed (a rebuilt run)
    # rather than in LangGraph's task-path order
    ARRIVAL_ORDER = False

    def __init__(
        self,
        graph: Any,
        path: Any = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
        meta: Mapping[str, Any] | None = None,
        append: bool = False,
    ) -> None:
        check_version()
        self.limits = limits
        # a call's prompt repeats the conversation the state already holds: cut sooner
        self.span_limits = dataclasses.replace(
            limits, max_event_bytes=min(limits.max_event_bytes, SPAN_EVENT_BYTES)
        )
        self.writer = LogWriter(path, append=append)
        # why the log file is incomplete (the first failed write), None while it is whole
        self.write_error: str | None = None
        self._warned = False
        self._t0 = time.perf_counter()
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, _Seen] = OrderedDict()
        self._attempts: OrderedDict[str, int] = OrderedDict()
        self._calls = itertools.count(1)
        self._span_ids = itertools.count(1)
        # called (from whichever thread recorded it) each time frames reach the log: after every
        # checkpoint and at the end of every call; a live debugger redraws from there
        self.listeners: list[Callable[[], None]] = []
        # per thread label: interrupts seen at the root during the current call, and whether the
        # newest root checkpoint has tasks left to run
        self._root_interrupts: dict[str, list[Any]] = {}
        self._root_pending: dict[str, bool] = {}
        # graph is None only for a run rebuilt from a bare checkpointer (see for_rebuild)
        self.specs: dict[str, GraphSpec] = graph_specs(graph) if graph is not None else {}
        self.channels = Channels(arrival_order=self.ARRIVAL_ORDER)
        self._emit(
            {
                "k": META,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "pregel_viz": __version__,
                "langgraph": LANGGRAPH_VERSION,
                "python": platform.python_version(),
                "graph": str(getattr(graph, "name", "") or type(graph).__name__),
                **(meta or {}),
            }
        )
        if graph is None:
            return
        self._emit(structure_event("", graph))
        try:
            subgraphs = list(graph.get_subgraphs(recurse=True))
        except Exception:
            subgraphs = []
        for key, sub in subgraphs:
            if key in self.specs:
                self._emit(structure_event(key, sub))

    @classmethod
    def for_rebuild(
        cls,
        graph: Any,
        meta_extra: Mapping[str, Any],
        *,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Recorder:
        """An in-memory recorder fed after the fact (:func:`pregel_viz.from_checkpointer`).

        ``graph`` may be ``None`` (a bare checkpointer): no structure, every why inferred.
        ``meta_extra`` is merged into the meta event (e.g. ``{"timings": "unknown"}``).
        """
        return cls(graph, None, limits=limits, meta=meta_extra)

    # --- plumbing -----------------------------------------------------------------------------

    def now(self) -> float:
        return round(time.perf_counter() - self._t0, 7)

    def _emit(self, event: dict[str, Any], limits: Limits | None = None) -> None:
        try:
            self.writer.write_event(event, limits or self.limits)
        except OSError as exc:  # the queue was full and flushing it to the file failed
            self._write_failed(exc)

    def _write_failed(self, exc: OSError) -> None:
        """Stop writing to the file after a failed write; the in-memory log goes on."""
        with self._lock:
            if self.write_error is not None:
                return
            self.write_error = f"{type(exc).__name__}: {safe_str(exc)}"
        self.writer.detach()

    def warn_if_incomplete(self) -> None:
        """Issue the :class:`LogWriteWarning` once, if the log file could not be written."""
        with self._lock:
            if self.write_error is None or self._warned:
                return
            self._warned = True
        message = self.incomplete_message()
        try:
            warnings.warn(LogWriteWarning(message), stacklevel=4)
        except Warning:  # warnings turned into errors must not fail a call that succeeded
            logger.warning("%s", message)

    def incomplete_message(self) -> str:
        """Why the log file is incomplete, in words ("" while it is whole)."""
        if self.write_error is None:
            return ""
        return (
            f"the log file {self.writer.path} is incomplete: writing it failed "
            f"({self.write_error}); the run went on unchanged, the file keeps the frames written "
            "before the failure and the in-memory recording is complete"
        )

    def close(self) -> None:
        """End the log; a failure to write the file is reported, never raised."""
        try:
            self.writer.close()
        except OSError as exc:
            self._write_failed(exc)
            with contextlib.suppress(Exception):  # finish the in-memory copy
                self.writer.close()
        else:
            self._check_size()
        self.warn_if_incomplete()

    def _check_size(self) -> None:
        """A short write raises nothing: compare the file with the in-memory copy."""
        path = self.writer.path
        if path is None or self.write_error is not None:
            return
        try:
            size = os.path.getsize(path)
        except OSError as exc:
            self._write_failed(exc)
            return
        expected = self.writer.file_size()
        if size != expected:
            self._write_failed(OSError(f"short write: {size} of {expected} bytes on disk"))

    # --- calls --------------------------------------------------------------------------------

    def begin_call(self, label: str, thread: str, method: str, input: Any) -> int:
        """Record the start of a call; never raises (a failure is logged)."""
        call = next(self._calls)
        try:
            with self._lock:
                self._root_interrupts[label] = []
            self._emit(
                {
                    "k": CALL,
                    "call": call,
                    "thread": label,
                    "thread_id": thread,
                    "method": method,
                    "input": input,
                    "t": self.now(),
                }
            )
        except Exception as exc:
            logger.warning("pregel-viz could not record a call's start: %r", exc)
        return call

    def end_call(self, call: int, label: str, error: BaseException | None) -> None:
        """Record how a call ended; never raises, so the caller gets the call's own result or
        exception (a failure is logged)."""
        try:
            self._end_call(call, label, error)
        except Exception as exc:
            logger.warning("pregel-viz could not record a call's end: %r", exc)
        self.warn_if_incomplete()

    def _end_call(self, call: int, label: str, error: BaseException | None) -> None:
        with self._lock:
            interrupts = self._root_interrupts.pop(label, [])
            pending = self._root_pending.get(label, False)
        if error is None or isinstance(error, GeneratorExit):
            if interrupts or pending:
                status, err = "interrupted", None
            else:
                status, err = ("stopped", None) if error is not None else ("completed", None)
        elif isinstance(error, GraphDrained):
            # RunControl.request_drain(): stopped on request before a superstep, resumable
            status, err = "paused", None
        else:
            status, err = "error", {"type": type(error).__name__, "message": safe_str(error)}
        self._emit(
            {
                "k": CALL_END,
                "call": call,
                "thread": label,
                "status": status,
                "interrupts": interrupts,
                "error": err,
                "t": self.now(),
            }
        )
        self._flush(wait=True)  # the call's end is on disk (or its failure known) on return

    def _flush(self, *, wait: bool = False) -> None:
        listeners = list(self.listeners)
        # an in-memory log nobody watches is read through getvalue(), which flushes first: its
        # frames can wait in the writer's queue (bounded) instead of being joined every step
        if self.writer.path is not None or listeners:
            try:
                self.writer.flush(wait=wait)
            except OSError as exc:
                self._write_failed(exc)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a listener's failure must never reach the graph
                listener()

    # --- checkpointer seam --------------------------------------------------------------------

    def _live_channels(self, config: Mapping[str, Any]) -> dict[str, Any] | None:
        conf = config.get("configurable") or {}
        spec = self.specs.get(spec_key(str(conf.get("checkpoint_ns") or "")))
        return spec.channels if spec is not None else None

    def before_writes_applied(self) -> None:
        """Called by the saver when LangGraph asks it for a version: if that is the start of
        applying a superstep's writes, keep what the newest checkpoint holds first."""
        found = applying_writes()
        if found is not None:
            self.channels.freeze(*found)

    def history_needed(self, config: Mapping[str, Any], checkpoint: Mapping[str, Any]) -> list[str]:
        """The channels whose saved history :meth:`on_put` needs for ``checkpoint`` (put with
        ``config``): DeltaChannels it does not store, when its parent was not recorded."""
        parent = (config.get("configurable") or {}).get("checkpoint_id")
        return self.channels.history_needed(self._live_channels(config), parent, checkpoint)

    def on_put(
        self,
        label: str,
        config: Mapping[str, Any],
        checkpoint: Mapping[str, Any],
        metadata: Mapping[str, Any],
        history: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a checkpoint; ``history``: the saver's delta channel history for the
        channels :meth:`history_needed` named."""
        conf = config.get("configurable") or {}
        label = label or str(conf.get("thread_id"))
        ns = str(conf.get("checkpoint_ns") or "")
        parent = conf.get("checkpoint_id")
        cp_id = str(checkpoint.get("id"))
        # as stored (the trigger rule reads these), and as get_state shows the state keys
        values, shown = self.channels.on_put(
            self._live_channels(config), cp_id, parent, checkpoint, history
        )
        versions: Mapping[str, Any] = checkpoint.get("channel_versions") or {}
        seen_all: Mapping[str, Any] = checkpoint.get("versions_seen") or {}
        why = explain(self.specs.get(spec_key(ns)), versions, seen_all, values)
        pending = bool(why) or bool(values.get(TASKS))
        # copied once: kept to store the next checkpoint as a delta, and written in this event
        # when it is stored in full (the event is encoded before anything could change them)
        memo = _Seen(dict(versions), {k: dict(v) for k, v in seen_all.items()}, set(shown))
        with self._lock:
            prev = self._recent.get(parent) if parent else None
            self._recent[cp_id] = memo
            if len(self._recent) > _LRU_SIZE:
                self._recent.popitem(last=False)
            if ns == "":
                self._root_pending[label] = pending
        if prev is None:
            changed_versions = memo.versions
            changed = dict(shown)
            removed: list[str] = []
            seen_delta = memo.seen
        else:
            old_versions, old_seen = prev.versions, prev.seen
            changed_versions = {c: v for c, v in memo.versions.items() if old_versions.get(c) != v}
            changed = {c: shown[c] for c in changed_versions if c in shown}
            removed = [c for c in prev.present if c not in shown]
            seen_delta = {k: v for k, v in memo.seen.items() if old_seen.get(k) != v}
        self._emit(
            {
                "k": CHECKPOINT,
                "thread": label,
                "ns": ns,
                "id": cp_id,
                "parent": parent,
                "step": metadata.get("step"),
                "source": metadata.get("source"),
                "parents": dict(metadata.get("parents") or {}),
                "full": prev is None,
                "versions": changed_versions,
                "values": changed,
                "removed": removed,
                "seen": seen_delta,
                "updated": checkpoint.get("updated_channels"),
                "why": why,
                "why_inferred": spec_key(ns) not in self.specs,
                "t": self.now(),
            }
        )
        # a superstep ends with its checkpoint: push it to the file
        self._flush()

    def on_writes(
        self,
        label: str,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
        *,
        name: str = "",
    ) -> None:
        """``name``: the task's name when known without an attempt (a rebuilt run)."""
        conf = config.get("configurable") or {}
        label = label or str(conf.get("thread_id"))
        ns = str(conf.get("checkpoint_ns") or "")
        self.channels.on_writes(
            self._live_channels(config), conf.get("checkpoint_id"), writes, task_id, task_path
        )
        pairs = [[c, v] for c, v in writes]
        if ns == "":
            for c, v in pairs:
                if c == INTERRUPT:
                    with self._lock:
                        self._root_interrupts.setdefault(label, []).extend(
                            v if isinstance(v, (list, tuple)) else [v]
                        )
        event: dict[str, Any] = {
            "k": WRITES,
            "thread": label,
            "ns": ns,
            "cp": conf.get("checkpoint_id"),
            "task": str(task_id),
            "path": str(task_path),
            "writes": pairs,
            "t": self.now(),
        }
        if name:
            event["name"] = name
        self._emit(event)

    # --- callbacks seam -----------------------------------------------------------------------

    def on_attempt_start(
        self,
        *,
        thread: str,
        ns: str,
        task_id: str,
        name: str,
        step: Any,
        path: list[Any],
        triggers: list[str],
        inputs: Any,
    ) -> None:
        t = self.now()
        with self._lock:
            n = self._attempts.pop(task_id, 0) + 1
            self._attempts[task_id] = n
            if len(self._attempts) > _ATTEMPTS_KEPT:
                self._attempts.popitem(last=False)
        event: dict[str, Any] = {
            "k": TASK_START,
            "thread": thread,
            "ns": ns,
            "task": task_id,
            "name": name,
            "step": step,
            "path": path,
            "triggers": triggers,
            "attempt": n,
            "t": t,
        }
        if n == 1:
            event["input"] = inputs
        self._emit(event)

    def on_attempt_end(self, task_id: str, error: BaseException | None) -> None:
        t = self.now()
        status, detail = attempt_status(error)
        with self._lock:
            n = self._attempts.get(task_id, 0)
            if n:
                self._attempts.move_to_end(task_id)
        self._emit(
            {
                "k": TASK_END,
                "task": task_id,
                "attempt": n,
                "status": status,
                "error": detail,
                "t": t,
            }
        )

    # --- calls inside tasks (recorder/_spans.py) -----------------------------------------------

    def new_span_id(self) -> int:
        return next(self._span_ids)

    def on_span_start(
        self,
        *,
        thread: str,
        task: str,
        id: int | None,
        parent: int | None,
        kind: str,
        name: str,
        input: Any,
        t: float,
        model: str | None = None,
        tool_call_id: str | None = None,
    ) -> None:
        event: dict[str, Any] = {
            "k": SPAN,
            "thread": thread,
            "task": task,
            "id": id,
            "parent": parent,
            "kind": kind,
            "name": name,
            "input": input,
            "t": t,
        }
        if model is not None:
            event["model"] = model
        if tool_call_id is not None:
            event["tool_call_id"] = tool_call_id
        self._emit(event, self.span_limits)

    def on_span_end(self, id: int, **fields: Any) -> None:
        self._emit({"k": SPAN_END, "id": id, **fields, "t": self.now()}, self.span_limits)


def new_thread_id() -> str:
    """A fresh thread id for calls that named none."""
    return f"pregel-viz-{uuid.uuid4().hex[:12]}"
