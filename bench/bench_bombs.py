"""Peak memory and time of loading hostile `.pregel` files, beside a real log.

Usage::

    python bench/bench_bombs.py                 # the bombs and a recorded 10,000-superstep loop
    python bench/bench_bombs.py --real-steps 0  # the bombs only
    PYTHONPATH=old/checkout python bench/bench_bombs.py --limit-as 8G   # an older pregel-viz

Each file is loaded by ``pregel_viz.load`` in a fresh child process, which reports its wall time,
its peak resident memory (VmHWM; ``ru_maxrss`` off Linux) and what the load gave: a run, or the
error's class and message. ``--limit-as`` caps each child's address space (RLIMIT_AS), so that
measuring a pregel-viz without limits cannot take the machine down (the child then dies of
MemoryError).

The bombs, each about 1 MB on disk:

- zlib bomb: frames of 1 MiB strings, compressed ~1000:1, inflating to 1 GiB;
- frame bomb: 20 million 9-byte frames (empty maps), 180 MB inflated;
- object bomb: frames of a million empty maps each, 1 GiB inflated into ~70 GiB of dicts;
- one-frame object bomb: a single 200 MB frame of 200 million empty maps.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ormsgpack

from pregel_viz.logfile import CODEC_ZLIB, FORMAT_VERSION, MAGIC, frame_bytes

__all__ = [
    "frame_bomb",
    "main",
    "measure",
    "object_bomb",
    "one_frame_object_bomb",
    "write_compressed",
    "zlib_bomb",
]

_MiB = 1 << 20


def write_compressed(path: Path, prefix: bytes, block: bytes, count: int) -> Path:
    """A zlib-bodied log whose frames are ``prefix + block * count``, written in a blink.

    ``block`` is compressed once, after a full flush (which makes deflate forget what came
    before), and its compressed bytes are repeated; the stream ends with an empty final block
    and the checksum of the whole, so it is a valid zlib stream.
    """
    z = zlib.compressobj(9)
    start = z.compress(prefix) + z.flush(zlib.Z_FULL_FLUSH)
    middle = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    check = zlib.adler32(prefix)
    for _ in range(count):
        check = zlib.adler32(block, check)
    header = MAGIC + struct.pack(">HHB", *FORMAT_VERSION, CODEC_ZLIB)
    with open(path, "wb") as fh:
        fh.write(header + start)
        for _ in range(count):
            fh.write(middle)
        fh.write(b"\x01\x00\x00\xff\xff" + check.to_bytes(4, "big"))
    return path


def _repeated(frame: bytes, total: int) -> tuple[bytes, int]:
    """A block of whole ``frame``s (about 4 MiB) and how many blocks make ``total`` bytes."""
    block = frame * max(1, (4 * _MiB) // len(frame))
    return block, max(1, total // len(block))


def zlib_bomb(path: Path, inflated: int = 1 << 30) -> Path:
    """Frames of 1 MiB strings: ``inflated`` bytes from about ``inflated / 1000`` on disk."""
    frame = frame_bytes(ormsgpack.packb({"k": "x", "v": "a" * _MiB}))
    return write_compressed(path, b"", *_repeated(frame, inflated))


def frame_bomb(path: Path, frames: int = 20_000_000) -> Path:
    """About ``frames`` frames of an empty map (9 bytes each)."""
    frame = frame_bytes(ormsgpack.packb({}))
    return write_compressed(path, b"", *_repeated(frame, frames * len(frame)))


def object_bomb(path: Path, inflated: int = 1 << 30) -> Path:
    """Frames of a million empty maps each: every inflated byte decodes into a 64-byte dict."""
    frame = frame_bytes(ormsgpack.packb({"k": "x", "v": [{}] * 1_000_000}))
    return write_compressed(path, b"", *_repeated(frame, inflated))


def one_frame_object_bomb(path: Path, values: int = 200_000_000) -> Path:
    """One frame holding about ``values`` empty maps (a multiple of 4 Mi)."""
    count = max(1, values // (4 * _MiB))
    values = count * 4 * _MiB
    head = ormsgpack.packb({"k": "x", "v": []})[:-1] + b"\xdd" + values.to_bytes(4, "big")
    crc = zlib.crc32(head)
    block = b"\x80" * (4 * _MiB)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    prefix = struct.pack(">II", len(head) + values, crc) + head
    return write_compressed(path, prefix, block, count)


_CHILD = """
import json, resource, sys, time
limit = int(sys.argv[2])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import warnings
import pregel_viz
warnings.simplefilter("ignore")
t0 = time.perf_counter()
try:
    run = pregel_viz.load(sys.argv[1])
    outcome = "run of %d events" % len(run.events)
except BaseException as exc:
    outcome = "%s: %s" % (type(exc).__name__, str(exc)[:1000])
seconds = time.perf_counter() - t0
try:  # this process's own peak: Linux's ru_maxrss also counts the parent it was forked from
    with open("/proc/self/status") as fh:
        peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak *= 1 if sys.platform == "darwin" else 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "outcome": outcome}))
"""


def measure(
    path: Path, *, limit_as: int = 0, env: dict[str, str] | None = None, timeout: float = 600
) -> dict[str, Any]:
    """Load ``path`` in a child process: its ``seconds``, ``peak_bytes`` and ``outcome``."""
    child_env = {**os.environ, **(env or {})}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(limit_as)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_env,
            cwd=path.parent,  # not the checkout: PYTHONPATH chooses the pregel-viz measured
        )
    except subprocess.TimeoutExpired:
        return {"seconds": timeout, "peak_bytes": 0, "outcome": f"timed out after {timeout:g} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"seconds": float("nan"), "peak_bytes": 0, "outcome": f"child died: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _record_loop(path: Path, steps: int) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_recorder import build_capped_loop

    import pregel_viz

    graph = build_capped_loop(steps)
    pregel_viz.record(graph, {"n": 0, "recent": []}, {"recursion_limit": steps + 50}, path=path)
    return path


def _parse_size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    unit = units.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if unit > 1 else text) * unit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real-steps", type=int, default=10_000, help="0: no real log")
    parser.add_argument("--limit-as", default="0", help="RLIMIT_AS of each child, e.g. 8G")
    parser.add_argument("--reps", type=int, default=1, help="loads per file (min time shown)")
    args = parser.parse_args(argv)
    limit_as = _parse_size(args.limit_as)
    makers: list[tuple[str, Callable[[Path], Path]]] = [
        ("zlib bomb", zlib_bomb),
        ("frame bomb", frame_bomb),
        ("object bomb", object_bomb),
        ("one-frame object bomb", one_frame_object_bomb),
    ]
    if args.real_steps:
        steps = args.real_steps
        makers.append((f"real: loop-{steps}", lambda p: _record_loop(p, steps)))
    print("| file | size on disk | load time (s) | peak memory (MB) | outcome |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="pregel-viz-bombs-") as tmp:
        for name, make in makers:
            path = make(Path(tmp) / (name.replace(" ", "-").replace(":", "") + ".pregel"))
            runs = [measure(path, limit_as=limit_as) for _ in range(args.reps)]
            best = min(runs, key=lambda r: r["seconds"])
            peak = max(r["peak_bytes"] for r in runs) / 1e6
            size = path.stat().st_size / 1e6
            print(
                f"| {name} | {size:.2f} MB | {best['seconds']:.2f} | {peak:,.0f} | "
                f"{best['outcome'][:120]} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
