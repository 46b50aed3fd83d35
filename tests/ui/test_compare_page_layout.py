"""The side-by-side page (``pregel-viz diff A B --html``) at a real size (1500x1000) in headless
Chromium: it fills the window as a run's page does (the comparison's summary on top, the two
viewers sharing the rest, no page scroll), each graph fitted at load, a long list of differences
scrolls rather than squeezing the viewers, and a compare view outside a page (a notebook output)
keeps the viewer's default height.

The runs are real LangGraph runs: a 14-node chain forked with ``update_state`` (the fork
against the branch it left), a 60-wide fan-out forked the same way, and a state of many keys
all changed by the fork.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from playwright.sync_api import expect
from sized_graphs import chain14, fan60
from viewer_driver import WINDOW, ViewerDriver

import pregel_viz
from pregel_viz.views.compare_view import fork_payload
from pregel_viz.views.html import write_compare_html

pytestmark = pytest.mark.ui

MANY_KEYS = 16


def many_keys(checkpointer: Any) -> Any:
    """One node that sets MANY_KEYS keys, then two more steps."""
    Wide = TypedDict("Wide", {f"key_{i:02d}": str for i in range(MANY_KEYS)}, total=False)  # type: ignore[misc]
    g = StateGraph(Wide)
    g.add_node("fill", lambda state: {f"key_{i:02d}": f"value {i}" for i in range(MANY_KEYS)})
    g.add_node("check", lambda state: {})
    g.add_node("done", lambda state: {})
    g.add_edge(START, "fill")
    g.add_edge("fill", "check")
    g.add_edge("check", "done")
    g.add_edge("done", END)
    return g.compile(checkpointer=checkpointer)


def _forked(build: Any, start: dict[str, Any], at: int, update: dict[str, Any]) -> pregel_viz.Run:
    """A run, then ``update_state`` on its step-``at`` checkpoint and a run from there."""
    graph = build(InMemorySaver())
    cfg = {"configurable": {"thread_id": "fork"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke(start, cfg)
        past = next(s for s in graph.get_state_history(cfg) if s.metadata["step"] == at)
        graph.invoke(None, graph.update_state(past.config, update))
    return rec.run


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("compare-page")
    runs = {
        "chain14": _forked(chain14, {"results": []}, 3, {"results": ["edited"]}),
        "fan60": _forked(fan60, {"results": []}, 1, {"results": ["edited"]}),
        "keys": _forked(
            many_keys, {}, 1, {f"key_{i:02d}": f"edited value {i}" for i in range(MANY_KEYS)}
        ),
    }
    paths = {}
    for name, run in runs.items():
        paths[name] = out / f"{name}.html"
        write_compare_html(fork_payload(run), paths[name])
    return paths


def _rect(loc: Any) -> dict[str, float]:
    return dict(loc.evaluate("e => e.getBoundingClientRect().toJSON()"))


def _open(pg: Any, path: Path) -> list[ViewerDriver]:
    pg.goto(path.as_uri())
    expect(pg.locator(".pv-compare")).to_have_attribute("data-ready", "1", timeout=15_000)
    sides = [ViewerDriver(pg.locator(f".pv-compare-side-{k} .pregel-viewer")) for k in "ab"]
    for v in sides:
        v.wait_ready()
    return sides


def _assert_fills_the_window(pg: Any, sides: list[ViewerDriver]) -> None:
    height = WINDOW["height"]
    page = _rect(pg.locator(".pv-compare"))
    # the page is used to its bottom (as a run's page: 984 of 1000 px, the page's padding left)
    assert page["height"] >= 0.85 * height and page["bottom"] >= height - 16, page
    assert pg.evaluate("document.scrollingElement.scrollHeight") <= height  # no page scroll
    for v in sides:
        box = _rect(v.root)
        # each viewer takes the height the summary leaves, down to the page's bottom
        assert box["height"] >= 0.85 * (height - box["top"]), box
        assert abs(box["bottom"] - page["bottom"]) <= 1, (box, page)
        assert v.root.evaluate("e => getComputedStyle(e).resize") == "none"


def _assert_every_node_in_its_pane(sides: list[ViewerDriver], count: int) -> None:
    for v in sides:
        pane = _rect(v.root.locator(".pv-graph-holder"))
        boxes = v.root.locator("svg.pv-svg g.pv-node").evaluate_all(
            """els => els.map(e => ({name: e.getAttribute('data-name'),
                                    ...e.getBoundingClientRect().toJSON()}))"""
        )
        assert len(boxes) == count, boxes
        for r in boxes:
            assert pane["top"] <= r["top"] and r["bottom"] <= pane["bottom"] + 0.5, (r, pane)
            assert pane["left"] <= r["left"] and r["right"] <= pane["right"] + 0.5, (r, pane)


def test_a_fork_of_a_14_node_chain_fills_the_window_and_shows_both_graphs_whole(
    window: Any, pages: dict[str, Path]
) -> None:
    sides = _open(window, pages["chain14"])
    _assert_fills_the_window(window, sides)
    # start, 14 steps, end: every node of both sides inside its graph pane, at load
    _assert_every_node_in_its_pane(sides, 16)
    # the summary stays on top: control, verdict, steps, differences, then the two viewers
    tops = [
        _rect(window.locator(f".pv-compare > {part}"))["top"]
        for part in (".pv-compare-toolbar", ".pv-compare-verdict", ".pv-compare-strip")
    ]
    diffs = _rect(window.locator(".pv-compare-diffs"))
    assert tops == sorted(tops) and diffs["bottom"] <= _rect(sides[0].root)["top"]
    # stepping keeps the layout: the last row, then the first divergence
    window.locator(".pv-compare-toolbar button.pv-compare-last").click()
    window.locator(".pv-compare-toolbar button.pv-compare-first-diff").click()
    _assert_fills_the_window(window, sides)


def test_a_fork_of_a_60_wide_fan_out_fills_the_window(window: Any, pages: dict[str, Path]) -> None:
    sides = _open(window, pages["fan60"])
    _assert_fills_the_window(window, sides)
    # start, plan, the 60 workers folded into one group, merge, end
    _assert_every_node_in_its_pane(sides, 5)


def test_a_long_list_of_differences_scrolls_and_the_viewers_keep_their_share(
    window: Any, pages: dict[str, Path]
) -> None:
    sides = _open(window, pages["keys"])
    root = window.locator(".pv-compare")
    # the row where the fork's own update set every key: a state table of MANY_KEYS rows
    window.locator(".pv-compare-toolbar button.pv-compare-first-diff").click()
    expect(root.locator("table.pv-compare-state tbody tr")).to_have_count(MANY_KEYS)
    _assert_fills_the_window(window, sides)
    diffs = window.locator(".pv-compare-diffs")
    assert diffs.evaluate("e => e.scrollHeight > e.clientHeight")  # it scrolls, in its box
    assert _rect(sides[0].root)["height"] >= 0.6 * _rect(root)["height"] - 60


def test_outside_a_page_each_viewer_keeps_the_default_height(
    window: Any, pages: dict[str, Path]
) -> None:
    sides = _open(window, pages["chain14"])
    # the same view as a notebook output shows it (no page, no fill): 600 px, resizable
    window.evaluate(
        """() => {
            const host = document.getElementById('pregel-viz-root');
            host.classList.remove('pv-page');
            host.querySelector('.pv-compare').classList.remove('pv-compare-fill');
        }"""
    )
    for v in sides:
        assert abs(_rect(v.root)["height"] - 600) <= 1
        assert v.root.evaluate("e => getComputedStyle(e).resize") == "vertical"
