"""The renderers on hand-built event streams: narration, comparison, the viewer's document and
the export, each checked against a run whose every event the test wrote (events_builder.py).

No LangGraph here: a change to a renderer is tested apart from the recorder, and the last test
runs every renderer in a process where LangGraph and LangChain cannot be imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from events_builder import LAST, RunBuilder, reducer, task

import pregel_viz
from pregel_viz.analysis.export import run_to_dict, summary
from pregel_viz.events import START
from pregel_viz.model import Run
from pregel_viz.views.payload import build_payload, payload_json

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- the runs


def _started(thread: str = "t") -> RunBuilder:
    """Nodes a, b, c, d with state keys x (a LastValue) and log (operator.add); the input
    {"x": 0} has arrived and __start__ has routed to a (steps -1 and 0)."""
    return (
        RunBuilder(thread)
        .graph(
            ["a", "b", "c", "d"],
            edges=[(START, "a"), ("a", "b")],
            conditional=[("a", "c")],
            channels={"x": LAST, "log": reducer("add", default=[])},
        )
        .call({"x": 0})
        .step(task(START, writes={"x": 0}, routes=["a"]))
    )


def routed_run(to: str, thread: str = "t") -> Run:
    """a routes to ``to`` (step 1), which writes x=2 (step 2); the call completes."""
    return (
        _started(thread)
        .step(task("a", writes={"x": 1}, routes=[to]))
        .step(task(to, writes={"x": 2}))
        .end()
        .run()
    )


def fan_out_run() -> Run:
    """a routes to b and c, which run in parallel (step 2), both appending to log."""
    return (
        _started()
        .step(task("a", writes={"log": ["a"]}, routes=["b", "c"]))
        .step(
            task("b", writes={"log": ["b"]}, routes=["d"]),
            task("c", writes={"log": ["c"], "x": 5}, routes=["d"]),
            values={"log": ["a", "b", "c"]},
        )
        .step(task("d"))
        .end()
        .run()
    )


def _paused() -> RunBuilder:
    """a calls interrupt({"question": "ok?"}) in step 1; the call ends interrupted."""
    return _started().step(task("a", interrupt={"question": "ok?"})).end()


def failing_run() -> Run:
    """In step 2, b fails twice (its retry policy gives up) while c finishes."""
    flaky = ("ValueError", "flaky")
    return (
        _started()
        .step(task("a", routes=["b", "c"]))
        .step(task("b", attempts=["error", "error"], error=flaky), task("c", writes={"x": 3}))
        .end()
        .run()
    )


# --------------------------------------------------------------------------- narration


def test_given_two_parallel_tasks_when_narrated_then_they_share_one_reason_and_each_is_told() -> (
    None
):
    narration = pregel_viz.narrate(fan_out_run())
    sentences = narration.sentences(2)
    # the graph draws a -> b as a static edge and a -> c as a conditional one
    assert sentences[:5] == [
        "b ran because the edge from a leads to it.",
        "c ran because the conditional edge of a chose it.",
        "Both tasks ran in parallel in this one superstep: each read the state as the step "
        "began, and none saw another's writes until the step ended, when LangGraph applied "
        "them together.",
        "b wrote log=['b']; routed to d.",
        "c wrote log=['c'] and x=5; routed to d.",
    ]
    assert "x is a LastValue: c's value replaced the old one (0 → 5)." in sentences
    assert sentences[-1] == "Next: d."
    # the node both routed to names both writers (no edge of theirs is drawn)
    assert narration.sentences(3)[0] == "d ran because b and c routed to it."


def test_given_a_reducer_channel_when_narrated_then_the_reducer_and_item_counts_are_told() -> None:
    narration = pregel_viz.narrate(fan_out_run())
    assert (
        "log: the reducer operator.add appended 1 item from a (1 write); it now holds 1 item."
        in narration.sentences(1)
    )
    assert (
        "log: the reducer operator.add appended 2 items from b and c (2 writes); it now holds "
        "3 items." in narration.sentences(2)
    )


def test_given_an_interrupt_when_narrated_then_the_pause_and_the_waiting_thread_are_told() -> None:
    run = _paused().run()
    assert pregel_viz.narrate(run).sentences(1) == [
        "a ran because the edge from start leads to it.",
        "a called interrupt({'question': 'ok?'}), so the run paused to wait for an answer.",
        "a is still paused, so no checkpoint was saved for this step: the thread waits for "
        "Command(resume=...).",
    ]
    assert run.outcome == {
        "status": "interrupted",
        "interrupts": [{"question": "ok?"}],
        "error": None,
    }


def test_given_a_resume_when_narrated_then_the_answer_and_the_rerun_are_told() -> None:
    run = _paused().resume("yes").step(task("a", writes={"x": 7})).end().run()
    assert pregel_viz.narrate(run).sentences(1)[1:] == [
        "a called interrupt({'question': 'ok?'}), so the run paused to wait for an answer; "
        "run 2 resumed it with the answer 'yes'.",
        "When resumed, a ran again from the top, and this time interrupt() returned the answer "
        "instead of pausing.",
        "a wrote x=7.",
        "x is a LastValue: a's value replaced the old one (0 → 7).",
        "Nothing is triggered next, so the run ends here.",
        "Run 2 completed here.",
    ]


def test_given_a_retry_that_succeeds_when_narrated_then_the_failed_attempt_is_named() -> None:
    retried = task("a", writes={"x": 1}, attempts=["error", "ok"], error=("KeyError", "'k'"))
    run = _started().step(retried).end().run()
    assert pregel_viz.narrate(run).sentences(1)[1:3] == [
        "a failed on attempt 1 (KeyError: 'k'); its retry policy ran it again, and attempt 2 "
        "succeeded.",
        "a wrote x=1.",
    ]


def test_given_retries_that_give_up_beside_a_sibling_when_narrated_then_its_writes_are_kept() -> (
    None
):
    assert pregel_viz.narrate(failing_run()).sentences(2) == [
        "b ran because the edge from a leads to it.",
        "c ran because the conditional edge of a chose it.",
        "Both tasks ran in parallel in this one superstep: each read the state as the step "
        "began, and none saw another's writes until the step ended, when LangGraph applied "
        "them together.",
        "b failed twice, on attempt 1 (ValueError: flaky) and attempt 2 (ValueError: flaky); its "
        "retry policy gave up.",
        "b failed with ValueError: flaky.",
        "c wrote x=3.",
        "Because b failed, LangGraph saved no checkpoint for this step and the state did not "
        "change; the writes of c were kept as pending writes, so resuming the thread (invoke "
        "with None) would not run them again.",
    ]


def test_given_a_written_channel_without_a_value_when_narrated_then_no_placeholder_shows() -> None:
    """Told without the channel classes (narrate(thread)), a channel written in a step whose
    checkpoint keeps no value for it (a DeltaChannel's) is told as such, never as a Python
    placeholder (whose address also changed the text from one run to the next)."""
    run = routed_run("b")
    del run.thread.root.supersteps[-1].checkpoint.channels["x"]
    assert pregel_viz.narrate(run.thread).sentences(2)[2] == (
        "x was written by b; the checkpoint holds no value for it."
    )


# --------------------------------------------------------------------------- comparison


def test_given_another_route_when_compared_then_the_routing_write_is_the_first_divergence() -> None:
    result = pregel_viz.compare(routed_run("b"), routed_run("c"), labels=("left", "right"))
    assert not result.identical
    assert result.first is not None
    assert (result.first.step, result.first.kind, result.first.rank) == (1, "routes", "tasks")
    assert result.first.details == "a routed to b in left but to c in right."
    assert [(d.step, d.kind, d.details) for d in result.differences[1:]] == [
        (2, "tasks", "left ran b; right ran c.")
    ]
    assert [r.step for r in result.rows if not r.same] == [1, 2]
    assert str(result).splitlines()[0] == (
        "first divergence: step 1 (routes): a routed to b in left but to c in right."
    )


def test_given_two_equal_streams_when_compared_then_identical() -> None:
    # two threads of their own names: what counts is what ran, not where it was recorded
    result = pregel_viz.compare(routed_run("b", thread="one"), routed_run("b", thread="two"))
    assert result.identical
    assert result.first is None and result.differences == []
    assert [(r.step, r.same, r.a and r.a["tasks"]) for r in result.rows] == [
        (-1, True, []),
        (0, True, [START]),
        (1, True, ["a"]),
        (2, True, ["b"]),
    ]
    assert str(result).splitlines()[0] == (
        "identical: A and B made the same steps: the input and supersteps 0 to 2, with the "
        "same tasks, writes, values and outcome."
    )


def test_given_a_task_that_fails_in_one_run_when_compared_then_outcomes_differ() -> None:
    failed = task("b", error=("RuntimeError", "down"))
    broken = _started().step(task("a", writes={"x": 1}, routes=["b"])).step(failed).end().run()
    result = pregel_viz.compare(routed_run("b"), broken)
    assert result.first is not None
    assert (result.first.step, result.first.kind) == (2, "outcome")
    assert result.first.details == "b finished in A but failed (RuntimeError: down) in B."
    assert result.differences[-1].details == (
        "A ended completed; B ended error (RuntimeError: down)."
    )


RECURSION = ("GraphRecursionError", "Recursion limit of 25 reached.\nFor troubleshooting, visit: x")


def test_given_a_multi_line_error_when_compared_then_each_divergence_is_one_line() -> None:
    broken = (
        _started().step(task("a", writes={"x": 1}, routes=["b"])).step(task("b", error=RECURSION))
    )
    result = pregel_viz.compare(routed_run("b"), broken.end().run())
    assert result.differences[-1].details == (
        "A ended completed; B ended error (GraphRecursionError: Recursion limit of 25 reached.)."
    )
    assert all(len(d.details.splitlines()) == 1 for d in result.differences)


def test_given_a_second_call_on_one_side_when_compared_then_its_input_step_is_named_once() -> None:
    def one_call() -> RunBuilder:
        b = RunBuilder().graph(["a"], channels={"x": LAST}).call({"x": 1})
        return b.step(task(START, writes={"x": 1}, routes=["a"])).step(task("a", writes={"x": 2}))

    longer = one_call().end().call({"x": 5}).step(task(START, writes={"x": 5}, routes=["a"]))
    result = pregel_viz.compare(one_call().end().run(), longer.end().run())
    missing = [d.details for d in result.differences if d.kind == "missing"]
    assert missing[0] == "A stopped after step 1; B has step 2 (input)."


# --------------------------------------------------------------------------- the viewer's document


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    (thread,) = doc["threads"]
    (root,) = thread["namespaces"]
    assert root["ns"] == ""
    steps: list[dict[str, Any]] = root["steps"]
    return steps


def test_given_a_fan_out_when_the_payload_is_built_then_steps_tasks_state_and_edges_are_given() -> (
    None
):
    run = fan_out_run()
    steps = _steps(build_payload(run))
    assert [(s["step"], s["source"]) for s in steps] == [
        (-1, "input"),
        (0, "loop"),
        (1, "loop"),
        (2, "loop"),
        (3, "loop"),
    ]
    assert [[(t["name"], t["status"]) for t in s["tasks"]] for s in steps] == [
        [],
        [(START, "ok")],
        [("a", "ok")],
        [("b", "ok"), ("c", "ok")],
        [("d", "ok")],
    ]
    # the state as a delta of the entry before (log shows its reducer's empty value first)
    assert [s["state"] for s in steps] == [
        {"set": {"log": []}, "del": []},
        {"set": {"x": 0}, "del": []},
        {"set": {"log": ["a"]}, "del": []},
        {"set": {"x": 5, "log": ["a", "b", "c"]}, "del": []},
        {"set": {}, "del": []},
    ]
    assert [s["edges"] for s in steps] == [
        [],
        [[START, "a", "route"]],
        [["a", "b", "route"], ["a", "c", "route"]],
        [["b", "d", "route"], ["c", "d", "route"]],
        [],
    ]
    b = steps[3]["tasks"][0]
    assert b["writes"] == [["log", ["b"]], ["branch:to:d", None]]
    # a saver's version string is sent as its counter
    assert b["triggers"] == [
        {"channel": "branch:to:b", "seen": None, "current": 3, "written_by": ["a"]}
    ]
    assert steps[3]["next"] == {"d": [["branch:to:d", None, 4]]}
    assert [s["narration"] for s in steps] == [s.sentences for s in pregel_viz.narrate(run).steps]


def test_given_drawn_and_undrawn_routes_when_the_payload_is_built_then_edges_have_kinds() -> None:
    graph = build_payload(fan_out_run())["graphs"][""]
    edges = {(e["source"], e["target"]): e["kind"] for e in graph["edges"]}
    assert edges == {
        (START, "a"): "static",
        ("a", "b"): "static",
        ("a", "c"): "conditional",
        ("b", "d"): "observed",  # taken, never drawn
        ("c", "d"): "observed",
    }
    assert [n["name"] for n in graph["nodes"]] == [START, "a", "b", "c", "d", "__end__"]


def test_given_a_run_when_serialized_then_the_json_text_is_the_document() -> None:
    run = failing_run()
    assert json.loads(payload_json(run)) == build_payload(run)
    step = _steps(build_payload(run))[-1]
    assert (step["step"], step["checkpoint"]) == (2, None)  # no checkpoint: b failed
    assert [(t["name"], t["status"], t["error"]) for t in step["tasks"]] == [
        ("b", "error", {"type": "ValueError", "message": "flaky"}),
        ("c", "ok", None),
    ]


# --------------------------------------------------------------------------- the export


def test_given_a_failed_run_when_exported_then_the_document_tells_steps_tasks_and_outcome() -> None:
    doc = run_to_dict(failing_run())
    assert (doc["format"], doc["version"]) == ("pregel-viz-export", 1)
    assert doc["meta"]["graph"] == "hand-built"
    (thread,) = doc["threads"]
    assert thread["outcome"] == {
        "status": "error",
        "interrupts": [],
        "error": {"type": "ValueError", "message": "flaky"},
    }
    assert [(c["index"], c["status"]) for c in thread["calls"]] == [(1, "error")]
    root = thread["namespaces"][""]
    assert [(s["step"], s["checkpoint_id"], s["parent_id"]) for s in root["supersteps"]] == [
        (-1, "cp1", None),
        (0, "cp2", "cp1"),
        (1, "cp3", "cp2"),
        (2, None, "cp3"),
    ]
    zero, two = root["supersteps"][1], root["supersteps"][3]
    assert zero["values"] == {"x": 0, "log": []}
    assert zero["next"] == {"a": [["branch:to:a", None, "00000000000000000000000000000002.0.5"]]}
    assert two["values"] == zero["values"]  # no checkpoint: the state it started from
    b, c = two["tasks"]
    assert (b["name"], b["status"], b["attempts"]) == ("b", "error", 2)
    assert [a["status"] for a in b["attempt_times"]] == ["error", "error"]
    assert b["attempt_times"][0]["error"] == {"type": "ValueError", "message": "flaky"}
    assert (c["name"], c["status"], c["writes"]) == ("c", "ok", [["x", 3]])
    assert root["edges_taken"] == [
        {"source": START, "target": "a", "kind": "route", "count": 1},
        {"source": "a", "target": "b", "kind": "route", "count": 1},
        {"source": "a", "target": "c", "kind": "route", "count": 1},
    ]


def test_given_a_failed_run_when_summarized_then_each_line_tells_its_part() -> None:
    assert summary(failing_run()).splitlines() == [
        "graph 'hand-built' recorded with langgraph none, pregel-viz test",
        "1 thread(s)",
        "thread t: 1 call(s), 3 superstep(s), 4 task(s), 0 subgraph run(s), outcome error",
        "  error: ValueError: flaky",
        "  task b (step 2, ns root) failed: ValueError: flaky",
    ]


def test_given_a_multi_line_error_when_summarized_then_its_first_line_is_shown() -> None:
    failed = _started().step(task("a", error=RECURSION)).end().run()
    assert summary(failed).splitlines()[3:] == [
        "  error: GraphRecursionError: Recursion limit of 25 reached.",
        "  task a (step 1, ns root) failed: GraphRecursionError: Recursion limit of 25 reached.",
    ]
    assert run_to_dict(failed)["threads"][0]["outcome"]["error"]["message"] == RECURSION[1]


def test_given_a_paused_run_when_summarized_then_the_interrupt_is_waited_on() -> None:
    assert summary(_paused().run()).splitlines()[2:] == [
        "thread t: 1 call(s), 2 superstep(s), 2 task(s), 0 subgraph run(s), outcome interrupted",
        "  waiting on interrupt: {'question': 'ok?'}",
    ]


# --------------------------------------------------------------------------- without LangGraph

# every renderer on the hand-built runs, in a process where LangGraph cannot be imported
_WITHOUT_LANGGRAPH = """
import importlib.abc, json, sys

BLOCKED = ("langgraph", "langchain_core")

class NoLangGraph(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed here")
        return None

sys.meta_path.insert(0, NoLangGraph())
try:
    import langgraph
    blocked = False
except ImportError:
    blocked = True

sys.path.insert(0, TESTS)
from test_renderers_handbuilt import rendered

out = rendered()
out["blocked"] = blocked
out["loaded"] = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
print(json.dumps(out))
"""


def rendered() -> dict[str, Any]:
    """What each renderer makes of the hand-built runs, as JSON data."""
    run = failing_run()
    return {
        "narration": pregel_viz.narrate(run).to_dict(),
        "compare": pregel_viz.compare(routed_run("b"), routed_run("c")).to_dict(),
        "identical": pregel_viz.compare(routed_run("b"), routed_run("b")).identical,
        "payload": build_payload(run),
        "payload_json": json.loads(payload_json(run)),
        "export": run_to_dict(run),
        "summary": summary(run),
    }


def test_given_langgraph_unimportable_when_the_renderers_run_then_they_give_the_same_output() -> (
    None
):
    script = f"TESTS = {str(HERE)!r}\n{_WITHOUT_LANGGRAPH}"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=HERE
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out.pop("blocked") is True  # the finder works: importing LangGraph fails there
    assert out.pop("loaded") == []
    assert out["identical"] is True
    assert out["compare"]["first"]["details"] == "a routed to b in A but to c in B."
    assert "b failed with ValueError: flaky." in out["narration"]["steps"][3]["sentences"]
    assert out["summary"].splitlines()[-1] == "  task b (step 2, ns root) failed: ValueError: flaky"
    # and every renderer's whole output is what it is where LangGraph is there
    assert out == json.loads(json.dumps(rendered()))
