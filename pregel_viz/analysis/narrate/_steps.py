"""The story of one superstep, in order: why tasks ran, what they did, how the channels
combined their writes, what comes next and where calls ended."""

from __future__ import annotations

from ...events import BRANCH_TO, JOIN, START, TASKS
from ...model import Call, Superstep
from ._barriers import barrier_seen, join_names
from ._channels import channel_story
from ._context import Context, attempts_of, is_call, recovered
from ._tasks import task_stories, why_tasks_ran
from ._values import MISSING, contrast, show
from ._words import count, first_line, listing, node_name, unique


def tell(s: Superstep, ctx: Context) -> list[str]:
    """The sentences telling superstep ``s``, by where it came from (loop, input, update, fork)."""
    if s.source == "input":
        return _tell_input(s, ctx)
    if s.source == "update":
        return _tell_update(s, ctx)
    if s.source == "fork":
        return _tell_fork(s, ctx)
    out: list[str] = []
    if not s.tasks:
        out.append("No task ran in this step.")
    out.extend(why_tasks_ran(s, ctx))
    out.extend(_parallel(s))
    out.extend(task_stories(s, ctx))
    out.extend(_kept_writes(s, ctx))
    if s.checkpoint is None:
        out.extend(_no_checkpoint(s, ctx))
    else:
        out.extend(channel_story(s, ctx))
        out.extend(_next(s, ctx))
    out.extend(_call_ends(s, ctx))
    return out


def _parallel(s: Superstep) -> list[str]:
    """What a superstep means when several tasks share it (the step header's "in parallel")."""
    ran = [t for t in s.tasks if not is_call(t)]
    if len(ran) < 2:
        return []
    both = "Both" if len(ran) == 2 else f"All {len(ran)}"
    return [
        f"{both} tasks ran in parallel in this one superstep: each read the state as the step "
        "began, and none saw another's writes until the step ended, when LangGraph applied "
        "them together."
    ]


def _tell_input(s: Superstep, ctx: Context) -> list[str]:
    cp = s.checkpoint
    out: list[str] = []
    if cp is None:
        return ["An input arrived, but no checkpoint was saved for it."]
    value = cp.channels.get(START, MISSING)
    if value is MISSING:
        out.append("A run started this thread again without new input.")
    else:
        out.append(f"The input {show(value)} arrived.")
        ctx.note("the input is written to the channel __start__")
    out.extend(_next(s, ctx))
    out.extend(_call_ends(s, ctx))
    return out


def _tell_update(s: Superstep, ctx: Context) -> list[str]:
    out: list[str] = []
    before = s.parent.values if s.parent is not None else {}
    after = s.values
    changed = [
        "{} from {} to {}".format(*contrast(k, before[k], after[k]))
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


# --- after a failure or a pause ---------------------------------------------------------------


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
            kept.append(node_name(task.name))
    if not kept:
        return []
    kept = unique(kept)
    return [
        f"{listing(kept)} did not run again in run {ctx.num(first)}: LangGraph used the writes "
        f"{'it' if len(kept) == 1 else 'they'} had saved before the failure."
    ]


def _no_checkpoint(s: Superstep, ctx: Context) -> list[str]:
    failed = [t.name for t in s.tasks if t.status == "error"]
    paused = [t.name for t in s.tasks if t.status == "interrupted"]
    finished = [node_name(t.name) for t in s.tasks if t.status == "ok" and t.writes]
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
                f"Every task finished, but run {ctx.num(call.index)} failed while applying their "
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


# --- what comes next --------------------------------------------------------------------------


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
    parts = [n for n in nxt if n != START]
    if START in nxt:  # the input step: the graph begins with its __start__ node
        parts.insert(0, "the graph starts")
    parts.extend(
        f"{count(n, f'{node} task', f'{node} tasks')} from the Sends" for node, n in sends.items()
    )
    if parts:
        return [f"Next: {listing(parts)}."]
    if ctx.unnamed_next(s):
        return ["The history names no task next, yet the run went on with a task it does not name."]
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
            # a breakpoint or a live session's Step: the log cannot tell which, so say neither
            out.append(
                f"Run {idx} paused here{before}; the next run continues from this checkpoint."
            )
            ctx.note(f"run {idx} ended as LangGraph's interrupt_before/interrupt_after do")
        elif call.status == "error":
            err = call.error or {}
            message = str(err.get("message", "")).strip().splitlines()
            first = message[0].rstrip(".") if message else ""
            out.append(f"Run {idx} ended here with {err.get('type', 'an error')}: {first}.")
        elif call.status == "completed":
            if ctx.thread is not None and len(ctx.thread.calls) > 1:
                out.append(f"Run {idx} completed here.")
        else:
            out.append(f"Run {idx} ended here ({call.status}).")
    return out
