"""Small helpers shared by several test modules (tests/ is on sys.path, see conftest.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pregel_viz


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pregel_viz ARGS`` in ``cwd``, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pregel_viz", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stop_server(proc: subprocess.Popen[bytes], log: IO[bytes], home: Path) -> None:
    """Stop a server started in its own process group, then remove its scratch directory."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    log.close()
    shutil.rmtree(home, ignore_errors=True)


def forked_run() -> pregel_viz.Run:
    """One thread of CASES["conditional_path_map"]: a run, then ``update_state`` on its step-1
    checkpoint (value 42 -> 3, as classify) and a run from there: two branches."""
    from graphs import CASES
    from langgraph.checkpoint.memory import InMemorySaver

    graph = CASES["conditional_path_map"].build(InMemorySaver())
    cfg = {"configurable": {"thread_id": "fork"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"value": 42, "log": []}, cfg)
        past = next(s for s in graph.get_state_history(cfg) if s.metadata["step"] == 1)
        graph.invoke(None, graph.update_state(past.config, {"value": 3}, as_node="classify"))
    return rec.run
