"""The example notebooks: each runs offline and fast, ships stripped, and ships a fresh log."""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
import shutil
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient

import pregel_viz
from pregel_viz.analysis.compare import branches
from pregel_viz.views.payload import unpack_document

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

LESSONS = [
    "01_supersteps_and_channels",
    "02_conditional_routing",
    "03_fanout_fanin_reducers",
    "04_send_map_reduce",
    "05_loops_and_recursion_limit",
    "06_subgraphs",
    "07_human_in_the_loop_interrupts",
    "08_errors_and_retries",
    "09_time_travel_and_forking",
    "10_comparing_two_runs",
    "11_tool_calling_agent",
    "12_debug_a_deployed_graph",
]
SERVED = "12_debug_a_deployed_graph"  # starts `langgraph dev` on 127.0.0.1 and stops it
# seconds a lesson's cells may take (starting a server takes a few)
CELL_BUDGET = {SERVED: 30.0}

# what a lesson's outputs must say besides what every lesson's do
SAYS = {
    "11_tool_calling_agent": [
        # narration of the calls: the model, its tokens, the tools it called and their results
        "agent asked careful-model (64 → 22 tokens, ",
        "it called get_weather(city='Paris') and divide(a=84, b=2) in parallel.",
        "tools ran get_weather(city='Paris') → 'sunny in Paris' and divide(a=84, b=2) → 42.0.",
        "divide(a=84, b=0) failed with ZeroDivisionError: division by zero (tools returned the "
        "error to the model).",
        # task.calls read directly, and the token totals
        "step 1 agent: careful-model {'input_tokens': 64, 'output_tokens': 22",
        "careful: 2 model calls, 182 in, 37 out, 219 tokens",
        "hasty: 3 model calls, 355 in, 43 out, 398 tokens",
        "calls in tasks: 3 model calls (355 in, 43 out, 398 tokens",
        # the comparison tells the calls
        "step 1 (writes): agent asked careful-model in careful but hasty-model in hasty; agent's "
        "model called divide(a=84, b=2) in careful but divide(a=84, b=0) in hasty.",
        "step 2 (writes): tools called divide(a=84, b=2) in careful but divide(a=84, b=0) in "
        "hasty.",
    ],
    SERVED: [
        # the threads run through the SDK, the refund answered at its interrupt
        "ticket-101: waits at approve ('send this refund?'); answered 'yes'",
        "ticket-101: billing -> replied",
        "ticket-102: technical -> replied",
        # pulled from the server: what it does not keep is marked unknown
        "unknown: why each task ran",
        "unknown: attempts and their times",
        "approve: triggers None | attempts UNKNOWN | calls UNKNOWN",
        "which one was not recorded",
        # recorded inside the server by the instrumented graph: everything
        "approve ran because branch:to:approve advanced, written by ['billing']",
        "attempt: interrupt, ",
        "attempt: ok, ",
        "run 2 resumed it with the answer 'yes'",
    ],
}

# run first in each kernel: any connection or name lookup beyond this machine fails, so a
# lesson that needed the network would fail here instead of quietly using it
NO_NETWORK = """\
import socket as _socket

_LOCAL = {"localhost", "127.0.0.1", "::1", None}


def _offline(what):
    raise OSError(f"the examples run offline: no network ({what!r})")


def _lookup(host, *args, _real=_socket.getaddrinfo, **kwargs):
    if host not in _LOCAL and not str(host).startswith("127."):
        _offline(host)
    return _real(host, *args, **kwargs)


def _checked(real):
    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (_socket.AF_INET, _socket.AF_INET6) and host not in _LOCAL:
            if not str(host).startswith("127."):
                _offline(address)
        return real(self, address)

    return connect


_socket.getaddrinfo = _lookup
_socket.socket.connect = _checked(_socket.socket.connect)
_socket.socket.connect_ex = _checked(_socket.socket.connect_ex)
"""


