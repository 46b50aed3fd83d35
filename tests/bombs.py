"""Hostile `.pregel` files (the builders of bench/bench_bombs.py) and a child process to load them.

``measure(path, limit_as=..., env=...)`` loads a file with ``pregel_viz.load`` in a fresh process
(address space capped by RLIMIT_AS when ``limit_as`` is given) and reports its ``seconds``, its
``peak_bytes`` (VmHWM) and its ``outcome``: ``"run of N events"`` or ``"ErrorClass: message"``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_bombs import (
    frame_bomb,
    measure,
    object_bomb,
    one_frame_object_bomb,
    write_compressed,
    zlib_bomb,
)

__all__ = [
    "frame_bomb",
    "measure",
    "object_bomb",
    "one_frame_object_bomb",
    "write_compressed",
    "zlib_bomb",
]
