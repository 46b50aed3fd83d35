"""The viewer's files and the outputs that carry its documents, for every host.

The notebook widgets (widget.py, live_widget.py, compare_view.py) and the HTML export (html.py)
load the same built bundle (``static/viewer.js`` and its stylesheet, made by
``labextension/build.mjs``). A display also carries the viewer's document as its own output type
(``MIME`` for a run), which the pregel-viz JupyterLab extension renders with no kernel once the
notebook is saved and reopened. This module imports nothing of the notebook stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import PregelVizError

__all__ = ["MIME", "STATIC", "WIDGET_VIEW_MIME", "bundle_file", "viewer_assets", "with_document"]

STATIC = Path(__file__).resolve().parent.parent / "static"
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


def bundle_file(name: str) -> Path | str:
    """``STATIC / name`` as a widget's ``_esm`` or ``_css`` (a class attribute): anywidget reads
    the file and, with ``ANYWIDGET_HMR=1`` in an editable install, watches it so a rebuilt bundle
    reloads. ``""`` when it is not built, so the widget modules still import; the widgets then
    raise :func:`viewer_assets`'s error."""
    path = STATIC / name
    return path if path.is_file() else ""


def with_document(
    result: Any,
    mime: str,
    include: Any,
    exclude: Any,
    data: Callable[[], Any],
    metadata: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A widget's mime bundle (``result`` of anywidget's ``_repr_mimebundle_``) plus our own
    ``mime`` output, unless ``include``/``exclude`` leave it out: its data is the viewer's
    document, so the pregel-viz JupyterLab extension can show it with no kernel."""
    out: dict[str, Any]
    meta: dict[str, Any]
    if isinstance(result, tuple):
        out, meta = dict(result[0]), dict(result[1] or {})
    else:
        out, meta = dict(result or {}), {}
    if (include is None or mime in include) and not (exclude and mime in exclude):
        out[mime] = data()
        meta[mime] = metadata()
    return out, meta
