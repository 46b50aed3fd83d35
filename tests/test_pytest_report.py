"""``pytest -p pregel_viz.pytest_plugin --pregel-viz-report=DIR``: the report a CI job keeps.

Each test runs a small suite of real LangGraph graphs in a fresh pytest process (``pytester``)
and reads what it wrote: one log and one page per run, ``index.html`` (failures first, every
name escaped, every link resolving inside the report) and ``report.json``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from report_suite import TOOL_ERROR, run_with_report, suite

import pregel_viz
from pregel_viz.views.report import describe_run, index_html, safe_stem

pytest_plugins = ["pytester"]

HOSTILE = "<script>alert('graph')</script>"

SUITE_TESTS = """
def test_passes():
    assert build("support_agent").invoke({"log": []}) == {"log": ["plan", "act"]}


def test_fails():
    build(HOSTILE).invoke({"log": []})
    with pytest.raises(ValueError):
        build("tool_agent", fail=True).invoke({"log": []})
    assert False, "the <b>agent</b> took the wrong route"


@pytest.mark.parametrize("name", ["../../../etc/passwd", "<img src=x onerror=alert(1)>"])
def test_hostile_id(name):
    build("param").invoke({"log": []})


@pytest.fixture
def broken():
    build("in_setup").invoke({"log": []})
    raise RuntimeError("fixture broke")


def test_setup_error(broken):
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    build("never").invoke({"log": []})


def test_no_graph():
    pass
"""
SUITE = suite(SUITE_TESTS, HOSTILE=HOSTILE)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self.rows: list[str] = []  # the text of each test cell, in order
        self._in_test = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")
        if tag == "td" and ("class", "test") in attrs:
            self.rows.append("")
        self._in_test = tag == "td" and ("class", "test") in attrs

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span"):
            self._in_test = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_test:
            self.rows[-1] += data


@pytest.fixture(autouse=True)
def _no_inherited_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("PREGEL_VIZ_AUTO", "PREGEL_VIZ_REPORT"):
        monkeypatch.delenv(key, raising=False)


def _run(pytester: pytest.Pytester, *args: str) -> Any:
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "pregel_viz.pytest_plugin", *args
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The suite run once with a report, shared by the tests that read it: (the report
    directory, pytest's output)."""
    root = tmp_path_factory.mktemp("suite")
    (root / "test_suite.py").write_text(SUITE)
    out = root / "report"
    proc = run_with_report(root, out, "test_suite.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # test_fails fails
    return out, proc.stdout


def test_every_test_that_ran_a_graph_has_its_runs_written(report: tuple[Path, str]) -> None:
    out, stdout = report
    data = json.loads((out / "report.json").read_text())
    tests = {t["nodeid"]: t for t in data["tests"]}
    assert set(tests) == {
        "test_suite.py::test_passes",
        "test_suite.py::test_fails",
        "test_suite.py::test_hostile_id[../../../etc/passwd]",
        "test_suite.py::test_hostile_id[<img src=x onerror=alert(1)>]",
        "test_suite.py::test_setup_error",
    }
    assert data["other_tests"] == 2  # skipped before any graph ran; no graph at all
    assert {k: t["outcome"] for k, t in tests.items()} == {
        "test_suite.py::test_passes": "passed",
        "test_suite.py::test_fails": "failed",
        "test_suite.py::test_hostile_id[../../../etc/passwd]": "passed",
        "test_suite.py::test_hostile_id[<img src=x onerror=alert(1)>]": "passed",
        "test_suite.py::test_setup_error": "error",
    }
    fails = tests["test_suite.py::test_fails"]
    assert fails["message"] == "AssertionError: the <b>agent</b> took the wrong route"
    assert "fixture broke" in tests["test_suite.py::test_setup_error"]["message"]
    # a test that ran two graphs: one log and one page per run, in the order they ran
    assert [(r["graph"], r["status"], r["steps"]) for r in fails["runs"]] == [
        (HOSTILE, "completed", 3),
        ("tool_agent", "error", 3),
    ]
    assert fails["runs"][1]["error"] == f"ValueError: {TOOL_ERROR}"
    for test in data["tests"]:
        for run in test["runs"]:
            log, page = out / run["log"], out / run["page"]
            assert log.parent == page.parent == out / "runs"
            assert page.name == log.name[: -len(".pregel")] + ".html"
            loaded = pregel_viz.load(log)
            assert describe_run(loaded) == {
                k: run[k] for k in ("graph", "steps", "status", "error")
            }
    assert "report: " in stdout and "(5 tests recorded 6 runs)" in stdout


def test_file_names_are_safe_and_bounded(report: tuple[Path, str]) -> None:
    out, _ = report
    names = sorted(p.name for p in (out / "runs").iterdir())
    assert len(names) == 12  # 6 runs: a log and a page each
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{8}(\.[0-9]+)?\.(pregel|html)", name), name
        assert len(name) <= 100
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "report.json", "runs"]


