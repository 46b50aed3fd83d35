"""``pregel-viz demo``: the built-in example, recorded offline into a self-contained page."""

from __future__ import annotations

import os
import subprocess
import sys
import webbrowser
from pathlib import Path

import pytest

import pregel_viz
from pregel_viz.demo import build_demo_graph, open_in_browser, record_demo


def _fresh_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: a new HOME, no browser, no display, no API keys."""
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["HOME"] = str(home)
    env.update(extra)
    return env


def _demo(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    home = cwd / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pregel_viz", "demo", *args],
        cwd=cwd,
        env=_fresh_env(home, **env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_given_a_fresh_environment_when_demo_runs_then_it_writes_the_page(tmp_path: Path) -> None:
    out = _demo(tmp_path, "-o", "x.html")
    assert out.returncode == 0, out.stderr
    page = tmp_path / "x.html"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert 'id="pregel-viz-root"' in text and 'id="pregel-viz-esm"' in text  # the viewer
    assert "report_writer" in text and "write_section" in text  # the recorded run
    assert f"wrote {page.resolve()}" in out.stdout
    assert not any(p.name != "home" and p != page for p in tmp_path.iterdir())


def test_given_no_output_when_demo_runs_then_the_page_lands_in_the_current_directory(
    tmp_path: Path,
) -> None:
    out = _demo(tmp_path, "--log", "demo.pregel")
    assert out.returncode == 0, out.stderr
    page = tmp_path / "pregel-viz-demo.html"
    assert page.is_file()
    assert f"wrote {page.resolve()}" in out.stdout
    run = pregel_viz.load(tmp_path / "demo.pregel")
    assert run.outcome["status"] == "completed"


def test_given_open_with_a_browser_when_demo_runs_then_the_browser_gets_the_page(
    tmp_path: Path,
) -> None:
    seen = tmp_path / "opened.txt"
    browser = f"{sys.executable} -c \"import sys; open({str(seen)!r}, 'w').write(sys.argv[1])\" %s"
    out = _demo(tmp_path, "--open", BROWSER=browser)
    assert out.returncode == 0, out.stderr
    assert seen.read_text().startswith("file://")
    assert seen.read_text().endswith("pregel-viz-demo.html")


def test_given_open_without_any_browser_when_demo_runs_then_it_still_succeeds(
    tmp_path: Path,
) -> None:
    out = _demo(tmp_path, "--open", PATH=os.path.dirname(sys.executable))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "pregel-viz-demo.html").is_file()


def test_given_no_browser_when_opening_then_false_and_nothing_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(*args: object) -> None:
        raise webbrowser.Error("no browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    assert open_in_browser(tmp_path / "x.html") is False


def test_given_the_demo_graph_when_recorded_then_it_shows_every_feature() -> None:
    run = record_demo()
    root = run.thread.root
    tasks = list(root.tasks.values())
    # a retry: fetch_sources failed once, then succeeded
    fetch = next(t for t in tasks if t.name == "fetch_sources")
    assert [a.status for a in fetch.attempts] == ["error", "ok"]
    # a Send fan-out whose writes meet in a reducer
    sections = [t for t in tasks if t.name == "write_section"]
    assert len(sections) == 3 and all(t.kind == "push" for t in sections)
    assert len(run.state_at(3)["drafts"]) == 3
    # a subgraph
    assert any(ns.startswith("edit:") for ns in run.thread.namespaces)
    # an interrupt, resumed once
    review = next(t for t in tasks if t.name == "review")
    assert [a.status for a in review.attempts] == ["interrupt", "ok"]
    assert len(run.thread.calls) == 2
    # routing
    assert ("review", "publish", "route") in {
        (e.source, e.target, e.kind) for e in run.edges_taken()
    }
    assert run.outcome["status"] == "completed"
    assert run.state_at(run.supersteps[-1].step)["published"] is True
    story = str(pregel_viz.narrate(run))
    assert "its retry policy ran it again, and attempt 2 succeeded" in story
    assert "3 write_section tasks ran in parallel, one per Send from plan" in story
    assert "run 2 resumed it with the answer 'approve'" in story
    assert "edit ran a subgraph with its own 3 supersteps: spellcheck and assemble" in story


def test_given_the_demo_twice_when_compared_then_identical() -> None:
    assert pregel_viz.compare(record_demo(), record_demo()).identical
    assert build_demo_graph().name == "report_writer"
