"""Record a graph where it really runs, inside a LangGraph server: :func:`instrument`.

::

    # my_app/graph.py, named in langgraph.json like any graph
    import os, pregel_viz
    graph = pregel_viz.instrument(build_graph(), directory=os.environ.get("PREGEL_VIZ_DIR"))

Every run the server makes on the graph is recorded with everything a local
:func:`pregel_viz.record` keeps (channel versions, why each task ran, retries and their timings,
the calls to models and tools inside tasks): the server hands the graph its checkpointer at run
time (it copies the graph with ``checkpointer=...``, or lends one through the config), and each
top-level call is lent a wrapper around that very checkpointer, as :func:`pregel_viz.recording`
does, plus a callback handler. Nothing else changes: same results, same streamed output, same
checkpoints.

One log per thread. The runs of thread ``T`` go to ``<directory>/T.pregel`` (an id with other
characters than letters, digits, ``-``, ``_`` and ``.`` gets a safe name with a hash of the id),
each run appended to the thread's earlier ones, so the file is the whole conversation: open it
with :func:`pregel_viz.load` or ``pregel-viz view``. It is written as the run goes, superstep by
superstep, so a thread can be read while it runs.

* Several threads at once: each call has its own recorder, saver and handler (nothing is shared
  between calls), so concurrent runs on different threads never mix.
* Several workers or replicas sharing ``directory``: a thread's file has one writer at a time
  (an exclusive lock on ``.T.pregel.lock`` for the duration of the run). A run is appended to
  the thread's file (a new zlib stream after the finished one of the run before); if the last
  writer did not finish it (killed), the run copies the earlier runs into a new file and swaps
  it in atomically. So a thread that moves from one worker to another keeps one file. Should
  the lock be held anyway (a cancelled run still finishing), the run goes to a file of its own,
  ``T.<n>.pregel``, and a warning says so.
* A failing recorder never fails a run: an unwritable directory, a full disk or a damaged log
  is a logged warning (logger ``pregel_viz.recorder.instrument``) and the run goes on,
  unrecorded or with its log cut short.
* Cost: per superstep, that of a local recording (the frames are compressed and written off the
  graph's thread). Per run, the thread's earlier runs are read once, when the run begins, to
  number and time this run's events after theirs (nothing is rewritten).

A run without a ``thread_id`` (a graph called without a checkpointer) gets a file of its own,
``run-<id>.pregel``. Calls of the graph made inside another graph (as a subgraph, or from a
node) are part of that graph's run and not recorded on their own. ``update_state`` is not
recorded.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime
import functools
import hashlib
import itertools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from ..events import CALL, GRAPH, META, SPAN
from ..load_limits import LoadLimits
from ..logfile import read_for_append
from ..values import DEFAULT_LIMITS, Limits
from . import (
    AttemptHandler,
    NullSaver,
    Recorder,
    RecordingSaver,
    as_compiled,
    delegating,
    effective_configurable,
    lend_saver,
    saver_would_change,
    with_callback,
)
from ._lg import CONFIG_KEY_CHECKPOINTER, CONFIG_KEY_TASK_ID

try:  # one writer per thread file, across the processes of a server
    import fcntl
except ImportError:  # pragma: no cover - Windows: one writer per process only
    fcntl = None  # type: ignore[assignment]

__all__ = ["ENV_DIRECTORY", "instrument", "log_path"]

logger = logging.getLogger("pregel_viz.recorder.instrument")

ENV_DIRECTORY = "PREGEL_VIZ_DIR"
SUFFIX = ".pregel"
_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# copying a thread's earlier events: they were bounded when first recorded, never cut again
_COPY_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_event_bytes=1 << 30)


@dataclasses.dataclass(frozen=True)
class _Settings:
    directory: str
    limits: Limits


def instrument(
    graph: Any,
    *,
    directory: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """``graph``, recording every run a LangGraph server makes on it (see the module docstring).

    Args:
        graph: a compiled LangGraph graph (a ``StateGraph`` builder is compiled).
        directory: where to write one `.pregel` log per thread (created when the first run
            begins). ``None`` reads the ``PREGEL_VIZ_DIR`` environment variable; when that is
            unset too, ``graph`` is returned unchanged and nothing is recorded, so one
            ``langgraph.json`` serves with and without recording.
        limits: bounds on recorded values.

    Returns:
        A copy of ``graph`` of a subclass of its class that records its top-level calls
        (``invoke``, ``stream``, ``ainvoke``, ``astream``...); the copies the server makes of it
        (``graph.copy(update={"checkpointer": ...})``) record too. ``graph`` itself is not
        changed. Instrumenting an instrumented graph replaces its settings.
    """
    graph = as_compiled(graph, compile=True)
    dirname = os.fspath(directory) if directory is not None else os.environ.get(ENV_DIRECTORY)
    if not dirname:
        logger.info("pregel-viz: no directory and no %s: graph not instrumented", ENV_DIRECTORY)
        return graph
    base: Any = getattr(type(graph), "_pregel_viz_base", type(graph))
    out = graph.copy()
    out.__class__ = _subclass(base, _Settings(os.path.abspath(dirname), limits))
    return out


@functools.lru_cache(maxsize=256)
def _subclass(base: Any, settings: _Settings) -> type:
    """``base`` recording its top-level calls (one class per graph class and settings: a graph
    factory instruments a graph for every run)."""
    namespace = {
        "_pregel_viz_base": base,
        "_pregel_viz_settings": settings,
        "stream": functools.wraps(base.stream)(delegating(_preparer(base, "stream", settings))),
        "astream": functools.wraps(base.astream)(_async_stream(base, settings)),
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
    }
    return type(base.__name__, (base,), namespace)


def log_path(directory: str | os.PathLike[str], thread_id: str) -> str:
    """Where :func:`instrument` writes the log of thread ``thread_id`` in ``directory``."""
    return os.path.join(os.fspath(directory), _file_stem(str(thread_id)) + SUFFIX)


def _file_stem(thread_id: str) -> str:
    if _SAFE.fullmatch(thread_id) and not thread_id.endswith(".lock"):
        return thread_id
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", thread_id).strip("._")[:60] or "thread"
    return f"{safe}-{hashlib.sha256(thread_id.encode('utf-8', 'replace')).hexdigest()[:12]}"


# --- one call -----------------------------------------------------------------------------------


def _preparer(base: Any, name: str, settings: _Settings) -> Any:
    def prepare(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Any:
        orig = getattr(base, name)  # looked up now: automatic recording may have patched it
        try:
            call = _start(self, settings, name, input, config, kwargs)
        except Exception as exc:  # a recorder bug: the call runs unrecorded
            logger.warning("pregel-viz could not record a %s call: %r", name, exc)
            call = None
        if call is None:
            return orig(self, input, config, **kwargs), None
        return orig(self, input, call.config, **kwargs), call.end

    return prepare


_DONE: Any = object()


def _async_stream(base: Any, settings: _Settings) -> Any:
    """``astream``: as :func:`pregel_viz.recorder.relaying` relays it, with the log opened and
    closed off the event loop (a server's loop must not wait for the disk; ``langgraph dev``
    refuses blocking calls there)."""

    async def astream(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Any:
        orig = base.astream  # looked up now: automatic recording may have patched it
        try:
            call = await asyncio.to_thread(_start, self, settings, "astream", input, config, kwargs)
        except Exception as exc:  # a recorder bug: the call runs unrecorded
            logger.warning("pregel-viz could not record an astream call: %r", exc)
            call = None
        agen = orig(self, input, config if call is None else call.config, **kwargs)
        try:
            item = await _next(agen, None)
            while item is not _DONE:
                try:
                    sent = yield item
                except GeneratorExit:
                    await agen.aclose()
                    raise
                except BaseException as thrown:
                    item = await _throw(agen, thrown)
                else:
                    item = await _next(agen, sent)
        except BaseException as exc:
            if call is not None:
                await asyncio.to_thread(call.end, exc)  # never raises
            raise
        if call is not None:
            await asyncio.to_thread(call.end, None)

    return astream


async def _next(agen: Any, sent: Any) -> Any:
    try:
        return await (agen.__anext__() if sent is None else agen.asend(sent))
    except StopAsyncIteration:
        return _DONE


async def _throw(agen: Any, thrown: BaseException) -> Any:
    try:
        return await agen.athrow(thrown)
    except StopAsyncIteration:
        return _DONE


def _start(
    graph: Any, settings: _Settings, method: str, input: Any, config: Any, kwargs: Mapping[str, Any]
) -> _Call | None:
    conf = effective_configurable(graph, config)
    if CONFIG_KEY_TASK_ID in conf:
        return None  # run by a task of another graph: part of that graph's run
    lent = conf.get(CONFIG_KEY_CHECKPOINTER)
    own = getattr(graph, "checkpointer", None)
    if isinstance(lent, RecordingSaver) and isinstance(lent.recorder, _Guarded):
        return None  # already recorded by an instrumented graph
    if lent is not None:
        inner = lent  # lent by the server (a graph factory) or by the caller
    else:
        reason = saver_would_change(graph, input, kwargs, conf)
        if reason is not None:
            logger.debug("pregel-viz: not recording a %s call: %s", method, reason)
            return None
        inner = own if own is not None else NullSaver()
    thread_id = conf.get("thread_id")
    label = str(thread_id) if thread_id is not None else f"run-{uuid.uuid4().hex[:12]}"
    log = _ThreadLog.open(graph, settings, label)
    if log is None:
        return None
    try:
        return _Call(log, inner, config, method, input, thread_id)
    except BaseException:
        log.close()
        raise


class _Guarded:
    """Marks a recorder owned by an instrumented call."""


class _Call:
    """The saver and callback handler lent to one call, and its end."""

    def __init__(
        self, log: _ThreadLog, inner: Any, config: Any, method: str, input: Any, thread_id: Any
    ) -> None:
        self.log = log
        self.closed = False
        recorder = log.recorder
        label = log.label
        saver = RecordingSaver(inner, recorder, label)
        handler = _Handler(recorder, label)
        self.config = with_callback(lend_saver(config, saver), handler)
        thread = str(thread_id) if thread_id is not None else label
        self.call = recorder.begin_call(label, thread, method, input)

    def end(self, error: BaseException | None) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.log.recorder.end_call(self.call, self.log.label, error)
        except Exception as exc:  # pragma: no cover - end_call never raises
            logger.warning("pregel-viz could not record a call's end: %r", exc)
        self.log.close()


class _Handler(AttemptHandler):
    """An AttemptHandler whose failures are logged here, never raised into the run."""

    def on_chain_start(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_start(*args, **kwargs)
        except Exception as exc:
            logger.warning("pregel-viz could not record an attempt's start: %r", exc)

    def on_chain_end(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_end(*args, **kwargs)
        except Exception as exc:
            logger.warning("pregel-viz could not record an attempt's end: %r", exc)

    def on_chain_error(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_error(*args, **kwargs)
        except Exception as exc:
            logger.warning("pregel-viz could not record an attempt's failure: %r", exc)


# --- the thread's file --------------------------------------------------------------------------


class _GuardedRecorder(Recorder, _Guarded):
    # when the thread's first run began: its clock, which later runs go on with
    created: str | None = None


@dataclasses.dataclass(frozen=True)
class _Ended:
    """A thread's file as a run of this process left it (finished, whole): its identity and
    size, and what the next run numbers and times its events after. A file found as it was
    left is appended to without being read again."""

    stat: tuple[int, int, int]  # (inode, size, mtime in ns)
    calls: int
    spans: int
    created: str | None


# the files this process finished writing last, by path (the most recent threads)
_ENDED: collections.OrderedDict[str, _Ended] = collections.OrderedDict()
_ENDED_MAX = 4096
_ENDED_LOCK = threading.Lock()


def _stat_of(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def _remember_end(recorder: Recorder) -> None:
    """Note how this run left its (whole) file, for the thread's next run in this process."""
    path = recorder.writer.path
    if path is None or not isinstance(recorder, _GuardedRecorder):
        return
    ended = _Ended(
        stat=_stat_of(path),
        calls=next(recorder._calls) - 1,
        spans=next(recorder._span_ids) - 1,
        created=recorder.created,
    )
    with _ENDED_LOCK:
        _ENDED[path] = ended
        _ENDED.move_to_end(path)
        while len(_ENDED) > _ENDED_MAX:
            _ENDED.popitem(last=False)


