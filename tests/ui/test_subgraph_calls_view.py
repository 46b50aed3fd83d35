"""On the standalone page in headless Chromium (1500x1000):

- an agent run as a subgraph (a node whose runnable is a compiled graph: tests/agents.py's tool
  agent, and LangGraph's prebuilt ``create_react_agent``) shows, on the parent graph's task that
  ran it, the calls made inside the subgraph: in the task panel as the nested tree they are
  (under the subgraph, then its tasks), in the step's line, and as call bars in its timeline bar;
- a forked thread's toolbar counts the supersteps of the branch shown, not of every branch;
- the task table names LangGraph's ``__start__`` "start", as the graph and the narration do.

The runs are real LangGraph runs with LangChain's fake chat model scripted with tool calls and
token usage (tests/agents.py), recorded with ``pregel_viz.record``.
"""

from __future__ import annotations

import operator
import warnings
from pathlib import Path
from typing import Annotated, Any, TypedDict

import agents
import pytest
from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from playwright.sync_api import expect
from viewer_driver import WINDOW, open_page

import pregel_viz
from pregel_viz.spans import total_usage

pytestmark = pytest.mark.ui

QUESTION = {"messages": [HumanMessage("weather in Paris? and 2+40")]}
FIRST, SECOND = agents.FIRST_USAGE, agents.SECOND_USAGE
TOKENS = f"{FIRST['input_tokens'] + SECOND['input_tokens']} → "
TOKENS += f"{FIRST['output_tokens'] + SECOND['output_tokens']} tokens"
NESTED = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"  # a call bar's tip: task NESTED call


class Outer(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    done: Annotated[list[str], operator.add]


def react_agent_as_a_node() -> Any:
    """LangGraph's prebuilt agent (a compiled graph) as the node ``assistant``."""
    g = StateGraph(Outer)
    g.add_node("assistant", agents.react_agent())
    g.add_node("wrap_up", lambda s: {"done": ["yes"]})
    g.add_edge(START, "assistant")
    g.add_edge("assistant", "wrap_up")
    g.add_edge("wrap_up", END)
    return g.compile()


def _inner_calls(run: pregel_viz.Run) -> list[Any]:
    thread = next(iter(run.threads.values()))
    return [
        c
        for ns, space in thread.namespaces.items()
        if ns
        for s in space.supersteps
        for t in s.tasks
        for c in t.calls
    ]


@pytest.mark.parametrize("build", [agents.agent_in_subgraph, react_agent_as_a_node])
def test_the_task_that_ran_an_agent_subgraph_shows_the_calls_made_inside_it(
    window: Any, tmp_path: Path, build: Any
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = pregel_viz.record(build(), QUESTION)
    assert run.outcome["status"] == "completed"
    inner = _inner_calls(run)
    usage = total_usage(inner)
    assert (usage.calls, usage.input_tokens) == (2, 57 + 90)
    tools = sum(1 for c in inner if c.kind == "tool")
    assert tools == 2
    outer = [t for s in run.thread.root.supersteps for t in s.tasks if t.name == "assistant"]
    assert len(outer) == 1 and outer[0].calls == []  # it made none itself
    page = tmp_path / "agent-in-subgraph.html"
    run.to_html(page)
    viewer = open_page(window, page, WINDOW)
    window.locator(".pregel-viewer").focus()
    window.keyboard.press("Home")
    for _ in range(2):
        window.keyboard.press("ArrowRight")
    viewer.expect(step=1)
    window.locator("tr.pv-task-row", has_text="assistant").click()
    expect(window.locator(".pv-details .pv-section-title")).to_have_text("Task assistant")
    calls = window.locator(".pv-details .pv-calls")
    expect(calls.locator("h4")).to_have_text(f"Calls ({len(inner)})")
    expect(calls.locator(".pv-calls-total")).to_contain_text(f"2 model calls, {TOKENS}")
    expect(calls.locator(".pv-calls-total")).to_contain_text("; 2 tool calls")
    expect(calls.locator(".pv-calls-total")).to_contain_text("all inside subgraph assistant")
    # the nested tree: the subgraph, its tasks, their calls
    sub = calls.locator("li.pv-call-subgraph")
    expect(sub).to_have_count(1)
    expect(sub.locator(":scope > .pv-call-head")).to_contain_text("inside subgraph assistant")
    tasks = sub.locator("li.pv-call-inner-task")
    heads = tasks.locator(":scope > .pv-call-head .pv-call-name")
    names = [str(x).strip() for x in heads.all_inner_texts()]
    assert names[0] == "agent" and names[-1] == "agent" and "tools" in names
    expect(sub.locator("li.pv-call[data-kind=chat_model]")).to_have_count(2)
    expect(sub.locator("li.pv-call[data-kind=tool]")).to_have_count(2)
    expect(sub.locator("li.pv-call[data-kind=chat_model] .pv-call-tokens").first).to_have_text(
        f" {FIRST['input_tokens']} → {FIRST['output_tokens']} tokens"
    )
    # the step's line totals them, and the timeline draws them in the task's bar
    expect(window.locator(".pv-summary .pv-step-calls")).to_contain_text(f"2 model calls, {TOKENS}")
    bars = window.locator(".pv-tl-col.pv-current .pv-tl-call.pv-tl-call-inside")
    expect(bars).to_have_count(sum(1 for c in inner if c.start is not None))
    titles = [str(b.get_attribute("title")) for b in bars.all()]
    tip = f"assistant {NESTED} subgraph assistant {NESTED} agent {NESTED} model ScriptedChat"
    assert any(t.startswith(tip) for t in titles)
    window.screenshot(path=str(tmp_path / "agent-in-subgraph.png"))
    # the subgraph's own view still shows each call under its own task
    viewer.open_subgraph("assistant")
    expect(viewer.root).not_to_have_attribute("data-ns", "")
    window.locator(".pregel-viewer").focus()
    window.keyboard.press("Home")
    for _ in range(2):
        window.keyboard.press("ArrowRight")
    viewer.expect(step=1)
    window.locator("tr.pv-task-row", has_text="agent").first.click()
    own = window.locator(".pv-details .pv-calls")
    expect(own.locator("li.pv-call[data-kind=chat_model]")).to_have_count(1)
    expect(own.locator("li.pv-call-subgraph")).to_have_count(0)


class Count(TypedDict):
    n: int
    log: Annotated[list[int], operator.add]


def forked_loop() -> tuple[pregel_viz.Run, int]:
    """tick counts n to 15, one superstep each; then update_state on the step-8 checkpoint
    (n = 12) and on from there: a shorter second branch. Returns the run and the step the
    fork leaves."""
    g = StateGraph(Count)
    g.add_node("tick", lambda s: {"n": s["n"] + 1, "log": [s["n"]]})
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] < 15 else END, ["tick", END])
    graph = g.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "fork"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"n": 0, "log": []}, cfg)
        past = next(s for s in graph.get_state_history(cfg) if s.metadata["step"] == 8)
        graph.invoke(None, graph.update_state(past.config, {"n": 12}, as_node="tick"))
    return rec.run, 8


