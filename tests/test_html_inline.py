"""The offline pages inline JSON documents and the viewer bundle in ``<script>`` elements: what
a run recorded (``<!--``, ``</script>``, U+2028... in names, values, errors) can neither end
them, nor open a comment there, nor change what the page reads back.

The page is read the way an HTML parser reads it (html.parser: a script's text runs to the
first ``</script``); the data holds no ``<`` at all, so no escape state of the HTML tokenizer
can apply either. The browser side is in tests/ui/test_html_markup.py.
"""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from markup_run import record_markup_run

import pregel_viz
import pregel_viz.views.html
from pregel_viz.views.assets import viewer_assets
from pregel_viz.views.compare_view import compare_payload
from pregel_viz.views.html import compare_to_html, to_html
from pregel_viz.views.payload import PACK_ABOVE, is_packed, payload_json, unpack_document

SAMPLE = Path(__file__).parent / "fixtures" / "sample.pregel"
UNSAFE = ("<", ">", "&", "\u2028", "\u2029")


class _Scripts(HTMLParser):
    """The text of every element of a page with an id (and of its <style>, as "style"), as the
    parser delivers it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._id = dict(attrs).get("id") or ("style" if tag == "style" else None)
        if self._id:
            self.by_id[self._id] = ""

    def handle_endtag(self, tag: str) -> None:
        self._id = None

    def handle_data(self, data: str) -> None:
        if self._id:
            self.by_id[self._id] += data


def _read(page: str) -> dict[str, str]:
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return parser.by_id


def _check_page(page: str, document: Any, bundle: Path | None = None) -> dict[str, str]:
    """The page's data parses back to ``document`` (unpacked, when the page packed it), and its
    bundle to ``bundle`` (the built viewer's); returns the texts of the page's elements."""
    parts = _read(page)
    data = parts["pregel-viz-payload"]
    assert unpack_document(json.loads(data)) == document
    assert not [c for c in UNSAFE if c in data], "markup characters left in the inlined JSON"
    js = bundle or viewer_assets()[0]
    assert base64.b64decode(parts["pregel-viz-esm"], validate=True) == js.read_bytes()
    assert page.count("</script>") == 3  # the data, the bundle, the loader: nothing ends early
    return parts


@pytest.fixture(scope="module")
def run() -> pregel_viz.Run:
    return record_markup_run()


def test_a_run_holding_markup_pages_to_the_same_document(run: pregel_viz.Run) -> None:
    text = payload_json(run)
    for s in ("<!--", "-->", "</script>", "<script>", "\u2028", "\u2029"):
        assert s in text, s  # the run does hold them all
    assert len(text.encode("utf-8")) <= PACK_ABOVE
    parts = _check_page(to_html(run), json.loads(text))
    assert not is_packed(json.loads(parts["pregel-viz-payload"]))  # small: plain JSON


def test_a_large_document_holding_markup_is_packed_and_reads_back_the_same(
    run: pregel_viz.Run,
) -> None:
    data = compare_payload(run, record_markup_run(fail=False), labels=("<!--a", "b-->"))
    data["extra"] = ["</script><!--<script>\u2028\u2029&" + str(i) for i in range(10_000)]
    text = json.dumps(data, ensure_ascii=False)
    assert len(text.encode("utf-8")) > PACK_ABOVE
    parts = _check_page(compare_to_html(data), json.loads(text))
    carried = json.loads(parts["pregel-viz-payload"])
    assert is_packed(carried)
    assert len(carried["data"]) < len(text) / 5


def test_a_side_by_side_page_of_runs_holding_markup_reads_back_the_same(
    run: pregel_viz.Run,
) -> None:
    data = compare_payload(run, record_markup_run(fail=False), labels=("<!--a", "b-->"))
    _check_page(compare_to_html(data), json.loads(json.dumps(data)))


def test_diff_html_of_logs_holding_markup_writes_a_readable_page(tmp_path: Path) -> None:
    record_markup_run(path=tmp_path / "a.pregel")
    record_markup_run(fail=False, path=tmp_path / "b.pregel")
    done = run_cli("diff", "a.pregel", "b.pregel", "--html", "out.html", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    data = json.loads(_read(page)["pregel-viz-payload"])
    assert data["a"]["graphs"][""]["nodes"][1]["name"] == "answer <!--"
    _check_page(page, data)


def test_the_bundle_and_the_styles_come_back_whatever_they_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle holding "</script", "<!--<script", CR and NUL, and styles holding "</style"."""
    js = tmp_path / "viewer.js"
    js.write_bytes(b'export const s = "</script><!--<script>\r\n\x00"; // </SCRIPT>\r\n')
    css = tmp_path / "viewer.css"
    css.write_text('/* </style><script>alert(1)</script> */ .a::before { content: "</style>"; }')
    monkeypatch.setattr(pregel_viz.views.html, "viewer_assets", lambda: (js, css))
    run = pregel_viz.load(SAMPLE)
    parts = _check_page(to_html(run), json.loads(payload_json(run)), bundle=js)
    assert ".a::before" in parts["style"]  # the style element did not end early
    assert "<" not in parts["style"]
