"""A self-contained HTML page showing a run, or two side by side: bundle, styles, WASM and data
inlined.

It opens from ``file://`` with no network and no server. The page loads the same viewer bundle
as the notebook widget, through a ``blob:`` URL, and mounts it on the inlined data: ``mount``
on a run's payload, ``mountCompare`` on a side-by-side document
(:func:`pregel_viz.side_by_side.side_by_side_payload`).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from typing import Any

from .model import Run
from .payload import payload_json
from .widget import viewer_assets

__all__ = ["compare_to_html", "to_html", "write_compare_html", "write_html"]

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pregel-viz {version}">
<title>{title}</title>
<style>
html, body {{ margin: 0; padding: 0; font-family: system-ui, sans-serif; }}
#pregel-viz-root {{ padding: 8px; }}
{css}
</style>
</head>
<body>
<div id="pregel-viz-root"></div>
<noscript>This page needs JavaScript to show the recorded {what}.</noscript>
<script type="application/json" id="pregel-viz-payload">{payload}</script>
<script type="text/plain" id="pregel-viz-esm">{esm}</script>
<script type="module">
const text = (id) => document.getElementById(id).textContent;
const payload = JSON.parse(text("pregel-viz-payload"));
const url = URL.createObjectURL(new Blob([text("pregel-viz-esm")], {{ type: "text/javascript" }}));
const viewer = await import(url);
URL.revokeObjectURL(url);
window.pregelViz = viewer.{mount}(document.getElementById("pregel-viz-root"), payload);
</script>
</body>
</html>
"""


def _script_text(text: str) -> str:
    """Text that cannot end the <script> element holding it (nor open a comment there)."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _page(title: str, data_json: str, *, mount: str, what: str) -> str:
    from ._version import __version__

    js, css = viewer_assets()
    return _TEMPLATE.format(
        version=__version__,
        title=html.escape(title),
        what=what,
        mount=mount,
        css=_script_text(css.read_text(encoding="utf-8")) if css.is_file() else "",
        payload=_script_text(data_json),
        esm=_script_text(js.read_text(encoding="utf-8")),
    )


def _write(text: str, path: str | os.PathLike[str]) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return os.fspath(path)


def to_html(run: Run) -> str:
    """The page for ``run``, as text."""
    title = f"pregel-viz: {run.meta.get('graph', 'run')}"
    return _page(title, payload_json(run), mount="mount", what="run")


def write_html(run: Run, path: str | os.PathLike[str]) -> str:
    """Write the page for ``run`` to ``path``; returns the path."""
    return _write(to_html(run), path)


def compare_to_html(data: Mapping[str, Any]) -> str:
    """The side-by-side page for a document of
    :func:`~pregel_viz.side_by_side.side_by_side_payload` (or ``fork_payload``), as text."""
    labels = data["comparison"].get("labels") or ["A", "B"]
    title = f"pregel-viz: {labels[0]} vs {labels[1]}"
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return _page(title, text, mount="mountCompare", what="runs")


def write_compare_html(data: Mapping[str, Any], path: str | os.PathLike[str]) -> str:
    """Write the side-by-side page for ``data`` to ``path``; returns the path."""
    return _write(compare_to_html(data), path)
