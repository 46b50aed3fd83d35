"""A thread's log inside a server, for :func:`pregel_viz.instrument`: one file per thread, one
writer at a time, each run appended after the earlier ones.

The runs of thread ``T`` go to ``<directory>/T.pregel`` (:func:`log_path`). A run holds an
exclusive lock on ``.T.pregel.lock`` while it writes (another run finding it held writes to
``T.<n>.pregel``). It is appended to the file as a new zlib stream when the last writer
finished the file (format 1.2); a file whose writer was killed, or of format 1.1, is copied
into a new file swapped in atomically. The process that wrote the last run remembers how it
left the file and appends without reading it while the file is unchanged; another reads its
meta, call and span events once, to number and time the run after the earlier ones.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime
import hashlib
import itertools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from ..events import CALL, GRAPH, META, SPAN
from ..load_limits import LoadLimits
from ..logfile import read_for_append
from ..values import DEFAULT_LIMITS, Limits
from ._session import Recorder

try:  # one writer per thread file, across the processes of a server
    import fcntl
except ImportError:  # pragma: no cover - Windows: one writer per process only
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Guarded",
    "GuardedRecorder",
    "ThreadLog",
    "create_first_free",
    "forget_ended_logs",
    "log_path",
]

logger = logging.getLogger("pregel_viz.recorder.instrument")

SUFFIX = ".pregel"
_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# copying a thread's earlier events: they were bounded when first recorded, never cut again
_COPY_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_event_bytes=1 << 30)


def log_path(directory: str | os.PathLike[str], thread_id: str) -> str:
    """Where :func:`instrument` writes the log of thread ``thread_id`` in ``directory``."""
    return os.path.join(os.fspath(directory), _file_stem(str(thread_id)) + SUFFIX)


def _file_stem(thread_id: str) -> str:
    if _SAFE.fullmatch(thread_id) and not thread_id.endswith(".lock"):
        return thread_id
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", thread_id).strip("._")[:60] or "thread"
    return f"{safe}-{hashlib.sha256(thread_id.encode('utf-8', 'replace')).hexdigest()[:12]}"


class Guarded:
    """Marks a recorder owned by an instrumented call."""


class GuardedRecorder(Recorder, Guarded):
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
    if path is None or not isinstance(recorder, GuardedRecorder):
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


class ThreadLog:
    """A thread's log, open for one run: its lock held, its earlier runs copied in."""

    def __init__(self, recorder: Recorder, label: str, lock: Any) -> None:
        self.recorder = recorder
        self.label = label
        self._lock = lock

    @classmethod
    def open(cls, graph: Any, directory: str, limits: Limits, label: str) -> ThreadLog | None:
        """Open the log of thread ``label``; ``None`` (and a warning) when it cannot be."""
        path = log_path(directory, label)
        lock = None
        try:
            os.makedirs(directory, exist_ok=True)
            lock = _lock(path)
            if lock is None:
                path = _side_path(path)
                logger.warning(
                    "pregel-viz: the log of thread %s is being written by another run; "
                    "this run is recorded in %s",
                    label,
                    path,
                )
            recorder = _continue(graph, path, limits)
        except Exception as exc:
            _unlock(lock)
            logger.warning(
                "pregel-viz could not record thread %s in %s: %s: %s; the run goes on unrecorded",
                label,
                directory,
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
    return create_first_free(f"{stem}.{n}{SUFFIX}" for n in itertools.count(2))


def create_first_free(paths: Iterable[str]) -> str:
    """Create the first of ``paths`` that no one has created yet (atomically, across
    processes) and return it; ``paths`` is endless."""
    for path in paths:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return path
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
            recorder = GuardedRecorder(graph, path, limits=limits)
            recorder.created = _meta_of(recorder).get("created")
            return recorder
        if appendable:
            ended = _ended_from(events)
        else:
            events, _ = _earlier(path)  # to copy: all of them
    if ended is not None:
        recorder = GuardedRecorder(graph, path, limits=limits, append=True)
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
    recorder = GuardedRecorder(graph, tmp, limits=limits)
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


def _go_on_from(recorder: GuardedRecorder, ended: _Ended) -> None:
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


def forget_ended_logs() -> None:
    """Forget how this process left the logs it wrote: the next run of each thread reads its
    log, as a new process would (tests, benchmarks)."""
    with _ENDED_LOCK:
        _ENDED.clear()
