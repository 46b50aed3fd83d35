"""What the tests of a LangGraph server's runs share: the served cases, the walk that pairs a
run taken from the server with a local recording of the same graph and input, and tiny local
HTTP servers that answer every request the same way (for the error paths).

The cases are the graphs of ``tests/server_app`` (``langgraph.json``), each with the builder a
local recording uses, its input and the answers to its interrupts.
"""

from __future__ import annotations

import http.server
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphs import (
    build_conditional_path_map,
    build_fanout_fanin,
    build_parallel_error,
    build_retry_policy,
    build_send_map_reduce,
    build_subgraph_node,
)
from langgraph_server import APP

import pregel_viz
from pregel_viz.model import Run, Superstep, Task, spec_key

sys.path.insert(0, str(APP))
from fixture_graphs import build_interrupt


@dataclass(frozen=True)
class Case:
    graph: str  # the graph's name in server_app/langgraph.json
    build: Any
    input: Any
    resume: tuple[Any, ...] = ()
    join_steps: tuple[int, ...] = ()  # root steps whose task the server's history does not list


CASES = {
    "routing": Case("routing", build_conditional_path_map, {"value": 42, "log": []}),
    "fanout": Case("fanout", build_fanout_fanin, {"log": []}, join_steps=(3,)),
    "send": Case("send", build_send_map_reduce, {"items": ["x", "y", "z"], "results": []}),
    "subgraph": Case("subgraph", build_subgraph_node, {"path": []}),
    "interrupt": Case(
        "interrupt",
        build_interrupt,
        {"draft": "notes", "answers": [], "log": []},
        resume=("yes", "no", "ok"),
    ),
    "error": Case("error", build_parallel_error, {"log": []}),
    "retry": Case("retry", build_retry_policy, {"log": []}),
}


def task_key(task: Task) -> tuple[str, str]:
    return (task.name, task.path)


def spaces(run: Run) -> dict[str, Any]:
    """The run's namespaces by their spec key (one run per subgraph in these cases)."""
    out: dict[str, Any] = {}
    for ns, space in run.thread.namespaces.items():
        assert spec_key(ns) not in out, "one run per subgraph in these cases"
        out[spec_key(ns)] = space
    return out


def all_tasks(run: Run) -> list[Task]:
    """Every task of every namespace."""
    return [t for sp in run.thread.namespaces.values() for s in sp.supersteps for t in s.tasks]


def steps_and_values(run: Run) -> list[tuple[int, Any]]:
    return [(s.step, s.values) for s in run.supersteps]


def paired_steps(
    got: Run, want: Run, name: str
) -> Iterator[tuple[str, tuple[Any, ...], Superstep, Superstep]]:
    """Check that both runs have the same namespaces, steps and state at each step, and yield
    each pair of supersteps as (namespace key, where, got's, want's)."""
    g_spaces, w_spaces = spaces(got), spaces(want)
    assert sorted(g_spaces) == sorted(w_spaces)
    for key, w_space in w_spaces.items():
        g_space = g_spaces[key]
        assert [(s.step, s.source) for s in g_space.supersteps] == [
            (s.step, s.source) for s in w_space.supersteps
        ], key
        for g_step, w_step in zip(g_space.supersteps, w_space.supersteps, strict=True):
            where = (name, key, w_step.step)
            assert g_step.values == w_step.values, where
            yield key, where, g_step, w_step


def paired_tasks(g_step: Superstep, w_step: Superstep, where: Any) -> list[tuple[Task, Task]]:
    """Check that both supersteps ran the same tasks (by name and path); pair them."""
    g_tasks = sorted(g_step.tasks, key=task_key)
    w_tasks = sorted(w_step.tasks, key=task_key)
    assert [task_key(t) for t in g_tasks] == [task_key(t) for t in w_tasks], where
    return list(zip(g_tasks, w_tasks, strict=True))


# --------------------------------------------------------------------------- error paths


def input_step_told(run: Run, local: Run) -> str:
    """Check that the first input step of a run taken from the server holds the run's input
    and what runs next, as a local recording's does, and tells it so; return the narration."""
    got, want = run.supersteps[0], local.supersteps[0]
    assert got.source == want.source == "input"
    assert got.checkpoint is not None and want.checkpoint is not None
    assert got.checkpoint.channels["__start__"] == want.checkpoint.channels["__start__"]
    assert sorted(got.checkpoint.why) == sorted(want.checkpoint.why) == ["__start__"]
    told = pregel_viz.narrate(run).text()
    assert "The input {" in told
    assert "without new input" not in told
    return told


def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Canned(http.server.BaseHTTPRequestHandler):
    status = 200
    body = b"<html>not an API</html>"
    content_type = "text/html"
    seen: list[dict[str, str]] = []

    def _answer(self) -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


class CannedServers:
    """Tiny local HTTP servers, each answering every request the same way; ``servers(status,
    body, content_type)`` starts one and gives its URL, and all stop when the ``with`` ends."""

    def __init__(self) -> None:
        self.handlers: list[Any] = []
        self.servers: list[http.server.ThreadingHTTPServer] = []

    def __call__(self, status: int, body: bytes, content_type: str = "application/json") -> str:
        handler = type(
            "Handler",
            (_Canned,),
            {"status": status, "body": body, "content_type": content_type, "seen": []},
        )
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.handlers.append(handler)
        self.servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    def __enter__(self) -> CannedServers:
        return self

    def __exit__(self, *exc: object) -> None:
        for httpd in self.servers:
            httpd.shutdown()
            httpd.server_close()
