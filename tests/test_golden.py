"""The golden log: a `.pregel` file recorded once, read by every later version of the reader.

THE GOLDEN FILES ARE NEVER REGENERATED. tests/golden/v1_0.pregel was recorded once (format 1.0)
and tests/golden/v1_0.expected.json holds what it must read as. If a change to the format or the
reader breaks this test, the change is incompatible with logs already on users' disks: fix the
reader, or make the change a new major format version (with its own golden log), never edit or
re-record these files.

The run: plan -> Send fan-out to three "work" tasks (a reducer gathers their results) -> "review"
interrupts and is resumed once with "approve" -> conditional routing picks "publish" over
"revise". Values carry hostile HTML strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pregel_viz.analysis.export import json_safe
from pregel_viz.logfile import read_frames, read_header
from pregel_viz.model import Run
from pregel_viz.reader import load

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "v1_0.pregel"
EXPECTED = GOLDEN / "v1_0.expected.json"
HOSTILE = "<script>alert(1)</script></textarea><img src=x onerror=alert(1)>"


def facts(run: Run) -> dict[str, Any]:
    """The key facts of a run, as plain JSON data."""
    threads = {}
    for label, thread in run.threads.items():
        threads[label] = {
            "calls": [{"status": c.status, "interrupts": c.interrupts} for c in thread.calls],
            "outcome": thread.outcome["status"],
            "supersteps": [
                {
                    "step": s.step,
                    "source": s.source,
                    "tasks": sorted(t.name for t in s.tasks),
                    "values": s.values,
                }
                for s in thread.supersteps
            ],
        }
    doc = {"graph": run.meta.get("graph"), "threads": threads, "warnings": run.warnings}
    return json.loads(json.dumps(json_safe(doc)))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def run() -> Run:
    return load(LOG)


def test_given_the_golden_log_when_its_header_is_read_then_it_is_format_1_0() -> None:
    assert read_header(LOG.read_bytes(), source=str(LOG))[:2] == (1, 0)


def test_given_the_golden_log_when_loaded_then_it_reads_as_expected(run: Run) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert facts(run) == expected


def test_given_the_golden_log_when_loaded_then_it_shows_the_whole_story(run: Run) -> None:
    # the same facts, spelled out, so that a broken golden test says what broke
    assert run.warnings == []
    assert [s.step for s in run.supersteps] == [-1, 0, 1, 2, 3, 4]
    assert [c.status for c in run.thread.calls] == ["interrupted", "completed"]
    assert run.outcome["status"] == "completed"

    fan_out = run.supersteps[3]
    assert [t.name for t in fan_out.tasks] == ["work", "work", "work"]
    assert {t.kind for t in fan_out.tasks} == {"push"}
    assert {t.sent_by for t in fan_out.tasks} == {"plan"}
    assert sorted(fan_out.values["results"]) == ["ALPHA", "BETA", "GAMMA"]

    (review,) = run.supersteps[4].tasks
    assert review.name == "review"
    assert review.resumes == ["approve"]
    (asked,) = run.thread.calls[0].interrupts
    assert asked == {"question": "approve? " + HOSTILE, "count": 3}

    (publish,) = run.supersteps[5].tasks
    assert publish.name == "publish"
    final = run.state_at(4)
    assert final["decision"] == "approve"
    assert final["outcome"] == "published ALPHA,BETA,GAMMA"
    assert final["note"] == HOSTILE
    assert final["topic"] == "golden " + HOSTILE
    assert {(e.source, e.target, e.kind) for e in run.edges_taken()} >= {
        ("plan", "work", "send"),
        ("review", "publish", "route"),
    }


def test_given_the_golden_log_when_every_frame_is_decoded_then_hostile_strings_are_byte_exact() -> (
    None
):
    data = LOG.read_bytes()
    events = list(read_frames(data))
    assert events[0]["k"] == "meta"
    assert HOSTILE.encode() not in data  # the body is compressed
    blob = json.dumps(json_safe(events), ensure_ascii=False)
    assert HOSTILE in blob


def test_given_the_golden_log_when_exported_then_the_document_is_json(run: Run) -> None:
    doc = run.to_dict()
    assert doc["format"] == "pregel-viz-export"
    json.dumps(doc)
    assert "thread golden" in run.summary()
