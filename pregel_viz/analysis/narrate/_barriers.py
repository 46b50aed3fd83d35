"""The channels LangGraph makes for its edges: ``branch:to:<node>`` (a route, deferred with
``defer=True``) and ``join:<a+b>:<node>`` (a barrier waiting for several nodes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...events import BRANCH_TO
from ...model import Superstep
from ._context import Context, succeeded
from ._words import listing


def _set_items(value: Any) -> list[str] | None:
    if isinstance(value, dict) and isinstance(value.get("$items"), list):
        return [str(v) for v in value["$items"]]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return None


def join_target(channel: str) -> str:
    """The node a ``join:<a+b>:<node>`` barrier channel releases."""
    return channel.rsplit(":", 1)[-1]


def join_names(channel: str, info: Mapping[str, Any]) -> list[str]:
    """The nodes a barrier channel waits for: recorded, or read off its name."""
    names = info.get("names")
    if isinstance(names, list) and names:
        return [str(n) for n in names]
    parts = channel.split(":")
    return parts[1].split("+") if len(parts) >= 3 else []


def branch_sentence(
    ch: str, cls: str | None, writes: Sequence[tuple[str, Any]], old: Any, new: Any
) -> str | None:
    """A ``branch:to:<node>`` channel's sentence: only a deferred node's is told."""
    if cls != "LastValueAfterFinish":
        return None
    node = ch[len(BRANCH_TO) :]
    done_before = isinstance(old, list) and len(old) == 2 and old[1] is True
    done = isinstance(new, list) and len(new) == 2 and new[1] is True
    if done and not done_before:
        return (
            f"Nothing else was left to run, so the deferred node {node} was released: its "
            "route is held until the run has nothing else to do."
        )
    if writes and not done:
        return f"{node} is deferred (defer=True): it waits until nothing else is left to run."
    return None


def barrier_sentence(
    ch: str,
    cls: str | None,
    info: Mapping[str, Any],
    writes: Sequence[tuple[str, Any]],
    old: Any,
    new: Any,
    replayed: frozenset[str] | None,
) -> str | None:
    """A ``join:`` barrier's sentence: whom it has heard from, whether it let its node run."""
    node = join_target(ch)
    names = join_names(ch, info)
    after_finish = cls == "NamedBarrierValueAfterFinish" or (
        isinstance(new, list) and len(new) == 2 and isinstance(new[1], bool)
    )
    finished = False
    was_finished = False
    seen_value = new
    if after_finish:
        if isinstance(new, list) and len(new) == 2:
            seen_value, finished = new[0], new[1] is True
        if isinstance(old, list) and len(old) == 2:
            was_finished = old[1] is True
    seen = _set_items(seen_value) or []
    if replayed is not None:
        seen = sorted(replayed)
    if not writes:
        if after_finish and finished and not was_finished:
            return (
                f"Nothing else was left to run, so {node}'s barrier released the deferred node "
                f"{node}."
            )
        return None
    heard = [n for n in names if n in seen] if names else seen
    total = len(names) if names else len(seen)
    if names and len(heard) < total:
        missing = [n for n in names if n not in seen]
        return (
            f"{node}'s barrier has heard from {listing(heard)}: {len(heard)} of "
            f"{total}; {node} waits for {listing(missing)}."
        )
    if after_finish and not finished:
        return (
            f"{node}'s barrier has heard from all {total} of {listing(heard)}, but "
            f"{node} is deferred (defer=True): it waits until nothing else is left to run."
        )
    if after_finish:
        return (
            f"{node}'s barrier has heard from all {total} of {listing(heard)} and "
            f"nothing else was left to run, so it released the deferred node {node}."
        )
    return (
        f"{node}'s barrier has heard from all {total} of {listing(heard)}, so it released {node}."
    )


def barrier_seen(s: Superstep, ch: str, ctx: Context) -> frozenset[str] | None:
    """Who a barrier channel has heard from after superstep ``s``, replayed from the writes.

    A saved barrier value cannot be trusted: LangGraph 1.x checkpoints a barrier's set by
    reference and saves checkpoints in the background, so a checkpoint may already hold names
    written in the next superstep. Replaying the writes along the branch gives the truth.
    ``None`` without the namespace to replay.
    """
    if ctx.space is None:
        return None
    chain: list[Superstep] = []
    cur: Superstep | None = s
    seen: frozenset[str] = frozenset()
    guard: set[int] = set()
    while cur is not None and id(cur) not in guard:
        cached = ctx.seen_memo.get((id(cur), ch))
        if cached is not None:
            seen = cached
            break
        guard.add(id(cur))
        chain.append(cur)
        cur = ctx.previous(cur)
    names = frozenset(join_names(ch, ctx.info(ch)))
    target = join_target(ch)
    for step in reversed(chain):
        if step.source == "loop":
            ran = any(t.name == target and t.kind == "pull" for t in step.tasks)
            if ran and seen == names:
                seen = frozenset()  # consumed by the node it released
            written = {
                str(value) for t in step.tasks if succeeded(t) for c, value in t.writes if c == ch
            }
            if step.checkpoint is not None:
                seen = seen | written
        ctx.seen_memo[(id(step), ch)] = seen
    return seen
