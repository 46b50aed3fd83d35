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


_FULL = 100_000
"""A limit no recorded value reaches: renders a value whole, to find where two differ."""
_CONTEXT = 12
"""Characters kept before the first difference when the common start of two texts is elided."""


def contrast(name: str, a: Any, b: Any, limit: int = 60) -> tuple[str, str, str]:
    """Two values of ``name`` as a sentence sets them side by side: ``(subject, a, b)``.

    Values that read whole within ``limit`` are shown whole (``subject`` is ``name``). A longer
    value is shown from where the two differ, so the cut never hides the difference: a list by
    its one differing item (``results[5]``) or by its tail from the first difference
    (``results[10:]``, e.g. the items appended), a dict by its one differing key, a text (and
    anything else) with the common start elided: ``'…xt with step_05 in it'``.
    """
    whole_a, whole_b = _render(a, _FULL), _render(b, _FULL)
    if whole_a == whole_b and a != b:  # e.g. messages whose tool calls differ
        return _inside(name, a, b, limit)
    if (len(whole_a) <= limit and len(whole_b) <= limit) or whole_a == whole_b:
        return name, describe_value(a, limit), describe_value(b, limit)
    if isinstance(a, list) and isinstance(b, list):
        p = _common_start(a, b)
        s = _common_start(a[p:][::-1], b[p:][::-1])
        if len(a) == len(b) == p + s + 1:  # one item differs
            return contrast(f"{name}[{p}]", a[p], b[p], limit)
        if p:
            tail_a, tail_b = a[p:], b[p:]
            return (
                f"{name}[{p}:]",
                _from_start(tail_a, tail_b, limit),
                _from_start(tail_b, tail_a, limit),
            )
    elif _plain_dict(a) and _plain_dict(b) and a.keys() == b.keys():
        keys = [k for k in a if a[k] != b[k]]
        if len(keys) == 1:
            return contrast(f"{name}[{keys[0]!r}]", a[keys[0]], b[keys[0]], limit)
    elif _fields(a) is not None and _fields(b) is not None and a["$type"] == b["$type"]:
        fa, fb = _fields(a) or {}, _fields(b) or {}
        keys = [k for k in _unique_keys(fa, fb) if fa.get(k) != fb.get(k)]
        if len(keys) == 1 and keys[0] in fa and keys[0] in fb:
            return contrast(f"{name}.{keys[0]}", fa[keys[0]], fb[keys[0]], limit)
    return name, _from_start(a, b, limit), _from_start(b, a, limit)


def _inside(name: str, a: Any, b: Any, limit: int) -> tuple[str, str, str]:
    """Two values that read the same but are not: the first part where they differ, e.g.
    ``messages[1].tool_calls[0]['args']`` (a message reads as its content alone)."""
    at: str | None = None
    if isinstance(a, list) and isinstance(b, list):
        p = _common_start(a, b)
        if p < len(a) and p < len(b):
            at, a, b = f"{name}[{p}]", a[p], b[p]
    elif _plain_dict(a) and _plain_dict(b):
        keys = [k for k in _unique_keys(a, b) if a.get(k, MISSING) != b.get(k, MISSING)]
        if keys and keys[0] in a and keys[0] in b:
            at, a, b = f"{name}[{keys[0]!r}]", a[keys[0]], b[keys[0]]
    elif _fields(a) is not None and _fields(b) is not None and a["$type"] == b["$type"]:
        fa, fb = _fields(a) or {}, _fields(b) or {}
        keys = [k for k in _unique_keys(fa, fb) if fa.get(k, MISSING) != fb.get(k, MISSING)]
        if keys and keys[0] in fa and keys[0] in fb:
            at, a, b = f"{name}.{keys[0]}", fa[keys[0]], fb[keys[0]]
    if at is None:  # nothing to go into: the texts read the same
        return name, describe_value(a, limit), describe_value(b, limit)
    return contrast(at, a, b, limit)


def _from_start(value: Any, other: Any, limit: int) -> str:
    """``value`` shown from a little before where it first differs from ``other``."""
    if isinstance(value, str) and isinstance(other, str):
        p = _common_start(value, other)
        return describe_value(value if p <= 2 * _CONTEXT else "…" + value[p - _CONTEXT :], limit)
    text, against = _render(value, _FULL), _render(other, _FULL)
    p = _common_start(text, against)
    if p > 2 * _CONTEXT:
        text = "…" + text[p - _CONTEXT :]
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def _common_start(a: Any, b: Any) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _plain_dict(value: Any) -> bool:
    return isinstance(value, dict) and "$type" not in value


def _fields(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and isinstance(value.get("$type"), str):
        fields = value.get("$fields")
        if isinstance(fields, dict):
            return fields
    return None


def _unique_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))
