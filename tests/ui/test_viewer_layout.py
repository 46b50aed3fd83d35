"""The standalone page at a real size (1500x1000) in headless Chromium: the viewer uses the
window, each step is read from the top of the side panel, list appends show their new items,
names never break mid-word, the keys work with no click and keep working after the last step
and after a subgraph, and play goes faster than 10 steps/s.

The runs are real LangGraph runs: a 300-step loop, an agent-like graph whose state holds a
messages list (add_messages) with tool calls, and the sample log (a subgraph).
"""

from __future__ import annotations

import operator
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from graphs import build_long_loop, build_wide_fanout
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from playwright.sync_api import expect
from viewer_driver import SAMPLE, WINDOW, ViewerDriver, open_page

import pregel_viz

pytestmark = pytest.mark.ui

LOOP_STEPS = 300


class AgentState(TypedDict, total=False):
    """An agent's state: its messages, and keys with long names."""

    messages: Annotated[list[AnyMessage], add_messages]
    sections: Annotated[list[str], operator.add]
    sentence: str
    retrieved_documents_for_the_current_question: list[str]


def build_agent() -> Any:
    """agent ⇄ tools until the agent answers (three tool calls)."""

    def agent(state: AgentState) -> dict[str, Any]:
        n = len(state["messages"])
        if n < 6:
            call = {"name": "search", "args": {"q": f"query {n}"}, "id": f"call-{n}"}
            text = f"I should look this up (turn {n})."
            return {
                "messages": [AIMessage(content=text, id=f"ai-{n}", tool_calls=[call])],
                "sentence": f"thinking about turn {n}",
            }
        return {
            "messages": [AIMessage(content="The moon causes the tides.", id="ai-end")],
            "sentence": "done",
        }

    def tools(state: AgentState) -> dict[str, Any]:
        call = state["messages"][-1].tool_calls[0]  # type: ignore[union-attr]
        found = f"result for {call['args']['q']}: three documents"
        return {
            "messages": [ToolMessage(content=found, tool_call_id=call["id"], id=f"t-{call['id']}")],
            "sections": [f"section from {call['args']['q']}", "another section"],
            "retrieved_documents_for_the_current_question": ["doc-a", "doc-b"],
        }

    def route(state: AgentState) -> str:
        return "tools" if getattr(state["messages"][-1], "tool_calls", None) else END

    g = StateGraph(AgentState)
    g.add_node("agent", agent)
    g.add_node("tools", tools)
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", route, ["tools", END])
    g.add_edge("tools", "agent")
    return g.compile()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("layout")
    loop = pregel_viz.record(
        build_long_loop(None), {"i": 0, "target": LOOP_STEPS}, {"recursion_limit": 1000}
    )
    agent = pregel_viz.record(
        build_agent(), {"messages": [HumanMessage(content="Why are there tides?", id="h-1")]}
    )
    paths = {"loop": out / "loop.html", "agent": out / "agent.html", "sample": out / "sample.html"}
    loop.to_html(paths["loop"])
    agent.to_html(paths["agent"])
    pregel_viz.load(SAMPLE).to_html(paths["sample"])
    return paths


def box(pg: Any, selector: str) -> dict[str, float]:
    return dict(pg.locator(selector).first.bounding_box())


def test_the_page_uses_the_window(window: Any, pages: dict[str, Path]) -> None:
    open_page(window, pages["loop"])
    root, main = box(window, ".pregel-viewer"), box(window, ".pv-main")
    assert root["height"] >= 0.85 * WINDOW["height"], root
    assert root["y"] + root["height"] <= WINDOW["height"] + 0.5  # and no page scroll
    assert window.evaluate("document.scrollingElement.scrollHeight") <= WINDOW["height"]
    # the graph pane and the side panel fill what the toolbar and the timeline leave
    toolbar, timeline = box(window, ".pv-toolbar"), box(window, ".pv-timeline")
    assert main["height"] >= root["height"] - toolbar["height"] - timeline["height"] - 4
    for part in (".pv-graph", ".pv-side"):
        assert abs(box(window, part)["height"] - main["height"]) <= 1, part
    # the toolbar says "input" at step -1, and names the graph
    expect(window.locator(".pv-step-label")).to_have_text("input")
    expect(window.locator(".pv-graph-name")).to_have_text("LangGraph")


