"""Why each task of a superstep ran and what it did: attempts, retries, interrupts, writes,
subgraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...events import (
    BRANCH_TO,
    END,
    JOIN,
    NO_WRITES,
    PREVIOUS,
    RETURN,
    START,
    TASKS,
    UNLISTED_TASK,
    is_internal_channel,
)
from ...model import Attempt, Superstep, Task
from ._barriers import join_names, join_target
from ._calls import call_story, calls_inside, calls_of, calls_summary, send_arg
from ._context import Context, attempts_of, is_call, recovered
from ._values import show
from ._words import (
    count,
    first_line,
    listing,
    node_name,
    short_channel,
    times,
    unique,
    writer_names,
)

# --- why each task ran ------------------------------------------------------------------------


def why_tasks_ran(s: Superstep, ctx: Context) -> list[str]:
    """Why the step's tasks ran: their trigger channels, or the Sends and calls that made them."""
    out: list[str] = []
    # tasks with the same reason share a sentence
    groups: dict[str, list[str]] = {}
    channels: dict[str, list[str]] = {}  # the trigger channels behind each reason: details
    unlisted = 0
    for task in s.tasks:
        if task.name == UNLISTED_TASK:
            unlisted += 1
            continue
        if task.kind != "pull":
            continue
        reason = _pull_reason(task, ctx)
        members = groups.setdefault(reason, [])
        if node_name(task.name) not in members:
            members.append(node_name(task.name))
        chans = channels.setdefault(reason, [])
        chans.extend(
            short_channel(t.channel)
            for t in task.triggers or ()
            if t.channel.startswith((BRANCH_TO, JOIN)) and short_channel(t.channel) not in chans
        )
    for reason, names in groups.items():
        them = "it" if len(names) == 1 else "them"
        its = "its" if len(names) == 1 else "their"
        said = reason.replace("{them}", them).replace("{its}", its)
        out.append(f"{listing(names)} ran because {said}.")
        if channels[reason]:
            through = "channels" if len(channels[reason]) > 1 else "channel"
            named = listing(channels[reason])
            ctx.note(f"{listing(names)}: triggered through the {through} {named}")
    out.extend(_push_reasons(s))
    if unlisted:
        out.append(
            f"{'A task' if unlisted == 1 else f'{unlisted} tasks'} ran here that the history "
            "does not name (a LangGraph server's history leaves out a task triggered by a join, "
            "and a checkpointer read without its graph cannot name @task calls): why "
            f"{'it' if unlisted == 1 else 'they'} ran is not known."
        )
    return out


def _route(task: Task, writers: list[str], ctx: Context) -> str:
    """How the writers' edges led to the task: a static edge, a conditional edge, a route."""
    who = writer_names(writers) if writers else "an earlier step"
    kinds = {ctx.edge_kind(w, task.name) for w in writers}
    if writers and kinds == {"static"}:
        edges = "edge" if len(writers) == 1 else "edges"
        return f"the {edges} from {who} lead{'s' if len(writers) == 1 else ''} to {{them}}"
    if writers and kinds == {"conditional"}:
        return f"the conditional edge of {who} chose {{them}}"
    return f"{who} routed to {{them}}"


def _pull_reason(task: Task, ctx: Context) -> str:
    if task.triggers is None:
        return "one of {its} trigger channels advanced (which one was not recorded)"
    if not task.triggers:
        return "{them} was scheduled (no trigger channel advanced: a replayed or resumed task)"
    parts: list[str] = []
    for trig in task.triggers:
        ch = trig.channel
        written = [str(w) for w in trig.written_by or []]
        writers = writer_names(written) if written else "an earlier step"
        cls = ctx.cls(ch)
        if ch == START:
            parts.append("the input arrived")
        elif ch.startswith(BRANCH_TO):
            if cls == "LastValueAfterFinish":
                parts.append(
                    f"{writers} routed to {{them}} and, as a deferred node (defer=True), "
                    "{them} waited until nothing else was left to run"
                )
            elif written == ["(update_state)"]:
                parts.append("update_state routed to {them}")
            elif written == ["(fork)"]:
                parts.append("the checkpoint it was replayed from had {them} scheduled")
            else:
                parts.append(_route(task, written, ctx))
        elif ch.startswith(JOIN):
            names = join_names(ch, ctx.info(ch))
            deferred = " and nothing else was left to run" if cls and "AfterFinish" in cls else ""
            parts.append(f"{{its}} barrier had heard from all of {listing(names)}{deferred}")
        else:
            parts.append(f"channel {ch} advanced (written by {writers})")
    return " and ".join(unique(parts))


def _push_reasons(s: Superstep) -> list[str]:
    out: list[str] = []
    sends: dict[tuple[str, str], list[Task]] = {}
    calls: dict[str, dict[str, int]] = {}
    for task in s.tasks:
        if task.kind != "push" or task.name == UNLISTED_TASK:
            continue  # an unnamed task: told by why_tasks_ran
        if is_call(task):
            by = calls.setdefault(task.sent_by or "?", {})
            by[task.name] = by.get(task.name, 0) + 1
        else:
            sends.setdefault((task.name, task.sent_by or "?"), []).append(task)
    for (name, sender), tasks in sends.items():
        if sender == "?":  # a run pulled from a server: who sent it is not kept
            out.append(_unknown_sender(name, len(tasks)))
            continue
        who = "the input" if sender == "(input)" else sender
        args = [
            send_arg(t.input) or show(t.input)
            for t in tasks
            if t.input is not None and bool(t.input) is not False
        ]
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


