"""The differences two compared runs can have, and the aligned steps that hold them.

:class:`Divergence` is one difference, ranked (:data:`RANKS`); :class:`StepRow` one aligned step
with its differences. Details are written with stand-ins for the sides' labels (``A_SIDE``,
``B_SIDE``), put in by :func:`relabel` once the caller knows them. Used by :mod:`._compare_steps`
and :mod:`._compare_calls`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["DIVERGENCE_KINDS", "RANKS", "Divergence", "StepRow", "a_but_b", "relabel"]

DIVERGENCE_KINDS = (
    "source",
    "tasks",
    "routes",
    "outcome",
    "calls",
    "writes",
    "values",
    "missing",
)
"""The kinds of divergence, in the order they are looked for within one step."""

RANKS = ("tasks", "writes", "values")
"""How much a difference matters, most first: the runs did different things (other tasks, other
routes, a step one side lacks, a task that failed or paused on one side only), then the same
tasks did other things inside or wrote differently (other writes; other calls: a model asked
for other tools or arguments, another model answered, a tool ran with other arguments or failed
on one side only), then only the values differ (the input, what the same writes made, a model's
answer text or a tool's result alone).
"""

_RANK_OF_KIND = {
    "source": "tasks",
    "tasks": "tasks",
    "routes": "tasks",
    "missing": "tasks",
    "outcome": "tasks",
    "calls": "writes",
    "writes": "writes",
    "values": "values",
}


# --------------------------------------------------------------------------- divergences


@dataclass(frozen=True)
class Divergence:
    """One way the two sides differ.

    Attributes:
        step: the step number (``None`` for how the whole run ended).
        kind: one of :data:`DIVERGENCE_KINDS`, or ``"outcome"`` for how the run ended.
        details: a human-readable sentence.
        a, b: the differing things on each side, as plain data (``None`` when absent).
        subgraph: the node path of the subgraph run where it happened (``""``: this graph).
        rank: how much it matters, one of :data:`RANKS` (by default from ``kind``; the input's
            own writes, and a task's retries or error text when it ended the same way, rank
            lower than their kind).
    """

    step: int | None
    kind: str
    details: str
    a: Any = None
    b: Any = None
    subgraph: str = ""
    rank: str = ""

    def __post_init__(self) -> None:
        if not self.rank:
            object.__setattr__(self, "rank", _RANK_OF_KIND.get(self.kind, "tasks"))

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "step": self.step,
            "kind": self.kind,
            "details": self.details,
            "a": self.a,
            "b": self.b,
            "subgraph": self.subgraph,
            "rank": self.rank,
        }


@dataclass
class StepRow:
    """One aligned step: what each side did there, and how they differ.

    ``step`` is side A's step number (B's where A has none); two branches of one thread are
    aligned by lineage, so after a fork's own ``update_state`` B's numbers may run ahead of
    A's (each side's number is in ``a["step"]`` and ``b["step"]``). ``fork_point`` marks the
    fork's own checkpoint (its ``update_state`` or replay), which only the fork has and which
    is not a difference.
    """

    step: int
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    differences: list[Divergence] = field(default_factory=list)
    fork_point: bool = False

    @property
    def same(self) -> bool:
        """Both sides did the same thing at this step."""
        return not self.differences

    @property
    def kind(self) -> str | None:
        """How much the step differs: the first of :data:`RANKS` among its differences
        (``"tasks"``, ``"writes"`` or ``"values"``), or ``None`` where the sides agree."""
        ranks = {d.rank for d in self.differences}
        return next((r for r in RANKS if r in ranks), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"step", "a", "b", "same", "kind", "fork_point", "differences"}``."""
        return {
            "step": self.step,
            "a": self.a,
            "b": self.b,
            "same": self.same,
            "kind": self.kind,
            "fork_point": self.fork_point,
            "differences": [d.to_dict() for d in self.differences],
        }


# --------------------------------------------------------------------------- labels


A_SIDE = "\x00A\x00"  # stand-ins for the sides' labels in details, put in by relabel
B_SIDE = "\x00B\x00"


def a_but_b(what: str, a: str, b: str) -> str:
    """``<what> <a> in A but <b> in B``, the sides' labels put in by :func:`relabel`."""
    return f"{what} {a} in {A_SIDE} but {b} in {B_SIDE}"


def relabel(d: Divergence, labels: tuple[str, str]) -> Divergence:
    text = d.details.replace(A_SIDE, labels[0]).replace(B_SIDE, labels[1])
    return replace(d, details=text)
