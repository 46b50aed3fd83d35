"""An opt-in pytest plugin: record every LangGraph run of a test session, then check the logs.

Enable it for one run with ``pytest -p pregel_viz.pytest_plugin`` (it is not registered as an
entry point, so it never loads by itself). Every top-level graph call made by the tests is
recorded by :mod:`pregel_viz.recorder.auto` into ``--pregel-viz-dir`` (default: the directory in the
``PREGEL_VIZ_AUTO`` environment variable, else a new temporary directory). At the end of the
session every log written is read back with :func:`pregel_viz.load`; the terminal summary gives
the counts, and a log that does not load fails the session.

``PREGEL_VIZ_AUTO=<dir>`` also turns recording on as soon as this module is imported, so that
graphs run while test modules are collected are recorded too.

Works with pytest-xdist: each worker records into ``<dir>/<worker id>/`` and reports its
results to the controller, which prints them.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from typing import Any

import pytest

from .recorder import auto

ENV_VAR = "PREGEL_VIZ_AUTO"
_SHOW = 10  # failures listed in the summary

if os.environ.get(ENV_VAR):
    auto.enable(os.environ[ENV_VAR])


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pregel-viz", "record LangGraph runs with pregel-viz")
    group.addoption(
        "--pregel-viz-dir",
        action="store",
        default=None,
        metavar="DIR",
        help=f"write one .pregel log per graph call into DIR (default: ${ENV_VAR}, "
        "else a new temporary directory)",
    )
    group.addoption(
        "--pregel-viz-report",
        action="store",
        default=None,
        metavar="FILE",
        help="also write the end-of-session check (counts, load failures) as JSON to FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Plugin(config), "pregel-viz-auto")


def _check(paths: list[str]) -> dict[str, Any]:
    """Load every log; a log that loads with warnings (a truncated one) is counted apart."""
    from .reader import load

    failures: list[list[str]] = []
    warned = 0
    for path in paths:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                load(path)
        except Exception as exc:
            failures.append([path, f"{type(exc).__name__}: {exc}"])
            continue
        if caught:
            warned += 1
    return {"logs": len(paths), "failures": failures, "warned": warned}


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {
        "logs": a["logs"] + b["logs"],
        "failures": a["failures"] + b["failures"],
        "warned": a["warned"] + b["warned"],
        "stats": {},
    }
    for key in ("recorded", "nested", "skipped", "recorder_errors"):
        out["stats"][key] = a["stats"].get(key, 0) + b["stats"].get(key, 0)
    reasons = dict(a["stats"].get("skipped_reasons", {}))
    for k, v in b["stats"].get("skipped_reasons", {}).items():
        reasons[k] = reasons.get(k, 0) + v
    out["stats"]["skipped_reasons"] = reasons
    out["stats"]["errors"] = a["stats"].get("errors", []) + b["stats"].get("errors", [])
    return out


def _empty() -> dict[str, Any]:
    return {"logs": 0, "failures": [], "warned": 0, "stats": {}}


class _Plugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        workerinput = getattr(config, "workerinput", None)
        self.worker: str | None = workerinput["workerid"] if workerinput else None
        if workerinput and workerinput.get("pregel_viz_dir"):
            base = str(workerinput["pregel_viz_dir"])
        else:
            base = (
                config.getoption("--pregel-viz-dir")
                or os.environ.get(ENV_VAR)
                or tempfile.mkdtemp(prefix="pregel-viz-")
            )
        self.base = os.path.abspath(base)
        self.directory = os.path.join(self.base, self.worker) if self.worker else self.base
        self.result: dict[str, Any] = _empty()
        auto.enable(self.directory)

    # xdist: every worker records under the controller's directory
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["pregel_viz_dir"] = self.base

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        result = getattr(node, "workeroutput", {}).get("pregel_viz")
        if result:
            self.result = _merge(self.result, result)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        stats = auto.stats()
        paths = auto.paths()
        auto.disable()
        mine = _check(paths)
        mine["stats"] = stats
        if self.worker:
            self.config.workeroutput["pregel_viz"] = mine  # type: ignore[attr-defined]
            return
        self.result = _merge(self.result, mine)
        report = self.config.getoption("--pregel-viz-report")
        if report:
            with open(report, "w", encoding="utf-8") as fh:
                json.dump({"directory": self.base, **self.result}, fh, indent=1)
        if self.result["failures"] and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker:
            return
        r = self.result
        s = r["stats"]
        tr = terminalreporter
        failures = r["failures"]
        tr.write_sep("=", "pregel-viz", red=bool(failures), green=not failures)
        tr.write_line(f"logs: {self.base}")
        status = f"{len(failures)} failed to load" if failures else "all load"
        warned = f", {r['warned']} with warnings (truncated)" if r["warned"] else ""
        tr.write_line(f"{r['logs']} logs written, {status}{warned}")
        tr.write_line(
            f"calls recorded: {s.get('recorded', 0)}, nested in a recorded run: "
            f"{s.get('nested', 0)}, not recorded to keep their behaviour: {s.get('skipped', 0)}"
        )
        for reason, n in sorted(s.get("skipped_reasons", {}).items()):
            tr.write_line(f"  {n:6d}  {reason}")
        if s.get("recorder_errors"):
            tr.write_line(
                f"recorder errors (logged, not raised): {s['recorder_errors']}", yellow=True
            )
            for message in s.get("errors", [])[:_SHOW]:
                tr.write_line(f"  {message}")
        for path, message in failures[:_SHOW]:
            tr.write_line(f"FAILED to load {path}: {message}", red=True)
        if len(failures) > _SHOW:
            tr.write_line(f"... and {len(failures) - _SHOW} more", red=True)
