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

    from pregel_viz.recorder import auto

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


# --------------------------------------------------------------------------- --live

LIVE_TIMEOUT = 20.0


def _live() -> Any:
    from pregel_viz.views.live_widget import LiveDebugger

    widget = PregelMagics.last_live
    assert isinstance(widget, LiveDebugger)
    return widget


def _loop_steps(session: Any) -> list[int]:
    return sorted(h.metadata["step"] for h in session.history() if h.metadata["source"] == "loop")


def test_live_shows_a_paused_session_that_the_controls_run(ip: Any, capsys: Any) -> None:
    ip.run_line_magic("pregel", "--live fan {'log': []}")
    widget = _live()
    session = widget.session
    try:
        assert PregelMagics.last_run is None
        assert f"LiveSession thread={session.thread_id!r} status=paused" in capsys.readouterr().out
        assert session.history() == []  # displayed, nothing run yet
        assert session.breakpoints == {"before": [], "after": [], "write": []}
        assert not session.asynchronous
        assert session.cont().wait(LIVE_TIMEOUT) == "completed"
        expected = ip.user_ns["fan"].invoke({"log": []})
        assert session.state.values == expected
        assert _loop_steps(session) == [0, 1, 2, 3]
    finally:
        widget.close()


def test_live_with_breakpoints_pauses_there(ip: Any) -> None:
    ip.run_line_magic("pregel", "--live --break-after a --break-before d fan {'log': []}")
    widget = _live()
    session = widget.session
    try:
        assert session.breakpoints == {"before": ["d"], "after": ["a"], "write": []}
        assert session.cont().wait(LIVE_TIMEOUT) == "paused"
        assert session.state.next == ("b", "c") and _loop_steps(session) == [0, 1]
        assert session.cont().wait(LIVE_TIMEOUT) == "paused"
        assert session.state.next == ("d",) and "d" not in session.state.values["log"]
        assert session.cont().wait(LIVE_TIMEOUT) == "completed"
        assert session.state.values["log"][-1] == "d"
    finally:
        widget.close()


def test_live_async_graphs_and_the_async_flag(ip: Any) -> None:
    ip.run_line_magic("pregel", "--live afan CASES['async_fanout'].input")
    widget = _live()
    try:
        assert widget.session.asynchronous  # detected from the async def nodes
        assert widget.session.cont().wait(LIVE_TIMEOUT) == "completed", widget.session.message
        assert widget.session.state.values["total"] == 100
    finally:
        widget.close()
    ip.run_line_magic("pregel", "--live --async fan {'log': []}")
    widget = _live()
    try:
        assert widget.session.asynchronous  # forced on a sync graph
        assert widget.session.cont().wait(LIVE_TIMEOUT) == "completed", widget.session.message
        assert sorted(widget.session.state.values["log"]) == ["a", "b", "c", "d"]
    finally:
        widget.close()


def test_live_writes_its_log_as_it_runs_and_the_page_when_stopped(ip: Any, tmp_path: Path) -> None:
    log, page = tmp_path / "live.pregel", tmp_path / "live.html"
    ip.run_line_magic("pregel", f"--live -o {log} --html {page} fan {{'log': []}}")
    widget = _live()
    session = widget.session
    try:
        assert session.step().wait(LIVE_TIMEOUT) == "paused"
        on_disk = pregel_viz.load(log)  # the log is on disk while the session is open
        assert [s.step for s in on_disk.supersteps] == [s.step for s in session.run.supersteps]
        assert not page.exists()
        assert session.cont().wait(LIVE_TIMEOUT) == "completed"
    finally:
        widget.close()
    assert session.status == "stopped" and page.is_file()
    assert "<title>pregel-viz: " in page.read_text(encoding="utf-8")
    final = pregel_viz.load(log)
    assert [s.step for s in final.supersteps] == [-1, 0, 1, 2, 3]
    assert sorted(final.thread.supersteps[-1].values["log"]) == ["a", "b", "c", "d"]


def test_last_after_a_live_session_shows_its_run(ip: Any, capsys: Any) -> None:
    ip.run_line_magic("pregel", "--live --thread live-last fan {'log': []}")
    widget = _live()
    try:
        assert widget.session.thread_id == "live-last"
        assert widget.session.step().wait(LIVE_TIMEOUT) == "paused"
        capsys.readouterr()
        ip.run_line_magic("pregel", "last")
        shown = capsys.readouterr().out
        # the session's run so far: its thread, at its newest superstep (step 1: a ran)
        assert "<pregel_viz.Debugger thread='live-last' ns='' step=1>" in shown
        assert widget.session.cont().wait(LIVE_TIMEOUT) == "completed"
        ip.run_line_magic("pregel", "last")
        assert "<pregel_viz.Debugger thread='live-last' ns='' step=3>" in capsys.readouterr().out
    finally:
        widget.close()
    ip.run_line_magic("pregel", "last")  # still the run, after the session is stopped
    assert "thread='live-last'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--live -o . fan {}", "Is a directory"),
        ("--live --break-before nowhere fan {}", "no node 'nowhere' to break at"),
        ("--live --break-after nowhere fan {}", "no node 'nowhere' to break at"),
        ("--live nothing {}", "no variable named 'nothing'"),
    ],
)
def test_live_mistakes_are_one_line_usage_errors(ip: Any, line: str, message: str) -> None:
    PregelMagics.last_live = None
    with pytest.raises(UsageError, match=message.replace("(", r"\(")) as info:
        ip.run_line_magic("pregel", line)
    assert "\n" not in str(info.value)
    assert PregelMagics.last_live is None  # no session was started
    assert not Path("run.pregel").exists() and not Path("run.html").exists()
