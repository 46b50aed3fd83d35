#!/usr/bin/env python
"""Run LangGraph's own test suite with and without pregel-viz auto-recording; compare outcomes.

Downloads (once, into a cache directory) the sdist of the *installed* langgraph version, extracts
its ``tests/``, installs the test requirements that are missing (pinned so that langgraph and
langchain-core stay at the installed versions), then runs the chosen tests twice:

1. plain;
2. with ``-p pregel_viz.pytest_plugin``: every graph call recorded, every log read back.

and prints the pass/fail/skip counts of both runs side by side and every test whose outcome
differs. Tests run with ``NO_DOCKER=true`` (no Postgres, no Redis), so their checkpointer fixtures
are the in-memory and SQLite ones; by default ``-k "not sqlite_aes"`` leaves out the encrypted
SQLite variant (memory + sqlite only).

Exit status: 0 same outcomes and every log loads; 1 outcomes differ or a log does not load;
3 the sdist could not be downloaded (no network); 2 bad usage or setup failure.

Examples::

    python scripts/langgraph_suite.py                       # test_pregel.py + test_pregel_async.py
    python scripts/langgraph_suite.py -k "interrupt and memory" --jobs 1
    python scripts/langgraph_suite.py --files tests/test_retry.py --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

DEFAULT_FILES = ["tests/test_pregel.py", "tests/test_pregel_async.py"]
DEFAULT_K = "not sqlite_aes"
EXIT_DIFFERENT, EXIT_SETUP, EXIT_NO_SDIST = 1, 2, 3

# module imported by the tests (or their conftest) -> the package that provides it
REQUIREMENTS = {
    "pytest_mock": "pytest-mock",
    "syrupy": "syrupy",
    "redis": "redis",
    "psycopg": "psycopg[binary]",
    "psycopg_pool": "psycopg-pool",
    "langgraph.checkpoint.postgres": "langgraph-checkpoint-postgres",
    "langgraph.checkpoint.sqlite": "langgraph-checkpoint-sqlite",
    "aiosqlite": "aiosqlite",
    "Crypto": "pycryptodome",
    "xxhash": "xxhash",
    "httpx": "httpx",
    "pytest_repeat": "pytest-repeat",
}
# kept at their installed versions while the requirements install
PINNED = (
    "langgraph",
    "langgraph-checkpoint",
    "langgraph-checkpoint-sqlite",
    "langgraph-prebuilt",
    "langgraph-sdk",
    "langchain-core",
    "pydantic",
    "pytest",
)


def log(message: str) -> None:
    print(f"[langgraph-suite] {message}", flush=True)


def default_cache() -> Path:
    if os.environ.get("PREGEL_VIZ_CACHE"):
        return Path(os.environ["PREGEL_VIZ_CACHE"])
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "pregel-viz" / "langgraph-suite"


class NoSdist(Exception):
    pass


def fetch_sdist(version: str, cache: Path) -> Path:
    """The cached sdist of langgraph ``version``, downloaded when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / f"langgraph-{version}.tar.gz"
    if sdist.exists():
        return sdist
    log(f"downloading the langgraph {version} sdist into {cache}")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"langgraph=={version}",
            "-d",
            tmp,
            "--quiet",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        found = list(Path(tmp).glob("langgraph-*.tar.gz"))
        if proc.returncode != 0 or not found:
            raise NoSdist(
                f"pip download failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}"
            )
        shutil.move(str(found[0]), sdist)
    return sdist


def extract_tests(sdist: Path, version: str, cache: Path) -> Path:
    """``<cache>/langgraph-<version>/`` holding the sdist's ``tests/`` and a pytest.ini."""
    work = cache / f"langgraph-{version}"
    marker = work / ".complete"
    if marker.exists():
        return work
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    prefix = f"langgraph-{version}/tests/"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        for m in members:
            m.name = m.name[len(f"langgraph-{version}/") :]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(work, members=members, filter="data")
        else:  # pragma: no cover - Python without extraction filters
            tar.extractall(work, members=members)
    # their pyproject's pytest options, less the noisy ones (--full-trace, --durations);
    # --snapshot-warn-unused: a subset leaves syrupy snapshots unused, which is no failure
    (work / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers --snapshot-warn-unused\n", encoding="utf-8"
    )
    marker.write_text(version, encoding="utf-8")
    return work