def _left_as_ended(path: str) -> _Ended | None:
    """How a run of this process left the file at ``path``, if it is still exactly so."""
    with _ENDED_LOCK:
        ended = _ENDED.pop(path, None)
    if ended is None:
        return None
    try:
        return ended if _stat_of(path) == ended.stat else None
    except OSError:
        return None


class _ThreadLog:
    """A thread's log, open for one run: its lock held, its earlier runs copied in."""

    def __init__(self, recorder: Recorder, label: str, lock: Any) -> None:
        self.recorder = recorder
        self.label = label
        self._lock = lock

    @classmethod
    def open(cls, graph: Any, settings: _Settings, label: str) -> _ThreadLog | None:
        """Open the log of thread ``label``; ``None`` (and a warning) when it cannot be."""
        path = log_path(settings.directory, label)
        lock = None
        try:
            os.makedirs(settings.directory, exist_ok=True)
            lock = _lock(path)
            if lock is None:
                path = _side_path(path)
                logger.warning(
                    "pregel-viz: the log of thread %s is being written by another run; "
                    "this run is recorded in %s",
                    label,
                    path,
                )
            recorder = _continue(graph, path, settings.limits)
        except Exception as exc:
            _unlock(lock)
            logger.warning(
                "pregel-viz could not record thread %s in %s: %s: %s; the run goes on unrecorded",
                label,
                settings.directory,
                type(exc).__name__,
                exc,
            )
            return None
        return cls(recorder, label, lock)

    def close(self) -> None:
        try:
            self.recorder.close()
        except Exception as exc:  # pragma: no cover - close reports, never raises
            logger.warning("pregel-viz could not close a log: %r", exc)
        message = self.recorder.incomplete_message()
        if message:
            logger.warning("pregel-viz: %s", message)
        else:
            with contextlib.suppress(OSError):
                _remember_end(self.recorder)
        _unlock(self._lock)
        self._lock = None


