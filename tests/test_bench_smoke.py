"""The benchmark script runs: every measurement at toy sizes, in-process. No timing is asserted."""

import importlib.util
import pathlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench" / "bench_recorder.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_recorder", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_overhead_runs_every_variant(bench: ModuleType) -> None:
    for case in (bench.loop_case(20), bench.fanout_case(5)):
        result = bench.measure_overhead(case, reps=5, seed=1)
        assert set(result.times) == set(bench.OVERHEAD_VARIANTS)
        assert all(len(t) == 5 and min(t) > 0 for t in result.times.values())
        for variant in bench.RECORDED:
            assert result.ratio(variant, bench.SAVER) > 0
            assert result.min_ratio(variant, bench.PLAIN) > 0


def test_a_recording_that_did_not_finish_is_refused(bench: ModuleType) -> None:
    import pregel_viz

    case = bench.loop_case(20)
    # record() does not raise the graph's errors: the benchmark must notice them itself
    run = pregel_viz.record(case.build(None), case.input, {"recursion_limit": 5})
    with pytest.raises(RuntimeError, match="error"):
        bench._check(case, bench.RECORD_MEM, run)
    bench._check(
        case, bench.RECORD_MEM, pregel_viz.record(case.build(None), case.input, case.config)
    )


def test_size_compares_the_log_with_json(bench: ModuleType) -> None:
    size = bench.measure_size(bench.loop_case(20), reps=1)
    assert size.events > 20 * 3
    assert size.pregel_bytes > 0 and size.json_bytes > 0
    assert size.supersteps == 22  # the input checkpoint, then steps 0..20
    assert size.ratio > 0 and size.bytes_per_superstep > 0 and size.read_back_s > 0


def test_load_times_load_and_frames(bench: ModuleType) -> None:
    load = bench.measure_load(20, reps=2)
    assert len(load.load) == 2 and len(load.frames) == 2
    assert load.events > 20 * 3 and load.pregel_bytes > 0 and load.ratio > 0


def test_main_prints_the_goals_table_and_the_details(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--reps", "2", "--loop-steps", "20", "--fanout", "5", "--load-steps", "20"]
    # the memory rows at toy sizes: one fresh process each
    assert bench.main([*argv, "--load-reps", "2", "--memory-steps", "20,40"]) == 0
    out = capsys.readouterr().out
    goals, details = (
        [line for line in table.splitlines() if line.startswith("|")]
        for table in out.split("\n\n")[-2:]
    )
    assert goals[0] == "| goal | measured | target |"
    assert all(line.count("|") == 4 for line in goals)
    assert [line.split(" | ")[0] for line in goals[2:]] == [
        "| loop-20, record() in memory / InMemorySaver",
        "| loop-20, record() to a file / InMemorySaver",
        "| fanout-5, record() in memory / to a file, each / InMemorySaver",
        "| loop-20 vs a plain invoke with no checkpointer: record(), in memory",
        "| loop-20 vs a plain invoke with no checkpointer: recording(), no checkpointer",
        "| peak RSS recording 40 supersteps to a file, then reading back the Run record() "
        "returns (fresh process)",
        "| peak RSS per 1,000 supersteps, the recording alone (slope; flat in the steps)",
        "| peak RSS per 1,000 supersteps, with the Run read back (slope; flat in the steps)",
    ]
    assert "imports alone" in goals[-3] and "< 200 MB" in goals[-3]
    assert details[0] == "| metric | graph / variant | measured | target |"
    assert all(line.count("|") == 5 for line in details)
    for needle in ("loop-20", "fanout-5", "<= 1.10x", "<= 1.25x", "<= 0.50x", "< 1000 ms"):
        assert needle in out


def test_the_pieces_table_has_every_variant(capsys: pytest.CaptureFixture[str]) -> None:
    path = BENCH.parent / "bench_pieces.py"
    spec = importlib.util.spec_from_file_location("bench_pieces", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        assert module.main(["--reps", "1", "--steps", "10"]) == 0
    finally:
        sys.modules.pop("bench_recorder", None)  # imported by bench_pieces from bench/
    rows = [line.split(" | ")[0] for line in capsys.readouterr().out.splitlines()[2:]]
    assert rows == [
        "| plain",
        "| lent saver",
        "| + recording saver",
        "| + callbacks",
        "| both",
        "| recording()",
        "| record()",
    ]


def test_the_instrument_bench_measures_a_growing_thread() -> None:
    path = BENCH.parent / "bench_instrument.py"
    spec = importlib.util.spec_from_file_location("bench_instrument", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        for new_process in (False, True):
            times = module.measure(6, new_process=new_process)
            assert [len(t) for t in times.values()] == [6, 6]
            assert "| 5-6 |" in module.table(times)
    finally:
        sys.modules.pop(spec.name, None)
