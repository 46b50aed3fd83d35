"""Recording never changes what a program does (issue #10, items 4-8).

Each test runs a graph plainly and recorded (``record``, a ``recording()`` block, automatic
recording; sync and async) and compares every observable result: return values, streamed
output, exceptions. The cases: state LangGraph cannot serialize, an exception whose ``__str__``
raises, a log file that stops accepting writes, user ``__repr__``/``__str__`` raising
``SystemExit``, and recordings of one graph from several threads.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

import pregel_viz
from pregel_viz import auto
from pregel_viz.logfile import encode_event
from pregel_viz.model import Run
from pregel_viz.values import tag, to_safe


@pytest.fixture(autouse=True)
def _auto_off() -> Any:
    auto.disable()
    yield
    auto.disable()


# --- graphs -----------------------------------------------------------------------------------


class Opaque:
    """A plain object: LangGraph's serializer refuses it."""


KINDS = ("generator", "lock", "lambda", "object", "cyclic_list")


def _value(kind: str) -> Any:
    if kind == "generator":
        return (i for i in range(3))
    if kind == "lock":
        return threading.Lock()
    if kind == "lambda":
        return lambda x: x
    if kind == "object":
        return Opaque()
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    return cyclic


class Held(TypedDict, total=False):
    held: Any
    n: int


def _holding(value: Any, checkpointer: Any = None, *, ask: bool = False) -> Any:
    """put -> check: ``put`` stores ``value`` in the state, ``check`` sees that very object
    (``ask``: and asks a question with ``interrupt()`` first)."""
    seen: list[bool] = []

    def put(state: Held) -> dict[str, Any]:
        return {"held": value, "n": state.get("n", 0) + 1}

    def check(state: Held) -> dict[str, Any]:
        if ask:
            interrupt("go on?")
        seen.append(state["held"] is value)
        return {"n": state["n"] + 1}

    g = StateGraph(Held)
    g.add_node("put", put)
    g.add_node("check", check)
    g.add_edge(START, "put")
    g.add_edge("put", "check")
    graph = g.compile(checkpointer=checkpointer)
    graph.seen = seen  # type: ignore[attr-defined]
    return graph


class Log(TypedDict):
    log: list[str]


def _linear(checkpointer: Any = None, *, probe: list[Any] | None = None) -> Any:
    """a -> b, appending to ``log``; ``probe`` collects what node a sees of its config."""

    def a(state: Log, config: RunnableConfig) -> dict[str, list[str]]:
        if probe is not None:
            conf = config["configurable"]
            probe.append((conf.get("thread_id"), sorted(k for k in conf if not k.startswith("__"))))
        return {"log": [*state["log"], "a"]}

    def b(state: Log) -> dict[str, list[str]]:
        return {"log": [*state["log"], "b"]}

    g = StateGraph(Log)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    return g.compile(checkpointer=checkpointer)


class Count(TypedDict):
    n: int


def _loop(steps: int, checkpointer: Any = None) -> Any:
    g = StateGraph(Count)
    g.add_node("tick", lambda s: {"n": s["n"] + 1})
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] < steps else END)
    return g.compile(checkpointer=checkpointer)


def _final(run: Run) -> dict[str, Any]:
    return run.state_at(run.supersteps[-1].step)


def _auto_run(fn: Any) -> tuple[Any, Run]:
    auto.enable()
    try:
        out = fn()
    finally:
        auto.disable()
    return out, auto.runs()[-1]


# --- item 5: an exception whose __str__ raises -------------------------------------------------


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise ValueError("no str")


def _failing(raised: list[BaseException], checkpointer: Any = None) -> Any:
    def boom(state: Log) -> dict[str, list[str]]:
        exc = UnprintableError()
        raised.append(exc)
        raise exc

    g = StateGraph(Log)
    g.add_node("boom", boom)
    g.add_edge(START, "boom")
    return g.compile(checkpointer=checkpointer)


PLACEHOLDER = "<str() failed: ValueError>"


def _check_unprintable(run: Run) -> None:
    assert run.outcome["status"] == "error"
    assert run.outcome["error"] == {"type": "UnprintableError", "message": PLACEHOLDER}
    (task,) = [t for t in run.thread.tasks() if t.name == "boom"]
    assert task.attempts[-1].error == {"type": "UnprintableError", "message": PLACEHOLDER}


@pytest.mark.parametrize("is_async", [False, True], ids=["invoke", "ainvoke"])
def test_an_unprintable_exception_reaches_its_caller_and_is_recorded(is_async: bool) -> None:
    raised: list[BaseException] = []
    graph = _failing(raised)
    with pregel_viz.recording(graph) as rec, pytest.raises(UnprintableError) as info:
        if is_async:
            asyncio.run(graph.ainvoke({"log": []}))
        else:
            graph.invoke({"log": []})
    assert info.value is raised[-1]
    _check_unprintable(rec.run)


def test_an_unprintable_exception_is_the_outcome_of_record_and_auto() -> None:
    _check_unprintable(pregel_viz.record(_failing([]), {"log": []}))
    raised: list[BaseException] = []

    def call() -> None:
        with pytest.raises(UnprintableError) as info:
            _failing(raised).invoke({"log": []})
        assert info.value is raised[-1]

    _, run = _auto_run(call)
    _check_unprintable(run)


# --- item 7: user code raising SystemExit while its values are tagged ---------------------------


class ExitingRepr:
    def __repr__(self) -> str:
        raise SystemExit("from __repr__")


class InterruptingRepr:
    def __repr__(self) -> str:
        raise KeyboardInterrupt


class ExitingName(str):
    """A str LangGraph serializes as it is; its __str__ and __repr__ exit."""

    def __str__(self) -> str:
        raise SystemExit("from __str__")

    def __repr__(self) -> str:
        raise SystemExit("from __repr__")


def test_tagging_swallows_system_exit_but_not_keyboard_interrupt() -> None:
    assert tag(ExitingRepr())["$repr"].startswith("<unrepresentable")
    assert tag(ExitingName("x"))["$repr"] == "<untaggable: SystemExit>"
    assert "$type" in to_safe({"deep": [ExitingRepr()]})["deep"][0]
    encode_event({"k": "x", "v": ExitingRepr(), "w": ExitingName("y")})
    with pytest.raises(KeyboardInterrupt):
        tag(InterruptingRepr())


class Named(TypedDict, total=False):
    name: Any
    n: int


def _naming(checkpointer: Any = None) -> Any:
    g = StateGraph(Named)
    g.add_node("put", lambda s: {"name": ExitingName("x"), "n": 1})
    g.add_edge(START, "put")
    return g.compile(checkpointer=checkpointer)


def test_a_repr_that_exits_does_not_end_the_recorded_call() -> None:
    config: RunnableConfig = {"configurable": {"thread_id": "t"}}
    plain = _naming(InMemorySaver()).invoke({"n": 0}, config)
    graph = _naming(InMemorySaver())
    with pregel_viz.recording(graph) as rec:
        got = graph.invoke({"n": 0}, config)
    assert type(got["name"]) is ExitingName and got["n"] == plain["n"] == 1
    assert rec.run.outcome["status"] == "completed"
    assert _final(rec.run)["name"]["$repr"] == "<untaggable: SystemExit>"
