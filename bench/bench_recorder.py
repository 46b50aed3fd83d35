"""Benchmark the recorder: overhead, log size and load time, as ratios against in-run baselines.

Usage::

    python bench/bench_recorder.py            # ~15 reps per variant
    python bench/bench_recorder.py --quick    # 5 reps
    python bench/bench_recorder.py --memory-steps 2500,5000,10000   # the memory rows (default)

Every figure is a ratio against a baseline measured in the same process during the same run (the
machine this is developed on is a noisy 2-core box: absolute times are not comparable between
runs, ratios mostly are). Nothing here asserts a target; the table prints them beside the
figures.

Method (after ``langgraph-internals.md`` section 4): graphs are compiled once outside timing;
each round runs every variant once, in a random order; ``gc.collect()`` runs before each rep;
ratios are the median of the per-round ratios (the variants of one round ran back to back, so
they share the machine's mood), with min/min beside them. Peak memory is measured in a fresh
process per size (its own high-water mark), so that imports and earlier runs do not count twice.

The first table is the goals table of the README; the second has every figure it comes from.
"""

from __future__ import annotations

import argparse
import gc
import json
import operator
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

import pregel_viz
from pregel_viz.analysis.export import json_safe
from pregel_viz.logfile import read_frames

__all__ = [
    "OVERHEAD_VARIANTS",
    "GraphCase",
    "LoadResult",
    "MemoryResult",
    "OverheadResult",
    "SizeResult",
    "build_capped_loop",
    "build_fanout",
    "build_loop",
    "main",
    "measure_load",
    "measure_memory",
    "measure_overhead",
    "measure_size",
    "render_goals",
    "render_table",
]

# --- graphs ------------------------------------------------------------------------------------


class LoopState(TypedDict):
    n: int


def build_loop(steps: int, checkpointer: Any = None) -> Any:
    """One node with a conditional self-edge: ``steps`` supersteps of trivial work."""

    def step(state: LoopState) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    def again(state: LoopState) -> str:
        return "step" if state["n"] < steps else END

    g = StateGraph(LoopState)
    g.add_node("step", step)
    g.add_edge(START, "step")
    g.add_conditional_edges("step", again, ["step", END])
    return g.compile(checkpointer=checkpointer)


class FanState(TypedDict):
    results: Annotated[list[int], operator.add]
    total: int


def build_fanout(width: int, checkpointer: Any = None) -> Any:
    """``width`` Sends to one worker node in one superstep, then a join."""

    def fan(state: FanState) -> list[Send]:
        return [Send("work", {"results": [], "total": i}) for i in range(width)]

    def work(state: FanState) -> dict[str, Any]:
        return {"results": [state["total"]]}

    def join(state: FanState) -> dict[str, Any]:
        return {"total": sum(state["results"])}

    g = StateGraph(FanState)
    g.add_node("work", work)
    g.add_node("join", join)
    g.add_conditional_edges(START, fan, ["work"])
    g.add_edge("work", "join")
    g.add_edge("join", END)
    return g.compile(checkpointer=checkpointer)


def _capped(old: list[int], new: list[int]) -> list[int]:
    return (old + new)[-4:]


class CappedState(TypedDict):
    n: int
    recent: Annotated[list[int], _capped]


def build_capped_loop(steps: int, checkpointer: Any = None) -> Any:
    """A self-loop whose state has a counter and a small reducer list capped at 4 items."""

    def step(state: CappedState) -> dict[str, Any]:
        n = state["n"] + 1
        return {"n": n, "recent": [n]}

    def again(state: CappedState) -> str:
        return "step" if state["n"] < steps else END

    g = StateGraph(CappedState)
    g.add_node("step", step)
    g.add_edge(START, "step")
    g.add_conditional_edges("step", again, ["step", END])
    return g.compile(checkpointer=checkpointer)


@dataclass
class GraphCase:
    """A graph to benchmark: how to build it, its input, its config and its superstep count."""

    name: str
    build: Callable[[Any], Any]
    input: Any
    config: dict[str, Any]
    supersteps: int
    expect: dict[str, Any]  # the final state


