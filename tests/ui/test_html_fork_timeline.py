"""A forked thread's timeline on the standalone HTML page, in headless Chromium: the fork is
drawn as a branch leaving its parent's checkpoint, with a 1/2 switch between the branches;
a 60-task step is drawn as one band of 60 lanes with a count that expands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphs import build_wide_fanout
from helpers import forked_run
from playwright.sync_api import expect
from viewer_driver import WINDOW, open_page

import pregel_viz

pytestmark = pytest.mark.ui


def test_a_fork_is_a_branch_at_its_parent_checkpoint_with_a_working_switch(
    page: Any, tmp_path: Path
) -> None:
    # update_state on the step-1 checkpoint (value 42 -> 3, as classify), then on from there
    run = forked_run()
    steps = run.thread.root.supersteps
    numbers = run.thread.root.branch_numbers()
    fork_first = next(i for i, (_, of) in enumerate(numbers) if of is not None)
    branch_point = numbers[fork_first][1]
    assert branch_point is not None and steps[branch_point].step == 1
    parent_path = [i for i, (b, _) in enumerate(numbers) if b == 0]
    fork_path = [*range(branch_point + 1), *range(fork_first, len(steps))]
    path = tmp_path / "fork.html"
    run.to_html(path)
    viewer = open_page(page, path, WINDOW)
    page.locator(".pregel-viewer").focus()
    # a finished run opens at its input, on the first branch: End goes to that branch's end
    page.keyboard.press("End")
    viewer.expect(index=parent_path[-1])
    assert viewer.columns() == parent_path
    switch = page.locator(".pv-tl-switch")
    expect(switch).to_have_count(1)
    expect(switch).to_have_attribute("data-branches", "1/2")
    point = page.locator(f'.pv-tl-col[data-index="{branch_point}"]')
    expect(point).to_have_class(_has("pv-tl-branch-point"))
    # the right arrow goes to the fork: its first step after the checkpoint, and its path
    switch.locator("button").nth(1).click()
    viewer.expect(index=fork_first)
    assert viewer.columns() == fork_path
    expect(page.locator(".pv-tl-switch")).to_have_attribute("data-branches", "2/2")
    # the switch is on the column right after the checkpoint; End stays on the fork
    expect(page.locator(f'.pv-tl-col[data-index="{fork_first}"] .pv-tl-switch')).to_have_count(1)
    page.locator(".pregel-viewer").focus()
    page.keyboard.press("End")
    viewer.expect(index=len(steps) - 1)
    assert viewer.columns() == fork_path
    page.screenshot(path=str(tmp_path / "fork-branch-2.png"))
    # and the left arrow back to the first branch, at its step after the checkpoint
    page.locator(".pv-tl-switch button").first.click()
    viewer.expect(index=branch_point + 1, step=2)
    assert viewer.columns() == parent_path
    expect(page.locator(".pv-tl-switch")).to_have_attribute("data-branches", "1/2")
    expect(page.locator(".pv-tl-switch button").first).to_be_disabled()
    page.screenshot(path=str(tmp_path / "fork-branch-1.png"))
    assert page.errors == []


def test_a_60_task_step_is_one_band_with_a_count_and_a_column_click_selects_no_task(
    page: Any, tmp_path: Path
) -> None:
    run = pregel_viz.record(build_wide_fanout(None), {"n": 60, "squares": []})
    index = next(i for i, s in enumerate(run.thread.root.supersteps) if len(s.tasks) == 60)
    path = tmp_path / "wide.html"
    run.to_html(path)
    viewer = open_page(page, path, WINDOW)
    col = page.locator(f'.pv-tl-col[data-index="{index}"]')
    lanes = col.locator(".pv-tl-lane")
    expect(lanes).to_have_count(60)
    expect(col).not_to_contain_text("+54")
    # every lane starts at the left: the tasks of one step ran in parallel
    lefts = col.locator(".pv-tl-bar").evaluate_all("els => els.map(e => e.style.left)")
    assert set(lefts) == {"0%"}
    # all 60 lanes are within the band, each visible (at least 1 px high)
    heights = lanes.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 1
    band = col.locator(".pv-tl-body").bounding_box()
    assert band is not None and band["height"] < 100
    # clicking the column (on a bar) selects the step and no task
    body = col.locator(".pv-tl-body")
    body.click(position={"x": 4, "y": 30})  # on the bars of the band's middle lanes
    under = body.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return e.ownerDocument.elementFromPoint(r.left + 4, r.top + 30).className; }"
    )
    assert under == "pv-tl-bar pv-bar-ok"
    viewer.expect(index=index)
    expect(page.locator(".pv-tl-lane.pv-selected")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "wide-band.png"))
    # the count expands the band to a lane per task
    col.locator(".pv-tl-count").click()
    expect(page.locator(".pv-timeline")).to_have_class(_has("pv-tl-expanded"))
    expect(col.locator(".pv-tl-lane.pv-tl-thin")).to_have_count(0)
    tall = col.locator(".pv-tl-body").bounding_box()
    assert tall is not None and tall["height"] >= 60 * 5
    viewer.expect(index=index)
    assert page.errors == []


def _has(cls: str) -> Any:
    import re

    return re.compile(rf"(^|\s){re.escape(cls)}(\s|$)")
