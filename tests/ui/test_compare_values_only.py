"""A value-only step of a side-by-side page outlines no node, in headless Chromium.

Two runs of one graph on other inputs: step 0 differs only in values (``__start__`` ran and
wrote the same way on both sides, its input was other), so no node is outlined there as if it
had done something else; the step where the runs routed apart outlines its nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphs import CASES
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

import pregel_viz
from pregel_viz.views.compare_view import compare_payload
from pregel_viz.views.html import write_compare_html

pytestmark = pytest.mark.ui


def _marked(page: Any, side: str) -> list[str]:
    return list(
        page.locator(f".pv-compare-side-{side} svg.pv-svg g.pv-compare-diff").evaluate_all(
            "els => els.map(e => e.getAttribute('data-name'))"
        )
    )


def test_a_value_only_step_outlines_no_node(page: Any, tmp_path: Path) -> None:
    case = CASES["conditional_path_map"]
    a = pregel_viz.record(case.build(None), case.input)  # value 42: routed big
    b = pregel_viz.record(case.build(None), {"value": 3, "log": []})  # small
    data = compare_payload(a, b, labels=("big", "small"))
    rows = data["comparison"]["rows"]
    values_only = next(i for i, r in enumerate(rows) if r["step"] == 0)
    routed = next(i for i, r in enumerate(rows) if r["step"] == 2)
    # the comparison names __start__ at step 0 (its values differ), values only
    assert rows[values_only]["kind"] == "values"
    assert rows[values_only]["nodes"] == [["__start__"], ["__start__"]]
    path = tmp_path / "values.html"
    write_compare_html(data, path)
    page.set_viewport_size({"width": 1500, "height": 1000})
    page.goto(path.as_uri())
    root = page.locator(".pv-compare")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    for side in "ab":
        ViewerDriver(page.locator(f".pv-compare-side-{side} .pregel-viewer")).wait_ready()
    page.locator(f'.pv-compare-row[data-row="{routed}"]').click()
    expect(root).to_have_attribute("data-row", str(routed))
    assert (_marked(page, "a"), _marked(page, "b")) == (["handle_big"], ["handle_small"])
    page.locator(f'.pv-compare-row[data-row="{values_only}"]').click()
    expect(root).to_have_attribute("data-row", str(values_only))
    expect(root).to_have_attribute("data-rank", "values")
    # the start node is drawn, and not outlined
    expect(page.locator('.pv-compare-side-a svg.pv-svg g[data-name="__start__"]')).to_have_count(1)
    assert (_marked(page, "a"), _marked(page, "b")) == ([], [])
    expect(page.locator(".pv-compare-diffs li.pv-compare-rank-values")).not_to_have_count(0)
    page.screenshot(path=str(tmp_path / "values-only.png"))
    assert page.errors == []