def test_a_notebook_viewer_has_a_default_height_and_a_resize_handle(
    window: Any, pages: dict[str, Path]
) -> None:
    open_page(window, pages["loop"])
    # the same viewer outside a page (as in a notebook output): 600 px, resizable
    window.evaluate(
        """() => {
            const host = document.getElementById('pregel-viz-root');
            host.classList.remove('pv-page');
            host.querySelector('.pregel-viewer').classList.remove('pv-fill');
        }"""
    )
    root = window.locator(".pregel-viewer")
    assert root.evaluate("e => getComputedStyle(e).resize") == "vertical"
    assert abs(box(window, ".pregel-viewer")["height"] - 600) <= 1
    graph_before = box(window, ".pv-graph")["height"]
    # dragging the handle (bottom right corner) makes it taller: the graph pane follows
    b = box(window, ".pregel-viewer")
    window.mouse.move(b["x"] + b["width"] - 3, b["y"] + b["height"] - 3)
    window.mouse.down()
    window.mouse.move(b["x"] + b["width"] - 3, b["y"] + b["height"] + 197, steps=5)
    window.mouse.up()
    grown = box(window, ".pregel-viewer")["height"]
    assert grown >= 780, grown
    assert box(window, ".pv-graph")["height"] >= graph_before + (grown - 600) - 2


def test_arrow_keys_work_with_no_click(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["loop"])
    viewer.expect(step=-1)
    assert window.evaluate("document.activeElement.classList.contains('pregel-viewer')")
    window.keyboard.press("ArrowRight")
    viewer.expect(step=0)
    window.keyboard.press("ArrowRight")
    viewer.expect(step=1)


def test_keys_still_work_at_the_last_step(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["loop"])
    viewer.last()  # a mouse click: "next" and "last" disable under the pointer
    viewer.expect(step=LOOP_STEPS)
    expect(window.locator(".pv-next-btn")).to_be_disabled()
    window.keyboard.press("ArrowLeft")
    viewer.expect(step=LOOP_STEPS - 1)
    window.keyboard.press("Home")
    viewer.expect(step=-1)
    # the keyboard way: Tab to "next", Enter to the end, then ←
    window.keyboard.press("End")
    window.keyboard.press("ArrowLeft")
    window.locator(".pv-next-btn").focus()
    window.keyboard.press("Enter")
    viewer.expect(step=LOOP_STEPS)
    window.keyboard.press("ArrowLeft")
    viewer.expect(step=LOOP_STEPS - 1)


def test_keys_work_in_and_after_a_subgraph(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["sample"])
    viewer.select_thread("happy")
    window.keyboard.press("End")  # the select had the focus: the viewer's keys are not its
    window.locator(".pregel-viewer").focus()
    window.keyboard.press("End")
    viewer.expect(ns="", step=4)
    viewer.open_subgraph("summarize")  # mouse clicks on a task row and its "open subgraph"
    expect(viewer.root).to_have_attribute(
        "data-ns", "summarize:705944d7-ae62-4c2d-e5e9-d66e35c87910"
    )
    viewer.expect(index=0)
    window.keyboard.press("ArrowRight")
    viewer.expect(index=1)
    window.keyboard.press("Escape")
    viewer.expect(ns="", step=4)
    window.keyboard.press("ArrowLeft")
    viewer.expect(ns="", step=3)
    # in again by the graph, out by Backspace, then the keys still move
    window.keyboard.press("End")
    viewer.open_subgraph("summarize", how="graph")
    viewer.expect(index=0)
    window.keyboard.press("Backspace")
    viewer.expect(ns="", step=4)
    window.keyboard.press("Home")
    viewer.expect(ns="", step=-1)


