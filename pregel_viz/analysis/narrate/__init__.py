"""Tell what happened in each superstep, in plain sentences, from the recorded model alone.

No LLM, no guessing: every sentence is read off the run (tasks, their triggers and writes, the
channels' classes and values before and after the step, attempts, interrupts, the calls). ::

    print(pregel_viz.narrate(run))               # the root graph of the run's thread
    pregel_viz.narrate(run).sentences(2)         # superstep 2 as a list of sentences
    pregel_viz.narrate(run, ns="child:<task id>")  # one subgraph run

The result is plain data (:meth:`Narration.to_dict`), ready for a viewer pane.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...events import (
    BRANCH_TO,
    END,
    JOIN,
    PREVIOUS,
    RETURN,
    START,
    TASKS,
    is_internal_channel,
    spec_key,
)
from ...model import Attempt, Call, Namespace, Run, Superstep, Task, Thread
from ._barriers import barrier_seen, join_names, join_target
from ._channels import channel_story
from ._context import CallMap, Context, attempts_of, is_call, recovered
from ._values import MISSING, describe_value, show
from ._words import count, first_line, listing, times, unique, writer_names

__all__ = [
    "Narration",
    "StepNarration",
    "describe_value",
    "narrate",
    "narrate_run",
    "narrate_superstep",
]

NO_STEPS = "No supersteps recorded."
"""What the narration of a namespace where nothing ran says."""


@dataclass
class StepNarration:
    """The sentences telling one superstep."""

    step: int
    source: str
    checkpoint_id: str | None
    sentences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"step", "source", "checkpoint_id", "sentences"}``."""
        return {
            "step": self.step,
            "source": self.source,
            "checkpoint_id": self.checkpoint_id,
            "sentences": list(self.sentences),
        }

    def text(self) -> str:
        """The step as a heading line and one indented line per sentence."""
        kind = "" if self.source == "loop" else f" ({self.source})"
        lines = [f"Step {self.step}{kind}:"]
        lines.extend(f"  {s}" for s in self.sentences)
        return "\n".join(lines)


