"""Hand-built event streams: a `.pregel` log's events written out by a test, no LangGraph needed.

A renderer (narration, comparison, the viewer's document, the export) reads a run, and a run
is built from events (:func:`pregel_viz.reader.build_run`). This builder writes those events in
the shapes the recorder writes them (``pregel_viz/events.py`` is the schema), so a test can say
exactly which supersteps, tasks and writes a run has::

    run = (
        RunBuilder()
        .graph(["a", "b"], edges=[(START, "a"), ("a", "b")], channels={"x": LAST})
        .call({"x": 0})                                   # step -1: the input
        .step(task(START, writes={"x": 0}, routes=["a"]))  # step 0
        .step(task("a", writes={"x": 1}, routes=["b"]))    # step 1
        .step(task("b", writes={"x": 2}))                  # step 2
        .end()
        .run()
    )

Steps are numbered as LangGraph numbers them: each ``step`` runs its tasks from the checkpoint
saved last and saves the next one (none when a task failed or paused). A task's id is its
node's name and the checkpoint it ran from, as LangGraph's ids are fixed by both: a task run
again from the same checkpoint (a resume) is the same task, with one attempt more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pregel_viz.events import (
    BRANCH_TO,
    ERROR,
    INTERRUPT,
    NULL_TASK_ID,
    PULL,
    RESUME,
    START,
    TASKS,
)
from pregel_viz.model import Run
from pregel_viz.reader import build_run

__all__ = ["LAST", "RunBuilder", "Task", "reducer", "task"]

LAST: dict[str, Any] = {"class": "LastValue"}
"""A plain state key's channel: it holds the last value written."""


def reducer(name: str = "add", default: Any = None) -> dict[str, Any]:
    """A state key with a reducer (``Annotated[list, operator.add]`` records ``"add"``)."""
    channel: dict[str, Any] = {"class": "BinaryOperatorAggregate", "reducer": name}
    if default is not None:
        channel["default"] = default
    return channel


@dataclass
class Task:
    """One task of a step: see :func:`task`."""

    name: str
    writes: dict[str, Any]
    routes: list[str]
    attempts: list[str]  # each attempt's status: ok, error or interrupt
    error: tuple[str, str] | None
    interrupt: Any

    @property
    def outcome(self) -> str:
        """How its last attempt ended."""
        return self.attempts[-1]


def task(
    name: str,
    writes: dict[str, Any] | None = None,
    *,
    routes: Sequence[str] = (),
    error: tuple[str, str] | None = None,
    attempts: Sequence[str] | None = None,
    interrupt: Any = None,
) -> Task:
    """A node's task: its writes to state keys, the nodes it routes to, how its attempts ended.

    ``error`` (``(type, message)``): the task fails with it. ``attempts`` lists each attempt's
    status when there are several: ``["error", "ok"]`` is a retry that succeeded, each failed
    attempt failing with ``error``. ``interrupt``: the task calls ``interrupt(value)`` and
    pauses.
    """
    statuses = list(attempts or ["error" if error else "ok"])
    if interrupt is not None:
        statuses[-1] = "interrupt"
    if "error" in statuses and error is None:
        raise ValueError(f"task {name!r} has a failed attempt: give its error=(type, message)")
    return Task(name, dict(writes or {}), list(routes), statuses, error, interrupt)


def _interrupt(value: Any) -> dict[str, Any]:
    """An interrupt as the recorder tags LangGraph's ``Interrupt``."""
    fields = {"value": value, "id": "interrupt-1", "response_schema": None}
    return {"$type": "langgraph.types.Interrupt", "$fields": fields}


def _error(error: tuple[str, str] | None) -> dict[str, str] | None:
    """An error as the recorder writes it in attempts and call ends."""
    return None if error is None else {"type": error[0], "message": error[1]}


def _version(n: int) -> str:
    """A channel version as LangGraph's savers write it (the viewer shows the counter)."""
    return f"{n:032d}.0.5"


