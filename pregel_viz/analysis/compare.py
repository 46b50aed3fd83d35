"""Compare two recorded runs (or two branches of one thread) superstep by superstep.

Supersteps are aligned by step number along each side's branch (the thread's main branch
unless one is chosen); two branches of one thread are aligned by lineage, so a fork's own
``update_state`` stands alone and is not a difference. Each differing step is ranked by what
differs most (:data:`RANKS`): other tasks or routes (a different source, tasks, routing, a
step one side lacks, a task that failed or paused on one side only), then other writes or other
calls by the same tasks (another model, other tool calls: see :mod:`._compare_calls`), then
values only (the input, what the same writes made, a model's answer text or a tool's result
alone). The first divergence is the first step of the highest rank found: where the runs first
did different things. Ids, timings, token counts and checkpoint ids never count. ::

    result = pregel_viz.compare(run_a, run_b)
    result.identical, result.first        # Divergence(step=1, kind="routes", rank="tasks", ...)
                                           # kinds: DIVERGENCE_KINDS ("calls": inside a task)
    result.first_row.kind                  # "tasks" | "writes" | "values"
    print(result)                          # a side-by-side table and every difference, ranked

    pregel_viz.compare_fork(run)           # the newest branch of a thread against its parent
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Namespace, Run, Superstep, Thread
from ._comparable import norm as _norm  # noqa: F401  (importable here under its old name)
from ._compare_steps import (
    DIVERGENCE_KINDS,
    RANKS,
    Divergence,
    StepRow,
    ThreadPair,
    compare_outcomes,
    compare_steps,
    pair_tasks,
    relabel,
    squash,
    task_differs,
    unique,
)
from .export import json_safe

__all__ = [
    "DIVERGENCE_KINDS",
    "FORK_LABELS",
    "RANKS",
    "Comparison",
    "Divergence",
    "Fork",
    "StepRow",
    "branches",
    "compare",
    "compare_fork",
    "differing_nodes",
    "find_fork",
    "fork_branches",
    "main_branch",
]

KINDS = DIVERGENCE_KINDS
"""The former name of :data:`DIVERGENCE_KINDS` (not the log's event kinds,
:data:`pregel_viz.events.KINDS`)."""

FORK_LABELS = ("parent", "fork")
"""What :func:`compare_fork` calls its two sides."""


# --------------------------------------------------------------------------- the result


@dataclass
class Comparison:
    """The result of :func:`compare`.

    ``first`` is the first divergence of the highest rank found (see :data:`RANKS`): the
    first step where the runs did different things, else where the same tasks wrote
    differently, else where only values differ, else how the runs ended. ``differences``
    lists every difference in step order; :meth:`ranked` lists the differing steps by rank.
    """

    identical: bool
    first: Divergence | None
    rows: list[StepRow]
    differences: list[Divergence]
    label_a: str = "A"
    label_b: str = "B"

    @property
    def first_row(self) -> StepRow | None:
        """The aligned step of the first divergence (``None`` when identical, or when only how
        the runs ended differs)."""
        first = self.first
        return next((r for r in self.rows if any(d is first for d in r.differences)), None)

    def ranked(self) -> list[StepRow]:
        """The differing steps, those of the highest rank first (in step order within one)."""
        order = {k: i for i, k in enumerate(RANKS)}
        return sorted(
            (r for r in self.rows if not r.same), key=lambda r: order.get(r.kind or "", 9)
        )

    def counts(self) -> dict[str, int]:
        """How many steps differ at each rank: ``{"tasks": n, "writes": n, "values": n}``."""
        out = dict.fromkeys(RANKS, 0)
        for r in self.rows:
            if r.kind is not None:
                out[r.kind] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data for a side-by-side viewer (recorded bytes and non-finite numbers
        as tagged maps, see :func:`pregel_viz.analysis.export.json_safe`). Each row carries
        its ``kind`` (rank), each difference its ``rank``; ``counts`` has the steps per rank."""
        doc = {
            "identical": self.identical,
            "first": self.first.to_dict() if self.first is not None else None,
            "labels": [self.label_a, self.label_b],
            "rows": [r.to_dict() for r in self.rows],
            "differences": [d.to_dict() for d in self.differences],
            "counts": self.counts(),
        }
        return json_safe(doc)  # type: ignore[no-any-return]

    def text(self) -> str:
        """A verdict, a side-by-side table of the steps, and every difference, ranked."""
        a, b = self.label_a, self.label_b
        row_of = {id(d): r for r in self.rows for d in r.differences}
        lines: list[str] = []
        if self.identical and not self.rows:
            lines.append(f"identical: neither {a} nor {b} recorded a superstep here.")
        elif self.identical:
            lines.append(
                f"identical: {a} and {b} made the same steps: {_steps_made(self.rows)}, "
                "with the same tasks, writes, values and outcome."
            )
        else:
            assert self.first is not None
            lines.append(
                f"first divergence: {self._where(self.first, row_of)}: {self.first.details}"
            )
            lines.append(self._tally())
        lines.append("")
        width = max([len(a), *(len(_cell(r.a)) for r in self.rows), 10])
        width = min(width, 48)
        lines.append(f"{'step':>5}  {a:<{width}}  {b}")
        for r in self.rows:
            mark = ""
            if r.fork_point:
                mark = "   (where the fork left: not a difference)"
            elif not r.same:
                kinds = ", ".join(unique(d.kind for d in r.differences))
                mark = f"   <- {r.kind}: {kinds}" if r.kind != "values" else "   ~ values only"
            cell_b = _cell(r.b)
            if r.a and r.b and r.a.get("step") != r.b.get("step"):
                cell_b = f"[step {r.b.get('step')}] {cell_b}"
            lines.append(f"{r.step:>5}  {_cell(r.a)[:width]:<{width}}  {cell_b}{mark}")
        if not self.identical:
            lines.append("")
            lines.append(
                "differences (other tasks or routes first, then writes and calls, then values):"
            )
            order = {k: i for i, k in enumerate(RANKS)}
            ranked = sorted(
                self.differences,
                key=lambda d: -1 if d.step is None else order.get(d.rank, 9),
            )
            lines.extend(f"  {self._where(d, row_of)}: {d.details}" for d in ranked)
        return "\n".join(lines)

    def _tally(self) -> str:
        c = self.counts()
        words = {
            "tasks": "with other tasks or routes",
            "writes": "with other writes or calls",
            "values": "with other values only",
        }
        parts = [f"{n} {words[k]}" for k, n in c.items() if n]
        return "differing steps: " + ("; ".join(parts) if parts else "none") + "."

    def _where(self, d: Divergence, row_of: dict[int, StepRow]) -> str:
        if d.step is None:
            return "the outcome"
        where = f"step {d.step} ({d.kind})"
        row = row_of.get(id(d))
        if row is not None and row.a and row.b and row.a.get("step") != row.b.get("step"):
            where = (
                f"step {row.a.get('step')} of {self.label_a}, {row.b.get('step')} of "
                f"{self.label_b} ({d.kind})"
            )
        if d.subgraph:
            where += f" in subgraph {d.subgraph}"
        return where

    def __str__(self) -> str:
        return self.text()