# appended to lesson 12: its last cell stopped the server and every process it started
STOPPED = """\
import os, urllib.request

try:
    urllib.request.urlopen(f"{server.url}/ok", timeout=2)
    print("server still answers")
except OSError:
    try:
        os.killpg(server.proc.pid, 0)
        print("server's process group still alive")
    except ProcessLookupError:
        print("server stopped:", server.proc.poll() is not None)
"""


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "record_examples", ROOT / "scripts" / "record_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["record_examples"] = module
    spec.loader.exec_module(module)
    return module


def test_given_the_examples_folder_when_listed_then_every_lesson_has_its_three_files() -> None:
    found = sorted(p.stem for p in EXAMPLES.glob("[0-9][0-9]_*.ipynb"))
    assert found == LESSONS
    for name in LESSONS:
        assert (EXAMPLES / f"{name}.pregel").is_file(), name
        assert (EXAMPLES / f"graphs_{name[:2]}.py").is_file(), name
    assert [lesson.name for lesson in _script().lessons()] == LESSONS


@pytest.mark.parametrize("name", LESSONS)
def test_given_a_shipped_notebook_when_read_then_it_has_no_outputs(name: str) -> None:
    book = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code, "a lesson records and shows a run"
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    sources = "\n".join(c.source for c in code)
    assert "pregel_viz.narrate(" in sources or "pregel_viz.compare(" in sources
    assert any(c.source.strip().endswith("\nrun") for c in code), "shows the debugger"


def _client(book: nbformat.NotebookNode) -> NotebookClient:
    """Runs ``book`` in a fresh kernel, from examples/ (as a user opening it there would)."""
    return NotebookClient(
        book,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
        store_widget_state=False,
        record_timing=True,
    )


def _cell_seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not start or not end:
        return 0.0
    parse = datetime.datetime.fromisoformat
    return (parse(end.rstrip("Z")) - parse(start.rstrip("Z"))).total_seconds()


def _can_serve() -> bool:
    """``langgraph dev`` (``langgraph-cli[inmem]``, in the test extra) is installed."""
    cli = Path(sys.executable).parent / "langgraph"
    return (cli.exists() or shutil.which("langgraph") is not None) and (
        importlib.util.find_spec("langgraph_api") is not None
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize("name", LESSONS)
def test_given_a_notebook_when_executed_offline_then_it_runs_clean_and_fast(name: str) -> None:
    if name == SERVED and not _can_serve():
        pytest.skip("langgraph-cli[inmem] is not installed (pip install -e '.[test]')")
    book = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    book.cells.insert(0, nbformat.v4.new_code_cell(NO_NETWORK))
    if name == SERVED:  # after its last cell, in its kernel: the server it started is gone
        book.cells.append(nbformat.v4.new_code_cell(STOPPED))
    client = _client(book)
    secrets = [k for k in os.environ if k.endswith("_API_KEY")]
    saved = {k: os.environ.pop(k) for k in secrets}  # no API key reaches the kernel
    started = time.monotonic()
    try:
        client.execute()
    finally:
        os.environ.update(saved)
    wall = time.monotonic() - started
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    text = "".join(
        o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "same as the run recorded above: True" in text
    assert " ran because " in text  # the narration reads without widgets
    for said in SAYS.get(name, []):
        assert said in text, said
    cells = sum(_cell_seconds(c) for c in book.cells if c.cell_type == "code")
    assert cells < CELL_BUDGET.get(name, 10.0), f"{name}: its cells took {cells:.1f} s"
    if name == SERVED:  # it served on 127.0.0.1, and its last cell ended the process group
        assert "server stopped: True" in text, text
        url = re.search(r"http://127\.0\.0\.1:\d+", text)
        assert url is not None, text
        assert not _answers(url.group(0)), f"{name} left its server running at {url.group(0)}"
    assert wall < 60, f"{name}: {wall:.1f} s with the kernel's start"


@pytest.mark.parametrize("name", LESSONS)
def test_given_a_shipped_log_when_re_recorded_then_compare_finds_it_identical(
    name: str, tmp_path: Path
) -> None:
    script = _script()
    lesson = next(x for x in script.lessons() if x.name == name)
    fresh = pregel_viz.load(script.record(lesson, tmp_path))
    shipped = pregel_viz.load(EXAMPLES / f"{name}.pregel")
    assert list(shipped.threads) == list(fresh.threads)
    for thread in shipped.threads:
        a = shipped.threads[thread].root
        b = fresh.threads[thread].root
        assert len(branches(a)) == len(branches(b)), thread
        for i in range(len(branches(a))):
            result = pregel_viz.compare(
                shipped,
                fresh,
                thread_a=thread,
                thread_b=thread,
                branch_a=i,
                branch_b=i,
                labels=("shipped", "fresh"),
            )
            assert result.identical, (
                f"{name} is stale (python scripts/record_examples.py):\n{result}"
            )


def test_given_the_offline_guard_when_a_kernel_reaches_out_then_it_is_refused() -> None:
    """The guard every lesson runs under does refuse the network (and leaves the kernel be),
    and lets the kernel reach this machine (127.0.0.1, localhost)."""
    listener, port = _listen()
    book = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(NO_NETWORK),
            nbformat.v4.new_code_cell(
                "import socket, urllib.request\n"
                "for reach in (lambda: socket.create_connection(('93.184.215.14', 80), 5),\n"
                "              lambda: urllib.request.urlopen('https://example.com', timeout=5)):\n"
                "    try:\n"
                "        reach()\n"
                "    except OSError as e:\n"
                "        print('refused:', e)\n"
                "print('kernel alive')"
            ),
            # this machine stays reachable: lesson 12 talks to the server it starts
            nbformat.v4.new_code_cell(
                "import socket\n"
                "for host in ('127.0.0.1', 'localhost'):\n"
                f"    with socket.create_connection((host, {port}), 5) as s:\n"
                "        print('reached', host, s.recv(2).decode())"
            ),
        ]
    )
    try:
        _client(book).execute()
    finally:
        listener.close()
    text = "".join(o.get("text", "") for o in book.cells[1].outputs)
    assert text.count("refused:") == 2 and "the examples run offline" in text, text
    assert "kernel alive" in text
    local = "".join(o.get("text", "") for o in book.cells[2].outputs)
    assert local.splitlines() == ["reached 127.0.0.1 ok", "reached localhost ok"], local


def _listen() -> tuple[socket.socket, int]:
    """A TCP server on 127.0.0.1 that answers "ok" to every connection, in a daemon thread."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed
                return
            with conn:
                conn.sendall(b"ok")

    threading.Thread(target=serve, daemon=True).start()
    return listener, int(listener.getsockname()[1])


MAGICS = "notebook_magics_and_live_debugging"
MIME = "application/vnd.pregel-viz+json"


def test_given_the_magics_notebook_when_executed_then_magics_and_live_sessions_work() -> None:
    """The notebook that uses %load_ext, %pregel, %%pregel, auto, --live and pregel_viz.debug."""
    book = nbformat.read(EXAMPLES / f"{MAGICS}.ipynb", as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "ships stripped"
    sources = "\n".join(c.source for c in code)
    for form in (
        "%load_ext pregel_viz",
        "%pregel graph",
        "%%pregel",
        "%pregel auto on",
        "%pregel runs",
        "%pregel --live",
        "pregel_viz.debug(",
    ):
        assert form in sources, form
    _client(book).execute()
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    # the widgets were displayed (the magic's runs, the live sessions, the fork view)
    view = "application/vnd.jupyter.widget-view+json"
    widgets = [o for o in outputs if view in o.get("data", {})]
    assert len(widgets) == 5
    assert "interrupted - send this email?" in text
    assert "paused - breakpoint before send - next: ('send',)" in text
    assert "completed - sent" in text
    assert "completed - discarded" in text  # the fork with the answer edited to "no"
    assert "stopped - 2 branches" in text
    assert "1  <Run 'email_approval'" in text  # %pregel runs listed the plain invoke
    # stopping the session brought its output up to date: a saved notebook shows the run
    debug_cell = next(c for c in code if "pregel_viz.debug(" in c.source)
    (saved,) = [o for o in debug_cell.outputs if MIME in o.get("data", {})]
    document = unpack_document(saved["data"][MIME])  # a long run's output is saved packed
    steps = document["threads"][0]["namespaces"][0]["steps"]
    assert [s["branch"] for s in steps].count(1) >= 2  # the fork is in it
