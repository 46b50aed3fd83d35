"""What the recorder saves on its own costs must not change what it records.

The recorder reads back the log it has just written trusted (no checksums, schema checks or
limits): it must give the same run as a checked read.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from pathlib import Path
from typing import Any

import pytest
from graphs import CASES, CONTINUE, Case

import pregel_viz
from pregel_viz.errors import TruncatedLogWarning
from pregel_viz.reader import read_log
from pregel_viz.recorder import _session
from pregel_viz.recorder._session import Recorder

QUICK = [pytest.param(c, id=c.name) for c in CASES.values() if not c.slow]


def _record(case: Case, path: Path) -> None:
    graph = case.build(None)
    config = {**case.config, "configurable": {"thread_id": "t"}}
    resume = [None if r is CONTINUE else r for r in case.resume]
    with contextlib.suppress(Exception):  # a case that raises still leaves its log
        if case.is_async:
            asyncio.run(pregel_viz.arecord(graph, case.input, config, path=path, resume=resume))
        else:
            pregel_viz.record(graph, case.input, config, path=path, resume=resume)


def _both(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    checked = read_log(data, source="log").to_dict()
    trusted = read_log(data, source="log", trusted=True).to_dict()
    return checked, trusted


@pytest.mark.parametrize("case", QUICK)
def test_given_a_fixture_log_when_read_back_trusted_then_the_run_is_the_checked_one(
    case: Case, tmp_path: Path
) -> None:
    path = tmp_path / "run.pregel"
    _record(case, path)
    checked, trusted = _both(path.read_bytes())  # a file's body is compressed
    assert trusted == checked


def test_given_an_in_memory_log_when_read_back_trusted_then_the_run_is_the_checked_one() -> None:
    graph = CASES["fanout_fanin"].build(None)
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    data = rec.recorder.writer.getvalue()  # not compressed
    checked, trusted = _both(data)
    assert trusted == checked
    assert rec.run.to_dict() == checked


def test_given_bytes_cut_inside_a_frame_when_read_trusted_then_they_are_read_checked() -> None:
    graph = CASES["fanout_fanin"].build(None)
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    data = rec.recorder.writer.getvalue()[:-3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedLogWarning)
        checked, trusted = _both(data)
    assert trusted == checked
    assert checked["warnings"]


def _attempt(rec: Recorder, task: str, error: BaseException | None = None) -> None:
    args = {"thread": "t", "ns": "", "name": "n", "step": 1, "path": [], "triggers": []}
    rec.on_attempt_start(task_id=task, inputs=None, **args)
    rec.on_attempt_end(task, error)


def test_given_many_tasks_when_recorded_then_the_attempt_counts_kept_are_bounded() -> None:
    rec = Recorder.for_rebuild(None, {})
    _attempt(rec, "retried", ValueError("once"))
    for i in range(_session._ATTEMPTS_KEPT + 100):
        _attempt(rec, f"task-{i}")
        if i == 10:  # a retry after others ran still counts on
            _attempt(rec, "retried")
    assert len(rec._attempts) <= _session._ATTEMPTS_KEPT
    starts = [
        e for e in read_log(rec.writer.getvalue(), source="log").events if e["k"] == "task_start"
    ]
    assert [e["attempt"] for e in starts if e["task"] == "retried"] == [1, 2]
    assert {e["attempt"] for e in starts if e["task"] != "retried"} == {1}