def _steps_made(rows: list[StepRow]) -> str:
    """The aligned steps as the narration names them: ``the input and supersteps 0 to 3``."""
    is_input = [(r.a or r.b or {}).get("source") == "input" for r in rows]
    loop = [r.step for r, given in zip(rows, is_input, strict=True) if not given]
    inputs = sum(is_input)
    parts = []
    if inputs:
        parts.append("the input" if inputs == 1 else f"{inputs} inputs")
    if len(loop) == 1:
        parts.append(f"superstep {loop[0]}")
    elif loop:
        parts.append(f"supersteps {loop[0]} to {loop[-1]}")
    return " and ".join(parts)


def _cell(side: dict[str, Any] | None) -> str:
    if side is None:
        return "-"
    tasks = side.get("tasks") or []
    if side.get("source") != "loop":
        label = f"({side.get('source')})"
        return label if not tasks else f"{label} {', '.join(tasks)}"
    text = ", ".join(squash(tasks)) if tasks else "(no task)"
    if side.get("checkpoint_id") is None:
        text += " [no checkpoint]"
    return text


# --------------------------------------------------------------------------- branches


def branches(namespace: Namespace) -> list[list[Superstep]]:
    """The root-to-leaf branches of a namespace's supersteps: :meth:`Namespace.branches
    <pregel_viz.model.Namespace.branches>` (the last one is the thread's current, main, branch).
    """
    return namespace.branches()


