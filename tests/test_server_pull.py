"""from_server and `pregel-viz pull`: threads of a real LangGraph server (``langgraph dev``),
compared with local recordings of the same graphs and inputs.

A server keeps less than a local recording: what it keeps (steps, task names and paths, the
state at each step, state-key writes, errors, the last interrupt of each task, the outcome)
must match; what it does not (versions, why, attempts, calls, inputs, senders) must be marked
unknown, and the join gap must show as a task named "?".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph_server import Server
from server_compare import (
    CASES,
    CannedServers,
    Case,
    all_tasks,
    closed_port,
    input_step_told,
    paired_steps,
    paired_tasks,
    steps_and_values,
)

import pregel_viz
from pregel_viz import ServerError
from pregel_viz.cli import main
from pregel_viz.model import UNKNOWN, Run
from pregel_viz.recorder.pull import list_threads

sdk = pytest.importorskip("langgraph_sdk", reason="langgraph-sdk is not installed")


def _run_on_server(server: Server, case: Case) -> str:
    client = sdk.get_sync_client(url=server.url, api_key="")
    thread_id = client.threads.create()["thread_id"]
    client.runs.wait(thread_id, case.graph, input=case.input, raise_error=False)
    for value in case.resume:
        client.runs.wait(thread_id, case.graph, command={"resume": value}, raise_error=False)
    return str(thread_id)


@pytest.fixture(scope="module")
def pulled(langgraph_server: Server) -> dict[str, tuple[str, Run, Run]]:
    """Every served case run once on the server: (thread id, pulled run, local recording)."""
    out = {}
    for name, case in CASES.items():
        thread_id = _run_on_server(langgraph_server, case)
        run = pregel_viz.from_server(langgraph_server.url, thread_id)
        local = pregel_viz.record(case.build(None), case.input, resume=list(case.resume))
        out[name] = (thread_id, run, local)
    return out


def _last(values: list[Any]) -> Any:
    return values[-1] if values else None


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_server_thread_when_pulled_then_it_matches_a_local_recording_where_kept(
    pulled: dict[str, tuple[str, Run, Run]], name: str
) -> None:
    _, run, local = pulled[name]
    case = CASES[name]
    for key, where, g_step, w_step in paired_steps(run, local, name):
        if key == "" and w_step.step in case.join_steps:
            # the server lists no task for a join: one unknown task stands for it
            assert [t.name for t in g_step.tasks] == ["?"], where
            assert [t.name for t in w_step.tasks] != ["?"], where
            continue
        for g, w in paired_tasks(g_step, w_step, where):
            assert g.kind == w.kind, where
            assert g.state_writes == w.state_writes, (where, w.name)
            assert g.error == w.error, (where, w.name)
            assert _last(g.interrupts) == _last(w.interrupts), (where, w.name)
            assert g.status == w.status, (where, w.name)
            if not (w.state_writes or w.error or w.interrupts):
                # it wrote only LangGraph's channels (a Send, a route): not kept, but it
                # finished (a checkpoint followed), so it is not shown as pending
                assert [str(ch) for ch, _ in g.writes] == ["__no_writes__"], (where, w.name)
    assert run.outcome == local.outcome
    assert len(run.thread.calls) == len(local.thread.calls) == 1 + len(case.resume)
    assert [c.status for c in run.thread.calls] == [c.status for c in local.thread.calls]


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_pulled_thread_when_read_then_what_the_server_does_not_keep_is_unknown(
    pulled: dict[str, tuple[str, Run, Run]], name: str
) -> None:
    thread_id, run, local = pulled[name]
    assert run.meta["timings"] == "unknown"
    assert run.meta["rebuilt_from"] == "langgraph-server"
    assert run.meta["thread_id"] == thread_id
    assert run.meta["graph"] == CASES[name].graph
    assert run.thread.thread_id == thread_id
    tasks = all_tasks(run)
    assert tasks
    for task in tasks:
        assert task.attempts is UNKNOWN and task.calls is UNKNOWN
        assert task.input is UNKNOWN
        assert task.triggers is None  # why it ran: the server keeps no versions
        assert task.sent_by is None
        assert all(not str(ch).startswith(("branch:", "__pregel")) for ch, _ in task.writes)
    # a local recording knows them
    local_tasks = [t for s in local.supersteps for t in s.tasks]
    assert all(isinstance(t.attempts, list) for t in local_tasks)
    assert any(t.attempts for t in local_tasks)
    assert any(t.triggers for t in local_tasks)


@pytest.mark.parametrize("name", list(CASES))
def test_given_a_pulled_thread_then_its_input_step_holds_the_input_and_what_runs_next(
    pulled: dict[str, tuple[str, Run, Run]], name: str
) -> None:
    _, run, local = pulled[name]
    # the first run's input, from runs.list: the input step tells it as a local recording does
    told = input_step_told(run, local)
    # what the server does not keep is not told as if it were: no "wrote nothing" marker
    # read as a write, no "?" for the sender of a Send
    assert "__no_writes__" not in told and "from ?" not in told and "? " not in told, told
    gap = [t for s in run.supersteps for t in s.tasks if t.name == "?"]
    if gap:  # the join gap: a task the server's history does not list
        assert "A task ran here that the history does not name" in told, told
        assert "yet the run went on with a task it does not name" in told, told
        before_gap = told.split("A task ran here that the history does not name")[0]
        assert "so the run ends here" not in before_gap, told


def test_given_a_retried_node_when_pulled_then_its_retries_are_unknown_not_one_attempt(
    pulled: dict[str, tuple[str, Run, Run]],
) -> None:
    _, run, local = pulled["retry"]
    (w_flaky,) = [t for s in local.supersteps for t in s.tasks if t.name == "flaky"]
    (g_flaky,) = [t for s in run.supersteps for t in s.tasks if t.name == "flaky"]
    assert [a.status for a in w_flaky.attempts] == ["error", "error", "ok"]
    assert g_flaky.attempts is UNKNOWN
    assert run.state_at(run.supersteps[-1].step)["attempts"] == 3


def test_given_resumed_interrupts_when_pulled_then_each_call_has_its_resume_value(
    pulled: dict[str, tuple[str, Run, Run]],
) -> None:
    _, run, _ = pulled["interrupt"]
    calls = run.thread.calls
    assert calls[0].input == CASES["interrupt"].input
    assert [c.input["$fields"]["resume"] for c in calls[1:]] == ["yes", "no", "ok"]
    assert [c.status for c in calls] == ["interrupted"] * 3 + ["completed"]


def test_given_a_send_fan_out_when_pulled_then_the_sends_are_push_tasks_from_an_unknown_sender(
    pulled: dict[str, tuple[str, Run, Run]],
) -> None:
    _, run, local = pulled["send"]
    (step,) = [s for s in run.supersteps if any(t.name == "worker" for t in s.tasks)]
    assert [t.kind for t in step.tasks] == ["push"] * 3
    assert {t.sent_by for t in step.tasks} == {None}
    (w_step,) = [s for s in local.supersteps if any(t.name == "worker" for t in s.tasks)]
    assert {t.sent_by for t in w_step.tasks} == {"plan"}
    told = pregel_viz.narrate(run).text()
    assert "3 worker tasks ran in parallel, one per Send; who sent them was not recorded" in told


def test_given_an_interrupted_thread_when_pulled_then_its_outcome_is_the_pending_interrupt(
    langgraph_server: Server,
) -> None:
    case = CASES["interrupt"]
    thread_id = _run_on_server(langgraph_server, Case(case.graph, case.build, case.input))
    run = pregel_viz.from_server(langgraph_server.url, thread_id)
    local = pregel_viz.record(case.build(None), case.input)
    assert (
        run.outcome
        == local.outcome
        == {
            "status": "interrupted",
            "interrupts": ["approve?"],
            "error": None,
        }
    )
    (ask,) = [t for t in run.supersteps[-1].tasks if t.name == "ask"]
    assert ask.status == "interrupted" and ask.interrupts == ["approve?"]


def test_given_a_deep_history_when_pulled_then_every_page_is_read(
    langgraph_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pregel_viz.recorder import _server_api

    thread_id = _run_on_server(langgraph_server, CASES["send"])
    whole = pregel_viz.from_server(langgraph_server.url, thread_id)
    monkeypatch.setattr(_server_api, "PAGE", 2)  # 5 checkpoints: three pages
    paged = pregel_viz.from_server(langgraph_server.url, thread_id)
    assert steps_and_values(paged) == steps_and_values(whole)
    assert len(whole.supersteps) == 5


# --------------------------------------------------------------------------- errors


@pytest.fixture
def canned() -> Iterator[CannedServers]:
    with CannedServers() as servers:
        yield servers


def test_given_no_server_when_pulled_then_it_says_it_cannot_reach_one() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ServerError, match=r"cannot reach a LangGraph server at .*is it running"):
        pregel_viz.from_server(url, "some-thread")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>not an API</html>", "text/html"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"thread_id": "t", "values": {}}', "application/json"),
    ],
)
def test_given_a_server_answering_nonsense_when_pulled_then_it_says_so(
    canned: Any, body: bytes, content_type: str
) -> None:
    url = canned(200, body, content_type)
    with pytest.raises(ServerError, match=r"did not answer .* as a LangGraph server does"):
        pregel_viz.from_server(url, "some-thread")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"<html>Not Found</html>", "text/html"), (b'{"detail": "Not Found"}', "application/json")],
)
def test_given_a_web_server_that_is_not_langgraphs_when_pulled_then_it_says_so_not_no_thread(
    canned: Any, body: bytes, content_type: str
) -> None:
    url = canned(404, body, content_type)  # any other web server: 404 to every path
    with pytest.raises(ServerError, match=r"is not a LangGraph server.*check the URL") as raised:
        pregel_viz.from_server(url, "some-thread")
    assert "no thread" not in str(raised.value)
    with pytest.raises(ServerError, match=r"is not a LangGraph server"):
        list_threads(url)


def test_given_a_missing_thread_when_pulled_then_it_names_it_and_how_to_list_threads(
    langgraph_server: Server,
) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(ServerError, match=f"no thread '{missing}'.*--list"):
        pregel_viz.from_server(langgraph_server.url, missing)


@pytest.mark.parametrize("status", [401, 403])
def test_given_a_server_refusing_the_key_when_pulled_then_it_says_which_key_to_give(
    canned: Any, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    for var in ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    url = canned(status, json.dumps({"detail": "Unauthorized"}).encode())
    with pytest.raises(ServerError, match=f"needs an API key \\({status}\\).*--api-key"):
        pregel_viz.from_server(url, "t")
    with pytest.raises(ServerError, match=f"refused the API key \\({status}\\)"):
        pregel_viz.from_server(url, "t", api_key="wrong")


def test_given_an_api_key_when_pulled_then_it_is_sent_from_the_argument_or_the_environment(
    canned: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGGRAPH_API_KEY", raising=False)
    monkeypatch.setenv("LANGSMITH_API_KEY", "from-langsmith")
    url = canned(401, b"{}")
    seen = canned.handlers[-1].seen

    with pytest.raises(ServerError):
        pregel_viz.from_server(url, "t")
    assert seen[-1].get("x-api-key") == "from-langsmith"
    monkeypatch.setenv("LANGGRAPH_API_KEY", "from-langgraph")
    with pytest.raises(ServerError):
        pregel_viz.from_server(url, "t", headers={"X-Team": "a"})
    assert seen[-1].get("x-api-key") == "from-langgraph"
    assert seen[-1].get("x-team") == "a"
    with pytest.raises(ServerError):
        pregel_viz.from_server(url, "t", api_key="given")
    assert seen[-1].get("x-api-key") == "given"


def test_given_a_url_that_is_not_http_when_pulled_then_it_is_a_clear_error() -> None:
    with pytest.raises(ServerError, match="not a server URL"):
        pregel_viz.from_server("localhost:2024", "t")


# --------------------------------------------------------------------------- the CLI


def test_given_a_thread_when_pulled_with_the_cli_then_the_log_reads_as_from_server(
    pulled: dict[str, tuple[str, Run, Run]],
    langgraph_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread_id, run, _ = pulled["subgraph"]
    out = tmp_path / "thread.pregel"
    assert main(["pull", langgraph_server.url, thread_id, "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}" in said and "unknown" in said
    loaded = pregel_viz.load(out)
    assert steps_and_values(loaded) == steps_and_values(run)
    assert sorted(loaded.thread.namespaces) == sorted(run.thread.namespaces)


def test_given_a_server_when_listed_with_the_cli_then_recent_threads_show_first(
    pulled: dict[str, tuple[str, Run, Run]],
    langgraph_server: Server,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread_id = _run_on_server(langgraph_server, CASES["error"])
    assert main(["pull", langgraph_server.url, "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["THREAD", "GRAPH", "STATUS", "UPDATED"]
    first = lines[1].split()
    assert first[:3] == [thread_id, "error", "error"]
    listed = {line.split()[0] for line in lines[1:]}
    assert pulled["routing"][0] in listed


def test_given_the_cli_when_the_server_is_down_then_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    assert main(["pull", url, "t", "-o", str(tmp_path / "x.pregel")]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("pregel-viz: error: cannot reach a LangGraph server")
        and err.count("\n") == 1
    )
    assert not (tmp_path / "x.pregel").exists()


def test_given_the_cli_without_output_or_list_then_it_says_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["pull", "http://127.0.0.1:1", "t"]) == 2
    assert "-o FILE" in capsys.readouterr().err
    assert main(["pull", "http://127.0.0.1:1"]) == 2
    assert "THREAD_ID" in capsys.readouterr().err


def test_given_a_postgres_url_when_pulled_with_the_cli_then_postgres_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("langgraph.checkpoint.postgres", reason="langgraph-checkpoint-postgres")
    dsn = f"postgresql://nobody@127.0.0.1:{closed_port()}/none"
    assert main(["pull", dsn, "t", "-o", str(tmp_path / "x.pregel")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pregel-viz: error: cannot connect to PostgreSQL at 127.0.0.1")
    assert main(["pull", dsn, "--list"]) == 2
    assert "--list reads a LangGraph server" in capsys.readouterr().err
