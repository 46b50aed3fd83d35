"""Misusing the pregel-viz command: every mistake is one line on stderr that names the file or
value and the fix, exit code 2, no traceback and no hang.

Most cases run ``main([...])`` in this process; those that need a real process (an exit at
import time, a FIFO, a full stdout, Ctrl-C) run the command.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from test_cli import APP

from pregel_viz.cli import main

EXTRA = """
import sys

def boom():
    raise RuntimeError("factory exploded")

def quits():
    sys.exit(3)

async def async_factory():
    return app

def needs(x):
    return app
"""

SLOW = """
import operator, pathlib, time
from typing import Annotated, TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict):
    n: Annotated[list, operator.add]

def slow(state):
    pathlib.Path("started").write_text("yes")
    time.sleep(60)
    return {"n": [1]}

def also_slow(state):
    time.sleep(60)
    return {"n": [2]}

g = StateGraph(S)
g.add_node("slow", slow)
g.add_node("also_slow", also_slow)
g.add_edge(START, "slow")
g.add_edge(START, "also_slow")
g.add_edge("slow", END)
g.add_edge("also_slow", END)
app = g.compile()
"""

CONFIG_EXAMPLE = 'e.g. --config \'{"configurable": {"thread_id": "t1"}'


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory with a graph module (``errapp``) and a recorded log (``run.pregel``), as the
    current directory; modules imported from it are forgotten afterwards."""
    (tmp_path / "errapp.py").write_text(APP + EXTRA)
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(5)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture()
def log(here: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    rc = main(["record", "errapp:app", "--input", '{"topic": "t"}', "-o", "run.pregel"])
    assert rc == 0, capsys.readouterr().err
    capsys.readouterr()
    return here / "run.pregel"


def one_line_error(capsys: pytest.CaptureFixture[str], args: list[str], *expected: str) -> str:
    """Run ``main(args)``: exit code 2 and one line on stderr holding each of ``expected``."""
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


# --- the graph: MODULE:ATTR --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("errapp:boom", ["calling errapp:boom", "RuntimeError: factory exploded", "fix it"]),
        ("errapp:quits", ["calling errapp:quits", "called sys.exit(3)", "return the graph"]),
        ("errapp:async_factory", ["errapp:async_factory is an async function", "plain function"]),
        ("errapp:needs", ["errapp:needs is a function that needs arguments"]),
        ("exits:app", ["importing 'exits' called sys.exit(5)", 'if __name__ == "__main__":']),
        ("sys:exit", ["calling sys:exit", "called sys.exit()"]),
        ("errapp.py:app", ["not a file path", "use errapp:app"]),
        ("./errapp:app", ["not a file path", "use errapp:app"]),
        ("src/pkg/errapp.py:app", ["run from src/pkg", "use errapp:app"]),
        ("pregel_viz.cli:main", ["pregel_viz.cli:main is the pregel-viz command itself"]),
    ],
)
def test_a_graph_that_cannot_be_had_is_one_line(
    here: Path, capsys: pytest.CaptureFixture[str], spec: str, expected: list[str]
) -> None:
    one_line_error(capsys, ["record", spec, "-o", "x.pregel"], *expected)
    assert not (here / "x.pregel").exists()


def test_an_exit_at_import_is_one_line_and_code_2_in_a_real_process(here: Path) -> None:
    assert_one_line(run_cli("record", "exits:app", "-o", "x.pregel", cwd=here), "sys.exit(5)")


# --- --config ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('{"configurable": 5}', "--config configurable must be a JSON object, not 5"),
        ("[1]", "--config must be a JSON object, not [1]"),
        ('"x"', '--config must be a JSON object, not "x"'),
        (
            '{"recursion_limit": "x"}',
            'recursion_limit must be a whole number of at least 1, not "x"',
        ),
        ('{"recursion_limit": 0}', "recursion_limit must be a whole number of at least 1, not 0"),
        ('{"recursion_limit": true}', "recursion_limit must be a whole number"),
        (
            '{"configurable": {"thread_id": [1]}}',
            "configurable.thread_id must be a string, not [1]",
        ),
        ('{"configurable": {"thread_id": 1.5}}', "configurable.thread_id must be a string"),
        ('{"configurable": {"checkpoint_ns": 3}}', "configurable.checkpoint_ns must be a string"),
        ('{"tags": "a"}', 'tags must be a list of strings, not "a"'),
        ('{"metadata": []}', "metadata must be a JSON object"),
        ('{"max_concurrency": -1}', "max_concurrency must be a whole number of at least 1"),
        ('{"run_id": "zz"}', 'run_id must be a UUID string, not "zz"'),
        ('{"callbacks": [1]}', "callbacks must be null"),
        ('{"recursionlimit": 5}', "unknown key 'recursionlimit'"),
    ],
)
def test_a_config_of_the_wrong_shape_is_one_line(
    here: Path, capsys: pytest.CaptureFixture[str], config: str, expected: str
) -> None:
    args = ["record", "errapp:app", "--config", config, "-o", "x.pregel"]
    line = one_line_error(capsys, args, expected)
    if "unknown key" not in line:
        assert CONFIG_EXAMPLE in line
    assert not (here / "x.pregel").exists()