def test_the_index_lists_failures_first_escapes_names_and_links_resolve(
    report: tuple[Path, str],
) -> None:
    out, _ = report
    text = (out / "index.html").read_text()
    parsed = _Links()
    parsed.feed(text)
    assert parsed.scripts == 0  # user data never became markup
    assert "<img" not in text and "<b>" not in text
    shown = "".join(parsed.text)
    for value in (HOSTILE, "<img src=x onerror=alert(1)>", "the <b>agent</b> took the wrong route"):
        assert value in shown  # ... and shows as the text it is
    assert TOOL_ERROR in shown
    assert "5 tests recorded 6 graph runs (1 failed, 1 error, 3 passed)." in shown
    assert "2 other tests ran no graph." in shown
    # failures first: the failed test, the setup error, then the passing ones
    order = [row.split("AssertionError")[0].split("setup:")[0] for row in parsed.rows]
    assert order[:2] == ["test_suite.py::test_fails", "test_suite.py::test_setup_error"]
    assert len(order) == 5
    # every link resolves to a file of the report
    assert len(parsed.hrefs) == 12
    for href in parsed.hrefs:
        assert "://" not in href and not href.startswith("/")
        target = (out / href).resolve()
        assert target.is_file(), href
        assert target.parent == (out / "runs").resolve()
    # the policy forbids scripts even if one slipped through
    assert "default-src 'none'" in text


def test_file_names_from_test_ids() -> None:
    stems = {
        safe_stem(i)
        for i in ("t.py::a/b", "t.py::a_b", "t.py::A_b", "t.py::a b", "t.py::a\\b", "t.py::a..b")
    }
    assert len(stems) == 6  # read the same once cleaned, still different files
    for test_id in ("../../etc/passwd", "..", "", "\x00", "/abs/path", "CON", "x" * 5000, "é☃"):
        stem = safe_stem(test_id)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}-[0-9a-f]{8}", stem), (test_id, stem)
        assert not stem.startswith(("-", "."))
    assert safe_stem("t.py::x") == safe_stem("t.py::x")  # stable across runs


def test_index_page_without_tests_and_with_unknown_outcomes() -> None:
    assert "No test ran a graph." in index_html([], other_tests=3)
    page = index_html(
        [{"nodeid": "t::x", "outcome": '"><b>', "message": "", "runs": []}], outside_runs=2
    )
    assert "<b>" not in page and "&quot;&gt;&lt;b&gt;" in page
    assert "2 runs outside any test (while collecting)" in page


def test_write_errors_are_warnings_and_never_fail_the_session(pytester: pytest.Pytester) -> None:
    blocker = pytester.path / "not-a-dir"
    blocker.write_text("a file where the report directory should go")
    result = _run(
        pytester,
        f"--pregel-viz-report={blocker / 'report'}",
        "-W",
        "error::pregel_viz.errors.PregelVizWarning",  # even then: a warning, not a failure
        "-k",
        "passes or no_graph",
    )
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*report: * write error(s), not fatal:*", "*creating the report*"])


def test_the_environment_variable_is_the_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = pytester.path / "from-env"
    monkeypatch.setenv("PREGEL_VIZ_REPORT", str(out))
    result = _run(pytester, "-k", "passes")
    result.assert_outcomes(passed=1)
    data = json.loads((out / "report.json").read_text())
    assert [t["nodeid"] for t in data["tests"]] == ["test_suite.py::test_passes"]
    assert (out / data["tests"][0]["runs"][0]["page"]).is_file()


def test_a_json_file_is_not_a_report_directory(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--pregel-viz-report=check.json", "-k", "passes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pregel-viz-report takes a directory*--pregel-viz-json*"])


def test_xdist_workers_write_one_report(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    out = pytester.path / "report"
    result = _run(pytester, "-n", "2", f"--pregel-viz-report={out}", "-k", "passes or hostile")
    result.assert_outcomes(passed=3)
    data = json.loads((out / "report.json").read_text())
    assert len(data["tests"]) == 3 and data["outside_runs"] == 0
    links = _Links()
    links.feed((out / "index.html").read_text())
    assert len(links.hrefs) == 6 and all((out / h).is_file() for h in links.hrefs)
