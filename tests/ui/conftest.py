"""Real-browser fixtures: Debian's headless Chromium driven by Playwright, and a real JupyterLab.

Never downloads a browser: Playwright launches /usr/bin/chromium (``.ci/run`` installs it from
Debian's packages). Without it the UI tests are skipped locally and fail in CI (``CI`` set).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import stop_server
from viewer_driver import WINDOW

CHROMIUM = os.environ.get("PREGEL_VIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# A browser test that fails is run once more before it counts as failed, as Playwright's own CI
# setup does (`retries`): a real browser, a JupyterLab and a kernel on a loaded 2-core machine
# time out now and then. A test that fails twice fails; one that passes the second time is
# listed as "rerun" in the summary (-ra), so a flake stays visible.
UI_RERUNS = 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.ui)
            item.add_marker(pytest.mark.flaky(reruns=UI_RERUNS, reruns_delay=1))


def _need_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # read by `page` to keep a failure screenshot
    return report


@pytest.fixture()
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh context and page; ``page.errors`` collects uncaught page errors. When the test
    fails, a screenshot of the page is kept in the test's tmp dir (its path is printed)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(shot), full_page=True, animations="disabled")
            print(f"screenshot of the failed page: {shot}")
        if errors:
            print("page errors:", *errors, sep="\n  ")
    context.close()


@pytest.fixture()
def window(browser: Any) -> Iterator[Any]:
    """A fresh page in a 1500x1000 window; the test fails on an uncaught page error."""
    context = browser.new_context(viewport=WINDOW)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    assert errors == []
    context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    """A JupyterLab server in its own process group, with isolated config and settings."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.token = "pregel-viz-test"
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = Path(tempfile.mkdtemp(prefix="pv-lab-"))
        settings = self.home / "settings"
        notif = settings / "@jupyterlab" / "apputils-extension"
        notif.mkdir(parents=True)
        (notif / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTER_DATA_DIR=str(self.home / "data"),
        )
        self.log = open(self.home / "lab.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.extension_manager=readonly",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait()

    def api(self, path: str) -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def _wait(self) -> None:
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {(self.home / 'lab.log').read_text()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("jupyter lab did not answer within 90 s")

    def wait_kernel_idle(self, notebook: str, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for session in self.api("/api/sessions"):
                state = session["kernel"]["execution_state"]
                if session.get("path") == notebook and state == "idle":
                    return
            time.sleep(0.3)
        raise RuntimeError(f"no idle kernel for {notebook}")

    def stop(self) -> None:
        stop_server(self.proc, self.log, self.home)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _need_chromium()
    root = tmp_path_factory.mktemp("lab-root")
    server = Lab(root)
    yield server
    server.stop()
