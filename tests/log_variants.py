"""Good, bad and big `.pregel` logs for the server extension and JupyterLab tests."""

from __future__ import annotations

import struct
import sys
import warnings
from pathlib import Path

import pregel_viz
from pregel_viz.logfile import (
    CODEC_RAW,
    FORMAT_VERSION,
    MAGIC,
    encode_event,
    frame_bytes,
    read_frames,
)

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "sample.pregel"


def raw_log(data: bytes) -> bytes:
    """The same log written uncompressed: one frame per event, so a cut or a flipped byte
    lands in a known frame."""
    events = list(read_frames(data))
    header = MAGIC + struct.pack(">HHB", *FORMAT_VERSION, CODEC_RAW)
    return header + b"".join(frame_bytes(encode_event(e)) for e in events)


def frame_offsets(raw: bytes) -> list[int]:
    pos, out = len(MAGIC) + 5, []
    while pos < len(raw):
        out.append(pos)
        (length,) = struct.unpack_from(">I", raw, pos)
        pos += 8 + length
    return out


def not_a_log() -> bytes:
    return b"PK\x03\x04 this is a zip archive, not a log" + bytes(64)


def newer_major(data: bytes) -> bytes:
    return MAGIC + struct.pack(">HH", FORMAT_VERSION[0] + 1, 0) + data[len(MAGIC) + 4 :]


def corrupt(data: bytes) -> bytes:
    """A byte flipped inside the payload of a frame in the middle: its checksum fails."""
    raw = bytearray(raw_log(data))
    offsets = frame_offsets(bytes(raw))
    at = offsets[len(offsets) // 2] + 8 + 2
    raw[at] ^= 0xFF
    return bytes(raw)


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """Cut inside a frame about ``keep`` of the way through the log."""
    raw = raw_log(data)
    offsets = frame_offsets(raw)
    return raw[: offsets[int(len(offsets) * keep)] + 11]


def load_quietly(path: Path) -> pregel_viz.Run:
    """``pregel_viz.load`` for a log that may be truncated (pytest turns the warning into an
    error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pregel_viz.TruncatedLogWarning)
        return pregel_viz.load(path)


def record_loop(path: Path, steps: int) -> None:
    """Record a one-node self-loop of ``steps`` supersteps into ``path``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        from bench_recorder import build_loop
    finally:
        sys.path.pop(0)
    pregel_viz.record(build_loop(steps), {"n": 0}, {"recursion_limit": steps + 10}, path=str(path))


if __name__ == "__main__":  # python tests/log_variants.py OUT STEPS (a background recording)
    record_loop(Path(sys.argv[1]), int(sys.argv[2]))
