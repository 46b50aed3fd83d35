"""Turn live Python objects into plain, safe, tagged data.

This is the only module that looks inside user objects. What it produces contains only
dict (str keys), list, str, int, float, bool, None and bytes, so a log can be read back
without importing or constructing anything. Objects that are not plain data become tagged maps:

- ``{"$type": "pkg.Class", "$fields": {...}}`` for dataclasses, pydantic models, namedtuples,
  ``Send`` and other objects with a known field layout;
- ``{"$type": ..., "$str": ...}`` for datetimes, UUIDs, decimals, paths, big ints;
- ``{"$type": ..., "$name": ..., "$value": ...}`` for enums;
- ``{"$type": ..., "$items": [...]}`` for sets;
- ``{"$type": ..., "$error": str(exc), "$repr": repr(exc)}`` for exceptions;
- ``{"$type": ..., "$repr": ...}`` for everything else.

Bounds (see :class:`Limits`) cut huge strings, long containers, deep nesting and cycles, leaving a
visible ``pregel_viz.truncated`` / ``pregel_viz.cycle`` marker in place of what was cut.

Tagging runs user code (``__repr__``, ``__str__``, properties, ``__iter__``...) and never lets it
end the recording: whatever that code raises is swallowed and a placeholder recorded, including
``SystemExit``, ``GeneratorExit`` and ``asyncio.CancelledError`` (without recording, that code
would not have run, so its exit or cancellation is no request of the program). Only
``KeyboardInterrupt`` propagates: it is how Ctrl-C reaches a program, and pressing Ctrl-C while a
value is being tagged must still stop it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import enum
import pathlib
import reprlib
import uuid
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "CYCLE",
    "DEFAULT_LIMITS",
    "TRUNCATED",
    "UNKNOWN",
    "Limits",
    "diff_values",
    "is_tagged",
    "safe_str",
    "tag",
    "to_safe",
    "type_name",
]


class _Unknown:
    """What a source never kept (timings rebuilt from a checkpointer, say)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


TRUNCATED = "pregel_viz.truncated"
CYCLE = "pregel_viz.cycle"

_repr = reprlib.Repr()
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlist = 20
_repr.maxdict = 20
_repr.maxlevel = 3


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on what one recorded event may hold.

    Attributes:
        max_event_bytes: an event whose plain encoding is larger than this is re-encoded with
            the bounds below.
        max_str: longest string (or bytes) kept whole; longer ones keep their head.
        max_items: most items kept of one list, dict or set.
        max_depth: deepest nesting kept.
    """

    max_event_bytes: int = 1 << 20
    max_str: int = 16_384
    max_items: int = 1_000
    max_depth: int = 24


DEFAULT_LIMITS = Limits()


def type_name(obj: Any) -> str:
    """The qualified name of ``obj``'s type, as recorded in ``$type``."""
    t = type(obj)
    module = getattr(t, "__module__", None) or "?"
    return f"{module}.{getattr(t, '__qualname__', t.__name__)}"


def _safe_repr(obj: Any) -> str:
    try:
        return _repr.repr(obj)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a user __repr__ may raise anything, SystemExit included
        return f"<unrepresentable {type_name(obj)}: {type(exc).__name__}>"


def safe_str(obj: Any) -> str:
    """``str(obj)``, or ``"<str() failed: ValueError>"`` when the object's ``__str__`` raises.

    Used for exception messages: a user exception whose ``__str__`` fails is still recorded,
    and still reaches its caller unchanged. Only ``KeyboardInterrupt`` propagates.
    """
    try:
        return str(obj)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return f"<str() failed: {type(exc).__name__}>"


