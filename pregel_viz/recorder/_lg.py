"""Everything pregel-viz needs from LangGraph beyond its documented API, in one place.

LangGraph's reserved channel names and task-path markers live in a private module
(``langgraph._internal._constants``). We read them from there when it exists, fall back to the
values they have had since langgraph 0.3, and check the installed version against the range this
module was tested with. No other module of pregel-viz imports anything private from LangGraph.

The log's schema (:mod:`pregel_viz.events`) keeps its own copy of the reserved names, so that a
log reads without LangGraph; :func:`reserved_name_differences` compares that copy with the
installed LangGraph's, and :func:`check_version` warns when they differ.

Task ids and paths are derived here as LangGraph derives them (:func:`task_id_func`,
:func:`task_path_str`), so that :func:`pregel_viz.from_checkpointer` can name the writes a
checkpointer keeps only under their task's id.

For the channel values (:mod:`pregel_viz.recorder._channels`): the snapshot blob a
``DeltaChannel`` stores (:func:`delta_snapshot`), the order a superstep's writes are applied in
(:func:`writes_sort_key`), and the checkpoint a step's writes are about to be applied to
(:func:`applying_writes`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import sys
import uuid
import warnings
from collections.abc import Callable, Mapping
from importlib import metadata
from types import FrameType
from typing import Any

import xxhash

from .. import events
from ..errors import PregelVizWarning

__all__ = [
    "CONFIG_KEY_CHECKPOINTER",
    "CONFIG_KEY_TASK_ID",
    "ERROR",
    "INTERRUPT",
    "LANGGRAPH_VERSION",
    "NO_WRITES",
    "NS_END",
    "NS_SEP",
    "NULL_TASK_ID",
    "PULL",
    "PUSH",
    "RESUME",
    "RETURN",
    "TASKS",
    "TESTED",
    "TESTED_RANGE",
    "applying_writes",
    "async_only_nodes",
    "check_version",
    "delta_snapshot",
    "reserved_name_differences",
    "running_task",
    "task_function_name",
    "task_id_func",
    "task_id_uuid5",
    "task_id_xxh3",
    "task_path_str",
    "update_task_id",
    "writes_sort_key",
]

try:
    LANGGRAPH_VERSION = metadata.version("langgraph")
except metadata.PackageNotFoundError:  # pragma: no cover - langgraph is a dependency
    LANGGRAPH_VERSION = "0"

# The langgraph versions (major, minor) this module was checked against.
TESTED_RANGE = ((1, 0), (1, 2))

_FALLBACK = {
    "TASKS": events.TASKS,
    "INTERRUPT": events.INTERRUPT,
    "RESUME": events.RESUME,
    "ERROR": events.ERROR,
    "NO_WRITES": events.NO_WRITES,
    "RETURN": events.RETURN,
    "PUSH": events.PUSH,
    "PULL": events.PULL,
    "NS_SEP": events.NS_SEP,
    "NS_END": events.NS_END,
    "NULL_TASK_ID": events.NULL_TASK_ID,
    # the config key through which a parent graph lends its saver to a subgraph
    "CONFIG_KEY_CHECKPOINTER": "__pregel_checkpointer",
    # set in the config of every task: a graph run with it is run by another graph's task
    "CONFIG_KEY_TASK_ID": "__pregel_task_id",
}

try:
    from langgraph._internal import _constants as _c

    _values = {k: getattr(_c, k, v) for k, v in _FALLBACK.items()}
except ImportError:  # pragma: no cover - older layout
    _values = dict(_FALLBACK)

TASKS: str = _values["TASKS"]
INTERRUPT: str = _values["INTERRUPT"]
RESUME: str = _values["RESUME"]
ERROR: str = _values["ERROR"]
NO_WRITES: str = _values["NO_WRITES"]
RETURN: str = _values["RETURN"]
PUSH: str = _values["PUSH"]
PULL: str = _values["PULL"]
NS_SEP: str = _values["NS_SEP"]
NS_END: str = _values["NS_END"]
NULL_TASK_ID: str = _values["NULL_TASK_ID"]
CONFIG_KEY_CHECKPOINTER: str = _values["CONFIG_KEY_CHECKPOINTER"]
CONFIG_KEY_TASK_ID: str = _values["CONFIG_KEY_TASK_ID"]


def _major_minor(version: str) -> tuple[int, int]:
    parts = ([*version.split("."), "0", "0"])[:2]
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except ValueError:
        return (0, 0)


# whether the installed langgraph is one this module was checked against
TESTED: bool = TESTED_RANGE[0] <= _major_minor(LANGGRAPH_VERSION) <= TESTED_RANGE[1]


def check_version() -> None:
    """Warn once when the installed langgraph is outside the tested range, or names a reserved
    channel otherwise than the log's schema does."""
    mm = _major_minor(LANGGRAPH_VERSION)
    low, high = TESTED_RANGE
    if not (low <= mm <= high):
        warnings.warn(
            PregelVizWarning(
                f"pregel-viz was tested with langgraph {low[0]}.{low[1]} to {high[0]}.{high[1]}, "
                f"found {LANGGRAPH_VERSION}; recordings may miss details"
            ),
            stacklevel=3,
        )
    differ = reserved_name_differences()
    if differ:
        named = ", ".join(
            f"{k} is {theirs!r}, not {ours!r}" for k, (ours, theirs) in differ.items()
        )
        warnings.warn(
            PregelVizWarning(
                f"langgraph {LANGGRAPH_VERSION} spells reserved names otherwise than the log "
                f"schema ({named}); recordings may be read wrongly"
            ),
            stacklevel=3,
        )


