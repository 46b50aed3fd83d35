"""A LangChain callback handler that times every attempt of every task, retries included.

LangGraph runs each task attempt as one chain run named after the node, with the task's
coordinates in its metadata (``langgraph_node``, ``langgraph_step``, ``langgraph_path``,
``langgraph_triggers`` and ``langgraph_checkpoint_ns`` ending in ``<node>:<task id>``). Runs
nested inside a node (its own runnables, routing functions) are ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langgraph.errors import GraphBubbleUp, GraphInterrupt, ParentCommand

from ..values import safe_str
from ._lg import NS_END, NS_SEP, running_task

if TYPE_CHECKING:
    from ._session import Recorder

__all__ = ["AttemptHandler", "attempt_status"]


def attempt_status(error: BaseException | None) -> tuple[str, dict[str, Any] | None]:
    """How an attempt ended: ok, interrupt, parent_command, bubble or error (+ details)."""
    if error is None:
        return "ok", None
    if isinstance(error, GraphInterrupt):
        return "interrupt", None
    if isinstance(error, ParentCommand):
        return "parent_command", {"command": error.args[0] if error.args else None}
    if isinstance(error, GraphBubbleUp):
        return "bubble", {"type": type(error).__name__, "message": safe_str(error)}
    return "error", {"type": type(error).__name__, "message": safe_str(error)}


def _is_call(path: Any) -> bool:
    """Is this ``langgraph_path`` a functional ``@task`` call's (``(PUSH, caller's path, ...)``)?"""
    return isinstance(path, (list, tuple)) and len(path) > 1 and isinstance(path[1], (list, tuple))


class AttemptHandler(BaseCallbackHandler):
    """Reports the start and the end of each task attempt to a :class:`Recorder`."""

    run_inline = True  # exact times: run in the task's own thread or event loop
    raise_error = False

    def __init__(self, recorder: Recorder, thread: str) -> None:
        self.recorder = recorder
        self.thread = thread
        self._runs: dict[UUID, str] = {}  # run id -> task id, for attempts in flight
        self._lock = threading.Lock()

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        md: Mapping[str, Any] = metadata or {}
        if _is_call(md.get("langgraph_path")):
            # a functional @task call reports its start through its caller's callback manager,
            # which sibling calls starting at the same time overwrite: trust its own config
            running = running_task()
            if running is not None:
                if running[0] != kwargs.get("name"):
                    return  # a runnable inside the caller, not the start of a call
                md = running[1]
        node = md.get("langgraph_node")
        if node is None or kwargs.get("name") != node:
            return
        cns = str(md.get("langgraph_checkpoint_ns") or "")
        ns, _, last = cns.rpartition(NS_SEP)
        task_id = last.partition(NS_END)[2]
        path: Any = md.get("langgraph_path") or ()
        if _is_call(path):
            # a functional @task called from another task inherits that task's namespace
            # entry: the graph's namespace is one level further up
            ns = ns.rpartition(NS_SEP)[0] if NS_SEP in ns else ""
        if not task_id:
            return
        with self._lock:
            if parent_run_id is not None and self._runs.get(parent_run_id) == task_id:
                return  # a runnable inside the node, named like it
            self._runs[run_id] = task_id
        self.recorder.on_attempt_start(
            thread=self.thread,
            ns=ns,
            task_id=task_id,
            name=str(node),
            step=md.get("langgraph_step"),
            path=list(path) if isinstance(path, (list, tuple)) else [path],
            triggers=list(md.get("langgraph_triggers") or ()),
            inputs=inputs,
        )

    def _end(self, run_id: UUID, error: BaseException | None) -> None:
        with self._lock:
            task_id = self._runs.pop(run_id, None)
        if task_id is not None:
            self.recorder.on_attempt_end(task_id, error)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)