def test_each_step_is_read_from_the_top_of_the_side_panel(
    window: Any, pages: dict[str, Path]
) -> None:
    viewer = open_page(window, pages["agent"])
    order = window.locator(".pv-side > .pv-section").evaluate_all(
        "els => els.filter(e => !e.hidden).map(e => e.classList[1])"
    )
    assert order[:3] == ["pv-summary", "pv-tasks", "pv-state"], order
    window.keyboard.press("ArrowRight")
    window.keyboard.press("ArrowRight")
    viewer.expect(step=1)
    side = window.locator(".pv-side")
    # a long panel: the task's details and the channels open
    window.locator(".pv-channels > summary").click()
    window.locator("tr.pv-task-row").first.click()
    b = box(window, ".pv-side")
    assert side.evaluate("e => e.scrollHeight") > b["height"] + 100
    window.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    window.mouse.wheel(0, 2000)
    window.wait_for_function("document.querySelector('.pv-side').scrollTop > 50")
    window.keyboard.press("ArrowRight")  # the focus stayed on the viewer
    viewer.expect(step=2)
    assert side.evaluate("e => e.scrollTop") == 0
    # the state diff is on screen: the messages row is inside the panel's visible area
    row = box(window, '.pv-state-table tr[data-key="messages"]')
    assert row["y"] < b["y"] + b["height"], (row, b)


def test_a_60_task_step_keeps_its_state_diff_in_view(window: Any, tmp_path: Path) -> None:
    """60 Sends in one superstep: the task table shows its first ten rows and a button for the
    rest, so the state diff after it is read with no scrolling; the reader's choice to see every
    task is kept at the next step."""
    run = pregel_viz.record(build_wide_fanout(None), {"n": 60, "squares": []})
    step = next(s.step for s in run.thread.root.supersteps if len(s.tasks) == 60)
    path = tmp_path / "wide.html"
    run.to_html(path)
    viewer = open_page(window, path)
    window.evaluate(f"window.pregelViz.setStep({step})")
    viewer.expect(step=step)
    rows = window.locator("tr.pv-task-row")
    expect(rows).to_have_count(60)  # every task is in the table, 50 of them folded away
    expect(window.locator("tr.pv-task-row:visible")).to_have_count(10)
    more = window.locator("button.pv-tasks-more")
    expect(more).to_have_text("+ 50 more tasks")
    # the appended squares are on screen, inside the side panel, with no scrolling
    side = box(window, ".pv-side")
    row = box(window, '.pv-state-table tr[data-key="squares"]')
    assert row["y"] + 40 < side["y"] + side["height"], (row, side)
    expect(window.locator('.pv-state-table tr[data-key="squares"] .pv-append-head')).to_be_visible()
    assert window.locator(".pv-side").evaluate("e => e.scrollTop") == 0
    window.screenshot(path=str(tmp_path / "wide-step.png"))
    # every task on demand; the keys still step; the choice holds at the next step
    more.click()
    expect(window.locator("tr.pv-task-row:visible")).to_have_count(60)
    expect(more).to_have_text("show fewer tasks")
    window.keyboard.press("ArrowLeft")
    viewer.expect(step=step - 1)
    window.keyboard.press("ArrowRight")
    viewer.expect(step=step)
    expect(window.locator("tr.pv-task-row:visible")).to_have_count(60)
    window.locator("button.pv-tasks-more").click()
    expect(window.locator("tr.pv-task-row:visible")).to_have_count(10)


