"""Fuzzing the whole pipeline with real logs whose fields are replaced by wrong values.

Each field of the events of real recordings (and the parts of those fields, two levels down:
the ``why`` triples, the write pairs, the graph's nodes and channels...) is replaced by values of
the wrong type: null, booleans, negative and huge numbers, NaN, strings, bytes, lists and maps,
lists of the wrong arity. Each log is then put through the pipeline of ``fuzz_pipeline.py``:
load, the viewer's document, narration, comparison (with the original run and with itself), the
side-by-side document, the HTML pages and the export. It must either be refused at load with a
PregelVizError or go through every step without raising.

The default run mutates each kind of field once (in the first event that has it) in three
recordings; the ``slow`` test does the same for every other fixture graph. Run as a script
(``python tests/test_pipeline_fuzz.py [--slow] [--every-event]``) it counts the crashes instead
of stopping at the first one.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator
from typing import Any

import ormsgpack
import pytest
from fuzz_pipeline import Tally, real_run, small_viewer, tally_fixture

from pregel_viz.logfile import FORMAT_VERSION, MAGIC, frame_bytes
from pregel_viz.model import Run

HEADER = MAGIC + struct.pack(">HHB", *FORMAT_VERSION, 0)  # uncompressed body
_DROP: Any = object()  # the field is left out

# Replacements for a field (depth 1), a part of a field (depth 2: a map's value, a list's item)
# and a part of that (depth 3: a why triple's channel, a write's value...).
WRONG: dict[int, list[Any]] = {
    1: [
        *(_DROP, None, True, -1, 2**64 - 1, -(2**63), 1.5, float("nan"), "", "x", b"\x00"),
        *([], [1, 2], [[1]], [["a", 1, 2, 3]], [[None, None, None]]),
        *({}, {"a": 1}, {"a": [[1, 2]]}, {"a": "xy"}, {"$type": "builtins.int"}),
    ],
    2: [_DROP, None, False, 2**63, float("inf"), "x", b"", [], [["a"]], {}],
    3: [_DROP, None, -7, float("-inf"), "", [], {"$type": 1}],
}

# "sends": Sends, a reducer, an interrupt and its resume; then subgraphs; then update_state
DEFAULT = ("sends", "nested_subgraphs", "forked")


# --------------------------------------------------------------------------- the logs


def recorded(name: str) -> Run:
    """A recording: ``sends`` (fuzz_pipeline.real_log), ``forked`` (a thread forked by
    update_state), ``rebuilt`` (a thread rebuilt from its checkpointer, with no timings), or
    a fixture graph of graphs.py."""
    from graphs import CASES
    from helpers import forked_run

    import pregel_viz

    if name == "sends":
        return real_run()
    if name == "forked":
        return forked_run()
    if name == "rebuilt":
        from langgraph.checkpoint.memory import InMemorySaver

        case = CASES["interrupt_twice"]
        graph = case.build(InMemorySaver())
        config = {"configurable": {"thread_id": "rebuilt"}}
        graph.invoke(case.input, config)
        return pregel_viz.from_checkpointer(graph, config)
    case = CASES[name]
    return pregel_viz.record(case.build(None), case.input, resume=list(case.resume))


def all_names() -> list[str]:
    """Every recording :func:`recorded` makes (the fixture graphs that are not slow)."""
    from graphs import CASES

    return [*DEFAULT, "rebuilt", *(n for n, c in CASES.items() if not c.slow and n not in DEFAULT)]


def log_of(events: list[dict[str, Any]]) -> bytes:
    return HEADER + b"".join(frame_bytes(ormsgpack.packb(e)) for e in events)


def _parts(node: Any, depth: int, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every field of an event, and to the parts of its fields, ``depth`` levels down."""
    if depth == 0:
        return
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if prefix or key != "k":
            yield (*prefix, key)
            if isinstance(value, (dict, list)):
                yield from _parts(value, depth - 1, (*prefix, key))


def _replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = node.copy()
    if len(path) > 1:
        copy[path[0]] = _replaced(node[path[0]], path[1:], value)
    elif value is _DROP:
        del copy[path[0]]
    else:
        copy[path[0]] = value
    return copy


def mutations(
    events: list[dict[str, Any]],
    *,
    every_event: bool,
    seen: set[tuple[Any, ...]] | None = None,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The events with one part replaced, for each part and each wrong value.

    Without ``every_event``, a part is mutated in the first event that has it: list positions,
    and the keys of a field's map (channel and node names), are not told apart. ``seen`` is the
    set of kinds already mutated (shared between logs, a kind is mutated in the first log only).
    """
    seen = set() if seen is None else seen
    for i, event in enumerate(events):
        for path in _parts(event, 3):
            # a map's keys two levels down are names (channels, nodes): not told apart
            kind = (
                event["k"],
                path[0],
                *(p if j == 2 and isinstance(p, str) else "#" for j, p in enumerate(path[1:], 1)),
            )
            if not every_event:
                if kind in seen:
                    continue
                seen.add(kind)
            for value in WRONG[len(path)]:
                out = list(events)
                out[i] = _replaced(event, path, value)
                yield f"event {i} ({event['k']}) {list(path)} = {value!r}", out


def fuzz(names: list[str], tally: Tally, *, every_event: bool, once: bool = False) -> None:
    """Put the mutated logs of each recording through the pipeline; with ``once``, each kind
    of part is mutated in the first recording that has it, not again in the later ones."""
    seen: set[tuple[Any, ...]] = set()
    with small_viewer():
        for name in names:
            run = recorded(name)
            kinds = seen if once else None
            for label, events in mutations(run.events, every_event=every_event, seen=kinds):
                tally.check(log_of(events), f"{name}: {label}", reference=run)


# --------------------------------------------------------------------------- the tests


tally = tally_fixture("pipeline fuzz (real logs with wrong values)")


@pytest.mark.parametrize("name", DEFAULT)
def test_given_real_logs_with_each_kind_of_field_made_wrong_when_read_and_shown_then_no_crash(
    name: str, tally: Tally
) -> None:
    before = tally.tried
    fuzz([name], tally, every_event=False)
    assert tally.tried - before > 500
    assert not tally.crashes


@pytest.mark.slow
def test_given_every_fixture_log_with_each_kind_of_field_made_wrong_then_no_crash(
    tally: Tally,
) -> None:
    # every kind of part of every other fixture log, each in the first log that has it (the
    # same kind in each of thirty logs took 4.5 minutes and found nothing the first did not;
    # `python tests/test_pipeline_fuzz.py --slow` mutates it in every log)
    before = tally.tried
    fuzz(all_names()[len(DEFAULT) :], tally, every_event=False, once=True)
    assert tally.tried - before > 1000
    assert not tally.crashes


if __name__ == "__main__":  # count the crashes (of this code or of another checkout's)
    # --slow: every fixture log; --every-event: each part mutated in every event that has it
    counted = Tally(strict=False)
    names = all_names() if "--slow" in sys.argv else list(DEFAULT)
    fuzz(names, counted, every_event="--every-event" in sys.argv)
    print(counted.report("pipeline fuzz (real logs with wrong values)"))
    signatures: dict[str, int] = {}
    for where, error in counted.crashes:
        signatures[error[:120]] = signatures.get(error[:120], 0) + 1
        print(f"  {where}: {error[:160]}")
    print(f"{len(signatures)} distinct crash message(s)")
    sys.exit(1 if counted.crashes else 0)
