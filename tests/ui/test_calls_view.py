"""The calls made inside tasks, on the standalone page in headless Chromium (1500x1000): the
selected task lists its calls as a tree with their tokens, arguments and results, the step
summary and the thread's token section total them, and the timeline nests call bars in the
task's bar.

The runs are real: tests/agents.py's tool agent (LangChain's fake chat model scripted with tool
calls and token usage, real @tool functions, LangGraph's ToolNode) and a ``prompt | model``
chain inside a node, recorded with ``pregel_viz.record``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import agents
import pytest
from langchain_core.messages import HumanMessage
from playwright.sync_api import expect
from viewer_driver import ViewerDriver, open_page

import pregel_viz
from pregel_viz.spans import total_usage

pytestmark = pytest.mark.ui

QUESTION = {"messages": [HumanMessage("weather in Paris? and 2+40")]}
FIRST, SECOND = agents.FIRST_USAGE, agents.SECOND_USAGE
NESTED = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"  # a call bar's tip: task NESTED call


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("calls")
    agent = pregel_viz.record(agents.tool_agent(), QUESTION)
    chain = pregel_viz.record(agents.prompt_chain_graph(), {"question": "capital of France?"})
    pages = {"agent": out / "agent.html", "chain": out / "chain.html"}
    agent.to_html(pages["agent"])
    chain.to_html(pages["chain"])
    return {"agent": agent, "chain": chain, "pages": pages, "out": out}


def go_to(pg: Any, viewer: ViewerDriver, step: int) -> None:
    pg.keyboard.press("Home")
    viewer.expect(step=-1)
    for _ in range(step + 1):
        pg.keyboard.press("ArrowRight")
    viewer.expect(step=step)


def select(pg: Any, name: str) -> Any:
    pg.locator("tr.pv-task-row", has_text=name).first.click()
    expect(pg.locator(".pv-details .pv-section-title")).to_have_text(f"Task {name}")
    return pg.locator(".pv-details .pv-calls")


def tokens(usage: dict[str, int]) -> str:
    return f"{usage['input_tokens']} → {usage['output_tokens']} tokens"


def test_the_agent_task_shows_its_model_call_with_tokens_and_tool_calls(
    window: Any, runs: dict[str, Any]
) -> None:
    viewer = open_page(window, runs["pages"]["agent"])
    go_to(window, viewer, 1)
    calls = select(window, "agent")
    expect(calls.locator("h4")).to_have_text("Calls (1)")
    (model,) = calls.locator("li.pv-call").all()
    assert model.get_attribute("data-kind") == "chat_model"
    head = model.locator(".pv-call-head")
    expect(head).to_contain_text("ScriptedChat")
    expect(head).to_contain_text(agents.MODEL)
    expect(head.locator(".pv-call-tokens")).to_have_text(f" {tokens(FIRST)}")
    asked = model.locator(".pv-call-toolcalls li")
    expect(asked).to_have_text(
        ['get_weather(city="Paris") call_weather', "add(a=2, b=40) call_add"]
    )
    # the step's line totals it
    expect(window.locator(".pv-summary .pv-step-calls")).to_have_text(
        f"1 model call, {tokens(FIRST)}, " + _duration(window, model)
    )
    # the prompt and the answer are one click away, as text
    model.locator("details.pv-call-io > summary").click()
    body = model.locator(".pv-call-io-body")
    expect(body).to_contain_text("weather in Paris? and 2+40")  # the prompt as sent
    expect(body.locator(".pv-label")).to_have_text(["input: ", "output: "])
    assert body.locator("script, img").count() == 0


def _duration(pg: Any, call: Any) -> str:
    """The call's duration as its row shows it (the step's model time, for one call)."""
    return str(call.locator(".pv-call-head .pv-call-time").first.inner_text()).strip()


def test_the_tools_task_shows_both_tool_calls_with_arguments_and_results(
    window: Any, runs: dict[str, Any]
) -> None:
    viewer = open_page(window, runs["pages"]["agent"])
    go_to(window, viewer, 2)
    calls = select(window, "tools")
    rows = calls.locator("li.pv-call")
    expect(rows).to_have_count(2)
    # ToolNode runs them in parallel: either may start first
    seen = {}
    for row in rows.all():
        assert row.get_attribute("data-kind") == "tool"
        name = str(row.locator(".pv-call-name").inner_text())
        seen[name] = (
            str(row.locator(".pv-call-result").inner_text()),
            str(row.locator(".pv-call-link").inner_text()),
        )
    assert seen == {
        'get_weather(city="Paris")': (
            "→ sunny in Paris",
            f"asked for by agent ({agents.MODEL}) at step 1 as call_weather",
        ),
        "add(a=2, b=40)": ("→ 42", f"asked for by agent ({agents.MODEL}) at step 1 as call_add"),
    }
    expect(window.locator(".pv-summary .pv-step-calls")).to_have_text("2 tool calls")
    window.locator(".pv-details").screenshot(path=str(runs["out"] / "tools-task.png"))


def test_the_thread_totals_per_node_and_per_model_equal_the_scripted_usage(
    window: Any, runs: dict[str, Any]
) -> None:
    run = runs["agent"]
    spans = [
        c
        for s in run.threads[next(iter(run.threads))].root.supersteps
        for t in s.tasks
        for c in t.calls
    ]
    usage = total_usage(spans)
    assert (usage.input_tokens, usage.output_tokens) == (57 + 90, 18 + 12)
    viewer = open_page(window, runs["pages"]["agent"])
    go_to(window, viewer, 3)
    expect(window.locator(".pv-summary .pv-step-calls")).to_contain_text(
        f"1 model call, {tokens(SECOND)}"
    )
    section = window.locator(".pv-tokens")
    expect(section).to_be_visible()
    expect(section.locator(".pv-section-title")).to_have_text("Tokens: 147 → 30 in 2 model calls")

    def cells(table: str) -> list[list[str]]:
        rows = section.locator(f"{table} tbody tr").all()
        return [[str(c) for c in r.locator("td").all_inner_texts()][:4] for r in rows]

    assert cells(".pv-tokens-nodes") == [
        ["agent", "2", "147 → 30", "100%"],
        ["tools", "0", "—", ""],
    ]
    assert cells(".pv-tokens-models") == [[agents.MODEL, "2", "147 → 30", "100%"]]
    section.screenshot(path=str(runs["out"] / "tokens.png"))


def test_the_prompt_chain_nests_the_chat_model_under_the_chain(
    window: Any, runs: dict[str, Any]
) -> None:
    viewer = open_page(window, runs["pages"]["chain"])
    go_to(window, viewer, 1)
    calls = select(window, "answer")
    chain = calls.locator(".pv-call-tree > li.pv-call")
    expect(chain).to_have_count(1)
    assert chain.get_attribute("data-kind") == "chain"
    expect(chain.locator("> .pv-call-head .pv-call-name")).to_have_text("RunnableSequence")
    nested = chain.locator("> .pv-call-children > li.pv-call")
    expect(nested).to_have_count(1)
    assert nested.get_attribute("data-kind") == "chat_model"
    expect(nested.locator(".pv-call-tokens")).to_have_text(" 11 → 1 tokens")
    expect(nested.locator(".pv-call-answer")).to_have_text("answer: Paris")
    window.screenshot(path=str(runs["out"] / "chain.png"))


def test_the_timeline_nests_call_bars_in_the_task_bars(window: Any, runs: dict[str, Any]) -> None:
    viewer = open_page(window, runs["pages"]["agent"])
    go_to(window, viewer, 2)
    timeline = window.locator(".pv-timeline")
    by_step = {}
    for step in (0, 1, 2, 3):
        col = timeline.locator(f".pv-tl-col[data-index='{step + 1}']")
        by_step[step] = col.locator(".pv-tl-call").evaluate_all(
            "els => els.map(e => e.className.split(' ').pop())"
        )
    assert by_step == {
        0: [],
        1: ["pv-tl-call-model"],
        2: ["pv-tl-call-tool", "pv-tl-call-tool"],
        3: ["pv-tl-call-model"],
    }
    # each call bar lies within its task's bar, and says what it was on hover
    for bar in timeline.locator(".pv-tl-call").all():
        lane = bar.locator("xpath=..")
        task = dict(lane.locator(".pv-tl-bar").first.bounding_box())
        box = dict(bar.bounding_box())
        assert (
            task["x"] - 1 <= box["x"] and box["x"] + box["width"] <= task["x"] + task["width"] + 2
        )
        assert task["y"] <= box["y"] and box["y"] + box["height"] <= task["y"] + task["height"]
    tips = timeline.locator(".pv-tl-col[data-index='2'] .pv-tl-call").first.get_attribute("title")
    assert tips is not None and tips.startswith(
        f"agent {NESTED} model ScriptedChat ({agents.MODEL}): "
    )
    assert tips.endswith(f", {tokens(FIRST)}")
    # the call bars have their kind's colour, not the task's
    colours = {
        cls: timeline.locator(f".pv-tl-call-{cls}").first.evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        for cls in ("model", "tool")
    }
    task_colour = timeline.locator(".pv-tl-has-calls .pv-tl-bar").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert len({*colours.values(), task_colour}) == 3
    timeline.screenshot(path=str(runs["out"] / "timeline.png"))


def test_a_run_rebuilt_from_a_checkpointer_says_calls_not_recorded(
    window: Any, tmp_path: Path
) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    graph = agents.tool_agent().copy(update={"checkpointer": saver})
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke(QUESTION, config)
    run = pregel_viz.from_checkpointer(graph, config)
    page = tmp_path / "rebuilt.html"
    run.to_html(page)
    viewer = open_page(window, page)
    go_to(window, viewer, 1)
    calls = select(window, "agent")
    expect(calls.locator(".pv-muted")).to_have_text(
        "calls not recorded (run rebuilt from saved checkpoints)"
    )
    expect(window.locator(".pv-tokens .pv-section-body")).to_have_text(
        "calls not recorded (run rebuilt from saved checkpoints)"
    )
    expect(window.locator(".pv-summary .pv-step-calls")).to_have_count(0)
