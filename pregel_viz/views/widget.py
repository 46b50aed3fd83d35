"""The notebook debugger: an anywidget that renders a run with the TypeScript viewer.

The bulk data (the payload) is sent once as bytes; only the position (``step``, ``thread``,
``ns``) is synced both ways. The live debugger (:class:`~pregel_viz.views.live_widget.LiveDebugger`,
from :func:`pregel_viz.debug`) builds on it in live_widget.py; this module imports no LangGraph.

Its display also carries the payload itself as ``application/vnd.pregel-viz+json``
(:data:`pregel_viz.views.assets.MIME`): the pregel-viz JupyterLab extension shows the live
widget while it exists, and renders that output without a kernel once the notebook is saved
and reopened. A large payload is packed there (gzip, base64:
:func:`~pregel_viz.views.payload.pack_document`), so a saved 10,000-superstep run takes
1.4 MB of the notebook rather than 10 MB of JSON (20 MB as the notebook indents it).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import anywidget
import traitlets

from ..model import Run
from ..reader import as_run
from .assets import MIME, bundle_file, viewer_assets, with_document
from .payload import pack_document, payload_json

# MIME stays importable from here (Run._repr_mimebundle_ takes it with the widget)
__all__ = ["MIME", "Debugger", "run_mimebundle", "show"]


class Debugger(anywidget.AnyWidget):  # type: ignore[misc]
    """Step through a recorded run in a notebook.

    Args:
        run: a :class:`~pregel_viz.Run`, or the path of a `.pregel` log.
        step: LangGraph's step number to show first (default: the first entry, the input, as
            the HTML page and the ``.pregel`` document open; a live session's
            :class:`~pregel_viz.views.live_widget.LiveDebugger` follows its newest superstep).
        thread: the thread to show (default: the last one).
        ns: the namespace to show (default: the root, ``""``).

    ``widget.step`` follows the view, and setting it moves the view.
    """

    # files, not their text: anywidget reads them, and with ANYWIDGET_HMR=1 (an editable install)
    # watches them, so a rebuilt bundle reloads in the open widgets
    _esm = bundle_file("viewer.js")
    _css = bundle_file("viewer.css")
    _payload = traitlets.Bytes().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    thread = traitlets.Unicode("").tag(sync=True)
    ns = traitlets.Unicode("").tag(sync=True)

    # where the view opens when no step is given: "input" (a finished run) or "newest"
    opens_at = "input"

    def __init__(
        self,
        run: Run | str | os.PathLike[str],
        *,
        step: int | None = None,
        thread: str | None = None,
        ns: str = "",
    ) -> None:
        viewer_assets()  # a clear error when the bundle is not built
        self.run = as_run(run)
        chosen = thread if thread is not None else self.run.thread.thread_id
        if chosen not in self.run.threads and self.run.threads:
            raise KeyError(f"no thread {chosen!r}; threads: {list(self.run.threads)}")
        space = self.run.threads[chosen].namespaces.get(ns) if self.run.threads else None
        if ns and space is None:
            raise KeyError(f"no namespace {ns!r} in thread {chosen!r}")
        steps = [s.step for s in space.supersteps] if space is not None else []
        first = (steps[-1] if self.opens_at == "newest" else steps[0]) if steps else 0
        super().__init__(
            _payload=payload_json(self.run).encode("utf-8"),
            step=first if step is None else step,
            thread=chosen,
            ns=ns,
        )

    def __repr__(self) -> str:
        return f"<pregel_viz.Debugger thread={self.thread!r} ns={self.ns!r} step={self.step}>"

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget view, the payload (for saved notebooks: no kernel needed) and text."""
        result = super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        return with_document(
            result,
            MIME,
            include,
            exclude,
            lambda: pack_document(self._payload),
            lambda: {"step": self.step, "thread": self.thread, "ns": self.ns},
        )


def show(run: Run | str | os.PathLike[str], **kwargs: Any) -> Debugger:
    """Display the debugger for ``run`` in the current notebook and return it."""
    from IPython.display import display

    widget = Debugger(run, **kwargs)
    display(widget)  # type: ignore[no-untyped-call]
    return widget


def run_mimebundle(
    run: Run, include: Any = None, exclude: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What ``Run._repr_mimebundle_`` shows: the debugger widget in notebooks (with the payload
    as ``application/vnd.pregel-viz+json``, which the JupyterLab extension renders in saved
    notebooks, no kernel needed), the text summary everywhere else."""
    data: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    try:
        result = Debugger(run)._repr_mimebundle_(include=include, exclude=exclude)
        if isinstance(result, tuple):
            data, meta = dict(result[0]), dict(result[1] or {})
        elif isinstance(result, dict):
            data = dict(result)
    except Exception:  # no widget front-end, or the viewer is not built: no widget
        data, meta = {}, {}
    wanted = (include is None or MIME in include) and not (exclude and MIME in exclude)
    if MIME not in data and wanted:
        with contextlib.suppress(Exception):  # the text summary below is always there
            data[MIME] = pack_document(payload_json(run))
    data["text/plain"] = run.summary()
    return data, meta
