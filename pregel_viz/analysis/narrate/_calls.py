"""The calls made inside a task, in words: which model it asked, with how many tokens and how
long, what the model answered or which tools it called, and what each tool returned.

``agent asked scripted-model-1 (57 → 18 tokens, 0.01 s); it called get_weather(city='Paris')
and add(a=2, b=40) in parallel.`` A task with many calls, or many tasks told together, get one
summary sentence instead (:func:`calls_summary`). Chains are not told: they only lead to the
calls inside them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ...model import Task
from ...spans import Span, total_usage
from ._values import describe_value
from ._words import count, first_line, listing, seconds, times, unique

MANY = 4
"""More calls than this in one task, or more tool calls in one answer, are summarised."""

_TOLD = ("llm", "chat_model", "tool", "retriever")


# --- the pieces: a call with its arguments, a result, an answer --------------------------------


def call_args(args: Any, limit: int = 80) -> str:
    """A tool's arguments as a call shows them: ``city='Paris'``, ``a=2, b=40``."""
    if isinstance(args, dict) and args.get("type") == "tool_call" and "args" in args:
        args = args["args"]  # a tool invoked with the whole ToolCall
    if args is None:
        return ""
    if isinstance(args, dict) and "$type" not in args:
        parts = [f"{k}={describe_value(v, 30)}" for k, v in args.items()]
    else:
        parts = [describe_value(args, 40)]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_call(name: str, args: Any) -> str:
    """A tool call as code reads it: ``get_weather(city='Paris')``."""
    return f"{name}({call_args(args)})"


def _fields(value: Any) -> dict[str, Any] | None:
    """The fields of a recorded LangChain message, else ``None``."""
    if isinstance(value, dict) and ".messages." in str(value.get("$type", "")):
        fields = value.get("$fields")
        return fields if isinstance(fields, dict) else None
    return None


def tool_result(output: Any) -> str:
    """What a tool returned: a ToolMessage's content (:func:`content_text`), or the value."""
    fields = _fields(output)
    return describe_value(output, 40) if fields is None else content_text(fields.get("content"))


def content_text(content: Any) -> str:
    """A tool message's content as a result reads: ``'sunny in Paris'``; ``42`` for the ``"42"``
    LangChain made of a number."""
    if isinstance(content, str):
        try:  # LangChain keeps a str as it is and JSON-encodes anything else
            parsed = json.loads(content)
        except ValueError:
            parsed = content
        if not isinstance(parsed, str):
            return describe_value(parsed, 40)
    return describe_value(content, 40)


def answer_text(output: Any) -> str | None:
    """What a model answered, as text (``None`` when it answered nothing to show)."""
    fields = _fields(output)
    content = fields.get("content") if fields is not None else output
    if content in (None, "", []):
        return None
    return describe_value(content, 60)


def model_name(span: Span) -> str:
    """The model a call asked: its recorded model name, else the class or run name."""
    return span.model or span.name


def send_arg(value: Any) -> str | None:
    """A Send's argument when it is a tool call (``create_react_agent`` sends one per tool
    call): ``get_weather(city='Paris')``; ``None`` for any other argument."""
    call = value.get("tool_call") if isinstance(value, dict) else None
    if isinstance(call, dict) and isinstance(call.get("name"), str) and "args" in call:
        return describe_call(call["name"], call["args"])
    return None


def calls_of(task: Task) -> list[Span]:
    """The task's model, tool and retriever calls (chains left out; none when unknown)."""
    return [s for s in task.calls if s.kind in _TOLD] if isinstance(task.calls, list) else []


def tool_calls_text(tool_calls: Sequence[dict[str, Any]]) -> str:
    """The tool calls of an answer: ``get_weather(city='Paris') and add(a=2, b=40)``; many are
    counted by name (``get_weather 4 times and add twice``)."""
    if len(tool_calls) > MANY:
        return _by_name(str(c.get("name")) for c in tool_calls)
    return listing([describe_call(str(c.get("name")), c.get("args")) for c in tool_calls])


def _by_name(names: Iterable[str]) -> str:
    counted: dict[str, int] = {}
    for n in names:
        counted[n] = counted.get(n, 0) + 1
    return listing([f"{n} {times(k)}" for n, k in counted.items()])


def _cost(span: Span) -> str:
    """``(57 → 18 tokens, 0.01 s)``; what is known of it."""
    parts: list[str] = []
    usage = span.usage or {}
    tin, tout = usage.get("input_tokens"), usage.get("output_tokens")
    if isinstance(tin, int) and isinstance(tout, int):
        parts.append(f"{tin} → {tout} tokens")
    elif isinstance(usage.get("total_tokens"), int):
        parts.append(count(int(usage["total_tokens"]), "token"))
    if span.duration is not None:
        parts.append(seconds(span.duration))
    if span.chunks:
        parts.append(f"streamed in {count(span.chunks, 'chunk')}")
    return f" ({', '.join(parts)})" if parts else ""


def _error(span: Span) -> str:
    err = span.error or {}
    return f"{err.get('type', 'an error')}: {first_line(err.get('message', ''))}"


# --- sentences ------------------------------------------------------------------------------------


def call_story(task: Task) -> list[str]:
    """The sentences telling the calls made inside one task, in the order they started."""
    spans = calls_of(task)
    if not spans:
        return []
    if len(spans) > MANY:
        return [calls_summary(task.name, spans)]
    out: list[str] = []
    tools: list[Span] = []
    for span in spans:
        if span.is_model:
            if tools:
                out.append(_tools_sentence(task, tools))
                tools = []
            out.append(_model_sentence(task.name, span))
        else:
            tools.append(span)
    if tools:
        out.append(_tools_sentence(task, tools))
    return out


