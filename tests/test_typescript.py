"""The TypeScript viewer's own checks (tsc --strict, vitest), run with the Python tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

LABEXT = Path(__file__).resolve().parent.parent / "labextension"


def _npm(*args: str) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to build and test the viewer (node 20+)")
    if not (LABEXT / "node_modules").is_dir():
        pytest.fail("labextension/node_modules is missing: pip install -e . runs npm install")
    return subprocess.run([npm, *args], cwd=LABEXT, capture_output=True, text=True, timeout=600)


def test_viewer_typechecks_strictly() -> None:
    result = _npm("run", "typecheck")
    assert result.returncode == 0, result.stdout + result.stderr


def test_viewer_unit_tests_pass() -> None:
    result = _npm("test")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert " passed" in result.stdout