def missing_requirements(jobs: int) -> list[str]:
    wanted = dict(REQUIREMENTS)
    if jobs > 1:
        wanted["xdist"] = "pytest-xdist"
    missing = []
    for module, package in wanted.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(package)
    return missing


def install(packages: list[str], cache: Path) -> None:
    pins = []
    for name in PINNED:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            pins.append(f"{name}=={importlib.metadata.version(name)}")
    constraints = cache / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
    log(f"installing {' '.join(packages)}")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "-c", str(constraints), *packages],
        check=True,
        timeout=900,
    )


def outcomes(junit: Path) -> dict[str, str]:
    """Test id -> passed / failed / error / skipped, from a JUnit XML report."""
    result: dict[str, str] = {}
    rank = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag == "failure":
                outcome = max(outcome, "failed", key=rank.__getitem__)
            elif child.tag == "error":
                outcome = max(outcome, "error", key=rank.__getitem__)
            elif child.tag == "skipped":
                outcome = max(outcome, "skipped", key=rank.__getitem__)
        prev = result.get(test_id)
        result[test_id] = outcome if prev is None else max(prev, outcome, key=rank.__getitem__)
    return result


def run_pytest(
    work: Path, files: list[str], k: str, jobs: int, out: Path, label: str, extra: list[str]
) -> tuple[int, dict[str, str], float, str]:
    junit = out / f"{label}.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *files,
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "console_output_style=classic",
        f"--junitxml={junit}",
    ]
    if k:
        cmd += ["-k", k]
    if jobs > 1:
        cmd += ["-n", str(jobs)]
    cmd += extra
    env = dict(os.environ, NO_DOCKER="true")
    env.pop("PREGEL_VIZ_AUTO", None)
    log(f"{label}: {' '.join(cmd[3:])}")
    t0 = time.perf_counter()
    with open(out / f"{label}.log", "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=work, env=env, stdout=fh, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - t0
    text = (out / f"{label}.log").read_text(encoding="utf-8", errors="replace")
    results = outcomes(junit) if junit.exists() else {}
    return proc.returncode, results, elapsed, text


def counts(results: dict[str, str]) -> dict[str, int]:
    c = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for outcome in results.values():
        c[outcome] = c.get(outcome, 0) + 1
    return c


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--files",
        nargs="+",
        default=DEFAULT_FILES,
        help="test files or node ids, relative to the sdist (default: %(default)s)",
    )
    ap.add_argument("-k", default=DEFAULT_K, help='pytest -k expression (default: "%(default)s")')
    ap.add_argument(
        "--jobs",
        "-n",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="pytest-xdist workers; 1 runs without xdist (default: %(default)s)",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="where the sdist and its extracted tests are kept "
        "(default: $PREGEL_VIZ_CACHE or ~/.cache/pregel-viz/langgraph-suite)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the reports, pytest logs and recorded .pregel logs go "
        "(default: a new temporary directory)",
    )
    ap.add_argument(
        "--no-install", action="store_true", help="do not pip install missing test requirements"
    )
    ap.add_argument(
        "--only",
        choices=("plain", "recorded"),
        default=None,
        help="run one of the two sessions only",
    )
    ap.add_argument("--json", type=Path, default=None, help="write the comparison as JSON")
    args = ap.parse_args(argv)

    version = importlib.metadata.version("langgraph")
    cache = (args.cache or default_cache()).resolve()
    try:
        sdist = fetch_sdist(version, cache)
    except (NoSdist, OSError, subprocess.SubprocessError) as exc:
        log(f"cannot get the langgraph {version} sdist: {exc}")
        return EXIT_NO_SDIST
    work = extract_tests(sdist, version, cache)
    missing = missing_requirements(args.jobs)
    if missing:
        if args.no_install:
            log(f"missing test requirements: {' '.join(missing)}")
            return EXIT_SETUP
        try:
            install(missing, cache)
        except (subprocess.SubprocessError, OSError) as exc:
            log(f"installing the test requirements failed: {exc}")
            return EXIT_SETUP
    out = (args.out or Path(tempfile.mkdtemp(prefix="langgraph-suite-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    logs = out / "pregel-logs"
    report = out / "pregel-viz-report.json"
    log(f"langgraph {version}; tests in {work}; output in {out}")

    sessions = {
        "plain": [],
        "recorded": [
            "-p",
            "pregel_viz.pytest_plugin",
            f"--pregel-viz-dir={logs}",
            f"--pregel-viz-json={report}",
        ],
    }
    runs: dict[str, tuple[int, dict[str, str], float, str]] = {}
    for label, extra in sessions.items():
        if args.only and args.only != label:
            continue
        if label == "recorded" and logs.exists():
            shutil.rmtree(logs)
        runs[label] = run_pytest(work, args.files, args.k, args.jobs, out, label, extra)
        code, results, _, text = runs[label]
        if not results:
            log(f"{label}: pytest exited {code} without a report; its output ends with:")
            print(text[-3000:])
            return EXIT_SETUP

    plugin = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    labels = list(runs)
    table = {label: counts(runs[label][1]) for label in labels}
    print()
    print(f"{'':10}" + "".join(f"{label:>12}" for label in labels))
    for key in ("passed", "failed", "error", "skipped"):
        print(f"{key:10}" + "".join(f"{table[label][key]:>12}" for label in labels))
    print(f"{'total':10}" + "".join(f"{len(runs[label][1]):>12}" for label in labels))
    print(f"{'seconds':10}" + "".join(f"{runs[label][2]:>12.1f}" for label in labels))

    differing: list[tuple[str, str, str]] = []
    if len(labels) == 2:
        plain, recorded = runs["plain"][1], runs["recorded"][1]
        for test_id in sorted(set(plain) | set(recorded)):
            a, b = plain.get(test_id, "absent"), recorded.get(test_id, "absent")
            if a != b:
                differing.append((test_id, a, b))
        print()
        if differing:
            print(f"{len(differing)} tests with different outcomes (plain -> recorded):")
            for test_id, a, b in differing:
                print(f"  {test_id}: {a} -> {b}")
        else:
            print("every test has the same outcome with and without recording")
    if plugin is not None:
        s = plugin.get("stats", {})
        print()
        print(
            f"pregel-viz: {plugin['logs']} logs in {plugin['directory']}, "
            f"{len(plugin['failures'])} failed to load, {plugin['warned']} with warnings; "
            f"calls recorded {s.get('recorded', 0)}, nested {s.get('nested', 0)}, "
            f"not recorded {s.get('skipped', 0)} {s.get('skipped_reasons', {})}, "
            f"recorder errors {s.get('recorder_errors', 0)}"
        )
        for path, message in plugin["failures"][:20]:
            print(f"  FAILED to load {path}: {message}")
        for message in s.get("errors", [])[:20]:
            print(f"  recorder error: {message}")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "langgraph": version,
                    "files": args.files,
                    "k": args.k,
                    "counts": table,
                    "seconds": {label: runs[label][2] for label in labels},
                    "differing": [list(d) for d in differing],
                    "outcomes": {label: runs[label][1] for label in labels},
                    "plugin": plugin,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    failed_logs = bool(plugin and plugin["failures"])
    return EXIT_DIFFERENT if differing or failed_logs else 0


if __name__ == "__main__":
    sys.exit(main())
