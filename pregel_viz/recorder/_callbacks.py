"""A LangChain callback handler that times every attempt of every task, retries included.

LangGraph runs each task attempt as one chain run named after the node, with the task's
coordinates in its metadata (``langgraph_node``, ``langgraph_step``, ``langgraph_path``,
``langgraph_triggers`` and ``langgraph_checkpoint_ns`` ending in ``<node>:<task id>``). Runs
nested inside a node (chat models, tools, retrievers and the chains between them) are followed
by :class:`~pregel_viz.recorder._spans.SpanTracker`.
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
from ._spans import SpanTracker, failure, model_name, model_output, tool_output

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
        self.spans = SpanTracker(recorder, thread)

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
        name = kwargs.get("name")
        if _is_call(md.get("langgraph_path")):
            # a functional @task call reports its start through its caller's callback manager,
            # which sibling calls starting at the same time overwrite: trust its own config
            running = running_task()
            if running is not None:
                if running[0] != name:
                    # a runnable inside the caller, not the start of a call
                    return self._nested_chain(run_id, parent_run_id, name, inputs, tags)
                md = running[1]
        node = md.get("langgraph_node")
        if node is None or name != node:
            return self._nested_chain(run_id, parent_run_id, name, inputs, tags)
        cns = str(md.get("langgraph_checkpoint_ns") or "")
        ns, _, last = cns.rpartition(NS_SEP)
        task_id = last.partition(NS_END)[2]
        path: Any = md.get("langgraph_path") or ()
        if _is_call(path):
            # a functional @task called from another task inherits that task's namespace
            # entry: the graph's namespace is one level further up
            ns = ns.rpartition(NS_SEP)[0] if NS_SEP in ns else ""
        if not task_id:
            return None
        with self._lock:
            inner = parent_run_id is not None and self._runs.get(parent_run_id) == task_id
            if not inner:
                self._runs[run_id] = task_id
        if inner:  # a runnable inside the node, named like it: not a call of its own
            self.spans.hide(run_id, parent_run_id, self._runs)
            return None
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
        return None

    def _nested_chain(
        self, run_id: UUID, parent_run_id: UUID | None, name: Any, inputs: Any, tags: Any
    ) -> None:
        if parent_run_id is not None:
            self.spans.start(run_id, parent_run_id, self._runs, "chain", str(name), inputs, tags)

    def _end(self, run_id: UUID, error: BaseException | None, outputs: Any = None) -> None:
        with self._lock:
            task_id = self._runs.pop(run_id, None)
        if task_id is not None:
            self.recorder.on_attempt_end(task_id, error)
        elif error is None:
            self.spans.end(run_id, status="ok", output=outputs)
        else:
            self.spans.end(run_id, status="error", error=failure(error))

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, None, outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)

    # --- calls inside a task ----------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_start(
            "chat_model", serialized, messages, run_id, parent_run_id, tags, metadata, kwargs
        )

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_start("llm", serialized, prompts, run_id, parent_run_id, tags, metadata, kwargs)

    def _model_start(
        self,
        kind: str,
        serialized: Any,
        prompts: Any,
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: Any,
        metadata: Any,
        kwargs: Mapping[str, Any],
    ) -> None:
        if parent_run_id is None:
            return
        name = kwargs.get("name") or _serialized_name(serialized) or kind
        # one prompt (the usual case) is shown as its messages; a batch as the list of them
        sent = prompts[0] if isinstance(prompts, list) and len(prompts) == 1 else prompts
        self.spans.start(
            run_id,
            parent_run_id,
            self._runs,
            kind,
            str(name),
            sent,
            tags,
            model=model_name(kwargs.get("invocation_params"), metadata),
        )

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.token(run_id)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.end(run_id, **model_output(response))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.end(run_id, status="error", error=failure(error))

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if parent_run_id is None:
            return
        name = kwargs.get("name") or _serialized_name(serialized) or "tool"
        call_id = kwargs.get("tool_call_id")
        self.spans.start(
            run_id,
            parent_run_id,
            self._runs,
            "tool",
            str(name),
            inputs if inputs is not None else input_str,
            tags,
            tool_call_id=None if call_id is None else str(call_id),
        )

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.end(run_id, **tool_output(output))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.end(run_id, status="error", error=failure(error))

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if parent_run_id is None:
            return
        name = kwargs.get("name") or _serialized_name(serialized) or "retriever"
        self.spans.start(run_id, parent_run_id, self._runs, "retriever", str(name), query, tags)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.end(run_id, status="ok", output=documents)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.spans.end(run_id, status="error", error=failure(error))


def _serialized_name(serialized: Any) -> str | None:
    if not isinstance(serialized, Mapping):
        return None
    name = serialized.get("name")
    if isinstance(name, str) and name:
        return name
    ids = serialized.get("id")
    if isinstance(ids, list) and ids and isinstance(ids[-1], str):
        return ids[-1]
    return None
