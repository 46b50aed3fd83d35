"""The side-by-side HTML page (``pregel-viz diff A B --html``) in headless Chromium, from file://.

Each page is stepped through every aligned row with the shared control; each side's viewer must
show that row's step of its side (or stay on its nearest step, marked missing), and the rows and
nodes marked as differing must be exactly those the Python comparison names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypedDict

import pytest
from helpers import forked_run
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

import pregel_viz
from pregel_viz.model import Run
from pregel_viz.views.compare_view import compare_payload, fork_payload
from pregel_viz.views.html import write_compare_html

pytestmark = pytest.mark.ui


class PriceState(TypedDict, total=False):
    total: int
    paid: int


def _pricing_threads() -> Run:
    """Same input, a route that depends on the config: steps -1 and 0 are the same."""

    def route(state: PriceState, config: RunnableConfig) -> Literal["discount", "full"]:
        return "discount" if state["total"] > config["configurable"]["over"] else "full"

    g = StateGraph(PriceState)
    g.add_node("quote", lambda state: {"total": 400})
    g.add_node("discount", lambda state: {"paid": 360})
    g.add_node("full", lambda state: {"paid": 400})
    g.add_edge(START, "quote")
    g.add_conditional_edges("quote", route)
    g.add_edge("discount", END)
    g.add_edge("full", END)
    graph = g.compile()
    with pregel_viz.recording(graph) as rec:
        for thread, over in (("low", 100), ("high", 500)):
            graph.invoke({}, {"configurable": {"thread_id": thread, "over": over}})
    return rec.run


def _threads_doc() -> dict[str, Any]:
    run = _pricing_threads()
    return compare_payload(run, run, thread_a="low", thread_b="high", labels=("low", "high"))


def _fork_doc() -> dict[str, Any]:
    return fork_payload(forked_run())


DOCS: dict[str, Callable[[], dict[str, Any]]] = {"threads": _threads_doc, "fork": _fork_doc}


@pytest.fixture(scope="module", params=sorted(DOCS))
def compare_page(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    data = DOCS[request.param]()
    path = tmp_path_factory.mktemp("sbs") / f"{request.param}.html"
    write_compare_html(data, path)
    return path, data


def _marked(viewer: ViewerDriver) -> set[str]:
    return set(
        viewer.root.locator("svg.pv-svg g.pv-compare-diff").evaluate_all(
            "els => els.map(e => e.getAttribute('data-name'))"
        )
    )


def test_step_through_every_row_and_check_both_sides(
    page: Any, compare_page: tuple[Path, dict[str, Any]]
) -> None:
    path, data = compare_page
    rows = data["comparison"]["rows"]
    assert any(r["same"] for r in rows) and any(not r["same"] for r in rows)
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    page.goto(path.as_uri())
    root = page.locator(".pv-compare")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    sides = [ViewerDriver(page.locator(f".pv-compare-side-{k} .pregel-viewer")) for k in "ab"]
    for v in sides:
        v.wait_ready()
    drawn = [set(v.node_names()) for v in sides]

    # the strip marks exactly the rows the comparison says differ
    marked_rows = root.locator(".pv-compare-row.pv-compare-row-diff").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('data-row')))"
    )
    assert marked_rows == [i for i, r in enumerate(rows) if not r["same"]]
    # it opens at the first divergence
    expect(root).to_have_attribute("data-row", str(data["comparison"]["first_row"]))

    page.locator(".pv-compare-toolbar button.pv-compare-first").click()
    last_seen: list[int | None] = [None, None]
    for i, row in enumerate(rows):
        if i:
            page.locator(".pv-compare-toolbar button.pv-compare-next").click()
        expect(root).to_have_attribute("data-row", str(i))
        expect(root).to_have_attribute("data-step", str(row["step"]))
        for k, (v, side) in enumerate(zip(sides, "ab", strict=True)):
            at = row["at"][k]
            box = page.locator(f".pv-compare-side-{side}")
            if at is not None:
                last_seen[k] = at["step"]
                v.expect(step=at["step"])
                expect(box).not_to_have_class("pv-compare-missing")
            else:  # missing: the side stays on its nearest step before
                assert last_seen[k] is not None
                v.expect(step=last_seen[k])
                expect(box).to_have_class(_has("pv-compare-missing"))
            assert _marked(v) == set(row["nodes"][k]) & drawn[k], (i, side)
        diffs = page.locator(".pv-compare-diffs li.pv-compare-diff")
        expect(diffs).to_have_count(len(row["differences"]))
        for j, d in enumerate(row["differences"]):
            expect(diffs.nth(j).locator(".pv-compare-details")).to_have_text(d["details"])

    # jump back to the first divergence with its button
    page.locator(".pv-compare-toolbar button.pv-compare-first-diff").click()
    expect(root).to_have_attribute("data-row", str(data["comparison"]["first_row"]))
    assert page.errors == []
    assert urls
    for url in urls:
        assert url.split(":", 1)[0] in {"file", "data", "blob"}, url


def _has(cls: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(cls)}(\s|$)")


def test_a_side_moved_alone_takes_the_other_along(
    page: Any, compare_page: tuple[Path, dict[str, Any]]
) -> None:
    path, data = compare_page
    rows = data["comparison"]["rows"]
    page.goto(path.as_uri())
    root = page.locator(".pv-compare")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    a = ViewerDriver(page.locator(".pv-compare-side-a .pregel-viewer"))
    b = ViewerDriver(page.locator(".pv-compare-side-b .pregel-viewer"))
    page.locator(".pv-compare-toolbar button.pv-compare-first").click()
    b.next()  # B's own control
    expect(root).to_have_attribute("data-row", "1")
    a.expect(step=rows[1]["at"][0]["step"])
    assert page.errors == []
