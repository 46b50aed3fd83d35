"""record_server: runs of a real LangGraph server (``langgraph dev``) recorded from its debug
stream, compared with local recordings (``pregel_viz.record``) of the same graphs and inputs.

What the server gives must match the local recording: the supersteps of every namespace, the
tasks of each (names, paths, kinds, inputs), their writes to the state keys, errors, every
interrupt, each attempt's status round by round with ordered timestamps, the state at each step,
the calls (input, resume, interrupts, status) and the outcome. What it does not give is named,
and must be unknown or absent, never made up: versions and why, senders, LangGraph's own
writes (routing, Sends), failed retries, calls inside tasks, the resume value each task read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph_server import Server
from server_compare import (
    CASES,
    CannedServers,
    all_tasks,
    closed_port,
    input_step_told,
    paired_steps,
    paired_tasks,
    steps_and_values,
)

import pregel_viz
from pregel_viz import ServerError
from pregel_viz.model import UNKNOWN, Run, Task

pytest.importorskip("langgraph_sdk", reason="langgraph-sdk is not installed")

from pregel_viz.recorder.record_server import UNKNOWN_FROM_STREAM


@pytest.fixture(scope="module")
def recorded(langgraph_server: Server) -> dict[str, tuple[Run, Run]]:
    """Every case recorded once from the server, and once locally: (server's, local)."""
    out = {}
    for name, case in CASES.items():
        run = pregel_viz.record_server(
            langgraph_server.url, case.graph, case.input, resume=case.resume
        )
        local = pregel_viz.record(case.build(None), case.input, resume=list(case.resume))
        out[name] = (run, local)
    return out


def _started(task: Task) -> bool:
    """Did the task run (the input's __start__ task has no attempt, here or locally)?"""
    return task.name != "__start__"


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_served_graph_when_recorded_then_it_matches_a_local_recording_where_given(
    recorded: dict[str, tuple[Run, Run]], name: str
) -> None:
    run, local = recorded[name]
    for _, where, g_step, w_step in paired_steps(run, local, name):
        for g, w in paired_tasks(g_step, w_step, where):
            at = (*where, w.name)
            assert (g.kind, g.status) == (w.kind, w.status), at
            assert g.state_writes == w.state_writes, at
            assert g.error == w.error, at
            assert g.interrupts == w.interrupts, at  # every one, not only the last
            if not _started(w):
                continue
            assert g.input == w.input, at
            # one attempt per round; a retried task's failed attempts are not streamed
            assert [a.status for a in g.attempts] == [
                a.status for a in w.attempts if a.status != "error" or a is w.attempts[-1]
            ], at
    assert run.outcome == local.outcome
    g_calls, w_calls = run.thread.calls, local.thread.calls
    assert len(g_calls) == len(w_calls) == 1 + len(CASES[name].resume)
    for g_call, w_call in zip(g_calls, w_calls, strict=True):
        assert (g_call.status, g_call.input, g_call.interrupts, g_call.error) == (
            w_call.status,
            w_call.input,
            w_call.interrupts,
            w_call.error,
        )


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_recorded_run_then_its_times_are_the_servers_and_in_order(
    recorded: dict[str, tuple[Run, Run]], name: str
) -> None:
    run, _ = recorded[name]
    for space in run.thread.namespaces.values():
        stamps = [s.checkpoint.t for s in space.supersteps if s.checkpoint is not None]
        assert None not in stamps and stamps == sorted(stamps), stamps
        ends: list[float] = []
        for step in space.supersteps:
            begun = [t for t in step.tasks if _started(t)]
            for task in begun:
                assert task.attempts, task.name
                for a in task.attempts:
                    assert a.start is not None and a.end is not None, task.name
                    assert 0 <= a.start <= a.end, (task.name, a)
                pairs = zip(task.attempts, task.attempts[1:], strict=False)
                assert all(a.end <= b.start for a, b in pairs), task.name
            if begun and ends:  # a superstep starts after the one before it ended
                assert min(t.attempts[0].start for t in begun) >= max(ends), step.step
            ends = [t.attempts[-1].end for t in begun] or ends
    calls = run.thread.calls
    assert all(c.start is not None and c.end is not None and c.start <= c.end for c in calls)
    assert [c.start for c in calls] == sorted(c.start for c in calls)


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_recorded_run_then_what_the_server_does_not_give_is_named_and_unknown(
    recorded: dict[str, tuple[Run, Run]], name: str
) -> None:
    run, local = recorded[name]
    assert run.meta["recorded_from"] == "langgraph-server"
    assert run.meta["graph"] == CASES[name].graph
    assert (
        run.meta["unknown"]
        == [
            "channel versions",
            "why each task ran",
            "who wrote its triggers",
            "who sent each Send",
            "routing, Send and goto writes",
            "failed attempts (a retried task shows one attempt per round, spanning its retries)",
            "calls inside tasks",
            "resume values per task",
        ]
        == list(UNKNOWN_FROM_STREAM)
    )
    assert run.thread.thread_id == run.meta["thread_id"]
    for space in run.thread.namespaces.values():
        for cp in space.checkpoints.values():
            # what runs next is named (the stream's next list), the channels behind it are not
            assert cp.versions == {} and cp.why_inferred
            assert all(channels == [] for channels in cp.why.values())
    tasks = all_tasks(run)
    assert tasks
    for task in tasks:
        assert task.triggers is None  # why it ran
        assert task.sent_by is None
        assert task.calls is UNKNOWN
        assert task.resumes == []
        assert all(not str(ch).startswith(("branch:", "__pregel")) for ch, _ in task.writes)
        if not _started(task):
            assert task.attempts is UNKNOWN and task.input is UNKNOWN
    # a local recording knows them
    local_tasks = all_tasks(local)
    assert any(t.triggers for t in local_tasks)
    assert all(isinstance(t.calls, list) for t in local_tasks)


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_recorded_run_then_its_input_step_holds_the_input_and_what_runs_next(
    recorded: dict[str, tuple[Run, Run]], name: str
) -> None:
    run, local = recorded[name]
    told = input_step_told(run, local)  # what runs next after it, as the stream lists it
    assert "Nothing is triggered next" not in told.split("Step 0:")[0]


def test_given_a_retried_node_when_recorded_then_one_attempt_stands_for_its_retries(
    recorded: dict[str, tuple[Run, Run]],
) -> None:
    run, local = recorded["retry"]
    (w_flaky,) = [t for s in local.supersteps for t in s.tasks if t.name == "flaky"]
    (g_flaky,) = [t for s in run.supersteps for t in s.tasks if t.name == "flaky"]
    assert [a.status for a in w_flaky.attempts] == ["error", "error", "ok"]
    assert [(a.index, a.status) for a in g_flaky.attempts] == [(1, "ok")]
    assert run.state_at(run.supersteps[-1].step)["attempts"] == 3


def test_given_resumed_interrupts_when_recorded_then_each_round_is_a_call_and_an_attempt(
    recorded: dict[str, tuple[Run, Run]],
) -> None:
    run, local = recorded["interrupt"]
    calls = run.thread.calls
    assert calls[0].input == CASES["interrupt"].input
    assert [c.input["$fields"]["resume"] for c in calls[1:]] == ["yes", "no", "ok"]
    assert [c.status for c in calls] == ["interrupted"] * 3 + ["completed"]
    assert [c.interrupts for c in calls] == [
        ["approve?"],
        [{"question": "why?", "previous": "yes"}],
        ["publish?"],
        [],
    ]
    (ask,) = [t for s in run.supersteps for t in s.tasks if t.name == "ask"]
    assert [a.status for a in ask.attempts] == ["interrupt", "interrupt", "ok"]
    # the resume each attempt read: known locally, not streamed
    (w_ask,) = [t for s in local.supersteps for t in s.tasks if t.name == "ask"]
    assert w_ask.resumes and ask.resumes == []


def test_given_a_join_when_recorded_then_its_task_is_named_unlike_in_the_history(
    recorded: dict[str, tuple[Run, Run]],
) -> None:
    run, _ = recorded["fanout"]
    (step,) = [s for s in run.supersteps if s.step == 3]
    assert [(t.name, t.status, t.state_writes) for t in step.tasks] == [
        ("d", "ok", [["log", ["d"]]])
    ]


def test_given_a_send_fan_out_when_recorded_then_the_sends_are_push_tasks_of_unknown_sender(
    recorded: dict[str, tuple[Run, Run]],
) -> None:
    run, local = recorded["send"]
    (step,) = [s for s in run.supersteps if any(t.name == "worker" for t in s.tasks)]
    assert [t.kind for t in step.tasks] == ["push"] * 3
    assert [t.input for t in step.tasks] == [{"item": "x"}, {"item": "y"}, {"item": "z"}]
    assert {t.sent_by for t in step.tasks} == {None}
    (w_step,) = [s for s in local.supersteps if any(t.name == "worker" for t in s.tasks)]
    assert {t.sent_by for t in w_step.tasks} == {"plan"}


def test_given_a_path_and_a_thread_id_when_recorded_then_the_log_is_that_run_on_that_thread(
    langgraph_server: Server, tmp_path: Path
) -> None:
    case = CASES["subgraph"]
    out = tmp_path / "served.pregel"
    thread_id = "6d1f7f0e-1c55-4f7a-9b0e-2f3a4c5d6e7f"
    run = pregel_viz.record_server(
        langgraph_server.url, case.graph, case.input, thread_id=thread_id, path=out
    )
    loaded = pregel_viz.load(out)
    assert loaded.meta["thread_id"] == run.meta["thread_id"] == thread_id
    assert steps_and_values(loaded) == steps_and_values(run)
    assert sorted(loaded.thread.namespaces) == sorted(run.thread.namespaces)
    assert loaded.outcome == run.outcome == {"status": "completed", "interrupts": [], "error": None}


# --------------------------------------------------------------------------- errors


def test_given_no_server_when_recorded_then_it_says_it_cannot_reach_one() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ServerError, match=r"cannot reach a LangGraph server at .*is it running"):
        pregel_viz.record_server(url, "routing", {"value": 1, "log": []})


