"""Where a log's bytes go: an in-memory copy and a file, the file written off the caller's thread.

:class:`LogSink` knows nothing of frames (:mod:`pregel_viz.logfile` owns the format): it takes
bytes, batches them, optionally compresses them as one zlib stream, and appends them to an
in-memory buffer and to a file. For a file, the compression and the ``write()`` run on the log
writer thread (:class:`_WriterThread`): zlib and ``write()`` release the GIL, and a thread that
released it waits (up to the 5 ms switch interval) to get it back, so doing them on LangGraph's
checkpoint-saving thread made its saves fall behind the graph.

What reaches the disk, and when:

- :meth:`LogSink.flush` hands the bytes added so far to the writer thread; the thread writes
  each writer's batches in order, as soon as it gets to them (each write sync-flushes the zlib
  stream, so the file is readable up to its last write);
- :meth:`LogSink.getvalue`, :meth:`LogSink.close` and :meth:`LogSink.detach` write everything
  handed off first, on the calling thread, and so does ``flush(wait=True)``;
- a normal interpreter exit writes whatever a sink never closed still holds (``atexit``);
- a hard kill (SIGKILL, ``os._exit``, a crash of the interpreter) loses only what was handed
  off and not yet written: the batch in flight.

A failed write to the file (disk full, EIO, a file-size limit) is never raised on the writer
thread: the file is written no more (the frames before stay readable, and no hole can follow),
the in-memory copy goes on complete, and the :class:`OSError` is raised once, by the next
:meth:`LogSink.flush` or :meth:`LogSink.close` (at exit, a :class:`LogWriteWarning`).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import io
import os
import threading
import warnings
import weakref
import zlib
from typing import IO

from .errors import LogWriteWarning

__all__ = ["LogSink"]

# Bytes handed to the writer thread and not yet written, past which flush() writes them on the
# caller's thread rather than let a slow disk grow memory without bound.
MAX_BACKLOG = 16 << 20
# Bytes added since the last flush past which the caller should flush (a long superstep).
MAX_PENDING = 1 << 20


class LogSink:
    """Appends bytes to an in-memory buffer and to ``file`` (may be None), thread-safely.

    ``header`` is written at once (raising, as opening the file does; to the in-memory copy only
    without ``header_to_file``, when appending to a log); everything after goes into one zlib
    stream when ``level`` is not None. ``name`` names the file in warnings.
    """

    def __init__(
        self,
        file: IO[bytes] | None,
        header: bytes,
        level: int | None,
        name: str | None = None,
        *,
        header_to_file: bool = True,
    ) -> None:
        self.name = name
        # the chunks not yet handed off, the hand-off queue and the write error
        self._lock = threading.Lock()
        # the compressor, the buffer and the file; held while a batch is taken and written, so
        # batches are written in the order they were handed off (lock order: _io_lock, _lock)
        self._io_lock = threading.Lock()
        self._buffer = io.BytesIO(header)
        self._buffer.seek(0, io.SEEK_END)
        self._file = file
        self._z = zlib.compressobj(level) if level is not None else None
        self._chunks: list[bytes] = []  # added since the last flush
        self._pending = 0  # bytes in _chunks
        self._outbox: list[bytes] = []  # flushed, not yet taken by the writer thread
        self._backlog = 0  # bytes in _outbox
        self._scheduled = False  # queued on the writer thread, which has not taken _outbox yet
        self._error: OSError | None = None  # the first failed write to the file
        self._reported = False  # whether _error was raised to a caller (or warned at exit)
        if file is not None:
            try:
                if header_to_file:  # not when appending to a log that has one
                    _write_all(file, header)
            except BaseException:
                with contextlib.suppress(OSError):
                    file.close()
                raise
            _open_sinks.add(self)

    # --- the caller's side --------------------------------------------------------------------

    def add(self, chunk: bytes) -> bool:
        """Queue ``chunk``; whether the caller should :meth:`flush` now (memory stays bounded
        within a long superstep)."""
        with self._lock:
            self._chunks.append(chunk)
            self._pending += len(chunk)
            return self._pending > MAX_PENDING

    def flush(self, *, wait: bool = False) -> None:
        """Hand every chunk added so far to the writer thread, in order; ``wait``: write them
        (and any handed off before) before returning. Raises the :class:`OSError` of a failed
        write to the file once, the first time it is called after the failure."""
        schedule, backlog = self._hand_off()
        # an in-memory buffer's write is a copy: done inline
        inline = wait or self._file is None or backlog > MAX_BACKLOG
        if schedule and not inline:
            inline = not _WRITER.schedule(self)  # False: no thread could be started
        if inline:
            self._drain()
        self._raise_error()

    def getvalue(self) -> bytes:
        """Every byte added so far, as written (never raises: the in-memory copy is whole)."""
        self._hand_off()
        self._drain()
        with self._io_lock:
            return self._buffer.getvalue()

    def close(self) -> None:
        """Write everything added, end the zlib stream and close the file; the in-memory copy
        stays readable. Raises the :class:`OSError` of a failed write not raised yet (after
        finishing the in-memory copy and closing the file)."""
        self._hand_off()
        self._drain()
        with self._io_lock:
            if self._z is not None:
                self._write(self._z.flush(zlib.Z_FINISH))
                self._z = None
            fh, self._file = self._file, None
            if fh is not None:
                try:
                    fh.close()
                except OSError as exc:
                    self._failed(exc)
        _open_sinks.discard(self)
        self._raise_error()

    def detach(self) -> None:
        """Write what was handed off (to the file too, unless a write to it failed), then stop
        writing to the file and close it; the in-memory copy goes on."""
        self._drain()
        with self._io_lock:
            fh, self._file = self._file, None
        _open_sinks.discard(self)
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()

    @property
    def closed(self) -> bool:
        return self._file is None

    def _hand_off(self) -> tuple[bool, int]:
        """Move the chunks added so far to the writer thread's queue; return whether this sink
        must be queued on the writer thread, and the bytes waiting there."""
        with self._lock:
            if self._chunks:
                self._outbox.extend(self._chunks)
                self._backlog += self._pending
                self._chunks.clear()
                self._pending = 0
            schedule = bool(self._outbox) and not self._scheduled
            self._scheduled = self._scheduled or schedule
            return schedule, self._backlog

    def _raise_error(self) -> None:
        with self._lock:
            if self._error is None or self._reported:
                return
            self._reported = True
            error = self._error
        raise error

    # --- the writer's side (the writer thread, or a caller writing what is left) --------------

    def _drain(self) -> None:
        """Compress and write everything handed off, as one batch; never raises (a failure is
        kept in ``_error``). Waits for a batch in flight first (``_io_lock``)."""
        with self._io_lock:
            with self._lock:
                batch, self._outbox = self._outbox, []
                self._backlog = 0
                self._scheduled = False
            if not batch:
                return
            try:
                data = b"".join(batch)
                del batch
                if self._z is not None:
                    data = self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)
                self._write(data)
            except Exception as exc:  # MemoryError...; a failed file write is caught in _write
                self._failed(exc)

    def _write(self, data: bytes) -> None:
        """Append ``data`` to the buffer, and to the file unless a write to it failed (call
        with ``_io_lock`` held)."""
        if not data:
            return
        self._buffer.write(data)
        if self._file is not None and self._error is None:
            try:
                _write_all(self._file, data)
            except Exception as exc:  # OSError, or whatever a file-like object raises
                self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        """Keep the first failure, to be raised to the next caller; the file is written no
        more."""
        if not isinstance(exc, OSError):
            exc = OSError(f"{type(exc).__name__}: {exc}")
        with self._lock:
            if self._error is None:
                self._error = exc

    def at_exit(self) -> None:
        """Write what is left (the sink was never closed); warn of a failure never raised."""
        self._hand_off()
        self._drain()
        with self._lock:
            error = None if self._reported else self._error
            self._reported = True
        if error is not None:
            warnings.warn(
                LogWriteWarning(
                    f"the log file {self.name} is incomplete: writing it failed "
                    f"({type(error).__name__}: {error}); it keeps the frames written before "
                    "the failure"
                ),
                stacklevel=1,
            )


def _write_all(fh: IO[bytes], data: bytes) -> None:
    """``fh.write(data)`` to the end: an unbuffered write may take only part of it (a disk
    filling up), and the rest must follow, or fail, before anything else is written."""
    view = memoryview(data)
    while view:
        n = fh.write(view)
        if n is None:  # a file object that does not count (its writes are whole)
            return
        if n <= 0:
            raise OSError(f"short write: {len(view)} bytes could not be written")
        view = view[n:]


class _WriterThread:
    """The one log writer thread of the process, shared by every sink with a file.

    One thread, started by the first flush, however many logs are written: automatic recording
    opens a log per call (a server recording concurrent calls would otherwise start a thread
    per call), and a log never closed leaves no thread waiting behind it. Writing the batches
    of several logs one after the other costs the graphs nothing (the point is that their own
    threads do not do it), and a sink that needs its bytes written (close, getvalue) writes
    what is left on its own thread: it waits for its own batch in flight, never for another
    log's disk.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._ready: collections.deque[LogSink] = collections.deque()
        self._thread: threading.Thread | None = None

    def schedule(self, sink: LogSink) -> bool:
        """Queue ``sink``'s batch; False if no thread could be started (write it inline)."""
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                thread = threading.Thread(
                    target=self._run, name="pregel-viz-log-writer", daemon=True
                )
                try:
                    thread.start()
                except RuntimeError:  # too many threads, or the interpreter is shutting down
                    return False
                self._thread = thread
            self._ready.append(sink)
            self._cond.notify()
        return True

    def _run(self) -> None:
        cond, ready = self._cond, self._ready
        while True:
            with cond:
                while not ready:
                    cond.wait()
                sink = ready.popleft()
            sink._drain()  # never raises
            del sink


_WRITER = _WriterThread()
# sinks with a file not closed yet: written out at interpreter exit
_open_sinks: weakref.WeakSet[LogSink] = weakref.WeakSet()


@atexit.register
def _write_all_at_exit() -> None:
    sinks: list[LogSink] = []
    for _ in range(3):  # another thread may open or close a log meanwhile
        with contextlib.suppress(RuntimeError):
            sinks = list(_open_sinks)
            break
    for sink in sinks:
        with contextlib.suppress(Exception):
            sink.at_exit()


def _after_fork_in_child() -> None:
    # the parent's logs are the parent's (a child exiting must not write them again), and the
    # writer thread, with the lock it may have held, did not come along
    _open_sinks.clear()
    _WRITER.reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
