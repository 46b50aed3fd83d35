"""An opt-in pytest plugin: record every LangGraph run of a test session, then check the logs.

Enable it for one run with ``pytest -p pregel_viz.pytest_plugin`` (it is not registered as an
entry point, so it never loads by itself). Every top-level graph call made by the tests is
recorded by :mod:`pregel_viz.recorder.auto` into ``--pregel-viz-dir`` (default: the directory in the
``PREGEL_VIZ_AUTO`` environment variable, else a new temporary directory). At the end of the
session every log written is read back with :func:`pregel_viz.load`; the terminal summary gives
the counts, and a log that does not load fails the session.

``PREGEL_VIZ_AUTO=<dir>`` also turns recording on as soon as this module is imported, so that
graphs run while test modules are collected are recorded too.

``--pregel-viz-report=DIR`` (default: ``$PREGEL_VIZ_REPORT``) writes a report for CI: as each
test ends, the logs of the graph runs it made go to ``DIR/runs/`` with the page of each run
beside its log, and at the end of the session ``DIR/index.html`` lists the tests, failures
first (see :mod:`pregel_viz.views.report`), and ``DIR/report.json`` holds the same data. Only
the small row of each test stays in memory. Writing the report never fails the session: a write
error is a warning. ``--pregel-viz-json=FILE`` writes the end-of-session check as JSON.

Works with pytest-xdist: each worker records into ``<dir>/<worker id>/`` and reports its
results to the controller, which prints them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from .errors import PregelVizWarning
from .recorder import auto

ENV_VAR = "PREGEL_VIZ_AUTO"
REPORT_ENV_VAR = "PREGEL_VIZ_REPORT"
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
        metavar="DIR",
        help="write a report for CI into DIR: each test's runs (.pregel log and HTML page) "
        f"and DIR/index.html listing the tests, failures first (default: ${REPORT_ENV_VAR})",
    )
    group.addoption(
        "--pregel-viz-json",
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


def _warn(message: str) -> None:
    """Issue a warning that can never fail the session (not even under ``-W error``)."""
    with contextlib.suppress(Exception):  # the message is in the terminal summary anyway
        warnings.warn(message, PregelVizWarning, stacklevel=2)


def _why(report: pytest.TestReport) -> str:
    """One line saying why a phase failed or was skipped."""
    if getattr(report, "wasxfail", ""):
        return f"xfail: {report.wasxfail}"
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        text = str(crash.message)
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (file, line, reason)
        text = str(longrepr[2])
    else:
        text = str(longrepr or "")
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


class _Outcome:
    """A test's outcome, from the reports of its setup, call and teardown."""

    def __init__(self) -> None:
        self.outcome: str | None = None
        self.message = ""

    def add(self, report: pytest.TestReport) -> None:
        xfail = hasattr(report, "wasxfail")
        if report.failed:
            if report.when == "call":
                self.outcome, self.message = "failed", _why(report)
            elif self.outcome not in ("failed", "error"):
                self.outcome, self.message = "error", f"{report.when}: {_why(report)}"
        elif self.outcome is None and report.skipped:
            self.outcome, self.message = ("xfailed" if xfail else "skipped"), _why(report)
        elif self.outcome is None and report.passed and report.when == "call" and xfail:
            self.outcome, self.message = "xpassed", _why(report)

    @property
    def result(self) -> str:
        return self.outcome or "passed"


