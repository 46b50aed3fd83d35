"""The calls made inside a task: LLM and chat model calls, tool calls, retrievers, and the
chains between them (LangChain runs nested in the task, at any depth).

A :class:`Span` is one such call as the log recorded it (``span`` and ``span_end`` events);
:attr:`pregel_viz.model.Task.calls` lists a task's spans in the order they started, each
naming its enclosing span (``parent``), so they form a tree under the task. Values are the
plain tagged data of :mod:`pregel_viz.values`: a chat model's input is the list of messages
sent, its output the message it answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "MODEL_KINDS", "Span", "Usage", "total_usage"]

MODEL_KINDS = ("llm", "chat_model")
KINDS = (*MODEL_KINDS, "tool", "retriever", "chain")


@dataclass
class Span:
    """One call inside a task."""

    id: int
    parent: int | None  # the enclosing span's id; None directly under the task
    kind: str  # llm | chat_model | tool | retriever | chain
    name: str
    start: float | None
    input: Any = None
    model: str | None = None
    tool_call_id: str | None = None  # a tool's: the id of the tool call that asked for it
    end: float | None = None
    status: str = "running"  # ok | error | running (never ended: the run stopped inside it)
    error: dict[str, Any] | None = None
    output: Any = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None  # input_tokens, output_tokens, total_tokens
    first_token: float | None = None  # seconds from the start to the first streamed token
    chunks: int | None = None  # streamed chunks

    @classmethod
    def started(cls, e: Mapping[str, Any]) -> Span:
        """The span a ``span`` event starts (checked against the log's schema)."""
        return cls(
            id=e["id"],
            parent=e.get("parent"),
            kind=e["kind"],
            name=e.get("name") or e["kind"],
            start=e.get("t"),
            input=e.get("input"),
            model=e.get("model"),
            tool_call_id=e.get("tool_call_id"),
        )

    def ended(self, e: Mapping[str, Any]) -> None:
        """Fill in what its ``span_end`` event says."""
        self.end = e.get("t")
        self.status = e["status"]
        self.error = e.get("error")
        self.output = e.get("output")
        self.model = e.get("model") or self.model
        self.tool_calls = list(e.get("tool_calls") or ())
        self.usage = e.get("usage")
        self.first_token = e.get("first_token")
        self.chunks = e.get("chunks")

    @property
    def duration(self) -> float | None:
        return None if self.start is None or self.end is None else self.end - self.start

    @property
    def is_model(self) -> bool:
        """An LLM or chat model call."""
        return self.kind in MODEL_KINDS


@dataclass
class Usage:
    """Totals over model calls: how many, their tokens, their time."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    seconds: float = 0.0
    reported: int = 0  # the calls whose model reported its token usage (the tokens' basis)

    def add(self, span: Span) -> None:
        self.calls += 1
        if span.usage:
            self.reported += 1
        usage: Mapping[str, Any] = span.usage or {}
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, key, getattr(self, key) + value)
        if span.duration is not None:
            self.seconds += span.duration


def total_usage(spans: Iterable[Span]) -> Usage:
    """The totals of the model calls among ``spans``."""
    out = Usage()
    for span in spans:
        if span.is_model:
            out.add(span)
    return out
