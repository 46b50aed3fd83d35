"""The calls made inside a task, as the LangChain callbacks report them: what a chat model was
sent and answered, which tools ran with which arguments, what retrievers found.

Every run nested in a task (at any depth, in the root graph and in subgraphs) is followed by
its run id, so each call knows its task and its enclosing call. Only LLM, chat model, tool and
retriever calls are written, with the chains that lead to them: a chain is written when the
first such call inside it starts (with its own start time), so a graph that makes no such call
writes nothing more than before. LangGraph's own runnables (channel writers, routing, marked
hidden) are followed but never written: what runs inside them hangs on their parent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ..values import safe_str

if TYPE_CHECKING:
    from ._session import Recorder

__all__ = ["HIDDEN_TAG", "SpanTracker", "model_output", "tool_output"]

# LangGraph tags its own runnables (channel writes, routing) so that tracers hide them
HIDDEN_TAG = "langsmith:hidden"


class _Open:
    """A nested run in flight. ``id`` is set once its span is written."""

    __slots__ = ("chunks", "first_token", "id", "input", "kind", "name", "parent", "t", "task")

    def __init__(
        self, task: str, parent: _Open | None, kind: str, name: str, t: float, input: Any
    ) -> None:
        self.task = task
        self.parent = parent
        self.kind = kind
        self.name = name
        self.t = t
        self.input = input
        self.id: int | None = None
        self.first_token: float | None = None
        self.chunks = 0


class SpanTracker:
    """Follows the runs nested in the tasks of one call and writes their spans."""

    def __init__(self, recorder: Recorder, thread: str) -> None:
        self.recorder = recorder
        self.thread = thread
        self._lock = threading.Lock()
        # run id -> (the run's own span, or for a hidden run the span it hangs on; own?)
        self._runs: dict[UUID, tuple[str, _Open | None, bool]] = {}

    def _where(self, parent_run_id: UUID | None, tasks: Mapping[UUID, str]) -> Any:
        """(task id, enclosing span) of a run whose parent is ``parent_run_id``; None when it
        is not inside a task (call with the lock held)."""
        if parent_run_id is None:
            return None
        task = tasks.get(parent_run_id)
        if task is not None:
            return task, None
        entry = self._runs.get(parent_run_id)
        if entry is None:
            return None
        return entry[0], entry[1]

    def hide(self, run_id: UUID, parent_run_id: UUID | None, tasks: Mapping[UUID, str]) -> None:
        """Follow a run that is never shown: its children hang on its parent."""
        self.start(run_id, parent_run_id, tasks, "chain", "", None, (HIDDEN_TAG,))

    def start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        tasks: Mapping[UUID, str],
        kind: str,
        name: str,
        input: Any,
        tags: Sequence[str] | None = None,
        *,
        model: str | None = None,
        tool_call_id: str | None = None,
    ) -> None:
        """A nested run starts: a chain is only remembered; any other kind is written, with
        the chains around it not written yet."""
        with self._lock:
            where = self._where(parent_run_id, tasks)
            if where is None:
                return
            task, parent = where
            if tags and HIDDEN_TAG in tags:
                self._runs[run_id] = (task, parent, False)
                return
            span = _Open(task, parent, kind, name, self.recorder.now(), input)
            self._runs[run_id] = (task, span, True)
            if kind == "chain":
                return
            # this call, after the chains around it that are not written yet, outermost first
            starts = [span]
            up = parent
            while up is not None and up.id is None:
                starts.insert(0, up)
                up = up.parent
            for open_ in starts:
                open_.id = self.recorder.new_span_id()
        for open_ in starts:
            self.recorder.on_span_start(
                thread=self.thread,
                task=open_.task,
                id=open_.id,
                parent=None if open_.parent is None else open_.parent.id,
                kind=open_.kind,
                name=open_.name,
                input=open_.input,
                t=open_.t,
                model=model if open_ is span else None,
                tool_call_id=tool_call_id if open_ is span else None,
            )

    def token(self, run_id: UUID) -> None:
        """A streamed chunk arrived."""
        entry = self._runs.get(run_id)
        if entry is None or not entry[2] or entry[1] is None:
            return
        span = entry[1]
        if span.first_token is None:
            span.first_token = round(self.recorder.now() - span.t, 7)
        span.chunks += 1

    def end(self, run_id: UUID, **fields: Any) -> None:
        """A nested run ended; its span's end is written if its start was."""
        with self._lock:
            entry = self._runs.pop(run_id, None)
        span = entry[1] if entry is not None and entry[2] else None
        if span is None or span.id is None:
            return
        if span.chunks:
            fields.setdefault("first_token", span.first_token)
            fields.setdefault("chunks", span.chunks)
        self.recorder.on_span_end(span.id, **fields)


def failure(error: BaseException) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": safe_str(error)}


def _attr(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def _tool_calls(message: Any) -> list[dict[str, Any]]:
    out = []
    for call in _attr(message, "tool_calls") or ():
        if isinstance(call, Mapping):
            tc_id = call.get("id")
            out.append(
                {
                    "name": str(call.get("name") or ""),
                    "args": call.get("args"),
                    "id": None if tc_id is None else str(tc_id),
                }
            )
    return out


def _usage(message: Any, llm_output: Any) -> dict[str, Any] | None:
    usage = _attr(message, "usage_metadata")
    if isinstance(usage, Mapping):
        return {
            k: usage[k]
            for k in ("input_tokens", "output_tokens", "total_tokens")
            if isinstance(usage.get(k), int)
        }
    # LLMs without usage_metadata: the provider's token_usage, if any
    token_usage = llm_output.get("token_usage") if isinstance(llm_output, Mapping) else None
    if isinstance(token_usage, Mapping):
        names = {
            "prompt_tokens": "input_tokens",
            "completion_tokens": "output_tokens",
            "total_tokens": "total_tokens",
        }
        return {
            new: token_usage[old]
            for old, new in names.items()
            if isinstance(token_usage.get(old), int)
        }
    return None


def model_name(invocation_params: Any, metadata: Any) -> str | None:
    """The model a chat model or LLM call names in its invocation params or metadata."""
    for source, keys in (
        (invocation_params, ("model", "model_name", "model_id")),
        (metadata, ("ls_model_name",)),
    ):
        if isinstance(source, Mapping):
            for key in keys:
                value = source.get(key)
                if isinstance(value, str) and value:
                    return value
    return None


def model_output(response: Any) -> dict[str, Any]:
    """The fields of a span's end from an LLMResult: the first generation's message (or text),
    its tool calls, token usage and model name."""
    generations = _attr(response, "generations") or []
    first = generations[0][0] if generations and generations[0] else None
    message = _attr(first, "message")
    output: Any = message if message is not None else _attr(first, "text")
    fields: dict[str, Any] = {"status": "ok", "output": output}
    calls = _tool_calls(message)
    if calls:
        fields["tool_calls"] = calls
    usage = _usage(message, _attr(response, "llm_output"))
    if usage:
        fields["usage"] = usage
    meta = _attr(message, "response_metadata")
    if isinstance(meta, Mapping):
        name = meta.get("model_name") or meta.get("model")
        if isinstance(name, str) and name:
            fields["model"] = name
    return fields


def tool_output(output: Any) -> dict[str, Any]:
    """A tool's end: its result; a ToolMessage with status "error" is an error."""
    if _attr(output, "status") == "error":
        return {
            "status": "error",
            "output": output,
            "error": {"type": "ToolMessage", "message": safe_str(_attr(output, "content"))},
        }
    return {"status": "ok", "output": output}