def loop_case(steps: int) -> GraphCase:
    return GraphCase(
        f"loop-{steps}",
        lambda cp: build_loop(steps, cp),
        {"n": 0},
        {"recursion_limit": steps + 50},
        steps,
        {"n": steps},
    )


def fanout_case(width: int) -> GraphCase:
    return GraphCase(
        f"fanout-{width}",
        lambda cp: build_fanout(width, cp),
        {"results": [], "total": 0},
        {},
        2,
        {"results": list(range(width)), "total": sum(range(width))},
    )


# --- 1. recording overhead ---------------------------------------------------------------------

PLAIN = "invoke, no checkpointer"
SAVER = "invoke + InMemorySaver"
RECORD_MEM = "record(), in memory"
RECORD_FILE = "record(), to a file"
RECORDING = "recording() + own InMemorySaver"
RECORDING_PLAIN = "recording(), no checkpointer"
OVERHEAD_VARIANTS = (PLAIN, SAVER, RECORD_MEM, RECORD_FILE, RECORDING, RECORDING_PLAIN)
RECORDED = (RECORD_MEM, RECORD_FILE, RECORDING, RECORDING_PLAIN)


@dataclass
class OverheadResult:
    graph: str
    supersteps: int
    reps: int
    times: dict[str, list[float]]  # variant -> seconds, index = round

    def median(self, variant: str) -> float:
        return statistics.median(self.times[variant])

    def min(self, variant: str) -> float:
        return min(self.times[variant])

    def ratio(self, variant: str, base: str) -> float:
        """Median of the per-round ratios (paired: both ran in the same round)."""
        pairs = zip(self.times[variant], self.times[base], strict=True)
        return statistics.median(a / b for a, b in pairs)

    def min_ratio(self, variant: str, base: str) -> float:
        return self.min(variant) / self.min(base)


def _thread_config(base: dict[str, Any]) -> dict[str, Any]:
    return {**base, "configurable": {"thread_id": f"bench-{uuid.uuid4().hex[:12]}"}}


Factory = Callable[[int], Callable[[], Any]]


def _variants(case: GraphCase, tmp: str) -> tuple[dict[str, Factory], tuple[InMemorySaver, ...]]:
    """Variant name -> a factory that, given the rep number, returns (untimed) the timed call;
    and the savers the variants store into.

    Every factory prepares outside timing whatever the call needs (a fresh thread id, a file
    name) and the returned closure does only what a user would do.
    """
    plain = case.build(None)
    saver = InMemorySaver()
    with_saver = case.build(saver)
    own_saver = InMemorySaver()
    recorded = case.build(own_saver)
    inp = case.input

    def v_plain(rep: int) -> Callable[[], Any]:
        cfg = dict(case.config)
        return lambda: plain.invoke(inp, cfg)

    def v_saver(rep: int) -> Callable[[], Any]:
        cfg = _thread_config(case.config)
        return lambda: with_saver.invoke(inp, cfg)

    def v_record_mem(rep: int) -> Callable[[], Any]:
        cfg = dict(case.config)
        return lambda: pregel_viz.record(plain, inp, cfg)

    def v_record_file(rep: int) -> Callable[[], Any]:
        cfg = dict(case.config)
        path = os.path.join(tmp, f"{case.name}-{rep}.pregel")
        return lambda: pregel_viz.record(plain, inp, cfg, path=path)

    def in_recording(graph: Any, cfg: dict[str, Any]) -> Callable[[], Any]:
        def call() -> Any:
            with pregel_viz.recording(graph):
                return graph.invoke(inp, cfg)

        return call

    def v_recording(rep: int) -> Callable[[], Any]:
        return in_recording(recorded, _thread_config(case.config))

    def v_recording_plain(rep: int) -> Callable[[], Any]:
        return in_recording(plain, dict(case.config))

    return {
        PLAIN: v_plain,
        SAVER: v_saver,
        RECORD_MEM: v_record_mem,
        RECORD_FILE: v_record_file,
        RECORDING: v_recording,
        RECORDING_PLAIN: v_recording_plain,
    }, (saver, own_saver)


