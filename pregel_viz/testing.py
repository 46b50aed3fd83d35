"""Snapshot tests of graph behaviour, with syrupy (``pip install "pregel-viz[pytest]"``)::

    import pregel_viz
    from pregel_viz.testing import PregelSnapshotExtension

    def test_support_agent_routes_refunds(snapshot):
        run = pregel_viz.record(build_graph(), {"question": "refund my order"})
        assert run == snapshot(extension_class=PregelSnapshotExtension)

``pytest --snapshot-update`` writes the run's trace (:func:`pregel_viz.trace`) as a text file
beside the test (``__snapshots__/<test file>/<test name>.txt``), and the run's log in
``__pregel_runs__/<test file>/<test name>.pregel``, so a reviewer reads a behaviour change in
the diff. A run that differs fails with
the first superstep where the runs did different things, what each side ran and wrote there,
the text diff, and the path of a page showing the two runs side by side (written to
``$PREGEL_VIZ_SNAPSHOT_DIFFS`` or a temporary folder; a CI job can keep it as an artifact).

``PregelSnapshotExtension.with_exclude("messages.*.id", "timestamp")`` leaves out what is not
deterministic in a graph. A run that errors or is interrupted is a snapshot like any other: its
outcome is in the trace.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

try:
    from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError('pregel_viz.testing needs syrupy: pip install "pregel-viz[pytest]"') from exc

from .analysis.trace import explain_difference, trace
from .model import Run
from .reader import load

__all__ = ["PregelSnapshotExtension"]

_DIFFS_ENV = "PREGEL_VIZ_SNAPSHOT_DIFFS"


class PregelSnapshotExtension(SingleFileSnapshotExtension):  # type: ignore[misc]
    """A run's trace as a text snapshot, its log beside it."""

    file_extension = "txt"
    _write_mode = WriteMode.TEXT
    exclude: ClassVar[tuple[str, ...]] = ()
    # trace text -> the run it was made from, until the snapshot is written (its log goes too)
    _pending: ClassVar[dict[str, Run]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._run: Run | None = None
        self._snapshot_location: str | None = None
        self._snapshot_text: str | None = None
        self._explained = False

    @classmethod
    def with_exclude(cls, *paths: str) -> type[PregelSnapshotExtension]:
        """This extension, leaving out state keys or paths (see :func:`pregel_viz.trace`)."""
        return type(cls.__name__, (cls,), {"exclude": (*cls.exclude, *paths)})

    def serialize(self, data: Any, **kwargs: Any) -> str:
        if isinstance(data, (str, os.PathLike)) and str(data).endswith(".pregel"):
            data = load(data)
        if not isinstance(data, Run):
            raise TypeError(
                f"PregelSnapshotExtension snapshots a pregel_viz.Run (or a .pregel path), "
                f"got {type(data).__name__}"
            )
        self._run = data
        text = trace(data, exclude=self.exclude)
        if len(self._pending) > 256:  # never written (a failing test): do not keep them all
            self._pending.clear()
        self._pending[text] = data
        if self._snapshot_text is not None and text != self._snapshot_text:
            # syrupy renders the failure with the extension the fixture had before this
            # assertion (``snapshot(extension_class=...)`` is undone once it ran): tell it here,
            # where pytest shows it with the failure ("Captured stdout call")
            print("\n".join(self.explain(text, self._snapshot_text)))
        return text

    def explain(self, received: str, snapshot: str) -> list[str]:
        """The lines that tell a failing snapshot: where the runs first differ, and the page
        showing both (once per assertion)."""
        if self._explained:
            return []
        self._explained = True
        lines = [
            "pregel-viz: this run does not behave as its snapshot",
            *explain_difference(snapshot, received),
        ]
        words, page = self._compare()
        if words:
            lines.insert(1, f"in words: {words}")
        if page is not None:
            lines.append(f"the two runs side by side: {page}")
        return lines

    def read_snapshot_data_from_location(self, *, snapshot_location: str, **kwargs: Any) -> Any:
        self._snapshot_location = snapshot_location
        data = super().read_snapshot_data_from_location(
            snapshot_location=snapshot_location, **kwargs
        )
        self._snapshot_text = data if isinstance(data, str) else None
        return data

    @classmethod
    def write_snapshot_collection(cls, *, snapshot_collection: Any, **kwargs: Any) -> None:
        super().write_snapshot_collection(snapshot_collection=snapshot_collection, **kwargs)
        text = next(iter(snapshot_collection)).data
        run = cls._pending.pop(text, None)
        if run is not None:
            run.save(_log_beside(snapshot_collection.location))

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        # with snapshot.use_extension(PregelSnapshotExtension), syrupy asks this extension
        yield from self.explain(str(serialized_data), str(snapshot_data))
        yield from super().diff_lines(serialized_data, snapshot_data)

    def _compare(self) -> tuple[str | None, str | None]:
        """The first difference in words and the page comparing the snapshot's run with this
        one, when the snapshot kept its log (None, None otherwise; never raises)."""
        if self._run is None or self._snapshot_location is None:
            return None, None
        stored = _log_beside(self._snapshot_location)
        if not stored.is_file():
            return None, None
        try:
            from .views.compare_view import build_compare
            from .views.html import write_compare_html

            result, page = build_compare(
                load(stored), self._run, labels=("the snapshot", "this run")
            )
            first = result.first
            words = getattr(first, "details", None) if first is not None else None
            out = Path(os.environ.get(_DIFFS_ENV) or tempfile.gettempdir())
            out.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha1(str(stored).encode()).hexdigest()[:10]
            path = out / f"pregel-viz-diff-{stored.stem}-{digest}.html"
            write_compare_html(page, path)
            return words, str(path)
        except Exception as exc:  # the failure's message must still come out
            return None, f"(not written: {type(exc).__name__}: {exc})"


def _log_beside(snapshot_location: str | os.PathLike[str]) -> Path:
    """Where a snapshot's run log is kept: the same path under ``__pregel_runs__`` instead of
    ``__snapshots__`` (syrupy deletes files it does not know from its own folder)."""
    path = Path(snapshot_location).with_suffix(".pregel")
    parts = list(path.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "__snapshots__":
            parts[i] = "__pregel_runs__"
            break
    out = Path(*parts)
    out.parent.mkdir(parents=True, exist_ok=True)
    return out
