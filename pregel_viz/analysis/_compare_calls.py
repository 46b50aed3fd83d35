"""How the calls made inside two paired tasks differ: the models they asked, what the models
answered or which tools they called, and which tools ran with which arguments and results.

What counts, per model call (in the order they started): the model's name, whether it failed
(the error's type), the tool calls it asked for (names and arguments, not their ids) and its
answer text; per tool or retriever call (in name and argument order, since tools run in
parallel start in any order): its name, arguments, whether it failed (the error's type) and its
result. Ids, timings and token counts never count. A task whose calls are unknown (a run rebuilt
from a checkpointer) is not compared on them.

How it ranks (see :data:`._divergence.RANKS`): another model, another number of model calls,
other tool calls asked for or run, or a call that failed on one side only is a different thing
done, ranked with the writes; an answer text or a tool result alone is like a value. Writes that
differ only in the messages and tool calls those calls made (create_react_agent's Sends carry
them) are told as the calls (:func:`calls_explain`).
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Task
from ..spans import Span
from ._comparable import norm
from ._divergence import A_SIDE, B_SIDE, Divergence, a_but_b
from .narrate import content_text, describe_call, describe_value, model_name, tool_calls_text

__all__ = ["call_views", "calls_difference", "calls_explain"]

_MAX_PARTS = 3


def _content(value: Any) -> Any:
    """A recorded message's content; any other value as it is."""
    if isinstance(value, dict) and ".messages." in str(value.get("$type", "")):
        fields = value.get("$fields")
        if isinstance(fields, dict):
            return fields.get("content")
    return value


def _error_type(span: Span) -> str | None:
    return str((span.error or {}).get("type", "error")) if span.status == "error" else None


def _model_view(span: Span) -> dict[str, Any]:
    return {
        "model": model_name(span),
        "status": span.status,
        "error": _error_type(span),
        "tool_calls": [
            {"name": c.get("name"), "args": norm(c.get("args"))}
            for c in span.tool_calls
            if isinstance(c, dict)
        ],
        "answer": norm(_content(span.output)),
    }


def _args(span: Span) -> Any:
    value = span.input
    if isinstance(value, dict) and value.get("type") == "tool_call" and "args" in value:
        value = value["args"]
    return norm(value)


def _tool_view(span: Span) -> dict[str, Any]:
    return {
        "kind": span.kind,
        "name": span.name,
        "args": _args(span),
        "status": span.status,
        "error": _error_type(span),
        "result": norm(_content(span.output)),
    }


def _key(view: dict[str, Any]) -> str:
    return json.dumps([view["name"], view["args"]], sort_keys=True, default=str)


def call_views(task: Task) -> dict[str, list[dict[str, Any]]] | None:
    """What a task's calls are compared on, as plain data: ``{"models": [...], "tools":
    [...]}`` (``None`` when its calls are unknown)."""
    if not isinstance(task.calls, list):
        return None
    models = [_model_view(s) for s in task.calls if s.is_model]
    tools = [_tool_view(s) for s in task.calls if s.kind in ("tool", "retriever")]
    return {"models": models, "tools": sorted(tools, key=_key)}


# --- words ----------------------------------------------------------------------------------------


def _of(name: str) -> str:
    """``agent's``, ``tools'``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def _answer(view: dict[str, Any]) -> str:
    answer = view["answer"]
    return "nothing" if answer in (None, "", []) else describe_value(answer, 60)


def _calls_text(calls: list[dict[str, Any]]) -> str:
    return tool_calls_text(calls) if calls else "no tool"


def _call_key(call: dict[str, Any]) -> str:
    return json.dumps([call.get("name"), call.get("args")], sort_keys=True, default=str)


def _only(xs: list[dict[str, Any]], ys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls of ``xs`` that ``ys`` lacks (each counted)."""
    left = [_call_key(y) for y in ys]
    out = []
    for x in xs:
        k = _call_key(x)
        if k in left:
            left.remove(k)
        else:
            out.append(x)
    return out


def _other_calls(who: str, xa: list[dict[str, Any]], xb: list[dict[str, Any]]) -> str:
    """``tools called get_weather(city='Paris') in A but get_weather(city='Lyon') in B``: only
    the calls one side made and the other did not."""
    only_a, only_b = _only(xa, xb), _only(xb, xa)
    if not only_a and not only_b:
        return f"{who} called the same tools in another order"
    if only_a and only_b:
        a, b = _calls_text(only_a), _calls_text(only_b)
        return a_but_b(f"{who} called", a, b)
    if only_a:
        return f"{who} also called {_calls_text(only_a)} in {A_SIDE}"
    return f"{who} also called {_calls_text(only_b)} in {B_SIDE}"