def _cleanup(savers: tuple[InMemorySaver, ...], tmp: str) -> None:
    """Forget what earlier reps stored, so that no rep pays for a bigger heap than another."""
    for s in savers:
        s.storage.clear()
        s.writes.clear()
        s.blobs.clear()
    for name in os.listdir(tmp):
        os.remove(os.path.join(tmp, name))


def _check(case: GraphCase, variant: str, out: Any) -> None:
    """Fail loudly if a variant did not run the graph to its end (record() swallows errors)."""
    if isinstance(out, pregel_viz.Run):
        status = out.outcome["status"]
        state = out.supersteps[-1].values if out.supersteps else None
    else:
        status, state = "completed", out
    if status != "completed" or state != case.expect:
        raise RuntimeError(f"{case.name} / {variant}: {status}, final state {state!r}")


def measure_overhead(
    case: GraphCase, reps: int, *, seed: int = 0, warmup: int = 1
) -> OverheadResult:
    """Time every variant ``reps`` times, in a random order within each round."""
    rng = random.Random(seed)
    times: dict[str, list[float]] = {v: [] for v in OVERHEAD_VARIANTS}
    with tempfile.TemporaryDirectory(prefix="pregel-viz-bench-") as tmp:
        factories, savers = _variants(case, tmp)
        for rnd in range(warmup + reps):
            order = list(OVERHEAD_VARIANTS)
            rng.shuffle(order)
            for variant in order:
                call = factories[variant](rnd)
                gc.collect()
                t0 = time.perf_counter()
                out = call()
                elapsed = time.perf_counter() - t0
                if rnd >= warmup:
                    times[variant].append(elapsed)
                else:
                    _check(case, variant, out)
            _cleanup(savers, tmp)
    return OverheadResult(case.name, case.supersteps, reps, times)


# --- 2. log size -------------------------------------------------------------------------------


@dataclass
class SizeResult:
    graph: str
    supersteps: int  # as recorded in the log (input checkpoint included)
    events: int
    pregel_bytes: int
    json_bytes: int
    read_back_s: float  # median time to read the log into a Run, as record() does on return

    @property
    def ratio(self) -> float:
        return self.pregel_bytes / self.json_bytes

    @property
    def bytes_per_superstep(self) -> float:
        return self.pregel_bytes / max(self.supersteps, 1)


def measure_size(case: GraphCase, reps: int = 5) -> SizeResult:
    """Record ``case`` to a file; compare its size with the same events as compact JSON.

    Also times reading the log back into a Run (what :func:`pregel_viz.record` does before it
    returns), to tell how much of record()'s overhead that is.
    """
    with tempfile.TemporaryDirectory(prefix="pregel-viz-bench-") as tmp:
        path = os.path.join(tmp, f"{case.name}.pregel")
        run = pregel_viz.record(case.build(None), case.input, dict(case.config), path=path)
        with open(path, "rb") as fh:
            data = fh.read()
    events = list(read_frames(data))
    as_json = json.dumps(json_safe(events), separators=(",", ":")).encode("utf-8")
    steps = len(run.thread.supersteps)
    read_back = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        pregel_viz.Run.from_bytes(data)
        read_back.append(time.perf_counter() - t0)
    return SizeResult(
        case.name, steps, len(events), len(data), len(as_json), statistics.median(read_back)
    )


# --- 3. load time ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    supersteps: int
    pregel_bytes: int
    events: int
    record_s: float
    load: list[float] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """load / frames, median over median: the cost of building the model on top of decoding."""
        return statistics.median(self.load) / statistics.median(self.frames)


