"""Hostile links in every JupyterLab host of the viewer, in a real JupyterLab 4 (see
tests/hostile_links.py and link_driver.py): clicking them runs nothing in the Jupyter origin.

- a saved output (``application/vnd.pregel-viz+json`` and the side-by-side
  ``application/vnd.pregel-viz-compare+json``) in a notebook that is *not trusted*, as one
  downloaded from anywhere is: its payload's DOT text carries the links;
- the live widget (anywidget), sent such a payload by its kernel;
- a ``.pregel`` document, whose payload the server builds from the log: there the node names,
  an edge label and the values try to break out of their DOT strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import forked_run
from hostile_links import (
    HOSTILE_NAMES,
    HOSTILE_ROUTE,
    HOSTILE_VALUE,
    record_hostile_names,
    with_hostile_compare,
    with_hostile_links,
)
from lab_driver import (
    DOC,
    Notebook,
    goto,
    guarded,
    open_without_kernel,
    write_notebook,
    write_saved_output,
)
from lab_driver import (
    PANEL as LAB_PANEL,
)
from link_driver import Watch, assert_inert, click_every_link
from playwright.sync_api import expect
from viewer_driver import SAMPLE, ViewerDriver

import pregel_viz
from pregel_viz.views.assets import MIME
from pregel_viz.views.compare_view import COMPARE_MIME

pytestmark = pytest.mark.ui

TESTS = Path(__file__).resolve().parents[1]
DIR = "links"  # everything this module writes is under <lab root>/links


@pytest.fixture(scope="module")
def links_dir(lab: Any) -> Path:
    d = lab.root / DIR
    d.mkdir(exist_ok=True)
    return d


@pytest.fixture()
def watched(page: Any) -> Iterator[tuple[Any, Watch]]:
    with guarded(page):
        yield page, Watch(page)


def _viewers(scope: Any, count: int) -> list[Any]:
    viewers = scope.locator(".pregel-viewer")
    expect(viewers).to_have_count(count, timeout=60_000)
    for v in viewers.all():
        ViewerDriver(v, timeout=30_000).wait_ready()
    return list(viewers.all())


def _click_every_link(watch: Watch, scope: Any, count: int) -> None:
    """In each of the ``count`` viewers in ``scope``: click every hostile link; nothing ran."""
    viewers = _viewers(scope, count)
    watch.arm()
    for viewer in viewers:
        click_every_link(watch, viewer)
        assert_inert(watch, viewer)


def _saved_run() -> tuple[dict[str, Any], dict[str, Any]]:
    data, metadata = pregel_viz.Debugger(pregel_viz.load(SAMPLE))._repr_mimebundle_()
    data[MIME] = with_hostile_links(data[MIME])
    return data, metadata


def _saved_side_by_side() -> tuple[dict[str, Any], dict[str, Any]]:
    data, metadata = pregel_viz.fork_view(forked_run())._repr_mimebundle_()
    data[COMPARE_MIME] = with_hostile_compare(data[COMPARE_MIME])
    return data, metadata


# output kind: (its display bundle, the output's class, how many viewers it shows)
SAVED = {
    "run": (_saved_run, "jp-PregelViz-output", 1),
    "side_by_side": (_saved_side_by_side, "jp-PregelViz-compareOutput", 2),
}


@pytest.mark.parametrize("kind", list(SAVED))
def test_a_saved_output_in_an_untrusted_notebook_runs_no_link(
    lab: Any, links_dir: Path, watched: tuple[Any, Watch], kind: str
) -> None:
    page, watch = watched
    bundle, cls, count = SAVED[kind]
    write_saved_output(links_dir / f"{kind}.ipynb", "pregel_viz.show(run)", *bundle())
    goto(page, lab, f"lab/tree/{DIR}/{kind}.ipynb?reset")
    open_without_kernel(page)
    output = page.locator(f"{LAB_PANEL} .{cls}")
    expect(output).to_have_attribute("data-pregel-viz", "static", timeout=60_000)
    _click_every_link(watch, output, count)


def test_the_live_widget_sent_a_hostile_payload_runs_no_link(
    lab: Any, links_dir: Path, watched: tuple[Any, Watch]
) -> None:
    page, watch = watched
    (links_dir / "sample.pregel").write_bytes(SAMPLE.read_bytes())
    write_notebook(
        links_dir / "widget.ipynb",
        [
            "import json, sys\n"
            f"sys.path.insert(0, {str(TESTS)!r})\n"
            "import pregel_viz\n"
            "from hostile_links import with_hostile_links\n"
            "from pregel_viz.views.payload import build_payload\n"
            'run = pregel_viz.load("sample.pregel")\n'
            "w = pregel_viz.Debugger(run)\n"
            "w._payload = json.dumps(with_hostile_links(build_payload(run))).encode()\n"
            "w",
        ],
    )
    nb = Notebook(page, lab, f"{DIR}/widget.ipynb")
    nb.run(0)
    expect(nb.output(0).locator(".jp-PregelViz-output")).to_have_attribute(
        "data-pregel-viz", "widget", timeout=60_000
    )
    _click_every_link(watch, nb.output(0), 1)


def test_a_log_with_hostile_names_opens_as_a_document_with_no_link(
    lab: Any, links_dir: Path, watched: tuple[Any, Watch]
) -> None:
    page, watch = watched
    record_hostile_names(links_dir / "names.pregel")
    goto(page, lab, f"lab/tree/{DIR}/names.pregel?reset")
    doc = page.locator(DOC)
    expect(doc).to_have_attribute("data-state", "ready", timeout=60_000)
    (root,) = _viewers(doc, 1)
    viewer = ViewerDriver(root)
    watch.arm()
    # every name is one node, its label the name itself (lines of a name with a newline), or
    # for a long name its two ends around "…", with the whole name as its tooltip
    nodes = root.locator("svg.pv-svg g.pv-node")
    found = nodes.evaluate_all(
        """els => els.map(e => [
               e.getAttribute('data-name'),
               [...e.querySelectorAll('text')].map(t => t.textContent).join('\\n'),
               (e.querySelector('title') || {}).textContent || '',
           ])"""
    )
    shown = {name: text for name, text, _ in found}
    tooltip = {name: title for name, _, title in found}
    assert sorted(shown) == sorted(["__start__", *HOSTILE_NAMES, "__end__"])
    for name in HOSTILE_NAMES:
        if "…" in shown[name] and "…" not in name:
            head, tail = shown[name].split("…", 1)
            assert name.startswith(head) and name.endswith(tail) and tooltip[name] == name
        else:
            assert shown[name] == name
    for i in range(nodes.count()):
        nodes.nth(i).locator("text").first.click(force=True)
    route = root.locator("svg.pv-svg g.pv-edge text")
    expect(route).to_have_count(1)
    label = route.text_content() or ""
    if "…" in label and "…" not in HOSTILE_ROUTE:  # a long label keeps its two ends
        head, tail = label.split("…", 1)
        assert HOSTILE_ROUTE.startswith(head) and HOSTILE_ROUTE.endswith(tail), label
    else:
        assert label == HOSTILE_ROUTE
    route.click(force=True)
    assert_inert(watch, root)
    viewer.last()
    assert HOSTILE_VALUE in root.inner_text()  # the value, as text
    viewer.assert_no_injected_elements()
