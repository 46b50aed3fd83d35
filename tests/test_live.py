"""Live step-through sessions on real graphs, every effect checked against get_state_history."""

from __future__ import annotations

import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import pytest
from graphs import CASES
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from pregel_viz.live import LiveSession, debug_session

TIMEOUT = 20.0


def _session(name: str, **kwargs: Any) -> LiveSession:
    case = CASES[name]
    return debug_session(case.build(None), case.input, **kwargs)


def _loop_steps(s: LiveSession) -> list[int]:
    """Step numbers of the thread's loop checkpoints, oldest first (LangGraph's own record)."""
    return sorted(h.metadata["step"] for h in s.history() if h.metadata["source"] == "loop")


class LoopState(TypedDict):
    i: int
    target: int


def _slow_loop(delay: float) -> Any:
    def tick(state: LoopState) -> dict[str, int]:
        time.sleep(delay)
        return {"i": state["i"] + 1}

    def again(state: LoopState) -> str:
        return "tick" if state["i"] < state["target"] else END

    g = StateGraph(LoopState)
    g.add_node("tick", tick)
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", again)
    return g.compile()


class FlagState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    flag: bool


def _flag_graph() -> Any:
    """x -> y -> z; only y writes ``flag``."""
    g = StateGraph(FlagState)
    g.add_node("x", lambda s: {"log": ["x"]})
    g.add_node("y", lambda s: {"log": ["y"], "flag": True})
    g.add_node("z", lambda s: {"log": ["z"]})
    g.add_edge(START, "x")
    g.add_edge("x", "y")
    g.add_edge("y", "z")
    g.add_edge("z", END)
    return g.compile()


def test_step_runs_exactly_one_superstep() -> None:
    s = _session("fanout_fanin")
    assert s.status == "paused" and s.history() == []  # nothing runs before a control
    assert s.step().wait(TIMEOUT) == "paused"
    assert s.state.next == ("b", "c") and s.state.values == {"log": ["a"]}
    n = len(s.history())
    assert s.step().wait(TIMEOUT) == "paused"
    assert len(s.history()) == n + 1
    assert s.state.next == ("d",) and s.state.metadata["step"] == 2
    assert sorted(s.state.values["log"]) == ["a", "b", "c"]
    assert s.step().wait(TIMEOUT) == "completed"
    assert len(s.history()) == n + 2 and s.state.next == ()
    assert _loop_steps(s) == [0, 1, 2, 3]
    # the recording holds the same supersteps
    recorded = [(x.step, sorted(t.name for t in x.tasks)) for x in s.run.supersteps]
    assert recorded[-3:] == [(1, ["a"]), (2, ["b", "c"]), (3, ["d"])]
    with pytest.raises(RuntimeError, match="completed"):
        s.step()
    assert s.stop() == "stopped"


def test_cont_stops_at_before_and_after_breakpoints() -> None:
    s = _session("fanout_fanin", break_after=["a"], break_before=["d"])
    assert s.cont().wait(TIMEOUT) == "paused"
    assert s.state.next == ("b", "c") and _loop_steps(s) == [0, 1]  # after a
    assert s.cont().wait(TIMEOUT) == "paused"
    assert s.state.next == ("d",) and _loop_steps(s) == [0, 1, 2]  # before d
    assert "d" not in s.state.values["log"]
    assert s.cont().wait(TIMEOUT) == "completed"
    assert s.state.values["log"][-1] == "d" and _loop_steps(s) == [0, 1, 2, 3]
    s.stop()


def test_break_before_the_first_node() -> None:
    s = _session("fanout_fanin", break_before=["a"])
    assert s.cont().wait(TIMEOUT) == "paused"
    assert s.state.next == ("a",) and s.state.values == {"log": []}
    assert s.cont().wait(TIMEOUT) == "completed"
    s.stop()


def test_break_on_write_pauses_after_the_writing_step() -> None:
    s = debug_session(_flag_graph(), {"log": []}, break_on_write=["flag"])
    assert s.cont().wait(TIMEOUT) == "paused"
    assert s.state.next == ("z",) and s.state.values == {"log": ["x", "y"], "flag": True}
    last = s.history()[0]
    assert last.metadata["source"] == "loop" and last.metadata["step"] == 2
    assert s.cont().wait(TIMEOUT) == "completed"
    assert s.state.values["log"] == ["x", "y", "z"]
    s.stop()


def test_break_on_write_with_node_breakpoints_in_the_same_run() -> None:
    s = debug_session(_flag_graph(), {"log": []}, break_on_write=["flag"], break_after=["x"])
    assert s.cont().wait(TIMEOUT) == "paused" and s.state.next == ("y",)
    assert s.cont().wait(TIMEOUT) == "paused" and s.state.next == ("z",)
    assert s.cont().wait(TIMEOUT) == "completed"
    s.stop()


def test_pause_stops_a_running_loop_and_cont_finishes_it() -> None:
    target = 40
    s = debug_session(_slow_loop(0.02), {"i": 0, "target": target})
    s.cont()
    time.sleep(0.15)
    assert s.status == "running"
    s.pause()
    assert s.wait(TIMEOUT) == "paused"
    snap = s.state
    assert snap.next == ("tick",) and 0 < snap.values["i"] < target
    assert _loop_steps(s)[-1] == snap.metadata["step"]
    assert s.cont().wait(TIMEOUT) == "completed"
    assert s.state.values["i"] == target and s.state.next == ()
    assert _loop_steps(s) == list(range(target + 1))
    s.stop()