def test_a_config_with_every_key_right_is_used(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '{"configurable": {"thread_id": 7}, "recursion_limit": 10, "tags": ["a"],'
        ' "metadata": {"k": 1}, "run_name": "r", "max_concurrency": 2,'
        ' "run_id": "12345678-1234-5678-1234-567812345678"}'
    )
    args = ["record", "errapp:app", "--input", '{"topic": "t"}', "--config", config]
    assert main([*args, "-o", "x.pregel"]) == 0, capsys.readouterr().err
    assert "thread 7:" in capsys.readouterr().out


# --- files read --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["info", ""], "the log's path is empty"),
        (["info", "nowhere.pregel"], "cannot read nowhere.pregel: no such file or directory"),
        (["info", "."], ". is a directory; give the path of a .pregel log"),
        (["export", "nowhere.pregel"], "cannot read nowhere.pregel"),
        (["html", "nowhere.pregel"], "cannot read nowhere.pregel"),
        (["narrate", "nowhere.pregel"], "cannot read nowhere.pregel"),
        (["diff", "run.pregel", "nowhere.pregel"], "cannot read nowhere.pregel"),
        (["info", "/dev/zero"], "/dev/zero"),
    ],
)
def test_a_log_that_cannot_be_read_is_one_line(
    log: Path, capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    one_line_error(capsys, command, expected)


def test_a_fifo_is_refused_not_waited_on(here: Path) -> None:
    os.mkfifo(here / "pipe.pregel")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pregel_viz", "info", "pipe.pregel"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("pregel-viz info waited on a FIFO")
    assert_one_line(result, "pipe.pregel")


def test_an_unreadable_log_is_one_line(
    log: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:  # a real unreadable file
        log.chmod(0)
    else:  # root reads anything: fail the way opening it would
        import pregel_viz.reader

        def denied(path: Any) -> Any:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

        monkeypatch.setattr(pregel_viz.reader, "load", denied)
    one_line_error(capsys, ["info", "run.pregel"], "cannot read run.pregel: permission denied")


# --- files written -----------------------------------------------------------------------------


# every command that writes a file, writing it to OUT
WRITERS = [
    ["record", "errapp:app", "--input", '{"topic": "t"}', "-o", "OUT"],
    ["export", "run.pregel", "-o", "OUT"],
    ["html", "run.pregel", "-o", "OUT"],
    ["diff", "run.pregel", "run.pregel", "--html", "OUT"],
]


def writing_to(command: list[str], out: str) -> list[str]:
    return [out if a == "OUT" else a for a in command]


def failing_file(monkeypatch: pytest.MonkeyPatch, name: str, file: Any) -> None:
    """Opening ``name`` gives ``file`` (or raises it); every other file opens as usual."""
    real_open = builtins.open

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if path != name:
            return real_open(path, *args, **kwargs)
        if isinstance(file, BaseException):
            raise file
        return file

    monkeypatch.setattr(builtins, "open", fake_open)


class _FullFile(io.BytesIO):
    """A file whose writes fail with ``error`` once ``room`` bytes are in it."""

    def __init__(self, error: int, room: int = 0) -> None:
        super().__init__()
        self.error, self.room = error, room

    def write(self, b: Any) -> int:
        if self.tell() + len(b) > self.room:
            raise OSError(self.error, os.strerror(self.error))  # naming no file, as writes do
        return super().write(b)


@pytest.mark.parametrize(
    "command",
    [*WRITERS, ["demo", "-o", "OUT"], ["demo", "--log", "OUT", "-o", "demo.html"]],
)
@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("/dev/full", "cannot write /dev/full: no space left on the device; free some space"),
        (".", "cannot write .: it is a directory"),
        ("errapp.py/x", "cannot write errapp.py/x: a part of the path is a file"),
    ],
)
def test_an_output_that_cannot_be_written_is_named(
    log: Path, capsys: pytest.CaptureFixture[str], command: list[str], out: str, expected: str
) -> None:
    if out == "errapp.py/x" and command[0] == "demo":
        pytest.skip("one command is enough for a path through a file")
    one_line_error(capsys, writing_to(command, out), expected)


@pytest.mark.parametrize("command", WRITERS)
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errno.EIO, "cannot write out.file: input/output error"),
        (errno.EACCES, "cannot write out.file: permission denied; check its permissions"),
        (errno.ENOSPC, "cannot write out.file: no space left on the device"),
    ],
)
def test_an_io_error_while_writing_names_the_file(
    log: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    error: int,
    expected: str,
) -> None:
    if error == errno.EACCES:  # refused when opened
        failing_file(
            monkeypatch, "out.file", PermissionError(error, os.strerror(error), "out.file")
        )
    else:
        failing_file(monkeypatch, "out.file", _FullFile(error))
    one_line_error(capsys, writing_to(command, "out.file"), expected)