# events.py's name -> where the installed LangGraph defines it (module, attribute)
_THEIRS = {
    "START": ("langgraph.constants", "START"),
    "END": ("langgraph.constants", "END"),
    **{
        name: ("langgraph._internal._constants", name)
        for name in (
            "INPUT",
            "INTERRUPT",
            "RESUME",
            "ERROR",
            "NO_WRITES",
            "TASKS",
            "RETURN",
            "PREVIOUS",
            "SNAPSHOT_BUMPS",
            "PUSH",
            "PULL",
            "NS_SEP",
            "NS_END",
            "NULL_TASK_ID",
        )
    },
    # a format string, "branch:to:{}"
    "BRANCH_TO": ("langgraph.graph.state", "_CHANNEL_BRANCH_TO"),
}


@functools.cache
def reserved_name_differences() -> dict[str, tuple[str, str]]:
    """The reserved names :mod:`pregel_viz.events` spells otherwise than the installed LangGraph:
    ``{name: (ours, langgraph's)}``, empty when they agree.

    A name this LangGraph does not define where :data:`_THEIRS` looks (an older or newer layout)
    is not compared. ``JOIN`` and ``ROOT`` are spelled inline in LangGraph, not as constants:
    the recorder's tests compare them with a compiled graph's channels.
    """
    differ: dict[str, tuple[str, str]] = {}
    for name, (module, attr) in _THEIRS.items():
        try:
            theirs = getattr(importlib.import_module(module), attr, None)
        except ImportError:
            continue
        if not isinstance(theirs, str):
            continue
        if name == "BRANCH_TO":
            theirs = theirs.format("")
        ours: str = getattr(events, name)
        if theirs != ours:
            differ[name] = (ours, theirs)
    return differ


def async_only_nodes(graph: object) -> list[str]:
    """Names of the nodes (subgraphs included, as ``parent|child``) that only have an async body.

    LangGraph wraps a node's function in ``RunnableCallable`` (private) with ``func`` (sync) and
    ``afunc``; an ``async def`` node has ``func=None`` and cannot run under ``invoke``/``stream``.
    """
    found: list[str] = []
    nodes = getattr(graph, "nodes", None) or {}
    for name, node in nodes.items():
        bound = getattr(node, "bound", None)
        if bound is None:
            continue
        if getattr(bound, "func", True) is None and getattr(bound, "afunc", None) is not None:
            found.append(name)
        elif getattr(bound, "nodes", None) and bound is not graph:  # a compiled subgraph
            found.extend(f"{name}{NS_SEP}{child}" for child in async_only_nodes(bound))
    return found


# LangGraph runs every attempt of a task as run_with_retry(task, ...) (private, in
# langgraph.pregel._retry), or arun_with_retry when async
_RUN_TASK = frozenset({"run_with_retry", "arun_with_retry"})
_MAX_FRAMES = 64


def running_task() -> tuple[str, Mapping[str, Any]] | None:
    """``(name, metadata)`` of the task whose attempt runs in the calling thread (or coroutine):
    the nearest ``run_with_retry`` up the stack. ``None`` when there is none within reach (a
    LangGraph that runs its tasks otherwise).

    A task's config is its own; the callback manager a functional ``@task`` call reports its
    start through is not: it is the caller's, shared by every call the caller makes, and LangGraph
    writes each call's metadata into it just before reporting the call's start. Calls that start
    at once can then all be reported with the metadata of the last one.
    """
    frame: FrameType | None = sys._getframe(1)
    try:
        for _ in range(_MAX_FRAMES):
            if frame is None:
                return None
            if frame.f_code.co_name in _RUN_TASK and str(
                frame.f_globals.get("__name__", "")
            ).startswith("langgraph."):
                task = frame.f_locals.get("task")
                name = getattr(task, "name", None)
                config = getattr(task, "config", None)
                md = config.get("metadata") if isinstance(config, Mapping) else None
                if not isinstance(name, str) or not isinstance(md, Mapping):
                    return None
                return name, md
            frame = frame.f_back
        return None
    finally:
        del frame