def test_given_a_server_answering_nonsense_when_recorded_then_it_says_so() -> None:
    with CannedServers() as canned:
        nonsense = canned(200, b"<html>not an API</html>", "text/html")
        with pytest.raises(ServerError, match=r"did not answer .* as a LangGraph server does"):
            pregel_viz.record_server(nonsense, "routing", {"value": 1, "log": []})


@pytest.mark.parametrize("assistant", ["routing", "00000000-0000-4000-8000-000000000000"])
def test_given_a_web_server_that_is_not_langgraphs_when_recorded_then_it_says_so(
    assistant: str,
) -> None:
    with CannedServers() as canned:
        other = canned(404, b'{"detail": "Not Found"}')  # 404 to every path
        with pytest.raises(ServerError, match=r"is not a LangGraph server.*check the URL"):
            pregel_viz.record_server(other, assistant, {"value": 1, "log": []})


@pytest.mark.parametrize("assistant", ["no_such_graph", "00000000-0000-4000-8000-000000000000"])
def test_given_an_unknown_assistant_when_recorded_then_it_names_the_servers_graphs(
    langgraph_server: Server, assistant: str
) -> None:
    with pytest.raises(ServerError, match=f"no assistant or graph '{assistant}'.*routing"):
        pregel_viz.record_server(langgraph_server.url, assistant, {"value": 1, "log": []})


def test_given_a_url_that_is_not_http_when_recorded_then_it_is_a_clear_error() -> None:
    with pytest.raises(ServerError, match="not a server URL"):
        pregel_viz.record_server("localhost:2024", "routing", {})
