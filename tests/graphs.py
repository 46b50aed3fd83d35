"""A corpus of small, real LangGraph fixture graphs (no mocks, no LLMs, deterministic).

Each :class:`Case` builds a fresh compiled graph via ``build(checkpointer)``; closures created in
``build`` (counters etc.) are therefore never shared between runs. :func:`run_plain` runs a case
with plain LangGraph.
"""

import asyncio
import datetime as dt
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.channels import (
    AnyValue,
    BinaryOperatorAggregate,
    DeltaChannel,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Topic,
    UntrackedValue,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.func import entrypoint, task
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, Overwrite, RetryPolicy, Send, interrupt
from pydantic import BaseModel, Field

__all__ = [
    "CASES",
    "CONTINUE",
    "HOSTILE_IMG",
    "HOSTILE_NODE",
    "HOSTILE_SCRIPT",
    "HOSTILE_TEXTAREA",
    "Case",
    "FlakyError",
    "Point",
    "Weird",
    "run_plain",
]

CONTINUE: Any = object()
"""Resume sentinel: continue with ``invoke(None)`` (static interrupt_before/after)."""


@dataclass(frozen=True)
class Case:
    """One fixture graph plus how to run it and what it is expected to do."""

    name: str
    build: Callable[[Any], Any]
    input: Any
    resume: tuple[Any, ...] = ()
    is_async: bool = False
    raises: type[BaseException] | None = None
    needs_checkpointer: bool = False
    expect_nodes: frozenset[str] = frozenset()
    slow: bool = False
    config: dict[str, Any] = field(default_factory=dict)


def run_plain(case: Case, checkpointer: Any = None, thread_id: str = "t1") -> tuple[Any, Any]:
    """Run ``case`` (input, then each resume round) on one thread with plain LangGraph.

    Returns ``(graph, last_result_or_exception)``. An exception stops the rounds and is returned,
    not raised. If the case needs a checkpointer and none is given, an InMemorySaver is used.
    """
    if checkpointer is None and case.needs_checkpointer:
        checkpointer = InMemorySaver()
    graph = case.build(checkpointer)
    config: dict[str, Any] = {
        **case.config,
        "configurable": {**case.config.get("configurable", {}), "thread_id": thread_id},
    }
    return graph, run_rounds(graph, case, config)


def rounds_of(case: Case) -> list[Any]:
    """What ``case`` is called with, in order: its input, then each resume round."""
    return [case.input, *(None if r is CONTINUE else Command(resume=r) for r in case.resume)]


def run_rounds(graph: Any, case: Case, config: dict[str, Any]) -> Any:
    """Call ``graph`` with each round of ``case`` on ``config``'s thread; the last result, or the
    exception that stopped the rounds (returned, not raised)."""
    result: Any = None
    for payload in rounds_of(case):
        try:
            if case.is_async:
                result = asyncio.run(graph.ainvoke(payload, config))
            else:
                result = graph.invoke(payload, config)
        except Exception as exc:
            return exc
    return result


# --------------------------------------------------------------------------- shared state types


class LogState(TypedDict):
    """A log that accumulates across parallel writers."""

    log: Annotated[list[str], operator.add]


class RouteState(TypedDict):
    """A value to route on plus an accumulating log."""

    value: int
    log: Annotated[list[str], operator.add]


class PathState(TypedDict):
    """A plain (LastValue) path, safe to share with subgraphs (no reducer double-counting)."""

    path: list[str]


def _logger(name: str) -> Callable[[Any], dict[str, list[str]]]:
    """A node that appends its own name to ``log``."""

    def node(state: Any) -> dict[str, list[str]]:
        return {"log": [name]}

    return node


def _stepper(name: str) -> Callable[[PathState], dict[str, list[str]]]:
    """A node that appends its own name to ``path`` (LastValue)."""

    def node(state: PathState) -> dict[str, list[str]]:
        return {"path": [*state["path"], name]}

    return node


# --------------------------------------------------------------------------- 1. conditional edges


def _route_by_size(state: RouteState) -> str:
    return "big" if state["value"] > 10 else "small"


def build_conditional_path_map(checkpointer: Any) -> Any:
    """classify -> {big: handle_big, small: handle_small} via a dict path_map."""
    g = StateGraph(RouteState)
    g.add_node("classify", _logger("classify"))
    g.add_node("handle_big", _logger("handle_big"))
    g.add_node("handle_small", _logger("handle_small"))
    g.add_edge(START, "classify")
    g.add_conditional_edges(
        "classify", _route_by_size, {"big": "handle_big", "small": "handle_small"}
    )
    g.add_edge("handle_big", END)
    g.add_edge("handle_small", END)
    return g.compile(checkpointer=checkpointer)


def build_conditional_no_path_map(checkpointer: Any) -> Any:
    """classify -> router returns a node name; no path_map, no Literal: undrawable edge."""

    def router(state: RouteState) -> str:  # a plain str: no Literal to draw from
        return "handle_big" if state["value"] > 10 else "handle_small"

    g = StateGraph(RouteState)
    g.add_node("classify", _logger("classify"))
    g.add_node("handle_big", _logger("handle_big"))
    g.add_node("handle_small", _logger("handle_small"))
    g.add_edge(START, "classify")
    g.add_conditional_edges("classify", router)
    g.add_edge("handle_big", END)
    g.add_edge("handle_small", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 2. fan-out / fan-in


def build_fanout_fanin(checkpointer: Any) -> Any:
    """a -> (b, c) in one superstep, then add_edge(["b", "c"], "d")."""
    g = StateGraph(LogState)
    for name in ("a", "b", "c", "d"):
        g.add_node(name, _logger(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "c")
    g.add_edge(["b", "c"], "d")
    g.add_edge("d", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 3. Send map-reduce


class MapState(TypedDict):
    """Items to map over, mapped results (reduced), and a summary."""

    items: list[str]
    results: Annotated[list[str], operator.add]
    summary: str


class WorkerInput(TypedDict):
    """The private payload of one Send."""

    item: str


def _worker(state: WorkerInput) -> dict[str, list[str]]:
    return {"results": [state["item"].upper()]}


def build_send_map_reduce(checkpointer: Any) -> Any:
    """plan -> [Send("worker", {"item": i}) for i in items] -> reduce."""

    def fan_out(state: MapState) -> list[Send]:
        return [Send("worker", {"item": item}) for item in state["items"]]

    def reduce(state: MapState) -> dict[str, str]:
        return {"summary": ",".join(sorted(state["results"]))}

    g = StateGraph(MapState)
    g.add_node("plan", lambda state: {})
    g.add_node("worker", _worker, input_schema=WorkerInput)
    g.add_node("reduce", reduce)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", fan_out, ["worker"])
    g.add_edge("worker", "reduce")
    g.add_edge("reduce", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 4. Command


def build_command_goto(checkpointer: Any) -> Any:
    """router: Command(goto) with destinations=; hop: bare Command(goto), no hints at all."""

    def router(state: LogState) -> Command[Any]:  # targets declared via destinations=
        return Command(goto="hop", update={"log": ["router"]})

    def hop(state: LogState) -> Command[Any]:  # targets not declared anywhere
        return Command(goto="finish", update={"log": ["hop"]})

    g = StateGraph(LogState)
    g.add_node("router", router, destinations=("hop", "unused"))
    g.add_node("hop", hop)
    g.add_node("unused", _logger("unused"))
    g.add_node("finish", _logger("finish"))
    g.add_edge(START, "router")
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)


def build_command_parent(checkpointer: Any) -> Any:
    """A subgraph node returns Command(graph=PARENT, goto="rescue", update=...)."""

    # NB: annotating this as Command[Literal["rescue"]] makes sub.compile() fail
    # ("Found edge ending at unknown node `rescue`"): the parent declares it via destinations=.
    def escalate(state: LogState) -> Command[Any]:
        return Command(graph=Command.PARENT, goto="rescue", update={"log": ["escalate"]})

    sub = StateGraph(LogState)
    sub.add_node("inner_before", _logger("inner_before"))
    sub.add_node("escalate", escalate)
    sub.add_edge(START, "inner_before")
    sub.add_edge("inner_before", "escalate")

    g = StateGraph(LogState)
    g.add_node("entry", _logger("entry"))
    g.add_node("sub", sub.compile(), destinations=("rescue",))
    g.add_node("after_sub", _logger("after_sub"))
    g.add_node("rescue", _logger("rescue"))
    g.add_edge(START, "entry")
    g.add_edge("entry", "sub")
    g.add_edge("sub", "after_sub")
    g.add_edge("after_sub", END)
    g.add_edge("rescue", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 5. subgraphs


def build_subgraph_node(checkpointer: Any) -> Any:
    """A compiled subgraph (child_a -> child_b) added as node "child"."""
    sub = StateGraph(PathState)
    sub.add_node("child_a", _stepper("child_a"))
    sub.add_node("child_b", _stepper("child_b"))
    sub.add_edge(START, "child_a")
    sub.add_edge("child_a", "child_b")

    g = StateGraph(PathState)
    g.add_node("prepare", _stepper("prepare"))
    g.add_node("child", sub.compile())
    g.add_node("finish", _stepper("finish"))
    g.add_edge(START, "prepare")
    g.add_edge("prepare", "child")
    g.add_edge("child", "finish")
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)


class TextState(TypedDict):
    """Parent state of the subgraph-in-node case."""

    text: str
    word_count: int


class SplitState(TypedDict):
    """A different schema, private to the invoked subgraph."""

    text: str
    words: list[str]


def build_subgraph_in_node(checkpointer: Any) -> Any:
    """Node "delegate" calls sub.invoke(...) in its body (a different state schema)."""

    def split(state: SplitState) -> dict[str, list[str]]:
        return {"words": state["text"].split()}

    def dedupe(state: SplitState) -> dict[str, list[str]]:
        return {"words": sorted(set(state["words"]))}

    sub_builder = StateGraph(SplitState)
    sub_builder.add_node("split", split)
    sub_builder.add_node("dedupe", dedupe)
    sub_builder.add_edge(START, "split")
    sub_builder.add_edge("split", "dedupe")
    sub = sub_builder.compile()

    def delegate(state: TextState) -> dict[str, int]:
        out = sub.invoke({"text": state["text"], "words": []})
        return {"word_count": len(out["words"])}

    g = StateGraph(TextState)
    g.add_node("delegate", delegate)
    g.add_edge(START, "delegate")
    g.add_edge("delegate", END)
    return g.compile(checkpointer=checkpointer)


def build_nested_subgraphs(checkpointer: Any) -> Any:
    """root: outer_prep -> mid; mid: mid_step -> leaf; leaf: leaf_step (two levels)."""
    leaf = StateGraph(PathState)
    leaf.add_node("leaf_step", _stepper("leaf_step"))
    leaf.add_edge(START, "leaf_step")

    mid = StateGraph(PathState)
    mid.add_node("mid_step", _stepper("mid_step"))
    mid.add_node("leaf", leaf.compile())
    mid.add_edge(START, "mid_step")
    mid.add_edge("mid_step", "leaf")

    g = StateGraph(PathState)
    g.add_node("outer_prep", _stepper("outer_prep"))
    g.add_node("mid", mid.compile())
    g.add_node("outer_done", _stepper("outer_done"))
    g.add_edge(START, "outer_prep")
    g.add_edge("outer_prep", "mid")
    g.add_edge("mid", "outer_done")
    g.add_edge("outer_done", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 6./7. interrupts


class AskState(TypedDict, total=False):
    """Answers gathered through interrupt() and a log."""

    answers: list[Any]
    log: Annotated[list[str], operator.add]
    ask_runs: int


def build_interrupt_twice(checkpointer: Any) -> Any:
    """Node "ask" calls interrupt() twice; node "confirm" interrupts once more (3 rounds)."""
    runs = {"ask": 0}

    def ask(state: AskState) -> dict[str, Any]:
        runs["ask"] += 1  # the node body re-runs from the top on every resume
        first = interrupt("first?")
        second = interrupt({"question": "second?", "previous": first})
        return {"answers": [first, second], "ask_runs": runs["ask"]}

    def confirm(state: AskState) -> dict[str, list[str]]:
        ok = interrupt("confirm?")
        return {"log": [f"confirm:{ok}"]}

    g = StateGraph(AskState)
    g.add_node("ask", ask)
    g.add_node("confirm", confirm)
    g.add_edge(START, "ask")
    g.add_edge("ask", "confirm")
    g.add_edge("confirm", END)
    return g.compile(checkpointer=checkpointer)


def _linear_review(
    checkpointer: Any, *, before: list[str] | None = None, after: list[str] | None = None
) -> Any:
    g = StateGraph(LogState)
    for name in ("draft", "review", "publish"):
        g.add_node(name, _logger(name))
    g.add_edge(START, "draft")
    g.add_edge("draft", "review")
    g.add_edge("review", "publish")
    g.add_edge("publish", END)
    return g.compile(checkpointer=checkpointer, interrupt_before=before, interrupt_after=after)


def build_static_interrupt_before(checkpointer: Any) -> Any:
    """draft -> review -> publish with interrupt_before=["review"]."""
    return _linear_review(checkpointer, before=["review"])


def build_static_interrupt_after(checkpointer: Any) -> Any:
    """draft -> review -> publish with interrupt_after=["review"]."""
    return _linear_review(checkpointer, after=["review"])


def build_static_interrupt_both(checkpointer: Any) -> Any:
    """interrupt_after=["draft"] and interrupt_before=["review"]: same boundary, one pause."""
    return _linear_review(checkpointer, before=["review"], after=["draft"])


# --------------------------------------------------------------------------- 8./9. errors, retry


def build_parallel_error(checkpointer: Any) -> Any:
    """fan -> (ok_left, boom, ok_right); boom raises ValueError, siblings succeed."""

    def boom(state: LogState) -> dict[str, list[str]]:
        # fail after the siblings are done, so that every run saves the same sibling writes
        # (a task still running when one fails may or may not get to commit); 50 ms was not
        # always enough on a loaded 2-core machine (3 lost sibling writes in ~1,200 runs)
        time.sleep(0.25)
        raise ValueError("boom: deliberate failure")

    g = StateGraph(LogState)
    g.add_node("fan", _logger("fan"))
    g.add_node("ok_left", _logger("ok_left"))
    g.add_node("boom", boom)
    g.add_node("ok_right", _logger("ok_right"))
    g.add_node("after", _logger("after"))
    g.add_edge(START, "fan")
    for name in ("ok_left", "boom", "ok_right"):
        g.add_edge("fan", name)
    g.add_edge(["ok_left", "boom", "ok_right"], "after")
    g.add_edge("after", END)
    return g.compile(checkpointer=checkpointer)


class FlakyError(Exception):
    """A transient error (retried by LangGraph's default retry_on, unlike ValueError)."""


class RetryState(TypedDict, total=False):
    """How many attempts the flaky node needed."""

    attempts: int
    log: Annotated[list[str], operator.add]


def build_retry_policy(checkpointer: Any) -> Any:
    """Node "flaky" fails twice with FlakyError, succeeds on attempt 3."""
    counter = {"attempts": 0}

    def flaky(state: RetryState) -> dict[str, Any]:
        counter["attempts"] += 1
        if counter["attempts"] < 3:
            raise FlakyError(f"attempt {counter['attempts']} failed")
        return {"attempts": counter["attempts"], "log": ["flaky"]}

    g = StateGraph(RetryState)
    g.add_node(
        "flaky",
        flaky,
        retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.01, jitter=False),
    )
    g.add_node("after", _logger("after"))
    g.add_edge(START, "flaky")
    g.add_edge("flaky", "after")
    g.add_edge("after", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 10. defer


def build_defer_fanin(checkpointer: Any) -> Any:
    """a -> long_1 -> long_2 -> long_3 and a -> short_1, both -> join (defer=True)."""

    def join(state: LogState) -> dict[str, list[str]]:
        return {"log": [f"join:{len(state['log'])}"]}

    g = StateGraph(LogState)
    for name in ("a", "long_1", "long_2", "long_3", "short_1"):
        g.add_node(name, _logger(name))
    g.add_node("join", join, defer=True)
    g.add_edge(START, "a")
    g.add_edge("a", "long_1")
    g.add_edge("long_1", "long_2")
    g.add_edge("long_2", "long_3")
    g.add_edge("a", "short_1")
    g.add_edge("long_3", "join")
    g.add_edge("short_1", "join")
    g.add_edge("join", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 11. async


class AsyncState(TypedDict, total=False):
    """Results of async nodes."""

    seeds: list[int]
    fetched: list[int]
    log: Annotated[list[str], operator.add]
    total: int


def build_async_fanout(checkpointer: Any) -> Any:
    """fetch_all (asyncio.gather inside) -> (a1, a2, a3) in parallel -> merge; all async."""

    async def fetch_one(seed: int) -> int:
        await asyncio.sleep(0.005 * (3 - seed % 3))
        return seed * 10

    async def fetch_all(state: AsyncState) -> dict[str, Any]:
        fetched = await asyncio.gather(*(fetch_one(s) for s in state["seeds"]))
        return {"fetched": list(fetched), "log": ["fetch_all"]}

    def make_branch(name: str, delay: float) -> Callable[[AsyncState], Any]:
        async def branch(state: AsyncState) -> dict[str, list[str]]:
            await asyncio.sleep(delay)
            return {"log": [name]}

        return branch

    async def merge(state: AsyncState) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"total": sum(state["fetched"]), "log": ["merge"]}

    g = StateGraph(AsyncState)
    g.add_node("fetch_all", fetch_all)
    for i, name in enumerate(("a1", "a2", "a3")):
        g.add_node(name, make_branch(name, 0.03 - 0.01 * i))
    g.add_node("merge", merge)
    g.add_edge(START, "fetch_all")
    for name in ("a1", "a2", "a3"):
        g.add_edge("fetch_all", name)
    g.add_edge(["a1", "a2", "a3"], "merge")
    g.add_edge("merge", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 12. messages


def build_messages_state(checkpointer: Any) -> Any:
    """MessagesState: bot appends an AIMessage, editor replaces it by id (add_messages)."""

    def bot(state: MessagesState) -> dict[str, list[AnyMessage]]:
        last = state["messages"][-1]
        return {"messages": [AIMessage(content=f"echo: {last.content}", id="ai-1")]}

    def editor(state: MessagesState) -> dict[str, list[AnyMessage]]:
        ai = state["messages"][-1]
        return {"messages": [AIMessage(content=f"{ai.content} (edited)", id="ai-1")]}

    g = StateGraph(MessagesState)
    g.add_node("bot", bot)
    g.add_node("editor", editor)
    g.add_edge(START, "bot")
    g.add_edge("bot", "editor")
    g.add_edge("editor", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 13. io schemas


class QuestionIn(TypedDict):
    """Input schema."""

    question: str


class AnswerOut(TypedDict):
    """Output schema."""

    answer: str


class QAState(TypedDict, total=False):
    """Full internal state (superset of input and output)."""

    question: str
    notes: list[str]
    answer: str


def build_io_schemas(checkpointer: Any) -> Any:
    """StateGraph(QAState, input_schema=QuestionIn, output_schema=AnswerOut)."""

    def think(state: QAState) -> dict[str, list[str]]:
        return {"notes": [w.lower() for w in state["question"].split()]}

    def answer(state: QAState) -> dict[str, str]:
        return {"answer": f"{len(state['notes'])} words"}

    g = StateGraph(QAState, input_schema=QuestionIn, output_schema=AnswerOut)
    g.add_node("think", think)
    g.add_node("answer", answer)
    g.add_edge(START, "think")
    g.add_edge("think", "answer")
    g.add_edge("answer", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 14. functional API


def build_functional_tasks(checkpointer: Any) -> Any:
    """@entrypoint fan-out: square(n) futures in parallel, then total(squares)."""

    @task
    def square(n: int) -> int:
        return n * n

    @task
    def total(values: list[int]) -> int:
        return sum(values)

    @entrypoint(checkpointer=checkpointer)
    def squares_workflow(numbers: list[int]) -> dict[str, Any]:
        futures = [square(n) for n in numbers]
        squares = [f.result() for f in futures]
        return {"squares": squares, "total": total(squares).result()}

    return squares_workflow


def build_functional_interrupt(checkpointer: Any) -> Any:
    """@entrypoint: prepare task, then interrupt() in the entrypoint body itself."""
    runs = {"entry": 0, "prepare": 0}

    @task
    def prepare(topic: str) -> str:
        runs["prepare"] += 1
        return f"draft about {topic}"

    @entrypoint(checkpointer=checkpointer)
    def approval_workflow(topic: str) -> dict[str, Any]:
        runs["entry"] += 1
        draft = prepare(topic).result()
        decision = interrupt({"question": "approve?", "draft": draft})
        return {
            "draft": draft,
            "decision": decision,
            "entry_runs": runs["entry"],
            "prepare_runs": runs["prepare"],
        }

    return approval_workflow


# --------------------------------------------------------------------------- 15. pydantic


class CounterModel(BaseModel):
    """Pydantic state with defaults, a reducer and validation."""

    count: int = 0
    label: str = "none"
    tags: Annotated[list[str], operator.add] = Field(default_factory=list)


def build_pydantic_state(checkpointer: Any) -> Any:
    """inc -> name over a pydantic BaseModel state."""

    def inc(state: CounterModel) -> dict[str, Any]:
        return {"count": state.count + 1, "tags": ["inc"]}

    def name(state: CounterModel) -> dict[str, Any]:
        return {"label": f"count={state.count}", "tags": ["name"]}

    g = StateGraph(CounterModel)
    g.add_node("inc", inc)
    g.add_node("name", name)
    g.add_edge(START, "inc")
    g.add_edge("inc", "name")
    g.add_edge("name", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 16./17. long, wide

LONG_LOOP_STEPS = 320
WIDE_FANOUT = 60


class LoopState(TypedDict):
    """A loop counter and its target."""

    i: int
    target: int


def build_long_loop(checkpointer: Any) -> Any:
    """tick with a conditional self-edge: runs ``target`` supersteps."""

    def tick(state: LoopState) -> dict[str, int]:
        return {"i": state["i"] + 1}

    def again(state: LoopState) -> str:
        return "tick" if state["i"] < state["target"] else END

    g = StateGraph(LoopState)
    g.add_node("tick", tick)
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", again)
    return g.compile(checkpointer=checkpointer)


class WideState(TypedDict, total=False):
    """Width of the fan-out and the reduced results."""

    n: int
    squares: Annotated[list[int], operator.add]
    total: int


class WideItem(TypedDict):
    """Payload of one wide Send."""

    k: int


def build_wide_fanout(checkpointer: Any) -> Any:
    """spread -> n Sends to "square" in ONE superstep -> gather."""

    def spread(state: WideState) -> list[Send]:
        return [Send("square", {"k": k}) for k in range(state["n"])]

    def square(state: WideItem) -> dict[str, list[int]]:
        return {"squares": [state["k"] * state["k"]]}

    def gather(state: WideState) -> dict[str, int]:
        return {"total": sum(state["squares"])}

    g = StateGraph(WideState)
    g.add_node("spread", lambda state: {})
    g.add_node("square", square, input_schema=WideItem)
    g.add_node("gather", gather)
    g.add_edge(START, "spread")
    g.add_conditional_edges("spread", spread, ["square"])
    g.add_edge("square", "gather")
    g.add_edge("gather", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 18. hostile values

HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_TEXTAREA = "</textarea>"
HOSTILE_NODE = HOSTILE_IMG
"""A node name that is itself an XSS payload."""
HOSTILE_NODE_2 = f"{HOSTILE_TEXTAREA}{HOSTILE_SCRIPT}"
BIG_STRING_LEN = 5 * 1024 * 1024


@dataclass
class Point:
    """A plain dataclass value (checkpointable by LangGraph's msgpack serde)."""

    x: int
    label: str


class Weird:
    """An opaque object: not JSON- or msgpack-serializable, only a (hostile) __repr__."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __repr__(self) -> str:
        return f"Weird({self.tag!r}) {HOSTILE_TEXTAREA}{HOSTILE_SCRIPT}"


HostileState = TypedDict(
    "HostileState",
    {
        "text": str,
        HOSTILE_SCRIPT: str,  # a state key (channel name) that is markup
        "mapping": dict[str, Any],
        "big": str,
        "raw": bytes,
        "tags": set[str],
        "when": dt.datetime,
        "point": Point,
        # never checkpointed (UntrackedValue), so the run works with any checkpointer:
        "opaque": Annotated[Any, UntrackedValue(object)],
        "seen": Annotated[list[str], operator.add],
    },
    total=False,
)


def build_hostile_values(checkpointer: Any) -> Any:
    """Markup in values, keys and node names; 5 MB, bytes, set, datetime, dataclass, cycles."""

    def produce(state: HostileState) -> dict[str, Any]:
        cyclic: list[Any] = [HOSTILE_SCRIPT]
        cyclic.append(cyclic)
        return {
            "text": state["text"] + HOSTILE_TEXTAREA,
            HOSTILE_SCRIPT: HOSTILE_IMG,
            "mapping": {
                **state["mapping"],
                HOSTILE_TEXTAREA: HOSTILE_SCRIPT,
                HOSTILE_IMG: {"nested": [HOSTILE_TEXTAREA, 1, None]},
            },
            "big": "x" * BIG_STRING_LEN,
            "raw": b"\x00\xff" + HOSTILE_SCRIPT.encode(),
            "tags": {HOSTILE_IMG, HOSTILE_TEXTAREA},
            "when": dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone.utc),
            "point": Point(x=1, label=HOSTILE_TEXTAREA),
            "opaque": {"weird": Weird(HOSTILE_IMG), "cyclic": cyclic},
            "seen": [HOSTILE_NODE],
        }

    def inspect_values(state: HostileState) -> dict[str, Any]:
        opaque = state["opaque"]
        cyclic = opaque["cyclic"]
        return {
            "seen": [
                f"big={len(state['big'])}",
                f"cyclic={cyclic[1] is cyclic}",
                f"weird={type(opaque['weird']).__name__}",
                f"tags={len(state['tags'])}",
            ]
        }

    g = StateGraph(HostileState)
    g.add_node(HOSTILE_NODE, produce)
    g.add_node(HOSTILE_NODE_2, inspect_values)
    g.add_edge(START, HOSTILE_NODE)
    g.add_edge(HOSTILE_NODE, HOSTILE_NODE_2)
    g.add_edge(HOSTILE_NODE_2, END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 19. channel variety


class ChannelState(TypedDict, total=False):
    """Explicit channels: Topic (accumulating and per-step), EphemeralValue, aggregates."""

    events: Annotated[list[str], Topic(str, accumulate=True)]
    recent: Annotated[list[str], Topic(str)]
    flash: Annotated[str, EphemeralValue(str)]
    total: Annotated[int, BinaryOperatorAggregate(int, operator.add)]
    last: Annotated[str, LastValue(str)]
    seen: Annotated[list[str], operator.add]


def build_channel_variety(checkpointer: Any) -> Any:
    """emit -> observe -> after; observe sees flash/recent from emit, after no longer does."""

    def emit(state: ChannelState) -> dict[str, Any]:
        return {
            "events": ["emit-1", "emit-2"],
            "recent": "emit",
            "flash": "from-emit",
            "total": 1,
            "last": "emit",
        }

    def observe(state: ChannelState) -> dict[str, Any]:
        return {
            "events": "observe",
            "recent": ["observe"],
            "total": 10,
            "last": "observe",
            "seen": [
                f"observe: flash={state.get('flash')} recent={state.get('recent')}"
                f" events={state.get('events')}"
            ],
        }

    def after(state: ChannelState) -> dict[str, Any]:
        return {
            "total": 100,
            "seen": [
                f"after: flash={state.get('flash')} recent={state.get('recent')}"
                f" total={state.get('total')}"
            ],
        }

    g = StateGraph(ChannelState)
    g.add_node("emit", emit)
    g.add_node("observe", observe)
    g.add_node("after", after)
    g.add_edge(START, "emit")
    g.add_edge("emit", "observe")
    g.add_edge("observe", "after")
    g.add_edge("after", END)
    return g.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------------- 20. channel classes


def _fold(state: list[str], writes: list[Any]) -> list[str]:
    """A DeltaChannel reducer: appends each write (a value or a list of values)."""
    out = list(state)
    for w in writes:
        out.extend(w if isinstance(w, list) else [w])
    return out


def class_schema(name: str, prefix: str = "", untracked: bool = True) -> Any:
    """A state with a key of every stdlib channel class (``last`` is shared, the others are
    named ``<prefix><key>``); every call makes fresh channel objects."""
    p = prefix
    fields: dict[str, Any] = {
        "last": str,
        f"{p}any": Annotated[str, AnyValue(str)],
        f"{p}flash": Annotated[str, EphemeralValue(str)],
        f"{p}total": Annotated[int, operator.add],
        f"{p}audit": Annotated[list[str], Topic(str, accumulate=True)],
        f"{p}recent": Annotated[list[str], Topic(str)],
        f"{p}gate": Annotated[Any, NamedBarrierValue(str, {"left", "right"})],
        f"{p}late_gate": Annotated[Any, NamedBarrierValueAfterFinish(str, {"left", "right"})],
        f"{p}verdict": Annotated[str, LastValueAfterFinish],
        f"{p}notes": Annotated[list[str], DeltaChannel(_fold, snapshot_frequency=3)],
        f"{p}log": Annotated[list[str], DeltaChannel(_fold)],
    }
    if untracked:
        fields[f"{p}untracked"] = Annotated[str, UntrackedValue(str)]
    return TypedDict(name, fields, total=False)  # type: ignore[operator]


# What each node writes (keys without the prefix). Steps: 1 open; 2 left, pre_right; 3 right;
# 4 collect; (the root graph: 5 the subgraph); then finish, after which the run is over and
# the AfterFinish channels release their values.
_CLASS_PLAN: dict[str, dict[str, Any]] = {
    "open": {
        "last": "open",
        "any": "open",
        "flash": "open",
        "untracked": "open",
        "total": 1,
        "audit": "open",
        "recent": "open",
        "notes": ["open"],
        "log": ["open"],
        "verdict": "draft",
    },
    "left": {"gate": "left", "late_gate": "left", "audit": "left", "notes": ["left"]},
    "pre_right": {"audit": "pre", "total": 2, "recent": ["pre"]},
    "right": {"gate": "right", "late_gate": "right", "audit": "right", "any": "right"},
    "collect": {
        "audit": "collect",
        "notes": ["collect"],
        "log": ["collect"],
        "verdict": "revised",
        "flash": "collect",
    },
    "finish": {"notes": ["finish"], "log": ["finish"], "total": 3, "last": "finish"},
}


def _plan_node(name: str, prefix: str, keys: Any) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        out = {(k if k == "last" else prefix + k): v for k, v in _CLASS_PLAN[name].items()}
        out = {k: v for k, v in out.items() if k in keys}
        if name == "right":  # a DeltaChannel reset mid-run
            out[prefix + "notes"] = Overwrite(["reset"])
        return out

    return node


def _class_graph(schema: Any, prefix: str, sub: Any = None) -> Any:
    g = StateGraph(schema)
    for name in _CLASS_PLAN:
        g.add_node(name, _plan_node(name, prefix, schema.__annotations__))
    g.add_edge(START, "open")
    g.add_edge("open", "left")
    g.add_edge("open", "pre_right")
    g.add_edge("left", END)
    g.add_edge("pre_right", "right")
    g.add_edge("right", "collect")
    if sub is None:
        g.add_edge("collect", "finish")
    else:
        g.add_node("sub", sub)
        g.add_edge("collect", "sub")
        g.add_edge("sub", "finish")
    g.add_edge("finish", END)
    return g


def build_channel_classes(checkpointer: Any, untracked: bool = True) -> Any:
    """A key of every stdlib channel class, written over five steps, in the root graph and in a
    subgraph (node ``sub``) run between ``collect`` and ``finish``. ``untracked=False`` leaves
    out the UntrackedValue keys (which a debugger stepping the run cannot keep across pauses).
    """
    sub_schema = class_schema("SubClassState", "sub_", untracked)
    sub = _class_graph(sub_schema, "sub_").compile()
    root = _class_graph(class_schema("ClassState", "", untracked), "", sub)
    return root.compile(checkpointer=checkpointer)


def build_channel_classes_tracked(checkpointer: Any) -> Any:
    """:func:`build_channel_classes` without its UntrackedValue keys."""
    return build_channel_classes(checkpointer, untracked=False)


# --------------------------------------------------------------------------- the corpus


def _nodes(*names: str) -> frozenset[str]:
    return frozenset(names)


_CASE_LIST: list[Case] = [
    Case(
        "conditional_path_map",
        build_conditional_path_map,
        {"value": 42, "log": []},
        expect_nodes=_nodes("classify", "handle_big"),
    ),
    Case(
        "conditional_no_path_map",
        build_conditional_no_path_map,
        {"value": 3, "log": []},
        expect_nodes=_nodes("classify", "handle_small"),
    ),
    Case(
        "fanout_fanin",
        build_fanout_fanin,
        {"log": []},
        expect_nodes=_nodes("a", "b", "c", "d"),
    ),
    Case(
        "send_map_reduce",
        build_send_map_reduce,
        {"items": ["x", "y", "z", "w"], "results": []},
        expect_nodes=_nodes("plan", "worker", "reduce"),
    ),
    Case(
        "command_goto",
        build_command_goto,
        {"log": []},
        expect_nodes=_nodes("router", "hop", "finish"),
    ),
    Case(
        "command_parent",
        build_command_parent,
        {"log": []},
        expect_nodes=_nodes("entry", "sub", "inner_before", "escalate", "rescue", "after_sub"),
    ),
    Case(
        "subgraph_node",
        build_subgraph_node,
        {"path": []},
        expect_nodes=_nodes("prepare", "child", "child_a", "child_b", "finish"),
    ),
    Case(
        "subgraph_in_node",
        build_subgraph_in_node,
        {"text": "to be or not to be", "word_count": 0},
        expect_nodes=_nodes("delegate", "split", "dedupe"),
    ),
    Case(
        "nested_subgraphs",
        build_nested_subgraphs,
        {"path": []},
        expect_nodes=_nodes("outer_prep", "mid", "mid_step", "leaf", "leaf_step", "outer_done"),
    ),
    Case(
        "interrupt_twice",
        build_interrupt_twice,
        {"log": []},
        resume=("yes", "no", "ok"),
        needs_checkpointer=True,
        expect_nodes=_nodes("ask", "confirm"),
    ),
    Case(
        "static_interrupt_before",
        build_static_interrupt_before,
        {"log": []},
        resume=(CONTINUE,),
        needs_checkpointer=True,
        expect_nodes=_nodes("draft", "review", "publish"),
    ),
    Case(
        "static_interrupt_after",
        build_static_interrupt_after,
        {"log": []},
        resume=(CONTINUE,),
        needs_checkpointer=True,
        expect_nodes=_nodes("draft", "review", "publish"),
    ),
    Case(
        "static_interrupt_both",
        build_static_interrupt_both,
        {"log": []},
        resume=(CONTINUE,),
        needs_checkpointer=True,
        expect_nodes=_nodes("draft", "review", "publish"),
    ),
    Case(
        "parallel_error",
        build_parallel_error,
        {"log": []},
        raises=ValueError,
        expect_nodes=_nodes("fan", "ok_left", "boom", "ok_right"),
    ),
    Case(
        "retry_policy",
        build_retry_policy,
        {"log": []},
        expect_nodes=_nodes("flaky", "after"),
    ),
    Case(
        "defer_fanin",
        build_defer_fanin,
        {"log": []},
        expect_nodes=_nodes("a", "long_1", "long_2", "long_3", "short_1", "join"),
    ),
    Case(
        "async_fanout",
        build_async_fanout,
        {"seeds": [1, 2, 3, 4], "log": []},
        is_async=True,
        expect_nodes=_nodes("fetch_all", "a1", "a2", "a3", "merge"),
    ),
    Case(
        "messages_state",
        build_messages_state,
        {"messages": [HumanMessage(content="hi", id="human-1")]},
        expect_nodes=_nodes("bot", "editor"),
    ),
    Case(
        "io_schemas",
        build_io_schemas,
        {"question": "What Is The Answer"},
        expect_nodes=_nodes("think", "answer"),
    ),
    Case(
        "functional_tasks",
        build_functional_tasks,
        [1, 2, 3, 4],
        expect_nodes=_nodes("squares_workflow", "square", "total"),
    ),
    Case(
        "functional_interrupt",
        build_functional_interrupt,
        "pregel",
        resume=("approved",),
        needs_checkpointer=True,
        expect_nodes=_nodes("approval_workflow", "prepare"),
    ),
    Case(
        "pydantic_state",
        build_pydantic_state,
        CounterModel(count=1),
        expect_nodes=_nodes("inc", "name"),
    ),
    Case(
        "long_loop",
        build_long_loop,
        {"i": 0, "target": LONG_LOOP_STEPS},
        expect_nodes=_nodes("tick"),
        slow=True,
        config={"recursion_limit": 1000},
    ),
    Case(
        "wide_fanout",
        build_wide_fanout,
        {"n": WIDE_FANOUT, "squares": []},
        expect_nodes=_nodes("spread", "square", "gather"),
        slow=True,
    ),
    Case(
        "hostile_values",
        build_hostile_values,
        {
            "text": HOSTILE_IMG,
            HOSTILE_SCRIPT: HOSTILE_TEXTAREA,
            "mapping": {HOSTILE_SCRIPT: HOSTILE_IMG},
            "seen": [],
        },
        expect_nodes=_nodes(HOSTILE_NODE, HOSTILE_NODE_2),
    ),
    Case(
        "channel_variety",
        build_channel_variety,
        {"events": ["input"], "total": 5},
        expect_nodes=_nodes("emit", "observe", "after"),
    ),
    Case(
        "channel_classes",
        build_channel_classes_tracked,
        {"last": "in", "total": 1},
        expect_nodes=_nodes("open", "left", "pre_right", "right", "collect", "sub", "finish"),
    ),
]

CASES: dict[str, Case] = {case.name: case for case in _CASE_LIST}
assert len(CASES) == len(_CASE_LIST), "duplicate case names"