def _asked_otherwise(who: str, x: dict[str, Any], y: dict[str, Any]) -> str:
    """Other tool calls asked for; or tools on one side, an answer on the other."""
    if x["tool_calls"] and y["tool_calls"]:
        return _other_calls(who, x["tool_calls"], y["tool_calls"])
    did_a = (
        f"called {_calls_text(x['tool_calls'])}" if x["tool_calls"] else f"answered {_answer(x)}"
    )
    did_b = (
        f"called {_calls_text(y['tool_calls'])}" if y["tool_calls"] else f"answered {_answer(y)}"
    )
    return a_but_b(who, did_a, did_b)


def _ended(view: dict[str, Any], verb: str) -> str:
    if view["status"] == "error":
        return f"failed with {view['error']}"
    if view["status"] == "running":
        return "never finished"
    return verb if verb != "returned" else f"returned {content_text(view['result'])}"


# --- the difference -------------------------------------------------------------------------------


def _model_parts(name: str, ma: list[dict[str, Any]], mb: list[dict[str, Any]]) -> list[Any]:
    parts: list[tuple[str, str]] = []
    if len(ma) != len(mb):
        parts.append(
            (
                "writes",
                f"{name} asked a model {_times(len(ma))} in {A_SIDE} "
                f"but {_times(len(mb))} in {B_SIDE}",
            )
        )
    for x, y in zip(ma, mb, strict=False):
        if x["model"] != y["model"]:
            parts.append(("writes", a_but_b(f"{name} asked", x["model"], y["model"])))
        if (x["status"], x["error"]) != (y["status"], y["error"]):
            ended = _ended(x, "answered"), _ended(y, "answered")
            parts.append(("writes", a_but_b(f"{_of(name)} model", *ended)))
        elif x["tool_calls"] != y["tool_calls"]:
            parts.append(("writes", _asked_otherwise(f"{_of(name)} model", x, y)))
        elif x["answer"] != y["answer"]:
            what = f"{_of(name)} model answered differently:"
            parts.append(("values", a_but_b(what, _answer(x), _answer(y))))
    return parts


def _tool_parts(name: str, ta: list[dict[str, Any]], tb: list[dict[str, Any]]) -> list[Any]:
    if [_key(v) for v in ta] != [_key(v) for v in tb]:
        return [("writes", _other_calls(name, ta, tb))]
    parts: list[tuple[str, str]] = []
    for x, y in zip(ta, tb, strict=True):
        call = describe_call(str(x["name"]), x["args"])
        if (x["status"], x["error"]) != (y["status"], y["error"]):
            ended = _ended(x, "returned"), _ended(y, "returned")
            parts.append(("writes", a_but_b(f"{_of(name)} {call}", *ended)))
        elif x["result"] != y["result"]:
            results = content_text(x["result"]), content_text(y["result"])
            parts.append(("values", a_but_b(f"{_of(name)} {call} returned", *results)))
    return parts


def calls_difference(n: int, ta: Task, tb: Task, where: str) -> Divergence | None:
    """How two paired tasks' calls differ (kind ``"calls"``), or ``None`` when they do not or
    either side's calls are unknown."""
    va, vb = call_views(ta), call_views(tb)
    if va is None or vb is None or va == vb:
        return None
    parts = _model_parts(ta.name, va["models"], vb["models"])
    parts += _tool_parts(ta.name, va["tools"], vb["tools"])
    if not parts:  # e.g. only the order of the same model calls
        parts = [("writes", f"{ta.name} made its calls otherwise")]
    rank = "writes" if any(r == "writes" for r, _ in parts) else "values"
    shown = [text for _, text in parts[:_MAX_PARTS]]
    if len(parts) > _MAX_PARTS:
        shown.append(f"{len(parts) - _MAX_PARTS} more")
    return Divergence(n, "calls", "; ".join(shown) + ".", va, vb, where, rank)


def _masked(value: Any) -> Any:
    """The value with every recorded message, and every tool call a model asked for (as
    create_react_agent's Sends carry them, one per tools task), replaced by one marker."""
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        if ".messages." in str(value.get("$type", "")):
            return "<message>"
        if value.get("type") == "tool_call" and "args" in value:
            return "<tool call>"
        return {k: _masked(v) for k, v in value.items()}
    return value


def calls_explain(ta: Task, tb: Task, wa: list[Any], wb: list[Any]) -> bool:
    """Whether the writes ``wa`` and ``wb`` of two paired tasks differ only in messages, and
    the tasks' calls differ: the messages are what those calls made, told as the calls."""
    return _masked(wa) == _masked(wb) and calls_difference(0, ta, tb, "") is not None
