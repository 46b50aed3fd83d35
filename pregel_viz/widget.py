"""The notebook debugger: an anywidget that renders a run with the TypeScript viewer.

The bulk data (the payload) is sent once as bytes; only the position (``step``, ``thread``,
``ns``) is synced both ways.

Its display also carries the payload itself as ``application/vnd.pregel-viz+json`` (``MIME``):
the pregel-viz JupyterLab extension shows the live widget while it exists, and renders that
output without a kernel once the notebook is saved and reopened.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .errors import PregelVizError
from .model import Run
from .payload import payload_json

__all__ = ["MIME", "STATIC", "Debugger", "show", "viewer_assets"]

STATIC = Path(__file__).resolve().parent / "static"
# The output type of a saved run: the data is the viewer's payload (pregel_viz/payload.py);
# its metadata (under the same key) is the position to open at: step, thread, ns.
MIME = "application/vnd.pregel-viz+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def viewer_assets() -> tuple[Path, Path]:
    """Paths of the built viewer bundle and its stylesheet; a clear error when not built."""
    js, css = STATIC / "viewer.js", STATIC / "viewer.css"
    if not js.is_file():
        raise PregelVizError(
            f"the viewer bundle {js} is missing: it is built on install "
            "(pip install -e .) or by `npm run build` in labextension/"
        )
    return js, css


def _as_run(run: Run | str | os.PathLike[str]) -> Run:
    if isinstance(run, Run):
        return run
    if isinstance(run, (str, os.PathLike)):
        from .reader import load

        return load(run)
    raise TypeError(f"expected a pregel_viz.Run or the path of a .pregel log, got {type(run)!r}")


class Debugger(anywidget.AnyWidget):  # type: ignore[misc]
    """Step through a recorded run in a notebook.

    Args:
        run: a :class:`~pregel_viz.Run`, or the path of a `.pregel` log.
        step: LangGraph's step number to show first (default: the last superstep).
        thread: the thread to show (default: the last one).
        ns: the namespace to show (default: the root, ``""``).

    ``widget.step`` follows the view, and setting it moves the view.
    """

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)
    _payload = traitlets.Bytes().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    thread = traitlets.Unicode("").tag(sync=True)
    ns = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        run: Run | str | os.PathLike[str],
        *,
        step: int | None = None,
        thread: str | None = None,
        ns: str = "",
    ) -> None:
        js, css = viewer_assets()
        self.run = _as_run(run)
        chosen = thread if thread is not None else self.run.thread.thread_id
        if chosen not in self.run.threads and self.run.threads:
            raise KeyError(f"no thread {chosen!r}; threads: {list(self.run.threads)}")
        space = self.run.threads[chosen].namespaces.get(ns) if self.run.threads else None
        if ns and space is None:
            raise KeyError(f"no namespace {ns!r} in thread {chosen!r}")
        steps = [s.step for s in space.supersteps] if space is not None else []
        first = steps[-1] if steps else 0
        super().__init__(
            _esm=js.read_text(encoding="utf-8"),
            _css=css.read_text(encoding="utf-8") if css.is_file() else "",
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
        data: dict[str, Any]
        meta: dict[str, Any]
        if isinstance(result, tuple):
            data, meta = dict(result[0]), dict(result[1] or {})
        else:
            data, meta = dict(result or {}), {}
        if (include is None or MIME in include) and not (exclude and MIME in exclude):
            data[MIME] = json.loads(self._payload)
            meta[MIME] = {"step": self.step, "thread": self.thread, "ns": self.ns}
        return data, meta


def show(run: Run | str | os.PathLike[str], **kwargs: Any) -> Debugger:
    """Display the debugger for ``run`` in the current notebook and return it."""
    from IPython.display import display

    widget = Debugger(run, **kwargs)
    display(widget)  # type: ignore[no-untyped-call]
    return widget
