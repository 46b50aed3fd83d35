"""A small suite of real LangGraph graphs for the tests of ``--pregel-viz-report``, and a run of
it in its own pytest process with the report on.

:func:`suite` writes a test module: the graph builder (``build(name, fail=False)``: plan -> act,
where act raises :data:`TOOL_ERROR` when ``fail``), the given constants, then the given tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TOOL_ERROR = "<script>alert('error')</script> the tool is down"

_GRAPH = """
import operator
from typing import Annotated, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    log: Annotated[list, operator.add]


def build(name, fail=False):
    def plan(state):
        return {"log": ["plan"]}

    def act(state):
        if fail:
            raise ValueError(TOOL_ERROR)
        return {"log": ["act"]}

    g = StateGraph(State)
    g.add_node("plan", plan)
    g.add_node("act", act)
    g.add_edge(START, "plan")
    g.add_edge("plan", "act")
    g.add_edge("act", END)
    return g.compile(name=name)
"""


def suite(tests: str, **constants: Any) -> str:
    """The source of a test module: the graph builder, ``constants`` as names, then ``tests``."""
    names = "".join(f"{k} = {v!r}\n" for k, v in {"TOOL_ERROR": TOOL_ERROR, **constants}.items())
    return f"{names}{_GRAPH}\n{tests}"


def run_with_report(root: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest run in ``root`` in a fresh process, writing its report to ``out``; no
    ``PREGEL_VIZ_*`` setting of this process reaches it."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("-p", "pregel_viz.pytest_plugin", f"--pregel-viz-report={out}", *args),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("PREGEL_VIZ")},
    )
