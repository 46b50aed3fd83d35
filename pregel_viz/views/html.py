"""A self-contained HTML page showing a run, or two side by side: bundle, styles, WASM and data
inlined.

It opens from ``file://`` with no network and no server. The page loads the same viewer bundle
as the notebook widget, through a ``blob:`` URL, and mounts it on the inlined data (``openPage``):
``mountPage`` (the viewer fills the window and has the keyboard focus) on a run's payload,
``mountCompare`` on a side-by-side document (:func:`pregel_viz.views.compare_view.compare_payload`).

A large document is inlined packed, as a saved notebook output carries it
(:func:`~pregel_viz.views.payload.pack_document`: gzip in base64, over the same
:data:`~pregel_viz.views.payload.PACK_ABOVE` bytes): a 10,000-superstep run makes a page of
2.8 MB rather than 12.5 MB, and the browser parses it sooner. The page unpacks it with the
browser's own gzip (``DecompressionStream``), and refuses a document that would unpack to more
than :data:`~pregel_viz.views.payload.MAX_UNPACKED_BYTES`. A small one stays plain JSON, readable
in the page's source.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping
from typing import Any

from ..model import Run
from .assets import viewer_assets
from .payload import is_packed, pack_document, payload_json

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
const payload = JSON.parse(text("pregel-viz-payload"));  // the document, or it packed: see _carried
const bytes = atob(text("pregel-viz-esm"));  // the bundle, in base64: see _inline_code
const code = new Uint8Array(bytes.length);
for (let i = 0; i < bytes.length; i++) code[i] = bytes.charCodeAt(i);
const url = URL.createObjectURL(new Blob([code], {{ type: "text/javascript" }}));
const viewer = await import(url);
URL.revokeObjectURL(url);
const root = document.getElementById("pregel-viz-root");
window.pregelViz = await viewer.openPage(root, payload, {{ compare: {compare} }});
</script>
</body>
</html>
"""


# In the text of a <script> element, "<" can end it ("</script") or open a comment ("<!--")
# that moves its end; in JSON these characters only occur inside strings, where \uXXXX is the
# same character. U+2028/U+2029 too, which JavaScript source before ES2019 could not hold in a
# string (the page reads the data with JSON.parse, but a copy of it may end up in a script).
_JSON_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def _inline_json(text: str) -> str:
    """JSON text to inline in a <script type="application/json">: the same document to
    ``JSON.parse``, with no character HTML would read as markup."""
    return text.translate(_JSON_ESCAPES)


def _inline_css(css: str) -> str:
    """CSS to inline in a <style> element, which ends at the first "</style": "<" (only ever in
    a string or a comment of valid CSS) is written as the CSS escape "\\3c "."""
    return css.replace("<", "\\3c ")


def _inline_code(js: bytes) -> str:
    """The viewer bundle as base64, decoded by the page's loader: it comes back byte for byte
    whatever it holds (an HTML parser ends the element at "</script", moves its end after
    "<!--<script", turns CR into LF)."""
    return base64.b64encode(js).decode("ascii")


def _carried(data_json: str) -> str:
    """A document's JSON text as the page carries it: packed (``{"encoding": "gzip+base64",
    "data": ...}``) when it is large, as the page's ``openPage`` reads it; else as it is."""
    packed = pack_document(data_json)
    return json.dumps(packed, separators=(",", ":")) if is_packed(packed) else data_json


def _page(title: str, data_json: str, *, compare: bool, what: str) -> str:
    from .._version import __version__

    js, css = viewer_assets()
    return _TEMPLATE.format(
        version=__version__,
        title=html.escape(title),
        what=what,
        compare="true" if compare else "false",
        css=_inline_css(css.read_text(encoding="utf-8")) if css.is_file() else "",
        payload=_inline_json(_carried(data_json)),
        esm=_inline_code(js.read_bytes()),
    )


def _write(text: str, path: str | os.PathLike[str]) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return os.fspath(path)


def to_html(run: Run, path: str | os.PathLike[str] | None = None) -> str:
    """The page for ``run``, as text: self-contained, it opens offline (from file://).

    With ``path``, also writes it there.
    """
    title = f"pregel-viz: {run.meta.get('graph', 'run')}"
    page = _page(title, payload_json(run), compare=False, what="run")
    if path is not None:
        _write(page, path)
    return page


def write_html(run: Run, path: str | os.PathLike[str]) -> str:
    """Write the page for ``run`` to ``path``; returns the path."""
    return _write(to_html(run), path)


def compare_to_html(data: Mapping[str, Any]) -> str:
    """The side-by-side page for a document of
    :func:`~pregel_viz.views.compare_view.compare_payload` (or ``fork_payload``), as text."""
    labels = data["comparison"].get("labels") or ["A", "B"]
    title = f"pregel-viz: {labels[0]} vs {labels[1]}"
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return _page(title, text, compare=True, what="runs")


def write_compare_html(data: Mapping[str, Any], path: str | os.PathLike[str]) -> str:
    """Write the side-by-side page for ``data`` to ``path``; returns the path."""
    return _write(compare_to_html(data), path)