def _lock(path: str) -> Any:
    """The exclusive lock of the thread file at ``path`` (an open file), or ``None`` if another
    run holds it. Without ``fcntl``, a placeholder: no lock across processes."""
    if fcntl is None:  # pragma: no cover
        return True
    head, tail = os.path.split(path)
    fd = os.open(os.path.join(head, f".{tail}.lock"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _unlock(lock: Any) -> None:
    if isinstance(lock, int) and not isinstance(lock, bool):
        with contextlib.suppress(OSError):
            os.close(lock)  # closing the descriptor releases the lock


def _side_path(path: str) -> str:
    stem = path[: -len(SUFFIX)]
    for n in itertools.count(2):
        candidate = f"{stem}.{n}{SUFFIX}"
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def _earlier(path: str, kinds: Any = None) -> tuple[list[dict[str, Any]], bool]:
    """The events of the thread's earlier runs (none when it has no file yet; only those of
    ``kinds`` if given), and whether this run may be appended to the file (its last writer
    finished it). A file that cannot be read is set aside (``<name>.damaged-<time>.pregel``),
    never overwritten."""
    if not os.path.exists(path):
        return [], False
    try:
        return read_for_append(path, limits=LoadLimits.unlimited(), kinds=kinds)
    except Exception as exc:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = f"{path[: -len(SUFFIX)]}.damaged-{stamp}{SUFFIX}"
        os.replace(path, aside)
        logger.warning(
            "pregel-viz: %s cannot be read (%s); set aside as %s, the thread's log starts anew",
            path,
            exc,
            aside,
        )
        return [], False


def _continue(graph: Any, path: str, limits: Limits) -> Recorder:
    """A recorder writing the thread's log at ``path``: its earlier runs first, then this one's
    events, numbered and timed after theirs. This run is appended to the file when its last
    writer finished it; otherwise (a writer that was killed, a log of an earlier format) the
    earlier runs are copied into a new file that replaces it."""
    ended = _left_as_ended(path)  # left by a run of this process: nothing to read
    events: list[dict[str, Any]] = []
    if ended is None:
        # what the next run goes on from: the meta, call and span events, the rest not decoded
        events, appendable = _earlier(path, (META, CALL, SPAN))
        if not events:
            recorder = _GuardedRecorder(graph, path, limits=limits)
            recorder.created = _meta_of(recorder).get("created")
            return recorder
        if appendable:
            ended = _ended_from(events)
        else:
            events, _ = _earlier(path)  # to copy: all of them
    if ended is not None:
        recorder = _GuardedRecorder(graph, path, limits=limits, append=True)
        try:
            _go_on_from(recorder, ended)
            recorder.writer.flush(wait=True)
        except BaseException:
            with contextlib.suppress(Exception):
                recorder.writer.detach()
            raise
        return recorder
    head, tail = os.path.split(path)
    tmp = os.path.join(head, f".{tail}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    recorder = _GuardedRecorder(graph, tmp, limits=limits)
    try:
        for event in events:
            if event.get("k") not in (META, GRAPH):  # the structure is this run's
                recorder.writer.write_event(event, _COPY_LIMITS)
        _go_on_from(recorder, _ended_from(events))
        recorder.writer.flush(wait=True)
        os.replace(tmp, path)
        recorder.writer.path = path
    except BaseException:
        with contextlib.suppress(Exception):
            recorder.writer.detach()
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return recorder


def _ended_from(events: list[dict[str, Any]]) -> _Ended:
    """What the thread's earlier ``events`` leave the next run: the last call and span numbers
    and the thread's clock (the last meta event's, as a reader takes it)."""
    created: Any = None
    calls = spans = 0
    for event in events:
        kind = event.get("k")
        if kind == META:
            created = event.get("created")
        elif kind == CALL and isinstance(event.get("call"), int):
            calls = max(calls, event["call"])
        elif kind == SPAN and isinstance(event.get("id"), int):
            spans = max(spans, event["id"])
    return _Ended((0, 0, 0), calls, spans, created if isinstance(created, str) else None)


def _go_on_from(recorder: _GuardedRecorder, ended: _Ended) -> None:
    """Number and time this run's events after the thread's earlier ones. The structure is
    this run's (the graph may have been redeployed): a reader takes the last graph and meta
    events, and this run's come after the earlier runs'."""
    first = _meta_of(recorder)
    recorder.created = first.get("created")
    if ended.created is not None:
        first["created"] = recorder.created = ended.created
        elapsed = _since(ended.created)
        if elapsed is not None:
            recorder._t0 = time.perf_counter() - elapsed  # the thread's clock goes on
    recorder.writer.write_event(first, _COPY_LIMITS)
    recorder._calls = itertools.count(ended.calls + 1)
    recorder._span_ids = itertools.count(ended.spans + 1)


def _meta_of(recorder: Recorder) -> dict[str, Any]:
    """The meta event this recorder wrote first."""
    from ..logfile import read_frames

    for event in read_frames(recorder.writer.getvalue(), limits=LoadLimits.unlimited()):
        if event.get("k") == META:
            return dict(event)
    return {"k": META}


def _since(created: str) -> float | None:
    try:
        start = datetime.datetime.fromisoformat(created)
    except ValueError:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds())
