"""Compare two recorded runs (or two branches of one thread) superstep by superstep.

Supersteps are aligned by step number along each side's branch (the thread's main branch
unless one is chosen), and the first place they part is named: a different source (a loop
step against an ``update_state``, say), different tasks, a different task outcome (an error,
an interrupt, retries), different writes, or different values. Ids, timings and checkpoint ids
never count. ::

    result = pregel_viz.compare(run_a, run_b)
    result.identical, result.first        # Divergence(step=2, kind="tasks", details=...)
    print(result)                          # a side-by-side table and every difference

    pregel_viz.compare_fork(run)           # the newest branch of a thread against its parent
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
from ..model import UNKNOWN, Namespace, Run, Superstep, Task, Thread
from .export import json_safe
from .narrate import describe_value

__all__ = [
    "KINDS",
    "Comparison",
    "Divergence",
    "StepRow",
    "branches",
    "compare",
    "compare_fork",
    "differing_nodes",
    "fork_branches",
    "main_branch",
]

KINDS = ("source", "tasks", "outcome", "writes", "values", "missing")
"""The kinds of divergence, in the order they are looked for within one step."""

_WRITES_SKIPPED = (INTERRUPT, RESUME, ERROR)


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class Divergence:
    """One way the two sides differ.

    Attributes:
        step: the step number (``None`` for how the whole run ended).
        kind: one of :data:`KINDS`, or ``"outcome"`` for how the run ended.
        details: a human-readable sentence.
        a, b: the differing things on each side, as plain data (``None`` when absent).
        subgraph: the node path of the subgraph run where it happened (``""``: this graph).
    """

    step: int | None
    kind: str
    details: str
    a: Any = None
    b: Any = None
    subgraph: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "step": self.step,
            "kind": self.kind,
            "details": self.details,
            "a": self.a,
            "b": self.b,
            "subgraph": self.subgraph,
        }


@dataclass
class StepRow:
    """One aligned step: what each side did there, and how they differ."""

    step: int
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    differences: list[Divergence] = field(default_factory=list)

    @property
    def same(self) -> bool:
        """Both sides did the same thing at this step."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"step", "a", "b", "same", "differences"}``."""
        return {
            "step": self.step,
            "a": self.a,
            "b": self.b,
            "same": self.same,
            "differences": [d.to_dict() for d in self.differences],
        }