def test_a_forked_threads_toolbar_counts_the_supersteps_of_the_branch_shown(
    window: Any, tmp_path: Path
) -> None:
    run, _ = forked_loop()
    steps = run.thread.root.supersteps
    numbers = run.thread.root.branch_numbers()
    fork_first = next(i for i, (_, of) in enumerate(numbers) if of is not None)
    point = numbers[fork_first][1]
    assert point is not None
    first = [i for i, (b, _) in enumerate(numbers) if b == 0]
    fork = [*range(point + 1), *range(fork_first, len(steps))]
    loops = lambda path: sum(1 for i in path if steps[i].source == "loop")  # noqa: E731
    every = loops(range(len(steps)))
    # 19 in all: 16 on the first branch (steps 0 to 15), 12 on the fork (steps 0 to 8, the
    # update at step 9, then steps 10 to 12)
    assert (every, loops(first), loops(fork)) == (19, 16, 12)
    page = tmp_path / "fork.html"
    run.to_html(page)
    viewer = open_page(window, page, WINDOW)
    label = window.locator(".pv-step-label")
    window.locator(".pregel-viewer").focus()
    window.keyboard.press("End")
    viewer.expect(index=first[-1])
    expect(label).to_have_text(f"step {steps[first[-1]].step} · {loops(first)} supersteps")
    window.locator(".pv-tl-switch button").nth(1).click()
    viewer.expect(index=fork_first)
    window.locator(".pregel-viewer").focus()
    window.keyboard.press("End")
    viewer.expect(index=fork[-1])
    expect(label).to_have_text(f"step {steps[fork[-1]].step} · branch 2 · {loops(fork)} supersteps")
    window.screenshot(path=str(tmp_path / "fork-count.png"))


def test_the_task_table_names_start_as_the_graph_does(window: Any, tmp_path: Path) -> None:
    run = pregel_viz.record(agents.tool_agent(), QUESTION)
    page = tmp_path / "agent.html"
    run.to_html(page)
    viewer = open_page(window, page, WINDOW)
    window.locator(".pregel-viewer").focus()
    window.keyboard.press("Home")
    window.keyboard.press("ArrowRight")
    viewer.expect(step=0)
    (row,) = window.locator("tr.pv-task-row").all()
    expect(row.locator("td.pv-name .pv-name-text")).to_have_text("start")
    assert row.get_attribute("data-task")  # the row keeps LangGraph's task id
    expect(window.locator('svg g.pv-node[data-name="__start__"] text').first).to_have_text("start")