# --- what each task did -----------------------------------------------------------------------


_GROUP = 3  # more tasks of one name than this are told together


def task_stories(s: Superstep, ctx: Context) -> list[str]:
    """What each task of the step did; many tasks of one name (a wide Send fan-out), or many
    nodes that did the same (a wide static fan-out), are told together."""
    by_name: dict[str, list[Task]] = {}
    for task in s.tasks:
        if task.name == UNLISTED_TASK and all(ch == NO_WRITES for ch, _ in task.writes):
            continue  # told by why_tasks_ran; what it wrote was not kept either
        by_name.setdefault(task.name, []).append(task)
    # nodes that each wrote the same keys and routed the same way: one sentence for them all
    shapes: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Task]] = {}
    for tasks in by_name.values():
        if len(tasks) == 1 and _plain(tasks[0]):
            shapes.setdefault(_shape(tasks[0]), []).append(tasks[0])
    together = {t.name: shape for shape, ts in shapes.items() if len(ts) > _GROUP for t in ts}
    out: list[str] = []
    told: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for name, tasks in by_name.items():
        shape = together.get(name)
        if shape is not None:
            if shape not in told:
                told.add(shape)
                out.append(_shape_story(shapes[shape], shape))
                spans = [c for t in shapes[shape] for c in calls_of(t)]
                if spans:
                    out.append(calls_summary("They", spans))
        elif len(tasks) > _GROUP:
            out.extend(_group_story(name, tasks, s, ctx))
        else:
            for task in tasks:
                out.extend(_task_story(task, s, ctx))
    return out


def _plain(task: Task) -> bool:
    """A task that ran once, succeeded and ran no subgraph: told by its writes alone."""
    return (
        task.status == "ok"
        and len(attempts_of(task)) <= 1
        and not task.subgraphs
        and not task.interrupts
        and not is_call(task)
    )


def _shape(task: Task) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The state keys a task wrote and how it routed, without the values."""
    keys = unique(
        str(ch)
        for ch, _ in task.writes
        if not is_internal_channel(str(ch)) and str(ch) not in (RETURN, END)
    )
    return tuple(keys), tuple(_sort_writes(task).tail())


def _shape_story(tasks: list[Task], shape: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    keys, tail = shape
    did = [f"wrote {listing(list(keys))}"] if keys else []
    did.extend(tail)
    names = listing([node_name(t.name) for t in tasks])
    if not did:
        return f"{names} each finished without writing anything."
    return f"{names} each {listing(did)}."


def _task_story(task: Task, s: Superstep, ctx: Context) -> list[str]:
    out: list[str] = []
    attempts = attempts_of(task)
    label = node_name(task.name)
    if task.name == UNLISTED_TASK:
        label = label.capitalize()  # each sentence below starts with it
    out.extend(_attempt_story(task, attempts, ctx))
    out.extend(call_story(task))
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
        name = "unnamed" if name == UNLISTED_TASK else node_name(name)
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
        spans = [c for t in plain for c in calls_of(t)]
        if spans:
            out.append(calls_summary(f"The {n} {name} tasks", spans))
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
            where = f" in run {ctx.num(call)}" if call is not None else ""
            again = f"run {ctx.num(nxt_call)}" if nxt_call is not None else "a later run"
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
        ctx.note(f"run {ctx.num(call.index)} was Command(resume={show(resume)})")
        return f"run {ctx.num(call.index)} resumed it with the answer {show(resume)}"
    if value is None:
        return f"run {ctx.num(call.index)} continued it with no new input"
    return f"run {ctx.num(call.index)} continued it with input {show(value)}"


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
            parts.append(f"routed to {listing([node_name(r) for r in self.routes])}")
        if self.barriers:
            parts.append(f"reported to the barrier of {listing(self.barriers)}")
        for node, n in self.sends.items():
            parts.append(f"sent {count(n, 'Send')} to {node}")
        if self.other:
            parts.append(f"wrote {listing(self.other)}")
        return parts


def _unknown_sender(name: str, n: int) -> str:
    if n == 1:
        return f"{name} ran because of a Send; who sent it was not recorded."
    return f"{n} {name} tasks ran in parallel, one per Send; who sent them was not recorded."


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
        elif ch in (PREVIOUS, NO_WRITES):
            continue  # the functional API's previous value; LangGraph's "wrote nothing" marker
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
            out.append(f"{task.name} ran a subgraph.")
            ctx.note(f"{task.name}'s subgraph run is the namespace {ns!r}")
            continue
        loop = [x for x in space.supersteps if x.source == "loop"]
        names = unique(t.name for x in loop for t in x.tasks if t.name != START)
        inside = f": {listing(names)}" if names else ""
        # the calls made in it (and in the subgraph runs nested in it), in the same sentence
        calls = calls_inside(
            t
            for key, nested in (th.namespaces.items() if th is not None else ())
            if key == ns or key.startswith(ns + "|")
            for x in nested.supersteps
            if x.source == "loop"
            for t in x.tasks
        )
        made = f"; inside it, {calls}" if calls else ""
        out.append(
            f"{task.name} ran a subgraph with its own {count(len(loop), 'superstep')}{inside}"
            f"{made}."
        )
        ctx.note(f"{task.name}'s subgraph run is the namespace {ns!r}")
    return out
