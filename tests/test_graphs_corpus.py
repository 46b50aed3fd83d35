"""Run every fixture in ``graphs.CASES`` with plain LangGraph and check it behaves as described."""

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

import pytest
from graphs import (
    BIG_STRING_LEN,
    CASES,
    CONTINUE,
    HOSTILE_IMG,
    HOSTILE_NODE,
    HOSTILE_NODE_2,
    HOSTILE_SCRIPT,
    HOSTILE_TEXTAREA,
    LONG_LOOP_STEPS,
    WIDE_FANOUT,
    Case,
    Point,
    Weird,
    run_plain,
)
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.channels import (
    BinaryOperatorAggregate,
    EphemeralValue,
    LastValue,
    Topic,
    UntrackedValue,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import GraphRecursionError
from langgraph.types import Command
from pydantic import ValidationError

# (namespace, step, node name) of one task start, from the "debug" stream.
TaskEvent = tuple[tuple[str, ...], int, str]


def _param(case: Case) -> Any:
    marks = [pytest.mark.slow] if case.slow else []
    return pytest.param(case, id=case.name, marks=marks)


ALL = [_param(c) for c in CASES.values()]
SYNC = [_param(c) for c in CASES.values() if not c.is_async]


def _config(case: Case, thread_id: str = "t1") -> dict[str, Any]:
    return {**case.config, "configurable": {"thread_id": thread_id}}


def _rounds(case: Case) -> list[Any]:
    return [case.input, *(None if r is CONTINUE else Command(resume=r) for r in case.resume)]


def _task_events(case: Case, checkpointer: Any = None) -> tuple[Any, list[TaskEvent]]:
    """Run all rounds streaming ``debug`` events (with subgraphs); return task starts."""
    if checkpointer is None and case.needs_checkpointer:
        checkpointer = InMemorySaver()
    graph = case.build(checkpointer)
    config = _config(case)
    chunks: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    async def collect_async(payload: Any) -> None:
        async for ns, chunk in graph.astream(payload, config, stream_mode="debug", subgraphs=True):
            chunks.append((ns, chunk))

    for payload in _rounds(case):
        try:
            if case.is_async:
                asyncio.run(collect_async(payload))
            else:
                for ns, chunk in graph.stream(payload, config, stream_mode="debug", subgraphs=True):
                    chunks.append((ns, chunk))
        except Exception:
            break
    events = [
        (tuple(ns), chunk["step"], chunk["payload"]["name"])
        for ns, chunk in chunks
        if chunk["type"] == "task"
    ]
    return graph, events


def _steps_of(events: list[TaskEvent], name: str, ns: tuple[str, ...] = ()) -> list[int]:
    return [step for n, step, node in events if node == name and n == ns]


def _edges(graph: Any) -> set[tuple[str, str, bool]]:
    return {(e.source, e.target, e.conditional) for e in graph.get_graph().edges}


# --------------------------------------------------------------------------- generic


def test_case_names_match_keys() -> None:
    assert CASES, "corpus is empty"
    for name, case in CASES.items():
        assert case.name == name
        assert case.expect_nodes, f"{name} has no expect_nodes"
        assert not (case.resume and not case.needs_checkpointer), name


@pytest.mark.parametrize("case", ALL)
@pytest.mark.parametrize("saver", ["none", "memory"])
def test_runs_with_and_without_checkpointer(case: Case, saver: str) -> None:
    checkpointer = InMemorySaver() if saver == "memory" else None
    _, result = run_plain(case, checkpointer)
    if case.raises is not None:
        assert isinstance(result, case.raises), result
    else:
        assert not isinstance(result, BaseException), repr(result)
        if case.needs_checkpointer:
            assert "__interrupt__" not in result, "all resume rounds should be consumed"


@pytest.mark.parametrize("case", ALL)
def test_expected_nodes_run_as_tasks(case: Case) -> None:
    _, events = _task_events(case)
    names = {name for _, _, name in events}
    assert case.expect_nodes <= names, case.expect_nodes - names


@pytest.mark.parametrize("case", ALL)
def test_build_is_fresh_and_deterministic(case: Case) -> None:
    _, first = run_plain(case, InMemorySaver(), thread_id="a")
    _, second = run_plain(case, InMemorySaver(), thread_id="b")
    if case.raises is not None:
        assert type(first) is type(second) and str(first) == str(second)
    elif case.name == "hostile_values":
        assert first.keys() == second.keys()  # the cyclic/opaque values do not compare by ==
    else:
        assert first == second


@pytest.mark.parametrize("case", SYNC)
def test_runs_with_sqlite_saver(case: Case) -> None:
    sqlite = pytest.importorskip("langgraph.checkpoint.sqlite")
    with sqlite.SqliteSaver.from_conn_string(":memory:") as saver:
        graph, result = run_plain(case, saver)
        if case.raises is not None:
            assert isinstance(result, case.raises)
        else:
            assert not isinstance(result, BaseException), repr(result)
            assert graph.get_state(_config(case)).next == ()


def test_run_plain_supplies_checkpointer_when_needed() -> None:
    _, result = run_plain(CASES["interrupt_twice"], None)
    assert result["answers"] == ["yes", "no"]


def test_run_plain_stops_at_first_exception() -> None:
    graph, result = run_plain(CASES["parallel_error"])
    assert isinstance(result, ValueError)
    assert graph is not None


# --------------------------------------------------------------------------- 1. conditional


def test_conditional_path_map() -> None:
    graph, result = run_plain(CASES["conditional_path_map"])
    assert result == {"value": 42, "log": ["classify", "handle_big"]}
    edges = _edges(graph)
    assert ("classify", "handle_big", True) in edges
    assert ("classify", "handle_small", True) in edges


def test_conditional_no_path_map_is_undrawable() -> None:
    graph, result = run_plain(CASES["conditional_no_path_map"])
    assert result == {"value": 3, "log": ["classify", "handle_small"]}
    spec = graph.builder.branches["classify"]["router"]
    assert spec.ends is None
    # get_graph() cannot know the targets: no edge leads into either handler.
    targets = {target for _, target, _ in _edges(graph)}
    assert not targets & {"handle_big", "handle_small"}


# --------------------------------------------------------------------------- 2./3. parallel


def test_fanout_fanin_same_superstep() -> None:
    _, result = run_plain(CASES["fanout_fanin"])
    assert result["log"][0] == "a" and result["log"][-1] == "d"
    assert sorted(result["log"][1:3]) == ["b", "c"]
    _, events = _task_events(CASES["fanout_fanin"])
    (step_b,), (step_c,), (step_d,) = (_steps_of(events, n) for n in "bcd")
    assert step_b == step_c and step_d == step_b + 1


def test_send_map_reduce() -> None:
    _, result = run_plain(CASES["send_map_reduce"])
    assert sorted(result["results"]) == ["W", "X", "Y", "Z"]
    assert result["summary"] == "W,X,Y,Z"
    _, events = _task_events(CASES["send_map_reduce"])
    worker_steps = _steps_of(events, "worker")
    assert len(worker_steps) == 4 and len(set(worker_steps)) == 1
    assert _steps_of(events, "reduce") == [worker_steps[0] + 1]


# --------------------------------------------------------------------------- 4. Command


def test_command_goto() -> None:
    graph, result = run_plain(CASES["command_goto"])
    assert result == {"log": ["router", "hop", "finish"]}
    edges = _edges(graph)
    assert ("router", "hop", True) in edges and ("router", "unused", True) in edges
    # hop's bare Command target is undrawable: get_graph() shows hop -> __end__ instead
    assert {(s, t) for s, t, _ in edges if s == "hop"} == {("hop", "__end__")}
    assert not any(t == "finish" for _, t, _ in edges)


def test_command_parent_jumps_to_parent_node() -> None:
    _, result = run_plain(CASES["command_parent"])
    # the parent applies the Command's update and goes to "rescue"; the static edge
    # sub -> after_sub fires too, and the subgraph's own writes ("inner_before") are dropped.
    assert result["log"][:2] == ["entry", "escalate"]
    assert sorted(result["log"][2:]) == ["after_sub", "rescue"]
    assert "inner_before" not in result["log"]
    _, events = _task_events(CASES["command_parent"])
    assert _steps_of(events, "rescue") == _steps_of(events, "after_sub")
    escalate_ns = {ns for ns, _, name in events if name == "escalate"}
    assert len(escalate_ns) == 1 and next(iter(escalate_ns))[0].startswith("sub:")


# --------------------------------------------------------------------------- 5. subgraphs


def test_subgraph_node() -> None:
    _, result = run_plain(CASES["subgraph_node"])
    assert result == {"path": ["prepare", "child_a", "child_b", "finish"]}
    _, events = _task_events(CASES["subgraph_node"])
    child_ns = {ns for ns, _, name in events if name in {"child_a", "child_b"}}
    assert len(child_ns) == 1
    (ns,) = child_ns
    assert len(ns) == 1 and ns[0].startswith("child:")


def test_subgraph_invoked_inside_node() -> None:
    _, result = run_plain(CASES["subgraph_in_node"])
    assert result == {"text": "to be or not to be", "word_count": 4}
    _, events = _task_events(CASES["subgraph_in_node"])
    split_ns = [ns for ns, _, name in events if name == "split"]
    assert len(split_ns) == 1 and split_ns[0][0].startswith("delegate:")


def test_nested_subgraphs_two_levels() -> None:
    _, result = run_plain(CASES["nested_subgraphs"])
    assert result == {"path": ["outer_prep", "mid_step", "leaf_step", "outer_done"]}
    _, events = _task_events(CASES["nested_subgraphs"])
    (leaf_ns,) = [ns for ns, _, name in events if name == "leaf_step"]
    assert len(leaf_ns) == 2
    assert leaf_ns[0].startswith("mid:") and leaf_ns[1].startswith("leaf:")


# --------------------------------------------------------------------------- 6./7. interrupts


def test_interrupt_twice_round_by_round() -> None:
    case = CASES["interrupt_twice"]
    graph = case.build(InMemorySaver())
    config = _config(case)
    expected = [
        (("ask",), "first?"),
        (("ask",), {"question": "second?", "previous": "yes"}),
        (("confirm",), "confirm?"),
    ]
    out = graph.invoke(case.input, config)
    for (next_nodes, value), answer in zip(expected, case.resume, strict=True):
        state = graph.get_state(config)
        assert state.next == next_nodes
        assert [i.value for i in state.interrupts] == [value]
        assert [i.value for i in out["__interrupt__"]] == [value]
        out = graph.invoke(Command(resume=answer), config)
    assert graph.get_state(config).next == ()
    assert out == {"answers": ["yes", "no"], "log": ["confirm:ok"], "ask_runs": 3}


@pytest.mark.parametrize(
    ("name", "paused_next", "paused_log"),
    [
        ("static_interrupt_before", ("review",), ["draft"]),
        ("static_interrupt_after", ("publish",), ["draft", "review"]),
        # interrupt_after=["draft"] and interrupt_before=["review"] hit the same boundary: one pause
        ("static_interrupt_both", ("review",), ["draft"]),
    ],
)
def test_static_interrupts(name: str, paused_next: tuple[str, ...], paused_log: list[str]) -> None:
    case = CASES[name]
    assert case.resume == (CONTINUE,)
    graph = case.build(InMemorySaver())
    config = _config(case)
    out = graph.invoke(case.input, config)
    state = graph.get_state(config)
    assert out == {"log": paused_log}
    assert state.next == paused_next
    assert state.interrupts == ()  # static interrupts carry no Interrupt values
    out = graph.invoke(None, config)
    assert out == {"log": ["draft", "review", "publish"]}
    assert graph.get_state(config).next == ()


# --------------------------------------------------------------------------- 8./9. errors


def test_parallel_error_keeps_sibling_writes() -> None:
    case = CASES["parallel_error"]
    graph, result = run_plain(case, InMemorySaver())
    assert isinstance(result, ValueError) and "boom" in str(result)
    state = graph.get_state(_config(case))
    assert state.next == ("boom",)
    by_name = {t.name: t for t in state.tasks}
    assert set(by_name) == {"ok_left", "boom", "ok_right"}
    assert by_name["boom"].error is not None
    assert by_name["ok_left"].error is None and by_name["ok_left"].result == {"log": ["ok_left"]}
    assert "after" not in state.values["log"]


def test_retry_policy_counts_three_attempts() -> None:
    case = CASES["retry_policy"]
    _, result = run_plain(case)
    assert result == {"attempts": 3, "log": ["flaky", "after"]}
    # each build() has its own counter; reusing one graph continues the count (no failures)
    graph = case.build(None)
    assert graph.invoke(case.input)["attempts"] == 3
    assert graph.invoke(case.input)["attempts"] == 4


def test_defer_runs_join_once_at_the_end() -> None:
    _, result = run_plain(CASES["defer_fanin"])
    log = result["log"]
    assert [x for x in log if x.startswith("join")] == ["join:5"]
    assert log[-1] == "join:5"
    _, events = _task_events(CASES["defer_fanin"])
    (join_step,) = _steps_of(events, "join")
    assert join_step > max(_steps_of(events, "long_3")) > max(_steps_of(events, "short_1"))


# --------------------------------------------------------------------------- 11.-15.


def test_async_fanout() -> None:
    _, result = run_plain(CASES["async_fanout"])
    assert result["fetched"] == [10, 20, 30, 40] and result["total"] == 100
    assert result["log"][0] == "fetch_all" and result["log"][-1] == "merge"
    assert sorted(result["log"][1:4]) == ["a1", "a2", "a3"]
    _, events = _task_events(CASES["async_fanout"])
    assert len({s for n in ("a1", "a2", "a3") for s in _steps_of(events, n)}) == 1


def test_messages_state_add_messages_replaces_by_id() -> None:
    _, result = run_plain(CASES["messages_state"])
    human, ai = result["messages"]
    assert isinstance(human, HumanMessage) and human.content == "hi"
    assert isinstance(ai, AIMessage) and ai.id == "ai-1"
    assert ai.content == "echo: hi (edited)"


def test_io_schemas_filter_output() -> None:
    case = CASES["io_schemas"]
    graph, result = run_plain(case, InMemorySaver())
    assert result == {"answer": "4 words"}
    values = graph.get_state(_config(case)).values
    assert values["notes"] == ["what", "is", "the", "answer"]
    assert values["question"] == "What Is The Answer"


def test_functional_tasks_run_in_parallel() -> None:
    _, result = run_plain(CASES["functional_tasks"])
    assert result == {"squares": [1, 4, 9, 16], "total": 30}
    _, events = _task_events(CASES["functional_tasks"])
    counts = Counter(name for _, _, name in events)
    assert counts["square"] == 4 and counts["total"] == 1 and counts["squares_workflow"] == 1


def test_functional_interrupt_reruns_entrypoint_but_not_tasks() -> None:
    case = CASES["functional_interrupt"]
    graph = case.build(InMemorySaver())
    config = _config(case)
    out = graph.invoke(case.input, config)
    (intr,) = out["__interrupt__"]
    assert intr.value == {"question": "approve?", "draft": "draft about pregel"}
    state = graph.get_state(config)
    assert state.next == ("approval_workflow",)
    assert [i.value for i in state.interrupts] == [intr.value]
    out = graph.invoke(Command(resume="approved"), config)
    assert out == {
        "draft": "draft about pregel",
        "decision": "approved",
        "entry_runs": 2,  # the entrypoint body runs again from the top on resume ...
        "prepare_runs": 1,  # ... but the finished @task's result is replayed, not re-run
    }


def test_pydantic_state() -> None:
    case = CASES["pydantic_state"]
    graph, result = run_plain(case)
    assert result == {"count": 2, "label": "count=2", "tags": ["inc", "name"]}
    with pytest.raises(ValidationError):
        graph.invoke({"count": "not a number"})


# --------------------------------------------------------------------------- 16./17. long, wide


@pytest.mark.slow
def test_long_loop() -> None:
    case = CASES["long_loop"]
    _, result = run_plain(case)
    assert result == {"i": LONG_LOOP_STEPS, "target": LONG_LOOP_STEPS}
    _, events = _task_events(case)
    assert _steps_of(events, "tick") == list(range(1, LONG_LOOP_STEPS + 1))
    assert case.config["recursion_limit"] > LONG_LOOP_STEPS
    # LangGraph 1.2's default limit is 10007 (not 25), so lower it to prove it applies
    with pytest.raises(GraphRecursionError):
        case.build(None).invoke(case.input, {"recursion_limit": LONG_LOOP_STEPS // 2})


@pytest.mark.slow
def test_wide_fanout_single_superstep() -> None:
    _, result = run_plain(CASES["wide_fanout"])
    assert sorted(result["squares"]) == [k * k for k in range(WIDE_FANOUT)]
    assert result["total"] == sum(k * k for k in range(WIDE_FANOUT))
    _, events = _task_events(CASES["wide_fanout"])
    steps = _steps_of(events, "square")
    assert len(steps) == WIDE_FANOUT and len(set(steps)) == 1


# --------------------------------------------------------------------------- 18. hostile


@pytest.mark.parametrize("saver", ["none", "memory"])
def test_hostile_values(saver: str) -> None:
    case = CASES["hostile_values"]
    checkpointer = InMemorySaver() if saver == "memory" else None
    graph, result = run_plain(case, checkpointer)
    assert not isinstance(result, BaseException), repr(result)
    assert {HOSTILE_NODE, HOSTILE_NODE_2} <= set(graph.nodes)
    assert result["text"] == HOSTILE_IMG + HOSTILE_TEXTAREA
    assert result[HOSTILE_SCRIPT] == HOSTILE_IMG
    assert result["mapping"][HOSTILE_TEXTAREA] == HOSTILE_SCRIPT
    assert result["mapping"][HOSTILE_SCRIPT] == HOSTILE_IMG
    assert len(result["big"]) == BIG_STRING_LEN
    assert isinstance(result["raw"], bytes) and result["raw"].startswith(b"\x00\xff")
    assert result["tags"] == {HOSTILE_IMG, HOSTILE_TEXTAREA}
    assert result["when"] == dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone.utc)
    assert dataclasses.asdict(result["point"]) == {"x": 1, "label": HOSTILE_TEXTAREA}
    opaque = result["opaque"]
    assert isinstance(opaque["weird"], Weird) and HOSTILE_TEXTAREA in repr(opaque["weird"])
    assert opaque["cyclic"][1] is opaque["cyclic"]
    assert result["seen"][1:] == [
        f"big={BIG_STRING_LEN}",
        "cyclic=True",
        "weird=Weird",
        "tags=2",
    ]
    assert isinstance(graph.channels["opaque"], UntrackedValue)
    if checkpointer is not None:
        values = graph.get_state(_config(case)).values
        assert "opaque" not in values, "UntrackedValue must never be checkpointed"
        assert values["tags"] == {HOSTILE_IMG, HOSTILE_TEXTAREA}
        assert isinstance(values["point"], Point) and isinstance(values["raw"], bytes)


def test_hostile_opaque_values_cannot_be_checkpointed_directly() -> None:
    """Why "opaque" lives in an UntrackedValue: the saver's serde rejects these values."""
    serde = InMemorySaver().serde
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for value in (Weird("w"), cyclic):
        with pytest.raises((TypeError, ValueError)):
            serde.dumps_typed(value)
    serde.dumps_typed({HOSTILE_SCRIPT: {HOSTILE_IMG}})  # while markup, sets etc. are fine


# --------------------------------------------------------------------------- 19. channels


def test_channel_variety() -> None:
    case = CASES["channel_variety"]
    graph, result = run_plain(case)
    kinds = {k: type(graph.channels[k]) for k in ("events", "recent", "flash", "total", "last")}
    assert kinds == {
        "events": Topic,
        "recent": Topic,
        "flash": EphemeralValue,
        "total": BinaryOperatorAggregate,
        "last": LastValue,
    }
    assert result["events"] == ["input", "emit-1", "emit-2", "observe"]  # accumulating Topic
    assert result["total"] == 5 + 1 + 10 + 100
    assert result["last"] == "observe"
    assert "flash" not in result and "recent" not in result  # cleared after one step
    assert result["seen"] == [
        "observe: flash=from-emit recent=['emit'] events=['input', 'emit-1', 'emit-2']",
        "after: flash=None recent=['observe'] total=16",
    ]