def measure_load(steps: int, reps: int, *, seed: int = 0) -> LoadResult:
    """Record a ``steps``-superstep loop once; time ``pregel_viz.load`` and the raw frame decode."""
    rng = random.Random(seed)
    graph = build_capped_loop(steps)
    with tempfile.TemporaryDirectory(prefix="pregel-viz-bench-") as tmp:
        path = os.path.join(tmp, f"loop-{steps}.pregel")
        t0 = time.perf_counter()
        pregel_viz.record(graph, {"n": 0, "recent": []}, {"recursion_limit": steps + 50}, path=path)
        record_s = time.perf_counter() - t0
        with open(path, "rb") as fh:
            data = fh.read()
        n_events = sum(1 for _ in read_frames(data))
        result = LoadResult(steps, len(data), n_events, record_s)

        def load() -> None:
            pregel_viz.load(path)

        def frames() -> None:
            # decoded into a list, as load keeps them (run.events), with the cyclic GC paused
            # as load pauses it: the floor that load's model building adds to
            enabled = gc.isenabled()
            gc.disable()
            try:
                list(read_frames(data))
            finally:
                if enabled:
                    gc.enable()

        jobs = [("load", load), ("frames", frames)]
        for rnd in range(reps + 1):  # round 0 warms up
            rng.shuffle(jobs)
            for name, job in jobs:
                gc.collect()
                t0 = time.perf_counter()
                job()
                elapsed = time.perf_counter() - t0
                if rnd:
                    getattr(result, name).append(elapsed)
    return result


# --- 4. peak memory ----------------------------------------------------------------------------

_MEMORY_CHILD = """
import json, os, resource, sys, tempfile
sys.path.insert(0, sys.argv[2])

def peak():  # this process's own high-water mark (ru_maxrss may count the parent it forked from)
    try:
        with open("/proc/self/status") as fh:
            return next(int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("VmHWM:"))
    except (OSError, StopIteration):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss * (1 if sys.platform == "darwin" else 1024)

import pregel_viz
from bench_recorder import build_loop
steps = int(sys.argv[1])
graph = build_loop(steps)
baseline = peak()
with tempfile.TemporaryDirectory(prefix="pregel-viz-bench-") as tmp:
    path = os.path.join(tmp, "loop.pregel")
    # what record() does, in two parts: the recording, then reading back the Run it returns
    with pregel_viz.recording(graph, path) as rec:
        graph.invoke({"n": 0}, {"recursion_limit": steps + 50})
    recorded = peak()
    run = rec.run
    status = run.outcome["status"]
    del run
    print(json.dumps({"baseline": baseline, "recording": recorded, "peak": peak(),
                      "status": status}))
"""


@dataclass
class MemoryResult:
    """Peak resident memory of fresh processes that each record one loop to a file."""

    baseline_bytes: int  # after the imports and building the graph (the largest run's process)
    peaks: dict[int, int] = field(default_factory=dict)  # supersteps -> peak bytes, Run included
    # supersteps -> peak bytes at the end of the recording, before the Run is read back
    recording_peaks: dict[int, int] = field(default_factory=dict)

    @property
    def largest(self) -> int:
        return max(self.peaks)

    @property
    def mb_per_1000_steps(self) -> float:
        """The slope between the smallest and the largest run: flat memory gives about 0."""
        return _slope(self.peaks)

    @property
    def recording_mb_per_1000_steps(self) -> float:
        """The same slope for the recording alone (no Run read back)."""
        return _slope(self.recording_peaks)


def _slope(peaks: dict[int, int]) -> float:
    lo, hi = min(peaks), max(peaks)
    if hi == lo:
        return float("nan")
    return (peaks[hi] - peaks[lo]) / 1e6 / (hi - lo) * 1000


def measure_memory(steps: list[int], timeout: float = 1800) -> MemoryResult:
    """Record a ``steps``-superstep loop to a file in a fresh child process, for each size."""
    here = os.path.dirname(os.path.abspath(__file__))
    result = MemoryResult(0)
    for n in sorted(steps):
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(n), here],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise RuntimeError(f"memory child for loop-{n} failed: {tail}")
        got = json.loads(lines[-1])
        if got["status"] != "completed":
            raise RuntimeError(f"memory child for loop-{n}: {got['status']}")
        result.peaks[n] = got["peak"]
        result.recording_peaks[n] = got["recording"]
        result.baseline_bytes = got["baseline"]
    return result


