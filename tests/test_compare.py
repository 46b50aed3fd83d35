"""Comparing runs: aligned supersteps, the first divergence, branches of a forked thread."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Literal, TypedDict

import pytest
from graphs import CASES, CONTINUE
from helpers import run_cli
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, MessagesState, StateGraph

import pregel_viz
from pregel_viz.analysis.compare import KINDS, _norm, branches, compare, compare_fork, main_branch
from pregel_viz.model import Run


def _record(name: str, inp: Any = None, resume: Any = None, config: Any = None) -> Run:
    case = CASES[name]
    rounds = [None if r is CONTINUE else r for r in case.resume] if resume is None else resume
    return pregel_viz.record(
        case.build(None),
        case.input if inp is None else inp,
        dict(case.config) if config is None else config,
        resume=rounds,
    )


class PriceState(TypedDict, total=False):
    total: int
    paid: int


def _pricing() -> Any:
    """The route depends on the config only: same input, same values, other writes."""

    def quote(state: PriceState) -> dict[str, Any]:
        return {"total": 400}

    def route(state: PriceState, config: RunnableConfig) -> Literal["discount", "full"]:
        return "discount" if state["total"] > config["configurable"]["over"] else "full"

    g = StateGraph(PriceState)
    g.add_node("quote", quote)
    g.add_node("discount", lambda state: {"paid": 360})
    g.add_node("full", lambda state: {"paid": 400})
    g.add_edge(START, "quote")
    g.add_conditional_edges("quote", route)
    g.add_edge("discount", END)
    g.add_edge("full", END)
    return g.compile()


def _two_threads() -> Run:
    graph = _pricing()
    with pregel_viz.recording(graph) as rec:
        for thread, over in (("low", 100), ("high", 500)):
            graph.invoke({}, {"configurable": {"thread_id": thread, "over": over}})
    return rec.run


def _forked() -> Run:
    case = CASES["conditional_path_map"]
    graph = case.build(InMemorySaver())
    cfg = {"configurable": {"thread_id": "fork"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"value": 42, "log": []}, cfg)
        past = next(s for s in graph.get_state_history(cfg) if s.metadata["step"] == 1)
        graph.invoke(None, graph.update_state(past.config, {"value": 3}, as_node="classify"))
        start = next(s for s in graph.get_state_history(cfg) if s.metadata["step"] == 0)
        graph.invoke(None, start.config)  # a replay: a "fork" checkpoint, then steps again
    return rec.run


# --------------------------------------------------------------------------- identical


@pytest.mark.parametrize(
    "name",
    ["fanout_fanin", "send_map_reduce", "subgraph_node", "interrupt_twice", "parallel_error"],
)
def test_given_the_same_graph_twice_when_compared_then_identical_despite_ids(name: str) -> None:
    a, b = _record(name), _record(name)
    assert a.thread.thread_id != b.thread.thread_id  # other ids, timings and checkpoint ids
    result = compare(a, b)
    assert result.identical, result.text()
    assert result.first is None
    assert result.differences == []
    assert all(row.same for row in result.rows)
    assert [row.step for row in result.rows] == [s.step for s in a.supersteps]
    last = a.supersteps[-1].step
    assert result.text().startswith(
        f"identical: A and B made the same steps: the input and supersteps 0 to {last}, "
    )


def test_given_messages_without_ids_when_compared_then_generated_ids_do_not_count() -> None:
    def bot(state: MessagesState) -> dict[str, Any]:
        return {"messages": [("ai", "hello")]}  # LangGraph gives it a uuid

    g = StateGraph(MessagesState)
    g.add_node("bot", bot)
    g.add_edge(START, "bot")
    graph = g.compile()
    a = pregel_viz.record(graph, {"messages": [HumanMessage("hi")]})
    b = pregel_viz.record(graph, {"messages": [HumanMessage("hi")]})
    assert a.state_at(1) != b.state_at(1)  # the ids differ...
    assert compare(a, b).identical  # ...and do not count


def test_given_sets_in_another_order_when_normalized_then_equal() -> None:
    x = {"$type": "builtins.set", "$items": ["b", "a"]}
    y = {"$type": "builtins.set", "$items": ["a", "b"]}
    assert _norm(x) == _norm(y)


# --------------------------------------------------------------------------- first divergence


def test_given_another_route_when_compared_then_the_first_divergence_is_the_routing_write() -> None:
    run = _two_threads()
    result = compare(run, run, thread_a="low", thread_b="high")
    assert not result.identical
    first = result.first
    assert first is not None
    assert (first.step, first.kind, first.rank) == (1, "routes", "tasks")
    assert first.details == "quote routed to discount in A but to full in B."
    kinds = {row.step: [d.kind for d in row.differences] for row in result.rows}
    assert kinds[-1] == [] and kinds[0] == []
    assert kinds[1] == ["routes"]
    assert kinds[2] == ["tasks", "values"]
    assert [row.kind for row in result.rows] == [None, None, "tasks", "tasks"]


def test_given_other_inputs_whose_routes_part_when_compared_then_the_route_is_the_first() -> None:
    # the same graph, two inputs: classify routes 42 to handle_big and 3 to handle_small at
    # step 1; steps -1 and 0 differ only by the input (values), step 2 by its tasks
    a = _record("conditional_path_map")
    b = _record("conditional_path_map", {"value": 3, "log": []})
    result = compare(a, b)
    first = result.first
    assert first is not None
    assert (first.step, first.kind) == (1, "routes")
    assert first.details == "classify routed to handle_big in A but to handle_small in B."
    row = result.first_row
    assert row is not None and (row.step, row.kind) == (1, "tasks")
    assert {r.step: r.kind for r in result.rows} == {
        -1: "values",
        0: "values",
        1: "tasks",
        2: "tasks",
    }
    assert result.counts() == {"tasks": 2, "writes": 0, "values": 2}
    # ranked: the steps where the runs did different things, then the value-only ones
    assert [r.step for r in result.ranked()] == [1, 2, -1, 0]
    inputs = [d for d in result.differences if d.step == -1]
    assert inputs[0].details == (
        "the input is {'value': 42, 'log': []} in A but {'value': 3, 'log': []} in B."
    )
    assert inputs[0].rank == "values"
    text = result.text().splitlines()
    assert text[0].startswith("first divergence: step 1 (routes): classify routed to")
    assert text[1] == "differing steps: 2 with other tasks or routes; 2 with other values only."


def test_given_other_inputs_on_one_path_when_compared_then_the_first_write_is_the_first() -> None:
    a = _record("interrupt_twice")
    b = _record("interrupt_twice", resume=["yes", "maybe", "ok"])
    result = compare(a, b)
    assert result.first is not None and result.first.rank == "writes"
    assert result.first_row is not None and result.first_row.kind == "writes"


def test_given_another_resume_value_when_compared_then_the_writes_differ() -> None:
    a = _record("interrupt_twice")
    b = _record("interrupt_twice", resume=["yes", "maybe", "ok"])
    first = compare(a, b).first
    assert first is not None
    assert (first.step, first.kind) == (1, "writes")
    assert first.details == (
        "ask wrote differently: wrote answers: A ['yes', 'no'], B ['yes', 'maybe']."
    )


def test_given_a_task_that_fails_in_one_run_when_compared_then_the_outcome_differs() -> None:
    a = _record("interrupt_twice")
    b = _record("interrupt_twice", resume=["yes", "no"])  # left waiting at confirm
    result = compare(a, b)
    first = result.first
    assert first is not None
    assert (first.step, first.kind) == (2, "outcome")
    assert first.details.startswith("confirm finished after 1 interrupt(s)")
    assert first.details.endswith("in A but paused at interrupt('confirm?') in B.")
    run_level = result.differences[-1]
    assert (run_level.step, run_level.kind) == (None, "outcome")
    assert "B ended interrupted" in run_level.details


def test_given_a_shorter_run_when_compared_then_the_missing_step_is_named() -> None:
    case = CASES["long_loop"]
    inp = {"i": 0, "target": 6}
    a = pregel_viz.record(case.build(None), inp)
    b = pregel_viz.record(case.build(None), inp, {"recursion_limit": 3})
    result = compare(a, b)
    first = result.first
    assert first is not None
    assert (first.step, first.kind) == (4, "missing")
    assert first.details == "B stopped after step 3; A has step 4 (tick)."
    assert result.rows[-1].b is None
    assert result.differences[-1].kind == "outcome"
    assert "GraphRecursionError" in result.differences[-1].details


def test_given_different_tasks_when_compared_then_the_task_names_are_listed() -> None:
    a = _record("send_map_reduce")
    b = _record("send_map_reduce", {"items": ["x", "y", "q"], "results": []})
    tasks = [d for d in compare(a, b).differences if d.kind == "tasks"]
    assert tasks[0].step == 2
    assert tasks[0].details == "A ran worker x4; B ran worker x3."


def test_given_a_subgraph_that_differs_when_compared_then_the_subgraph_is_named() -> None:
    a = _record("subgraph_node")
    b = _record("subgraph_node", {"path": ["x"]})
    inner = [d for d in compare(a, b).differences if d.subgraph]
    assert inner, "the subgraph's own steps are compared"
    assert inner[0].subgraph == "child"
    assert inner[0].details.startswith("inside child's subgraph run, at its step -1:")


def test_given_labels_when_compared_then_the_details_use_them() -> None:
    run = _two_threads()
    result = compare(run, run, thread_a="low", thread_b="high", labels=("before", "after"))
    assert result.first is not None
    assert "in before but to full in after" in result.first.details
    assert result.text().splitlines()[3].split() == ["step", "before", "after"]


def test_given_a_comparison_when_turned_to_data_then_it_is_plain_json() -> None:
    run = _two_threads()
    data = compare(run, run, thread_a="low", thread_b="high").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["identical"] is False
    assert data["first"]["kind"] in KINDS
    assert data["first"]["rank"] == "tasks"
    assert data["rows"][2]["a"]["tasks"] == ["quote"]
    assert set(data["rows"][0]) == {"step", "a", "b", "same", "kind", "fork_point", "differences"}
    assert [r["kind"] for r in data["rows"]] == [None, None, "tasks", "tasks"]
    assert data["counts"] == {"tasks": 2, "writes": 0, "values": 0}


# --------------------------------------------------------------------------- branches, forks


def test_given_a_forked_thread_when_listing_branches_then_they_go_root_to_leaf() -> None:
    run = _forked()
    found = branches(run.thread.root)
    shapes = [[(s.step, s.source) for s in b] for b in found]
    assert shapes == [
        [(-1, "input"), (0, "loop"), (1, "loop"), (2, "loop")],
        [(-1, "input"), (0, "loop"), (1, "loop"), (2, "update"), (3, "loop")],
        [(-1, "input"), (0, "loop"), (1, "fork"), (2, "loop"), (3, "loop")],
    ]
    assert main_branch(run.thread.root) is not None
    assert main_branch(run.thread.root)[-1] is run.thread.root.supersteps[-1]
    assert len(branches(_record("fanout_fanin").thread.root)) == 1


def test_given_an_update_state_fork_when_compared_with_its_parent_then_aligned_by_lineage() -> None:
    run = _forked()
    result = compare_fork(run, branch=1)
    # the fork's own update_state (its step 2) stands alone, not a difference; the parent's
    # step 2 is set against the fork's step 3, the step that ran after the update
    cells = [(r.a and r.a["step"], r.b and r.b["step"], r.fork_point, r.kind) for r in result.rows]
    assert cells == [
        (-1, -1, False, None),
        (0, 0, False, None),
        (1, 1, False, None),
        (None, 2, True, None),
        (2, 3, False, "tasks"),
    ]
    first = result.first
    assert first is not None
    assert (first.step, first.kind) == (2, "tasks")
    assert first.details == "parent ran handle_big; fork ran handle_small."
    assert not any(d.kind in ("source", "missing") for d in result.differences)
    values = [d for d in result.differences if d.kind == "values"]
    assert "value is 42 in parent but 3 in fork" in values[0].details
    text = result.text()
    assert "first divergence: step 2 of parent, 3 of fork (tasks)" in text
    assert "(where the fork left: not a difference)" in text


def test_given_a_replay_when_compared_with_its_parent_then_the_replay_is_not_a_difference() -> None:
    run = _forked()
    result = compare_fork(run)  # the newest branch: a replay from step 0, the same again
    assert result.identical, result.text()
    assert [r.fork_point for r in result.rows].count(True) == 1
    assert next(r for r in result.rows if r.fork_point).b["source"] == "fork"


def test_given_one_branch_twice_when_compared_then_identical() -> None:
    run = _forked()
    assert compare(run, run, branch_a=0, branch_b=0).identical
    assert compare_fork(_record("fanout_fanin")).identical
    with pytest.raises(IndexError, match="no branch 9"):
        compare(run, run, branch_a=9)


def test_given_a_namespace_by_node_path_when_compared_then_the_subgraphs_are_compared() -> None:
    a, b = _record("subgraph_node"), _record("subgraph_node")
    result = compare(a, b, ns="child")
    assert result.identical
    assert [r.step for r in result.rows] == [-1, 0, 1, 2]
    with pytest.raises(KeyError, match="no namespace"):
        compare(a, b, ns="nope")


def test_given_a_run_stopped_by_recursion_when_compared_by_threads_then_outcome_is_told() -> None:
    case = CASES["long_loop"]
    graph = case.build(InMemorySaver())
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"i": 0, "target": 3}, {"configurable": {"thread_id": "ok"}})
        with contextlib.suppress(GraphRecursionError):
            graph.invoke(
                {"i": 0, "target": 3}, {"configurable": {"thread_id": "cut"}, "recursion_limit": 2}
            )
    result = compare(rec.run, rec.run, thread_a="ok", thread_b="cut")
    assert result.first is not None
    assert result.first.kind == "missing"


# --------------------------------------------------------------------------- the command


def test_given_two_logs_when_diffed_then_exit_0_if_identical_and_1_if_not(tmp_path: Path) -> None:
    case = CASES["conditional_path_map"]
    pregel_viz.record(case.build(None), case.input, path=tmp_path / "a.pregel")
    pregel_viz.record(case.build(None), case.input, path=tmp_path / "b.pregel")
    pregel_viz.record(case.build(None), {"value": 3, "log": []}, path=tmp_path / "c.pregel")
    same = run_cli("diff", "a.pregel", "b.pregel", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert same.stdout.startswith("identical: a.pregel and b.pregel")
    other = run_cli("diff", "a.pregel", "c.pregel", cwd=tmp_path)
    assert other.returncode == 1, other.stderr
    assert other.stdout.startswith("first divergence: step 1 (routes): classify routed to")
    assert "   <- tasks: routes, values" in other.stdout
    assert "   ~ values only" in other.stdout
    data = json.loads(run_cli("diff", "a.pregel", "c.pregel", "--json", cwd=tmp_path).stdout)
    assert data["first"]["step"] == 1
    assert [r["kind"] for r in data["rows"]] == ["values", "values", "tasks", "tasks"]
    missing = run_cli("diff", "a.pregel", "nope.pregel", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr


def test_given_one_log_with_two_threads_when_diffed_then_threads_are_compared(
    tmp_path: Path,
) -> None:
    _two_threads().save(tmp_path / "two.pregel")
    out = run_cli(
        "diff", "two.pregel", "two.pregel", "--thread-a", "low", "--thread-b", "high", cwd=tmp_path
    )
    assert out.returncode == 1, out.stderr
    assert "routed to discount in two.pregel:low but to full in two.pregel:high" in out.stdout
    bad = run_cli("diff", "two.pregel", "two.pregel", "--thread-a", "nope", cwd=tmp_path)
    assert bad.returncode == 2
    assert "no thread 'nope'" in bad.stderr
