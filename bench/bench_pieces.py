"""Where the recorder's time goes: one piece switched on at a time, on the 500-superstep loop.

    python bench/bench_pieces.py            # medians of 9 rounds
    python bench/bench_pieces.py --reps 21 --steps 1000

Each variant runs the same graph; the table gives the CPU time of the process (every thread:
LangGraph saves checkpoints on a background thread) and its ratio to a plain invoke measured
in the same rounds:

- plain: ``graph.invoke`` with no checkpointer;
- lent saver: the graph lent a saver that stores nothing (LangGraph's own checkpoint path,
  nothing recorded);
- + recording saver: that saver wrapped by the recorder's (checkpoints and writes recorded);
- + callbacks: the lent saver with the recorder's callback handler (attempts timed);
- both: the two seams of a recording;
- recording(): ``pregel_viz.recording`` around the invoke;
- record(): ``pregel_viz.record``, which also reads the log back into a ``Run``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_recorder import build_loop

import pregel_viz
from pregel_viz.recorder._callbacks import AttemptHandler
from pregel_viz.recorder._lg import CONFIG_KEY_CHECKPOINTER
from pregel_viz.recorder._saver import NullSaver, RecordingSaver
from pregel_viz.recorder._session import Recorder


def variants(steps: int) -> dict[str, Callable[[], Any]]:
    graph = build_loop(steps)
    base = {"recursion_limit": steps + 50}

    def lent(saver: Any, callbacks: list[Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            **base,
            "configurable": {"thread_id": "t", CONFIG_KEY_CHECKPOINTER: saver},
        }
        if callbacks:
            out["callbacks"] = callbacks
        return out

    def recorded(with_saver: bool, with_callbacks: bool) -> None:
        rec = Recorder(graph, None)
        saver = RecordingSaver(NullSaver(), rec) if with_saver else NullSaver()
        handlers = [AttemptHandler(rec, "t")] if with_callbacks else None
        graph.invoke({"n": 0}, lent(saver, handlers))
        rec.close()

    def recording() -> None:
        with pregel_viz.recording(graph):
            graph.invoke({"n": 0}, base)

    return {
        "plain": lambda: graph.invoke({"n": 0}, base),
        "lent saver": lambda: graph.invoke({"n": 0}, lent(NullSaver())),
        "+ recording saver": lambda: recorded(True, False),
        "+ callbacks": lambda: recorded(False, True),
        "both": lambda: recorded(True, True),
        "recording()": recording,
        "record()": lambda: pregel_viz.record(graph, {"n": 0}, base),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args(argv)
    runs = variants(args.steps)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():  # warm up
        fn()
    for _ in range(args.reps):  # interleaved, so every variant shares the machine's mood
        for name, fn in runs.items():
            t = time.process_time()
            fn()
            times[name].append(time.process_time() - t)
    plain = statistics.median(times["plain"])
    print(f"| loop-{args.steps} | CPU time, median of {args.reps} (ms) | vs plain |")
    print("|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med * 1000:.1f} | {med / plain:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
