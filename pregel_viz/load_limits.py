"""What reading a `.pregel` log may take, and which files it reads at all.

A log is untrusted input: a compression bomb, a flood of tiny frames or values that decode into
far more memory than they take in the file must be refused before they take the machine down,
and a path that is not a regular file (a FIFO, a device) before a read of it waits forever.
:class:`LoadLimits` says how much one read may take (from the environment by default);
:class:`Budget` counts one read against them, and :func:`open_regular` opens only regular files.
The frames themselves are read by :mod:`pregel_viz.logfile`, which owns the format.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import IO, Any

from .errors import LogTooLargeError, NotAFileError, UsageError

__all__ = [
    "LIMIT_ENV",
    "RATIO_FLOOR",
    "Budget",
    "LoadLimits",
    "open_regular",
    "out_of_memory",
]

_MiB = 1 << 20
_GiB = 1 << 30
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


# --- one read ----------------------------------------------------------------------------------


class Budget:
    """One read against its limits: how much the body inflated, how much memory it took.

    ``count_values(payload, stop)`` counts the values a frame's payload decodes into, no
    further than ``stop``: the log's format (:mod:`pregel_viz.logfile`) knows how.
    """

    def __init__(
        self,
        source: str,
        size: int,
        limits: LoadLimits,
        count_values: Callable[[bytes, int], int],
    ) -> None:
        self.source = source
        self.size = size  # of the file, for the ratio
        self.limits = limits
        self.count_values = count_values
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
        values = self.count_values(payload, room // _MEMORY_PER_VALUE)
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
