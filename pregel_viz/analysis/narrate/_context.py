"""What the sentences read besides the superstep: the channel descriptions, the namespace
(earlier supersteps), the calls; and what a task's attempts say about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...events import CALL, CALL_END, CHECKPOINT, PULL, TASK_START, UNLISTED_TASK
from ...model import Attempt, Call, Namespace, Run, Superstep, Task, Thread


@dataclass
class CallMap:
    """Which call started each task attempt, and where each call ended."""

    calls: dict[int, Call]
    attempt_call: dict[tuple[str, int], int]  # (task id, attempt position) -> call index
    ended_at: dict[str, list[int]]  # checkpoint id -> calls that ended right after it
    number: dict[int, int] = field(default_factory=dict)  # call index -> 1-based, per thread

    @classmethod
    def build(cls, run: Run, thread: Thread, ns: str) -> CallMap:
        label = thread.thread_id
        calls = {c.index: c for c in thread.calls}
        current: int | None = None
        last_cp: str | None = None
        seen: dict[str, int] = {}
        attempt_call: dict[tuple[str, int], int] = {}
        started: dict[int, list[tuple[str, int]]] = {}
        ended_at: dict[str, list[int]] = {}
        for e in run.events:
            kind = e.get("k")
            if e.get("thread") not in (label, None):
                continue
            if kind == CALL and e.get("thread") == label:
                idx = e.get("call")
                current = idx if isinstance(idx, int) else None
            elif kind == CHECKPOINT and e.get("ns") == ns:
                cp = e.get("id")
                last_cp = cp if isinstance(cp, str) else last_cp
            elif kind == TASK_START and e.get("thread") == label and e.get("ns") == ns:
                task = e.get("task")
                if isinstance(task, str) and current is not None:
                    pos = seen.get(task, 0)
                    seen[task] = pos + 1
                    attempt_call[(task, pos)] = current
                    started.setdefault(current, []).append((task, pos))
            elif kind == CALL_END and e.get("thread") == label:
                idx = e.get("call")
                if isinstance(idx, int) and last_cp is not None:
                    # a call that started no task from its last checkpoint ended between steps
                    space = thread.namespaces.get(ns)
                    inside = space is not None and any(
                        space.tasks.get(t) is not None and space.tasks[t].checkpoint_id == last_cp
                        for t, _ in started.get(idx, [])
                    )
                    if not inside:
                        ended_at.setdefault(last_cp, []).append(idx)
                current = None
        number = {c.index: i + 1 for i, c in enumerate(thread.calls)}
        return cls(calls, attempt_call, ended_at, number)

    def call_of(self, task: Task, position: int) -> Call | None:
        idx = self.attempt_call.get((task.id, position))
        return self.calls.get(idx) if idx is not None else None


@dataclass
class Context:
    """What a sentence may read besides its superstep; ``None`` where the caller has no run."""

    channels: dict[str, Any]  # channel name -> its recorded description (class, reducer...)
    space: Namespace | None  # the namespace the supersteps are in: their history
    thread: Thread | None
    calls: CallMap | None = None
    # the graph's drawn edges: (source, target) -> whether the edge is conditional
    edges: dict[tuple[str, str], bool] = field(default_factory=dict)
    # the internals behind the step's sentences (channel names, classes), for a details view
    details: list[str] = field(default_factory=list)
    _owner: dict[str, Superstep] | None = None
    # (id of a superstep, barrier channel) -> whom the barrier had heard from after it
    seen_memo: dict[tuple[int, str], frozenset[str]] = field(default_factory=dict)
    # facts read off the whole namespace once, e.g. ("topic", channel) -> accumulates
    facts_memo: dict[tuple[str, str], bool | None] = field(default_factory=dict)

    def previous(self, s: Superstep) -> Superstep | None:
        """The superstep that made the checkpoint ``s`` started from."""
        if self.space is None or s.parent is None:
            return None
        if self._owner is None:
            self._owner = {
                x.checkpoint.id: x for x in self.space.supersteps if x.checkpoint is not None
            }
        prev = self._owner.get(s.parent.id)
        return None if prev is s else prev

    def unnamed_next(self, s: Superstep) -> bool:
        """Whether a superstep made from ``s``'s checkpoint ran a task the history does not name
        (a server's history lists no task triggered by a join, so it names nothing next)."""
        if self.space is None or s.checkpoint is None:
            return False
        cp = s.checkpoint.id
        return any(
            x.parent is not None
            and x.parent.id == cp
            and any(t.name == UNLISTED_TASK for t in x.tasks)
            for x in self.space.supersteps
        )

    def note(self, detail: str) -> None:
        """Keep an internal detail of the step told (shown apart from the sentences)."""
        if detail not in self.details:
            self.details.append(detail)

    def edge_kind(self, source: str, target: str) -> str | None:
        """``"static"`` or ``"conditional"`` for a drawn edge; ``None`` when none is drawn."""
        found = self.edges.get((source, target))
        if found is None:
            return None
        return "conditional" if found else "static"

    def num(self, call_index: int) -> int:
        """A call's number within its thread (1 for the thread's first call)."""
        if self.calls is None:
            return call_index
        return self.calls.number.get(call_index, call_index)

    def cls(self, channel: str) -> str | None:
        """The channel's class (``LastValue``...), when the graph's channels were recorded."""
        info = self.channels.get(channel)
        if isinstance(info, dict) and isinstance(info.get("class"), str):
            return str(info["class"])
        return None

    def info(self, channel: str) -> dict[str, Any]:
        """The channel's recorded description (empty when there is none)."""
        info = self.channels.get(channel)
        return info if isinstance(info, dict) else {}


def attempts_of(task: Task) -> list[Attempt]:
    """The task's recorded attempts (none when the saver kept none)."""
    return task.attempts if isinstance(task.attempts, list) else []


def is_call(task: Task) -> bool:
    """A functional-API ``@task`` call (a push task made by a running node, not a Send)."""
    return task.kind == "push" and PULL in task.path


def recovered(task: Task) -> bool:
    """Failed once, then succeeded when the thread was resumed."""
    attempts = attempts_of(task)
    return task.error is not None and bool(attempts) and attempts[-1].status == "ok"


def succeeded(task: Task) -> bool:
    """Whether the task's last attempt (or, without attempts, the task) succeeded."""
    attempts = attempts_of(task)
    if attempts:
        return attempts[-1].status == "ok"
    return task.error is None


def applied_writes(s: Superstep) -> dict[str, list[tuple[str, Any]]]:
    """The writes of the step's tasks that succeeded, by channel: ``(task name, value)``."""
    out: dict[str, list[tuple[str, Any]]] = {}
    for task in s.tasks:
        if not succeeded(task):
            continue
        for ch, value in task.writes:
            out.setdefault(str(ch), []).append((task.name, value))
    return out
