"""Plain renderings of a :class:`~pregel_viz.model.Run`: a JSON document and a text summary.

The JSON document (``pregel-viz export FILE --format json``) is described in the README.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from ..model import UNKNOWN, Run, Superstep, Task, Thread, superstep_count
from ..spans import Span
from .usage import call_totals

__all__ = [
    "EXPORT_VERSION",
    "error_line",
    "json_safe",
    "run_to_dict",
    "span_dict",
    "summary",
    "superstep_count",
    "task_dict",
]

EXPORT_VERSION = 1


def json_safe(value: Any) -> Any:
    """Decoded log data as JSON: bytes and non-finite floats become tagged maps."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return {"$type": "builtins.bytes", "$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$type": "builtins.float", "$str": repr(value)}
    return value


def span_dict(span: Span) -> dict[str, Any]:
    """A call inside a task as plain data (the export's ``calls`` items)."""
    return {
        "id": span.id,
        "parent": span.parent,
        "kind": span.kind,
        "name": span.name,
        "model": span.model,
        "start": span.start,
        "end": span.end,
        "status": span.status,
        "error": span.error,
        "input": span.input,
        "output": span.output,
        "tool_calls": span.tool_calls,
        "tool_call_id": span.tool_call_id,
        "usage": span.usage,
        "first_token": span.first_token,
        "chunks": span.chunks,
    }


def task_dict(task: Task) -> dict[str, Any]:
    """A task as plain data; ``attempts`` is the list of attempts, ``None`` when unknown, and
    so is ``calls`` (the calls made inside it)."""
    attempts = task.attempts if isinstance(task.attempts, list) else None
    calls = task.calls if isinstance(task.calls, list) else None
    return {
        "id": task.id,
        "name": task.name,
        "kind": task.kind,
        "path": task.path,
        "status": task.status,
        "writes": task.writes,
        "error": task.error,
        "interrupts": task.interrupts,
        "resumes": task.resumes,
        "attempts": None
        if attempts is None
        else [
            {"start": a.start, "end": a.end, "status": a.status, "error": a.error} for a in attempts
        ],
        "triggers": None
        if task.triggers is None
        else [
            {"channel": t.channel, "seen": t.seen, "current": t.current, "written_by": t.written_by}
            for t in task.triggers
        ],
        "sent_by": task.sent_by,
        "input": None if task.input is UNKNOWN else task.input,
        "subgraphs": task.subgraphs,
        "calls": None if calls is None else [span_dict(c) for c in calls],
    }


def _task(task: Task) -> dict[str, Any]:
    # the export counts attempts and lists their times apart
    out = task_dict(task)
    times = out["attempts"]
    out["attempts"] = None if times is None else len(times)
    out["attempt_times"] = times
    return out


def _superstep(s: Superstep) -> dict[str, Any]:
    cp = s.checkpoint
    return {
        "step": s.step,
        "source": s.source,
        "checkpoint_id": cp.id if cp is not None else None,
        "parent_id": s.parent.id if s.parent is not None else None,
        "start": s.start,
        "end": s.end,
        "updated": s.updated,
        "values": s.values,
        "next": s.next_tasks,
        "input_writes": cp.input_writes if cp is not None else [],
        "tasks": [_task(t) for t in s.tasks],
    }


def _thread(thread: Thread) -> dict[str, Any]:
    return {
        "thread_id": thread.thread_id,
        "outcome": thread.outcome,
        "calls": [
            {
                "index": c.index,
                "method": c.method,
                "input": c.input,
                "status": c.status,
                "interrupts": c.interrupts,
                "error": c.error,
                "start": c.start,
                "end": c.end,
            }
            for c in thread.calls
        ],
        "namespaces": {
            ns: {
                "node": space.node,
                "parent_ns": space.parent_ns,
                "parent_task": space.parent_task_id,
                "supersteps": [_superstep(s) for s in space.supersteps],
                "edges_taken": [
                    {"source": e.source, "target": e.target, "kind": e.kind, "count": e.count}
                    for e in space.edges_taken()
                ],
            }
            for ns, space in thread.namespaces.items()
        },
    }


def run_to_dict(run: Run) -> dict[str, Any]:
    """The whole run as one JSON-ready document."""
    doc = {
        "format": "pregel-viz-export",
        "version": EXPORT_VERSION,
        "meta": run.meta,
        "graphs": run.graphs,
        "threads": [_thread(t) for t in run.threads.values()],
        "warnings": run.warnings,
    }
    return json_safe(doc)  # type: ignore[no-any-return]


def error_line(err: dict[str, Any]) -> str:
    """An error as one line of text, ``Type: message``, with the message's first line only:
    the rest (GraphRecursionError's troubleshooting link, a traceback) would break the
    indented text it is part of. The whole message stays in the data."""
    lines = str(err.get("message")).strip().splitlines()
    return f"{err.get('type')}: {lines[0] if lines else ''}"


def summary(run: Run) -> str:
    """A few lines: graph, threads, supersteps (:func:`superstep_count` of the root graph),
    tasks, outcome, errors; and, for a thread with calls inside its tasks, their totals per node
    and per model (calls, tokens, time)."""
    lines = [
        f"graph {run.meta.get('graph', '?')!r} recorded with langgraph "
        f"{run.meta.get('langgraph', '?')}, pregel-viz {run.meta.get('pregel_viz', '?')}",
        f"{len(run.threads)} thread(s)",
    ]
    for thread in run.threads.values():
        steps = superstep_count(thread.root.supersteps)
        ntasks = sum(len(s.tasks) for space in thread.namespaces.values() for s in space.supersteps)
        sub = len(thread.namespaces) - (1 if "" in thread.namespaces else 0)
        out = thread.outcome
        lines.append(
            f"thread {thread.thread_id}: {len(thread.calls)} call(s), {steps} superstep(s), "
            f"{ntasks} task(s), {sub} subgraph run(s), outcome {out['status']}"
        )
        if out["error"]:
            lines.append(f"  error: {error_line(out['error'])}")
        if out["interrupts"]:
            shown = ", ".join(repr(v)[:80] for v in out["interrupts"])
            lines.append(f"  waiting on interrupt: {shown}")
        for task in thread.errors():
            err = task.error or {}
            lines.append(
                f"  task {task.name} (step {task.step}, ns {task.ns or 'root'}) failed: "
                f"{error_line(err)}"
            )
        lines.extend(f"  {line}" for line in call_totals(thread).lines())
    lines.extend(f"warning: {w}" for w in run.warnings)
    return "\n".join(lines)