def test_a_list_append_shows_its_new_items(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["agent"])
    for _ in range(3):
        window.keyboard.press("ArrowRight")
    viewer.expect(step=2)  # tools ran: a ToolMessage appended, and two sections
    row = window.locator('.pv-state-table tr[data-key="messages"]')
    # a list of messages shows the conversation, its new message marked (test_conversation.py)
    expect(row.locator(".pv-convo-head")).to_have_text("+ 1 new (3 messages now)")
    item = row.locator(".pv-msg-new")
    expect(item).to_have_count(1)
    expect(item.locator(".pv-msg-role")).to_have_text("tool")
    expect(item.locator(".pv-msg-body")).to_have_text("result for query 1: three documents")
    assert item.locator(".pv-msg-change").inner_text() == "+ new"
    assert item.is_visible()
    assert row.locator("details.pv-was:not(.pv-append-all)").count() == 0
    sections = window.locator('.pv-state-table tr[data-key="sections"] .pv-append-item')
    expect(sections).to_have_count(2)
    expect(sections.first).to_contain_text("section from query 1")


def test_state_keys_never_wrap_mid_word(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["agent"])
    window.keyboard.press("End")
    viewer.expect(step=7)
    names = window.locator(".pv-state-table td.pv-name .pv-name-text")
    shown = names.evaluate_all(
        """els => els.map(e => ({text: e.textContent, title: e.title,
                                 lines: Math.round(e.getBoundingClientRect().height
                                                   / parseFloat(getComputedStyle(e).lineHeight)),
                                 cut: e.scrollWidth > e.clientWidth}))"""
    )
    assert {s["text"] for s in shown} >= {"messages", "sections", "sentence"}
    for s in shown:
        assert s["lines"] == 1, s
        assert s["title"] == s["text"], s
        # short keys are whole; only a name longer than its column is cut (its tooltip has it)
        if len(s["text"]) <= 12:
            assert not s["cut"], s


def test_play_goes_past_ten_steps_a_second(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["loop"])
    speed = window.locator(".pv-speed")
    fastest = max(
        float(v) for v in speed.locator("option").evaluate_all("os => os.map(o => o.value)")
    )
    speed.select_option(str(int(fastest)) if fastest.is_integer() else str(fastest))
    window.locator(".pv-play").click()
    window.wait_for_function("Number(document.querySelector('.pregel-viewer').dataset.index) >= 3")
    i0, t0 = int(viewer.attr("data-index")), time.monotonic()
    time.sleep(2.0)
    i1, t1 = int(viewer.attr("data-index")), time.monotonic()
    rate = (i1 - i0) / (t1 - t0)
    print(f"play at {fastest}x: {rate:.1f} steps/s")
    assert rate > 10, rate
    window.locator(".pv-play").click()  # pause
    expect(viewer.root).not_to_have_class("pv-playing")


def test_a_pregel_document_fills_its_tab_and_takes_the_keys(lab: Any, browser: Any) -> None:
    """JupyterLab: a `.pregel` document uses its tab (most of the window) and → works once it
    opens, with no click."""
    from lab_driver import DOC, goto, guarded

    d = lab.root / "layout"
    d.mkdir(exist_ok=True)
    (d / "sample.pregel").write_bytes(SAMPLE.read_bytes())
    context = browser.new_context(viewport=WINDOW)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    try:
        with guarded(page):
            goto(page, lab, "lab/tree/layout?reset")
            item = page.locator(".jp-DirListing-item", has_text="sample.pregel")
            item.dblclick(timeout=30_000)
            doc = page.locator(DOC)
            expect(doc).to_have_attribute("data-state", "ready", timeout=60_000)
            viewer = ViewerDriver(doc.locator(".pregel-viewer"), timeout=30_000)
            viewer.wait_ready()
            viewer.expect(step=-1)
            page.wait_for_function(
                "document.activeElement"
                " && document.activeElement.classList.contains('pregel-viewer')"
            )
            page.keyboard.press("ArrowRight")
            viewer.expect(step=0)
            height = doc.locator(".pregel-viewer").bounding_box()["height"]
            tab = doc.bounding_box()
            # the tab is the window less JupyterLab's menu, tab bar and status bar
            assert height >= tab["height"] - 40, (height, tab)
            assert height >= 0.85 * (WINDOW["height"] - 100), height
            assert (
                doc.locator(".pregel-viewer").evaluate("e => getComputedStyle(e).resize") == "none"
            )
    finally:
        context.close()
