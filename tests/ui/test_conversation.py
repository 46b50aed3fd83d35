"""Messages as a conversation, in headless Chromium on the offline HTML page (1500x1000).

Real agent runs (tests/agents.py: LangChain's fake chat model, real @tool functions, LangGraph's
ToolNode), recorded with ``pregel_viz.record``: a state list of LangChain messages reads as a chat
in the State table and the task panel, with no click: each message's role, the tool calls with
their arguments, each tool result with the call it answers (an error result marked), the token
usage, and the diff by message id (new, replaced, removed) against the step before.

Screenshots of the last step and of the step that appends the tool results are written to the
test's temporary folder (the paths are printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from agents import ANSWER, ScriptedChat, tool_agent
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from playwright.sync_api import expect
from viewer_driver import open_page

import pregel_viz

pytestmark = pytest.mark.ui

QUESTION = "What is the weather in Paris, and what is 2 + 40?"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("conversation")
    weather = pregel_viz.record(tool_agent(), {"messages": [HumanMessage(QUESTION)]})
    failing = pregel_viz.record(
        tool_agent(
            ScriptedChat(
                responses=[
                    AIMessage(
                        "",
                        tool_calls=[{"name": "divide", "args": {"a": 1, "b": 0}, "id": "call_div"}],
                    ),
                    AIMessage("I cannot divide by zero."),
                ]
            )
        ),
        {"messages": [HumanMessage("What is 1 / 0?")]},
    )
    edited = pregel_viz.record(
        build_editor(), {"messages": [HumanMessage("draft, please", id="q")]}
    )
    # nothing handles the tool's error: the tools task fails, the run crashes, no tool message
    crashing = pregel_viz.record(
        tool_agent(
            ScriptedChat(
                responses=[
                    AIMessage(
                        "",
                        tool_calls=[
                            {
                                "name": "get_weather",
                                "args": {"city": "Paris"},
                                "id": "call_weather",
                            },
                            {"name": "divide", "args": {"a": 1, "b": 0}, "id": "call_div"},
                        ],
                    ),
                    AIMessage("never said"),
                ]
            ),
            handle_tool_errors=False,
        ),
        {"messages": [HumanMessage("Weather in Paris, and 1 / 0?")]},
    )
    assert crashing.outcome["status"] == "error"
    paths = {name: out / f"{name}.html" for name in ("weather", "failing", "edited", "crashing")}
    weather.to_html(paths["weather"])
    failing.to_html(paths["failing"])
    edited.to_html(paths["edited"])
    crashing.to_html(paths["crashing"])
    return paths


def build_editor() -> Any:
    """A writer answers, then an editor replaces the answer (same id) and removes the question,
    as add_messages applies them."""

    def writer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("A first draft.", id="draft")]}

    def editor(state: MessagesState) -> dict[str, Any]:
        return {"messages": [RemoveMessage(id="q"), AIMessage("The final text.", id="draft")]}

    g = StateGraph(MessagesState)
    g.add_node("writer", writer)
    g.add_node("editor", editor)
    g.add_edge(START, "writer")
    g.add_edge("writer", "editor")
    g.add_edge("editor", END)
    return g.compile()


def messages_row(pg: Any) -> Any:
    return pg.locator('.pv-state-table tr[data-key="messages"]')


def shoot(pg: Any, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    pg.screenshot(path=str(shot), animations="disabled")
    print(f"screenshot: {shot}")


def test_the_last_step_reads_as_a_chat(window: Any, pages: dict[str, Path], tmp_path: Path) -> None:
    viewer = open_page(window, pages["weather"])
    window.keyboard.press("End")
    viewer.expect(step=3)
    row = messages_row(window)
    bubbles = row.locator(".pv-msg")
    expect(bubbles).to_have_count(5)
    roles = bubbles.evaluate_all("els => els.map(e => e.getAttribute('data-role'))")
    assert roles == ["user", "assistant", "tool", "tool", "assistant"]
    # with no click: the question, the final answer, each tool call with its arguments, each result
    expect(bubbles.nth(0).locator(".pv-msg-body")).to_have_text(QUESTION)
    answer = bubbles.nth(4)
    expect(answer.locator(".pv-msg-body")).to_have_text(ANSWER)
    expect(answer.locator(".pv-msg-change")).to_have_text("+ new")
    expect(answer.locator(".pv-msg-usage")).to_have_text("90 → 12 tokens")
    calls = bubbles.nth(1).locator(".pv-msg-call .pv-msg-callsig")
    expect(calls).to_have_text(['get_weather(city="Paris")', "add(a=2, b=40)"])
    expect(bubbles.nth(1).locator(".pv-msg-usage")).to_have_text("57 → 18 tokens")
    for i, (tool, call_id, result) in enumerate(
        [("get_weather", "call_weather", "sunny in Paris"), ("add", "call_add", "42")], start=2
    ):
        bubble = bubbles.nth(i)
        expect(bubble.locator(".pv-msg-name")).to_have_text(tool)
        expect(bubble.locator(".pv-msg-answers")).to_have_text(f"↩ {call_id}")
        expect(bubble.locator(".pv-msg-body")).to_have_text(result)
    for part in [
        answer.locator(".pv-msg-body"),
        *(calls.nth(i) for i in range(2)),
        *(bubbles.nth(i).locator(".pv-msg-body") for i in (2, 3)),
    ]:
        expect(part).to_be_visible()
    # nothing raw is shown until asked for, and then it is the tagged value
    assert row.locator(".pv-msg-raw:visible").count() == 0
    bubbles.nth(1).locator(".pv-msg-rawbtn").click()
    raw = bubbles.nth(1).locator(".pv-msg-raw")
    expect(raw).to_be_visible()
    expect(raw.locator(".pv-v-type").first).to_have_text("AIMessage")
    bubbles.nth(1).locator(".pv-msg-rawbtn").click()
    expect(raw).to_be_hidden()
    # hovering a result lights the call it answers
    bubbles.nth(3).locator(".pv-msg-answers").hover()
    expect(bubbles.nth(1).locator(".pv-msg-call").nth(1)).to_have_class("pv-msg-call pv-msg-linked")
    window.mouse.move(5, 5)
    shoot(window, tmp_path, "last-step")
    # the task panel: the agent wrote the answer; its input was the conversation so far
    window.locator("tr.pv-task-row").first.click()
    details = window.locator(".pv-details")
    expect(details.locator(".pv-writes .pv-msg-assistant .pv-msg-body")).to_have_text(ANSWER)
    expect(details.locator(".pv-convo").last.locator(".pv-msg")).to_have_count(4)


def test_the_step_that_appends_the_tool_results(
    window: Any, pages: dict[str, Path], tmp_path: Path
) -> None:
    viewer = open_page(window, pages["weather"])
    for _ in range(3):
        window.keyboard.press("ArrowRight")
    viewer.expect(step=2)
    row = messages_row(window)
    expect(row.locator(".pv-convo-head")).to_have_text("+ 2 new (4 messages now)")
    new = row.locator(".pv-msg-new")
    expect(new).to_have_count(2)
    expect(new.locator(".pv-msg-body")).to_have_text(["sunny in Paris", "42"])
    expect(row.locator(".pv-msg-assistant .pv-msg-callstate")).to_have_count(0)
    shoot(window, tmp_path, "tool-results")
    # the step before: the calls are asked, and no result answers them yet
    window.keyboard.press("ArrowLeft")
    viewer.expect(step=1)
    expect(row.locator(".pv-msg-assistant .pv-msg-callstate")).to_have_text(["no result"] * 2)


def test_a_tool_error_is_marked(window: Any, pages: dict[str, Path]) -> None:
    viewer = open_page(window, pages["failing"])
    window.keyboard.press("End")
    viewer.expect(step=3)
    row = messages_row(window)
    result = row.locator(".pv-msg-tool")
    expect(result).to_have_class("pv-msg pv-msg-tool pv-msg-error")
    expect(result.locator(".pv-msg-status")).to_have_text("error")
    expect(result.locator(".pv-msg-body")).to_contain_text("division by zero")
    call = row.locator(".pv-msg-call")
    expect(call.locator(".pv-msg-callsig")).to_have_text("divide(a=1, b=0)")
    expect(call.locator(".pv-msg-callstate")).to_have_text("error")


def test_a_tool_that_crashed_the_run_is_marked_failed(
    window: Any, pages: dict[str, Path], tmp_path: Path
) -> None:
    viewer = open_page(window, pages["crashing"])
    window.keyboard.press("End")
    viewer.expect(step=2)
    row = messages_row(window)
    # no tool message came back: the recorded call says divide raised
    div = row.locator('.pv-msg-call[data-call="call_div"]')
    expect(div).to_have_class("pv-msg-call pv-msg-call-failed")
    expect(div.locator(".pv-msg-callstate")).to_have_text("failed")
    expect(div.locator(".pv-msg-callerror")).to_have_text("ZeroDivisionError: division by zero")
    expect(div.locator(".pv-msg-callerror")).to_be_visible()
    weather = row.locator('.pv-msg-call[data-call="call_weather"]')
    expect(weather.locator(".pv-msg-callstate")).to_have_text("no result")
    # the failed call's bar stands out inside the failed task's red bar
    bar = window.locator(".pv-tl-col.pv-current .pv-tl-bar.pv-bar-error")
    call = window.locator(".pv-tl-col.pv-current .pv-tl-call-failed")
    expect(call).to_have_count(1)
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).boxShadow]"
    bar_bg, _ = bar.evaluate(style)
    call_bg, ring = call.evaluate(style)
    assert call_bg != bar_bg and ring != "none"
    shoot(window, tmp_path, "crashed")
    # the step that asked: the tools have not run yet, nothing is known
    window.keyboard.press("ArrowLeft")
    viewer.expect(step=1)
    expect(row.locator(".pv-msg-callstate")).to_have_text(["no result"] * 2)
    expect(row.locator(".pv-msg-call-failed")).to_have_count(0)


def test_replaced_and_removed_messages(window: Any, pages: dict[str, Path], tmp_path: Path) -> None:
    viewer = open_page(window, pages["edited"])
    window.keyboard.press("End")
    viewer.expect(step=2)
    # the conversation now (the panel keeps the list it was under "was")
    convo = messages_row(window).locator("td.pv-valcell > .pv-convo")
    expect(convo.locator(".pv-convo-head")).to_have_text("1 replaced · 1 removed (1 message now)")
    bubbles = convo.locator(".pv-msg")
    expect(bubbles.locator(".pv-msg-change")).to_have_text(["removed", "replaced"])
    expect(bubbles.nth(0).locator(".pv-msg-body")).to_have_text("draft, please")
    expect(bubbles.nth(1).locator(":scope > .pv-msg-body")).to_have_text("The final text.")
    was = bubbles.nth(1).locator(".pv-msg-was")
    was.locator("summary").click()
    expect(was.locator(".pv-msg-body")).to_have_text("A first draft.")
    shoot(window, tmp_path, "replaced-removed")
