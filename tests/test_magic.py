"""The %pregel magics in a real IPython InteractiveShell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython

import pregel_viz
from pregel_viz.magic import PregelMagics, parse_line

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    shell = start_ipython()
    shell.run_line_magic("load_ext", "pregel_viz")
    shell.run_cell(f"import sys; sys.path.insert(0, {str(TESTS)!r})", store_history=False)
    shell.run_cell(
        "from graphs import CASES\n"
        "fan = CASES['fanout_fanin'].build(None)\n"
        "ask = CASES['interrupt_twice'].build(None)\n"
        "send = CASES['send_map_reduce'].build(None)\n"
        "afan = CASES['async_fanout'].build(None)\n"
        "from langgraph.graph import StateGraph\n"
        "from typing import TypedDict\n"
        "class S(TypedDict):\n    n: int\n"
        "builder = StateGraph(S)\n"
        "builder.add_node('inc', lambda s: {'n': s['n'] + 1})\n"
        "builder.set_entry_point('inc')\n"
        "not_a_graph = 42\n",
        store_history=False,
    )
    yield shell


def _last() -> pregel_viz.Run:
    run = PregelMagics.last_run
    assert isinstance(run, pregel_viz.Run)
    return run


def test_parse_line_keeps_the_input_verbatim() -> None:
    opts = parse_line(
        '--thread t1 --break-before a,b -o "my run.pregel" g {"q": "x y", "n": [1, 2]}'
    )
    assert opts.thread == "t1"
    assert opts.break_before == ["a", "b"]
    assert opts.output == "my run.pregel"
    assert opts.graph == "g"
    assert opts.input == '{"q": "x y", "n": [1, 2]}'


def test_line_magic_records_and_shows_the_run(ip: Any, tmp_path: Path) -> None:
    out, html = tmp_path / "fan.pregel", tmp_path / "fan.html"
    ip.run_line_magic("pregel", f"-o {out} --html {html} fan {{'log': []}}")
    run = _last()
    assert run.outcome["status"] == "completed"
    assert {"a", "b", "c", "d"} <= {t.name for t in run.thread.tasks()}
    assert pregel_viz.load(out).to_dict() == run.to_dict()
    assert html.read_text().startswith("<!doctype html>")


def test_input_may_be_json_or_use_notebook_variables(ip: Any) -> None:
    ip.run_cell("start = {'log': ['from-a-variable']}", store_history=False)
    ip.run_line_magic("pregel", "fan start")
    assert _last().state_at(0)["log"] == ["from-a-variable"]
    ip.run_line_magic("pregel", 'fan {"log": [], "flag": null}'.replace(', "flag": null', ""))
    assert _last().state_at(0)["log"] == []


def test_cell_magic_takes_the_body_as_input(ip: Any) -> None:
    ip.run_cell_magic("pregel", "--thread cell-thread fan", "{\n  'log': [\n    'x']\n}\n")
    run = _last()
    assert list(run.threads) == ["cell-thread"]
    assert run.state_at(0)["log"] == ["x"]


def test_breakpoints_pause_the_run(ip: Any) -> None:
    ip.run_line_magic("pregel", "--break-before c fan {'log': []}")
    run = _last()
    assert run.outcome["status"] == "interrupted"
    assert "c" not in {t.name for t in run.thread.tasks()}


def test_builders_are_compiled_and_async_graphs_run(ip: Any) -> None:
    ip.run_line_magic("pregel", "builder {'n': 1}")
    assert _last().state_at(_last().supersteps[-1].step) == {"n": 2}
    ip.run_line_magic("pregel", "afan CASES['async_fanout'].input")
    assert _last().outcome["status"] == "completed"


def test_show_and_last(ip: Any, tmp_path: Path) -> None:
    path = TESTS / "fixtures" / "sample.pregel"
    ip.run_line_magic("pregel", f"show {path}")
    assert set(_last().threads) == {"happy", "failing"}
    ip.run_line_magic("pregel", "last")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "usage"),
        ("nothing {}", "no variable named 'nothing'"),
        ("not_a_graph {}", "not a LangGraph graph"),
        ("fan {'log': [}", "neither a Python expression nor JSON"),
        ("fan undefined_name", "name 'undefined_name' is not defined"),
        ("--config [1] fan {}", "--config must be a dict"),
        ("--break-before nowhere fan {}", "no node 'nowhere'"),
        ("--bogus fan {}", "unknown option --bogus"),
        ("show /no/such/file.pregel", "no such file"),
        (f"show {TESTS / 'graphs.py'}", "does not look like a pregel-viz log"),
        ("auto maybe", "usage: %pregel auto on|off"),
    ],
)
def test_mistakes_are_one_line_usage_errors(ip: Any, line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("(", r"\(")):
        ip.run_line_magic("pregel", line)


def test_auto_records_plain_invokes_until_switched_off(ip: Any, capsys: Any) -> None:
    from langgraph.pregel import Pregel

    from pregel_viz import auto

    before = dict(Pregel.__dict__)
    PregelMagics.last_run = None
    ip.run_line_magic("pregel", "auto on")
    try:
        ip.run_cell("result = fan.invoke({'log': []})", store_history=False)
        assert ip.user_ns["result"]["log"][-1] == "d"
        ip.run_line_magic("pregel", "runs")
        assert "1 thread(s)" in capsys.readouterr().out
        recorded = auto.runs()
        assert recorded and {"a", "d"} <= {t.name for t in recorded[-1].thread.tasks()}
        ip.run_line_magic("pregel", "last")  # falls back to the newest automatic recording
    finally:
        ip.run_line_magic("pregel", "auto off")
    assert dict(Pregel.__dict__) == before
