"""English for lists and counts: ``a, b and c``, ``2 writes``, ``twice``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ...events import UNLISTED_TASK

LONG = 8
"""A list of more names than this is told by its ends and its length (a wide fan-out)."""

_NAME = re.compile(r"^[\w.:|-]+$")
_DIGITS = re.compile(r"(\d+)")


def _natural(name: str) -> list[Any]:
    """``worker_2`` before ``worker_10``."""
    return [int(p) if p.isdigit() else p for p in _DIGITS.split(name)]


def listing(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; a long list of names is shortened to its ends:
    ``worker_00, worker_01 … worker_59 (60 in all)``."""
    items = list(names)
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    if len(items) > LONG:
        if all(_NAME.match(i) for i in items):
            items = sorted(items, key=_natural)
        return f"{items[0]}, {items[1]} … {items[-1]} ({len(items)} in all)"
    return ", ".join(items[:-1]) + " and " + items[-1]


def run_name(number: int) -> str:
    """A call of the graph as a reader names it: ``run 2`` (each invoke, resume or Step)."""
    return f"run {number}"


AUTO_THREAD = re.compile(r"^pregel-viz-[0-9a-f]{8,}$")
"""The thread ids pregel-viz makes up for a call that gave none: not worth showing."""


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 write``, ``2 writes`` (``plural`` when adding an s is wrong)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def times(n: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def unique(items: Iterable[str]) -> list[str]:
    """The items in their first order, each once."""
    return list(dict.fromkeys(items))


_DRAWN = {"__start__": "start", "__end__": "end", UNLISTED_TASK: "an unnamed task"}


def node_name(name: str) -> str:
    """A node as the graph draws it: LangGraph's ``__start__`` and ``__end__`` pseudo-nodes are
    ``start`` and ``end``, a task whose name was not kept (``?``) is "an unnamed task"; any other
    name is itself."""
    return _DRAWN.get(name, name)


def writer_names(names: Sequence[str]) -> str:
    """The writers of a channel as a sentence names them (``(input)`` is the input, the
    ``__start__`` node is ``start``...)."""
    labels = {"(input)": "the input", "(update_state)": "update_state", "(fork)": "the fork"}
    return listing([labels.get(n, node_name(n)) for n in names])


def first_line(text: Any) -> str:
    """The first line of an error message, without its closing period."""
    lines = str(text).strip().splitlines()
    return lines[0].rstrip(".") if lines else ""


def short_channel(channel: str) -> str:
    """A barrier channel named after many nodes, shortened: ``join:a+b+…+z:merge``."""
    parts = channel.split(":")
    if len(parts) >= 3 and parts[0] == "join":
        names = parts[1].split("+")
        if len(names) > 3:
            return f"join:{names[0]}+{names[1]}+…+{names[-1]}:{':'.join(parts[2:])}"
    return channel


def seconds(s: float) -> str:
    """A duration as a sentence gives it: ``0.01 s``, ``1.2 s``, ``14 s`` (``<0.01 s``)."""
    if s < 0.01:
        return "<0.01 s"
    if s < 1:
        return f"{s:.2f} s"
    if s < 10:
        return f"{s:.1f} s"
    return f"{s:.0f} s"
