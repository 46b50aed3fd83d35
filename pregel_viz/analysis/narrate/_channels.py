"""How each channel combined the writes of a superstep: one sentence per channel.

A channel is told by its class: :data:`BY_CLASS` maps a LangGraph channel class to the function
that tells what it did with a step's writes, so a new class is one entry there (and its function
above). The channels LangGraph makes for its edges (``branch:to:``, ``join:``) are told by their
name, whatever their class (:data:`BY_PREFIX`); a class without an entry reads as a plain value.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from ._values import MISSING, contrast, show
from ._words import LONG, count, listing, node_name, short_channel, unique


@dataclass(frozen=True)
class Change:
    """What one superstep did to one channel: the writes it applied, the value before and after."""

    ch: str
    cls: str | None  # the channel's class, when the graph's channels were recorded
    info: Mapping[str, Any]  # the channel's recorded description (reducer, default, names...)
    writes: Sequence[tuple[str, Any]]  # (task name, value), of the tasks that succeeded
    old: Any  # MISSING: the channel had no value before the step
    new: Any  # MISSING: the channel has no value after it
    step: Superstep
    ctx: Context

    @property
    def writers(self) -> str:
        """The tasks that wrote the channel: ``a``, ``a and b``."""
        return listing(unique(node_name(name) for name, _ in self.writes))

    @property
    def cleared(self) -> bool:
        """The channel had a value before the step and has none after it."""
        return self.old is not MISSING and self.new is MISSING


Teller = Callable[[Change], "str | None"]
"""Tells a channel's change in one sentence, or ``None`` when there is nothing worth saying."""


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
        change = Change(
            ch=ch,
            cls=ctx.cls(ch),
            info=ctx.info(ch),
            writes=writes.get(ch, []),
            old=before.get(ch, MISSING),
            new=after.get(ch, MISSING),
            step=s,
            ctx=ctx,
        )
        sentence = _sentence(change)
        if sentence:
            out.append(sentence)
    return out


def _sentence(c: Change) -> str | None:
    for prefix, tell in BY_PREFIX.items():
        if c.ch.startswith(prefix):
            told = tell(c)
            if told:  # the sentence names the node; the channel behind it is a detail
                c.ctx.note(f"channel {short_channel(c.ch)}" + (f" ({c.cls})" if c.cls else ""))
            return told
    if is_internal_channel(c.ch):
        return None
    tell = BY_CLASS.get(c.cls, _OTHER) if c.cls is not None else _OTHER
    return tell(c)


# --- the sentence of each channel class -------------------------------------------------------


def _when_written(tell: Callable[[Change], str]) -> Teller:
    """A class told only in the steps that write it; otherwise only a cleared value is told."""

    def told(c: Change) -> str | None:
        if c.writes:
            return tell(c)
        return f"{c.ch} was cleared." if c.cleared else None

    return told


def _last_value(c: Change) -> str:
    if c.old is MISSING:
        return f"{c.ch} is a LastValue: it now holds {show(c.new)}, written by {c.writers}."
    if c.old == c.new:
        return (
            f"{c.ch} is a LastValue: {c.writers} wrote it again with the same value "
            f"({show(c.new)})."
        )
    at, old, new = contrast(c.ch, c.old, c.new)  # a long value: from where the two differ
    where = f"{at}: " if at != c.ch else ""
    return (
        f"{c.ch} is a LastValue: {c.writers}'s value replaced the old one ({where}{old} → {new})."
    )


def _any_value(c: Change) -> str:
    return (
        f"{c.ch} is an AnyValue: {count(len(c.writes), 'write')} from {c.writers}; it keeps "
        f"the last one, {show(c.new)} (all writers are expected to agree)."
    )


