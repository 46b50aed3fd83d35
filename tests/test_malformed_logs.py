"""Logs that are well framed but say odd things: a malformed event is refused at load, naming
the event and the field; a log where nothing ran shows as an empty run.

Issue #10, items 9 and 10. Every reader of a log (the viewer's document, narration, comparison,
the side-by-side document, HTML, export, the CLI, the Jupyter server extension) either gets a
run it can use, or a PregelVizError it can show: never a TypeError from deep inside.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from fuzz_pipeline import consume, real_log, small_viewer

import pregel_viz
from pregel_viz.cli import main
from pregel_viz.errors import CorruptLogError
from pregel_viz.events import _VALUE, EVENTS
from pregel_viz.logfile import FORMAT_VERSION, MAGIC, frame_bytes, read_frames
from pregel_viz.reader import read_bytes
from pregel_viz.server import build_response
from pregel_viz.views.payload import EMPTY_NOTICE, build_payload

HEADER = MAGIC + struct.pack(">HHB", *FORMAT_VERSION, 0)  # uncompressed body


def log_of(events: list[dict[str, Any]]) -> bytes:
    return HEADER + b"".join(frame_bytes(ormsgpack.packb(e)) for e in events)


def real_events() -> list[dict[str, Any]]:
    return list(read_frames(real_log()))


def _with(events: list[dict[str, Any]], index: int, **fields: Any) -> list[dict[str, Any]]:
    out = list(events)
    out[index] = {**events[index], **fields}
    return out


def _first(events: list[dict[str, Any]], kind: str, has: str = "") -> int:
    return next(i for i, e in enumerate(events) if e["k"] == kind and (not has or e.get(has)))


@pytest.fixture(scope="module", autouse=True)
def _small_viewer() -> Any:
    with small_viewer():
        yield


# --------------------------------------------------------------------------- item 9: malformed


BAD_WHY = [
    {"plan": None},
    {"plan": 1},
    {"plan": [1]},
    {"plan": [["branch:to:plan", 1]]},
    {"plan": "xy"},
    {"plan": [[1, None, 2]]},
    {"plan": [["branch:to:plan", None, None]]},
    [["plan"]],
]


@pytest.mark.parametrize("why", BAD_WHY, ids=[json.dumps(w) for w in BAD_WHY])
def test_given_a_why_that_is_not_channel_seen_current_lists_when_loaded_then_the_field_is_named(
    why: Any,
) -> None:
    events = real_events()
    at = _first(events, "checkpoint", has="why")
    data = log_of(_with(events, at, why=why))
    with pytest.raises(CorruptLogError) as info:
        read_bytes(data, source="bad.pregel")
    message = str(info.value)
    assert message.startswith(f"bad.pregel: event {at} (a 'checkpoint' event) has the wrong shape")
    assert "field why" in message
    assert "should be" in message and "got" in message


def test_given_a_malformed_log_when_the_server_reads_it_then_a_422_naming_the_field() -> None:
    events = real_events()
    at = _first(events, "checkpoint", has="why")
    response = build_response(log_of(_with(events, at, why={"plan": [[1, 2]]})), "runs/bad.pregel")
    assert response.status == 422
    body = json.loads(response.body)
    assert body["error"] == "CorruptLogError"
    assert f"runs/bad.pregel: event {at} (a 'checkpoint' event)" in body["message"]
    assert "field why['plan'][0]" in body["message"]


@pytest.mark.parametrize("command", ["narrate", "html", "export", "info", "diff"])
def test_given_a_malformed_log_when_a_command_reads_it_then_exit_2_with_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = real_events()
    at = _first(events, "writes")
    path = tmp_path / "bad.pregel"
    path.write_bytes(log_of(_with(events, at, writes=[["x", 1, 2]])))
    argv = {
        "narrate": ["narrate", str(path)],
        "html": ["html", str(path), "-o", str(tmp_path / "bad.html")],
        "export": ["export", str(path)],
        "info": ["info", str(path)],
        "diff": ["diff", str(path), str(path), "--html", str(tmp_path / "diff.html")],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"event {at} (a 'writes' event)" in err
    assert "field writes[0] should be a [channel, value] pair, got a list of 3 item(s)" in err


def _wrong_value(shape: Any) -> Any:
    """A plain value the shape refuses."""
    candidates = [1, "x", [], {}, True, 1.5, [[1]], [["a", 1]], {"a": 1}, {"a": [1]}]
    return next(v for v in candidates if not shape.ok(v))


FIELDS = [
    (kind, name.rstrip("!"), shape)
    for kind, fields in EVENTS.items()
    for name, shape in fields.items()
    if shape is not _VALUE
]


def _event_of(kind: str) -> dict[str, Any]:
    """A well-formed event of ``kind``: the first of the real log, or a small one."""
    made = {
        "meta": {"k": "meta", "graph": "g", "timings": "unknown"},
        "task_start": {"k": "task_start", "thread": "t", "task": "x", "name": "n", "ns": ""},
        "span": {"k": "span", "thread": "t", "task": "x", "id": 1, "kind": "tool", "name": "n"},
        "span_end": {"k": "span_end", "id": 1, "status": "ok", "tool_calls": []},
    }
    found = [e for e in real_events() if e["k"] == kind]
    return {**made.get(kind, {}), **(found[0] if found else {})}


@pytest.mark.parametrize(("kind", "name", "shape"), FIELDS, ids=[f"{k}.{n}" for k, n, _ in FIELDS])
def test_given_any_known_field_of_the_wrong_type_when_loaded_then_corrupt_log_error_names_it(
    kind: str, name: str, shape: Any
) -> None:
    event = {**_event_of(kind), name: _wrong_value(shape)}
    with pytest.raises(CorruptLogError, match=rf"\(a '{kind}' event\).* field {name}\b"):
        read_bytes(log_of([event]))


@pytest.mark.parametrize(
    ("kind", "name"),
    [(k, n.rstrip("!")) for k, fields in EVENTS.items() for n in fields if n.endswith("!")],
)
def test_given_a_required_field_missing_when_loaded_then_corrupt_log_error_says_so(
    kind: str, name: str
) -> None:
    event = dict(_event_of(kind))
    del event[name]
    with pytest.raises(CorruptLogError, match=f"field '{name}' is missing"):
        read_bytes(log_of([event]))


# --------------------------------------------------------------------------- what still loads


def _odd_values() -> list[Any]:
    """Plain msgpack values of every kind, tagged maps that tag nothing known included."""
    return [
        None,
        True,
        -(2**63),
        2**64 - 1,
        math.nan,
        -math.inf,
        "",
        "<script>alert(1)</script>",
        b"\x00\xff",
        [],
        [[[]]],
        {},
        {"$type": 1},
        {"$type": "os.system", "$fields": [1, 2]},
        {"$type": "builtins.set", "$items": {"not": "a list"}},
        {"$type": "langgraph.types.Send", "$fields": {"node": 3, "arg": b""}},
        {"$type": "langgraph.types.Interrupt", "$fields": {"value": math.nan}},
        {"$type": "builtins.Exception", "$error": ["not", "a", "string"]},
        {"$error": None},
    ]


@pytest.mark.parametrize("value", _odd_values(), ids=repr)
def test_given_any_plain_value_as_a_users_value_when_loaded_then_every_reader_works(
    value: Any,
) -> None:
    """User values are never restricted: state, inputs, writes, interrupts, resumes, errors."""
    events = real_events()
    for kind, name in [("call", "input"), ("task_start", "input")]:
        events = _with(events, _first(events, kind), **{name: value})
    cp = _first(events, "checkpoint", has="values")
    events = _with(events, cp, values={**events[cp]["values"], "answer": value, "new": value})
    w = _first(events, "writes", has="writes")
    writes = [["items", value], ["__interrupt__", value], ["__resume__", value]]
    events = _with(events, w, writes=[*events[w]["writes"], *writes, ["__error__", value]])
    events = _with(events, len(events) - 1, interrupts=[value, value])
    reference = read_bytes(real_log())
    run = read_bytes(log_of(events))
    consume(run, reference)


def test_given_unknown_fields_inside_known_maps_when_loaded_then_they_load() -> None:
    """Forward compatibility reaches into the maps the schema knows (nodes, channels, errors)."""
    events = real_events()
    g = _first(events, "graph")
    graph = events[g]
    nodes = [{**n, "zz_future": [1, {"a": b""}]} for n in graph["nodes"]]
    edges = [{**e, "zz_weight": 0.5} for e in graph["edges"]]
    channels = {k: {**v, "zz_future": None} for k, v in graph["channels"].items()}
    events = _with(events, g, nodes=nodes, edges=edges, channels=channels, zz=1)
    end = len(events) - 1
    events = _with(events, end, error={"type": "E", "message": "m", "trace": ["x"]})
    run = read_bytes(log_of(events))
    assert run.outcome["error"] == {"type": "E", "message": "m", "trace": ["x"]}
    consume(run, read_bytes(real_log()))


# --------------------------------------------------------------------------- item 10: empty


CP = {
    "k": "checkpoint",
    "thread": "t",
    "id": "c1",
    "parent": None,
    "step": -1,
    "source": "input",
    "full": True,
    "versions": {"__start__": 1},
    "values": {"__start__": {"x": 1}},
    "why": {"__start__": [["__start__", None, 1]]},
}
EMPTY_LOGS: dict[str, list[dict[str, Any]]] = {
    "header only": [],
    "meta only": [{"k": "meta", "graph": "g"}],
    "structure only": [{"k": "meta", "graph": "g"}, {"k": "graph", "key": "", "nodes": []}],
    "a call": [{"k": "call", "call": 1, "thread": "t", "method": "invoke", "input": 1}],
    "a call that failed": [
        {"k": "call", "call": 1, "thread": "t", "method": "invoke", "input": 1, "t": 0.0},
        {
            "k": "end",
            "call": 1,
            "thread": "t",
            "status": "error",
            "interrupts": [],
            "error": {"type": "ValueError", "message": "bad input"},
            "t": 0.1,
        },
    ],
    "calls on two threads": [
        {"k": "call", "call": 1, "thread": "a"},
        {"k": "call", "call": 2, "thread": "b"},
    ],
    "the end of an attempt never started": [{"k": "task_end", "task": "x", "status": "ok"}],
    "input writes only": [
        {
            "k": "writes",
            "thread": "t",
            "ns": "",
            "task": "00000000-0000-0000-0000-000000000000",
            "path": "",
            "writes": [["x", 1]],
        },
    ],
    "unknown kinds only": [{"k": "annotation", "text": "hi"}],
}
SUBGRAPH_ONLY = [{**CP, "ns": "child:x1"}]  # events with no root namespace


@pytest.mark.parametrize("events", EMPTY_LOGS.values(), ids=EMPTY_LOGS.keys())
def test_given_a_log_where_nothing_ran_when_shown_then_an_empty_run_says_so(
    events: list[dict[str, Any]],
) -> None:
    run = read_bytes(log_of(events))
    text = str(pregel_viz.narrate(run))
    assert text.endswith("No supersteps recorded.")
    result = pregel_viz.compare(run, run)
    assert result.identical and result.rows == []
    assert "recorded a superstep" in str(result)
    assert pregel_viz.compare_fork(run).identical
    doc = build_payload(run)
    assert EMPTY_NOTICE in doc["warnings"]
    assert all(not ns["steps"] for t in doc["threads"] for ns in t["namespaces"])
    assert json.loads(json.dumps(run.to_dict()))["threads"] == [
        {**t, "namespaces": {"": t["namespaces"][""]}} for t in run.to_dict()["threads"]
    ]
    consume(run, read_bytes(real_log()))


def test_given_events_with_no_root_namespace_when_shown_then_the_root_is_empty() -> None:
    run = read_bytes(log_of(SUBGRAPH_ONLY))
    assert list(run.thread.namespaces) == ["", "child:x1"]
    assert str(pregel_viz.narrate(run)).endswith("No supersteps recorded.")
    assert len(pregel_viz.narrate(run, ns="child").steps) == 1
    assert pregel_viz.compare(run, run).identical
    assert EMPTY_NOTICE not in build_payload(run)["warnings"]  # the subgraph ran
    consume(run, read_bytes(real_log()))


def test_given_an_empty_log_when_the_server_reads_it_then_200_with_the_notice() -> None:
    response = build_response(HEADER, "empty.pregel")
    assert response.status == 200
    body = json.loads(response.body)
    assert body["threads"] == [] and body["warnings"] == [EMPTY_NOTICE]


def test_given_an_empty_log_when_narrated_and_diffed_on_the_command_line_then_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.pregel"
    path.write_bytes(HEADER)
    assert main(["narrate", str(path)]) == 0
    assert capsys.readouterr().out == "The root graph:\n  No supersteps recorded.\n"
    assert main(["diff", str(path), str(path), "--html", str(tmp_path / "d.html")]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["html", str(path), "-o", str(tmp_path / "e.html")]) == 0


# --------------------------------------------------------------------------- JSON-ready


def test_given_bytes_and_nan_in_differing_values_when_a_comparison_is_dumped_then_json() -> None:
    events = real_events()
    cp = _first(events, "checkpoint", has="values")
    odd = _with(events, cp, values={**events[cp]["values"], "x": b"\x00", "y": math.nan})
    result = pregel_viz.compare(read_bytes(real_log()), read_bytes(log_of(odd)))
    assert not result.identical
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert "builtins.bytes" in text