def main_branch(namespace: Namespace) -> list[Superstep]:
    """The branch the namespace's newest superstep is on (what ``get_state`` shows now)."""
    return namespace.get_branch()


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
    rows, diffs = compare_steps(steps_a, steps_b, ThreadPair(ta, tb), "")
    whole_threads = branch_a is None and branch_b is None and not ns and ta is not tb
    if whole_threads:
        diffs.extend(compare_outcomes(ta, tb))
    named = {id(d): relabel(d, labels) for d in diffs}
    for r in rows:  # the rows hold the very differences the list holds
        r.differences = [named.get(id(d)) or relabel(d, labels) for d in r.differences]
    diffs = list(named.values())
    return Comparison(
        identical=not diffs,
        first=_first(rows, diffs),
        rows=rows,
        differences=diffs,
        label_a=labels[0],
        label_b=labels[1],
    )


def _first(rows: list[StepRow], diffs: list[Divergence]) -> Divergence | None:
    """The first divergence of the highest rank: of the first step of that rank, its
    difference of that rank (how the runs ended when no step differs)."""
    for rank in RANKS:
        for r in rows:
            if r.kind == rank:
                return next(d for d in r.differences if d.rank == rank)
    return diffs[0] if diffs else None


def compare_fork(
    run: Run, *, thread: str | None = None, ns: str = "", branch: int = -1
) -> Comparison:
    """Compare a branch of one thread (default: the main one) against the branch it forked from.

    The parent branch is the other branch sharing the longest run of supersteps with it from
    the start (the earliest such branch on a tie). With a single branch the comparison is of
    the branch with itself, and ``identical``.
    """
    found = find_fork(run, thread=thread, ns=ns, branch=branch)
    if found.fork is None:
        return Comparison(True, None, [], [], *FORK_LABELS)
    return compare(
        run,
        run,
        thread_a=found.thread,
        thread_b=found.thread,
        ns=found.ns,
        branch_a=found.parent,
        branch_b=found.fork,
        labels=FORK_LABELS,
    )


@dataclass(frozen=True)
class Fork:
    """What :func:`compare_fork` compares: two branches of one namespace of a thread.

    Attributes:
        thread: the thread's id.
        ns: the namespace's runtime namespace (``""``: the root graph).
        parent, fork: indexes into :func:`branches` of the namespace (see
            :func:`fork_branches`); both ``None`` when the namespace has no superstep.
    """

    thread: str
    ns: str
    parent: int | None
    fork: int | None


def find_fork(run: Run, *, thread: str | None = None, ns: str = "", branch: int = -1) -> Fork:
    """The thread, namespace and branches :func:`compare_fork` compares (the arguments are
    its own); for a side-by-side view of the same comparison."""
    th = run.get_thread(thread)
    space = th.get_namespace(ns)
    if not branches(space):
        return Fork(th.thread_id, space.ns, None, None)
    parent, index = fork_branches(run, thread=th.thread_id, ns=space.ns, branch=branch)
    return Fork(th.thread_id, space.ns, parent, index)


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
    ctx = ThreadPair(thread_a, thread_b)
    count_a: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for t in sa.tasks:
        count_a[t.name] = count_a.get(t.name, 0) + 1
    for t in sb.tasks:
        count_b[t.name] = count_b.get(t.name, 0) + 1
    differ = {n for n in {*count_a, *count_b} if count_a.get(n, 0) != count_b.get(n, 0)}
    for ta, tb in pair_tasks(sa.tasks, sb.tasks):
        if ta.name in differ:
            continue
        if task_differs(ta, tb, ctx, sa.step):
            differ.add(ta.name)
    return [[n for n in names(sa) if n in differ], [n for n in names(sb) if n in differ]]