@dataclass
class Narration:
    """The narration of one namespace (the root graph or a subgraph run) of one thread."""

    thread: str
    ns: str
    steps: list[StepNarration] = field(default_factory=list)

    def sentences(self, step: int) -> list[str]:
        """The sentences of superstep ``step`` (the newest one with that number: forks)."""
        for s in reversed(self.steps):
            if s.step == step:
                return list(s.sentences)
        raise KeyError(f"no superstep {step}; steps: {sorted({s.step for s in self.steps})}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a viewer: ``{"thread", "ns", "steps": [...]}``."""
        return {"thread": self.thread, "ns": self.ns, "steps": [s.to_dict() for s in self.steps]}

    def text(self) -> str:
        """Everything, as readable text."""
        where = "the root graph" if not self.ns else f"subgraph run {self.ns}"
        head = f"Thread {self.thread}, {where}:"
        if not self.thread:
            head = f"{where[0].upper()}{where[1:]}:"
        if not self.steps:
            return f"{head}\n  {NO_STEPS}"
        return "\n".join([head, *(s.text() for s in self.steps)])

    def __str__(self) -> str:
        return self.text()


def narrate(
    target: Run | Thread | Namespace | Superstep,
    *,
    thread: str | None = None,
    ns: str = "",
    step: int | None = None,
    channels: Mapping[str, Any] | None = None,
) -> Narration:
    """Narrate a run (or one thread, namespace or superstep) superstep by superstep.

    Args:
        target: a :class:`~pregel_viz.Run` (the usual case), or a part of one.
        thread: the thread of a run to tell (default: the run's last thread).
        ns: the namespace: ``""`` for the root graph, a subgraph run's namespace, or a
            subgraph's node path (``child``, ``mid|leaf``) for its first run.
        step: only this superstep (every superstep with that number, forks included).
        channels: the channel descriptions of the graph (``run.graphs[key]["channels"]``);
            taken from the run when ``target`` is one. Without them sentences name no class.

    Returns:
        A :class:`Narration`: ``str()`` of it reads as text, ``.steps[i].sentences`` is a list
        of sentences per superstep, ``.to_dict()`` is plain data.
    """
    run: Run | None = None
    th: Thread | None = None
    if isinstance(target, Run):
        run = target
        th = run.get_thread(thread)
        space = th.namespaces.get(ns) or (th.root if not ns else None)
        if space is None:  # a node path (``child``): its first run
            ns = next((k for k in th.namespaces if k and spec_key(k) == spec_key(ns)), ns)
            space = th.namespaces.get(ns)
        if space is None:
            raise KeyError(
                f"no namespace {ns!r} in thread {th.thread_id!r}; namespaces: {list(th.namespaces)}"
            )
        if channels is None:
            graph = run.graphs.get(spec_key(ns)) or {}
            found = graph.get("channels")
            channels = found if isinstance(found, dict) else {}
        supersteps = space.supersteps
    elif isinstance(target, Thread):
        th = target
        space = th.namespaces.get(ns) or Namespace(ns)
        supersteps = space.supersteps
    elif isinstance(target, Namespace):
        space = target
        ns = space.ns
        supersteps = space.supersteps
    else:
        space = None
        supersteps = [target]
    ctx = Context(
        channels=dict(channels or {}),
        space=space,
        thread=th,
        # calls are made on the root graph: where they end is told there
        calls=CallMap.build(run, th, ns) if run is not None and th is not None and not ns else None,
    )
    steps = [
        StepNarration(
            s.step,
            s.source,
            s.checkpoint.id if s.checkpoint is not None else None,
            _tell(s, ctx),
        )
        for s in supersteps
        if step is None or s.step == step
    ]
    return Narration(th.thread_id if th is not None else "", ns, steps)


def narrate_run(run: Run) -> dict[str, dict[str, list[list[str]]]]:
    """Every thread and namespace of a run: the sentences of each superstep.

    ``result[thread_id][ns][i]`` tells ``run.threads[thread_id].namespaces[ns].supersteps[i]``
    (the order of the viewer payload's steps), so a viewer can show it next to each step.
    """
    out: dict[str, dict[str, list[list[str]]]] = {}
    for label, thread in run.threads.items():
        out[label] = {
            ns: [s.sentences for s in narrate(run, thread=label, ns=ns).steps]
            for ns in thread.namespaces
        }
    return out


def narrate_superstep(
    superstep: Superstep, *, channels: Mapping[str, Any] | None = None
) -> list[str]:
    """The sentences telling one superstep, without the rest of its run.

    Prefer ``narrate(run, step=n)``: with the run, sentences can also tell about calls,
    resumes and subgraph runs.
    """
    return _tell(superstep, Context(channels=dict(channels or {}), space=None, thread=None))


def _tell(s: Superstep, ctx: Context) -> list[str]:
    if s.source == "input":
        return _tell_input(s, ctx)
    if s.source == "update":
        return _tell_update(s, ctx)
    if s.source == "fork":
        return _tell_fork(s, ctx)
    out: list[str] = []
    if not s.tasks:
        out.append("No task ran in this step.")
    out.extend(_why_tasks_ran(s, ctx))
    by_name: dict[str, list[Task]] = {}
    for task in s.tasks:
        by_name.setdefault(task.name, []).append(task)
    for name, tasks in by_name.items():
        if len(tasks) > _GROUP:
            out.extend(_group_story(name, tasks, s, ctx))
        else:
            for task in tasks:
                out.extend(_task_story(task, s, ctx))
    out.extend(_kept_writes(s, ctx))
    if s.checkpoint is None:
        out.extend(_no_checkpoint(s, ctx))
    else:
        out.extend(channel_story(s, ctx))
        out.extend(_next(s, ctx))
    out.extend(_call_ends(s, ctx))
    return out


def _tell_input(s: Superstep, ctx: Context) -> list[str]:
    cp = s.checkpoint
    out: list[str] = []
    if cp is None:
        return ["An input arrived, but no checkpoint was saved for it."]
    value = cp.channels.get(START, MISSING)
    if value is MISSING:
        out.append("A call started this thread again without new input.")
    else:
        out.append(f"The input {show(value)} was written to the __start__ channel.")
    out.extend(_next(s, ctx))
    out.extend(_call_ends(s, ctx))
    return out


def _tell_update(s: Superstep, ctx: Context) -> list[str]:
    out: list[str] = []
    before = s.parent.values if s.parent is not None else {}
    after = s.values
    changed = [
        f"{k} from {show(before[k])} to {show(after[k])}"
        if k in before
        else f"{k} to {show(after[k])}"
        for k in after
        if before.get(k, MISSING) != after[k]
    ]
    base = f" on the checkpoint of step {s.parent.step}" if s.parent is not None else ""
    if changed:
        out.append(f"update_state changed the state{base}: {listing(changed)}.")
    else:
        out.append(f"update_state saved a new checkpoint{base} without changing the state.")
    routed = [
        ch[len(BRANCH_TO) :]
        for ch in (s.checkpoint.channels if s.checkpoint is not None else {})
        if ch.startswith(BRANCH_TO)
    ]
    if routed:
        out.append(
            f"The update was applied as a node's output, so that node's edges ran again and "
            f"routed to {listing(routed)}."
        )
    if _has_older_sibling(s, ctx):
        out.append(
            "That checkpoint already had a next step, so this starts a new branch of the "
            "thread's history (a fork)."
        )
    out.extend(_next(s, ctx))
    out.extend(_call_ends(s, ctx))
    return out


def _has_older_sibling(s: Superstep, ctx: Context) -> bool:
    if ctx.space is None or s.parent is None:
        return False
    for other in ctx.space.supersteps:
        if other is s:
            return False
        if other.parent is not None and other.parent.id == s.parent.id:
            return True
    return False


def _tell_fork(s: Superstep, ctx: Context) -> list[str]:
    base = f"step {s.parent.step}" if s.parent is not None else "an earlier step"
    out = [
        f"A call resumed the thread from the past checkpoint of {base}: LangGraph copied that "
        "checkpoint to start a new branch (a fork) and replays the steps after it."
    ]
    out.extend(_next(s, ctx))
    out.extend(_call_ends(s, ctx))
    return out


def _why_tasks_ran(s: Superstep, ctx: Context) -> list[str]:
    out: list[str] = []
    # tasks with the same reason share a sentence; a lone task also names its channel
    groups: dict[str, list[tuple[str, str]]] = {}
    for task in s.tasks:
        if task.kind != "pull":
            continue
        reason = _pull_reason(task, ctx)
        key = _DETAIL.sub("", reason)
        members = groups.setdefault(key, [])
        if task.name not in [name for name, _ in members]:
            members.append((task.name, reason))
    for key, members in groups.items():
        names = [name for name, _ in members]
        if len(members) == 1:
            text = _DETAIL.sub(lambda m: f" ({m.group(1)})", members[0][1])
        else:
            text = key
        out.append(f"{listing(names)} ran because {text.replace('{them}', _them(names))}.")
    out.extend(_push_reasons(s))
    return out


_DETAIL = re.compile(r"\{detail:([^}]*)\}")


def _them(names: Sequence[str]) -> str:
    return "it" if len(names) == 1 else "them"


def _pull_reason(task: Task, ctx: Context) -> str:
    if task.triggers is None:
        return "one of its trigger channels advanced (which one was not recorded)"
    if not task.triggers:
        return "it was scheduled (no trigger channel advanced: a replayed or resumed task)"
    parts: list[str] = []
    for trig in task.triggers:
        ch = trig.channel
        writers = writer_names(trig.written_by) if trig.written_by else "an earlier step"
        cls = ctx.cls(ch)
        if ch == START:
            parts.append("the input arrived on __start__")
        elif ch.startswith(BRANCH_TO):
            if cls == "LastValueAfterFinish":
                parts.append(
                    f"{writers} routed to {{them}} and, as a deferred node (defer=True), "
                    "{them} waited until nothing else was left to run"
                )
            elif trig.written_by == ["(update_state)"]:
                parts.append("update_state routed to {them}")
            elif trig.written_by == ["(fork)"]:
                parts.append("the checkpoint it was replayed from had {them} scheduled")
            else:
                parts.append(f"{writers} routed to {{them}}{{detail:{ch}}}")
        elif ch.startswith(JOIN):
            names = join_names(ch, ctx.info(ch))
            deferred = " and nothing else was left to run" if cls and "AfterFinish" in cls else ""
            parts.append(f"the barrier {ch} had heard from all of {listing(names)}{deferred}")
        else:
            parts.append(f"channel {ch} advanced (written by {writers})")
    return " and ".join(unique(parts))


def _push_reasons(s: Superstep) -> list[str]:
    out: list[str] = []
    sends: dict[tuple[str, str], list[Task]] = {}
    calls: dict[str, dict[str, int]] = {}
    for task in s.tasks:
        if task.kind != "push":
            continue
        if is_call(task):
            by = calls.setdefault(task.sent_by or "?", {})
            by[task.name] = by.get(task.name, 0) + 1
        else:
            sends.setdefault((task.name, task.sent_by or "?"), []).append(task)
    for (name, sender), tasks in sends.items():
        who = "the input" if sender == "(input)" else sender
        args = [show(t.input) for t in tasks if t.input is not None and bool(t.input) is not False]
        shown = f" (with {listing(args[:4])}{', …' if len(args) > 4 else ''})" if args else ""
        if len(tasks) == 1:
            out.append(f"{name} ran because {who} sent it a Send{shown}.")
        else:
            out.append(
                f"{len(tasks)} {name} tasks ran in parallel, one per Send from {who}{shown}."
            )
    for caller, names in calls.items():
        ran = [f"{n} {times(k)}" for n, k in names.items()]
        out.append(f"{caller} called the @task functions {listing(ran)}; each call is a task.")
    return out


def _task_story(task: Task, s: Superstep, ctx: Context) -> list[str]:
    out: list[str] = []
    attempts = attempts_of(task)
    label = task.name
    out.extend(_attempt_story(task, attempts, ctx))
    if task.error is not None and not recovered(task):
        err = task.error
        out.append(f"{label} failed with {err.get('type')}: {first_line(err.get('message'))}.")
    last = attempts[-1].status if attempts else None
    if last == "parent_command":
        if task.writes:
            out.append(
                f"{label}'s subgraph returned a Command(graph=PARENT): LangGraph applied its "
                f"update and goto here, as {label}'s own writes."
            )
        else:
            out.append(
                f"{label} returned a Command(graph=PARENT): its update and goto went to the "
                "parent graph, so this graph stopped here."
            )
    if task.status in ("ok",) or task.writes:
        w = _writes_phrase(task)
        if w:
            out.append(f"{label} {w}.")
        elif task.status == "ok" and last != "parent_command" and not is_call(task):
            out.append(f"{label} finished without writing anything.")
    out.extend(_subgraph_story(task, ctx))
    return out


_GROUP = 3  # more tasks of one name than this are told together


def _group_story(name: str, tasks: list[Task], s: Superstep, ctx: Context) -> list[str]:
    """Many tasks of one node (a wide Send fan-out): the odd ones alone, the rest together."""
    out: list[str] = []
    plain: list[Task] = []
    for task in tasks:
        if task.status == "ok" and len(attempts_of(task)) <= 1 and not task.subgraphs:
            plain.append(task)
        else:
            out.extend(_task_story(task, s, ctx))
    if plain:
        sorted_ = [_sort_writes(t) for t in plain]
        head = [", ".join([*w.state, *w.returned]) for w in sorted_]
        head = [h for h in head if h]
        tails = unique(p for w in sorted_ for p in w.tail())
        n = len(plain)
        if not head and not tails:
            out.append(f"The {n} {name} tasks finished without writing anything.")
        else:
            parts: list[str] = []
            if head:
                verb = "returned" if all(w.returned and not w.state for w in sorted_) else "wrote"
                more = len(head) - _GROUP
                listed = ", ".join(head[:_GROUP]) + (f" and {more} more" if more > 0 else "")
                parts.append(f"{verb} {listed}")
            parts.extend(tails)
            out.append(f"The {n} {name} tasks {'; '.join(parts)}.")
    return out


def _segments(
    task: Task, attempts: list[Attempt], ctx: Context
) -> list[tuple[int | None, list[Attempt]]]:
    """The attempts grouped by the call that made them (one group without call records)."""
    out: list[tuple[int | None, list[Attempt]]] = []
    for i, a in enumerate(attempts):
        call = ctx.calls.call_of(task, i) if ctx.calls is not None else None
        idx = call.index if call is not None else None
        if out and out[-1][0] == idx:
            out[-1][1].append(a)
        else:
            out.append((idx, [a]))
    return out


def _err_text(a: Attempt) -> str:
    err = a.error or {}
    return f"{err.get('type', 'error')}: {first_line(err.get('message', ''))}"


def _attempt_story(task: Task, attempts: list[Attempt], ctx: Context) -> list[str]:
    out: list[str] = []
    segments = _segments(task, attempts, ctx)
    for k, (call, group) in enumerate(segments):
        failed = [a for a in group if a.status == "error"]
        last_segment = k == len(segments) - 1
        if failed and len(group) > 1:
            errs = [f"attempt {a.index} ({_err_text(a)})" for a in failed]
            if group[-1].status == "ok":
                out.append(
                    f"{task.name} failed on {listing(errs)}; its retry policy ran it again, and "
                    f"attempt {group[-1].index} succeeded."
                )
            elif group[-1].status == "error":
                out.append(
                    f"{task.name} failed {times(len(failed))}, on {listing(errs)}; its retry "
                    "policy gave up."
                )
        if not last_segment and group[-1].status == "error":
            nxt_call, nxt = segments[k + 1]
            where = f" in call {ctx.num(call)}" if call is not None else ""
            again = f"call {ctx.num(nxt_call)}" if nxt_call is not None else "a later call"
            result = {
                "ok": "this time it succeeded",
                "error": "it failed again",
                "interrupt": "it paused at an interrupt",
            }.get(nxt[-1].status, f"it ended with status {nxt[-1].status}")
            out.append(
                f"{task.name} failed{where} ({_err_text(group[-1])}); {again} resumed the thread "
                f"and ran {task.name} again: {result}."
            )
    pauses = [i for i, a in enumerate(attempts) if a.status == "interrupt"]
    if pauses or task.interrupts:
        out.extend(_interrupt_story(task, attempts, pauses, ctx))
    return out


def _kept_writes(s: Superstep, ctx: Context) -> list[str]:
    """After a failed step was resumed: the tasks that had finished did not run again."""
    if ctx.calls is None:
        return []
    resumed: list[int] = []
    for task in s.tasks:
        if recovered(task):
            call = ctx.calls.call_of(task, len(attempts_of(task)) - 1)
            if call is not None:
                resumed.append(call.index)
    if not resumed:
        return []
    first = min(resumed)
    kept: list[str] = []
    for task in s.tasks:
        attempts = attempts_of(task)
        if not attempts or recovered(task) or attempts[-1].status != "ok":
            continue
        call = ctx.calls.call_of(task, len(attempts) - 1)
        if call is not None and call.index < first:
            kept.append(task.name)
    if not kept:
        return []
    kept = unique(kept)
    return [
        f"{listing(kept)} did not run again in call {ctx.num(first)}: LangGraph used the writes "
        f"{'it' if len(kept) == 1 else 'they'} had saved before the failure."
    ]


def _interrupt_story(
    task: Task, attempts: list[Attempt], pauses: list[int], ctx: Context
) -> list[str]:
    out: list[str] = []
    values = list(task.interrupts)
    if not pauses:  # a saver that keeps no attempts: only the interrupt values
        for v in values:
            out.append(f"{task.name} called interrupt({show(v)}) and the run paused.")
        return out
    for n, i in enumerate(pauses):
        value = f"interrupt({show(values[n])})" if n < len(values) else "interrupt()"
        sentence = f"{task.name} called {value}, so the run paused to wait for an answer"
        resumed = _resumed_by(task, i + 1, attempts, ctx)
        if resumed is not None:
            sentence += f"; {resumed}"
        out.append(sentence + ".")
    if pauses and attempts[-1].status != "interrupt" and len(attempts) > 1:
        if len(pauses) == 1:
            out.append(
                f"When resumed, {task.name} ran again from the top, and this time interrupt() "
                "returned the answer instead of pausing."
            )
        else:
            out.append(
                f"On each resume {task.name} ran again from the top "
                f"({count(len(attempts), 'attempt')} in all), and interrupt() returned the "
                "answers given so far instead of pausing."
            )
    return out


def _resumed_by(task: Task, position: int, attempts: list[Attempt], ctx: Context) -> str | None:
    if position >= len(attempts):
        return None
    call = ctx.calls.call_of(task, position) if ctx.calls is not None else None
    if call is None:
        return "it was resumed"
    value = call.input
    fields = value.get("$fields") if isinstance(value, dict) else None
    if (
        isinstance(value, dict)
        and str(value.get("$type", "")).endswith("Command")
        and isinstance(fields, dict)
    ):
        resume = fields.get("resume")
        return f"call {ctx.num(call.index)} resumed it with Command(resume={show(resume)})"
    if value is None:
        return f"call {ctx.num(call.index)} continued it with input None"
    return f"call {ctx.num(call.index)} continued it with input {show(value)}"


@dataclass
class _Writes:
    """A task's writes, sorted by what they mean."""

    state: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    barriers: list[str] = field(default_factory=list)
    sends: dict[str, int] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    def tail(self) -> list[str]:
        """Routing, barrier and Send phrases."""
        parts: list[str] = []
        if self.routes:
            parts.append(f"routed to {listing(self.routes)}")
        if self.barriers:
            parts.append(f"reported to the barrier of {listing(self.barriers)}")
        for node, n in self.sends.items():
            parts.append(f"sent {count(n, 'Send')} to {node}")
        if self.other:
            parts.append(f"wrote {listing(self.other)}")
        return parts


def _sort_writes(task: Task) -> _Writes:
    w = _Writes()
    for ch, value in task.writes:
        ch = str(ch)
        if ch.startswith(BRANCH_TO):
            if ch[len(BRANCH_TO) :] not in w.routes:
                w.routes.append(ch[len(BRANCH_TO) :])
        elif ch.startswith(JOIN):
            if join_target(ch) not in w.barriers:
                w.barriers.append(join_target(ch))
        elif ch == TASKS:
            node = "?"
            if isinstance(value, dict) and isinstance(value.get("$fields"), dict):
                node = str(value["$fields"].get("node", "?"))
            w.sends[node] = w.sends.get(node, 0) + 1
        elif ch in (RETURN, END):
            w.returned.append(show(value))
        elif ch == PREVIOUS:
            continue
        elif is_internal_channel(ch):
            w.other.append(f"{ch}={show(value)}")
        else:
            w.state.append(f"{ch}={show(value)}")
    return w


def _writes_phrase(task: Task) -> str:
    w = _sort_writes(task)
    head: list[str] = []
    if w.state:
        head.append(f"wrote {listing(w.state)}")
    if w.returned:
        head.append(f"returned {listing(w.returned)}")
    return "; ".join(head + w.tail())


def _subgraph_story(task: Task, ctx: Context) -> list[str]:
    if not task.subgraphs:
        return []
    out: list[str] = []
    th = ctx.thread
    for ns in task.subgraphs:
        space = th.namespaces.get(ns) if th is not None else None
        if space is None:
            out.append(f"{task.name} ran a subgraph (namespace {ns}).")
            continue
        loop = [x for x in space.supersteps if x.source == "loop"]
        names = unique(t.name for x in loop for t in x.tasks if t.name != START)
        inside = f": {listing(names)}" if names else ""
        out.append(
            f"{task.name} ran a subgraph with its own {count(len(loop), 'superstep')}{inside} "
            f"(narrate it with ns={ns!r})."
        )
    return out


def _no_checkpoint(s: Superstep, ctx: Context) -> list[str]:
    failed = [t.name for t in s.tasks if t.status == "error"]
    paused = [t.name for t in s.tasks if t.status == "interrupted"]
    finished = [t.name for t in s.tasks if t.status == "ok" and t.writes]
    out: list[str] = []
    if failed:
        kept = (
            f"; the writes of {listing(unique(finished))} were kept as pending writes, so "
            "resuming the thread (invoke with None) would not run them again"
            if finished
            else ""
        )
        out.append(
            f"Because {listing(unique(failed))} failed, LangGraph saved no checkpoint for this "
            f"step and the state did not change{kept}."
        )
    elif paused:
        out.append(
            f"{listing(unique(paused))} {'is' if len(unique(paused)) == 1 else 'are'} still "
            "paused, so no checkpoint was saved for this step: the thread waits for "
            "Command(resume=...)."
        )
    elif any(a.status == "parent_command" for t in s.tasks for a in attempts_of(t)):
        out.append("No checkpoint was saved for this step: control went back to the parent graph.")
    else:
        call = _call_of_step(s, ctx)
        if call is not None and call.status == "error" and call.error:
            out.append(
                f"Every task finished, but call {ctx.num(call.index)} failed while applying their "
                "writes "
                f"({call.error.get('type')}: {first_line(call.error.get('message'))}), so no "
                "checkpoint was saved for this step."
            )
        else:
            out.append(
                "No checkpoint was saved for this step (the run stopped before it finished)."
            )
    return out


def _call_of_step(s: Superstep, ctx: Context) -> Call | None:
    """The call that made the last attempt of this step's tasks."""
    if ctx.calls is None:
        return None
    found: Call | None = None
    for task in s.tasks:
        attempts = attempts_of(task)
        if attempts:
            call = ctx.calls.call_of(task, len(attempts) - 1)
            if call is not None and (found is None or call.index > found.index):
                found = call
    return found


def _next_nodes(s: Superstep, ctx: Context) -> list[str]:
    """The nodes the checkpoint triggers, less any whose barrier is really still waiting."""
    assert s.checkpoint is not None
    out: list[str] = []
    for node, reasons in s.checkpoint.why.items():
        if node == START and s.source != "input":
            continue
        chans = [str(r[0]) for r in reasons if isinstance(r, list) and r]
        joins = [c for c in chans if c.startswith(JOIN)]
        if joins and len(joins) == len(chans):
            complete = False
            for c in joins:
                seen = barrier_seen(s, c, ctx)
                if seen is None or seen >= frozenset(join_names(c, ctx.info(c))):
                    complete = True
            if not complete:
                continue
        out.append(node)
    return out


def _next(s: Superstep, ctx: Context) -> list[str]:
    cp = s.checkpoint
    if cp is None:
        return []
    nxt = _next_nodes(s, ctx)
    sends: dict[str, int] = {}
    for task in s.tasks:
        for ch, value in task.writes:
            if ch == TASKS and isinstance(value, dict):
                fields = value.get("$fields")
                if isinstance(fields, dict):
                    node = str(fields.get("node", "?"))
                    sends[node] = sends.get(node, 0) + 1
    parts = list(nxt)
    parts.extend(
        f"{count(n, f'{node} task', f'{node} tasks')} from the Sends" for node, n in sends.items()
    )
    if parts:
        return [f"Next: {listing(parts)}."]
    if ctx.space is not None and ctx.space.ns:
        return ["Nothing is triggered next, so this subgraph run ends here."]
    return ["Nothing is triggered next, so the run ends here."]


def _call_ends(s: Superstep, ctx: Context) -> list[str]:
    if ctx.calls is None or s.checkpoint is None:
        return []
    out: list[str] = []
    for index in ctx.calls.ended_at.get(s.checkpoint.id, []):
        call = ctx.calls.calls.get(index)
        if call is None:
            continue
        idx = ctx.num(index)
        if call.status == "interrupted":
            waiting = [n for n in s.checkpoint.why if n != START]
            before = f" before {listing(waiting)} started" if waiting else ""
            out.append(
                f"Call {idx} stopped here at a breakpoint (interrupt_before/interrupt_after)"
                f"{before}; the next call continues from this checkpoint."
            )
        elif call.status == "error":
            err = call.error or {}
            message = str(err.get("message", "")).strip().splitlines()
            first = message[0].rstrip(".") if message else ""
            out.append(f"Call {idx} ended here with {err.get('type', 'an error')}: {first}.")
        elif call.status == "completed":
            if ctx.thread is not None and len(ctx.thread.calls) > 1:
                out.append(f"Call {idx} completed here.")
        else:
            out.append(f"Call {idx} ended here ({call.status}).")
    return out