def _aggregate(c: Change) -> str:
    ch, new, reducer = c.ch, c.new, _reducer_name(c.info)
    old = c.info["default"] if c.old is MISSING and "default" in c.info else c.old
    n = len(c.writes)
    who = c.writers
    if isinstance(new, list) and (old is MISSING or isinstance(old, list)):
        base = [] if old is MISSING else old
        writes = f" ({count(n, 'write')})"
        writers = len({name for name, _ in c.writes})
        if writers > LONG:  # a wide fan-out: the list ends in parentheses already
            writes = "" if n == writers else f", {count(n, 'write')}"
        by_id = _by_message_id(base, new)  # add_messages: replaced and removed by id
        if by_id is not None:
            held = count(len(new), "message")
            return f"{ch}: {reducer} {by_id} from {who}{writes}; it now holds {held}."
        if new[: len(base)] == base:
            added = len(new) - len(base)
            return (
                f"{ch}: {reducer} appended {count(added, 'item')} from {who}{writes}; it now "
                f"holds {count(len(new), 'item')}."
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


def _by_message_id(old: list[Any], new: list[Any]) -> str | None:
    """What ``add_messages`` did, found by comparing the messages' ids before and after: ``replaced
    1 message (id 'ai-1'), removed 1 message (id 'x') and appended 2 messages``. ``None`` when
    the lists are not lists of messages with ids."""
    before, after = _message_ids(old), _message_ids(new)
    if before is None or after is None or (not old and not new):
        return None
    kept = set(after)
    was = dict(zip(before, old, strict=True))
    replaced = [i for i, m in zip(after, new, strict=True) if i in was and was[i] != m]
    removed = [i for i in before if i not in kept]
    appended = [i for i in after if i not in was]
    parts: list[str] = []
    if replaced:
        parts.append(f"replaced {count(len(replaced), 'message')} ({_ids(replaced)})")
    if removed:
        parts.append(f"removed {count(len(removed), 'message')} ({_ids(removed)})")
    if appended:
        parts.append(f"appended {count(len(appended), 'message')}")
    return listing(parts) if parts else "left the messages as they were"


def _message_ids(messages: list[Any]) -> list[str] | None:
    ids: list[str] = []
    for m in messages:
        fields = m.get("$fields") if isinstance(m, dict) else None
        if not isinstance(fields, dict) or not isinstance(fields.get("id"), str):
            return None
        if ".messages." not in str(m.get("$type")):
            return None
        ids.append(fields["id"])
    return ids if len(set(ids)) == len(ids) else None


def _ids(ids: list[str]) -> str:
    """``id 'ai-1'``, ``ids 'a' and 'b'``; many are counted."""
    if len(ids) == 1:
        return f"id {ids[0]!r}"
    return f"ids {listing([repr(i) for i in ids])}"


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


def _delta(c: Change) -> str:
    shown = f": now {show(c.new)}" if c.new is not MISSING else ""
    return (
        f"{c.ch} is a DeltaChannel: its reducer folded {count(len(c.writes), 'write')} from "
        f"{c.writers} into the value{shown}; checkpoints keep only the writes, which "
        "LangGraph replays to rebuild the value."
    )


def _ephemeral(c: Change) -> str | None:
    if c.writes:
        return f"{c.ch} is an EphemeralValue: it holds {show(c.new)} for the next step only."
    if c.cleared:
        return f"{c.ch} was cleared: an EphemeralValue keeps a value for one step only."
    return None


def _untracked(c: Change) -> str | None:
    if not c.writes:
        if c.ch in c.step.updated:
            return (
                f"{c.ch} is an UntrackedValue: it was written this step, but LangGraph keeps "
                "it out of checkpoints and saved writes, so its value was not recorded."
            )
        return None
    return (
        f"{c.ch} is an UntrackedValue: it took {show(c.writes[-1][1])} from {c.writers}, "
        "a value kept in memory for the rest of this call and never saved in checkpoints."
    )


def _released(c: Change) -> str | None:
    """A class that shows its value only once the run finishes: told as it is held, and as it
    is released in the last step."""
    if c.writes and c.new is MISSING:
        return (
            f"{c.ch} is a {c.cls}: it holds {show(c.writes[-1][1])} from {c.writers}, "
            "shown only once the run finishes."
        )
    if not c.writes and c.old is MISSING and c.new is not MISSING:
        return f"{c.ch} is a {c.cls}: the run finished, so it now shows {show(c.new)}."
    return _OTHER(c)


def _barrier(c: Change) -> str | None:
    """A NamedBarrierValue state key: no value until every named writer has written."""
    names = listing([str(n) for n in c.info.get("names") or []]) or "its writers"
    after_finish = c.cls == "NamedBarrierValueAfterFinish"
    if c.writes and c.new is MISSING:
        until = " and the run finishes" if after_finish else ""
        return (
            f"{c.ch} is a {c.cls}: {c.writers} wrote it; it shows a value only once "
            f"{names} have all written{until}."
        )
    if c.writes:
        return f"{c.ch} is a {c.cls}: with {c.writers}'s write, {names} have all written."
    if after_finish and c.old is MISSING and c.new is not MISSING:
        return f"{c.ch} is a {c.cls}: the run finished, so it is released."
    return _OTHER(c)


def _topic(c: Change) -> str | None:
    ch, writes, ctx = c.ch, c.writes, c.ctx
    accumulate = _topic_accumulates(ch, ctx)
    got = _flatten(writes)
    what = f"{count(len(got), 'value')} from {c.writers}"
    if accumulate:
        if not writes:
            return None
        held = _topic_replayed(c.step, ch, ctx)
        return (
            f"{ch} is a Topic (accumulate=True): it collected {what} and keeps them across "
            f"steps; it now holds {count(len(held), 'value')}."
        )
    old_list = c.old if isinstance(c.old, list) else []
    new_list = c.new if isinstance(c.new, list) else []
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


def _other(c: Change) -> str:
    """A class without an entry (or an unknown one): the value, before and after."""
    label = f"{c.ch} ({c.cls})" if c.cls else c.ch
    if c.new is MISSING:  # written, yet the checkpoint keeps no value (a DeltaChannel's)
        return f"{label} was written by {c.writers}; the checkpoint holds no value for it."
    if c.old is MISSING:
        return f"{label} now holds {show(c.new)}, written by {c.writers}."
    at, old, new = contrast(c.ch, c.old, c.new)
    if at != c.ch:
        label += f": {at}"
    return f"{label} changed from {old} to {new}, written by {c.writers}."


BY_CLASS: dict[str, Teller] = {
    "LastValue": _when_written(_last_value),
    "AnyValue": _when_written(_any_value),
    "BinaryOperatorAggregate": _when_written(_aggregate),
    "DeltaChannel": _when_written(_delta),
    "EphemeralValue": _ephemeral,
    "UntrackedValue": _untracked,
    "Topic": _topic,
    "LastValueAfterFinish": _released,
    "NamedBarrierValue": _barrier,
    "NamedBarrierValueAfterFinish": _barrier,
}
"""Channel class -> how it tells a step's change. Adding a channel class is one entry here."""

_OTHER = _when_written(_other)

BY_PREFIX: dict[str, Teller] = {
    # LastValueAfterFinish: a node deferred with defer=True waits on it
    BRANCH_TO: lambda c: branch_sentence(c.ch, c.cls, c.writes, c.old, c.new),
    # NamedBarrierValue(AfterFinish): a node waiting for several others
    JOIN: lambda c: barrier_sentence(
        c.ch, c.cls, c.info, c.writes, c.old, c.new, barrier_seen(c.step, c.ch, c.ctx)
    ),
}
"""The channels LangGraph makes for its edges, told by their name whatever their class."""


# --- a Topic's values -------------------------------------------------------------------------


def _flatten(writes: Sequence[tuple[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for _, value in writes:
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out


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