# --- tables ------------------------------------------------------------------------------------


def _ms(s: float) -> str:
    return f"{s * 1000:.1f}"


def _x(r: float) -> str:
    return f"{r:.2f}x"


def _mb(b: float) -> str:
    return f"{b / 1e6:.0f} MB"


def _paired(o: OverheadResult, variant: str, base: str) -> str:
    return f"{_x(o.ratio(variant, base))} ({_x(o.min_ratio(variant, base))})"


def render_goals(loop: OverheadResult, fanout: OverheadResult, memory: MemoryResult | None) -> str:
    """The goals table: each row, the figure measured (median of per-round ratios, min/min in
    brackets) and its goal."""
    rows = [
        (f"{loop.graph}, record() {where} / InMemorySaver", _paired(loop, v, SAVER), "<= 1.10x")
        for where, v in (("in memory", RECORD_MEM), ("to a file", RECORD_FILE))
    ]
    rows.append(
        (
            f"{fanout.graph}, record() in memory / to a file, each / InMemorySaver",
            f"{_paired(fanout, RECORD_MEM, SAVER)} / {_paired(fanout, RECORD_FILE, SAVER)}",
            "<= 1.10x",
        )
    )
    for variant in (RECORD_MEM, RECORDING_PLAIN):
        rows.append(
            (
                f"{loop.graph} vs a plain invoke with no checkpointer: {variant}",
                _paired(loop, variant, PLAIN),
                "<= 1.25x",
            )
        )
    if memory is not None:
        n = memory.largest
        rows.append(
            (
                f"peak RSS recording {n:,} supersteps to a file, then reading back the Run "
                "record() returns (fresh process)",
                f"{_mb(memory.peaks[n])} (imports alone: {_mb(memory.baseline_bytes)})",
                "< 200 MB",
            )
        )
        for what, peaks, slope in (
            ("the recording alone", memory.recording_peaks, memory.recording_mb_per_1000_steps),
            ("with the Run read back", memory.peaks, memory.mb_per_1000_steps),
        ):
            sizes = ", ".join(f"{k:,}: {_mb(v)}" for k, v in sorted(peaks.items()))
            rows.append(
                (
                    f"peak RSS per 1,000 supersteps, {what} (slope; flat in the steps)",
                    f"{slope:.1f} MB ({sizes})",
                    "flat",
                )
            )
    lines = [
        "| goal | measured | target |",
        "|---|---|---|",
        *(f"| {w} | {m} | {t} |" for w, m, t in rows),
    ]
    return "\n".join(lines)


