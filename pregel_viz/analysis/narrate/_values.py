"""How a recorded (tagged) value reads in a sentence: ``describe_value`` and ``show``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MISSING: Any = object()
"""Stands for a channel without a value (absent from a checkpoint), unlike ``None``."""


def describe_value(value: Any, limit: int = 60) -> str:
    """A short, readable rendering of a recorded (tagged) value, cut to about ``limit`` chars."""
    text = _render(value, limit)
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def _render(value: Any, limit: int) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "…")
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list):
        return _join_items("[", "]", (_render(v, limit) for v in value), limit)
    if isinstance(value, dict):
        t = value.get("$type")
        if isinstance(t, str):
            short = t.rsplit(".", 1)[-1]
            if t == "pregel_viz.truncated":
                return "…(cut when recorded)"
            if "$items" in value and isinstance(value["$items"], list):
                items = value["$items"]
                if not items:
                    return "set()"
                return _join_items("{", "}", (_render(v, limit) for v in items), limit)
            if "$str" in value:
                return f"{short}({value['$str']})"
            if "$name" in value:
                return f"{short}.{value['$name']}"
            if "$error" in value:
                return f"{short}({value['$error']!r})"
            fields = value.get("$fields")
            if isinstance(fields, dict):
                if "content" in fields and short.endswith(("Message", "MessageChunk")):
                    return f"{short}({_render(fields['content'], limit)})"
                if short == "Send":
                    return f"Send({fields.get('node')!s}, {_render(fields.get('arg'), limit)})"
                inner = (f"{k}={_render(v, limit)}" for k, v in fields.items())
                return _join_items(f"{short}(", ")", inner, limit)
            if "$repr" in value:
                return str(value["$repr"])
            return short
        inner = (f"{k!r}: {_render(v, limit)}" for k, v in value.items())
        return _join_items("{", "}", inner, limit)
    return repr(value)


def _join_items(open_: str, close: str, items: Iterable[str], limit: int) -> str:
    out: list[str] = []
    size = 0
    for item in items:
        if size > limit:
            out.append("…")
            break
        out.append(item)
        size += len(item) + 2
    return open_ + ", ".join(out) + close


def show(value: Any) -> str:
    """A value as a sentence shows it: :func:`describe_value` at its usual length."""
    return describe_value(value, 60)
