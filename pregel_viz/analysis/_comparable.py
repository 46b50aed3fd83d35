"""What two runs are compared on, and how it reads in the details of a divergence.

Recorded tasks, writes, channel values and outcomes as plain data, with what may differ between
two identical runs taken out (:func:`norm`: set order, generated message ids), and the words for
them (:func:`result_text`, :func:`values_text`...). Used by :mod:`._compare_steps`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..events import (
    BRANCH_TO,
    END,
    ERROR,
    INTERRUPT,
    JOIN,
    PREVIOUS,
    RESUME,
    START,
    TASKS,
    is_internal_channel,
)
from ..model import UNKNOWN, Superstep, Task, Thread
from .export import error_line
from .narrate import describe_value

__all__ = [
    "by_channel",
    "channel_label",
    "compared_channels",
    "known_results",
    "norm",
    "outcome_text",
    "result_text",
    "task_result",
    "thread_outcome",
    "values_text",
    "writes_of",
]

_WRITES_SKIPPED = (INTERRUPT, RESUME, ERROR)
_KEPT_INTERNAL = (START, END, PREVIOUS)


# --------------------------------------------------------------------------- tasks


def task_result(t: Task) -> dict[str, Any]:
    attempts = t.attempts if isinstance(t.attempts, list) else None
    return {
        "status": t.status,
        "error": _error(t.error),
        "interrupts": norm(list(t.interrupts)),
        "attempts": None if attempts is None else [a.status for a in attempts],
    }


def known_results(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two :func:`task_result` reduced to what both sides know.

    A run rebuilt from a checkpointer or pulled from a LangGraph server does not know a task's
    attempts (``task.attempts`` is ``UNKNOWN``: ``"attempts"`` is ``None``), and its saver kept
    only the last interrupt of a task. Against such a task, the attempts are left out of both
    sides and only the last interrupt is compared: what one side never knew is no difference.
    """
    if a["attempts"] is not None and b["attempts"] is not None:
        return a, b

    def known(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "attempts": None, "interrupts": r["interrupts"][-1:]}

    return known(a), known(b)


def _error(err: dict[str, Any] | None) -> dict[str, str] | None:
    if err is None:
        return None
    return {"type": str(err.get("type")), "message": str(err.get("message"))}


def result_text(r: dict[str, Any]) -> str:
    status = r["status"]
    attempts = r.get("attempts") or []
    if status == "error" and r["error"]:
        text = f"failed ({error_line(r['error'])})"
    elif status == "interrupted":
        last = describe_value(r["interrupts"][-1]) if r["interrupts"] else ""
        text = f"paused at interrupt({last})"
    elif status == "ok":
        text = "finished"
    else:
        text = status
    if r["interrupts"] and status != "interrupted":
        text += f" after {len(r['interrupts'])} interrupt(s)"
    if len(attempts) > 1:
        text += f" in {len(attempts)} attempts ({', '.join(attempts)})"
    return text


# --------------------------------------------------------------------------- writes


def writes_of(t: Task) -> list[list[Any]]:
    ws = [[str(ch), norm(v)] for ch, v in t.writes if str(ch) not in _WRITES_SKIPPED]
    # LangGraph's order of a task's writes to different channels may follow set iteration
    # (string hashing differs between processes); within one channel the order is kept
    return sorted(ws, key=lambda w: str(w[0]))


def by_channel(ws: list[list[Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for ch, v in ws:
        out.setdefault(ch, []).append(v)
    return out


def channel_label(ch: str) -> str:
    if ch.startswith(BRANCH_TO):
        return f"routed to {ch[len(BRANCH_TO) :]}"
    if ch == TASKS:
        return "sent"
    if ch.startswith(JOIN):
        return f"reported to the barrier of {ch.rsplit(':', 1)[-1]}"
    return f"wrote {ch}"


def values_text(values: list[Any] | None) -> str:
    if not values:
        return "nothing"
    if len(values) == 1:
        return describe_value(values[0])
    return ", ".join(describe_value(v) for v in values)


# --------------------------------------------------------------------------- values and outcomes


def compared_channels(s: Superstep) -> dict[str, Any]:
    """The state keys' values (and the input, and a functional graph's result).

    LangGraph's routing and barrier channels are left out: what was routed and reported is in
    the writes, and LangGraph saves a barrier's set by reference in the background, so its
    saved value depends on timing.
    """
    return {
        k: norm(v)
        for k, v in s.channels.items()
        if not is_internal_channel(k) or k in _KEPT_INTERNAL
    }


def thread_outcome(t: Thread) -> dict[str, Any]:
    o = t.outcome
    return {
        "status": o.get("status"),
        "interrupts": norm(list(o.get("interrupts") or [])),
        "error": _error(o.get("error")),
    }


def outcome_text(o: dict[str, Any]) -> str:
    text = str(o["status"])
    if o["error"]:
        text += f" ({error_line(o['error'])})"
    if o["interrupts"]:
        text += f", waiting on interrupt({describe_value(o['interrupts'][-1])})"
    return text


# --- normalizing values -----------------------------------------------------------------------

_GENERATED_ID = re.compile(
    r"^(run-|lc_run--|lc_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+)?$"
)


def norm(value: Any) -> Any:
    """Recorded data with what may differ between two identical runs taken out.

    Sets are sorted (their order follows string hashing, which differs between processes),
    and message ids that LangChain or LangGraph generated (uuids), or not yet, are dropped.
    """
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        t = value.get("$type")
        if isinstance(t, str) and isinstance(value.get("$items"), list):
            items = [norm(v) for v in value["$items"]]
            return {"$type": t, "$items": sorted(items, key=_sort_key)}
        fields = value.get("$fields")
        if isinstance(t, str) and isinstance(fields, dict) and ".messages." in t:
            out = {k: norm(v) for k, v in fields.items()}
            mid = out.get("id")
            # no id, or one LangChain/LangGraph made up (add_messages gives messages a uuid in
            # place, so a recorded write may show the message before or after it got one)
            if mid is None or (isinstance(mid, str) and _GENERATED_ID.match(mid)):
                out.pop("id", None)
            return {"$type": t, "$fields": out}
        return {k: norm(v) for k, v in value.items()}
    if value is UNKNOWN:
        return None
    return value


def _sort_key(v: Any) -> str:
    try:
        return json.dumps(v, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(v)
