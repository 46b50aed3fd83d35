"""The `.pregel` container: a header, then length-prefixed, checksummed ormsgpack frames.

Layout::

    magic       11 bytes  b"\\x89PREGEL\\r\\n\\x1a\\n"
    major       u16 big-endian
    minor       u16 big-endian
    codec       u8: 0 = frames follow as they are, 1 = frames follow as zlib streams
    frames...   u32 payload length, u32 CRC-32 of the payload, payload (one msgpack map)

A zlib body is one zlib stream or (format 1.2) several in a row: a log whose last stream was
finished may be appended to (:func:`read_for_append`, ``LogWriter(append=True)``).

Payloads are plain msgpack (no Ext types): decoding them can only produce dict, list, str, int,
float, bool, None and bytes. Writers compress files by default (zlib level 1). Readers return
the complete frames of a truncated file with a :class:`~pregel_viz.errors.TruncatedLogWarning`,
and read a zlib stream of any level, finished or not.

What reaches the disk, and when (:class:`LogWriter`, :mod:`pregel_viz._logsink`). Events are
encoded on the recording thread; at the end of every superstep and call the recorder flushes,
which hands the frames to the log writer thread: it compresses and writes them in order,
sync-flushing the zlib stream, so the file is readable up to its last write. Then:

- closing the writer writes everything first: the recorder closes it when ``record()`` returns,
  a ``recording()`` block ends and an automatically recorded call returns, whether the graph
  returned or raised, so every finished superstep is on disk then (``flush(wait=True)`` and
  ``getvalue()`` write everything too, without closing);
- a normal interpreter exit writes what a writer never closed still holds (``atexit``);
- a hard kill (SIGKILL, ``os._exit``, a crash of the interpreter) loses at most the batch in
  flight: the frames handed to the writer thread and not yet written, normally the last few
  milliseconds of supersteps, besides the superstep that was running;
- frames are written with ``write()``, not fsynced: what the OS holds survives the process,
  not a power loss.

This is the only module that imports ormsgpack. The limits of reading one log
(:class:`LoadLimits`, re-exported here) and the budget that enforces them are in
:mod:`pregel_viz.load_limits`.
"""

from __future__ import annotations

import os
import struct
import warnings
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import ormsgpack

from ._logsink import LogSink
from .errors import CorruptLogError, LogVersionError, NotALogError, TruncatedLogWarning
from .load_limits import Budget, LoadLimits, open_regular
from .values import DEFAULT_LIMITS, Limits, tag, to_safe

__all__ = [
    "FORMAT_VERSION",
    "FRAME",
    "HEADER",
    "MAGIC",
    "LoadLimits",
    "LogWriter",
    "decode_payload",
    "encode_event",
    "read_file",
    "read_for_append",
    "read_frames",
    "trusted_payloads",
]

MAGIC = b"\x89PREGEL\r\n\x1a\n"
FORMAT_VERSION = (1, 2)  # 1.1: span events; 1.2: a zlib body may hold several streams
HEADER = struct.Struct(">HHB")  # after MAGIC: the format's major and minor, the body codec
CODEC_RAW, CODEC_ZLIB = 0, 1
FRAME = struct.Struct(">II")  # before each payload: its length and its CRC-32
# A frame claiming to be larger than this is corrupt, not truncated.
MAX_FRAME_BYTES = 1 << 30
# A payload nested deeper than this is corrupt: ormsgpack packs at most 255 levels, so no writer
# produces one, and whoever walks its values (export, repr, json) would recurse too deep.
MAX_DEPTH = 256
# Every msgpack byte that may open a map or an array (fixmap, fixarray, array16/32, map16/32).
_NOT_CONTAINER_BYTES = bytes(b for b in range(256) if not (0x80 <= b <= 0x9F or 0xDC <= b <= 0xDF))