def _model_sentence(who: str, span: Span) -> str:
    head = f"{who} asked {model_name(span)}{_cost(span)}"
    if span.status == "error":
        return f"{head}, which failed with {_error(span)}."
    if span.status == "running":
        return f"{head}, which never answered (the run stopped meanwhile)."
    if span.tool_calls:
        parallel = " in parallel" if len(span.tool_calls) > 1 else ""
        many = f"{len(span.tool_calls)} tools: " if len(span.tool_calls) > MANY else ""
        return f"{head}; it called {many}{tool_calls_text(span.tool_calls)}{parallel}."
    answer = answer_text(span.output)
    if answer is None:
        return f"{head}; it answered with an empty message."
    return f"{head}; it answered {answer}."


def _returned_errors(task: Task) -> dict[str, bool]:
    """The tool call ids of the ToolMessages the task wrote: whether each carries an error."""
    out: dict[str, bool] = {}

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                visit(v)
            return
        fields = _fields(value)
        if fields is not None and isinstance(fields.get("tool_call_id"), str):
            out[fields["tool_call_id"]] = fields.get("status") == "error"

    for _, value in task.writes:
        visit(value)
    return out


def _tools_sentence(task: Task, spans: list[Span]) -> str:
    written = _returned_errors(task)
    order = {cid: i for i, cid in enumerate(written)}
    # in the order the task wrote their results (the order the model asked for them), since
    # tools run in parallel start in any order
    spans = sorted(spans, key=lambda s: order.get(s.tool_call_id or "", len(order)))
    done: list[str] = []
    failed: list[str] = []
    handed_back = 0
    for span in spans:
        call = (
            describe_call(span.name, span.input)
            if span.kind == "tool"
            else f"the retriever {span.name} with {describe_value(span.input, 40)}"
        )
        if span.status == "error":
            failed.append(f"{call} failed with {_error(span)}")
            if task.status == "ok" and written.get(span.tool_call_id or "") is True:
                handed_back += 1
        elif span.status == "running":
            failed.append(f"{call} never finished")
        elif span.kind == "retriever":
            found = span.output if isinstance(span.output, list) else None
            done.append(f"{call} → {count(len(found), 'document')}" if found is not None else call)
        else:
            done.append(f"{call} → {tool_result(span.output)}")
    tail = ""
    if handed_back:
        errors = "the error" if handed_back == 1 else "the errors"
        tail = f" ({task.name} returned {errors} to the model)"
    if not failed:
        return f"{task.name} ran {listing(done)}."
    if not done:
        return f"In {task.name}, {'; '.join(failed)}{tail}."
    return f"{task.name} ran {listing(done)}; {'; '.join(failed)}{tail}."


def calls_summary(who: str, spans: Sequence[Span]) -> str:
    """One sentence for many calls: ``agent made 9 calls: asked scripted-model-1 3 times
    (171 → 54 tokens, 0.02 s in all) and ran get_weather 4 times and add twice (1 failed).``"""
    models = [s for s in spans if s.is_model]
    tools = [s for s in spans if not s.is_model]
    parts: list[str] = []
    names = unique(model_name(s) for s in models)
    if models:
        usage = total_usage(models)
        cost: list[str] = []
        if usage.input_tokens or usage.output_tokens:
            cost.append(f"{usage.input_tokens} → {usage.output_tokens} tokens")
        cost.append(f"{seconds(usage.seconds)} in all")
        parts.append(f"asked {listing(names)} {times(len(models))} ({', '.join(cost)})")
    if tools:
        failed = sum(1 for s in tools if s.status == "error")
        note = f" ({failed} failed)" if failed else ""
        parts.append(f"ran {_by_name(s.name for s in tools)}{note}")
    return f"{who} made {count(len(spans), 'call')}: {' and '.join(parts)}."


def calls_inside(tasks: Iterable[Task]) -> str | None:
    """The calls the tasks of a subgraph run made, as one clause, task by task: ``agent asked
    scripted-model-1 twice (147 → 30 tokens) and tools ran get_weather(city='Paris') and
    add(a=2, b=40)``; ``None`` when they made none (or the calls are not known)."""
    by_task: dict[str, list[Span]] = {}
    for task in tasks:
        spans = calls_of(task)
        if spans:
            by_task.setdefault(task.name, []).extend(spans)
    parts: list[str] = []
    for who, spans in by_task.items():
        models = [s for s in spans if s.is_model]
        tools = [s for s in spans if not s.is_model]
        did: list[str] = []
        if models:
            usage = total_usage(models)
            tokens = (
                f" ({usage.input_tokens} → {usage.output_tokens} tokens)"
                if usage.input_tokens or usage.output_tokens
                else ""
            )
            again = "" if len(models) == 1 else f" {times(len(models))}"
            names = listing(unique(model_name(s) for s in models))
            did.append(f"asked {names}{again}{tokens}")
        if tools:
            failed = sum(1 for s in tools if s.status == "error")
            note = f" ({failed} failed)" if failed else ""
            ran = (
                _by_name(s.name for s in tools)
                if len(tools) > MANY
                else listing([_tool_call(s) for s in tools])
            )
            did.append(f"ran {ran}{note}")
        parts.append(f"{who} {' and '.join(did)}")
    return listing(parts) if parts else None


def _tool_call(span: Span) -> str:
    if span.kind == "tool":
        return describe_call(span.name, span.input)
    return f"the retriever {span.name}"
