"""How two aligned supersteps differ: the step-by-step half of :mod:`.compare`.

:func:`compare_steps` aligns two lists of supersteps by step number and names each way the
sides differ at a step (in the order of :data:`DIVERGENCE_KINDS`), going into the subgraph runs
of paired tasks. What is compared, and the words for it, come from :mod:`._comparable` (the
calls made inside tasks: :mod:`._compare_calls`); the differences are the types of
:mod:`._divergence`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..events import BRANCH_TO, START, TASKS, is_internal_channel
from ..model import Superstep, Task, Thread
from ._comparable import (
    by_channel,
    channel_label,
    compared_channels,
    known_results,
    outcome_text,
    result_text,
    task_result,
    thread_outcome,
    values_text,
    writes_of,
)
from ._compare_calls import calls_difference, calls_explain
from ._divergence import A_SIDE, B_SIDE, DIVERGENCE_KINDS, RANKS, Divergence, StepRow, relabel
from .narrate import contrast, describe_value, node_name

__all__ = [
    "DIVERGENCE_KINDS",
    "RANKS",
    "Divergence",
    "StepRow",
    "ThreadPair",
    "align",
    "compare_outcomes",
    "compare_steps",
    "pair_tasks",
    "relabel",
    "squash",
    "task_differs",
    "unique",
]


@dataclass
class ThreadPair:
    """The threads the two sides belong to (where their subgraph runs are)."""

    thread_a: Thread
    thread_b: Thread


# --------------------------------------------------------------------------- step by step


def compare_steps(
    steps_a: list[Superstep], steps_b: list[Superstep], ctx: ThreadPair, where: str
) -> tuple[list[StepRow], list[Divergence]]:
    rows: list[StepRow] = []
    diffs: list[Divergence] = []
    last_a = max((s.step for s in steps_a), default=None)
    last_b = max((s.step for s in steps_b), default=None)
    for sa, sb, fork_point in align(steps_a, steps_b):
        present = sa if sa is not None else sb
        assert present is not None
        n = present.step
        found: list[Divergence] = []
        if fork_point:
            pass  # the fork's own update_state or replay: where it left, not a difference
        elif sa is None or sb is None:
            found.append(_missing(n, sa, sb, last_a, last_b, where))
        else:
            found.extend(_compare_step(n, sa, sb, ctx, where))
        rows.append(StepRow(n, _side(sa), _side(sb), found, fork_point))
        diffs.extend(found)
    return rows, diffs


_FORK_SOURCES = ("update", "fork")


def align(
    steps_a: list[Superstep], steps_b: list[Superstep]
) -> list[tuple[Superstep | None, Superstep | None, bool]]:
    """The supersteps of two sides in aligned pairs ``(a, b, fork_point)``.

    Two branches of one thread (sides that start with the same supersteps) are aligned by
    lineage: the shared supersteps pair with themselves; where only one side then starts with
    its own ``update_state`` or replay checkpoint (the fork's own step), that checkpoint stands
    alone (``fork_point``), and the steps after it pair in order with the other side's. Other
    sides (two runs, two threads) are aligned by step number.
    """
    shared = 0
    for x, y in zip(steps_a, steps_b, strict=False):
        if x is not y:
            break
        shared += 1
    if not shared:
        by_a = {s.step: s for s in steps_a}
        by_b = {s.step: s for s in steps_b}
        return [(by_a.get(n), by_b.get(n), False) for n in sorted(set(by_a) | set(by_b))]
    out: list[tuple[Superstep | None, Superstep | None, bool]] = [
        (s, s, False) for s in steps_a[:shared]
    ]
    tail_a, tail_b = steps_a[shared:], steps_b[shared:]
    lead_a, lead_b = _fork_lead(tail_a), _fork_lead(tail_b)
    if lead_a and not lead_b:
        out.extend((s, None, True) for s in tail_a[:lead_a])
        tail_a = tail_a[lead_a:]
    elif lead_b and not lead_a:
        out.extend((None, s, True) for s in tail_b[:lead_b])
        tail_b = tail_b[lead_b:]
    for k in range(max(len(tail_a), len(tail_b))):
        out.append(
            (tail_a[k] if k < len(tail_a) else None, tail_b[k] if k < len(tail_b) else None, False)
        )
    return out


def _fork_lead(tail: list[Superstep]) -> int:
    k = 0
    while k < len(tail) and tail[k].source in _FORK_SOURCES:
        k += 1
    return k


def _missing(
    n: int,
    sa: Superstep | None,
    sb: Superstep | None,
    last_a: int | None,
    last_b: int | None,
    where: str,
) -> Divergence:
    has, lacks = (A_SIDE, B_SIDE) if sb is None else (B_SIDE, A_SIDE)
    s = sa if sa is not None else sb
    assert s is not None
    last = last_b if sb is None else last_a
    tasks = ", ".join(squash([t.name for t in s.tasks])) or s.source
    if last is not None and n > last:
        why = f"{lacks} stopped after step {last}"
    else:
        why = f"{lacks} has no step {n}"
    return Divergence(
        n,
        "missing",
        f"{why}; {has} has step {n} ({tasks}).",
        _side(sa),
        _side(sb),
        where,
    )


def _side(s: Superstep | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "step": s.step,
        "source": s.source,
        "checkpoint_id": s.checkpoint.id if s.checkpoint is not None else None,
        "tasks": [t.name for t in s.tasks],
        "statuses": [t.status for t in s.tasks],
    }


def _compare_step(
    n: int, sa: Superstep, sb: Superstep, ctx: ThreadPair, where: str
) -> list[Divergence]:
    out: list[Divergence] = []
    if sa.source != sb.source:
        out.append(
            Divergence(
                n,
                "source",
                f"{A_SIDE}'s step {n} is {_source_text(sa)}; {B_SIDE}'s is {_source_text(sb)}.",
                sa.source,
                sb.source,
                where,
            )
        )
        out.extend(_values(n, sa, sb, where))
        return out
    names_a = sorted(t.name for t in sa.tasks)
    names_b = sorted(t.name for t in sb.tasks)
    if names_a != names_b:
        out.append(
            Divergence(
                n,
                "tasks",
                f"{A_SIDE} ran {_task_list(sa.tasks)}; {B_SIDE} ran {_task_list(sb.tasks)}.",
                names_a,
                names_b,
                where,
            )
        )
        out.extend(_values(n, sa, sb, where))
        return out
    pairs = pair_tasks(sa.tasks, sb.tasks)
    outcome = [d for ta, tb in pairs if (d := _task_outcome(n, ta, tb, where)) is not None]
    out.extend(outcome[:1])
    routes = [d for ta, tb in pairs if (d := _task_routes(n, ta, tb, where)) is not None]
    out.extend(routes[:1])
    calls = [d for ta, tb in pairs if (d := calls_difference(n, ta, tb, where)) is not None]
    out.extend(calls[:1])
    writes = [d for ta, tb in pairs if (d := _task_writes(n, ta, tb, where)) is not None]
    out.extend(writes[:1])
    out.extend(_values(n, sa, sb, where))
    for ta, tb in pairs:
        out.extend(_subgraphs(ta, tb, ctx, where, n))
    return out


def _source_text(s: Superstep) -> str:
    return {
        "loop": "a loop step",
        "input": "an input",
        "update": "an update_state",
        "fork": "a fork (a replay from a past checkpoint)",
    }.get(s.source, f"a {s.source!r} checkpoint") + (
        f" ({', '.join(squash([t.name for t in s.tasks]))})" if s.tasks else ""
    )


def _task_list(tasks: Sequence[Task]) -> str:
    return ", ".join(squash([t.name for t in tasks])) if tasks else "no task"


# --------------------------------------------------------------------------- tasks


def pair_tasks(a: Sequence[Task], b: Sequence[Task]) -> list[tuple[Task, Task]]:
    """Tasks of the same name paired in order (their path order: Send index, call order)."""
    by_b: dict[str, list[Task]] = {}
    for t in b:
        by_b.setdefault(t.name, []).append(t)
    used: dict[str, int] = {}
    out: list[tuple[Task, Task]] = []
    for t in a:
        k = used.get(t.name, 0)
        others = by_b.get(t.name, [])
        if k < len(others):
            out.append((t, others[k]))
        used[t.name] = k + 1
    return out


def task_differs(ta: Task, tb: Task, ctx: ThreadPair, n: int) -> bool:
    """A paired task ended otherwise, wrote otherwise, made other calls or ran a subgraph
    that diverged."""
    oa, ob = known_results(task_result(ta), task_result(tb))
    return bool(
        oa != ob
        or writes_of(ta) != writes_of(tb)
        or calls_difference(n, ta, tb, "") is not None
        or _subgraphs(ta, tb, ctx, "", n)
    )


def _task_outcome(n: int, ta: Task, tb: Task, where: str) -> Divergence | None:
    oa, ob = known_results(task_result(ta), task_result(tb))
    if oa == ob:
        return None
    # ended otherwise (failed, paused, finished): the runs did different things; the same
    # ending with other retries or another error text is a lesser difference
    rank = "tasks" if oa["status"] != ob["status"] else "writes"
    return Divergence(
        n,
        "outcome",
        f"{node_name(ta.name)} {result_text(oa)} in {A_SIDE} but {result_text(ob)} in {B_SIDE}.",
        oa,
        ob,
        where,
        rank,
    )


def _routes(t: Task) -> list[str]:
    """Where a task sent the run: its routing writes (edges taken, ``Command(goto=...)``) and
    the nodes of its Sends, each Send counted."""
    out = sorted(str(ch)[len(BRANCH_TO) :] for ch, _ in t.writes if str(ch).startswith(BRANCH_TO))
    sends = [_send_node(v) for ch, v in t.writes if ch == TASKS]
    return out + sorted(f"{n} (Send)" for n in sends)


def _send_node(v: Any) -> str:
    if isinstance(v, dict):
        fields = v.get("$fields") if isinstance(v.get("$fields"), dict) else v
        node = fields.get("node") if isinstance(fields, dict) else None
        if isinstance(node, str):
            return node
    return "?"


def _task_routes(n: int, ta: Task, tb: Task, where: str) -> Divergence | None:
    ra, rb = _routes(ta), _routes(tb)
    if ra == rb:
        return None
    return Divergence(
        n,
        "routes",
        f"{node_name(ta.name)} routed to {_route_text(ra)} in {A_SIDE} but to {_route_text(rb)} "
        f"in {B_SIDE}.",
        ra,
        rb,
        where,
    )


def _route_text(routes: list[str]) -> str:
    return ", ".join(squash(routes)) if routes else "nowhere"


def _task_writes(n: int, ta: Task, tb: Task, where: str) -> Divergence | None:
    """How a paired task's writes differ, routes aside (see :func:`_task_routes`), unless
    they differ only in the messages that differing calls made (told as those calls)."""
    wa = [w for w in writes_of(ta) if not _is_route(w[0])]
    wb = [w for w in writes_of(tb) if not _is_route(w[0])]
    if wa == wb or calls_explain(ta, tb, wa, wb):
        return None
    ca, cb = by_channel(wa), by_channel(wb)
    parts: list[str] = []
    for ch in unique([*ca, *cb]):
        va, vb = ca.get(ch), cb.get(ch)
        if va == vb:
            continue
        label = channel_label(ch)
        if va is None:
            parts.append(f"only {B_SIDE} {label}: {values_text(vb)}")
        elif vb is None:
            parts.append(f"only {A_SIDE} {label}: {values_text(va)}")
        elif len(va) == len(vb) == 1 and not is_internal_channel(ch):
            at, text_a, text_b = contrast(ch, va[0], vb[0])
            parts.append(f"{channel_label(at)}: {A_SIDE} {text_a}, {B_SIDE} {text_b}")
        else:
            parts.append(f"{label}: {A_SIDE} {values_text(va)}, {B_SIDE} {values_text(vb)}")
    # __start__ writes the input: a difference in what was given, not in what the graph did
    rank = "values" if ta.name == START else "writes"
    return Divergence(
        n,
        "writes",
        f"{node_name(ta.name)} wrote differently: {'; '.join(parts)}.",
        wa,
        wb,
        where,
        rank,
    )


def _is_route(ch: str) -> bool:
    return ch.startswith(BRANCH_TO)


# --------------------------------------------------------------------------- values


def _values(n: int, sa: Superstep, sb: Superstep, where: str) -> list[Divergence]:
    ca = compared_channels(sa)
    cb = compared_channels(sb)
    if ca == cb:
        return []
    keys = unique([*ca, *cb])
    differ = [k for k in keys if ca.get(k, _ABSENT) != cb.get(k, _ABSENT)]
    state = [k for k in differ if not is_internal_channel(k)]
    parts: list[str] = []
    for k in state[:4]:
        va, vb = ca.get(k, _ABSENT), cb.get(k, _ABSENT)
        if va is _ABSENT or vb is _ABSENT:
            parts.append(f"{k} is {_opt(va)} in {A_SIDE} but {_opt(vb)} in {B_SIDE}")
            continue
        # a long value is shown from where the sides differ, not cut at the same place
        at, ta, tb = contrast(k, va, vb)
        if ta == tb:  # contrast found no part that reads differently
            parts.append(f"{at} differs where its text does not show it (both read {ta})")
        else:
            parts.append(f"{at} is {ta} in {A_SIDE} but {tb} in {B_SIDE}")
    if len(state) > 4:
        parts.append(f"and {len(state) - 4} more state keys")
    lead = "after the step, "
    if START in differ and sa.source == "input":
        lead = ""
        parts.insert(
            0,
            f"the input is {_opt(ca.get('__start__', _ABSENT))} in {A_SIDE} but "
            f"{_opt(cb.get('__start__', _ABSENT))} in {B_SIDE}",
        )
    if not parts:
        parts.append(f"{', '.join(differ[:4])} differ")
    return [
        Divergence(
            n,
            "values",
            f"{lead}{'; '.join(parts)}.",
            {k: ca.get(k) for k in differ},
            {k: cb.get(k) for k in differ},
            where,
        )
    ]


_ABSENT: Any = object()


def _opt(v: Any) -> str:
    return "absent" if v is _ABSENT else describe_value(v)


# --------------------------------------------------------------------------- subgraph runs


def _subgraphs(ta: Task, tb: Task, ctx: ThreadPair, where: str, n: int) -> list[Divergence]:
    out: list[Divergence] = []
    for k, (na, nb) in enumerate(zip(ta.subgraphs, tb.subgraphs, strict=False)):
        space_a = ctx.thread_a.namespaces.get(na)
        space_b = ctx.thread_b.namespaces.get(nb)
        if space_a is None or space_b is None:
            continue
        inner = f"{where}|{ta.name}" if where else ta.name
        if len(ta.subgraphs) > 1:
            inner += f"[{k}]"
        _, diffs = compare_steps(space_a.get_branch(), space_b.get_branch(), ctx, inner)
        if diffs:
            d = diffs[0]
            out.append(
                Divergence(
                    n,
                    d.kind,
                    f"inside {ta.name}'s subgraph run, at its step {d.step}: {d.details}",
                    d.a,
                    d.b,
                    d.subgraph,
                    d.rank,
                )
            )
    if len(ta.subgraphs) != len(tb.subgraphs):
        out.append(
            Divergence(
                n,
                "tasks",
                f"{ta.name} ran {len(ta.subgraphs)} subgraph run(s) in {A_SIDE}, "
                f"{len(tb.subgraphs)} in {B_SIDE}.",
                len(ta.subgraphs),
                len(tb.subgraphs),
                where,
            )
        )
    return out


# --------------------------------------------------------------------------- the outcome


def compare_outcomes(ta: Thread, tb: Thread) -> list[Divergence]:
    """How the two threads ended, when that differs (a divergence of step ``None``)."""
    oa, ob = thread_outcome(ta), thread_outcome(tb)
    if oa == ob:
        return []
    return [
        Divergence(
            None,
            "outcome",
            f"{A_SIDE} ended {outcome_text(oa)}; {B_SIDE} ended {outcome_text(ob)}.",
            oa,
            ob,
        )
    ]


# --------------------------------------------------------------------------- text


def squash(names: Sequence[str]) -> list[str]:
    """The names, each once and as the graph draws them (``__start__`` is ``start``), a repeated
    one counted: ``["a", "a", "b"]`` -> ``["a x2", "b"]``."""
    counts: dict[str, int] = {}
    for n in map(node_name, names):
        counts[n] = counts.get(n, 0) + 1
    return [n if k == 1 else f"{n} x{k}" for n, k in counts.items()]


def unique(items: Iterable[str]) -> list[str]:
    """The items, each once, in the order first seen."""
    return list(dict.fromkeys(items))
