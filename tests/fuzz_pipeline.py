"""The whole pipeline a log goes through, for the fuzzers: load, the viewer's document, narration,
comparison, the side-by-side document, the HTML pages and the export.

The property: a log either is refused at load with a :class:`~pregel_viz.errors.PregelVizError`,
or every consumer of the run it gives works without raising anything.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypedDict
from unittest import mock

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send, interrupt

from pregel_viz import recording
from pregel_viz.analysis.compare import compare, compare_fork
from pregel_viz.analysis.narrate import narrate
from pregel_viz.errors import PregelVizError, PregelVizWarning
from pregel_viz.model import Run
from pregel_viz.reader import read_bytes
from pregel_viz.views.compare_view import compare_payload, fork_payload
from pregel_viz.views.html import compare_to_html, to_html
from pregel_viz.views.payload import build_payload


class Tally:
    """How many inputs a fuzzer tried, how many loaded, and the crashes it saw (in ``strict``
    mode a crash is raised at once)."""

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict
        self.tried = 0
        self.loaded = 0
        self.crashes: list[tuple[str, str]] = []

    def check(self, data: bytes, label: str = "", reference: Run | None = None) -> Run | None:
        """:func:`pipeline`, counted."""
        self.tried += 1
        try:
            run = pipeline(data, reference)
        except Exception as exc:
            if self.strict:
                raise AssertionError(f"{label}: {type(exc).__name__}: {exc}") from exc
            self.crashes.append((label, f"{type(exc).__name__}: {exc}"))
            return None
        self.loaded += run is not None
        return run

    def report(self, what: str) -> str:
        return (
            f"{what}: {self.tried} inputs tried, {self.loaded} loaded, crashes: {len(self.crashes)}"
        )


def tally_fixture(what: str, counted: Tally | None = None, *, autouse: bool = False) -> Any:
    """A module-scoped fixture counting a test module's inputs in ``counted`` (a new Tally by
    default), with the small viewer bundle; the count is written to the terminal at the end."""

    @pytest.fixture(scope="module", autouse=autouse)
    def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
        count = counted if counted is not None else Tally()
        with small_viewer():
            yield count
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None and capture is not None and count.tried:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\n{count.report(what)}")

    return tally


def load(data: bytes) -> Run | None:
    """The run in ``data``, or ``None`` when the reader refuses it with a PregelVizError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PregelVizWarning)  # a truncated log
            return read_bytes(data, source="fuzz")
    except PregelVizError:
        return None


def pipeline(data: bytes, reference: Run | None = None) -> Run | None:
    """Load ``data`` and, when it loads, put the run through every consumer (compared with
    itself and with ``reference``)."""
    run = load(data)
    if run is not None:
        consume(run, reference)
    return run


def _json(doc: Any) -> None:
    json.dumps(doc, allow_nan=False)


def consume(run: Run, reference: Run | None = None) -> None:
    """Everything a user can do with a loaded run; raises whatever a consumer raises.

    Compared with itself (every namespace, and as a fork of itself) and with ``reference``
    (both ways, and side by side).
    """
    _json(build_payload(run))
    to_html(run)  # payload_json
    _json(run.to_dict())
    run.summary()
    repr(run)
    str(narrate(run))
    for label, thread in run.threads.items():
        for ns in thread.namespaces:
            story = narrate(run, thread=label, ns=ns)
            str(story)
            _json(story.to_dict())
            str(compare(run, run, thread_a=label, thread_b=label, ns=ns))
    _json(fork_payload(run))
    str(compare_fork(run))
    if reference is not None:
        for a, b in ((run, reference), (reference, run)):
            result = compare(a, b)
            str(result)
            _json(result.to_dict())
        doc = compare_payload(run, reference)
        _json(doc)
        compare_to_html(doc)
    for thread in run.threads.values():
        for space in thread.namespaces.values():
            space.edges_taken()
            for s in space.supersteps:
                _ = (s.values, s.updated, s.next_tasks, s.start, s.end)
                for t in s.tasks:
                    _ = (t.status, t.state_writes, t.duration)


@contextlib.contextmanager
def small_viewer() -> Iterator[None]:
    """The HTML pages built with a stand-in for the viewer bundle: the pages still hold the
    run's document, without copying a megabyte of JavaScript for every input."""
    with tempfile.TemporaryDirectory() as tmp:
        js, css = Path(tmp) / "viewer.js", Path(tmp) / "viewer.css"
        js.write_text("export function mount() {}\n", encoding="utf-8")
        css.write_text("", encoding="utf-8")
        with mock.patch("pregel_viz.views.html.viewer_assets", return_value=(js, css)):
            yield


# --------------------------------------------------------------------------- a real log


class FuzzState(TypedDict, total=False):
    items: list[str]
    results: Annotated[list[str], operator.add]
    answer: str
    route: str


def _graph() -> Any:
    def plan(state: FuzzState) -> dict[str, Any]:
        return {"items": ["a", "b"], "route": "ask"}

    def fan_out(state: FuzzState) -> list[Send]:
        return [Send("work", {"items": [i]}) for i in state["items"]]

    def work(state: FuzzState) -> dict[str, Any]:
        return {"results": [x.upper() for x in state["items"]]}

    def ask(state: FuzzState) -> dict[str, Any]:
        return {"answer": interrupt("ok? <script>alert(1)</script>")}

    g = StateGraph(FuzzState)
    g.add_node("plan", plan)
    g.add_node("work", work)
    g.add_node("ask", ask)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", fan_out, ["work"])
    g.add_edge("work", "ask")
    g.add_edge("ask", END)
    return g.compile()


@functools.lru_cache(maxsize=1)
def real_log() -> bytes:
    """A real recording (Sends, a reducer, an interrupt and its resume: two calls), as bytes."""
    graph = _graph().copy(update={"checkpointer": InMemorySaver()})
    config = {"configurable": {"thread_id": "fuzz"}}
    with recording(graph) as rec:
        graph.invoke({"items": []}, config)
        graph.invoke(Command(resume="yes"), config)
    data: bytes = rec.recorder.writer.getvalue()
    return data


def real_run() -> Run:
    """The run of :func:`real_log` (a new one each time: its consumers may not share it)."""
    return read_bytes(real_log(), source="real")
