"""A run as one canonical, human-readable text: what ran in each superstep, and why.

:func:`trace` gives the same bytes for the same behaviour, so it can be kept as a snapshot and
compared in a code review (:mod:`pregel_viz.testing`) or between runtimes (``invoke`` and
``ainvoke``, two LangGraph versions...). Stable means:

- no checkpoint or task ids, no timings, no made-up thread ids, no method names (``invoke`` and
  ``ainvoke`` of the same graph trace the same);
- channel versions as counters (1, 2, 3 per channel), whatever the checkpointer numbers them;
- parallel tasks, a task's calls and subgraph invocations in a fixed order, not the order the
  threads happened to finish in;
- values printed as sorted JSON; ids that are UUIDs (message ids, run ids, interrupt ids) as
  ``<id N>``, numbered in order of appearance, so that what links two places still shows;
- ``exclude`` drops what is not deterministic in a user's graph: a state key (``"timestamp"``)
  or a path in it (``"messages.*.response_metadata"``, ``*`` for any key or item), shown as
  ``<excluded>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..events import is_internal_channel, spec_key
from ..model import UNKNOWN, Namespace, Run, Superstep, Task, Thread
from ..spans import Span
from .export import json_safe

__all__ = ["TRACE_HEADER", "explain_difference", "trace", "trace_blocks"]

TRACE_HEADER = "# pregel-viz trace 1"
EXCLUDED = "<excluded>"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MADE_UP_THREAD = "pregel-viz-"
_FIELDS = "$fields"


def trace(run: Run, *, exclude: Iterable[str] = ()) -> str:
    """The run as canonical text (see the module docstring); ends with a newline."""
    return _Tracer(run, exclude).text()


def trace_blocks(text: str) -> list[tuple[str, list[str]]]:
    """A trace cut into its blocks: (the header line, its lines), the preamble first as ``""``."""
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        if line.startswith("[") and not line.startswith(" "):
            blocks.append((line, []))
        else:
            blocks[-1][1].append(line)
    return blocks


class _Tracer:
    def __init__(self, run: Run, exclude: Iterable[str]) -> None:
        self.run = run
        self.exclude = [p.split(".") for p in exclude if p]
        self.ids: dict[str, str] = {}
        self.lines: list[str] = []

    # --- values -----------------------------------------------------------------------------

    def _id(self, match: re.Match[str]) -> str:
        key = match.group(0).lower()
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = f"<id {len(self.ids) + 1}>"
        return found

    def norm(self, value: Any) -> Any:
        """Plain, sorted, with UUIDs numbered (walked in sorted order, so numbering is too)."""
        if isinstance(value, str):
            return _UUID.sub(self._id, value) if len(value) >= 36 else value
        if isinstance(value, dict):
            short = _short_form(value)
            if short is not None:
                return self.norm(short)
            return {str(k): self.norm(value[k]) for k in sorted(value, key=str)}
        if isinstance(value, (list, tuple)):
            return [self.norm(v) for v in value]
        return value

    def show(self, value: Any, path: Sequence[str] = ()) -> str:
        value = json_safe(value)
        for pattern in self.exclude:
            if path and _matches(path, pattern[: len(path)]):
                rest = pattern[len(path) :]
                value = EXCLUDED if not rest else _drop(value, rest)
        return json.dumps(self.norm(value), sort_keys=True, ensure_ascii=False)

    def excluded_key(self, key: str) -> bool:
        return any(p == [key] for p in self.exclude)

    # --- the run ----------------------------------------------------------------------------

    def text(self) -> str:
        run = self.run
        self.lines.append(TRACE_HEADER)
        self.lines.append(f"graph: {run.meta.get('graph', '?')}")
        for n, thread in enumerate(run.threads.values(), 1):
            self.thread(n, thread)
        return "\n".join(self.lines) + "\n"

    def thread(self, n: int, thread: Thread) -> None:
        tid = thread.thread_id
        named = "" if tid.startswith(_MADE_UP_THREAD) else f" {self.norm(tid)}"
        self.lines.append(f"thread {n}{named}")
        for call in thread.calls:
            line = f"  run {call.index}: {call.status}"
            if call.interrupts:
                line += f", interrupts {self.show(call.interrupts)}"
            if call.error:
                line += f", {call.error.get('type')}: {self.norm(call.error.get('message'))}"
            self.lines.append(line)
        labels = self.labels(thread)
        for ns in sorted(thread.namespaces, key=lambda ns: labels[ns]):
            self.namespace(labels[ns][1], thread.namespaces[ns])

    def labels(self, thread: Thread) -> dict[str, tuple[tuple[Any, ...], str]]:
        """Each namespace's sort key and label: ``root``, ``root > child@2``,
        ``root > child@2#2`` for the second invocation of ``child`` from step 2."""
        out: dict[str, tuple[tuple[Any, ...], str]] = {}

        def label(ns: str) -> tuple[tuple[Any, ...], str]:
            if ns in out:
                return out[ns]
            space = thread.namespaces[ns]
            parent_ns, task_id = space.parent_ns, space.parent_task_id
            parent = thread.namespaces.get(parent_ns) if parent_ns is not None else None
            if not ns or parent is None or parent_ns is None:
                out[ns] = ((), "root" if not ns else spec_key(ns))
                return out[ns]
            pkey, plabel = label(parent_ns)
            owner = parent.tasks.get(task_id or "")
            step = owner.step if owner is not None and owner.step is not None else -1
            node = spec_key(ns).rsplit("|", 1)[-1]
            siblings = sorted(
                (t for t in parent.tasks.values() if t.name == node and t.step == step),
                key=self.task_key,
            )
            nth = next((i for i, t in enumerate(siblings, 1) if t is owner), 1)
            suffix = f"#{nth}" if len(siblings) > 1 else ""
            out[ns] = ((*pkey, step, node, nth), f"{plabel} > {node}@{step}{suffix}")
            return out[ns]

        for ns in thread.namespaces:
            label(ns)
        return out

    def namespace(self, label: str, space: Namespace) -> None:
        counters: dict[str, dict[Any, int]] = {}

        def version(channel: str, v: Any) -> str:
            if v is None:
                return "0"
            seen = counters.setdefault(channel, {})
            key = json.dumps(v, sort_keys=True, default=str)
            if key not in seen:
                seen[key] = len(seen) + 1
            return str(seen[key])

        for s in space.supersteps:
            cp = s.checkpoint
            if cp is not None:  # count versions in the order checkpoints have them
                for ch in sorted(cp.versions):
                    version(ch, cp.versions[ch])
            self.superstep(label, s, version)

    def superstep(self, label: str, s: Superstep, version: Any) -> None:
        add = self.lines.append
        head = f"[{label}] step {s.step}"
        if s.source not in ("loop", ""):
            head += f" ({s.source})"
        if s.checkpoint is None:
            head += " (no checkpoint)"
        add("")
        add(head)
        cp = s.checkpoint
        for ch, value in cp.input_writes if cp is not None else []:
            add(f"  input {ch} = {self.show(value, [str(ch)])}")
        for task in sorted(s.tasks, key=self.task_key):
            self.task(task, version)
        if cp is not None:
            updated = [c for c in s.updated if not self.excluded_key(c)]
            if updated:
                add(f"  updated: {', '.join(updated)}")
        before = s.parent.values if s.parent is not None else {}
        after = s.values
        for key in sorted(set(before) | set(after)):
            if self.excluded_key(key):
                continue
            if key not in after:
                add(f"  state - {key}")
            elif key not in before:
                add(f"  state + {key} = {self.show(after[key], [key])}")
            elif self.show(before[key], [key]) != self.show(after[key], [key]):
                old, new = before[key], after[key]
                if isinstance(old, list) and isinstance(new, list) and new[: len(old)] == old:
                    add(f"  state ~ {key} += {self.show(new[len(old) :], [key])}")
                else:
                    add(f"  state ~ {key} = {self.show(new, [key])}")
        if cp is not None and cp.why:
            add(f"  next: {', '.join(sorted(cp.why))}")

    def task_key(self, task: Task) -> tuple[str, str, str]:
        path = _UUID.sub("<id>", task.path)
        given = "" if task.input is UNKNOWN else json.dumps(json_safe(task.input), sort_keys=True)
        return (task.name, path, _UUID.sub("<id>", given))

    def task(self, task: Task, version: Any) -> None:
        add = self.lines.append
        line = f"  task {task.name}"
        if task.kind == "push":
            line += f" (sent by {task.sent_by})" if task.sent_by else " (push)"
        elif task.triggers:
            why = [
                f"{t.channel} {version(t.channel, t.seen)}->{version(t.channel, t.current)}"
                + (f" by {', '.join(sorted(t.written_by))}" if t.written_by else "")
                for t in sorted(task.triggers, key=lambda t: t.channel)
            ]
            line += f" (after {'; '.join(why)})"
        if task.status != "ok":
            line += f": {task.status}"
        add(line)
        if task.error:
            add(f"    error {task.error.get('type')}: {self.norm(task.error.get('message'))}")
        for value in task.interrupts:
            add(f"    interrupt {self.show(value)}")
        for value in task.resumes:
            add(f"    resumed with {self.show(value)}")
        if isinstance(task.calls, list) and task.calls:
            self.calls(task.calls)
        for ch, value in task.writes:
            if is_internal_channel(str(ch)) and not str(ch).startswith(
                ("branch:to:", "__pregel_tasks")
            ):
                continue
            if self.excluded_key(str(ch)):
                continue
            add(f"    write {ch} = {self.show(value, [str(ch)])}")

    def calls(self, spans: list[Span]) -> None:
        children: dict[int | None, list[Span]] = {}
        ids = {s.id for s in spans}
        for span in spans:
            parent = span.parent if span.parent in ids else None
            children.setdefault(parent, []).append(span)

        def key(span: Span) -> tuple[str, str, str, str]:
            return (
                span.kind,
                span.name,
                span.tool_call_id or "",
                json.dumps(self.norm(json_safe(span.input)), sort_keys=True),
            )

        def walk(parent: int | None, depth: int) -> None:
            for span in sorted(children.get(parent, []), key=key):
                self.span(span, depth)
                walk(span.id, depth + 1)

        walk(None, 0)

    def span(self, span: Span, depth: int) -> None:
        pad = "    " + "  " * depth
        add = self.lines.append
        head = f"{pad}{span.kind} {span.name}"
        if span.model:
            head += f" ({span.model})"
        if span.tool_call_id:
            head += f" [call {self.norm(span.tool_call_id)}]"
        if span.usage:
            u = span.usage
            head += f": {u.get('input_tokens', '?')} -> {u.get('output_tokens', '?')} tokens"
        if span.status != "ok":
            head += f": {span.status}"
        add(head)
        if span.kind == "chat_model" and isinstance(span.input, list) and span.input:
            add(f"{pad}  asked: {len(span.input)} message(s), last {self.show(span.input[-1])}")
        elif span.kind != "chain":
            add(f"{pad}  input {self.show(span.input)}")
        if span.error:
            add(f"{pad}  error {span.error.get('type')}: {self.norm(span.error.get('message'))}")
        elif span.kind != "chain":
            add(f"{pad}  output {self.show(span.output)}")
        for call in span.tool_calls:
            add(f"{pad}  tool call {call.get('name')} {self.show(call.get('args'))}")