_PACK_OPTS = (
    ormsgpack.OPT_PASSTHROUGH_DATACLASS
    | ormsgpack.OPT_PASSTHROUGH_DATETIME
    | ormsgpack.OPT_PASSTHROUGH_ENUM
    | ormsgpack.OPT_PASSTHROUGH_UUID
    | ormsgpack.OPT_PASSTHROUGH_SUBCLASS
    | ormsgpack.OPT_PASSTHROUGH_BIG_INT
    | ormsgpack.OPT_REPLACE_SURROGATES
)


def encode_event(event: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Encode one event (which may hold live objects) into a msgpack payload.

    The fast path lets ormsgpack walk the event natively, tagging non-plain objects through
    :func:`~pregel_viz.values.tag`. Cycles, non-string keys, very deep values and oversized
    events fall back to the bounded Python walker.
    """
    try:
        payload = ormsgpack.packb(event, default=tag, option=_PACK_OPTS)
    except (TypeError, ValueError, RecursionError, OverflowError):
        payload = None
    if payload is None or len(payload) > limits.max_event_bytes:
        payload = ormsgpack.packb(to_safe(event, limits), default=tag, option=_PACK_OPTS)
    return payload


def decode_payload(payload: bytes, *, offset: int = 0) -> dict[str, Any]:
    """Decode one frame payload, refusing anything that is not a plain msgpack map."""
    try:
        obj = ormsgpack.unpackb(payload)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise CorruptLogError(f"frame at byte {offset} is not valid msgpack: {exc}") from None
    if not isinstance(obj, dict):
        raise CorruptLogError(f"frame at byte {offset} is not a map")
    # Cheap necessary conditions first: each level of nesting takes one container header byte.
    if (
        len(payload) > MAX_DEPTH
        and len(payload.translate(None, _NOT_CONTAINER_BYTES)) > MAX_DEPTH
        and _too_deep(obj)
    ):
        raise CorruptLogError(f"frame at byte {offset} is nested deeper than {MAX_DEPTH} levels")
    return obj


def trusted_payloads(body: bytes) -> list[dict[str, Any]] | None:
    """The decoded frames of a body this process wrote itself (inflated, after the header),
    without the checksums and shape checks of :func:`decode_payload`: the recorder reading back
    its own in-memory log. ``None`` when the body does not end on a whole frame."""
    unpack, unpackb, size, end = FRAME.unpack_from, ormsgpack.unpackb, FRAME.size, len(body)
    view = memoryview(body)
    events: list[dict[str, Any]] = []
    append = events.append
    pos = 0
    while end - pos >= size:
        stop = pos + size + unpack(body, pos)[0]
        if stop > end:
            return None
        append(unpackb(view[pos + size : stop]))
        pos = stop
    return events if pos == end else None


def _too_deep(obj: dict[str, Any]) -> bool:
    """Whether a decoded payload nests more than MAX_DEPTH maps and arrays (breadth first)."""
    level: list[Any] = [obj]
    for _ in range(MAX_DEPTH):
        # one comprehension per level: a frame of a million small maps is walked in C-speed
        # steps (a loop with append took 1.2 s a frame)
        level = [
            v
            for container in level
            for v in (container.values() if type(container) is dict else container)
            if type(v) is dict or type(v) is list
        ]
        if not level:
            return False
    return True


def _header_bytes(codec: int) -> bytes:
    return MAGIC + HEADER.pack(*FORMAT_VERSION, codec)


def frame_bytes(payload: bytes) -> bytes:
    """One frame: length, CRC-32, payload."""
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


# zlib level of written logs: level 1 compresses a recorded run about twice as fast as level 6
# (0.14 s against 0.26 s of the writer thread's CPU for 10,000 supersteps, a batch each), for
# files about 5% larger; readers inflate any level.
ZLIB_LEVEL = 1


class LogWriter:
    """Appends frames to a `.pregel` file or an in-memory buffer, thread-safely.

    Frames are encoded on the caller's thread (the values are captured before LangGraph changes
    them) and collect in memory until :meth:`flush`, which the recorder calls at the end of every
    superstep and call. For a file, flush hands them to the log writer thread, which compresses
    and writes them in order, so the caller (LangGraph's checkpoint-saving thread) never waits
    for zlib or the disk; :meth:`getvalue`, :meth:`close`, :meth:`detach` and a normal
    interpreter exit write everything first (:mod:`pregel_viz._logsink` says what reaches the
    disk when). A failed write to the file is raised once, as an :class:`OSError`, by the next
    :meth:`flush` (:meth:`append`, :meth:`write_event`) or :meth:`close`, never on the writer
    thread. Files are compressed by default; in-memory logs are not (``compress`` chooses).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        compress: bool | None = None,
        append: bool = False,
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        if compress is None:
            compress = self.path is not None
        if append and (self.path is None or not compress):
            raise ValueError("only a compressed log file is appended to")
        file = None
        if self.path is not None:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            # append: a new zlib stream after the file's finished one (read_for_append said so)
            file = open(self.path, "ab" if append else "wb", buffering=0)  # noqa: SIM115
        header = _header_bytes(CODEC_ZLIB if compress else CODEC_RAW)
        # what the file held before (appending), less the header the in-memory copy also has
        self._before = os.fstat(file.fileno()).st_size - len(header) if append and file else 0
        self._sink = LogSink(
            file, header, ZLIB_LEVEL if compress else None, self.path, header_to_file=not append
        )

    def append(self, event: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
        """Encode and write one event; return it as a reader will see it."""
        payload = encode_event(event, limits)
        if self._sink.add(frame_bytes(payload)):
            self.flush()
        return decode_payload(payload)

    def write_event(self, event: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> None:
        """:meth:`append` without decoding the event back: the recorder's hot path."""
        if self._sink.add(frame_bytes(encode_event(event, limits))):
            self.flush()

    def flush(self, *, wait: bool = False) -> None:
        """Push every frame appended so far towards the file (a superstep boundary): hand them
        to the writer thread, or with ``wait``, write them before returning. Raises the
        :class:`OSError` of a failed write to the file once."""
        self._sink.flush(wait=wait)

    def getvalue(self) -> bytes:
        """Every byte written so far (writing every frame appended first); never raises."""
        return self._sink.getvalue()

    def file_size(self) -> int:
        """The size the file has once everything written so far is on disk (what it held
        before, when appending, and this writer's bytes)."""
        return self._before + len(self.getvalue())

    def close(self) -> None:
        """Write every frame, end the stream and close the file; the in-memory copy stays
        readable. Raises the :class:`OSError` of a failed write not raised yet."""
        self._sink.close()

    def detach(self) -> None:
        """Stop writing to the file (and close it), keeping the in-memory copy.

        For a file that stopped accepting writes: writing on after a failed write could leave
        a hole in the middle of the file (a disk that was full has room again), which no
        reader can get past; stopping leaves a file that ends early, whose complete frames
        load. The frames already flushed are written first (to the file too, unless a write to
        it failed).
        """
        self._sink.detach()

    @property
    def closed(self) -> bool:
        return self.path is not None and self._sink.closed


def read_header(data: bytes, *, source: str = "log") -> tuple[int, int, int]:
    """Check the magic bytes and version; return (major, minor, codec)."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise NotALogError(
            f"{source} does not look like a pregel-viz log (bad magic bytes); "
            "record one with pregel_viz.record(...) or `pregel-viz record`"
        )
    end = len(MAGIC) + HEADER.size
    if len(data) < len(MAGIC) + 4:
        raise NotALogError(f"{source} is cut off inside its header")
    major, minor = struct.unpack_from(">HH", data, len(MAGIC))
    if major > FORMAT_VERSION[0]:
        raise LogVersionError(
            f"{source} uses log format {major}.{minor}, newer than this pregel-viz reads "
            f"({FORMAT_VERSION[0]}.x); upgrade pregel-viz: pip install -U pregel-viz"
        )
    if major < 1:
        raise LogVersionError(f"{source} uses unknown log format {major}.{minor}")
    if len(data) < end:
        raise NotALogError(f"{source} is cut off inside its header")
    codec = data[end - 1]
    if codec not in (CODEC_RAW, CODEC_ZLIB):
        raise CorruptLogError(f"{source}: unknown body codec {codec} in the header")
    return major, minor, codec


def read_frames(
    data: bytes,
    *,
    source: str = "log",
    limits: LoadLimits | None = None,
    note: Callable[[str], None] | None = None,
) -> Generator[dict[str, Any], None, None]:
    """Yield each decoded frame of a whole log held in memory.

    Raises a :class:`~pregel_viz.errors.LogFormatError` subclass for a bad header, a corrupt
    frame or a log past ``limits`` (default: :meth:`LoadLimits.from_env`); at a truncated
    final frame, stops and warns (:class:`~pregel_viz.errors.TruncatedLogWarning`), or passes
    the notice to ``note``.
    """
    view = memoryview(data)
    _report(note, (yield from _read_stream(_BytesSource(view), len(view), source, limits)))


def read_file(
    path: str | os.PathLike[str],
    *,
    source: str | None = None,
    limits: LoadLimits | None = None,
    note: Callable[[str], None] | None = None,
) -> Generator[dict[str, Any], None, None]:
    """:func:`read_frames` for the log file at ``path``, read in pieces.

    The header is checked before the rest is read. Anything but a regular file (a directory, a
    FIFO, a device) is refused with :class:`~pregel_viz.errors.NotAFileError`, without
    waiting on it. ``source`` names the file in messages (default: ``path``).
    """
    name = os.fspath(path) if source is None else source
    fh, size = open_regular(os.fspath(path), name)
    with fh:
        cut = yield from _read_stream(fh.read, size, name, limits)
    _report(note, cut)


def read_for_append(
    path: str | os.PathLike[str],
    *,
    limits: LoadLimits | None = None,
    kinds: Iterable[str] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """The events of the log at ``path`` (only those of ``kinds``, if given: the others are
    checked, not decoded), and whether a writer may append a zlib stream to it
    (``LogWriter(path, append=True)``): a compressed body of format 1.2 or later whose last
    stream was finished (its writer closed it) and holds no cut-off frame. Raises as
    :func:`read_file` does."""
    name = os.fspath(path)
    fh, size = open_regular(name, name)
    ending = _Ending()
    wanted = None if kinds is None else frozenset(k.encode() for k in kinds)
    with fh:
        gen = _read_stream(fh.read, size, name, limits, ending, wanted)
        events: list[dict[str, Any]] = []
        while True:
            try:
                events.append(next(gen))
            except StopIteration as stop:
                cut = stop.value
                break
    appendable = (
        cut is None
        and ending.finished
        and ending.codec == CODEC_ZLIB
        and ending.version >= (1, 2)
        and ending.version[0] == FORMAT_VERSION[0]
    )
    return events, appendable


def _report(note: Callable[[str], None] | None, cut: str | None) -> None:
    """Pass the notice of a truncated log to ``note``, or warn (where frames are consumed)."""
    if cut is not None and note is not None:
        note(cut)
    elif cut is not None:
        warnings.warn(TruncatedLogWarning(cut), stacklevel=3)


# --- reading -----------------------------------------------------------------------------------

# What a read holds of the file, and of its inflated body, at a time.
_CHUNK = 1 << 20


class _BytesSource:
    """``read(n)`` over a buffer, without copying it."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.pos = 0

    def __call__(self, n: int) -> memoryview:
        piece = self.view[self.pos : self.pos + n]
        self.pos += len(piece)
        return piece


def _read_exactly(read: Callable[[int], Any], n: int) -> bytes:
    out = b""
    while len(out) < n:
        piece = read(n - len(out))
        if not piece:
            break
        out += bytes(piece)
    return out


def _count_values(payload: bytes, stop: int) -> int:
    """How many values the msgpack ``payload`` decodes into, counted no further than ``stop``.

    Strings and binaries are skipped by their length, so a large frame of a few big values is
    counted quickly; only frames that could decode past ``max_memory`` are counted.
    """
    n, pos, end, pending = 0, 0, len(payload), 1
    while pending and pos < end and n <= stop:
        pending -= 1
        n += 1
        b = payload[pos]
        pos += 1
        if b < 0x80 or b >= 0xE0:
            continue
        if b < 0x90:
            pending += 2 * (b & 0x0F)
        elif b < 0xA0:
            pending += b & 0x0F
        elif b < 0xC0:
            pos += b & 0x1F
        elif b in _LENGTH_PREFIXED:
            width, extra = _LENGTH_PREFIXED[b]
            pos += width + extra + int.from_bytes(payload[pos : pos + width], "big")
        elif b in _CONTAINERS:
            width, per_item = _CONTAINERS[b]
            pending += per_item * int.from_bytes(payload[pos : pos + width], "big")
            pos += width
        else:
            pos += _FIXED.get(b, 0)
    return n


# type byte -> (width of the length that follows, bytes between it and the data): str8/16/32,
# bin8/16/32, ext8/16/32 (whose type code comes before the data)
_LENGTH_PREFIXED = {
    **{0xD9 + i: (1 << i, 0) for i in range(3)},
    **{0xC4 + i: (1 << i, 0) for i in range(3)},
    **{0xC7 + i: (1 << i, 1) for i in range(3)},
}
# type byte -> (width of the count that follows, values per counted item): array16/32, map16/32
_CONTAINERS = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}
# type byte -> bytes of data: float32/64, uint8..64, int8..64, fixext1..16 (with its type code)
_FIXED = {
    0xCA: 4,
    0xCB: 8,
    **{0xCC + i: 1 << i for i in range(4)},
    **{0xD0 + i: 1 << i for i in range(4)},
    **{0xD4 + i: 1 + (1 << i) for i in range(5)},
}


class _Ending:
    """How a read body ended: its version and codec, and whether its last zlib stream ended."""

    def __init__(self) -> None:
        self.version = (0, 0)
        self.codec = CODEC_RAW
        self.finished = False


def _read_stream(
    read: Callable[[int], Any],
    size: int,
    source: str,
    limits: LoadLimits | None,
    ending: _Ending | None = None,
    kinds: frozenset[bytes] | None = None,
) -> Generator[dict[str, Any], None, str | None]:
    """The frames of a log read in pieces by ``read(n)`` (empty at the end), ``size`` bytes
    long; returns the notice of a truncated last frame, if any. ``ending`` is told how the
    body ended; with ``kinds``, only events of those kinds are decoded."""
    header = _read_exactly(read, len(MAGIC) + HEADER.size)
    major, minor, codec = read_header(header, source=source)
    ending = _Ending() if ending is None else ending
    ending.version, ending.codec = (major, minor), codec
    limits = LoadLimits.from_env() if limits is None else limits
    budget = Budget(source, size, limits, _count_values)
    budget.read = len(header)
    if codec == CODEC_ZLIB:  # offsets below are then positions in the inflated stream
        body, start, where = _inflated(read, budget, ending), 0, "uncompressed byte"
    else:
        most, which = budget.allowed()
        if size - len(header) > most:  # refused before it is read
            raise budget.too_large(which, most)
        body, start, where = _raw(read, budget), len(header), "byte"
    cut = yield from _split(body, budget, start, where, kinds)
    if cut is None:
        return None
    return (
        f"{source} ends inside a frame at {where} {cut} (the writer was killed or the copy "
        "was cut short); every complete frame before it was read"
    )


def _raw(read: Callable[[int], Any], budget: Budget) -> Iterator[Any]:
    """An uncompressed body, piece by piece."""
    while True:
        piece = read(_CHUNK)
        if not piece:
            return
        budget.read += len(piece)
        budget.grow(len(piece))  # a file may grow while it is read
        yield piece


def _inflated(read: Callable[[int], Any], budget: Budget, ending: _Ending) -> Iterator[bytes]:
    """A zlib body (one zlib stream, or several one after another), inflated piece by piece and
    never past the limits; a cut-off stream gives what was complete. ``ending.finished`` tells
    whether the last stream was finished."""
    d = zlib.decompressobj()
    streams = 1
    while True:
        piece = read(_CHUNK)
        if not piece:
            ending.finished = d.eof
            return
        budget.read += len(piece)
        while piece:
            if d.eof:  # the next stream (format 1.2: a writer appended to a finished log)
                d, streams = zlib.decompressobj(), streams + 1
            most, _ = budget.allowed()
            room = int(min(_CHUNK, most - budget.inflated + 1))  # >= 1: 0 would mean no bound
            try:
                out = d.decompress(piece, room)
            except zlib.error as exc:
                where = "" if streams == 1 else f" after the end of zlib stream {streams - 1}"
                raise CorruptLogError(
                    f"{budget.source}: the compressed body is damaged{where} ({exc})"
                ) from None
            piece = d.unconsumed_tail if not d.eof else d.unused_data
            budget.grow(len(out))
            if out:
                yield out


def _kind_of(payload: bytes) -> bytes | None:
    """An event's kind, read off the frame's start (writers put "k" first), or ``None``."""
    first = payload[0] if payload else 0
    at = 1 if 0x80 <= first <= 0x8F else 3 if first == 0xDE else 5 if first == 0xDF else 0
    if not at or payload[at : at + 2] != b"\xa1k" or len(payload) < at + 3:
        return None
    n = payload[at + 2] - 0xA0  # a fixstr: kinds are short
    return payload[at + 3 : at + 3 + n] if 0 <= n < 32 else None


def _split(
    body: Iterator[Any],
    budget: Budget,
    start: int,
    where: str,
    kinds: frozenset[bytes] | None = None,
) -> Generator[dict[str, Any], None, int | None]:
    """Decode the frames of a body arriving in pieces; return where a cut-off last frame
    starts (``start``: the position of the body's first byte, in ``where`` units). With
    ``kinds``, only the events of those kinds are decoded (the others are checked, not read)."""
    source = budget.source
    max_events = budget.limits.max_events
    events = 0
    pending: list[Any] = []  # the pieces of a frame not yet complete
    have = 0  # bytes in pending
    need = FRAME.size  # bytes pending must reach before a frame can be complete
    base = start  # position of pending's first byte
    unpack = FRAME.unpack_from
    for piece in body:
        pending.append(piece)
        have += len(piece)
        if have < need:
            continue
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        pos, need = 0, FRAME.size
        while have - pos >= FRAME.size:
            length, crc = unpack(data, pos)
            if length > MAX_FRAME_BYTES:
                raise CorruptLogError(
                    f"{source}: frame at {where} {base + pos} has an impossible length"
                )
            end = pos + FRAME.size + length
            if end > have:
                need = end - pos
                break
            payload = bytes(data[pos + FRAME.size : end])
            if zlib.crc32(payload) != crc:
                raise CorruptLogError(f"{source}: frame at {where} {base + pos} fails its checksum")
            events += 1
            if max_events is not None and events > max_events:
                raise budget.too_many_events()
            if length > _CHUNK:
                budget.check_memory(payload)
            kind = None if kinds is None else _kind_of(payload)
            if kinds is None or kind is None or kind in kinds:
                yield decode_payload(payload, offset=base + pos)
            pos = end
        if pos < have:
            pending.append(data[pos:])
        base += pos
        have -= pos
        budget.check_memory()
    return base if have else None
