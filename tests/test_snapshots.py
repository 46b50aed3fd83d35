"""Snapshot tests of graph behaviour: syrupy with PregelSnapshotExtension, run by pytest itself
(pytester) as a user's suite would be: created by --snapshot-update, passing unchanged on a
rerun, failing with the step that differs after a change of routing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

GRAPH = """
from typing import TypedDict

from langgraph.graph import END, START, StateGraph

import pregel_viz
from pregel_viz.testing import PregelSnapshotExtension


class State(TypedDict, total=False):
    question: str
    route: str
    answer: str


def classify(state):
    return {"route": "refund" if "refund" in state["question"] else "other"}


def choose(state):
    return ROUTES[state["route"]]


ROUTES = {"refund": "refunds", "other": "general"}


def build():
    g = StateGraph(State)
    g.add_node("classify", classify)
    g.add_node("refunds", lambda s: {"answer": "refund started"})
    g.add_node("general", lambda s: {"answer": "how can I help?"})
    g.add_edge(START, "classify")
    g.add_conditional_edges("classify", choose, ["refunds", "general"])
    g.add_edge("refunds", END)
    g.add_edge("general", END)
    return g.compile()


def test_support_agent_routes_refunds(snapshot):
    run = pregel_viz.record(build(), {"question": "refund my order"})
    assert run == snapshot(extension_class=PregelSnapshotExtension)


def test_a_failing_graph_is_a_snapshot_too(snapshot):
    def boom(state):
        raise ValueError("no route")

    g = StateGraph(State)
    g.add_node("classify", boom)
    g.add_edge(START, "classify")
    run = pregel_viz.record(g.compile(), {"question": "x"})
    assert run == snapshot(extension_class=PregelSnapshotExtension.with_exclude("question"))
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, tmp_path: Path) -> pytest.Pytester:
    pytester.makepyfile(test_support=GRAPH)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "syrupy", "-p", "no:cacheprovider", *args)


def test_a_snapshot_is_written_then_passes_unchanged(suite: pytest.Pytester) -> None:
    created = _run(suite, "--snapshot-update")
    created.assert_outcomes(passed=2)
    folder = suite.path / "__snapshots__" / "test_support"
    text = (folder / "test_support_agent_routes_refunds.txt").read_text()
    assert text.startswith("# pregel-viz trace 1\n")
    assert "task refunds (after branch:to:refunds" in text
    logs = suite.path / "__pregel_runs__" / "test_support"
    assert (logs / "test_support_agent_routes_refunds.pregel").is_file()
    failing = (folder / "test_a_failing_graph_is_a_snapshot_too.txt").read_text()
    assert "run 1: error, ValueError: no route" in failing
    assert '"question"' not in failing and "refund" not in failing  # excluded
    _run(suite).assert_outcomes(passed=2)


def test_a_changed_route_fails_naming_the_step_and_the_page(
    suite: pytest.Pytester, tmp_path: Path
) -> None:
    _run(suite, "--snapshot-update").assert_outcomes(passed=2)
    source = (suite.path / "test_support.py").read_text()
    changed = source.replace('{"refund": "refunds"', '{"refund": "general"')
    assert changed != source
    (suite.path / "test_support.py").write_text(changed)
    diffs = tmp_path / "diffs"
    os.environ["PREGEL_VIZ_SNAPSHOT_DIFFS"] = str(diffs)
    try:
        result = _run(suite)
    finally:
        del os.environ["PREGEL_VIZ_SNAPSHOT_DIFFS"]
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "first divergence at [root] step 1" in out, out
    assert "different tasks ran" not in out or "[root] step 2" in out
    assert "snapshot ran: classify" in out and "this run ran: classify" in out
    assert "write branch:to:refunds = null" in out and "write branch:to:general = null" in out
    pages = list(diffs.glob("pregel-viz-diff-*.html"))
    assert len(pages) == 1 and f"the two runs side by side: {pages[0]}" in out
    page = pages[0].read_text()
    assert "<html" in page.lower() and "snapshot" in page and "this run" in page


def test_the_examples_snapshots_still_hold() -> None:
    """examples/test_behaviour_snapshots.py passes against its committed snapshots."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    example = root / "examples" / "test_behaviour_snapshots.py"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(example)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout
