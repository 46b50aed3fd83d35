"""A real LangGraph server (``langgraph dev``) for tests: started once per session.

:func:`start_server` copies an app (a folder with ``langgraph.json``) to a temporary folder,
picks a free port, starts ``langgraph dev --no-browser --no-reload`` on 127.0.0.1 in its own
process group, reads the port it really listens on from its log (it moves to another port,
saying so only in the log, when the one asked for is taken), and waits for ``/ok``.
:func:`stop_server` ends that process group. The ``langgraph_server`` fixture serves
``tests/server_app`` (the fixture graphs of ``server_app/fixture_graphs.py``); it is imported
by ``tests/conftest.py`` so every test file shares one server.

The server is ``langgraph-cli[inmem]`` (the test extra); where it is not installed the tests
that need it are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
APP = TESTS / "server_app"
START_TIMEOUT = 30.0
_API_LINE = re.compile(r"API:\s*(?:\x1b\[[0-9;]*m)*(http://[\w.\-]+:(\d+))")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Server:
    """A running ``langgraph dev``: its URL, its folder, its log, its process."""

    url: str
    port: int
    app_dir: Path
    log_path: Path
    proc: subprocess.Popen[bytes]

    def log(self) -> str:
        return _ANSI.sub("", self.log_path.read_text(encoding="utf-8", errors="replace"))


def langgraph_cli() -> str | None:
    """The ``langgraph`` command of this Python's environment, or None when not installed."""
    here = Path(sys.executable).parent / "langgraph"
    found = str(here) if here.exists() else shutil.which("langgraph")
    if found is None:
        return None
    try:
        import langgraph_api  # noqa: F401  (the in-memory server `langgraph dev` runs)
    except ImportError:
        return None
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def start_server(
    app: Path,
    workdir: Path,
    *,
    pythonpath: Sequence[Path] = (),
    timeout: float = START_TIMEOUT,
) -> Server:
    """Copy ``app`` into ``workdir`` and serve it; raise RuntimeError (with the log) if it does
    not answer ``/ok`` within ``timeout`` seconds."""
    cli = langgraph_cli()
    if cli is None:
        raise RuntimeError("langgraph-cli[inmem] is not installed: pip install -e '.[test]'")
    app_dir = workdir / "app"
    shutil.copytree(app, app_dir, ignore=shutil.ignore_patterns("__pycache__", ".langgraph_api"))
    log_path = workdir / "langgraph-dev.log"
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [*(str(p) for p in pythonpath), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.update(
        {
            "LANGGRAPH_CLI_NO_ANALYTICS": "1",
            "LANGGRAPH_NO_VERSION_CHECK": "1",  # no look-up of newer versions on PyPI
            "LANGSMITH_TRACING": "false",
            "LANGCHAIN_TRACING_V2": "false",
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    argv = [cli, "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=app_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", port, app_dir, log_path, proc)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"langgraph dev exited with {proc.returncode}:\n{server.log()[-4000:]}"
                )
            found = _API_LINE.search(server.log())
            if found is not None:  # the port it really took (another one if ours was taken)
                server.url, server.port = found.group(1), int(found.group(2))
                if _ok(server.url):
                    return server
            time.sleep(0.1)
        raise RuntimeError(
            f"langgraph dev did not answer /ok within {timeout:.0f} s:\n{server.log()[-4000:]}"
        )
    except BaseException:
        stop_server(server)
        raise


def stop_server(server: Server, timeout: float = 10.0) -> None:
    """End the server's process group (the CLI and the server it started), SIGKILL if needed."""
    proc = server.proc
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


@pytest.fixture(scope="session")
def langgraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``langgraph dev`` serving ``tests/server_app``, with ``tests/`` on its PYTHONPATH."""
    if langgraph_cli() is None:
        pytest.skip("langgraph-cli[inmem] is not installed (pip install -e '.[test]')")
    server = start_server(APP, tmp_path_factory.mktemp("langgraph-server"), pythonpath=[TESTS])
    try:
        yield server
    finally:
        stop_server(server)
