"""A payload whose DOT text carries links (tests/hostile_links.py) shown by the offline HTML pages
in headless Chromium: clicking every hostile node, edge label and the graph's background runs no
script, opens no dialog and moves the page nowhere, and the graph holds no link at all.

The JupyterLab hosts (saved outputs, the widget, ``.pregel`` documents) are in
test_lab_hostile_links.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import forked_run
from hostile_links import ENCODINGS, with_hostile_compare, with_hostile_links
from link_driver import Watch, assert_inert, click_every_link
from viewer_driver import SAMPLE, ViewerDriver

import pregel_viz
import pregel_viz.views.html
from pregel_viz.views.compare_view import fork_payload
from pregel_viz.views.payload import build_payload

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def sample_run() -> pregel_viz.Run:
    return pregel_viz.load(SAMPLE)


def _open(page: Any, path: Path) -> Watch:
    watch = Watch(page)
    page.goto(path.as_uri())
    for viewer in page.locator(".pregel-viewer").all():
        ViewerDriver(viewer).wait_ready()
    watch.arm()
    return watch


def _check_real_nodes(viewer: ViewerDriver, payload: dict[str, Any]) -> None:
    """The graph's own nodes are still found by id, named and classed."""
    names = [n["name"] for n in payload["graphs"][""]["nodes"]]
    assert sorted(viewer.node_names()) == sorted(names)
    plan = viewer.root.locator('svg.pv-svg g.pv-node[data-name="plan"]')
    assert plan.get_attribute("id") == "n1"
    assert plan.locator("title").text_content() == "plan"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_link_in_the_payload_runs_nothing_in_the_html_page(
    page: Any,
    sample_run: pregel_viz.Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    hostile = with_hostile_links(build_payload(sample_run), [encoding])
    monkeypatch.setattr(pregel_viz.views.html, "payload_json", lambda run: json.dumps(hostile))
    path = tmp_path / "hostile.html"
    sample_run.to_html(path)
    watch = _open(page, path)
    viewer = ViewerDriver(page.locator(".pregel-viewer"))
    click_every_link(watch, viewer.root, [encoding])
    assert_inert(watch, viewer.root)
    _check_real_nodes(viewer, hostile)
    assert page.errors == []


def test_a_link_in_either_side_runs_nothing_in_the_side_by_side_page(
    page: Any, tmp_path: Path
) -> None:
    data = with_hostile_compare(fork_payload(forked_run()))
    path = tmp_path / "hostile_compare.html"
    pregel_viz.views.html.write_compare_html(data, path)
    watch = _open(page, path)
    for k in "ab":
        viewer = page.locator(f".pv-compare-side-{k} .pregel-viewer")
        click_every_link(watch, viewer)
        assert_inert(watch, viewer)
    assert page.errors == []
