"""What a long thread costs an instrumented graph: the time of each run, as the thread grows.

    python bench/bench_instrument.py              # 300 runs on one thread
    python bench/bench_instrument.py --runs 1000

A three-node graph whose state grows every run (a chat thread's messages, say) is served
instrumented (``pregel_viz.instrument``, a log per thread in a temporary directory) and invoked
again and again on one thread. The table gives the median wall time of a run at the start, the
middle and the end of the thread, against the same graph with no recording, measured in the same
rounds. Each run is appended to the thread's log: the time of a run must not grow with the
number of runs before it. ``--new-process`` forgets, before every run, what the process knows of
the file it last wrote (a thread that moves between workers), so each run reads the log once.
"""

from __future__ import annotations

import argparse
import operator
import os
import statistics
import tempfile
import time
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

import pregel_viz
from pregel_viz.recorder.instrument import forget_ended_logs, log_path


class State(TypedDict):
    i: int
    log: Annotated[list[str], operator.add]


def _step(state: State) -> dict[str, Any]:
    return {"i": state["i"] + 1, "log": [f"turn text {state['i']}"]}


def build() -> Any:
    g = StateGraph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, _step)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g


def measure(runs: int, *, new_process: bool = False) -> dict[str, list[float]]:
    """Seconds per run, instrumented and plain (alternating), on one thread each."""
    directory = tempfile.mkdtemp(prefix="pregel-viz-bench-")
    served = pregel_viz.instrument(
        build().compile(checkpointer=InMemorySaver()), directory=directory
    )
    plain = build().compile(checkpointer=InMemorySaver())
    times: dict[str, list[float]] = {"instrumented": [], "plain": []}
    for _ in range(runs):
        for name, graph in (("instrumented", served), ("plain", plain)):
            if new_process and name == "instrumented":
                forget_ended_logs()
            start = time.perf_counter()
            graph.invoke({"i": 0, "log": []}, {"configurable": {"thread_id": "chat"}})
            times[name].append(time.perf_counter() - start)
    path = log_path(directory, "chat")
    run = pregel_viz.load(path)
    assert len(run.thread.calls) == runs, "every run is in the thread's log"
    return times


def table(times: dict[str, list[float]]) -> str:
    n = len(times["plain"])
    window = max(1, min(20, n // 3))
    rows = ["| runs | instrumented, median | plain, median | ratio |", "|---|---|---|---|"]
    for start in (0, n // 2 - window // 2, n - window):
        part = slice(start, start + window)
        a = statistics.median(times["instrumented"][part])
        b = statistics.median(times["plain"][part])
        rows.append(
            f"| {start + 1}-{start + window} | {a * 1e3:.1f} ms | {b * 1e3:.1f} ms | {a / b:.2f}x |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="runs on the thread (300)")
    parser.add_argument("--new-process", action="store_true", help="read the log every run")
    args = parser.parse_args(argv)
    print(table(measure(args.runs, new_process=args.new_process)))
    print(f"\n{args.runs} runs on one thread; {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