def test_answer_resumes_interrupts_until_completion() -> None:
    s = _session("interrupt_twice")
    with pytest.raises(RuntimeError, match="no interrupt"):
        s.answer("early")
    assert s.cont().wait(TIMEOUT) == "interrupted"
    assert [i.value for i in s.state.interrupts] == ["first?"]
    with pytest.raises(RuntimeError, match="answer"):
        s.cont()
    assert s.answer("yes").wait(TIMEOUT) == "interrupted"
    assert [i.value for i in s.state.interrupts] == [{"question": "second?", "previous": "yes"}]
    assert s.answer("no").wait(TIMEOUT) == "interrupted"
    assert [i.value for i in s.state.interrupts] == ["confirm?"]
    assert s.answer("ok").wait(TIMEOUT) == "completed"
    values = s.state.values
    assert values["answers"] == ["yes", "no"] and values["log"] == ["confirm:ok"]
    assert s.history()[0].values == values
    s.stop()


def test_fork_with_an_edit_makes_a_new_branch() -> None:
    s = _session("fanout_fanin")
    assert s.cont().wait(TIMEOUT) == "completed"
    original = s.history()
    assert sorted(original[0].values["log"]) == ["a", "b", "c", "d"]
    at_1 = next(h for h in original if h.metadata["step"] == 1)
    # `log` has a reducer (operator.add): the edit replaces the value (Overwrite), not appends
    assert s.fork(1, {"log": ["EDIT"]}, as_node="a").wait(TIMEOUT) == "completed"
    history = s.history()
    update = next(h for h in history if h.metadata["source"] == "update")
    assert update.parent_config is not None
    assert (
        update.parent_config["configurable"]["checkpoint_id"]
        == (at_1.config["configurable"]["checkpoint_id"])
    )
    assert update.values["log"] == ["EDIT"] and update.next == ("b", "c")
    final = history[0].values["log"]
    assert final[:1] == ["EDIT"] and sorted(final[1:]) == ["b", "c", "d"]
    assert s.state.values == history[0].values
    # the old branch is still there, and both are in the recording
    old_ids = {h.config["configurable"]["checkpoint_id"] for h in original}
    assert old_ids <= {h.config["configurable"]["checkpoint_id"] for h in history}
    sources = [x.source for x in s.run.supersteps]
    assert "update" in sources
    assert len(s.run.threads) == 1
    s.stop()


def test_fork_edit_through_the_reducer_when_asked() -> None:
    s = _session("fanout_fanin")
    assert s.cont().wait(TIMEOUT) == "completed"
    assert s.fork(1, {"log": ["EDIT"]}, as_node="a", replace=False).wait(TIMEOUT) == "completed"
    update = next(h for h in s.history() if h.metadata["source"] == "update")
    assert update.values["log"] == ["a", "EDIT"]
    s.stop()


def test_fork_without_edit_replays_from_a_checkpoint() -> None:
    s = _session("fanout_fanin")
    s.cont().wait(TIMEOUT)
    original = s.history()
    n = len(original)
    at_2 = next(h for h in original if h.metadata["step"] == 2)
    assert s.fork(at_2.config["configurable"]["checkpoint_id"]).wait(TIMEOUT) == "completed"
    history = s.history()
    assert len(history) > n  # a new branch, the old one kept
    # LangGraph's replay: a "fork" copy of the checkpoint, then d runs again on top of it
    head, copy = history[0], history[1]
    assert copy.metadata["source"] == "fork" and copy.values == at_2.values
    assert copy.parent_config is not None and head.parent_config is not None
    assert (
        copy.parent_config["configurable"]["checkpoint_id"]
        == (at_2.config["configurable"]["checkpoint_id"])
    )
    assert (
        head.parent_config["configurable"]["checkpoint_id"]
        == (copy.config["configurable"]["checkpoint_id"])
    )
    assert head.metadata["source"] == "loop" and head.values == original[0].values == s.state.values
    assert sorted(head.values["log"]) == ["a", "b", "c", "d"]
    assert [t.name for t in s.run.supersteps[-1].tasks] == ["d"]
    with pytest.raises(KeyError):
        s.fork(99)
    s.stop()


def test_stop_ends_a_running_session() -> None:
    graph = _slow_loop(0.02)
    s = debug_session(graph, {"i": 0, "target": 1000}, {"recursion_limit": 5000})
    s.cont()
    time.sleep(0.1)
    assert s.stop(TIMEOUT) == "stopped" and s.status == "stopped"
    assert s.state.next == ("tick",) and s.state.values["i"] < 1000
    steps = [x.step for x in s.run.supersteps]
    assert steps and steps[-1] == s.state.metadata["step"]
    with pytest.raises(RuntimeError, match="stopped"):
        s.cont()
    assert s.stop() == "stopped"
    assert "stream" not in graph.__dict__ and graph.checkpointer is None  # left untouched
    assert not [t for t in threading.enumerate() if t.name.startswith("pregel-viz-live")]


def test_errors_and_validation() -> None:
    with pytest.raises(ValueError, match="nope"):
        _session("fanout_fanin", break_before=["nope"])
    s = _session("parallel_error")
    assert s.cont().wait(TIMEOUT) == "error"
    assert isinstance(s.error, ValueError)
    s.stop()


def test_own_checkpointer_and_thread_id_are_used() -> None:
    saver = InMemorySaver()
    case = CASES["fanout_fanin"]
    graph = case.build(saver)
    with debug_session(graph, case.input, {"configurable": {"thread_id": "mine"}}) as s:
        assert s.cont().wait(TIMEOUT) == "completed"
        assert s.thread_id == "mine" and "mine" in s.run.threads
    assert graph.checkpointer is saver
    assert graph.get_state({"configurable": {"thread_id": "mine"}}).values == s.state.values