def test_a_disk_filling_up_during_record_names_the_log(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_file(monkeypatch, "out.pregel", _FullFile(errno.ENOSPC, room=64))  # the header fits
    rc = main(["record", "errapp:app", "--input", '{"topic": "t"}', "-o", "out.pregel"])
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert "outcome interrupted" in out and "wrote" not in out  # the run itself went well
    (line,) = err.strip().splitlines()
    assert "out.pregel" in line and "No space left on device" in line, line


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["record", "errapp:app", "-o", ""], "the output path is empty"),
        (["export", "run.pregel", "-o", ""], "the output path is empty"),
        (["html", "run.pregel", "-o", ""], "the output path is empty"),
        (["demo", "-o", ""], "the output path is empty"),
        (["record", "errapp:app", "-o", "errapp.py"], "errapp.py exists and is not a .pregel log"),
        (["demo", "--log", "errapp.py"], "errapp.py exists and is not a .pregel log"),
        (["export", "run.pregel", "-o", "run.pregel"], "would overwrite the input run.pregel"),
        (["html", "run.pregel", "-o", "./run.pregel"], "would overwrite the input run.pregel"),
        (["diff", "run.pregel", "run.pregel", "--html", "run.pregel"], "would overwrite"),
    ],
)
def test_an_output_that_would_destroy_a_file_is_refused(
    log: Path, capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    before = {p.name: p.read_bytes() for p in log.parent.iterdir() if p.is_file()}
    one_line_error(capsys, command, expected)
    assert {p.name: p.read_bytes() for p in log.parent.iterdir() if p.is_file()} == before


def test_html_of_a_log_named_html_does_not_overwrite_it(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log.rename(log.with_name("run.html"))
    one_line_error(capsys, ["html", "run.html"], "the page for run.html would replace it", "-o")


def test_an_output_in_a_missing_folder_creates_it(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "run.pregel", "-o", "new/dir/run.json"]) == 0
    assert main(["html", "run.pregel", "-o", "new/other/run.html"]) == 0
    capsys.readouterr()
    assert (log.parent / "new/dir/run.json").is_file()
    assert (log.parent / "new/other/run.html").is_file()


def test_a_path_stdout_cannot_encode_is_escaped(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = os.fsdecode(b"\xff.pregel")  # not UTF-8: a lone surrogate once decoded
    log.rename(log.with_name(name))
    assert main(["html", name]) == 0
    assert capsys.readouterr().out == "wrote \\udcff.html\n"


def test_a_full_stdout_is_one_line(log: Path) -> None:
    with open(os.devnull if not os.path.exists("/dev/full") else "/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "pregel_viz", "info", "run.pregel"],
            cwd=log.parent,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert_one_line(result, "cannot write to standard output: no space left on the device")


def test_a_reader_that_stops_early_is_no_error(log: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pregel_viz", "export", "run.pregel"],
        cwd=log.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before the export is written, as `| head -c 0` would be
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""


# --- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["record"], "pregel-viz record: error: the following arguments are required"),
        (["info"], "see pregel-viz info --help"),
        (["nosuch"], "invalid choice: 'nosuch'"),
        (["export", "run.pregel", "--indent", "99999999"], "--indent: must be from 0 to 16"),
        (["export", "run.pregel", "--indent", "x"], "--indent: must be a whole number, not 'x'"),
        (["narrate", "run.pregel", "--step", "x"], "invalid int value: 'x'"),
        (["record", "errapp:app", "--input", "[" * 100_000, "-o", "x.pregel"], "--input nests"),
        (["record", "errapp:app", "--resume", "[" * 5000 + "]" * 5000, "-o", "x"], "too deeply"),
        (["record", "errapp:app", "--input", "{" * 5000, "-o", "x.pregel"], "'...; quote"),
    ],
)
def test_a_usage_mistake_is_one_line(
    log: Path, capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    one_line_error(capsys, command, expected)


# --- Ctrl-C --------------------------------------------------------------------------------------


def test_ctrl_c_during_record_exits_130_at_once(here: Path) -> None:
    (here / "slow_app.py").write_text(SLOW)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pregel_viz",
            "record",
            "slow_app:app",
            "--input",
            '{"n": []}',
            "-o",
            "slow.pregel",
        ],
        cwd=here,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (here / "started").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)  # the nodes sleep 60 s: no waiting for them
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip() == "pregel-viz: interrupted; slow.pregel holds what was recorded until then"
    info = run_cli("info", "slow.pregel", cwd=here)
    # every superstep finished before Ctrl-C is there; the nodes left running never ended
    assert info.returncode == 0 and "outcome running" in info.stdout, info.stderr