class RunBuilder:
    """Events of one thread of one graph (the root graph; no subgraphs, no Sends)."""

    def __init__(self, thread: str = "t", *, graph_name: str = "hand-built") -> None:
        self.thread, self.graph_name = thread, graph_name
        self._events: list[dict[str, Any]] = [
            {
                "k": "meta",
                "created": "2000-01-01T00:00:00+00:00",
                "pregel_viz": "test",
                "langgraph": "none",
                "python": "3",
                "graph": graph_name,
            }
        ]
        self._clock = 0.0
        self._calls = 0
        self._checkpoints = 0  # also the channel versions' counter
        self._cp: dict[str, Any] | None = None  # the checkpoint saved last
        self._step = -1
        self._last_tasks: list[Task] = []  # the tasks of the last step
        self._attempts: dict[str, int] = {}  # task id -> attempts made
        self._seen: dict[str, dict[str, str]] = {}  # node -> channel -> version it ran on

    # --- the graph ------------------------------------------------------------------------------

    def graph(
        self,
        nodes: list[str],
        *,
        edges: Sequence[tuple[str, str]] = (),
        conditional: Sequence[tuple[str, str]] = (),
        channels: dict[str, dict[str, Any]] | None = None,
    ) -> RunBuilder:
        """The graph's structure: its nodes, drawn edges and state keys' channels."""
        chans: dict[str, Any] = dict(channels or {})
        chans[START] = {"class": "EphemeralValue"}
        chans[TASKS] = {"class": "Topic"}
        chans.update({BRANCH_TO + n: {"class": "EphemeralValue"} for n in nodes})
        drawn = [(s, t, False) for s, t in edges] + [(s, t, True) for s, t in conditional]
        self._events.append(
            {
                "k": "graph",
                "key": "",
                "name": self.graph_name,
                "channels": chans,
                "triggers": {START: [START], **{n: [BRANCH_TO + n] for n in nodes}},
                "state_channels": list(channels or {}),
                "error": None,
                "nodes": [
                    {"id": n, "name": n, "subgraph": False, "metadata": {}}
                    for n in [START, *nodes, "__end__"]
                ],
                "edges": [
                    {"source": s, "target": t, "conditional": c, "label": None} for s, t, c in drawn
                ],
            }
        )
        return self

    # --- calls ----------------------------------------------------------------------------------

    def call(self, input: Any, *, method: str = "invoke") -> RunBuilder:
        """A call with new input: the call, then the input checkpoint (step -1 on a new thread,
        else the step after the last)."""
        self._call(input, method)
        step = -1 if self._cp is None else self._step + 1
        self._save({START: input}, step=step, source="input", routes=[START], consumed=[])
        return self

    def resume(self, value: Any) -> RunBuilder:
        """A call with ``Command(resume=value)``: it answers the paused task's interrupt."""
        fields = {"graph": None, "update": None, "resume": value, "goto": []}
        self._call({"$type": "langgraph.types.Command", "$fields": fields}, "invoke")
        self._writes(NULL_TASK_ID, "", [[RESUME, value]])
        return self

    def end(self, status: str | None = None, *, error: tuple[str, str] | None = None) -> RunBuilder:
        """The call ends: by default as its last step did (completed, interrupted or error)."""
        last = self._last_tasks
        failed = [t for t in last if t.outcome == "error"]
        paused = [t.interrupt for t in last if t.outcome == "interrupt"]
        if error is None and failed:
            error = failed[0].error
        if status is None:
            status = "error" if failed else "interrupted" if paused else "completed"
        self._events.append(
            {
                "k": "end",
                "call": self._calls,
                "thread": self.thread,
                "status": status,
                "interrupts": [_interrupt(v) for v in paused] if status == "interrupted" else [],
                "error": _error(error),
                "t": self._tick(),
            }
        )
        return self

    # --- steps ----------------------------------------------------------------------------------

    def step(self, *tasks: Task, values: dict[str, Any] | None = None) -> RunBuilder:
        """The tasks run from the checkpoint saved last; then, unless one failed or paused, the
        next checkpoint is saved.

        The checkpoint holds, for each state key written, the last value written, or what
        ``values`` gives (a reducer's result: ``values={"log": ["a", "b"]}``).
        """
        assert self._cp is not None, "call() first: a step runs from a checkpoint"
        parent = self._cp
        for t in tasks:
            self._run(t, parent)
        self._last_tasks = list(tasks)
        if any(t.outcome != "ok" for t in tasks):
            return self  # no checkpoint: the state stays as it was
        changed: dict[str, Any] = {}
        for t in tasks:
            changed.update(t.writes)
            changed.update({BRANCH_TO + n: None for n in t.routes})
        changed.update(values or {})
        routes = [n for t in tasks for n in t.routes]
        used = [ch for t in tasks for ch, _, _ in parent["why"].get(t.name, [])]
        self._save(changed, step=self._step + 1, source="loop", routes=routes, consumed=used)
        return self

    def _run(self, t: Task, parent: dict[str, Any]) -> None:
        task_id = f"{t.name}@{parent['id']}"
        reasons = parent["why"].get(t.name, [])
        self._seen[t.name] = {ch: cur for ch, _, cur in reasons}
        for status in t.attempts if t.name != START else ():  # __start__ is never timed
            attempt = self._attempts[task_id] = self._attempts.get(task_id, 0) + 1
            self._events.append(
                {
                    "k": "task_start",
                    "thread": self.thread,
                    "ns": "",
                    "task": task_id,
                    "name": t.name,
                    "step": self._step + 1,
                    "path": [PULL, t.name],
                    "triggers": [ch for ch, _, _ in reasons],
                    "attempt": attempt,
                    "t": self._tick(),
                }
            )
            self._events.append(
                {
                    "k": "task_end",
                    "task": task_id,
                    "attempt": attempt,
                    "status": status,
                    "error": _error(t.error) if status == "error" else None,
                    "t": self._tick(),
                }
            )
        if t.outcome == "error":
            assert t.error is not None
            kind, message = t.error
            writes = [[ERROR, {"$type": f"builtins.{kind}", "$error": message}]]
        elif t.outcome == "interrupt":
            writes = [[INTERRUPT, [_interrupt(t.interrupt)]]]
        else:
            writes = [[ch, v] for ch, v in t.writes.items()]
            writes += [[BRANCH_TO + n, None] for n in t.routes]
        self._writes(task_id, f"~{PULL}, {t.name}", writes, cp=parent["id"])

    # --- events ---------------------------------------------------------------------------------

    def _tick(self) -> float:
        self._clock = round(self._clock + 0.001, 6)
        return self._clock

    def _call(self, input: Any, method: str) -> None:
        self._calls += 1
        self._events.append(
            {
                "k": "call",
                "call": self._calls,
                "thread": self.thread,
                "thread_id": self.thread,
                "method": method,
                "input": input,
                "t": self._tick(),
            }
        )

    def _writes(
        self, task_id: str, path: str, writes: list[list[Any]], cp: str | None = None
    ) -> None:
        self._events.append(
            {
                "k": "writes",
                "thread": self.thread,
                "ns": "",
                "cp": cp if cp is not None else (self._cp or {}).get("id"),
                "task": task_id,
                "path": path,
                "writes": writes,
                "t": self._tick(),
            }
        )

    def _save(
        self,
        changed: dict[str, Any],
        *,
        step: int,
        source: str,
        routes: list[str],
        consumed: list[str],
    ) -> None:
        """A checkpoint: the channels changed, those its tasks consumed (their triggers), and
        why the next tasks run (the channels routed to them)."""
        self._checkpoints += 1
        version = _version(self._checkpoints)
        removed = [ch for ch in dict.fromkeys(consumed) if ch not in changed]
        why: dict[str, list[list[Any]]] = {}
        for node in routes:
            ch = START if node == START else BRANCH_TO + node
            why[node] = [[ch, self._seen.get(node, {}).get(ch), version]]
        self._cp = {
            "k": "checkpoint",
            "thread": self.thread,
            "ns": "",
            "id": f"cp{self._checkpoints}",
            "parent": self._cp["id"] if self._cp is not None else None,
            "step": step,
            "source": source,
            "parents": {},
            "full": self._cp is None,
            "versions": {ch: version for ch in [*changed, *removed]},
            "values": changed,
            "removed": removed,
            "updated": sorted({*changed, *removed}),
            "why": why,
            "why_inferred": False,
            "t": self._tick(),
        }
        self._step = step
        self._events.append(self._cp)

    def events(self) -> list[dict[str, Any]]:
        """The events so far, in the order a log holds them."""
        return [dict(e) for e in self._events]

    def run(self) -> Run:
        """The events read as a run (checked against the log's schema on the way)."""
        return build_run(self.events(), source="hand-built")
