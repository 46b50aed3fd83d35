"""The side panel in words, on the standalone HTML page in headless Chromium: a run given no
thread id is "This run"; the Next list says what runs next and what a barrier still waits for,
with LangGraph's channels and versions, and the narration's internals, behind "details"
toggles that stay as the reader left them from step to step."""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from playwright.sync_api import expect
from viewer_driver import WINDOW, open_page

import pregel_viz

pytestmark = pytest.mark.ui


class LogState(TypedDict):
    log: Annotated[list[str], operator.add]


def _uneven_join() -> Any:
    """a -> (b, c); c -> c2; add_edge([b, c2], merge): b reports a step before c2."""
    g = StateGraph(LogState)
    for name in ("a", "b", "c", "c2", "merge"):
        g.add_node(name, lambda s, name=name: {"log": [name]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "c")
    g.add_edge("c", "c2")
    g.add_edge(["b", "c2"], "merge")
    g.add_edge("merge", END)
    return g.compile()


def test_the_next_list_and_the_narration_in_words_with_details_on_demand(
    page: Any, tmp_path: Path
) -> None:
    run = pregel_viz.record(_uneven_join(), {"log": []})
    steps = run.thread.root.supersteps
    at = next(i for i, s in enumerate(steps) if sorted(t.name for t in s.tasks) == ["b", "c"])
    path = tmp_path / "join.html"
    run.to_html(path)
    viewer = open_page(page, path, WINDOW)
    root = viewer.root
    root.focus()
    page.keyboard.press("Home")
    for _ in range(at):
        page.keyboard.press("ArrowRight")
    viewer.expect(index=at)
    side = root.locator(".pv-side")
    # the thread id was made up by pregel-viz: not shown
    expect(side.locator(".pv-summary .pv-outcome")).to_have_text("This run: completed")
    expect(side).not_to_contain_text("pregel-viz-")
    nxt = side.locator(".pv-next-list")
    expect(nxt.locator(".pv-next-words li")).to_have_text(
        ["c2 after c", "merge waits for b and c2 (b done)"]
    )
    expect(nxt.locator(".pv-section-title")).to_have_text("Next (1)")
    internals = nxt.locator("details.pv-internals")
    expect(internals.locator(".pv-internals-list")).to_be_hidden()
    internals.locator("summary").click()
    expect(internals.locator(".pv-internals-list li")).to_have_text(
        [re.compile(r"^c2 ← branch:to:c2 ∅ → v\d+$"), "join:b+c2:merge: b reported"]
    )
    # the words never show LangGraph's channels
    words = " ".join(nxt.locator(".pv-next-words li").all_inner_texts())
    assert not re.search(r"branch:|join:|∅|→", words)
    # the narration: sentences, and their internals one click away
    narration = side.locator(".pv-narration")
    expect(narration.locator(".pv-narration-list")).not_to_contain_text("join:")
    told = narration.locator("details.pv-internals")
    told.locator("summary").click()
    expect(told.locator(".pv-internals-list")).to_contain_text("join:b+c2:merge")
    page.locator(".pv-side").screenshot(path=str(tmp_path / "side.png"))
    # the next step: merge is released; the toggles stay open as the reader left them
    page.keyboard.press("ArrowRight")
    viewer.expect(index=at + 1)
    expect(nxt.locator(".pv-next-words li")).to_have_text(["merge after all of b and c2"])
    expect(nxt.locator("details.pv-internals .pv-internals-list")).to_be_visible()
    expect(nxt.locator("details.pv-internals .pv-internals-list li")).to_have_text(
        [re.compile(r"^merge ← join:b\+c2:merge ∅ → v\d+$")]
    )
    assert page.errors == []


def test_a_named_thread_is_named(page: Any, tmp_path: Path) -> None:
    run = pregel_viz.record(
        _uneven_join(), {"log": []}, config={"configurable": {"thread_id": "support-42"}}
    )
    path = tmp_path / "named.html"
    run.to_html(path)
    open_page(page, path)
    expect(page.locator(".pv-summary .pv-outcome")).to_have_text("Thread support-42: completed")
    assert page.errors == []
