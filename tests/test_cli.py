"""The pregel-viz command, run as a user would: a real subprocess in a directory with a module."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import run_cli

APP = """
import operator
from typing import Annotated, TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.types import interrupt

class State(TypedDict):
    topic: str
    log: Annotated[list, operator.add]
    answer: str

def plan(state):
    return {"log": ["plan"]}

def ask(state):
    return {"answer": interrupt("approve " + state["topic"] + "?"), "log": ["ask"]}

def fail(state):
    raise ValueError("no luck with " + state["topic"])

def make():
    g = StateGraph(State)
    g.add_node("plan", plan)
    g.add_node("ask", ask)
    g.add_edge(START, "plan")
    g.add_edge("plan", "ask")
    g.add_edge("ask", END)
    return g.compile()

app = make()
builder = StateGraph(State)
not_a_graph = 42

def failing():
    g = StateGraph(State)
    g.add_node("fail", fail)
    g.add_edge(START, "fail")
    return g.compile()
"""


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "my_app.py").write_text(APP)
    return tmp_path


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def test_record_with_resume_then_info_and_export(workdir: Path) -> None:
    out = workdir / "run.pregel"
    rec = cli(
        workdir,
        "record",
        "my_app:app",
        "--input",
        '{"topic": "cats"}',
        "--resume",
        '"yes"',
        "-o",
        str(out),
    )
    assert rec.returncode == 0, rec.stderr
    assert out.exists()
    assert "outcome completed" in rec.stdout

    info = cli(workdir, "info", str(out))
    assert info.returncode == 0, info.stderr
    assert "2 call(s)" in info.stdout and "outcome completed" in info.stdout

    exp = cli(workdir, "export", str(out), "--format", "json")
    assert exp.returncode == 0, exp.stderr
    doc = json.loads(exp.stdout)
    (thread,) = doc["threads"]
    assert thread["outcome"]["status"] == "completed"
    steps = thread["namespaces"][""]["supersteps"]
    by_step = {s["step"]: s for s in steps}
    assert [t["name"] for t in by_step[0]["tasks"]] == ["__start__"]
    ask = by_step[2]["tasks"][0]
    assert ask["name"] == "ask"
    assert ask["interrupts"] == ["approve cats?"]
    assert ask["attempts"] == 2  # interrupted once, then resumed
    assert ask["triggers"][0]["channel"] == "branch:to:ask"
    assert ask["triggers"][0]["written_by"] == ["plan"]
    assert ["answer", "yes"] in ask["writes"]
    assert by_step[2]["values"] == {"topic": "cats", "log": ["plan", "ask"], "answer": "yes"}
    assert ask["error"] is None


def test_record_a_factory_whose_graph_fails_records_the_error(workdir: Path) -> None:
    out = workdir / "fail.pregel"
    rec = cli(workdir, "record", "my_app:failing", "--input", '{"topic": "dogs"}', "-o", str(out))
    assert rec.returncode == 0, rec.stderr
    assert "outcome error" in rec.stdout
    doc = json.loads(cli(workdir, "export", str(out)).stdout)
    thread = doc["threads"][0]
    assert thread["outcome"]["error"] == {"type": "ValueError", "message": "no luck with dogs"}
    failed = [t for s in thread["namespaces"][""]["supersteps"] for t in s["tasks"] if t["error"]]
    assert failed[0]["name"] == "fail"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["record", "nosuch_module:app", "-o", "x.pregel"], "no module named 'nosuch_module'"),
        (["record", "my_app:missing", "-o", "x.pregel"], "has no attribute 'missing'"),
        (["record", "my_app:not_a_graph", "-o", "x.pregel"], "not a LangGraph graph"),
        (["record", "my_app:builder", "-o", "x.pregel"], "builder.compile()"),
        (["record", "my_app", "-o", "x.pregel"], "expected MODULE:ATTR"),
        (["record", "my_app:app", "--input", "{topic: 1}", "-o", "x.pregel"], "not valid JSON"),
        (["record", "my_app:app", "--config", "[1]", "-o", "x.pregel"], "JSON object"),
        (["info", "my_app.py"], "does not look like a pregel-viz log"),
        (["info", "nowhere.pregel"], "no such file"),
        (["export", "."], "is a directory"),
    ],
)
def test_user_mistakes_get_one_line_and_exit_code_2(
    workdir: Path, args: list[str], expected: str
) -> None:
    result = cli(workdir, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_console_script_is_installed() -> None:
    import shutil

    exe = shutil.which("pregel-viz")
    assert exe is not None
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "pregel-viz" in result.stdout
