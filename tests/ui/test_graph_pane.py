"""The graph pane at real sizes, in headless Chromium on the offline HTML page (1500x1000):
readable nodes for a 60-wide static fan-out (folded into one group node that expands on click),
a tall chain fitted at load, zoom / pan / fit, nodes reachable by Tab, "open \u203a" on subgraph
nodes, long names shortened with the full name kept.

Screenshots of each screen are written to the test's temporary folder (the path is printed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sized_graphs
from playwright.sync_api import expect

import pregel_viz
from pregel_viz.demo import record_demo

pytestmark = pytest.mark.ui

LONG = "merge_all_the_worker_results_into_one_report"
MIN_NODE_PX = 12


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("graph-pane")
    runs = {
        "fan60": pregel_viz.record(sized_graphs.fan60(merge=LONG), {"results": []}),
        "chain14": pregel_viz.record(sized_graphs.chain14(), {"results": []}),
        "demo": record_demo(),
    }
    paths = {}
    for name, run in runs.items():
        paths[name] = out / f"{name}.html"
        run.to_html(paths[name])
    return paths


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph-pane-shots")
    print(f"graph pane screenshots: {path}")
    return path


def _open(pg: Any, path: Path) -> Any:
    pg.goto(path.as_uri())
    root = pg.locator(".pregel-viewer")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    return root


def _rect(loc: Any) -> dict[str, float]:
    return dict(loc.evaluate("e => e.getBoundingClientRect().toJSON()"))


def _node_heights(root: Any) -> list[float]:
    return list(
        root.locator("svg.pv-svg g.pv-node").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"
        )
    )


def _zoom(root: Any) -> float:
    return float(root.locator(".pv-graph").get_attribute("data-zoom") or "nan")


def _step(pg: Any, root: Any, n: int) -> None:
    pg.evaluate(f"window.pregelViz.setStep({n})")
    expect(root).to_have_attribute("data-step", str(n))


def test_a_60_wide_fan_out_is_readable_and_its_group_expands(
    window: Any, pages: dict[str, Path], shots: Path
) -> None:
    root = _open(window, pages["fan60"])
    heights = _node_heights(root)
    assert heights and min(heights) >= MIN_NODE_PX, heights
    group = root.locator("svg g.pv-node.pv-group")
    expect(group).to_have_count(1)
    assert group.locator("text").first.text_content() == "worker_00…worker_59 \u00d760"
    # the whole graph is in the pane
    pane = _rect(root.locator(".pv-graph-holder"))
    for r in root.locator("svg g.pv-node").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().toJSON())"
    ):
        assert pane["left"] <= r["left"] and r["right"] <= pane["right"] + 0.5
        assert pane["top"] <= r["top"] and r["bottom"] <= pane["bottom"] + 0.5
    # the step where the 60 workers ran: the group lights up and says how many ran
    _step(window, root, 2)
    expect(group).to_have_class(re.compile(r"\bpv-active\b"))
    assert group.locator(".pv-badge-text").text_content() == "60/60 ran"
    assert "worker_00" in (group.get_attribute("aria-label") or "")
    window.screenshot(path=str(shots / "fan60-folded.png"))
    # a click expands it: every worker drawn, still readable, the ones that ran lit
    group.click()
    workers = root.locator('svg g.pv-node[data-name^="worker_"]')
    expect(workers).to_have_count(60)
    assert min(_node_heights(root)) >= MIN_NODE_PX
    expect(root.locator('svg g.pv-node.pv-active[data-name^="worker_"]')).to_have_count(60)
    window.screenshot(path=str(shots / "fan60-expanded.png"))
    root.locator(".pv-zoom-fold").click()
    expect(root.locator("svg g.pv-node.pv-group")).to_have_count(1)
    # the long name: shortened in the middle, whole in the tooltip and the accessible name
    merge = root.locator(f'svg g.pv-node[data-name="{LONG}"]')
    label = merge.locator("text").first.text_content() or ""
    assert "…" in label and len(label) < len(LONG)
    assert merge.locator("title").text_content() == LONG
    assert merge.get_attribute("aria-label") == LONG
    text_box = _rect(merge.locator("text").first)
    shape_box = _rect(merge.locator("path, polygon").first)
    assert shape_box["left"] <= text_box["left"] and text_box["right"] <= shape_box["right"]


def test_a_14_node_chain_is_fitted_at_load(
    window: Any, pages: dict[str, Path], shots: Path
) -> None:
    root = _open(window, pages["chain14"])
    window.screenshot(path=str(shots / "chain14.png"))
    pane = _rect(root.locator(".pv-graph-holder"))
    boxes = root.locator("svg g.pv-node").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().toJSON())"
    )
    assert len(boxes) == 16
    for r in boxes:
        assert pane["top"] <= r["top"] and r["bottom"] <= pane["bottom"] + 0.5, (r, pane)
        assert pane["left"] <= r["left"] and r["right"] <= pane["right"] + 0.5, (r, pane)
    assert min(_node_heights(root)) >= MIN_NODE_PX


def test_zoom_pan_and_fit(window: Any, pages: dict[str, Path]) -> None:
    root = _open(window, pages["chain14"])
    node = root.locator('svg g.pv-node[data-name="step_03"]')
    k0, h0 = _zoom(root), _rect(node)["height"]
    root.locator(".pv-zoom-in").click()
    assert _zoom(root) == pytest.approx(k0 * 1.25, rel=0.01)
    assert _rect(node)["height"] == pytest.approx(h0 * 1.25, rel=0.02)
    # the wheel zooms too (out, here), around the pointer
    pane = _rect(root.locator(".pv-graph-holder"))
    window.mouse.move(pane["left"] + pane["width"] / 2, pane["top"] + pane["height"] / 2)
    window.mouse.wheel(0, 400)
    assert _zoom(root) < k0 * 1.25
    # stepping keeps the zoom and pan
    k1 = _zoom(root)
    _step(window, root, 1)
    _step(window, root, 2)
    assert _zoom(root) == k1
    # a drag pans (the graph zoomed to be larger than the pane), and selects nothing
    for _ in range(4):
        root.locator(".pv-zoom-in").click()
    before = _rect(node)
    window.mouse.move(pane["left"] + 40, pane["top"] + 300)
    window.mouse.down()
    window.mouse.move(pane["left"] + 140, pane["top"] + 250, steps=5)
    window.mouse.up()
    after = _rect(node)
    assert after["left"] - before["left"] == pytest.approx(100, abs=2)
    assert after["top"] - before["top"] == pytest.approx(-50, abs=2)
    assert root.locator("svg g.pv-node.pv-selected").count() == 0
    # fit restores the whole graph
    root.locator(".pv-zoom-fit").click()
    assert _zoom(root) == pytest.approx(k0, rel=0.01)
    # fit active: the step's one task fills the pane (up to the largest fit scale)
    root.locator(".pv-zoom-fit-active").click()
    assert _zoom(root) > k0
    active = _rect(root.locator("svg g.pv-node.pv-active"))
    assert pane["left"] < active["left"] < active["right"] < pane["right"]


def test_tab_reaches_a_node_and_enter_selects_it(window: Any, pages: dict[str, Path]) -> None:
    root = _open(window, pages["chain14"])
    _step(window, root, 1)  # step_00 ran
    root.focus()
    for _ in range(40):
        window.keyboard.press("Tab")
        if window.evaluate("document.activeElement.getAttribute('data-name')") == "step_00":
            break
    else:
        pytest.fail("Tab never reached the node step_00")
    node = root.locator('svg g.pv-node[data-name="step_00"]')
    # a visible focus ring
    assert (
        node.locator("path, polygon").first.evaluate("e => getComputedStyle(e).strokeWidth")
        == "3px"
    )
    assert "pv-selected" not in (node.get_attribute("class") or "")
    window.keyboard.press("Enter")
    expect(node).to_have_class(re.compile(r"\bpv-selected\b"))
    # the arrow keys still step with the focus on a node
    window.keyboard.press("ArrowRight")
    expect(root).to_have_attribute("data-step", "2")


def test_subgraph_nodes_show_open(window: Any, pages: dict[str, Path], shots: Path) -> None:
    root = _open(window, pages["demo"])
    edit = root.locator('svg g.pv-node.pv-subgraph[data-name="edit"]')
    button = edit.locator(".pv-open")
    expect(button).to_be_visible()
    assert button.text_content() == "open subgraph editopen \u203a"  # title, then the text
    assert button.get_attribute("aria-label") == "open subgraph edit"
    # at a step where edit did not run, the button (lighter) opens its last run, or its first
    expect(button).to_have_class(re.compile(r"\bpv-open-idle\b"))
    button.click()
    expect(root).not_to_have_attribute("data-ns", "")
    window.evaluate("window.pregelViz.setNs('')")
    expect(root).to_have_attribute("data-ns", "")
    # where edit ran, its open button opens that run's subgraph (by keyboard too)
    for n in range(0, 8):
        _step(window, root, n)
        if "edit" in (root.get_attribute("data-active") or ""):
            break
    else:
        pytest.fail("edit never ran")
    expect(button).not_to_have_class(re.compile(r"\bpv-open-idle\b"))
    window.screenshot(path=str(shots / "demo-subgraph-node.png"))
    button.focus()
    window.keyboard.press("Enter")
    expect(root).not_to_have_attribute("data-ns", "")
    window.screenshot(path=str(shots / "demo-in-subgraph.png"))
