"""Two runs (or two branches of one thread) side by side: the viewer's data and its widget.

The compare view (``labextension/src/viewer/compare.ts``) shows two ordinary viewers
and one step control over the aligned rows of a
:class:`~pregel_viz.analysis.compare.Comparison`. Its document::

    {
      "version": 1,
      "a": <payload>, "b": <payload>,          # pregel_viz/payload.py, one per side
      "comparison": {
        ...Comparison.to_dict(),               # identical, first, labels, rows, differences
        "sides": [{"label", "thread", "ns", "branch", "filtered"}, {...}],
        "first_row": 2 | null,                 # the row of the first divergence (ranked)
        "rows": [{"step", "a", "b", "same", "kind", "fork_point", "differences",
                  "at": [{"step", "index"} | null, ...],   # each side's entry (null: none)
                  "nodes": [[name, ...], [name, ...]]}]    # each side's differing nodes
      }
    }

Each side's payload holds only the compared thread. When the compared branch is not what the
viewer shows for a step number (the parent branch of a fork: its step numbers were reused by
the newer branch), that namespace holds only the compared branch's supersteps, so the viewer is
positioned on the branch by step number.

A :class:`CompareDebugger`'s display also carries this document as
``application/vnd.pregel-viz-compare+json`` (``COMPARE_MIME``; its metadata, under the same key,
is ``{"row": <the row shown>}``): the pregel-viz JupyterLab extension shows the live widget while
it exists, and renders that output without a kernel once the notebook is saved and reopened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anywidget
import traitlets

from ..analysis.compare import FORK_LABELS, Comparison, compare, differing_nodes, find_fork
from ..analysis.export import json_safe
from ..model import Namespace, Run, Superstep, Thread
from ..reader import as_run
from .assets import bundle_file, viewer_assets, with_document
from .payload import build_payload

__all__ = [
    "COMPARE_MIME",
    "SIDE_BY_SIDE_VERSION",
    "CompareDebugger",
    "build_compare",
    "compare_payload",
    "compare_view",
    "fork_payload",
    "fork_view",
]

SIDE_BY_SIDE_VERSION = 1
# The output type of a saved side-by-side view: the data is the document above (what the widget
# gets); its metadata (under the same key) is the row to open at: {"row": n}.
COMPARE_MIME = "application/vnd.pregel-viz-compare+json"


@dataclass
class _Side:
    run: Run
    thread: Thread
    space: Namespace
    branch: int | None
    steps: list[Superstep]


def _side(run: Run, thread: str | None, ns: str, branch: int | None) -> _Side:
    th = run.get_thread(thread)
    space = th.get_namespace(ns)
    return _Side(run, th, space, branch, space.get_branch(branch))


def _side_run(side: _Side) -> tuple[Run, list[Superstep], bool]:
    """The run as this side's viewer gets it: the compared thread only, and the compared
    namespace cut down to the branch when the viewer would otherwise show another branch's
    superstep for one of its step numbers. Returns the run, the namespace's supersteps as the
    viewer has them, and whether it was cut."""
    space = side.space
    newest = {s.step: s for s in space.supersteps}
    cut = any(newest.get(s.step) is not s for s in side.steps)
    namespaces = dict(side.thread.namespaces)
    shown = space.supersteps
    if cut:
        shown = list(side.steps)
        namespaces[space.ns] = replace(space, supersteps=shown)
    label = next(
        (k for k, t in side.run.threads.items() if t is side.thread), side.thread.thread_id
    )
    thread = replace(side.thread, namespaces=namespaces)
    run = replace(side.run, threads={label: thread}, events=[])
    return run, shown, cut


def build_compare(
    run_a: Run,
    run_b: Run,
    *,
    thread_a: str | None = None,
    thread_b: str | None = None,
    ns: str = "",
    branch_a: int | None = None,
    branch_b: int | None = None,
    labels: tuple[str, str] = ("A", "B"),
) -> tuple[Comparison, dict[str, Any]]:
    """:func:`pregel_viz.compare` and the side-by-side viewer's document for it.

    The arguments are those of :func:`pregel_viz.compare`.
    """
    result = compare(
        run_a,
        run_b,
        thread_a=thread_a,
        thread_b=thread_b,
        ns=ns,
        branch_a=branch_a,
        branch_b=branch_b,
        labels=labels,
    )
    sides = [_side(run_a, thread_a, ns, branch_a), _side(run_b, thread_b, ns, branch_b)]
    cut = [_side_run(s) for s in sides]
    by_step = [{s.step: s for s in side.steps} for side in sides]
    index_of = [{id(s): i for i, s in enumerate(shown)} for _, shown, _ in cut]
    data = result.to_dict()
    data["sides"] = [
        {
            "label": label,
            "thread": side.thread.thread_id,
            "ns": side.space.ns,
            "branch": side.branch,
            "filtered": filtered,
        }
        for label, side, (_, _, filtered) in zip(labels, sides, cut, strict=True)
    ]
    first_row: int | None = None
    first = result.first_row
    for i, (row, out) in enumerate(zip(result.rows, data["rows"], strict=True)):
        # each side's own step number (two branches are aligned by lineage, not by number)
        supersteps = [
            None if cell is None else by_step[k].get(cell["step"])
            for k, cell in enumerate((row.a, row.b))
        ]
        out["at"] = [
            None if s is None else {"step": s.step, "index": index_of[k].get(id(s))}
            for k, s in enumerate(supersteps)
        ]
        out["nodes"] = (
            [[], []]
            if row.same
            else differing_nodes(supersteps[0], supersteps[1], sides[0].thread, sides[1].thread)
        )
        if row is first:
            first_row = i
    data["first_row"] = first_row
    doc = {
        "version": SIDE_BY_SIDE_VERSION,
        "a": build_payload(cut[0][0]),
        "b": build_payload(cut[1][0]),
        "comparison": json_safe(data),
    }
    return result, doc


def compare_payload(
    run_a: Run,
    run_b: Run,
    *,
    thread_a: str | None = None,
    thread_b: str | None = None,
    ns: str = "",
    branch_a: int | None = None,
    branch_b: int | None = None,
    labels: tuple[str, str] = ("A", "B"),
) -> dict[str, Any]:
    """The side-by-side viewer's document: ``{"version", "a", "b", "comparison"}``.

    The arguments are those of :func:`pregel_viz.compare`; see the module docstring for what
    the comparison carries besides :meth:`Comparison.to_dict`.
    """
    return build_compare(
        run_a,
        run_b,
        thread_a=thread_a,
        thread_b=thread_b,
        ns=ns,
        branch_a=branch_a,
        branch_b=branch_b,
        labels=labels,
    )[1]


def _build_fork(
    run: Run, *, thread: str | None, ns: str, branch: int
) -> tuple[Comparison, dict[str, Any]]:
    found = find_fork(run, thread=thread, ns=ns, branch=branch)
    return build_compare(
        run,
        run,
        thread_a=found.thread,
        thread_b=found.thread,
        ns=found.ns,
        branch_a=found.parent,
        branch_b=found.fork,
        labels=FORK_LABELS,
    )


def fork_payload(
    run: Run, *, thread: str | None = None, ns: str = "", branch: int = -1
) -> dict[str, Any]:
    """The document for a fork against the branch it left (the branches
    :func:`~pregel_viz.compare_fork` compares): side A is the parent branch, B the fork."""
    return _build_fork(run, thread=thread, ns=ns, branch=branch)[1]


# --------------------------------------------------------------------------- the widget


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class CompareDebugger(anywidget.AnyWidget):  # type: ignore[misc]
    """Two runs side by side in a notebook, stepped together (see :func:`compare_view`).

    Args:
        data: the document of :func:`compare_payload` or :func:`fork_payload`.
        comparison: the :class:`~pregel_viz.analysis.compare.Comparison` it was made from, if
            at hand (kept as ``widget.comparison``).
        row: the aligned row to show first (default: the first divergence, else the last row).

    ``widget.row`` follows the shared step control, and setting it moves both sides.
    """

    _esm = bundle_file("viewer.js")  # files, as Debugger's (pregel_viz/widget.py)
    _css = bundle_file("viewer.css")
    _view = traitlets.Unicode("compare").tag(sync=True)
    _payload_a = traitlets.Bytes().tag(sync=True)
    _payload_b = traitlets.Bytes().tag(sync=True)
    _comparison = traitlets.Bytes().tag(sync=True)
    row = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        comparison: Comparison | None = None,
        row: int | None = None,
    ) -> None:
        viewer_assets()  # a clear error when the bundle is not built
        rows = data["comparison"].get("rows") or []
        if row is None:
            first = data["comparison"].get("first_row")
            row = first if isinstance(first, int) else max(0, len(rows) - 1)
        elif rows and not 0 <= row < len(rows):
            raise ValueError(f"row {row} out of range: there are {len(rows)} rows")
        self.data = data
        self.comparison = comparison
        super().__init__(
            _payload_a=_json_bytes(data["a"]),
            _payload_b=_json_bytes(data["b"]),
            _comparison=_json_bytes(data["comparison"]),
            row=row,
        )

    @property
    def step(self) -> dict[str, int | None]:
        """Each side's step number at the current row (``None`` where a side has none)."""
        rows = self.data["comparison"].get("rows") or []
        if not rows:
            return {"a": None, "b": None}
        at = rows[max(0, min(self.row, len(rows) - 1))]["at"]
        return {k: (p["step"] if p else None) for k, p in zip("ab", at, strict=True)}

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget view, the document (for saved notebooks: no kernel needed) and text."""
        result = super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        # the document as the widget has it (its traits), as plain JSON
        return with_document(
            result,
            COMPARE_MIME,
            include,
            exclude,
            lambda: {
                "version": self.data.get("version", SIDE_BY_SIDE_VERSION),
                "a": json.loads(self._payload_a),
                "b": json.loads(self._payload_b),
                "comparison": json.loads(self._comparison),
            },
            lambda: {"row": self.row},
        )

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The self-contained side-by-side page (offline, from file://); with ``path``,
        also written there."""
        from .html import compare_to_html, write_compare_html

        if path is not None:
            write_compare_html(self.data, path)
        return compare_to_html(self.data)

    def __repr__(self) -> str:
        labels = self.data["comparison"].get("labels") or ["A", "B"]
        return f"<pregel_viz.CompareDebugger {labels[0]!r} vs {labels[1]!r} row={self.row}>"


