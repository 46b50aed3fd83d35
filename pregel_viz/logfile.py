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

import io
import os
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from typing import IO, Any

import ormsgpack

from .errors import CorruptLogError, LogVersionError, NotALogError, TruncatedLogWarning
from .values import DEFAULT_LIMITS, Limits, tag, to_safe

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "LogWriter",
    "decode_payload",
    "encode_event",
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
    # Cheap necessary condition first: each level of nesting takes one container header byte.
    if len(payload.translate(None, _NOT_CONTAINER_BYTES)) > MAX_DEPTH and _too_deep(obj):
        raise CorruptLogError(f"frame at byte {offset} is nested deeper than {MAX_DEPTH} levels")
    return obj


def _too_deep(obj: dict[str, Any]) -> bool:
    """Whether a decoded payload nests more than MAX_DEPTH maps and arrays (breadth first)."""
    level: list[Any] = [obj]
    for _ in range(MAX_DEPTH):
        deeper = []
        for container in level:
            for v in container.values() if type(container) is dict else container:
                if type(v) is dict or type(v) is list:
                    deeper.append(v)
        if not deeper:
            return False
        level = deeper
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


def read_frames(data: bytes, *, source: str = "log") -> Iterator[dict[str, Any]]:
    """Yield each decoded frame of a whole log held in memory.

    Raises a :class:`~pregel_viz.errors.LogFormatError` subclass for a bad header or a
    corrupt frame; warns and stops at a truncated final frame.
    """
    _, _, codec = read_header(data, source=source)
    pos = len(MAGIC) + _HEADER.size
    where = "byte"
    if codec == CODEC_ZLIB:  # offsets below are then positions in the inflated stream
        data, pos, where = _inflate(data[pos:], source), 0, "uncompressed byte"
    size = len(data)
    view = memoryview(data)
    while pos < size:
        if size - pos < _FRAME.size:
            _warn_truncated(source, pos, where)
            return
        length, crc = _FRAME.unpack_from(data, pos)
        start = pos + _FRAME.size
        if length > MAX_FRAME_BYTES:
            raise CorruptLogError(f"{source}: frame at {where} {pos} has an impossible length")
        if start + length > size:
            _warn_truncated(source, pos, where)
            return
        payload = view[start : start + length]
        if zlib.crc32(payload) != crc:
            raise CorruptLogError(f"{source}: frame at {where} {pos} fails its checksum")
        yield decode_payload(bytes(payload), offset=pos)
        pos = start + length


def _inflate(body: bytes, source: str) -> bytes:
    """The frames of a zlib body; a cut-off stream gives what was complete."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(body)
    except zlib.error as exc:
        raise CorruptLogError(f"{source}: the compressed body is damaged ({exc})") from None
    if d.eof and d.unused_data:
        raise CorruptLogError(f"{source}: {len(d.unused_data)} stray bytes after the log's end")
    return out


def _warn_truncated(source: str, pos: int, where: str) -> None:
    warnings.warn(
        TruncatedLogWarning(
            f"{source} ends inside a frame at {where} {pos} (the writer was killed or the copy "
            "was cut short); every complete frame before it was read"
        ),
        stacklevel=3,
    )
