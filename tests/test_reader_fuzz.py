"""Fuzzing the reader: whatever the bytes, read_bytes returns a Run or raises a PregelVizError.

And a Run it returns goes through the whole pipeline (the viewer's document, narration,
comparison, the side-by-side document, the HTML pages, the export) without raising anything:
``fuzz_pipeline.py``. The number of inputs tried is written to the terminal at the end.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import ormsgpack
import pytest
from fuzz_pipeline import Tally, real_log, real_run, tally_fixture
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pregel_viz.logfile import FORMAT_VERSION, MAGIC, frame_bytes
from pregel_viz.model import Run
from pregel_viz.reader import read_bytes

HEADER = MAGIC + struct.pack(">HHB", *FORMAT_VERSION, 0)  # uncompressed body
KINDS = ["meta", "graph", "call", "end", "checkpoint", "writes", "task_start", "task_end"]
FUZZ = settings(
    # PREGEL_VIZ_FUZZ_EXAMPLES=5000 for a longer hunt
    max_examples=int(os.environ.get("PREGEL_VIZ_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COUNT = Tally()
_tally = tally_fixture(
    "reader fuzz (generated and damaged logs, whole pipeline)", COUNT, autouse=True
)


# --------------------------------------------------------------------------- the property


def check(data: bytes, reference: Run | None = None) -> Run | None:
    """Read ``data``; a Run must go through the whole pipeline, anything else must be a
    PregelVizError."""
    return COUNT.check(data, "fuzz", reference)


def test_given_the_real_log_when_read_then_it_is_a_complete_run() -> None:
    run = check(real_log())
    assert run is not None
    assert run.outcome["status"] == "completed"
    assert run.supersteps[-1].values["answer"] == "yes"


# --------------------------------------------------------------------------- (a) random tails


@FUZZ
@given(tail=st.binary(max_size=512))
@example(tail=b"")
@example(tail=b"\x00" * 8)
@example(tail=struct.pack(">II", 1, 0) + b"\x80")
def test_given_arbitrary_bytes_after_a_valid_header_when_read_then_run_or_pregel_viz_error(
    tail: bytes,
) -> None:
    check(HEADER + tail)


@FUZZ
@given(tail=st.binary(max_size=256), major=st.integers(0, 3), minor=st.integers(0, 0xFFFF))
def test_given_any_version_and_arbitrary_frames_when_read_then_run_or_pregel_viz_error(
    tail: bytes, major: int, minor: int
) -> None:
    check(MAGIC + struct.pack(">HHB", major, minor, 0) + tail)


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=6))
def test_given_well_checksummed_frames_of_garbage_when_read_then_run_or_pregel_viz_error(
    payloads: list[bytes],
) -> None:
    check(HEADER + b"".join(frame_bytes(p) for p in payloads))


# --------------------------------------------------------------------------- (b) damaged log


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(1, 255)), max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 1 << 30)),
)
def test_given_a_real_log_with_flipped_bytes_or_cut_short_when_read_then_run_or_error(
    flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(real_log())
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    if cut is not None:
        del data[cut % (len(data) + 1) :]
    check(bytes(data))


@FUZZ
@given(st.data())
def test_given_a_real_log_with_frames_dropped_or_repeated_when_read_then_run_or_error(
    data: st.DataObject,
) -> None:
    raw = real_log()
    frames = []
    pos = len(HEADER)
    while pos < len(raw):
        (length,) = struct.unpack_from(">I", raw, pos)
        frames.append(raw[pos : pos + 8 + length])
        pos += 8 + length
    picked = data.draw(st.lists(st.sampled_from(frames), max_size=len(frames) + 5))
    check(HEADER + b"".join(picked))
    shuffled = data.draw(st.permutations(frames))
    check(HEADER + b"".join(shuffled))


# --------------------------------------------------------------------------- (c) valid frames

ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.binary(max_size=8),
    st.sampled_from(["", "~", "|", ":", "__pregel_push", "__pregel_pull", "²", "0000000001"]),
)
anything = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)

THREADS = st.sampled_from(["t1", "t2"])
NAMESPACES = st.sampled_from(["", "sub:x1", "sub:x1|leaf:x2", "|", ":", "a|"])
CP_IDS = st.sampled_from(["c0", "c1", "c2", "c3"])
TASK_IDS = st.sampled_from(["x1", "x2", "x3", "00000000-0000-0000-0000-000000000000"])
NODES = st.sampled_from(["a", "b", "sub", "leaf", "__start__", "?"])
CHANNELS = st.sampled_from(
    [
        "x",
        "y",
        "__pregel_tasks",
        "__error__",
        "__interrupt__",
        "__resume__",
        "branch:to:a",
        "join:a+b:c",
        "__start__",
    ]
)
PATHS = st.one_of(
    st.sampled_from(
        [
            "",
            "~__pregel_pull, a",
            "~__pregel_push, 0000000000, 0000000000",
            "~__pregel_push, 1",
            "~__pregel_push, ~__pregel_pull, a, 1",
            "~__pregel_push~__pregel_pull",
            "__pregel_push",
            "~__pregel_push, ²",
            "~__interrupt__",
            "~__pregel_push, ~__pregel_pull",
        ]
    ),
    st.text(max_size=20),
)
LIST_PATHS = st.one_of(
    st.lists(
        st.one_of(
            st.sampled_from(["__pregel_pull", "__pregel_push", "a"]),
            ints,
            st.booleans(),
            st.lists(ints, max_size=2),
        ),
        max_size=4,
    ),
    anything,
)
SENDS = st.one_of(
    st.fixed_dictionaries(
        {
            "$type": st.just("langgraph.types.Send"),
            "$fields": st.one_of(st.fixed_dictionaries({"node": NODES, "arg": anything}), anything),
        }
    ),
    anything,
)
WRITE_VALUES = st.one_of(
    anything,
    SENDS,
    st.fixed_dictionaries({"$type": st.text(max_size=10), "$error": anything}),
    st.lists(
        st.fixed_dictionaries(
            {
                "$type": st.just("langgraph.types.Interrupt"),
                "$fields": st.one_of(anything, st.fixed_dictionaries({"value": anything})),
            }
        ),
        max_size=2,
    ),
)
WRITES = st.lists(st.tuples(CHANNELS, WRITE_VALUES).map(list), max_size=4)
VERSIONS = st.dictionaries(CHANNELS, st.one_of(st.integers(0, 5), st.text(max_size=4)), max_size=4)
WHY = st.dictionaries(
    NODES,
    st.one_of(st.lists(st.tuples(CHANNELS, scalars, scalars).map(list), max_size=3), anything),
    max_size=3,
)
TIMES = st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), st.none())
VALUES = st.dictionaries(CHANNELS, WRITE_VALUES, max_size=4)

# Well-shaped fields of each kind; events() replaces or drops some of them now and then.
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "meta": {"graph": st.text(max_size=10), "timings": st.sampled_from(["unknown", "x"])},
    "graph": {
        "key": st.sampled_from(["", "sub"]),
        "nodes": st.lists(anything, max_size=2),
        "edges": st.lists(anything, max_size=2),
    },
    "call": {
        "call": st.integers(0, 3),
        "thread": THREADS,
        "method": st.text(max_size=6),
        "input": anything,
        "t": TIMES,
    },
    "end": {
        "call": st.integers(0, 3),
        "thread": THREADS,
        "status": st.sampled_from(["completed", "interrupted", "error"]),
        "interrupts": st.lists(WRITE_VALUES, max_size=2),
        "error": st.one_of(
            st.none(), st.dictionaries(st.sampled_from(["type", "message"]), anything, max_size=2)
        ),
        "t": TIMES,
    },
    "checkpoint": {
        "thread": THREADS,
        "ns": NAMESPACES,
        "id": CP_IDS,
        "parent": st.one_of(st.none(), CP_IDS),
        "step": st.integers(-2, 4),
        "source": st.sampled_from(["input", "loop", "loop", "update", "fork", "x"]),
        "full": st.booleans(),
        "versions": VERSIONS,
        "values": VALUES,
        "removed": st.lists(CHANNELS, max_size=2),
        "updated": st.one_of(st.none(), st.lists(anything, max_size=3)),
        "why": WHY,
        "why_inferred": st.booleans(),
        "t": TIMES,
    },
    "writes": {
        "thread": THREADS,
        "ns": NAMESPACES,
        "cp": st.one_of(st.none(), CP_IDS),
        "task": TASK_IDS,
        "path": PATHS,
        "writes": WRITES,
        "t": TIMES,
    },
    "task_start": {
        "thread": THREADS,
        "ns": NAMESPACES,
        "task": TASK_IDS,
        "name": NODES,
        "step": st.integers(-2, 5),
        "path": LIST_PATHS,
        "attempt": st.integers(-1, 3),
        "input": anything,
        "t": TIMES,
    },
    "task_end": {
        "task": TASK_IDS,
        "attempt": st.integers(0, 3),
        "status": st.sampled_from(["ok", "error", "interrupt"]),
        "error": st.one_of(st.none(), st.dictionaries(st.text(max_size=5), anything)),
        "t": TIMES,
    },
}


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """An event of a real kind with well-shaped fields, or, now and then, a damaged one."""
    kind = draw(
        st.one_of(st.sampled_from(KINDS), st.sampled_from(KINDS), st.text(max_size=6), anything)
    )
    damaged = draw(st.integers(0, 3)) == 0
    event: dict[str, Any] = {}
    if not damaged or draw(st.integers(0, 9)) > 0:  # now and then, no "k" at all
        event["k"] = kind
    fields = FIELDS.get(kind, {}) if isinstance(kind, str) else {}
    for name, strategy in fields.items():
        if not damaged:
            event[name] = draw(strategy)
        elif draw(st.integers(0, 4)) > 0:  # now and then, a field is missing
            event[name] = draw(st.one_of(strategy, strategy, anything))
    extra = draw(
        st.dictionaries(st.text(max_size=6).filter(lambda s: s != "k"), anything, max_size=2)
    )
    for key, value in extra.items():
        event.setdefault(key, value)
    return event


def log_of(evs: list[dict[str, Any]]) -> bytes:
    return HEADER + b"".join(frame_bytes(ormsgpack.packb(e)) for e in evs)


@FUZZ
@given(st.lists(events(), max_size=14))
def test_given_valid_frames_of_arbitrary_events_when_read_then_run_or_pregel_viz_error(
    evs: list[dict[str, Any]],
) -> None:
    check(log_of(evs))


@FUZZ
@given(st.data())
def test_given_real_events_mixed_with_arbitrary_ones_when_read_then_run_or_pregel_viz_error(
    data: st.DataObject,
) -> None:
    from pregel_viz.logfile import read_frames

    real = list(read_frames(real_log()))
    evs = list(real)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(evs)))
        if data.draw(st.booleans()) and i < len(evs) and evs[i]:
            # mutate one field of a real event
            event = dict(evs[i])
            key = data.draw(st.sampled_from(sorted(event)))
            strategy = FIELDS.get(str(event.get("k")), {}).get(key, anything)
            event[key] = data.draw(st.one_of(strategy, anything))
            evs[i] = event
        else:
            evs.insert(i, data.draw(events()))
    check(log_of(evs), reference=real_run())


# --------------------------------------------------------------------------- found by fuzzing

DEEP = "__DEEP__"  # replaced by nested arrays, deeper than ormsgpack packs


def crafted_log(evs: list[dict[str, Any]], depth: int = 1000) -> bytes:
    deep = b"\x91" * depth + ormsgpack.packb("bottom")
    payloads = [ormsgpack.packb(e).replace(ormsgpack.packb(DEEP), deep) for e in evs]
    return HEADER + b"".join(frame_bytes(p) for p in payloads)


@pytest.mark.parametrize(
    "evs",
    [
        # a Send write whose $fields is not a map
        [
            {
                "k": "writes",
                "thread": "t",
                "ns": "",
                "task": "x",
                "path": "~__pregel_pull, a",
                "writes": [["__pregel_tasks", {"$fields": [1]}]],
            }
        ],
        [
            {
                "k": "writes",
                "thread": "t",
                "ns": "",
                "task": "x",
                "path": "~__pregel_pull, a",
                "writes": [["__pregel_tasks", {"$fields": "node"}]],
            }
        ],
        # a push task whose path names __pregel_pull without a node after it
        [
            {
                "k": "writes",
                "thread": "t",
                "ns": "",
                "task": "x",
                "path": "~__pregel_push~__pregel_pull",
                "writes": [["x", 1]],
            }
        ],
        [
            {
                "k": "writes",
                "thread": "t",
                "ns": "",
                "task": "x",
                "path": "~__pregel_push, ~__pregel_pull",
                "writes": [["x", 1]],
            }
        ],
    ],
    ids=["send-fields-list", "send-fields-str", "pull-no-comma", "pull-last"],
)
def test_given_oddly_shaped_but_valid_events_when_read_then_a_run_that_renders(
    evs: list[dict[str, Any]],
) -> None:
    run = check(log_of(evs))
    assert run is not None
    (task,) = run.thread.tasks()
    assert task.id == "x"


DEEP_EVENTS = [
    {"k": "call", "call": 1, "thread": "t", "input": DEEP},
    {"k": "task_start", "thread": "t", "ns": "", "task": "x", "name": "a", "path": DEEP},
    {
        "k": "checkpoint",
        "thread": "t",
        "ns": "",
        "id": "c",
        "step": 0,
        "full": True,
        "versions": {"x": 1},
        "values": {"x": DEEP},
    },
    {"k": "zz_unknown", "v": {"a": DEEP}},
]


@pytest.mark.parametrize("event", DEEP_EVENTS, ids=["input", "path", "value", "unknown-kind"])
def test_given_values_nested_deeper_than_any_writer_makes_when_read_then_corrupt_log_error(
    event: dict[str, Any],
) -> None:
    from pregel_viz.errors import CorruptLogError

    for depth in (300, 1000):
        with pytest.raises(CorruptLogError, match="nested deeper"):
            read_bytes(crafted_log([event], depth))


@pytest.mark.parametrize("event", DEEP_EVENTS, ids=["input", "path", "value", "unknown-kind"])
def test_given_values_nested_as_deep_as_a_writer_makes_when_read_then_a_run_that_renders(
    event: dict[str, Any],
) -> None:
    run = check(crafted_log([event], depth=250))
    assert run is not None


def test_given_the_deepest_value_the_writer_keeps_when_read_back_then_it_loads() -> None:
    from pregel_viz.logfile import LogWriter

    deep: Any = "bottom"
    for _ in range(254):  # with the event map, 255 levels: the most ormsgpack packs
        deep = [deep]
    writer = LogWriter()
    event = writer.append({"k": "call", "call": 1, "thread": "t", "input": deep})
    assert event["input"] == deep  # kept whole, not cut by the Python walker
    run = check(writer.getvalue())
    assert run is not None
    assert run.thread.calls[0].input == deep
