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