def compare_view(
    a: Run | str | os.PathLike[str],
    b: Run | str | os.PathLike[str] | None = None,
    *,
    thread_a: str | None = None,
    thread_b: str | None = None,
    ns: str = "",
    branch_a: int | None = None,
    branch_b: int | None = None,
    labels: Sequence[str] = ("A", "B"),
    row: int | None = None,
) -> CompareDebugger:
    """Two runs side by side in a notebook, stepped together, their differences marked.

    Args:
        a, b: runs or paths of `.pregel` logs (``b`` omitted: ``a`` again, to compare two of
            its threads or branches).
        thread_a, thread_b, ns, branch_a, branch_b, labels: as for :func:`pregel_viz.compare`.
        row: the aligned row to show first (default: the first divergence).

    Returns:
        A :class:`CompareDebugger`; ``.comparison`` is the :class:`~pregel_viz.Comparison`.
    """
    run_a = as_run(a)
    run_b = run_a if b is None else as_run(b)
    pair = tuple(labels)
    if len(pair) != 2:
        raise ValueError(f"labels: expected two names, got {len(pair)}")
    result, data = build_compare(
        run_a,
        run_b,
        thread_a=thread_a,
        thread_b=thread_b,
        ns=ns,
        branch_a=branch_a,
        branch_b=branch_b,
        labels=(str(pair[0]), str(pair[1])),
    )
    return CompareDebugger(data, comparison=result, row=row)


def fork_view(
    run: Run | str | os.PathLike[str],
    *,
    thread: str | None = None,
    ns: str = "",
    branch: int = -1,
    row: int | None = None,
) -> CompareDebugger:
    """A fork of a thread (default: its main branch) side by side with the branch it left.

    The branches are those :func:`~pregel_viz.compare_fork` compares; each side's viewer is
    positioned on its own branch.
    """
    result, data = _build_fork(as_run(run), thread=thread, ns=ns, branch=branch)
    return CompareDebugger(data, comparison=result, row=row)
