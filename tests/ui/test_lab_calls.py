"""Inside the nodes, in JupyterLab: a real agent run (tests/agents.py's tool agent: LangChain's
fake chat model scripted with tool calls and token usage, real @tool functions, LangGraph's
ToolNode), recorded with ``pregel_viz.record``, read in the two JupyterLab hosts at 1500x1000:

- its ``.pregel`` log opened as a JupyterLab document (no kernel);
- the widget's saved output in a notebook (its MIME bundle in the .ipynb), opened with no kernel.

At the last step, with no click: the conversation with the final answer, each tool call's name
and arguments, each tool result; the timeline's call bars; selecting the agent task shows its
model call with its tokens, and at the step that asked for the tools, 57 → 18 tokens and the
tool calls. Screenshots of both hosts at the last step are written to the test's temporary
folder (the paths are printed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import agents
import pytest
from lab_driver import DOC, PANEL, goto, guarded, open_without_kernel, write_saved_output
from langchain_core.messages import HumanMessage
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

import pregel_viz
from pregel_viz.views.assets import MIME, WIDGET_VIEW_MIME

pytestmark = pytest.mark.ui

WINDOW = {"width": 1500, "height": 1000}
QUESTION = "What is the weather in Paris, and what is 2 + 40?"
DIR = "calls"
LAST = 3  # __start__, agent (asks for two tools), tools (runs both), agent (answers)


def tokens(usage: dict[str, int]) -> str:
    return f"{usage['input_tokens']} → {usage['output_tokens']} tokens"


@pytest.fixture(scope="module")
def folder(lab: Any) -> Path:
    """The run's log and a notebook holding its saved output, under <lab root>/calls."""
    d = lab.root / DIR
    d.mkdir(exist_ok=True)
    run = pregel_viz.record(
        agents.tool_agent(),
        {"messages": [HumanMessage(QUESTION)]},
        path=d / "agent.pregel",
    )
    data, metadata = pregel_viz.Debugger(run, step=LAST)._repr_mimebundle_()
    assert {MIME, WIDGET_VIEW_MIME} <= set(data)
    write_saved_output(d / "agent.ipynb", "pregel_viz.Debugger(run)", data, metadata)
    return d


@pytest.fixture()
def window(browser: Any) -> Iterator[Any]:
    """A 1500x1000 page, failing the test on a page error or an injected handler."""
    context = browser.new_context(viewport=WINDOW)
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.set_default_timeout(30_000)
    with guarded(pg):
        yield pg
    context.close()


def shoot(pg: Any, tmp_path: Path, name: str) -> None:
    pg.mouse.move(5, 5)
    shot = tmp_path / f"{name}.png"
    pg.screenshot(path=str(shot), animations="disabled")
    print(f"screenshot: {shot}")


def check_the_last_step(pg: Any, viewer: ViewerDriver) -> None:
    """The conversation, the timeline's call bars and the agent's model call, at the last step,
    with nothing expanded."""
    root = viewer.root
    viewer.expect(step=LAST)
    row = root.locator('.pv-state-table tr[data-key="messages"]')
    bubbles = row.locator(".pv-msg")
    expect(bubbles).to_have_count(5)
    roles = bubbles.evaluate_all("els => els.map(e => e.getAttribute('data-role'))")
    assert roles == ["user", "assistant", "tool", "tool", "assistant"]
    question, asked, weather, total, answer = (bubbles.nth(i) for i in range(5))
    calls = asked.locator(".pv-msg-call .pv-msg-callsig")
    visible = {
        question.locator(".pv-msg-body"): QUESTION,
        calls.nth(0): 'get_weather(city="Paris")',
        calls.nth(1): "add(a=2, b=40)",
        weather.locator(".pv-msg-body"): "sunny in Paris",
        total.locator(".pv-msg-body"): "42",
        answer.locator(".pv-msg-body"): agents.ANSWER,
    }
    for part, text in visible.items():
        expect(part).to_have_text(text)
        expect(part).to_be_visible()
        part.scroll_into_view_if_needed()
        expect(part).to_be_in_viewport()
    expect(calls).to_have_count(2)
    expect(weather.locator(".pv-msg-name")).to_have_text("get_weather")
    expect(total.locator(".pv-msg-name")).to_have_text("add")
    expect(answer.locator(".pv-msg-change")).to_have_text("+ new")
    expect(answer.locator(".pv-msg-usage")).to_have_text(tokens(agents.SECOND_USAGE))
    assert row.locator(".pv-msg-raw:visible").count() == 0  # nothing raw until asked for

    # the timeline draws the model calls and the tool calls inside their tasks' bars
    timeline = root.locator(".pv-timeline")
    expect(timeline.locator(".pv-tl-call-model")).to_have_count(2)
    expect(timeline.locator(".pv-tl-call-tool")).to_have_count(2)
    expect(timeline.locator(".pv-tl-call").first).to_be_visible()
    expect(timeline.locator(".pv-tl-step").first).to_have_text("input")

    # the step's line and the thread's Tokens section total them
    expect(root.locator(".pv-summary .pv-step-calls")).to_contain_text(
        f"1 model call, {tokens(agents.SECOND_USAGE)}"
    )
    expect(root.locator(".pv-tokens .pv-section-title")).to_have_text(
        "Tokens: 147 → 30 in 2 model calls"
    )