@dataclass
class Comparison:
    """The result of :func:`compare`."""

    identical: bool
    first: Divergence | None
    rows: list[StepRow]
    differences: list[Divergence]
    label_a: str = "A"
    label_b: str = "B"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data for a side-by-side viewer (recorded bytes and non-finite numbers
        as tagged maps, see :func:`pregel_viz.analysis.export.json_safe`)."""
        doc = {
            "identical": self.identical,
            "first": self.first.to_dict() if self.first is not None else None,
            "labels": [self.label_a, self.label_b],
            "rows": [r.to_dict() for r in self.rows],
            "differences": [d.to_dict() for d in self.differences],
        }
        return json_safe(doc)  # type: ignore[no-any-return]

    def text(self) -> str:
        """A verdict, a side-by-side table of the steps, and every difference."""
        a, b = self.label_a, self.label_b
        lines: list[str] = []
        if self.identical and not self.rows:
            lines.append(f"identical: neither {a} nor {b} recorded a superstep here.")
        elif self.identical:
            steps = [r.step for r in self.rows]
            span = f" {steps[0]}..{steps[-1]}"
            lines.append(
                f"identical: {a} and {b} made the same supersteps{span}, with the same tasks, "
                "writes, values and outcome."
            )
        else:
            assert self.first is not None
            lines.append(f"first divergence: {_where(self.first)}: {self.first.details}")
        lines.append("")
        width = max([len(a), *(len(_cell(r.a)) for r in self.rows), 10])
        width = min(width, 48)
        lines.append(f"{'step':>5}  {a:<{width}}  {b}")
        for r in self.rows:
            mark = "" if r.same else "   <- " + ", ".join(_unique(d.kind for d in r.differences))
            lines.append(f"{r.step:>5}  {_cell(r.a)[:width]:<{width}}  {_cell(r.b)}{mark}")
        if not self.identical:
            lines.append("")
            lines.append("differences:")
            lines.extend(f"  {_where(d)}: {d.details}" for d in self.differences)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def _where(d: Divergence) -> str:
    where = "the outcome" if d.step is None else f"step {d.step} ({d.kind})"
    if d.subgraph and d.step is not None:
        where += f" in subgraph {d.subgraph}"
    return where


def _cell(side: dict[str, Any] | None) -> str:
    if side is None:
        return "-"
    tasks = side.get("tasks") or []
    if side.get("source") != "loop":
        label = f"({side.get('source')})"
        return label if not tasks else f"{label} {', '.join(tasks)}"
    text = ", ".join(_squash(tasks)) if tasks else "(no task)"
    if side.get("checkpoint_id") is None:
        text += " [no checkpoint]"
    return text


def _squash(names: Sequence[str]) -> list[str]:
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return [n if k == 1 else f"{n} x{k}" for n, k in counts.items()]


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


# --------------------------------------------------------------------------- branches


def branches(namespace: Namespace) -> list[list[Superstep]]:
    """The root-to-leaf branches of a namespace's supersteps: :meth:`Namespace.branches
    <pregel_viz.model.Namespace.branches>` (the last one is the thread's current, main, branch).
    """
    return namespace.branches()


def main_branch(namespace: Namespace) -> list[Superstep]:
    """The branch the namespace's newest superstep is on (what ``get_state`` shows now)."""
    found = branches(namespace)
    return found[-1] if found else []


# --------------------------------------------------------------------------- compare


def compare(
    run_a: Run,
    run_b: Run,
    *,
    thread_a: str | None = None,
    thread_b: str | None = None,
    ns: str = "",
    branch_a: int | None = None,
    branch_b: int | None = None,
    labels: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Compare two runs superstep by superstep and name the first divergence.

    Args:
        run_a, run_b: the runs (the same run twice to compare two of its threads or branches).
        thread_a, thread_b: the threads to compare (default: each run's last thread).
        ns: the namespace: ``""`` for the root graph, or a subgraph's node path (``child``,
            ``mid|leaf``) or runtime namespace; a node path picks the first run of that
            subgraph on each side.
        branch_a, branch_b: indexes into :func:`branches` of each side (default: the main
            branch).
        labels: what to call the two sides in the text.

    Returns:
        A :class:`Comparison`: ``identical``, the ``first`` :class:`Divergence`, per-step
        ``rows`` and every difference.
    """
    ta, tb = run_a.get_thread(thread_a), run_b.get_thread(thread_b)
    space_a, space_b = ta.get_namespace(ns), tb.get_namespace(ns)
    steps_a = space_a.get_branch(branch_a)
    steps_b = space_b.get_branch(branch_b)
    ctx = _Ctx(ta, tb)
    rows, diffs = _compare_steps(steps_a, steps_b, ctx, "")
    whole_threads = branch_a is None and branch_b is None and not ns and ta is not tb
    if whole_threads:
        oa, ob = _outcome(ta), _outcome(tb)
        if oa != ob:
            diffs.append(
                Divergence(
                    None,
                    "outcome",
                    f"{_A} ended {_outcome_text(oa)}; {_B} ended {_outcome_text(ob)}.",
                    oa,
                    ob,
                )
            )
    diffs = [_relabel(d, labels) for d in diffs]
    for r in rows:
        r.differences = [_relabel(d, labels) for d in r.differences]
    return Comparison(
        identical=not diffs,
        first=diffs[0] if diffs else None,
        rows=rows,
        differences=diffs,
        label_a=labels[0],
        label_b=labels[1],
    )


def compare_fork(
    run: Run, *, thread: str | None = None, ns: str = "", branch: int = -1
) -> Comparison:
    """Compare a branch of one thread (default: the main one) against the branch it forked from.

    The parent branch is the other branch sharing the longest run of supersteps with it from
    the start (the earliest such branch on a tie). With a single branch the comparison is of
    the branch with itself, and ``identical``.
    """
    th = run.get_thread(thread)
    space = th.get_namespace(ns)
    if not branches(space):
        return Comparison(True, None, [], [], "parent", "fork")
    parent, index = fork_branches(run, thread=th.thread_id, ns=space.ns, branch=branch)
    return compare(
        run,
        run,
        thread_a=th.thread_id,
        thread_b=th.thread_id,
        ns=space.ns,
        branch_a=parent,
        branch_b=index,
        labels=("parent", "fork"),
    )


def fork_branches(
    run: Run, *, thread: str | None = None, ns: str = "", branch: int = -1
) -> tuple[int, int]:
    """The indexes into :func:`branches` that :func:`compare_fork` compares: (parent, fork).

    ``branch`` picks the fork (default: the main branch); its parent is the other branch
    sharing the longest run of supersteps with it from the start. A namespace with one branch
    gives ``(0, 0)``.
    """
    found = run.get_thread(thread).get_namespace(ns).branches()
    if not found:
        raise IndexError(f"no supersteps in namespace {ns!r}: nothing to compare")
    index = branch % len(found)
    mine = found[index]
    best, best_len = index, -1
    for i, other in enumerate(found):
        if i == index:
            continue
        shared = 0
        for x, y in zip(mine, other, strict=False):
            if x is not y:
                break
            shared += 1
        if shared > best_len:
            best, best_len = i, shared
    return best, index


def differing_nodes(
    sa: Superstep | None, sb: Superstep | None, thread_a: Thread, thread_b: Thread
) -> list[list[str]]:
    """The nodes of each side whose tasks differ at one aligned step (each name once).

    ``sa`` and ``sb`` are the step's supersteps on each side (``None`` where a side has none),
    ``thread_a`` and ``thread_b`` the threads they belong to (for their subgraph runs). A node
    differs when it ran a different number of tasks, or a task of it ended otherwise, wrote
    otherwise or ran a subgraph that diverged; with one side missing, or supersteps of
    different sources, every node of each side differs.
    """

    def names(s: Superstep | None) -> list[str]:
        return list(dict.fromkeys(t.name for t in s.tasks)) if s is not None else []

    if sa is None or sb is None or sa.source != sb.source:
        return [names(sa), names(sb)]
    ctx = _Ctx(thread_a, thread_b)
    count_a: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for t in sa.tasks:
        count_a[t.name] = count_a.get(t.name, 0) + 1
    for t in sb.tasks:
        count_b[t.name] = count_b.get(t.name, 0) + 1
    differ = {n for n in {*count_a, *count_b} if count_a.get(n, 0) != count_b.get(n, 0)}
    for ta, tb in _pair(sa.tasks, sb.tasks):
        if ta.name in differ:
            continue
        if (
            _task_result(ta) != _task_result(tb)
            or _writes(ta) != _writes(tb)
            or _subgraphs(ta, tb, ctx, "", sa.step)
        ):
            differ.add(ta.name)
    return [[n for n in names(sa) if n in differ], [n for n in names(sb) if n in differ]]


# --------------------------------------------------------------------------- internals


@dataclass
class _Ctx:
    thread_a: Thread
    thread_b: Thread


_A = "\x00A\x00"  # stand-ins for the sides' labels in details, put in by _relabel
_B = "\x00B\x00"


def _relabel(d: Divergence, labels: tuple[str, str]) -> Divergence:
    text = d.details.replace(_A, labels[0]).replace(_B, labels[1])
    return Divergence(d.step, d.kind, text, d.a, d.b, d.subgraph)


def _compare_steps(
    steps_a: list[Superstep], steps_b: list[Superstep], ctx: _Ctx, where: str
) -> tuple[list[StepRow], list[Divergence]]:
    by_a = {s.step: s for s in steps_a}
    by_b = {s.step: s for s in steps_b}
    numbers = sorted(set(by_a) | set(by_b))
    rows: list[StepRow] = []
    diffs: list[Divergence] = []
    last_a = max(by_a) if by_a else None
    last_b = max(by_b) if by_b else None
    for n in numbers:
        sa, sb = by_a.get(n), by_b.get(n)
        found: list[Divergence] = []
        if sa is None or sb is None:
            found.append(_missing(n, sa, sb, last_a, last_b, where))
        else:
            found.extend(_compare_step(n, sa, sb, ctx, where))
        rows.append(StepRow(n, _side(sa), _side(sb), found))
        diffs.extend(found)
    return rows, diffs


def _missing(
    n: int,
    sa: Superstep | None,
    sb: Superstep | None,
    last_a: int | None,
    last_b: int | None,
    where: str,
) -> Divergence:
    has, lacks = (_A, _B) if sb is None else (_B, _A)
    s = sa if sa is not None else sb
    assert s is not None
    last = last_b if sb is None else last_a
    tasks = ", ".join(_squash([t.name for t in s.tasks])) or f"({s.source})"
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


def _compare_step(n: int, sa: Superstep, sb: Superstep, ctx: _Ctx, where: str) -> list[Divergence]:
    out: list[Divergence] = []
    if sa.source != sb.source:
        out.append(
            Divergence(
                n,
                "source",
                f"{_A}'s step {n} is {_source_text(sa)}; {_B}'s is {_source_text(sb)}.",
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
                f"{_A} ran {_task_list(sa.tasks)}; {_B} ran {_task_list(sb.tasks)}.",
                names_a,
                names_b,
                where,
            )
        )
        out.extend(_values(n, sa, sb, where))
        return out
    pairs = _pair(sa.tasks, sb.tasks)
    outcome = [d for ta, tb in pairs if (d := _task_outcome(n, ta, tb, where)) is not None]
    out.extend(outcome[:1])
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
        f" ({', '.join(_squash([t.name for t in s.tasks]))})" if s.tasks else ""
    )


def _task_list(tasks: Sequence[Task]) -> str:
    return ", ".join(_squash([t.name for t in tasks])) if tasks else "no task"


def _pair(a: Sequence[Task], b: Sequence[Task]) -> list[tuple[Task, Task]]:
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


def _task_outcome(n: int, ta: Task, tb: Task, where: str) -> Divergence | None:
    oa, ob = _task_result(ta), _task_result(tb)
    if oa == ob:
        return None
    return Divergence(
        n,
        "outcome",
        f"{ta.name} {_result_text(oa)} in {_A} but {_result_text(ob)} in {_B}.",
        oa,
        ob,
        where,
    )


def _task_result(t: Task) -> dict[str, Any]:
    attempts = t.attempts if isinstance(t.attempts, list) else None
    return {
        "status": t.status,
        "error": _error(t.error),
        "interrupts": _norm(list(t.interrupts)),
        "attempts": None if attempts is None else [a.status for a in attempts],
    }


def _error(err: dict[str, Any] | None) -> dict[str, str] | None:
    if err is None:
        return None
    return {"type": str(err.get("type")), "message": str(err.get("message"))}


def _result_text(r: dict[str, Any]) -> str:
    status = r["status"]
    attempts = r.get("attempts") or []
    if status == "error" and r["error"]:
        text = f"failed ({r['error']['type']}: {r['error']['message']})"
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


def _task_writes(n: int, ta: Task, tb: Task, where: str) -> Divergence | None:
    wa, wb = _writes(ta), _writes(tb)
    if wa == wb:
        return None
    ca, cb = _by_channel(wa), _by_channel(wb)
    parts: list[str] = []
    routes_a = [ch[len(BRANCH_TO) :] for ch in ca if ch.startswith(BRANCH_TO)]
    routes_b = [ch[len(BRANCH_TO) :] for ch in cb if ch.startswith(BRANCH_TO)]
    if routes_a != routes_b:
        ra = ", ".join(routes_a) or "nowhere"
        rb = ", ".join(routes_b) or "nowhere"
        parts.append(f"routed to {ra} in {_A} but to {rb} in {_B}")
    for ch in _unique([*ca, *cb]):
        va, vb = ca.get(ch), cb.get(ch)
        if va == vb or ch.startswith(BRANCH_TO):
            continue
        label = _channel_label(ch)
        if va is None:
            parts.append(f"only {_B} {label}: {_values_text(vb)}")
        elif vb is None:
            parts.append(f"only {_A} {label}: {_values_text(va)}")
        else:
            parts.append(f"{label}: {_A} {_values_text(va)}, {_B} {_values_text(vb)}")
    return Divergence(
        n,
        "writes",
        f"{ta.name} wrote differently: {'; '.join(parts)}.",
        wa,
        wb,
        where,
    )


def _channel_label(ch: str) -> str:
    if ch.startswith(BRANCH_TO):
        return f"routed to {ch[len(BRANCH_TO) :]}"
    if ch == TASKS:
        return "sent"
    if ch.startswith(JOIN):
        return f"reported to the barrier of {ch.rsplit(':', 1)[-1]}"
    return f"wrote {ch}"


def _values_text(values: list[Any] | None) -> str:
    if not values:
        return "nothing"
    if len(values) == 1:
        return describe_value(values[0])
    return ", ".join(describe_value(v) for v in values)


def _writes(t: Task) -> list[list[Any]]:
    ws = [[str(ch), _norm(v)] for ch, v in t.writes if str(ch) not in _WRITES_SKIPPED]
    # LangGraph's order of a task's writes to different channels may follow set iteration
    # (string hashing differs between processes); within one channel the order is kept
    return sorted(ws, key=lambda w: str(w[0]))


def _by_channel(ws: list[list[Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for ch, v in ws:
        out.setdefault(ch, []).append(v)
    return out


def _values(n: int, sa: Superstep, sb: Superstep, where: str) -> list[Divergence]:
    ca = _compared_channels(sa)
    cb = _compared_channels(sb)
    if ca == cb:
        return []
    keys = _unique([*ca, *cb])
    differ = [k for k in keys if ca.get(k, _ABSENT) != cb.get(k, _ABSENT)]
    state = [k for k in differ if not is_internal_channel(k)]
    parts: list[str] = []
    for k in state[:4]:
        va, vb = ca.get(k, _ABSENT), cb.get(k, _ABSENT)
        parts.append(f"{k} is {_opt(va)} in {_A} but {_opt(vb)} in {_B}")
    if len(state) > 4:
        parts.append(f"and {len(state) - 4} more state keys")
    lead = "after the step, "
    if START in differ and sa.source == "input":
        lead = ""
        parts.insert(
            0,
            f"the input is {_opt(ca.get('__start__', _ABSENT))} in {_A} but "
            f"{_opt(cb.get('__start__', _ABSENT))} in {_B}",
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
_KEPT_INTERNAL = (START, END, PREVIOUS)


def _compared_channels(s: Superstep) -> dict[str, Any]:
    """The state keys' values (and the input, and a functional graph's result).

    LangGraph's routing and barrier channels are left out: what was routed and reported is in
    the writes, and LangGraph saves a barrier's set by reference in the background, so its
    saved value depends on timing.
    """
    return {
        k: _norm(v)
        for k, v in s.channels.items()
        if not is_internal_channel(k) or k in _KEPT_INTERNAL
    }


def _opt(v: Any) -> str:
    return "absent" if v is _ABSENT else describe_value(v)


def _subgraphs(ta: Task, tb: Task, ctx: _Ctx, where: str, n: int) -> list[Divergence]:
    out: list[Divergence] = []
    for k, (na, nb) in enumerate(zip(ta.subgraphs, tb.subgraphs, strict=False)):
        space_a = ctx.thread_a.namespaces.get(na)
        space_b = ctx.thread_b.namespaces.get(nb)
        if space_a is None or space_b is None:
            continue
        inner = f"{where}|{ta.name}" if where else ta.name
        if len(ta.subgraphs) > 1:
            inner += f"[{k}]"
        _, diffs = _compare_steps(main_branch(space_a), main_branch(space_b), ctx, inner)
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
                )
            )
    if len(ta.subgraphs) != len(tb.subgraphs):
        out.append(
            Divergence(
                n,
                "tasks",
                f"{ta.name} ran {len(ta.subgraphs)} subgraph run(s) in {_A}, "
                f"{len(tb.subgraphs)} in {_B}.",
                len(ta.subgraphs),
                len(tb.subgraphs),
                where,
            )
        )
    return out


def _outcome(t: Thread) -> dict[str, Any]:
    o = t.outcome
    return {
        "status": o.get("status"),
        "interrupts": _norm(list(o.get("interrupts") or [])),
        "error": _error(o.get("error")),
    }


def _outcome_text(o: dict[str, Any]) -> str:
    text = str(o["status"])
    if o["error"]:
        text += f" ({o['error']['type']}: {o['error']['message']})"
    if o["interrupts"]:
        text += f", waiting on interrupt({describe_value(o['interrupts'][-1])})"
    return text


# --- normalizing values -----------------------------------------------------------------------

_GENERATED_ID = re.compile(
    r"^(run-|lc_run--|lc_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+)?$"
)


def _norm(value: Any) -> Any:
    """Recorded data with what may differ between two identical runs taken out.

    Sets are sorted (their order follows string hashing, which differs between processes),
    and message ids that LangChain or LangGraph generated (uuids), or not yet, are dropped.
    """
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        t = value.get("$type")
        if isinstance(t, str) and isinstance(value.get("$items"), list):
            items = [_norm(v) for v in value["$items"]]
            return {"$type": t, "$items": sorted(items, key=_sort_key)}
        fields = value.get("$fields")
        if isinstance(t, str) and isinstance(fields, dict) and ".messages." in t:
            out = {k: _norm(v) for k, v in fields.items()}
            mid = out.get("id")
            # no id, or one LangChain/LangGraph made up (add_messages gives messages a uuid in
            # place, so a recorded write may show the message before or after it got one)
            if mid is None or (isinstance(mid, str) and _GENERATED_ID.match(mid)):
                out.pop("id", None)
            return {"$type": t, "$fields": out}
        return {k: _norm(v) for k, v in value.items()}
    if value is UNKNOWN:
        return None
    return value


def _sort_key(v: Any) -> str:
    try:
        return json.dumps(v, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(v)