_ROLES = {"human": "human", "ai": "ai", "system": "system", "tool": "tool", "function": "function"}


def _short_form(value: dict[str, Any]) -> dict[str, Any] | None:
    """A LangChain message or a Send, as a short map: ``{"human": "hi"}``,
    ``{"ai": "", "tool_calls": {"get_weather": {"city": "Paris"}}}``, ``{"tool": "42",
    "call": "call_1"}``, ``{"send": "worker", "arg": {...}}``; None for anything else."""
    kind = value.get("$type")
    fields = value.get(_FIELDS)
    if not isinstance(kind, str) or not isinstance(fields, dict):
        return None
    if kind == "langgraph.types.Send":
        return {"send": fields.get("node"), "arg": fields.get("arg")}
    if not kind.startswith("langchain_core.messages."):
        return None
    role = fields.get("type")
    role = _ROLES.get(str(role).removesuffix("Chunk").lower(), str(role))
    out: dict[str, Any] = {role: fields.get("content")}
    if fields.get("name"):
        out["name"] = fields["name"]
    calls = fields.get("tool_calls")
    if isinstance(calls, list) and calls:
        out["tool_calls"] = [
            {str(c.get("name")): c.get("args"), "id": c.get("id")} if isinstance(c, dict) else c
            for c in calls
        ]
    if fields.get("tool_call_id"):
        out["call"] = fields["tool_call_id"]
    if fields.get("status") not in (None, "success"):
        out["status"] = fields["status"]
    return out