def check_the_agent_task(pg: Any, viewer: ViewerDriver) -> None:
    """Selecting the agent task shows its chat model call with its tokens, where the reader
    looks: the answer at the last step, the two tool calls it asked for (57 → 18 tokens) at
    step 1."""
    root = viewer.root
    for step, usage in ((LAST, agents.SECOND_USAGE), (1, agents.FIRST_USAGE)):
        if step != LAST:
            for _ in range(LAST - step):
                viewer.prev()
            viewer.expect(step=step)
        root.locator("tr.pv-task-row", has_text="agent").first.click()
        details = root.locator(".pv-details")
        expect(details.locator(".pv-section-title").first).to_have_text("Task agent")
        model = details.locator(".pv-calls li.pv-call")
        expect(model).to_have_count(1)
        expect(model).to_have_attribute("data-kind", "chat_model")
        head = model.locator(".pv-call-head")
        expect(head).to_contain_text(agents.MODEL)
        expect(head.locator(".pv-call-tokens")).to_have_text(f" {tokens(usage)}")
        # the click brings the task's section into view: a long conversation above it (the
        # State section comes first) does not hide it below the panel's fold
        expect(head).to_be_in_viewport()
    expect(model.locator(".pv-call-toolcalls li")).to_have_text(
        ['get_weather(city="Paris") call_weather', "add(a=2, b=40) call_add"]
    )
    # why it ran, in words before LangGraph's channel
    expect(details.locator(".pv-why-words")).to_have_text("after start ")
    # in the narrow bubble of the task's writes, a call's signature stays on one line (its
    # state and id wrap instead)
    for sig in details.locator(".pv-writes .pv-msg-callsig").all():
        height = sig.evaluate("e => e.getClientRects().length")
        assert height == 1, f"{sig.inner_text()!r} breaks over {height} lines"


def test_the_pregel_document_shows_inside_the_nodes(
    lab: Any, folder: Path, window: Any, tmp_path: Path
) -> None:
    kernels = len(lab.api("/api/kernels"))
    goto(window, lab, f"lab/tree/{DIR}/agent.pregel?reset")
    doc = window.locator(DOC)
    expect(doc).to_have_attribute("data-state", "ready", timeout=60_000)
    viewer = ViewerDriver(doc.locator(".pregel-viewer"), timeout=30_000)
    viewer.wait_ready()
    if viewer.attr("data-step") != str(LAST):  # a thread opens where it ends
        viewer.last()
    check_the_last_step(window, viewer)
    shoot(window, tmp_path, "lab-document-last-step")
    check_the_agent_task(window, viewer)
    shoot(window, tmp_path, "lab-document-agent-task")
    assert len(lab.api("/api/kernels")) == kernels


def test_the_saved_notebook_output_shows_inside_the_nodes(
    lab: Any, folder: Path, window: Any, tmp_path: Path
) -> None:
    kernels = len(lab.api("/api/kernels"))
    goto(window, lab, f"lab/tree/{DIR}/agent.ipynb?reset")
    open_without_kernel(window)
    output = window.locator(f"{PANEL} .jp-PregelViz-output")
    expect(output).to_have_count(1, timeout=60_000)
    expect(output).to_have_attribute("data-pregel-viz", "static", timeout=60_000)
    viewer = ViewerDriver(output.locator(".pregel-viewer"), timeout=30_000)
    viewer.wait_ready()
    viewer.expect(step=LAST)  # where the debugger was when its output was saved
    check_the_last_step(window, viewer)
    shoot(window, tmp_path, "lab-notebook-last-step")
    check_the_agent_task(window, viewer)
    shoot(window, tmp_path, "lab-notebook-agent-task")
    assert len(lab.api("/api/kernels")) == kernels
    assert not [s for s in lab.api("/api/sessions") if s["path"] == f"{DIR}/agent.ipynb"]