def render_table(
    overhead: list[OverheadResult], sizes: list[SizeResult], load: LoadResult | None
) -> str:
    """The results as one markdown table (plus a line of context), ready for the README."""
    rows: list[tuple[str, str, str, str]] = []  # metric, graph / variant, value, target
    for o in overhead:
        for v in OVERHEAD_VARIANTS:
            rows.append(
                (
                    "time, median / min (ms)",
                    f"{o.graph}: {v}",
                    f"{_ms(o.median(v))} / {_ms(o.min(v))}",
                    "",
                )
            )
        for v in RECORDED:
            rows.append(
                (
                    "overhead vs InMemorySaver (median of ratios; min/min)",
                    f"{o.graph}: {v}",
                    f"{_x(o.ratio(v, SAVER))} ({_x(o.min_ratio(v, SAVER))})",
                    "<= 1.10x",
                )
            )
        for v in RECORDED:
            rows.append(
                (
                    "overhead vs plain invoke (median of ratios; min/min)",
                    f"{o.graph}: {v}",
                    f"{_x(o.ratio(v, PLAIN))} ({_x(o.min_ratio(v, PLAIN))})",
                    "<= 1.25x (stretch)",
                )
            )
        rows.append(
            (
                "for reference: InMemorySaver vs plain",
                o.graph,
                f"{_x(o.ratio(SAVER, PLAIN))} ({_x(o.min_ratio(SAVER, PLAIN))})",
                "",
            )
        )
    for s in sizes:
        rows.append(
            (
                "log size: .pregel / compact JSON of the same events",
                f"{s.graph} ({s.events} events)",
                f"{_x(s.ratio)} ({s.pregel_bytes:,} B vs {s.json_bytes:,} B)",
                "<= 0.50x",
            )
        )
        rows.append(
            (
                "log size per superstep",
                f"{s.graph} ({s.supersteps} supersteps)",
                f"{s.bytes_per_superstep:,.0f} B ({s.pregel_bytes / s.events:,.0f} B per event)",
                "",
            )
        )
        rows.append(
            (
                "for reference: reading the log back into a Run, median (ms)",
                f"{s.graph} (record() does this before it returns)",
                _ms(s.read_back_s),
                "",
            )
        )
    if load is not None:
        med_load = statistics.median(load.load)
        med_frames = statistics.median(load.frames)
        what = f"loop-{load.supersteps} ({load.pregel_bytes / 1e6:.1f} MB, {load.events} events)"
        rows.append(
            (
                "load time: pregel_viz.load, median / min (ms)",
                what,
                f"{_ms(med_load)} / {_ms(min(load.load))}",
                "< 1000 ms",
            )
        )
        rows.append(
            (
                "baseline: read_frames alone, median / min (ms)",
                what,
                f"{_ms(med_frames)} / {_ms(min(load.frames))}",
                "",
            )
        )
        rows.append(
            ("load / read_frames (model-building cost)", what, _x(med_load / med_frames), "")
        )
        rows.append(
            (
                "for reference: record() of that log, once (s)",
                f"loop-{load.supersteps}",
                f"{load.record_s:.1f}",
                "",
            )
        )
    lines = [
        "| metric | graph / variant | measured | target |",
        "|---|---|---|---|",
        *(f"| {m} | {g} | {v} | {t} |" for m, g, v, t in rows),
    ]
    return "\n".join(lines)


def context_line(reps: int) -> str:
    import langgraph.version

    return (
        f"pregel-viz {pregel_viz.__version__}, langgraph {langgraph.version.__version__}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); {reps} reps per variant, "
        "random order within each round, gc.collect() before each rep. record() includes "
        "reading the log back into the Run it returns; recording() does not."
    )


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 reps instead of 15")
    parser.add_argument("--reps", type=int, default=None, help="reps per variant")
    parser.add_argument("--loop-steps", type=int, default=500)
    parser.add_argument("--fanout", type=int, default=60)
    parser.add_argument("--load-steps", type=int, default=10_000)
    parser.add_argument("--load-reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--memory-steps",
        default="2500,5000,10000",
        help="loop sizes whose peak memory is measured, each in a fresh process ('' for none)",
    )
    args = parser.parse_args(argv)
    reps = args.reps or (5 if args.quick else 15)
    memory_steps = [int(n) for n in args.memory_steps.split(",") if n.strip()]

    memory = None
    if memory_steps:
        print(f"memory: loops of {memory_steps} supersteps ...", file=sys.stderr, flush=True)
        memory = measure_memory(memory_steps)
    cases = [loop_case(args.loop_steps), fanout_case(args.fanout)]
    overhead = []
    for case in cases:
        print(f"overhead: {case.name}, {reps} reps ...", file=sys.stderr, flush=True)
        overhead.append(measure_overhead(case, reps, seed=args.seed))
    print("log size ...", file=sys.stderr, flush=True)
    sizes = [measure_size(case) for case in cases]
    print(f"load: recording loop-{args.load_steps} ...", file=sys.stderr, flush=True)
    load = measure_load(args.load_steps, args.load_reps, seed=args.seed)
    print(f"(recorded loop-{args.load_steps} in {load.record_s:.1f} s)", file=sys.stderr)
    print()
    print(context_line(reps))
    print()
    print(render_goals(overhead[0], overhead[1], memory))
    print()
    print(render_table(overhead, sizes, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