def _fields_of(obj: Any) -> dict[str, Any] | None:
    """The fields of objects with a known layout, shallow (values are tagged recursively)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name, None) for f in dataclasses.fields(obj)}
    model_fields = getattr(type(obj), "model_fields", None)  # pydantic v2
    if isinstance(model_fields, Mapping) and hasattr(obj, "model_dump"):
        return {str(k): getattr(obj, k, None) for k in model_fields}
    legacy = getattr(type(obj), "__fields__", None)  # pydantic v1
    if isinstance(legacy, Mapping) and hasattr(obj, "dict"):
        return {str(k): getattr(obj, k, None) for k in legacy}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return dict(zip(obj._fields, obj, strict=False))
    slots_of = _KNOWN_SLOTS.get(type_name(obj))
    if slots_of is not None:
        return {k: getattr(obj, k, None) for k in slots_of}
    return None


# Classes whose state lives in __slots__ and matters for reading a run.
_KNOWN_SLOTS: dict[str, tuple[str, ...]] = {
    "langgraph.types.Send": ("node", "arg"),
}


def tag(obj: Any) -> Any:
    """Return a plain (shallow) stand-in for a non-plain object.

    Used as ormsgpack's ``default=`` hook: the result may still hold live objects, which are
    tagged in turn. Never raises.
    """
    try:
        return _tag(obj)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # user code run while tagging; see the module docstring
        return {"$type": type_name(obj), "$repr": f"<untaggable: {type(exc).__name__}>"}


def _tag(obj: Any) -> Any:
    t = type_name(obj)
    if isinstance(obj, BaseException):
        return {"$type": t, "$error": safe_str(obj), "$repr": _safe_repr(obj)}
    if isinstance(obj, enum.Enum):
        return {"$type": t, "$name": obj.name, "$value": obj.value}
    if isinstance(obj, (datetime.date, datetime.time)):
        return {"$type": t, "$str": obj.isoformat()}
    if isinstance(obj, (uuid.UUID, decimal.Decimal, pathlib.PurePath, datetime.timedelta, int)):
        return {"$type": t, "$str": str(obj)}
    if isinstance(obj, (set, frozenset)):
        items = list(obj)
        with contextlib.suppress(TypeError):
            items.sort()
        return {"$type": t, "$items": items}
    fields = _fields_of(obj)
    if fields is not None:
        return {"$type": t, "$fields": fields}
    if isinstance(obj, (str, bytes, float, bool)):  # subclasses of plain types
        return obj if isinstance(obj, bytes) else {"$type": t, "$str": str(obj)}
    if isinstance(obj, Mapping):
        return {"$type": t, "$fields": {str(k): v for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        return {"$type": t, "$items": list(obj)}
    return {"$type": t, "$repr": _safe_repr(obj)}


def is_tagged(value: Any) -> bool:
    """Whether a decoded value is one of the tagged maps above."""
    return isinstance(value, dict) and isinstance(value.get("$type"), str)


def _truncated(kind: str, **extra: Any) -> dict[str, Any]:
    return {"$type": TRUNCATED, "$kind": kind, **extra}


def to_safe(obj: Any, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Walk ``obj`` in Python, tagging and bounding as we go.

    The slow path, used when the plain encoding of an event fails (cycles, non-str keys,
    too deep) or is larger than ``limits.max_event_bytes``.
    """
    return _Walker(limits).walk(obj, 0)


class _Walker:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.active: set[int] = set()

    def walk(self, obj: Any, depth: int) -> Any:
        lim = self.limits
        if obj is None or (isinstance(obj, (bool, float)) and type(obj) in (bool, float)):
            return obj
        if type(obj) is int:
            return obj if -(1 << 63) <= obj < (1 << 64) else tag(obj)
        if type(obj) is str:
            if len(obj) <= lim.max_str:
                return obj.encode("utf-8", "replace").decode("utf-8")
            return _truncated("str", **{"$len": len(obj), "$head": obj[: lim.max_str]})
        if type(obj) in (bytes, bytearray, memoryview):
            data = bytes(obj)
            if len(data) <= lim.max_str:
                return data
            return _truncated("bytes", **{"$len": len(data), "$head": data[: lim.max_str]})
        if depth >= lim.max_depth:
            return _truncated("depth", **{"$repr": _safe_repr(obj)})
        key = id(obj)
        if key in self.active:
            return {"$type": CYCLE, "$repr": _safe_repr(obj)}
        self.active.add(key)
        try:
            return self._container(obj, depth)
        finally:
            self.active.discard(key)

    def _container(self, obj: Any, depth: int) -> Any:
        lim = self.limits
        if type(obj) is dict:
            out: dict[str, Any] = {}
            for i, (k, v) in enumerate(obj.items()):
                if i >= lim.max_items:
                    out["$truncated"] = _truncated("dict", **{"$len": len(obj)})
                    break
                out[k if type(k) is str else _key(k)] = self.walk(v, depth + 1)
            return out
        if type(obj) in (list, tuple):
            items = [self.walk(v, depth + 1) for v in obj[: lim.max_items]]
            if len(obj) > lim.max_items:
                items.append(_truncated("list", **{"$len": len(obj)}))
            return items
        tagged = tag(obj)
        if tagged is obj:  # bytes subclass and the like
            return bytes(obj)
        return self._container(tagged, depth) if type(tagged) is dict else tagged


def _key(k: Any) -> str:
    if isinstance(k, (int, float, bool)) or k is None:
        return safe_str(k)
    return _safe_repr(k)


Hook = Callable[[Any], Any]


def diff_values(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What changed from ``a`` to ``b``: added, removed and changed keys."""
    return {
        "added": {k: b[k] for k in b if k not in a},
        "removed": {k: a[k] for k in a if k not in b},
        "changed": {k: [a[k], b[k]] for k in a if k in b and a[k] != b[k]},
    }
