"""Serve an app with ``langgraph dev`` from a notebook, and stop it (used by lesson 12).

::

    server = langgraph_dev.start("server_app_12", env={"PREGEL_VIZ_DIR": "..."})
    server.url    # http://127.0.0.1:<port>
    server.stop()

:func:`start` copies the app (a folder with ``langgraph.json``) into a temporary folder, so the
server's own files (``.langgraph_api``) stay out of this one, and runs ``langgraph dev
--no-browser --no-reload`` there on 127.0.0.1 and a free port, in a session of its own. It
reads the port the server really took from its log (it moves to another one when the port is
taken) and waits until ``/ok`` answers. :meth:`Server.stop` ends its whole process group (and
runs when the Python process exits, should a notebook end before it is called).

``langgraph dev`` comes with ``pip install 'langgraph-cli[inmem]'``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_API_LINE = re.compile(r"API:\s*(?:\x1b\[[0-9;]*m)*(http://[\w.\-]+:\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Server:
    """A running ``langgraph dev``: its URL, the folder it serves and its log."""

    url: str
    folder: Path
    log_path: Path
    proc: subprocess.Popen[bytes] = field(repr=False)

    def log(self) -> str:
        """What the server printed so far."""
        return _ANSI.sub("", self.log_path.read_text(encoding="utf-8", errors="replace"))

    def stop(self, timeout: float = 10.0) -> None:
        """End the server and every process it started (its process group)."""
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        shutil.rmtree(self.folder, ignore_errors=True)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _cli() -> str:
    here = Path(sys.executable).parent / "langgraph"
    found = str(here) if here.exists() else shutil.which("langgraph")
    if found is None:
        raise RuntimeError("langgraph dev is not installed: pip install 'langgraph-cli[inmem]'")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def start(app: str | Path, *, env: Mapping[str, str] = {}, timeout: float = 60.0) -> Server:
    """Serve ``app`` with ``langgraph dev``; the folder it sits in is on the server's
    ``PYTHONPATH`` (so the app can import the modules beside it). Raises RuntimeError, with the
    server's log, when it exits or does not answer within ``timeout`` seconds."""
    app = Path(app).resolve()
    folder = Path(tempfile.mkdtemp(prefix="langgraph-dev-"))
    shutil.copytree(app, folder / "app", ignore=shutil.ignore_patterns("__pycache__"))
    log_path = folder / "langgraph-dev.log"
    port = _free_port()
    environ = dict(os.environ)
    environ.update(
        {
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(app.parent), environ.get("PYTHONPATH")])
            ),
            "LANGGRAPH_CLI_NO_ANALYTICS": "1",  # nothing leaves this machine:
            "LANGGRAPH_NO_VERSION_CHECK": "1",  # no look-up of newer versions on PyPI
            "LANGSMITH_TRACING": "false",
            "LANGCHAIN_TRACING_V2": "false",
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
    )
    argv = [_cli(), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=folder / "app",
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as one by stop()
        )
    server = Server(f"http://127.0.0.1:{port}", folder, log_path, proc)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited:\n{server.log()[-3000:]}")
            found = _API_LINE.search(server.log())
            if found is not None:  # the port it really took
                server.url = found.group(1)
                if _ok(server.url):
                    atexit.register(server.stop)  # should the notebook end before stop()
                    return server
            time.sleep(0.1)
        log = server.log()[-3000:]
        raise RuntimeError(f"langgraph dev did not start in {timeout:.0f} s:\n{log}")
    except BaseException:
        server.stop()
        raise
