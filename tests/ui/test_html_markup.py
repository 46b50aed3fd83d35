"""Offline pages of runs whose names, values and error hold ``<!--``, ``</script>``, U+2028...
(tests/markup_run.py) render in headless Chromium: the viewer is up, the nodes are drawn and the
strings are shown as the text they are. Such a page used to be blank (its JSON did not parse).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from markup_run import ANSWER, ERROR, FAILING_NODE, KEY, NODE, record_markup_run
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

import pregel_viz
from pregel_viz.views.compare_view import compare_payload

pytestmark = pytest.mark.ui


def _open(page: Any, path: Path, count: int) -> list[ViewerDriver]:
    page.goto(path.as_uri())
    roots = page.locator(".pregel-viewer")
    expect(roots).to_have_count(count, timeout=20_000)
    viewers = [ViewerDriver(root) for root in roots.all()]
    for viewer in viewers:
        viewer.wait_ready()
    return viewers


def _shows_the_markup_as_text(viewer: ViewerDriver) -> None:
    """At step 1 (the answer's): the nodes are drawn under their names, the answer and the
    state key are text."""
    viewer.expect(step=1)
    assert {NODE, FAILING_NODE} <= set(viewer.node_names())
    text = viewer.root.inner_text()
    assert ANSWER in text
    assert KEY in text
    viewer.assert_no_injected_elements()


def _shows_both_sides(page: Any, path: Path) -> None:
    viewers = _open(page, path, 2)
    toolbar = page.locator(".pv-compare-toolbar")  # the shared step control: rows -1, 0, 1, 2
    toolbar.locator("button.pv-compare-first").click()
    toolbar.locator("button.pv-compare-next").click()
    toolbar.locator("button.pv-compare-next").click()
    for viewer in viewers:
        _shows_the_markup_as_text(viewer)


def test_a_run_holding_markup_renders_in_the_html_page(page: Any, tmp_path: Path) -> None:
    path = tmp_path / "markup.html"
    record_markup_run().to_html(path)
    (viewer,) = _open(page, path, 1)
    page.evaluate("window.pregelViz.setStep(1)")
    _shows_the_markup_as_text(viewer)
    # the error, as recorded
    assert ERROR.split("\u2028")[0].strip() in viewer.root.inner_text()
    assert page.errors == []


def test_runs_holding_markup_render_side_by_side(page: Any, tmp_path: Path) -> None:
    data = compare_payload(
        record_markup_run(), record_markup_run(fail=False), labels=("<!--a", "b-->")
    )
    path = tmp_path / "markup_compare.html"
    pregel_viz.views.html.write_compare_html(data, path)
    _shows_both_sides(page, path)
    expect(page.locator(".pv-compare")).to_contain_text("<!--a")
    assert page.errors == []


def test_diff_html_of_logs_holding_markup_renders(page: Any, tmp_path: Path) -> None:
    record_markup_run(path=tmp_path / "a.pregel")
    record_markup_run(fail=False, path=tmp_path / "b.pregel")
    done = run_cli("diff", "a.pregel", "b.pregel", "--html", "out.html", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    _shows_both_sides(page, tmp_path / "out.html")
    assert page.errors == []
