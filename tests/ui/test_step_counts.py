"""One run, one number of supersteps: the CI report's index, ``pregel-viz info`` (``run.summary()``)
and the viewer's toolbar, opened in headless Chromium, give the same count for the same run.

The count is the supersteps LangGraph's loop ran (:func:`pregel_viz.analysis.export.
superstep_count`): step 0, the ``__start__`` step, counts as LangGraph's recursion limit counts
it, the input (step -1) and ``update_state`` do not. The runs are real LangGraph runs: a
three-node chain, a loop, and a thread of two calls with an ``update_state`` between them.
"""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from helpers import run_cli
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, StateGraph
from playwright.sync_api import expect
from viewer_driver import WINDOW, open_page

import pregel_viz
from pregel_viz.views.report import describe_run

pytestmark = pytest.mark.ui


class State(TypedDict):
    log: Annotated[list[str], operator.add]
    n: int


def _chain(checkpointer: Any = None) -> Any:
    """a -> b -> c."""
    g = StateGraph(State)
    for name in "abc":
        g.add_node(name, lambda s, name=name: {"log": [name]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile(checkpointer=checkpointer)


def _loop() -> Any:
    """tick until n reaches 3."""
    g = StateGraph(State)
    g.add_node("tick", lambda s: {"n": s["n"] + 1, "log": ["tick"]})
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] < 3 else END, ["tick", END])
    return g.compile()


def _two_calls_and_an_update() -> pregel_viz.Run:
    """The chain run twice on one thread, with an update_state in between: two inputs and an
    update, none of which is a superstep of the loop."""
    graph = _chain(InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"log": [], "n": 0}, config)
        graph.update_state(config, {"n": 7})
        graph.invoke({"log": ["again"], "n": 1}, config)
    return rec.run


def test_given_a_three_node_chain_then_langgraph_counts_four_supersteps() -> None:
    """The definition's anchor: LangGraph's recursion limit counts the __start__ step."""
    with pytest.raises(GraphRecursionError):
        _chain().invoke({"log": [], "n": 0}, {"recursion_limit": 3})
    _chain().invoke({"log": [], "n": 0}, {"recursion_limit": 4})


@pytest.mark.parametrize(
    ("name", "expected"),
    [("chain", 4), ("loop", 4), ("two_calls_and_an_update", 8)],
)
def test_given_a_run_then_report_info_and_toolbar_give_one_superstep_count(
    name: str, expected: int, window: Any, tmp_path: Path
) -> None:
    if name == "two_calls_and_an_update":
        run = _two_calls_and_an_update()
        sources = [s.source for s in run.thread.supersteps]
        assert sources.count("input") == 2 and sources.count("update") == 1, sources
    else:
        graph = _chain() if name == "chain" else _loop()
        run = pregel_viz.record(graph, {"log": [], "n": 0})
    log = Path(run.save(tmp_path / f"{name}.pregel"))

    # the CI report's index row
    assert describe_run(run)["steps"] == expected

    # pregel-viz info (run.summary() in a fresh process, from the log)
    info = run_cli("info", str(log), cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    said = re.findall(r"(\d+) superstep\(s\)", info.stdout)
    assert said == [str(expected)], info.stdout
    assert f"{expected} superstep(s)" in run.summary()
    assert f"{expected} root superstep(s)" in repr(run)  # as %pregel runs lists it

    # the viewer's toolbar, at the last step of the root graph
    page = tmp_path / f"{name}.html"
    run.to_html(page)
    viewer = open_page(window, page, WINDOW)
    viewer.last()
    last = max(s.step for s in run.thread.supersteps)
    viewer.expect(step=last)
    label = viewer.root.locator(".pv-step-label")
    expect(label).to_have_text(f"step {last} · {expected} supersteps")
    window.screenshot(path=str(tmp_path / f"{name}.png"))
