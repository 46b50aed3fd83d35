"""How each channel combined the writes of a superstep: one sentence per channel."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

from ...events import (
    BRANCH_TO,
    END,
    JOIN,
    PREVIOUS,
    RETURN,
    ROOT,
    START,
    TASKS,
    is_internal_channel,
)
from ...model import Superstep
from ._barriers import barrier_seen, barrier_sentence, branch_sentence
from ._context import Context, applied_writes
from ._values import MISSING, show
from ._words import count, listing, unique


def channel_story(s: Superstep, ctx: Context) -> list[str]:
    """One sentence per channel the step wrote or changed: how its class combined the writes."""
    assert s.checkpoint is not None
    before = s.parent.channels if s.parent is not None else {}
    after = s.checkpoint.channels
    writes = applied_writes(s)
    out: list[str] = []
    names = list(writes)
    names.extend(ch for ch in (*before, *after, *s.updated) if ch not in writes)
    for ch in unique(names):
        if ch in (START, TASKS, RETURN, END, PREVIOUS, ROOT):
            continue
        w = writes.get(ch, [])
        old = before.get(ch, MISSING)
        new = after.get(ch, MISSING)
        sentence = _combine(ch, ctx, w, old, new, s)
        if sentence:
            out.append(sentence)
    return out


def _from(writes: Sequence[tuple[str, Any]]) -> str:
    return listing(unique(name for name, _ in writes))


def _combine(
    ch: str,
    ctx: Context,
    writes: Sequence[tuple[str, Any]],
    old: Any,
    new: Any,
    s: Superstep,
) -> str | None:
    cls, info = ctx.cls(ch), ctx.info(ch)
    if ch.startswith(BRANCH_TO):
        return branch_sentence(ch, cls, writes, old, new)
    if ch.startswith(JOIN):
        return barrier_sentence(ch, cls, info, writes, old, new, barrier_seen(s, ch, ctx))
    if is_internal_channel(ch):
        return None
    if cls == "EphemeralValue":
        if writes:
            return f"{ch} is an EphemeralValue: it holds {show(new)} for the next step only."
        if old is not MISSING and new is MISSING:
            return f"{ch} was cleared: an EphemeralValue keeps a value for one step only."
        return None
    if cls == "Topic":
        return _topic(ch, writes, old, new, s, ctx)
    if cls == "UntrackedValue":
        if not writes:
            if ch in s.updated:
                return (
                    f"{ch} is an UntrackedValue: it was written this step, but LangGraph keeps "
                    "it out of checkpoints and saved writes, so its value was not recorded."
                )
            return None
        return (
            f"{ch} is an UntrackedValue: it took {show(writes[-1][1])} from {_from(writes)}, "
            "a value kept in memory for the rest of this call and never saved in checkpoints."
        )
    if not writes:
        if old is not MISSING and new is MISSING:
            return f"{ch} was cleared."
        return None
    if cls == "LastValue":
        if old is MISSING:
            return f"{ch} is a LastValue: it now holds {show(new)}, written by {_from(writes)}."
        if old == new:
            return (
                f"{ch} is a LastValue: {_from(writes)} wrote it again with the same value "
                f"({show(new)})."
            )
        return (
            f"{ch} is a LastValue: {_from(writes)}'s value replaced the old one "
            f"({show(old)} → {show(new)})."
        )
    if cls == "AnyValue":
        return (
            f"{ch} is an AnyValue: {count(len(writes), 'write')} from {_from(writes)}; it keeps "
            f"the last one, {show(new)} (all writers are expected to agree)."
        )
    if cls == "BinaryOperatorAggregate":
        return _aggregate(ch, _reducer_name(info), writes, old, new, info)
    if cls == "DeltaChannel":
        shown = f": now {show(new)}" if new is not MISSING else ""
        return (
            f"{ch} is a DeltaChannel: its reducer folded {count(len(writes), 'write')} from "
            f"{_from(writes)} into the value{shown}; checkpoints keep only the writes, which "
            "LangGraph replays to rebuild the value."
        )
    label = f"{ch} ({cls})" if cls else ch
    if old is MISSING:
        return f"{label} now holds {show(new)}, written by {_from(writes)}."
    return f"{label} changed from {show(old)} to {show(new)}, written by {_from(writes)}."


def _reducer_name(info: Mapping[str, Any]) -> str:
    name = info.get("reducer")
    if not isinstance(name, str) or not name:
        return "its reducer"
    if "." not in name and name.isidentifier() and callable(getattr(operator, name, None)):
        return f"the reducer operator.{name}"
    short = name.rsplit(".", 1)[-1]
    if short == "<lambda>":
        return "a lambda reducer"
    return f"the reducer {short.lstrip('_') or short}"


def _aggregate(
    ch: str,
    reducer: str,
    writes: Sequence[tuple[str, Any]],
    old: Any,
    new: Any,
    info: Mapping[str, Any],
) -> str:
    if old is MISSING and "default" in info:
        old = info["default"]
    n = len(writes)
    who = _from(writes)
    if isinstance(new, list) and (old is MISSING or isinstance(old, list)):
        base = [] if old is MISSING else old
        if new[: len(base)] == base:
            added = len(new) - len(base)
            return (
                f"{ch}: {reducer} appended {count(added, 'item')} from {who} "
                f"({count(n, 'write')}); it now holds {count(len(new), 'item')}."
            )
        return (
            f"{ch}: {reducer} combined {count(n, 'write')} from {who} with the old value; it "
            f"now holds {count(len(new), 'item')}."
        )
    if old is MISSING:
        return f"{ch}: {reducer} combined {count(n, 'write')} from {who}: now {show(new)}."
    return (
        f"{ch}: {reducer} combined {count(n, 'write')} from {who} with the old value: "
        f"{show(old)} → {show(new)}."
    )


def _flatten(writes: Sequence[tuple[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for _, value in writes:
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out


def _topic(
    ch: str, writes: Sequence[tuple[str, Any]], old: Any, new: Any, s: Superstep, ctx: Context
) -> str | None:
    accumulate = _topic_accumulates(ch, ctx)
    got = _flatten(writes)
    what = f"{count(len(got), 'value')} from {_from(writes)}"
    if accumulate:
        if not writes:
            return None
        held = _topic_replayed(s, ch, ctx)
        return (
            f"{ch} is a Topic (accumulate=True): it collected {what} and keeps them across "
            f"steps; it now holds {count(len(held), 'value')}."
        )
    old_list = old if isinstance(old, list) else []
    new_list = new if isinstance(new, list) else []
    if not writes:
        if old_list and not new_list:
            return (
                f"{ch} is a Topic without accumulate: nothing wrote it this step, so it was "
                "cleared."
            )
        return None
    if accumulate is None and old_list and new_list == old_list + got:
        return (
            f"{ch} is a Topic (accumulate=True): it collected {what} and keeps them across "
            f"steps; it now holds {count(len(new_list), 'value')}."
        )
    if new_list == got and (old_list or accumulate is False):
        return (
            f"{ch} is a Topic: it collected {what}, {show(new_list)}; without accumulate it "
            "keeps only the values written in the last step."
        )
    return f"{ch} is a Topic: it collected {what}: {show(new_list)}."


def _topic_accumulates(ch: str, ctx: Context) -> bool | None:
    """Whether a Topic channel accumulates: its recorded flag, or else read off the run.

    (Logs before the flag was recorded:) a Topic without accumulate holds exactly the values
    written in the last step; one that holds anything else accumulates. ``None`` when the run
    cannot tell.
    """
    spec = ctx.channels.get(ch)
    if isinstance(spec, dict) and isinstance(spec.get("accumulate"), bool):
        return bool(spec["accumulate"])
    key = ("topic", ch)
    if key in ctx.facts_memo:
        return ctx.facts_memo[key]
    answer: bool | None = None
    if ctx.space is not None:
        for x in ctx.space.supersteps:
            if x.source != "loop" or x.checkpoint is None:
                continue
            got = _flatten(applied_writes(x).get(ch, []))
            held = x.checkpoint.channels.get(ch, [])
            if isinstance(held, list) and held and held != got:
                answer = True
                break
            before = x.parent.channels.get(ch) if x.parent is not None else None
            if not got and before and not held:
                answer = False
    ctx.facts_memo[key] = answer
    return answer


def _topic_replayed(s: Superstep, ch: str, ctx: Context) -> list[Any]:
    """An accumulating Topic's values after ``s``, replayed from the writes.

    LangGraph checkpoints an accumulating Topic's list by reference and saves checkpoints in
    the background, so a saved value may already hold the next step's values.
    """
    chain: list[Superstep] = []
    cur: Superstep | None = s
    held: list[Any] = []
    guard: set[int] = set()
    while cur is not None and id(cur) not in guard:
        guard.add(id(cur))
        chain.append(cur)
        cur = ctx.previous(cur)
    for step in reversed(chain):
        if step.source == "loop":
            if step.checkpoint is not None:
                held = held + _flatten(applied_writes(step).get(ch, []))
        elif step.source != "fork" and step.checkpoint is not None:
            value = step.checkpoint.channels.get(ch, [])
            held = list(value) if isinstance(value, list) else []
    return held
