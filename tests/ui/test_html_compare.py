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
            # a value-only row outlines no node: its nodes did the same things on both sides
            want = set() if row.get("kind") == "values" else set(row["nodes"][k]) & drawn[k]
            assert _marked(v) == want, (i, side)
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


# --------------------------------------------------------------------------- ranked


def _two_inputs_page(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """conditional_path_map given 42 and 3: classify routes them apart at step 1."""
    from graphs import CASES

    case = CASES["conditional_path_map"]
    a = pregel_viz.record(case.build(None), {"value": 42, "log": []})
    b = pregel_viz.record(case.build(None), {"value": 3, "log": []})
    data = compare_payload(a, b, labels=("big", "small"))
    path = tmp_path / "inputs.html"
    write_compare_html(data, path)
    return path, data


def _background_alpha(locator: Any) -> float:
    color = locator.evaluate("e => getComputedStyle(e).backgroundColor")
    m = re.match(r"rgba?\(([^)]*)\)", color)
    assert m, color
    parts = [float(x) for x in m.group(1).split(",")]
    return parts[3] if len(parts) == 4 else 1.0


def test_two_inputs_open_at_the_route_that_parts_them_and_value_only_steps_are_lighter(
    page: Any, tmp_path: Path
) -> None:
    path, data = _two_inputs_page(tmp_path)
    rows = data["comparison"]["rows"]
    assert [r["kind"] for r in rows] == ["values", "values", "tasks", "tasks"]
    page.set_viewport_size({"width": 1500, "height": 1000})
    page.goto(path.as_uri())
    root = page.locator(".pv-compare")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    # the first divergence is step 1 (classify routed elsewhere), not the input at step -1
    expect(root).to_have_attribute("data-row", "2")
    expect(root).to_have_attribute("data-step", "1")
    expect(root).to_have_attribute("data-rank", "tasks")
    expect(root.locator(".pv-compare-verdict")).to_contain_text(
        "the runs first differ at step 1: other tasks or routes"
    )
    expect(root.locator(".pv-compare-diffs li.pv-compare-diff").first).to_have_text(
        re.compile("routes.*classify routed to handle_big in big but to handle_small in small")
    )
    # A against B at this step, not each side against its own previous step
    state = root.locator("table.pv-compare-state tbody tr")
    expect(state).to_have_count(1)
    expect(state.first.locator("th, td")).to_have_text(["value", "42", "3"])
    # the strip ranks the rows: value-only ones are drawn lighter than those with other tasks
    strip = root.locator(".pv-compare-row")
    ranks = strip.evaluate_all("els => els.map(e => e.getAttribute('data-rank'))")
    assert ranks == ["values", "values", "tasks", "tasks"]
    light = _background_alpha(strip.nth(0))
    strong = _background_alpha(strip.nth(2))
    assert light < 0.2 < strong, (light, strong)
    page.screenshot(path=str(tmp_path / "two-inputs.png"))
    # a value-only row's difference is drawn muted too
    strip.nth(0).click()
    expect(root).to_have_attribute("data-rank", "values")
    item = root.locator(".pv-compare-diffs li.pv-compare-diff").first
    expect(item).to_have_class(_has("pv-compare-rank-values"))
    assert page.errors == []


def test_a_fork_compared_with_its_parent_skips_its_own_update(page: Any, tmp_path: Path) -> None:
    data = _fork_doc()
    rows = data["comparison"]["rows"]
    lone = [i for i, r in enumerate(rows) if r["fork_point"]]
    assert len(lone) == 1
    path = tmp_path / "fork.html"
    write_compare_html(data, path)
    page.goto(path.as_uri())
    root = page.locator(".pv-compare")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    first = data["comparison"]["first_row"]
    assert rows[first]["at"][0]["step"] == 2 and rows[first]["at"][1]["step"] == 3
    expect(root).to_have_attribute("data-row", str(first))
    sides = [ViewerDriver(page.locator(f".pv-compare-side-{k} .pregel-viewer")) for k in "ab"]
    sides[0].expect(step=2)
    sides[1].expect(step=3)
    expect(root.locator(f'.pv-compare-row[data-row="{first}"]')).to_have_text("2↔3")
    fork_row = root.locator(f'.pv-compare-row[data-row="{lone[0]}"]')
    expect(fork_row).to_have_class(_has("pv-compare-row-fork"))
    expect(fork_row).not_to_have_class(_has("pv-compare-row-diff"))
    fork_row.click()
    expect(root.locator(".pv-compare-diffs")).to_contain_text("where the fork left its parent")
    assert page.errors == []


def test_a_side_by_side_page_takes_the_keys_with_no_click(page: Any, tmp_path: Path) -> None:
    """Opened from a file, the comparison has the focus: → and ← move the shared row at once,
    and still do after the "next" button disables at the last row."""
    path, data = _two_inputs_page(tmp_path)
    rows = data["comparison"]["rows"]
    page.set_viewport_size({"width": 1500, "height": 1000})
    page.goto(path.as_uri())
    root = page.locator(".pv-compare")
    expect(root).to_have_attribute("data-ready", "1", timeout=15_000)
    first = data["comparison"]["first_row"]
    expect(root).to_have_attribute("data-row", str(first))
    assert page.evaluate("document.activeElement.classList.contains('pv-compare')")
    page.keyboard.press("ArrowLeft")
    expect(root).to_have_attribute("data-row", str(first - 1))
    page.keyboard.press("Home")
    expect(root).to_have_attribute("data-row", "0")
    page.keyboard.press("]")  # the next row that differs (here in values only)
    expect(root).to_have_attribute(
        "data-row", str(next(i for i, r in enumerate(rows) if i and not r["same"]))
    )
    page.keyboard.press("End")
    expect(root).to_have_attribute("data-row", str(len(rows) - 1))
    page.keyboard.press("ArrowLeft")
    expect(root).to_have_attribute("data-row", str(first))
    # the mouse to the last row: "next" disables under the pointer, the keys keep working
    nxt = root.locator(".pv-compare-toolbar button.pv-compare-next")
    for _ in range(len(rows) - 1 - first):
        nxt.click()
    expect(root).to_have_attribute("data-row", str(len(rows) - 1))
    expect(nxt).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    expect(root).to_have_attribute("data-row", str(len(rows) - 2))
    assert page.errors == []
