"""English for lists and counts: ``a, b and c``, ``2 writes``, ``twice``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def listing(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(names)
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 write``, ``2 writes`` (``plural`` when adding an s is wrong)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def times(n: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def unique(items: Iterable[str]) -> list[str]:
    """The items in their first order, each once."""
    return list(dict.fromkeys(items))


def writer_names(names: Sequence[str]) -> str:
    """The writers of a channel as a sentence names them (``(input)`` is the input...)."""
    labels = {"(input)": "the input", "(update_state)": "update_state", "(fork)": "the fork"}
    return listing([labels.get(n, n) for n in names])


def first_line(text: Any) -> str:
    """The first line of an error message, without its closing period."""
    lines = str(text).strip().splitlines()
    return lines[0].rstrip(".") if lines else ""
