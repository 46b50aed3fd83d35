"""The Jupyter server extension (pregel_viz/server.py), against a real `jupyter server`.

The server is started the way users get it: the extension is enabled by the config file the
package installs (etc/jupyter/jupyter_server_config.d/pregel_viz.json), not by a flag.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bombs import frame_bomb, zlib_bomb
from helpers import stop_server
from log_variants import (
    SAMPLE,
    corrupt,
    load_quietly,
    newer_major,
    not_a_log,
    record_loop,
    truncated,
)

import pregel_viz
from pregel_viz.views.payload import build_payload

TOKEN = "pregel-viz-server-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = Path(tempfile.mkdtemp(prefix="pv-server-"))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTER_DATA_DIR=str(self.home / "data"),
        )
        self.log = open(self.home / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "server",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited: {self.server_log()}")
            try:
                self.get("/api/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("jupyter server did not answer within 90 s") from None
                time.sleep(0.3)

    def server_log(self) -> str:
        return (self.home / "server.log").read_text(errors="replace")

    def get(
        self, path: str, *, token: bool = True, gzip_ok: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Authorization": f"token {TOKEN}"} if token else {}
        if gzip_ok:
            headers["Accept-Encoding"] = "gzip"
        req = urllib.request.Request(f"{self.url}{path}", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def payload(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        status, _, body = self.get(
            "/pregel-viz/payload?" + urllib.parse.urlencode({"path": path}), **kwargs
        )
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode("utf-8", "replace")

    def stop(self) -> None:
        stop_server(self.proc, self.log, self.home)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server-root")
    srv = Server(root)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def enabled(server: Server) -> Server:
    """The server with the extension answering (a clear failure when it is not installed)."""
    status, _ = server.payload("")
    if status == 404:
        pytest.fail(
            "GET /pregel-viz/payload is not served: the pregel_viz.server extension is not "
            "enabled. `pip install -e .` installs etc/jupyter/jupyter_server_config.d/"
            f"pregel_viz.json into {sys.prefix}.\nserver log:\n{server.server_log()[-3000:]}"
        )
    return server


def _write(server: Server, name: str, data: bytes) -> Path:
    path = server.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_the_installed_config_enables_the_extension(enabled: Server) -> None:
    assert "pregel_viz.server | extension was successfully loaded" in enabled.server_log()


def test_a_log_is_served_as_the_payload_python_builds(enabled: Server) -> None:
    shutil.copy(SAMPLE, enabled.root / "sample.pregel")
    status, body = enabled.payload("sample.pregel")
    assert status == 200, body
    assert body == json.loads(json.dumps(build_payload(pregel_viz.load(SAMPLE))))
    assert body["warnings"] == []
    # in a folder, and with the slashes a client may add
    (enabled.root / "runs" / "a b").mkdir(parents=True)
    shutil.copy(SAMPLE, enabled.root / "runs" / "a b" / "ünï.pregel")
    for path in ("runs/a b/ünï.pregel", "/runs/a b/ünï.pregel", "runs//a b/./ünï.pregel"):
        assert enabled.payload(path) == (200, body), path


def test_the_payload_is_gzipped_when_the_client_accepts_it(enabled: Server) -> None:
    shutil.copy(SAMPLE, enabled.root / "zipped.pregel")
    query = "/pregel-viz/payload?path=zipped.pregel"
    status, headers, raw = enabled.get(query, gzip_ok=True)
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    _, plain_headers, plain = enabled.get(query)
    assert "Content-Encoding" not in plain_headers
    assert json.loads(gzip.decompress(raw)) == json.loads(plain)
    assert len(raw) < len(plain) / 3


def _head(server: Server, path: str) -> tuple[int, str | None, Any]:
    query = "/pregel-viz/payload?" + urllib.parse.urlencode({"path": path, "head": "1"})
    status, headers, body = server.get(query)
    return status, headers.get("X-Pregel-Viz-Part"), json.loads(body)


def test_a_long_log_answers_its_head_first_then_the_whole_payload(enabled: Server) -> None:
    """``head=1``: the first HEAD_ENTRIES entries (the same as the whole payload's, with the
    same graphs) while the whole payload is built; once it is built, the whole payload."""
    from pregel_viz.server import HEAD_ENTRIES

    record_loop(enabled.root / "long.pregel", HEAD_ENTRIES + 100)
    status, part, head = _head(enabled, "long.pregel")
    assert (status, part) == (200, "head")
    status, headers, raw = enabled.get("/pregel-viz/payload?path=long.pregel")
    assert (status, headers.get("X-Pregel-Viz-Part")) == (200, "full")
    whole = json.loads(raw)
    expected = build_payload(pregel_viz.load(enabled.root / "long.pregel"))
    assert whole == json.loads(json.dumps(expected))
    steps = whole["threads"][0]["namespaces"][0]["steps"]
    assert len(steps) == HEAD_ENTRIES + 102
    assert head["threads"][0]["namespaces"][0]["steps"] == steps[:HEAD_ENTRIES]
    assert head["graphs"] == whole["graphs"] and head["warnings"] == whole["warnings"]
    # built once: the next head=1 is the whole payload, from the cache
    assert _head(enabled, "long.pregel") == (200, "full", whole)
    # a short log's head is all of it; a bad file's is its error
    shutil.copy(SAMPLE, enabled.root / "short.pregel")
    assert _head(enabled, "short.pregel") == (200, "full", enabled.payload("short.pregel")[1])
    _write(enabled, "bad-head.pregel", not_a_log())
    status, part, body = _head(enabled, "bad-head.pregel")
    assert (status, part, body["error"]) == (422, None, "NotALogError")


def test_a_head_and_the_whole_payload_asked_at_once_agree(enabled: Server) -> None:
    from pregel_viz.server import HEAD_ENTRIES

    record_loop(enabled.root / "twice.pregel", HEAD_ENTRIES + 50)
    results: dict[str, Any] = {}

    def ask(name: str, fetch: Any) -> None:
        results[name] = fetch()

    threads = [
        threading.Thread(target=ask, args=("head", lambda: _head(enabled, "twice.pregel"))),
        threading.Thread(target=ask, args=("whole", lambda: enabled.payload("twice.pregel"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    status, part, head = results["head"]
    assert status == 200 and part in ("head", "full")
    assert results["whole"][0] == 200
    whole_steps = results["whole"][1]["threads"][0]["namespaces"][0]["steps"]
    head_steps = head["threads"][0]["namespaces"][0]["steps"]
    assert head_steps == whole_steps[: len(head_steps)]


def test_a_truncated_log_gives_its_complete_supersteps_and_the_warning(enabled: Server) -> None:
    path = _write(enabled, "cut.pregel", truncated(SAMPLE.read_bytes()))
    status, body = enabled.payload("cut.pregel")
    assert status == 200, body
    expected = build_payload(load_quietly(path))
    assert [t["id"] for t in body["threads"]] == [t["id"] for t in expected["threads"]]
    steps = [s["step"] for s in body["threads"][0]["namespaces"][0]["steps"]]
    assert steps == [s.step for s in load_quietly(path).threads["happy"].root.supersteps]
    assert len(body["warnings"]) == 1
    assert "cut.pregel ends inside a frame" in body["warnings"][0]


@pytest.mark.parametrize(
    ("name", "make", "kind", "words"),
    [
        ("zip.pregel", lambda d: not_a_log(), "NotALogError", "does not look like a pregel-viz"),
        ("future.pregel", newer_major, "LogVersionError", "upgrade pregel-viz"),
        ("damaged.pregel", corrupt, "CorruptLogError", "fails its checksum"),
        ("empty.pregel", lambda d: b"", "NotALogError", "does not look like"),
    ],
)
def test_a_bad_file_is_a_422_that_says_what_is_wrong(
    enabled: Server, name: str, make: Any, kind: str, words: str
) -> None:
    _write(enabled, f"bad/{name}", make(SAMPLE.read_bytes()))
    status, body = enabled.payload(f"bad/{name}")
    assert status == 422
    assert body["error"] == kind
    assert words in body["message"]
    assert f"bad/{name}" in body["message"]  # the path the user knows...
    assert str(enabled.root) not in body["message"]  # ...not the server's disk layout


def test_missing_files_folders_and_no_path_are_answered_as_such(enabled: Server) -> None:
    (enabled.root / "folder").mkdir(exist_ok=True)
    assert enabled.payload("nope.pregel")[0] == 404
    assert enabled.payload("folder")[0] == 400
    assert enabled.payload("")[0] == 400
    _, body = enabled.payload("nope.pregel")
    assert body["error"] == "HTTPError" and "nope.pregel" in body["message"]


def test_paths_outside_the_root_are_refused(enabled: Server, tmp_path: Path) -> None:
    outside = tmp_path / "secret.pregel"
    shutil.copy(SAMPLE, outside)
    rel = os.path.relpath(outside, enabled.root)
    assert rel.startswith("..")
    for path in (rel, "../secret.pregel", "a/../../secret.pregel", "..\\secret.pregel"):
        status, body = enabled.payload(path)
        assert status == 403, (path, body)
    # a symbolic link inside the root that points outside it
    (enabled.root / "link.pregel").symlink_to(outside)
    assert enabled.payload("link.pregel")[0] == 403
    # an absolute path is a path under the root, as everywhere in the contents API
    assert enabled.payload(str(outside))[0] == 404
    # hidden files stay hidden (ContentsManager.allow_hidden is off by default)
    shutil.copy(SAMPLE, enabled.root / ".hidden.pregel")
    assert enabled.payload(".hidden.pregel")[0] == 404


def test_requests_without_the_token_are_refused(enabled: Server) -> None:
    shutil.copy(SAMPLE, enabled.root / "private.pregel")
    status, _ = enabled.payload("private.pregel", token=False)
    assert status == 403


def test_a_changed_file_is_read_again(enabled: Server) -> None:
    path = enabled.root / "changing.pregel"
    shutil.copy(SAMPLE, path)
    assert enabled.payload("changing.pregel")[0] == 200
    path.write_bytes(not_a_log())
    later = time.time() + 5
    os.utime(path, (later, later))
    status, body = enabled.payload("changing.pregel")
    assert (status, body["error"]) == (422, "NotALogError")
    shutil.copy(SAMPLE, path)
    os.utime(path, (later + 5, later + 5))
    assert enabled.payload("changing.pregel")[0] == 200


def test_a_big_log_is_decoded_off_the_event_loop(enabled: Server) -> None:
    """While a 2,000-superstep log is being decoded, the server keeps answering."""
    record_loop(enabled.root / "big.pregel", 2_000)
    done = threading.Event()
    result: dict[str, Any] = {}

    def fetch() -> None:
        result["status"], result["body"] = enabled.payload("big.pregel")
        done.set()

    worker = threading.Thread(target=fetch)
    worker.start()
    answered = 0
    while not done.is_set():
        status, _, _ = enabled.get("/api/status")
        answered += status == 200 and not done.is_set()
        time.sleep(0.02)
    worker.join()
    assert result["status"] == 200
    assert len(result["body"]["threads"][0]["namespaces"][0]["steps"]) > 2_000
    assert answered >= 3, f"/api/status answered only {answered} time(s) during the decode"


def test_the_server_extension_loads_without_langgraph_or_the_notebook_stack() -> None:
    """Jupyter imports pregel_viz.server at start-up: it reads logs, and needs neither."""
    code = (
        "import sys, pregel_viz.server, pregel_viz\n"
        "heavy = [m for m in ('langgraph', 'langchain_core', 'anywidget', 'ipywidgets') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
        "missing = [n for n in pregel_viz.__all__ if not hasattr(pregel_viz, n)]\n"
        "print(missing, callable(pregel_viz.narrate), callable(pregel_viz.compare))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out == ["[]", "[] True True"]


# --------------------------------------------------------------------------- hostile files


def _resident(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class _Timed(threading.Thread):
    """A request in a thread: its answer, when it ended, and the server's peak memory meanwhile."""

    def __init__(self, server: Server, path: str) -> None:
        super().__init__()
        self.server, self.path = server, path
        self.status: int | None = None
        self.body: Any = None
        self.ended = float("inf")
        self.peak = 0

    def run(self) -> None:
        self.status, self.body = self.server.payload(self.path)
        self.ended = time.perf_counter()

    def watch(self) -> None:
        """Sample the server's resident memory until the request ends."""
        while self.is_alive():
            self.peak = max(self.peak, _resident(self.server.proc.pid))
            time.sleep(0.01)
        self.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_zlib_bomb_is_a_413_naming_the_limit_and_takes_bounded_memory(enabled: Server) -> None:
    zlib_bomb(enabled.root / "bomb.pregel", inflated=1 << 30)  # 1 MB on disk, 1 GiB inflated
    before = _resident(enabled.proc.pid)
    request = _Timed(enabled, "bomb.pregel")
    request.start()
    request.watch()
    assert request.status == 413, request.body
    assert request.body["error"] == "LogTooLargeError"
    message = request.body["message"]
    assert message.startswith("bomb.pregel (1.02 MiB) inflates to more than 200 times its size")
    assert "PREGEL_VIZ_MAX_LOG_RATIO" in message and str(enabled.root) not in message
    assert request.peak - before < 400 * 2**20, (before, request.peak)


def test_a_small_log_is_answered_at_once_while_a_bomb_is_read(enabled: Server) -> None:
    frame_bomb(enabled.root / "frames.pregel", frames=20_000_000)  # a million frames decoded
    shutil.copy(SAMPLE, enabled.root / "meanwhile.pregel")
    bomb = _Timed(enabled, "frames.pregel")
    bomb.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    status, _ = enabled.payload("meanwhile.pregel")
    answered = time.perf_counter()
    bomb.join()
    assert status == 200
    assert answered < bomb.ended, "the bomb was refused before the other request: no overlap"
    assert answered - t0 < 2.0, f"a small log waited {answered - t0:.1f} s behind a bomb"
    assert bomb.status == 413 and "more than 1,000,000 events" in bomb.body["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs")
def test_a_fifo_in_the_root_is_a_400_at_once(enabled: Server) -> None:
    os.mkfifo(enabled.root / "pipe.pregel")
    t0 = time.perf_counter()
    status, body = enabled.payload("pipe.pregel")
    assert (status, body["error"]) == (400, "NotAFileError"), body
    assert body["message"] == "pipe.pregel is a FIFO (named pipe), not a .pregel log file"
    assert time.perf_counter() - t0 < 5
