"""A self-contained HTML page showing a run: bundle, styles, WASM and data inlined.

It opens from ``file://`` with no network and no server. The page loads the same viewer bundle
as the notebook widget, through a ``blob:`` URL, and mounts it on the inlined payload.
"""

from __future__ import annotations

import html
import os

from .model import Run
from .payload import payload_json
from .widget import viewer_assets

__all__ = ["to_html", "write_html"]

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
<noscript>This page needs JavaScript to show the recorded run.</noscript>
<script type="application/json" id="pregel-viz-payload">{payload}</script>
<script type="text/plain" id="pregel-viz-esm">{esm}</script>
<script type="module">
const text = (id) => document.getElementById(id).textContent;
const payload = JSON.parse(text("pregel-viz-payload"));
const url = URL.createObjectURL(new Blob([text("pregel-viz-esm")], {{ type: "text/javascript" }}));
const viewer = await import(url);
URL.revokeObjectURL(url);
window.pregelViz = viewer.mount(document.getElementById("pregel-viz-root"), payload);
</script>
</body>
</html>
"""


def _script_text(text: str) -> str:
    """Text that cannot end the <script> element holding it (nor open a comment there)."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def to_html(run: Run) -> str:
    """The page for ``run``, as text."""
    from ._version import __version__

    js, css = viewer_assets()
    title = f"pregel-viz: {run.meta.get('graph', 'run')}"
    return _TEMPLATE.format(
        version=__version__,
        title=html.escape(str(title)),
        css=_script_text(css.read_text(encoding="utf-8")) if css.is_file() else "",
        payload=_script_text(payload_json(run)),
        esm=_script_text(js.read_text(encoding="utf-8")),
    )


def write_html(run: Run, path: str | os.PathLike[str]) -> str:
    """Write the page for ``run`` to ``path``; returns the path."""
    text = to_html(run)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return os.fspath(path)