def _matches(path: Sequence[str], pattern: Sequence[str]) -> bool:
    return len(path) == len(pattern) and all(
        p in ("*", k) for k, p in zip(path, pattern, strict=True)
    )


def _drop(value: Any, parts: list[str]) -> Any:
    """``value`` with what ``parts`` names replaced by :data:`EXCLUDED` (tagged values' fields
    are looked into as if they were the value's own keys)."""
    if isinstance(value, dict) and isinstance(value.get(_FIELDS), dict):
        return {**value, _FIELDS: _drop(value[_FIELDS], parts)}
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        return {
            k: (EXCLUDED if not rest else _drop(v, rest)) if head in ("*", str(k)) else v
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            (EXCLUDED if not rest else _drop(v, rest)) if head in ("*", str(i)) else v
            for i, v in enumerate(value)
        ]
    return value


def explain_difference(
    expected: str, received: str, labels: tuple[str, str] = ("snapshot", "this run")
) -> Iterator[str]:
    """Lines saying where two traces first differ: the superstep and namespace, and what each
    side ran and wrote there."""
    a, b = trace_blocks(expected), trace_blocks(received)
    for i in range(max(len(a), len(b))):
        block_a = a[i] if i < len(a) else None
        block_b = b[i] if i < len(b) else None
        if block_a == block_b:
            continue
        if i == 0:
            yield "the runs differ before their first step (graph, threads or outcome):"
            yield from _side(labels[0], block_a)
            yield from _side(labels[1], block_b)
            return
        head_a = block_a[0] if block_a else "(no such step)"
        head_b = block_b[0] if block_b else "(no such step)"
        where = head_a if head_a == head_b else f"{head_a} / {head_b}"
        ran_a, ran_b = _tasks(block_a), _tasks(block_b)
        if ran_a != ran_b:
            yield f"first divergence at {where}: different tasks ran"
        else:
            yield f"first divergence at {where}: the same tasks did different things"
        yield from _side(labels[0], block_a)
        yield from _side(labels[1], block_b)
        return


def _tasks(block: tuple[str, list[str]] | None) -> list[str]:
    return [] if block is None else [ln.strip() for ln in block[1] if ln.startswith("  task ")]


def _side(label: str, block: tuple[str, list[str]] | None) -> Iterator[str]:
    if block is None:
        yield f"  {label}: nothing (the run ended before)"
        return
    tasks = [ln.strip().removeprefix("task ") for ln in block[1] if ln.startswith("  task ")]
    yield f"  {label} ran: {'; '.join(tasks) if tasks else 'no task'}"
    for line in block[1]:
        if line.startswith(("    write ", "    error ", "    interrupt ", "  state ")):
            yield f"    {line.strip()}"
