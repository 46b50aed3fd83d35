"""The offline HTML export (``run.to_html(path)``) in headless Chromium, from ``file://``.

No Jupyter and no network: the page inlines the viewer bundle and the payload. Each test opens the
page for the sample run (tests/fixtures/sample.pregel) and drives the viewer like a user would:
buttons, keys, task rows, the subgraph button, the breadcrumb, the thread select.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphs import HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_TEXTAREA
from viewer_driver import SAMPLE, ViewerDriver, expected_entries, subgraph_ns

import pregel_viz
from pregel_viz.views.payload import build_payload

pytestmark = pytest.mark.ui

XSS_FLAG_SCRIPT = """
window.__xss = 0;
window.alert = () => { window.__xss = 1; };
window.confirm = window.prompt = window.alert;
"""


@pytest.fixture(scope="module")
def sample_run() -> pregel_viz.Run:
    return pregel_viz.load(SAMPLE)


@pytest.fixture(scope="module")
def html_path(sample_run: pregel_viz.Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "sample.html"
    sample_run.to_html(path)
    return path


@pytest.fixture()
def opened(page: Any, html_path: Path) -> Iterator[tuple[Any, list[str], ViewerDriver]]:
    """The export open in a fresh page: (page, urls requested, driver)."""
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    page.add_init_script(XSS_FLAG_SCRIPT)
    page.goto(html_path.as_uri())
    viewer = ViewerDriver(page.locator(".pregel-viewer"))
    viewer.wait_ready()
    yield page, urls, viewer
    assert page.evaluate("window.__xss") == 0, "an injected handler ran"
    assert page.errors == []


def test_loads_offline(opened: tuple[Any, list[str], ViewerDriver]) -> None:
    page, urls, viewer = opened
    assert urls, "no request seen at all"
    for url in urls:
        assert url.split(":", 1)[0] in {"file", "data", "blob"}, url
    assert page.evaluate("typeof window.pregelViz.setStep") == "function"
    # the default view: the last thread, its root namespace, the first entry
    assert viewer.attr("data-thread") == "failing"
    assert viewer.attr("data-ns") == ""
    assert viewer.attr("data-index") == "0"
    assert int(viewer.attr("data-layouts")) == 1
    assert viewer.root.locator("svg .pv-node").count() > 0


def test_step_through_every_superstep(
    opened: tuple[Any, list[str], ViewerDriver], sample_run: pregel_viz.Run
) -> None:
    page, _, viewer = opened
    entries = expected_entries(sample_run, "happy", "")
    assert len(entries) >= 5
    viewer.select_thread("happy")
    viewer.expect(thread="happy", ns="", index=len(entries) - 1)  # a new thread shows its end
    layouts = viewer.attr("data-layouts")

    viewer.first()
    viewer.expect_entry(entries, 0)
    for i in range(1, len(entries)):
        viewer.next()
        viewer.expect_entry(entries, i)
        assert viewer.attr("data-layouts") == layouts
    assert viewer.root.locator(".pv-next-btn").is_disabled()

    for i in range(len(entries) - 2, -1, -1):
        before = int(viewer.attr("data-step"))
        viewer.prev()
        viewer.expect_entry(entries, i)
        assert int(viewer.attr("data-step")) < before
    assert viewer.root.locator(".pv-prev").is_disabled()

    # the keyboard: → and ← on the focused viewer, End and Home
    viewer.root.focus()
    for i in range(1, len(entries)):
        page.keyboard.press("ArrowRight")
        viewer.expect_entry(entries, i)
    page.keyboard.press("ArrowRight")  # past the end: stays
    viewer.expect_entry(entries, len(entries) - 1)
    for i in range(len(entries) - 2, -1, -1):
        page.keyboard.press("ArrowLeft")
        viewer.expect_entry(entries, i)
    page.keyboard.press("End")
    viewer.expect_entry(entries, len(entries) - 1)
    page.keyboard.press("Home")
    viewer.expect_entry(entries, 0)
    viewer.last()
    viewer.expect_entry(entries, len(entries) - 1)

    assert viewer.attr("data-layouts") == layouts, "stepping laid the graph out again"


def test_send_fan_out_names_the_node_once(
    opened: tuple[Any, list[str], ViewerDriver], sample_run: pregel_viz.Run
) -> None:
    _, _, viewer = opened
    entries = expected_entries(sample_run, "happy", "")
    fan = next(i for i, e in enumerate(entries) if len(e.tasks) > len(e.active))
    viewer.select_thread("happy")
    viewer.first()
    for _ in range(fan):
        viewer.next()
    viewer.expect_entry(entries, fan)
    assert viewer.active() == ["worker"]
    assert viewer.root.locator("tr.pv-task-row").count() == 3
    badge = viewer.root.locator('g.pv-node[data-name="worker"] .pv-badge-text').text_content()
    assert badge == "\u00d73"

    # the narration pane follows the step: its sentences are the payload's, as text
    steps = next(t for t in build_payload(sample_run)["threads"] if t["id"] == "happy")
    steps = next(n for n in steps["namespaces"] if n["ns"] == "")["steps"]
    pane = viewer.root.locator(".pv-side > details.pv-narration")
    assert pane.get_attribute("open") is not None
    for i in (fan, fan + 1):
        if i != fan:
            viewer.next()
            viewer.expect_entry(entries, i)
        assert steps[i]["narration"], f"no narration for entry {i}"
        shown = pane.locator("li.pv-narration-item").evaluate_all(
            "els => els.map(e => e.textContent)"
        )
        assert shown == steps[i]["narration"]


@pytest.mark.parametrize("how", ["button", "dblclick"])
def test_open_subgraph_and_back(
    opened: tuple[Any, list[str], ViewerDriver], sample_run: pregel_viz.Run, how: str
) -> None:
    _, _, viewer = opened
    root_entries = expected_entries(sample_run, "happy", "")
    ns = subgraph_ns(sample_run, "happy", "summarize")
    sub_entries = expected_entries(sample_run, "happy", ns)
    at = next(i for i, e in enumerate(root_entries) if "summarize" in e.active)

    viewer.select_thread("happy")
    viewer.expect_entry(root_entries, at)  # the last entry: summarize ran there
    layouts = int(viewer.attr("data-layouts"))
    viewer.open_subgraph("summarize", how=how)
    viewer.expect(ns=ns, index=0)
    viewer.expect_entry(sub_entries, 0)
    assert viewer.root.locator(".pv-breadcrumb").is_visible()
    for i in range(1, len(sub_entries)):
        viewer.next()
        viewer.expect_entry(sub_entries, i)
    # the subgraph has its own graph: one more layout, drawn once
    assert int(viewer.attr("data-layouts")) == layouts + 1
    assert {"count", "polish"} <= set(viewer.node_names())

    viewer.breadcrumb_back("")
    viewer.expect(ns="")
    viewer.expect_entry(root_entries, at)  # back where the subgraph was entered
    assert int(viewer.attr("data-layouts")) == layouts + 1
    assert not viewer.root.locator(".pv-breadcrumb").is_visible()


def test_failing_thread_shows_the_error(
    opened: tuple[Any, list[str], ViewerDriver], sample_run: pregel_viz.Run
) -> None:
    _, _, viewer = opened
    error = sample_run.threads["failing"].outcome["error"]
    message = f"{error['type']}: {error['message']}"
    viewer.select_thread("happy")
    assert message not in viewer.root.inner_text()
    viewer.select_thread("failing")
    viewer.expect(thread="failing", ns="")
    assert message in viewer.root.locator(".pv-outcome-chip").inner_text()
    # the failed task: select it and read its error in the details
    entries = expected_entries(sample_run, "failing", "")
    viewer.expect_entry(entries, len(entries) - 1)
    viewer.root.locator("tr.pv-task-row", has_text="plan").click()
    details = viewer.root.locator(".pv-details")
    assert message in details.locator(".pv-error-box").inner_text()
    assert (
        viewer.root.locator('g.pv-node[data-name="plan"]').get_attribute("class").count("pv-error")
        == 1
    )


def test_hostile_strings_stay_text(
    opened: tuple[Any, list[str], ViewerDriver], tmp_path: Path
) -> None:
    page, _, viewer = opened
    viewer.select_thread("happy")
    viewer.expect(thread="happy")
    viewer.assert_hostile_strings_are_text()
    # where they are: the node's label in the graph, the state's key and value
    graph_text = viewer.root.locator("svg.pv-svg").text_content() or ""
    assert HOSTILE_IMG in graph_text
    assert (
        f'"{HOSTILE_SCRIPT}": "{HOSTILE_TEXTAREA}"'
        in viewer.root.locator('.pv-state tr[data-key="notes"]').inner_text()
    )
    page.screenshot(path=str(tmp_path / "happy.png"), animations="disabled")
    assert (tmp_path / "happy.png").stat().st_size > 10_000


def test_host_api_moves_the_view(
    opened: tuple[Any, list[str], ViewerDriver], sample_run: pregel_viz.Run
) -> None:
    """mount()'s handle (window.pregelViz), as the JupyterLab document viewer will use it."""
    page, _, viewer = opened
    entries = expected_entries(sample_run, "happy", "")
    page.evaluate("window.pregelViz.setThread('happy')")
    page.evaluate("window.pregelViz.setStep(2)")
    viewer.expect(thread="happy", step=2)
    viewer.expect_entry(entries, next(i for i, e in enumerate(entries) if e.step == 2))
    ns = subgraph_ns(sample_run, "happy", "summarize")
    page.evaluate(f"window.pregelViz.setNs({json.dumps(ns)})")
    viewer.expect(ns=ns)