class _Report:
    """The CI report of one process: each test's runs are written as the test ends, and only
    its row (a few short strings) is kept for the index."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.runs_dir = os.path.join(directory, "runs")
        self.tests: list[dict[str, Any]] = []
        self.other_tests = 0  # tests that ran no graph
        self.attributed = 0  # logs that belong to a test
        self.problems: list[str] = []
        self.nproblems = 0
        self.used: set[str] = set()
        self.ok = self._guard("creating the report directory", self._makedirs)

    def _makedirs(self) -> None:
        os.makedirs(self.runs_dir, exist_ok=True)

    def _guard(self, what: str, fn: Any, *args: Any) -> bool:
        try:
            fn(*args)
            return True
        except Exception as exc:
            self.problem(f"{what}: {type(exc).__name__}: {exc}")
            return False

    def problem(self, message: str) -> None:
        self.nproblems += 1
        if len(self.problems) < _SHOW:
            self.problems.append(message)
        _warn(f"pregel-viz report: {message}")

    def _stem(self, nodeid: str) -> str:
        from .views.report import safe_stem

        stem = base = safe_stem(nodeid)
        n = 1
        while stem in self.used:  # the same test run again (pytest-repeat, reruns)
            n += 1
            stem = f"{base}-{n}"
        self.used.add(stem)
        return stem

    def add(self, nodeid: str, outcome: _Outcome, logs: list[str]) -> None:
        if not logs:
            self.other_tests += 1
            return
        self.attributed += len(logs)
        runs: list[dict[str, Any]] = []
        if self.ok:
            stem = self._stem(nodeid)
            for k, log in enumerate(logs, 1):
                runs.append(self._write_run(log, stem if len(logs) == 1 else f"{stem}.{k}"))
        self.tests.append(
            {
                "nodeid": nodeid,
                "outcome": outcome.result,
                "message": outcome.message[:1000],
                "runs": runs,
            }
        )

    def _write_run(self, source: str, name: str) -> dict[str, Any]:
        """Copy one log into the report, write its page beside it, and describe it."""
        from .reader import load
        from .views.html import write_html
        from .views.report import describe_run

        row: dict[str, Any] = {"graph": "", "steps": "", "status": "", "error": "", "log": ""}
        row["page"] = ""
        log = os.path.join(self.runs_dir, f"{name}.pregel")
        if not self._guard(f"copying {source}", shutil.copyfile, source, log):
            return row
        row["log"] = f"runs/{name}.pregel"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a truncated log: its complete steps show
                run = load(log)
            row.update(describe_run(run))
        except Exception as exc:
            row["status"] = "unreadable"
            row["error"] = f"the log does not load: {type(exc).__name__}: {exc}"[:300]
            return row
        page = os.path.join(self.runs_dir, f"{name}.html")
        if self._guard(f"writing {page}", write_html, run, page):
            row["page"] = f"runs/{name}.html"
        return row

    def state(self) -> dict[str, Any]:
        return {
            "tests": self.tests,
            "other_tests": self.other_tests,
            "attributed": self.attributed,
            "problems": self.problems,
            "nproblems": self.nproblems,
        }

    def merge(self, other: dict[str, Any]) -> None:
        self.tests.extend(other.get("tests", []))
        self.other_tests += other.get("other_tests", 0)
        self.attributed += other.get("attributed", 0)
        self.nproblems += other.get("nproblems", 0)
        self.problems.extend(other.get("problems", [])[: max(0, _SHOW - len(self.problems))])

    def finish(self, logs: int, check: dict[str, Any]) -> None:
        """Write ``index.html`` and ``report.json``; ``logs``: every log of the session."""
        from .views.report import index_html

        outside = max(0, logs - self.attributed)
        notes = [f"Logs of every run: {check.get('directory', '')}"] if outside else []
        if check.get("failures"):
            notes.append(f"{len(check['failures'])} log(s) of the session do not load.")
        page = index_html(
            self.tests, other_tests=self.other_tests, outside_runs=outside, notes=notes
        )
        data = {**self.state(), "outside_runs": outside, "check": check}
        self._guard("writing index.html", _write_text, "index.html", self.directory, page)
        text = json.dumps(data, indent=1, default=str)
        self._guard("writing report.json", _write_text, "report.json", self.directory, text)


def _write_text(name: str, directory: str, text: str) -> None:
    with open(os.path.join(directory, name), "w", encoding="utf-8") as fh:
        fh.write(text)


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
        if workerinput:
            report_dir = workerinput.get("pregel_viz_report")
        else:
            report_dir = config.getoption("--pregel-viz-report") or os.environ.get(REPORT_ENV_VAR)
            if report_dir and report_dir.lower().endswith(".json"):
                raise pytest.UsageError(
                    f"--pregel-viz-report takes a directory, not {report_dir!r}; the "
                    "end-of-session check as JSON is --pregel-viz-json=FILE"
                )
        self.report_dir = os.path.abspath(report_dir) if report_dir else None
        self.report = _Report(self.report_dir) if self.report_dir else None
        self.current: _Outcome | None = None
        auto.enable(self.directory)

    # xdist: every worker records under the controller's directory
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["pregel_viz_dir"] = self.base
        node.workerinput["pregel_viz_report"] = self.report_dir

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        result = output.get("pregel_viz")
        if result:
            self.result = _merge(self.result, result)
        if self.report is not None and output.get("pregel_viz_report"):
            self.report.merge(output["pregel_viz_report"])

    # the report: each test's runs are the logs started while it ran (setup to teardown)
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Iterator[None]:
        if self.report is None:
            return (yield)
        first = len(auto.paths())
        self.current = _Outcome()
        try:
            return (yield)
        finally:
            outcome, self.current = self.current, None
            try:
                self.report.add(item.nodeid, outcome, auto.paths()[first:])
            except Exception as exc:  # never fails the session
                self.report.problem(f"reporting {item.nodeid}: {type(exc).__name__}: {exc}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.current is not None:  # in the process running the test (not xdist's controller)
            self.current.add(report)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        stats = auto.stats()
        paths = auto.paths()
        auto.disable()
        mine = _check(paths)
        mine["stats"] = stats
        if self.worker:
            self.config.workeroutput["pregel_viz"] = mine  # type: ignore[attr-defined]
            if self.report is not None:
                self.config.workeroutput["pregel_viz_report"] = self.report.state()  # type: ignore[attr-defined]
            return
        self.result = _merge(self.result, mine)
        check = {"directory": self.base, **self.result}
        if self.report is not None:
            self.report.finish(self.result["logs"], check)
        report = self.config.getoption("--pregel-viz-json")
        if report:
            with open(report, "w", encoding="utf-8") as fh:
                json.dump(check, fh, indent=1)
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
        if self.report is not None:
            rep = self.report
            runs = sum(len(t["runs"]) for t in rep.tests)
            index = os.path.join(rep.directory, "index.html")
            tr.write_line(f"report: {index} ({len(rep.tests)} tests recorded {runs} runs)")
            if rep.nproblems:
                tr.write_line(f"report: {rep.nproblems} write error(s), not fatal:", yellow=True)
                for message in rep.problems:
                    tr.write_line(f"  {message}", yellow=True)
