"""A forked thread stepped by keys on the standalone HTML page, in headless Chromium: ← and →,
Home and End follow the branch shown (the path the timeline draws) and never jump into another
branch; the timeline's branch switch changes branch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import forked_run
from playwright.sync_api import expect
from viewer_driver import WINDOW, open_page

pytestmark = pytest.mark.ui


def test_keys_follow_the_branch_shown(page: Any, tmp_path: Path) -> None:
    run = forked_run()
    numbers = run.thread.root.branch_numbers()
    fork_first = next(i for i, (_, of) in enumerate(numbers) if of is not None)
    point = numbers[fork_first][1]
    assert point is not None
    parent = [i for i, (b, _) in enumerate(numbers) if b == 0]
    fork = [*range(point + 1), *range(fork_first, len(numbers))]
    # the parent branch is recorded first: its last entry comes right before the fork's first
    assert parent[-1] == fork_first - 1
    path = tmp_path / "fork.html"
    run.to_html(path)
    viewer = open_page(page, path, WINDOW)
    root = viewer.root
    root.focus()

    def press(key: str, index: int) -> None:
        page.keyboard.press(key)
        viewer.expect(index=index)

    press("Home", 0)
    press("End", parent[-1])  # the parent branch's end
    press("ArrowRight", parent[-1])  # → stays: the fork is another branch
    assert viewer.columns() == parent
    expect(root.locator(".pv-toolbar .pv-next-btn")).to_be_disabled()
    # the switch goes to the fork; ← and → then pass its fork point along the fork
    root.locator(".pv-tl-switch button").last.click()
    viewer.expect(index=fork_first)
    assert viewer.columns() == fork
    root.focus()
    press("ArrowLeft", point)
    press("ArrowLeft", point - 1)
    press("ArrowRight", point)
    press("ArrowRight", fork_first)  # still the fork: not the parent's next entry
    press("End", fork[-1])
    press("Home", 0)
    press("End", fork[-1])
    assert viewer.columns() == fork
    expect(root.locator(".pv-step-label")).to_contain_text("branch 2")
    page.screenshot(path=str(tmp_path / "fork-keys.png"))
    assert page.errors == []