# --- task ids ----------------------------------------------------------------------------------
# A checkpointer keeps pending writes under their task's id, without its name or path. Those ids
# are deterministic (langgraph.pregel._algo: _xxhash_str, _uuid5_str, task_path_str; the ids of
# update_state's writes in langgraph.pregel.main), so from_checkpointer recomputes them.


def task_path_str(path: Any) -> str:
    """A task path as the string LangGraph files writes under (``_algo.py:task_path_str``)."""
    if isinstance(path, (tuple, list)):
        return "~" + ", ".join(task_path_str(p) for p in path)
    if isinstance(path, int):  # bools too: True -> 0000000001
        return f"{path:010d}"
    return str(path)


def task_id_func(checkpoint_version: Any) -> Callable[..., str]:
    """The task id function of a checkpoint of format ``v``: XXH3 after format 1, else SHA-1."""
    if isinstance(checkpoint_version, int) and checkpoint_version > 1:
        return task_id_xxh3
    return task_id_uuid5


def task_id_xxh3(namespace: bytes, *parts: str) -> str:
    h = xxhash.xxh3_128_hexdigest(namespace + b"".join(p.encode() for p in parts))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def task_id_uuid5(namespace: bytes, *parts: str) -> str:
    sha = hashlib.sha1(namespace, usedforsecurity=False)
    sha.update(b"".join(p.encode() for p in parts))
    h = sha.hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def update_task_id(checkpoint_id: str, i: int) -> str | None:
    """The id ``update_state`` files its writes under when no task was prepared for as_node."""
    try:
        name = INTERRUPT if i == 0 else f"{INTERRUPT}:{i}"
        return str(uuid.uuid5(uuid.UUID(checkpoint_id), name))
    except ValueError:
        return None


def task_function_name(obj: Any) -> str | None:
    """The function name of a functional-API ``@task`` (LangGraph's private ``_TaskFunction``),
    or None when ``obj`` is none."""
    kind = type(obj)
    if kind.__name__ != "_TaskFunction" or not kind.__module__.startswith("langgraph"):
        return None
    name = getattr(getattr(obj, "func", None), "__name__", None)
    return name if isinstance(name, str) else None


# --- channel values ----------------------------------------------------------------------------
# A DeltaChannel stores its value only every Nth update, as a _DeltaSnapshot (private, in
# langgraph.checkpoint.serde.types); a superstep's writes are applied in writes_sort_key order.

try:
    from langgraph.checkpoint.serde.types import _DeltaSnapshot

    _SNAPSHOT: tuple[type, ...] = (_DeltaSnapshot,)
except ImportError:  # pragma: no cover - a langgraph without DeltaChannel
    _SNAPSHOT = ()

try:
    from langgraph.checkpoint.base import writes_sort_key
except ImportError:  # pragma: no cover - older layout

    def writes_sort_key(task_path: str, task_id: str = "", idx: int = 0) -> tuple[str, str, int]:
        return (task_path, task_id, idx)


def delta_snapshot(stored: Any) -> tuple[bool, Any]:
    """``(True, value)`` for a DeltaChannel's snapshot blob, else ``(False, None)``."""
    if isinstance(stored, _SNAPSHOT):
        return True, getattr(stored, "value", None)
    return False, None


# LangGraph applies a superstep's writes to its channels in apply_writes (private, in
# langgraph.pregel._algo), which first asks the saver for the next channel version.
_APPLY_WRITES = "apply_writes"
_APPLY_MODULE = "langgraph.pregel._algo"
_MAX_APPLY_FRAMES = 8


def applying_writes() -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """``(checkpoint, channels)`` of the ``apply_writes`` call that is asking the saver for a
    version, before it changes any channel; ``None`` when the caller is anything else.

    ``checkpoint`` is the newest checkpoint of the loop (the one its saver may not have stored
    yet) and ``channels`` its live channels, whose containers that checkpoint still shares.
    """
    frame: FrameType | None = sys._getframe(1)
    try:
        for _ in range(_MAX_APPLY_FRAMES):
            if frame is None:
                return None
            if (
                frame.f_code.co_name == _APPLY_WRITES
                and frame.f_globals.get("__name__") == _APPLY_MODULE
            ):
                checkpoint = frame.f_locals.get("checkpoint")
                channels = frame.f_locals.get("channels")
                if isinstance(checkpoint, Mapping) and isinstance(channels, Mapping):
                    return checkpoint, channels
                return None
            frame = frame.f_back
        return None
    finally:
        del frame
