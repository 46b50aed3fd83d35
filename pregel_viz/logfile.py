"""The `.pregel` container: a header, then length-prefixed, checksummed ormsgpack frames.

Layout::

    magic       11 bytes  b"\\x89PREGEL\\r\\n\\x1a\\n"
    major       u16 big-endian
    minor       u16 big-endian
    codec       u8: 0 = frames follow as they are, 1 = frames follow as one zlib stream
    frames...   u32 payload length, u32 CRC-32 of the payload, payload (one msgpack map)

Payloads are plain msgpack (no Ext types): decoding them can only produce dict, list, str, int,
float, bool, None and bytes. Writers compress files by default, and write (sync-flushing the
zlib stream) at the end of every superstep (:meth:`LogWriter.flush`), so a killed process leaves
every finished superstep readable; readers return the complete frames of a truncated file with a
:class:`~pregel_viz.errors.TruncatedLogWarning`.

This is the only module that imports ormsgpack.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import struct
import sys
import threading
import warnings
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import IO, Any

import ormsgpack

from .errors import (
    CorruptLogError,
    LogTooLargeError,
    LogVersionError,
    NotAFileError,
    NotALogError,
    TruncatedLogWarning,
    UsageError,
)
from .values import DEFAULT_LIMITS, Limits, tag, to_safe

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "LoadLimits",
    "LogWriter",
    "decode_payload",
    "encode_event",
    "read_file",
    "read_frames",
]

MAGIC = b"\x89PREGEL\r\n\x1a\n"
FORMAT_VERSION = (1, 0)
_HEADER = struct.Struct(">HHB")
CODEC_RAW, CODEC_ZLIB = 0, 1
_FRAME = struct.Struct(">II")
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
    return MAGIC + _HEADER.pack(*FORMAT_VERSION, codec)


def frame_bytes(payload: bytes) -> bytes:
    """One frame: length, CRC-32, payload."""
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


class LogWriter:
    """Appends frames to a `.pregel` file or an in-memory buffer, thread-safely.

    Frames collect in memory until :meth:`flush`, which the recorder calls at the end of every
    superstep and call: one write (and, for a file, one zlib compression) per superstep keeps
    the recording's hot path cheap, and a crash still keeps every finished superstep. Files are
    compressed by default; in-memory logs are not (``compress`` chooses).
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, compress: bool | None = None
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        if compress is None:
            compress = self.path is not None
        self._lock = threading.Lock()  # the pending frames
        self._io_lock = threading.Lock()  # the compressor, the buffer and the file
        self._buffer = io.BytesIO()
        self._file: IO[bytes] | None = None
        self._z = zlib.compressobj(6) if compress else None
        self._frames: list[bytes] = []
        self._pending = 0
        if self.path is not None:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            self._file = open(self.path, "wb", buffering=0)  # noqa: SIM115 - closed in close()
        self._write(_header_bytes(CODEC_ZLIB if compress else CODEC_RAW))

    def _write(self, data: bytes) -> None:
        if not data:
            return
        self._buffer.write(data)
        if self._file is not None:
            self._file.write(data)

    def _frame(self, frame: bytes) -> bool:
        """Queue ``frame`` (with ``_lock`` held); whether the queue should be flushed now."""
        self._frames.append(frame)
        self._pending += len(frame)
        return self._pending > 1 << 20  # keep memory bounded within a long superstep

    def _take(self) -> bytes:
        """The frames appended so far, removed (call with ``_lock`` held)."""
        data = b"".join(self._frames)
        self._frames.clear()
        self._pending = 0
        return data

    def _put(self, data: bytes) -> None:
        """Compress and write ``data`` (call with ``_io_lock`` held, in frame order)."""
        if not data:
            return
        if self._z is not None:
            data = self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)
        self._write(data)

    def append(self, event: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
        """Encode and write one event; return it as a reader will see it."""
        payload = encode_event(event, limits)
        with self._lock:
            full = self._frame(frame_bytes(payload))
        if full:
            self.flush()
        return decode_payload(payload)

    def write_event(self, event: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> None:
        """:meth:`append` without decoding the event back: the recorder's hot path."""
        frame = frame_bytes(encode_event(event, limits))
        with self._lock:
            full = self._frame(frame)
        if full:
            self.flush()

    def flush(self) -> None:
        """Push every frame appended so far to the file (a superstep boundary).

        Compression and the write happen outside the lock that appending takes, so the
        graph's threads recording events never wait for the disk (``_io_lock`` keeps the
        order of the flushes).
        """
        with self._io_lock:
            with self._lock:
                data = self._take()
            self._put(data)

    def getvalue(self) -> bytes:
        """Every byte written so far (flushing first)."""
        self.flush()
        with self._io_lock:
            return self._buffer.getvalue()

    def close(self) -> None:
        """End the stream and close the file; the in-memory copy stays readable."""
        self.flush()
        with self._io_lock:
            if self._z is not None:
                self._write(self._z.flush(zlib.Z_FINISH))
                self._z = None
            if self._file is not None:
                self._file.close()
                self._file = None

    def detach(self) -> None:
        """Stop writing to the file (and close it), keeping the in-memory copy.

        For a file that stopped accepting writes: writing on after a failed write could leave
        a hole in the middle of the file (a disk that was full has room again), which no
        reader can get past; stopping leaves a file that ends early, whose complete frames
        load.
        """
        with self._io_lock:
            fh, self._file = self._file, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()

    @property
    def closed(self) -> bool:
        return self.path is not None and self._file is None


def read_header(data: bytes, *, source: str = "log") -> tuple[int, int, int]:
    """Check the magic bytes and version; return (major, minor, codec)."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise NotALogError(
            f"{source} does not look like a pregel-viz log (bad magic bytes); "
            "record one with pregel_viz.record(...) or `pregel-viz record`"
        )
    end = len(MAGIC) + _HEADER.size
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


def _report(note: Callable[[str], None] | None, cut: str | None) -> None:
    """Pass the notice of a truncated log to ``note``, or warn (where frames are consumed)."""
    if cut is not None and note is not None:
        note(cut)
    elif cut is not None:
        warnings.warn(TruncatedLogWarning(cut), stacklevel=3)


# --- limits ------------------------------------------------------------------------------------

_MiB = 1 << 20
_GiB = 1 << 30
# What a read holds of the file, and of its inflated body, at a time.
_CHUNK = _MiB
# Below this many inflated bytes the compression ratio is not checked: a small log may be very
# repetitive, and this much does no harm (the memory limit still applies).
RATIO_FLOOR = 16 * _MiB
# Memory of the Python value decoded from one byte of msgpack, at most (an empty map: a 64-byte
# dict and a list slot, measured 72); and per decoded value, an upper estimate.
_WORST_MEMORY_PER_BYTE = 80
_MEMORY_PER_VALUE = 96

LIMIT_ENV = {
    "max_bytes": "PREGEL_VIZ_MAX_LOG_BYTES",
    "max_ratio": "PREGEL_VIZ_MAX_LOG_RATIO",
    "max_events": "PREGEL_VIZ_MAX_LOG_EVENTS",
    "max_memory": "PREGEL_VIZ_MAX_LOG_MEMORY",
}
_SIZES = ("max_bytes", "max_memory")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@lru_cache(maxsize=1)
def _default_memory() -> int:
    """A quarter of the memory this machine (or its container) has, at most 2 GiB."""
    sizes = [8 * _GiB]
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sizes.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit():
            sizes.append(int(text))
    return min(sizes) // 4


@dataclass(frozen=True)
class LoadLimits:
    """How much reading one log may take; ``None`` turns a limit off.

    Past a limit, reading stops with :class:`~pregel_viz.errors.LogTooLargeError`, whose
    message names the limit and how to raise it. Each limit has an environment variable,
    read when no limits are given (so the Jupyter server extension and the command line follow
    it too): ``PREGEL_VIZ_MAX_LOG_BYTES``, ``PREGEL_VIZ_MAX_LOG_RATIO``,
    ``PREGEL_VIZ_MAX_LOG_EVENTS``, ``PREGEL_VIZ_MAX_LOG_MEMORY``; ``0`` turns it off, sizes
    take a K, M, G or T suffix (powers of 1024).

    Attributes:
        max_bytes: the most the log's frames may take uncompressed. Default 2 GiB: a
            10,000-superstep loop takes 12 MB, a 2,000-turn chat recording its whole message
            list at every step 0.9 GB.
        max_ratio: the most a log may inflate to, as a multiple of the file's size, once past
            16 MiB (``RATIO_FLOOR``). Default 200: recorded logs measure 4 to 63, a zlib bomb
            about 1,000.
        max_events: the most frames (one event each). Default 1,000,000: a 10,000-superstep
            loop has 40,000 (and a million recorded events take about 2.5 GB decoded).
        max_memory: the most the process's resident memory may grow while the frames are
            decoded (measured on Linux and macOS; not checked elsewhere). Default: a quarter
            of the machine's memory (or its container's), at most 2 GiB; the chat above
            takes 1.2 GB. It stops logs whose many small values decode into far more memory
            than they take in the file (up to 72 bytes per byte).
    """

    max_bytes: int | None = 2 * _GiB
    max_ratio: float | None = 200.0
    max_events: int | None = 1_000_000
    max_memory: int | None = field(default_factory=_default_memory)

    @classmethod
    def unlimited(cls) -> LoadLimits:
        """No limit: for a log this process recorded itself and reads back (trusted input)."""
        return cls(max_bytes=None, max_ratio=None, max_events=None, max_memory=None)

    @classmethod
    def from_env(cls, base: LoadLimits | None = None) -> LoadLimits:
        """``base`` (default: the defaults), with each limit its environment variable sets."""
        limits = base or cls()
        changes: dict[str, Any] = {}
        for name, var in LIMIT_ENV.items():
            text = os.environ.get(var, "").strip()
            if text:
                changes[name] = _parse_limit(var, text, size=name in _SIZES)
        return replace(limits, **changes) if changes else limits


def _parse_limit(var: str, text: str, *, size: bool) -> Any:
    pattern = r"(\d+(?:\.\d*)?)\s*([kmgt]?)(?:i?b)?" if size else r"(\d+(?:\.\d*)?)()"
    match = re.fullmatch(pattern, text.replace("_", "").lower())
    if match is None:
        example = "8G" if size else "500"
        raise UsageError(f"{var}={text!r} is not a number; e.g. {var}={example}, or 0: no limit")
    value = float(match[1]) * _UNITS[match[2]]
    if value == 0:
        return None
    return value if var == LIMIT_ENV["max_ratio"] else int(value)


def _size(n: float) -> str:
    for unit, scale in (("GiB", _GiB), ("MiB", _MiB), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def _how_to_raise(name: str, now: float) -> str:
    """How to raise limit ``name`` (now ``now``): the keyword and the environment variable."""
    if name in _SIZES:
        gib = max(1, round(now * 4 / _GiB))
        code, env = f"{gib} * 2**30", f"{gib}G"
    else:
        code = env = f"{now * 10:.0f}"
    return (
        f"if you trust it, raise the limit: pregel_viz.load(path, "
        f"limits=pregel_viz.LoadLimits({name}={code})), or set the environment variable "
        f"{LIMIT_ENV[name]}={env} (0: no limit)"
    )


def out_of_memory(source: str) -> LogTooLargeError:
    """The error for a MemoryError raised while reading ``source``."""
    return LogTooLargeError(
        f"{source}: this process ran out of memory reading it (its memory is capped below "
        "LoadLimits.max_memory, e.g. by ulimit -v); lower the limit to refuse such logs "
        f"sooner ({LIMIT_ENV['max_memory']}=...), or give the process more memory"
    )


# --- opening -----------------------------------------------------------------------------------

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def _check_regular(mode: int, source: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((what for test, what in _KINDS if test(mode)), "a special file")
    raise NotAFileError(f"{source} is {kind}, not a .pregel log file")


def open_regular(path: str, source: str) -> tuple[IO[bytes], int]:
    """Open the regular file at ``path`` for reading; its size. Anything else is refused.

    The path is checked before it is opened (opening a device may have effects), and the open
    file again (the path may have changed in between).
    """
    _check_regular(os.stat(path).st_mode, source)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        _check_regular(info.st_mode, source)
        if _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0), info.st_size
    except BaseException:
        os.close(fd)
        raise


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


# --- reading -----------------------------------------------------------------------------------


class _Budget:
    """One read against its limits: how much the body inflated, how much memory it took."""

    def __init__(self, source: str, size: int, limits: LoadLimits) -> None:
        self.source = source
        self.size = size  # of the file, for the ratio
        self.limits = limits
        self.read = 0  # bytes of the file read
        self.inflated = 0
        self.memory = _Memory() if limits.max_memory is not None else None

    def grow(self, n: int) -> None:
        """Count ``n`` more inflated bytes; refuse past the limits."""
        self.inflated += n
        most, which = self.allowed()
        if self.inflated > most:
            raise self.too_large(which, most)

    def allowed(self) -> tuple[float, str]:
        """The most the body may inflate to, and the limit that says so."""
        most, which = float("inf"), ""
        if self.limits.max_bytes is not None:
            most, which = self.limits.max_bytes, "max_bytes"
        if self.limits.max_ratio is not None:
            by_ratio = max(RATIO_FLOOR, self.limits.max_ratio * max(self.size, self.read))
            if by_ratio < most:
                most, which = by_ratio, "max_ratio"
        return most, which

    def too_large(self, which: str, most: float) -> LogTooLargeError:
        if which == "max_ratio":
            ratio = self.limits.max_ratio
            return LogTooLargeError(
                f"{self.source} ({_size(self.size)}) inflates to more than {ratio:g} times its "
                f"size ({_size(most)}): a compression bomb, or a very repetitive log; "
                + _how_to_raise("max_ratio", ratio or 0)
            )
        return LogTooLargeError(
            f"{self.source}: its frames take more than {_size(most)} uncompressed, the limit; "
            + _how_to_raise("max_bytes", most)
        )

    def too_many_events(self) -> LogTooLargeError:
        most = self.limits.max_events or 0
        return LogTooLargeError(
            f"{self.source} holds more than {most:,} events (frames), the limit; "
            + _how_to_raise("max_events", most)
        )

    def too_much_memory(self, grown: int, *, took: str = "took") -> LogTooLargeError:
        most = self.limits.max_memory or 0
        return LogTooLargeError(
            f"{self.source}: decoding it {took} {_size(grown)} of memory, past the limit of "
            f"{_size(most)} (its values decode into far more memory than the "
            f"{_size(self.inflated)} they take in the log); " + _how_to_raise("max_memory", most)
        )

    def check_memory(self, payload: bytes | None = None) -> None:
        """Refuse when the process grew past ``max_memory`` since the read began, or would
        once ``payload`` (a large frame about to be decoded) is."""
        if self.memory is None:
            return
        most = self.limits.max_memory or 0
        grown = self.memory.grown()
        if grown > most:
            raise self.too_much_memory(grown)
        if payload is None:
            return
        room = most - grown
        if len(payload) * _WORST_MEMORY_PER_BYTE <= room:
            return
        values = _count_values(payload, stop=room // _MEMORY_PER_VALUE)
        if values * _MEMORY_PER_VALUE + len(payload) > room:
            estimate = grown + values * _MEMORY_PER_VALUE + len(payload)
            raise self.too_much_memory(estimate, took="would take over")


class _Memory:
    """The growth of this process's resident memory since the object was made."""

    def __init__(self) -> None:
        self.start = _resident()

    def grown(self) -> int:
        now = _resident()
        return 0 if now is None or self.start is None else now - self.start


def _resident() -> int | None:
    """This process's resident memory in bytes (Linux), or its peak (macOS); None elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


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


def _read_stream(
    read: Callable[[int], Any], size: int, source: str, limits: LoadLimits | None
) -> Generator[dict[str, Any], None, str | None]:
    """The frames of a log read in pieces by ``read(n)`` (empty at the end), ``size`` bytes
    long; returns the notice of a truncated last frame, if any."""
    header = _read_exactly(read, len(MAGIC) + _HEADER.size)
    _, _, codec = read_header(header, source=source)
    budget = _Budget(source, size, LoadLimits.from_env() if limits is None else limits)
    budget.read = len(header)
    if codec == CODEC_ZLIB:  # offsets below are then positions in the inflated stream
        body, start, where = _inflated(read, budget), 0, "uncompressed byte"
    else:
        most, which = budget.allowed()
        if size - len(header) > most:  # refused before it is read
            raise budget.too_large(which, most)
        body, start, where = _raw(read, budget), len(header), "byte"
    cut = yield from _split(body, budget, start, where)
    if cut is None:
        return None
    return (
        f"{source} ends inside a frame at {where} {cut} (the writer was killed or the copy "
        "was cut short); every complete frame before it was read"
    )


def _raw(read: Callable[[int], Any], budget: _Budget) -> Iterator[Any]:
    """An uncompressed body, piece by piece."""
    while True:
        piece = read(_CHUNK)
        if not piece:
            return
        budget.read += len(piece)
        budget.grow(len(piece))  # a file may grow while it is read
        yield piece


def _inflated(read: Callable[[int], Any], budget: _Budget) -> Iterator[bytes]:
    """A zlib body, inflated piece by piece and never past the limits; a cut-off stream gives
    what was complete."""
    d = zlib.decompressobj()
    while True:
        piece = read(_CHUNK)
        if not piece:
            return
        budget.read += len(piece)
        while piece:
            most, _ = budget.allowed()
            room = int(min(_CHUNK, most - budget.inflated + 1))  # >= 1: 0 would mean no bound
            try:
                out = d.decompress(piece, room)
            except zlib.error as exc:
                raise CorruptLogError(
                    f"{budget.source}: the compressed body is damaged ({exc})"
                ) from None
            piece = d.unconsumed_tail
            budget.grow(len(out))
            if out:
                yield out
            if d.eof:
                stray = len(d.unused_data) + sum(map(len, iter(lambda: read(_CHUNK), b"")))
                if stray:
                    raise CorruptLogError(
                        f"{budget.source}: {stray} stray bytes after the log's end"
                    )
                return


def _split(
    body: Iterator[Any], budget: _Budget, start: int, where: str
) -> Generator[dict[str, Any], None, int | None]:
    """Decode the frames of a body arriving in pieces; return where a cut-off last frame
    starts (``start``: the position of the body's first byte, in ``where`` units)."""
    source = budget.source
    max_events = budget.limits.max_events
    events = 0
    pending: list[Any] = []  # the pieces of a frame not yet complete
    have = 0  # bytes in pending
    need = _FRAME.size  # bytes pending must reach before a frame can be complete
    base = start  # position of pending's first byte
    unpack = _FRAME.unpack_from
    for piece in body:
        pending.append(piece)
        have += len(piece)
        if have < need:
            continue
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        pos, need = 0, _FRAME.size
        while have - pos >= _FRAME.size:
            length, crc = unpack(data, pos)
            if length > MAX_FRAME_BYTES:
                raise CorruptLogError(
                    f"{source}: frame at {where} {base + pos} has an impossible length"
                )
            end = pos + _FRAME.size + length
            if end > have:
                need = end - pos
                break
            payload = bytes(data[pos + _FRAME.size : end])
            if zlib.crc32(payload) != crc:
                raise CorruptLogError(f"{source}: frame at {where} {base + pos} fails its checksum")
            events += 1
            if max_events is not None and events > max_events:
                raise budget.too_many_events()
            if length > _CHUNK:
                budget.check_memory(payload)
            yield decode_payload(payload, offset=base + pos)
            pos = end
        if pos < have:
            pending.append(data[pos:])
        base += pos
        have -= pos
        budget.check_memory()
    return base if have else None
