"""The viewer benchmark runs: every measurement at toy sizes, in a real browser. No timing is
asserted.

Needs Debian's Chromium (``/usr/bin/chromium`` or ``$PREGEL_VIZ_CHROMIUM``): skipped without it
locally, failed without it in CI (``CI`` set). Never downloads a browser.
"""

import importlib.util
import os
import pathlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench" / "bench_viewer.py"
CHROMIUM = os.environ.get("PREGEL_VIZ_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    spec = importlib.util.spec_from_file_location("bench_viewer", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("bench-viewer-cache")


@pytest.fixture()
def browser(bench: ModuleType) -> Iterator[Any]:
    # one test at a time: main() starts its own Playwright, which cannot nest in another
    with bench.open_browser() as b:
        yield b


def test_chain_graph_has_distinct_nodes_and_loops(bench: ModuleType, cache: pathlib.Path) -> None:
    page = bench.chain_page(12, 30, cache)
    assert page.nodes == 12 and page.html.is_file() and page.html_bytes > page.payload_bytes > 0
    # 12 nodes and one self-loop (node_05) per round, plus the input and __start__ entries
    rounds = bench.chain_rounds(12, 30)
    assert page.supersteps == rounds * 13 + 2
    assert page.steps == list(range(-1, page.supersteps - 1))
    # the second call reuses the cached log
    again = bench.chain_page(12, 30, cache)
    assert again.recorded_s is None and again.steps == page.steps


def test_first_frame_is_measured(bench: ModuleType, browser: Any, cache: pathlib.Path) -> None:
    pages = [bench.loop_page(30, cache), bench.loop_page(3, cache)]
    assert pages[0].supersteps == 32 and pages[1].supersteps == 5
    results = bench.measure_first_frame(browser, pages, loads=2, warmup=0)
    assert [r.page.name for r in results] == ["loop-30", "loop-3"]
    for r in results:
        assert len(r.loads) == 2
        for marks in r.loads:
            for mark in ("parseStart", "parseEnd", "importStart", "mountStart", "mounted"):
                assert mark in marks
            assert 0 < marks["mounted"] <= marks["ready"] <= marks["painted"]
        assert r.median() > 0
        assert all(r.phase(a, b) >= 0 for _, a, b in bench.PHASES)


def test_step_switches_are_measured(bench: ModuleType, browser: Any, cache: pathlib.Path) -> None:
    pages = [bench.chain_page(8, 20, cache), bench.chain_page(3, 20, cache)]
    results = bench.measure_switches(browser, pages, switches=6, chunks=2, warmup=2)
    for r in results:
        for mode in bench.MODES:
            assert len(r.total[mode]) == 6 and len(r.js[mode]) == 6
            assert r.p95(mode) >= r.median(mode) > 0
        assert r.cpu and len(r.cpu) == len(r.cpu_wall)
        assert r.layouts_before == 1 and set(r.layouts) == {1}  # stepping never lays out again
        assert r.frame_interval > 0


def test_main_prints_a_markdown_table(
    bench: ModuleType, cache: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--big-steps", "20", "--small-steps", "3", "--nodes", "6", "--base-nodes", "3"]
    argv += ["--chain-steps", "12", "--loads", "1", "--switches", "4", "--doc-opens", "0"]
    assert bench.main([*argv, "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert lines[0] == "| metric | page | measured | target |"
    assert all(line.count("|") == 5 for line in lines)
    for needle in ("loop-20", "loop-3", "chain-6", "chain-3", "< 1000 ms", "p95 < 16 ms"):
        assert needle in out
    assert "1 → 1 (max 1)" in out
    assert "notebook output as saved" in out and "<= 1.5 MB" in out


def test_document_open_and_output_size_are_measured(
    bench: ModuleType, browser: Any, cache: pathlib.Path
) -> None:
    """A real JupyterLab: the log opened as a document, first (a new copy) and cached."""
    page = bench.loop_page(30, cache)
    result = bench.measure_document_open(browser, page, opens=1)
    assert len(result.first) == len(result.cached) == 1
    for marks in (*result.first, *result.cached):
        assert 0 < marks["doc"] <= marks["node"] and marks["doc"] <= marks["ready"]
        assert "partial" not in marks  # 32 entries: the head is the whole payload
    output = bench.measure_output_size(page)
    assert 0 < output.packed <= output.plain  # a short run's document stays plain
    table = bench.render_table([], [], output, result)
    for needle in ("document open, first", "document open, cached", "< 1500 ms", "<= 1.5 MB"):
        assert needle in table
