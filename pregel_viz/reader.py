"""Read a `.pregel` log into a :class:`~pregel_viz.model.Run`.

Events are joined here: checkpoints are rebuilt in full from their deltas, writes and attempts
are grouped into tasks by task id, tasks into supersteps by the checkpoint they ran from, and
each task gets its why (trigger channels, versions, who wrote them). Unknown event kinds and
unknown fields are skipped, so newer minor versions of the format still load; an event of a
known kind with the wrong shape is a :class:`~pregel_viz.errors.CorruptLogError` naming the event
and the field. The shapes are one table, :data:`pregel_viz.events.EVENTS` (the log's schema),
checked before an event is joined, so what the reader lets through is what the viewer's
document, narration and comparison rely on. A user's values (state, inputs, writes,
interrupts) are any plain msgpack data.
"""

from __future__ import annotations

import contextlib
import gc
import os
import warnings
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import CorruptLogError, PregelVizError, TruncatedLogWarning
from .events import (
    ERROR,
    INTERRUPT,
    NULL_TASK_ID,
    PULL,
    PUSH,
    RESUME,
    SCHEMA,
    TASKS,
    check,
    is_internal_channel,
    spec_key,
)
from .load_limits import LoadLimits, out_of_memory
from .logfile import (
    CODEC_ZLIB,
    HEADER,
    MAGIC,
    read_file,
    read_frames,
    read_header,
    trusted_payloads,
)
from .model import (
    UNKNOWN,
    Attempt,
    Call,
    Checkpoint,
    Namespace,
    Run,
    Superstep,
    Task,
    Thread,
    Trigger,
)
from .spans import Span

__all__ = ["LoadLimits", "as_run", "build_run", "load", "read_bytes", "read_log"]

# the task path of update_state's writes: filed with the input's writes, as no task made them
_UPDATE_PATH = f"~{INTERRUPT}"


def load(path: str | os.PathLike[str], *, limits: LoadLimits | None = None) -> Run:
    """Read the `.pregel` log at ``path``.

    The file is read in pieces, its header first. ``limits`` bounds what reading may take
    (default: :meth:`LoadLimits.from_env <pregel_viz.logfile.LoadLimits.from_env>`, the
    defaults and the ``PREGEL_VIZ_MAX_LOG_*`` environment variables); a truncated log warns
    (:class:`~pregel_viz.errors.TruncatedLogWarning`) and gives its complete frames.

    Raises:
        FileNotFoundError: there is no such file.
        NotAFileError: the path is a directory, a FIFO or a device.
        NotALogError, LogVersionError, CorruptLogError: the file is not a readable log.
        LogTooLargeError: reading it would pass a limit (a compression bomb, a flood of
            frames, a log too big for the memory it may use).
    """
    return read_log(path, source=os.fspath(path), limits=limits)


def as_run(run: Run | str | os.PathLike[str]) -> Run:
    """``run`` itself, or the log at that path read (what the viewers take)."""
    if isinstance(run, Run):
        return run
    if isinstance(run, (str, os.PathLike)):
        return load(run)
    raise TypeError(f"expected a pregel_viz.Run or the path of a .pregel log, got {type(run)!r}")


def read_bytes(data: bytes, *, source: str = "log", limits: LoadLimits | None = None) -> Run:
    """Read a whole log held in memory (as :func:`load` reads a file)."""
    return read_log(data, source=source, limits=limits)


def read_log(
    log: str | os.PathLike[str] | bytes,
    *,
    source: str,
    limits: LoadLimits | None = None,
    warn: bool = True,
    trusted: bool = False,
) -> Run:
    """:func:`load` a path or :func:`read_bytes` bytes, ``source`` naming it in messages.

    With ``warn=False`` a truncated log's notice is only in ``run.warnings``: nothing is
    emitted, so threads may read logs at once (``warnings.catch_warnings`` is process-wide).

    ``trusted=True`` is for the recorder reading back the in-memory log it has just written
    (``Recording.run``): the frames' checksums, the load limits and the schema checks of
    :func:`build_run` are skipped, which gives the same run faster. Only ``bytes`` this
    process wrote and held in memory qualify; a file, or bytes from anywhere else, must be
    read checked (the default), and a path is always read checked. Bytes that do not end on a
    whole frame are read checked too.
    """
    if trusted and isinstance(log, (bytes, bytearray)):
        # decoding allocates as many long-lived containers as joining: no collector passes
        with gc_paused():
            events = _trusted_events(bytes(log), source)
            if events is not None:
                return build_run(events, source=source, trusted=True)
    notes: list[str] = []
    if isinstance(log, (bytes, bytearray, memoryview)):
        frames = read_frames(log, source=source, limits=limits, note=notes.append)
    else:
        frames = read_file(log, source=source, limits=limits, note=notes.append)
    try:
        with gc_paused():
            run = build_run(list(frames), source=source)
    except MemoryError:  # past the limits' reach: a clear error, once the memory is let go
        frames.close()
        failed = True
    else:
        failed = False
    if failed:
        raise out_of_memory(source)
    run.warnings.extend(notes)
    if warn:
        for note in notes:
            warnings.warn(TruncatedLogWarning(note), stacklevel=3)
    return run


def _trusted_events(data: bytes, source: str) -> list[dict[str, Any]] | None:
    """The events of a whole log this process wrote, decoded without checking checksums or
    limits; ``None`` when the data does not end on a whole frame (read it checked then)."""
    start = len(MAGIC) + HEADER.size
    _, _, codec = read_header(data[:start], source=source)
    body = data[start:]
    if codec == CODEC_ZLIB:  # a stream flushed at each superstep, finished or not
        body = zlib.decompressobj().decompress(body)
    return trusted_payloads(body)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a log is decoded and joined (and, in the
    server, while its payload is built).

    Loading allocates many long-lived containers and no garbage: with the collector on, its
    repeated passes over the growing heap took over half the load time of a 10,000-superstep
    log (``bench/bench_recorder.py``).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# what joining events the schema let through could still raise: a CorruptLogError all the same
_MISFIT = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def build_run(
    events: Iterable[dict[str, Any]], *, source: str = "log", trusted: bool = False
) -> Run:
    """Join decoded events into a run.

    ``trusted=True`` skips checking each event against the schema: only for events the
    recorder of this process wrote (see :func:`read_log`), which fit it by construction.
    """
    builder = _Builder(source, trusted=trusted)
    events = list(events)
    for i, event in enumerate(events):
        try:
            builder.add(event)
        except (CorruptLogError, *_MISFIT) as exc:
            # a CorruptLogError here names the field that does not fit the schema
            why = str(exc) if isinstance(exc, CorruptLogError) else f"{type(exc).__name__}: {exc}"
            raise CorruptLogError(
                f"{source}: event {i} (a {str(event.get('k'))[:40]!r} event) has the wrong "
                f"shape: {why}"
            ) from None
    try:
        run = builder.finish()
    except PregelVizError:
        raise
    except _MISFIT as exc:
        raise CorruptLogError(f"{source}: events do not fit together: {exc}") from None
    run.events = events
    return run


class _Builder:
    def __init__(self, source: str, *, trusted: bool = False) -> None:
        self.source = source
        self.trusted = trusted
        # event kind -> its schema and the method that joins it
        self._kinds = {
            kind: (schema, getattr(self, f"_on_{kind}")) for kind, schema in SCHEMA.items()
        }
        self.meta: dict[str, Any] = {}
        self.graphs: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, Thread] = {}
        self.calls: dict[int, Call] = {}
        # (thread, task id) -> Task
        self.tasks: dict[tuple[str, str], Task] = {}
        self.order: dict[tuple[str, str], int] = {}  # first event index of each task
        self.cp_order: dict[str, int] = {}
        self.seq = 0
        self.unknown_kinds: dict[str, int] = {}
        self._input_writes: list[tuple[str, str, str | None, list[list[Any]]]] = []
        self._attempt_of: dict[str, tuple[str, Task]] = {}
        self._spans: dict[int, Span] = {}
        self._default_cache: dict[str, dict[str, Any]] = {}

    def thread(self, label: str) -> Thread:
        t = self.threads.get(label)
        if t is None:
            # every thread has its root graph's namespace, first, even when nothing ran there
            t = self.threads[label] = Thread(label, {"": Namespace("")})
        return t

    def space(self, label: str, ns: str) -> Namespace:
        thread = self.thread(label)
        space = thread.namespaces.get(ns)
        if space is None:
            space = thread.namespaces[ns] = Namespace(ns)
        return space

    def add(self, e: dict[str, Any]) -> None:
        self.seq += 1
        kind = e.get("k")
        entry = self._kinds.get(kind) if type(kind) is str else None
        if entry is None:
            self.unknown_kinds[str(kind)[:40]] = self.unknown_kinds.get(str(kind)[:40], 0) + 1
            return
        schema, on = entry
        if not self.trusted and not schema.ok(e):
            check(schema, e)
        on(e)

    # --- event kinds: each has been checked against events.EVENTS --------------------------------

    def _on_meta(self, e: dict[str, Any]) -> None:
        self.meta = {k: v for k, v in e.items() if k != "k"}

    def _on_graph(self, e: dict[str, Any]) -> None:
        self.graphs[e["key"]] = {k: v for k, v in e.items() if k != "k"}
        self._default_cache.clear()

    def _on_call(self, e: dict[str, Any]) -> None:
        idx = e["call"]
        call = Call(idx, e.get("method") or "", e.get("input"), e.get("t"))
        self.calls[idx] = call
        self.thread(e["thread"]).calls.append(call)

    def _on_end(self, e: dict[str, Any]) -> None:
        call = self.calls.get(e["call"])
        if call is None:
            return
        call.status = e["status"]
        call.end = e.get("t")
        call.interrupts = [_interrupt_value(v) for v in e.get("interrupts") or ()]
        call.error = e.get("error")

    def _on_checkpoint(self, e: dict[str, Any]) -> None:
        label, ns, cp_id = e["thread"], e["ns"], e["id"]
        space = self.space(label, ns)
        parent_id = e.get("parent")
        parent = space.checkpoints.get(parent_id) if parent_id else None
        full = e.get("full") is True
        versions = {} if full or parent is None else dict(parent.versions)
        channels = {} if full or parent is None else dict(parent.channels)
        versions.update(e.get("versions") or {})
        channels.update(e.get("values") or {})
        for ch in e.get("removed") or ():
            channels.pop(ch, None)
        step = e.get("step")
        cp = Checkpoint(
            id=cp_id,
            parent=parent_id,
            step=-1 if step is None else step,
            source=e.get("source") or "loop",
            t=e.get("t"),
            versions=versions,
            channels=channels,
            updated=e.get("updated"),
            why=e.get("why") or {},
            why_inferred=e.get("why_inferred") is True,
            defaults=self._defaults(ns),
            state_channels=(self.graphs.get(spec_key(ns)) or {}).get("state_channels"),
        )
        space.checkpoints[cp_id] = cp
        self.cp_order[cp_id] = self.seq

    def _defaults(self, ns: str) -> dict[str, Any]:
        key = spec_key(ns)
        cached = self._default_cache.get(key)
        if cached is None:
            channels = (self.graphs.get(key) or {}).get("channels") or {}
            cached = {
                name: info["default"]
                for name, info in channels.items()
                if "default" in info and not is_internal_channel(name)
            }
            self._default_cache[key] = cached
        return cached

    def _task(self, label: str, task_id: str) -> Task:
        key = (label, task_id)
        task = self.tasks.get(key)
        if task is None:
            task = self.tasks[key] = Task(id=task_id, name="", ns="", checkpoint_id=None, step=None)
            self.order[key] = self.seq
        return task

    def _on_writes(self, e: dict[str, Any]) -> None:
        label, ns, task_id = e["thread"], e["ns"], e["task"]
        cp = e.get("cp")
        path = e.get("path") or ""
        writes = [list(w) for w in e["writes"]]
        if task_id == NULL_TASK_ID or path.startswith(_UPDATE_PATH) or path == "":
            self._input_writes.append((label, ns, cp, writes))
            return
        task = self._task(label, task_id)
        task.ns, task.checkpoint_id, task.path = ns, cp, path
        name = e.get("name")  # set by from_checkpointer, where no attempt names the task
        if name and not task.name:
            task.name = name
        for ch, value in writes:
            if ch == ERROR:
                task.error = _error_of(value)
            elif ch == INTERRUPT:
                task.interrupts.extend(
                    _interrupt_value(v) for v in (value if isinstance(value, list) else [value])
                )
            elif ch == RESUME:
                task.resumes.extend(value if isinstance(value, list) else [value])
            else:
                task.writes.append([ch, value])

    def _on_task_start(self, e: dict[str, Any]) -> None:
        label = e["thread"]
        task = self._task(label, e["task"])
        task.name = e["name"]
        if not task.ns:
            task.ns = e.get("ns") or ""
        step = e.get("step")
        task.step = step if step is not None else task.step
        path = e.get("path") or []
        if not task.path:
            task.path = _path_str(path)
        task.kind = "push" if path and path[0] == PUSH else "pull"
        if "input" in e:
            task.input = e["input"]
        assert isinstance(task.attempts, list)
        attempt = e.get("attempt")
        task.attempts.append(Attempt(1 if attempt is None else attempt, e.get("t")))
        self._attempt_of[e["task"]] = (label, task)

    def _on_task_end(self, e: dict[str, Any]) -> None:
        entry = self._attempt_of.get(e["task"])
        if entry is None:
            return
        task = entry[1]
        if not isinstance(task.attempts, list) or not task.attempts:
            return
        attempt = task.attempts[-1]
        attempt.end = e.get("t")
        attempt.status = e.get("status") or "ok"
        attempt.error = e.get("error")

    def _on_span(self, e: dict[str, Any]) -> None:
        span = self._spans[e["id"]] = Span.started(e)
        calls = self._task(e["thread"], e["task"]).calls
        assert isinstance(calls, list)
        calls.append(span)

    def _on_span_end(self, e: dict[str, Any]) -> None:
        span = self._spans.pop(e["id"], None)
        if span is not None:
            span.ended(e)

    # --- joining ----------------------------------------------------------------------------

    def finish(self) -> Run:
        for (label, _), task in self.tasks.items():
            self._place(label, task)
        for label, ns, cp, writes in self._input_writes:
            space = self.space(label, ns)
            if cp is not None and cp in space.checkpoints:
                space.checkpoints[cp].input_writes.extend(writes)
        for thread in self.threads.values():
            for space in thread.namespaces.values():
                self._supersteps(space)
        for thread in self.threads.values():
            for ns, space in thread.namespaces.items():
                parent_ns, task_id = space.parent_ns, space.parent_task_id
                if parent_ns is None or task_id is None:
                    continue
                parent = thread.namespaces.get(parent_ns)
                owner = parent.tasks.get(task_id) if parent is not None else None
                if owner is not None:
                    owner.subgraphs.append(ns)
        kinds = self.unknown_kinds.items()
        warn = [f"skipped {n} event(s) of unknown kind {k!r}" for k, n in kinds]
        return Run(self.meta, self.graphs, self.threads, source=self.source, warnings=warn)

    def _place(self, label: str, task: Task) -> None:
        """Put a task in its namespace, naming it from its path when no attempt was timed."""
        space = self.space(label, task.ns)
        if task.checkpoint_id is None and task.step is not None:
            # started but never wrote: find the checkpoint it ran from by step
            for cand in reversed(list(space.checkpoints.values())):
                if cand.step == task.step - 1:
                    task.checkpoint_id = cand.id
                    break
        parts = _path_parts(task.path)
        if parts and parts[0] == PUSH:
            task.kind = "push"
        if not task.name:
            task.name = parts[1] if len(parts) > 1 and parts[0] == PULL else "?"
        cp = space.checkpoints.get(task.checkpoint_id or "")
        if cp is not None:
            task.step = cp.step + 1
        if not isinstance(task.attempts, list) or not task.attempts:
            task.attempts = UNKNOWN if self.meta.get("timings") == "unknown" else []
        if self.meta.get("timings") == "unknown" and not task.calls:
            task.calls = UNKNOWN
        space.tasks[task.id] = task

    def _supersteps(self, space: Namespace) -> None:
        by_cp: dict[str, list[Task]] = {}
        # the tasks that ran from each checkpoint, in recording order: indexed once, so that
        # explaining each superstep does not scan every task of the namespace (O(n^2))
        ran_from: dict[str | None, list[Task]] = {}
        for task in space.tasks.values():
            by_cp.setdefault(task.checkpoint_id or "", []).append(task)
            ran_from.setdefault(task.checkpoint_id, []).append(task)
        for tasks in by_cp.values():
            tasks.sort(key=lambda t: (t.kind != "pull", t.path, t.id))
        entries: list[tuple[float, Superstep]] = []
        has_loop_child: set[str] = set()
        for cp in space.checkpoints.values():
            parent = space.checkpoints.get(cp.parent or "")
            tasks = by_cp.get(cp.parent or "", []) if cp.source == "loop" else []
            if cp.source == "loop" and cp.parent:
                has_loop_child.add(cp.parent)
            entries.append((self.cp_order[cp.id], Superstep(cp.step, cp.source, cp, parent, tasks)))
        for cp_id, tasks in by_cp.items():
            if cp_id in has_loop_child or not tasks:
                continue
            parent = space.checkpoints.get(cp_id)
            step = parent.step + 1 if parent is not None else (tasks[0].step or 0)
            first: float = min(self.order[(_thread_of(space, self), t.id)] for t in tasks)
            if parent is not None:
                # right after the checkpoint it ran from: LangGraph saves that checkpoint in
                # the background, so its event may come after the tasks started
                first = max(first, self.cp_order[parent.id] + 0.5)
            entries.append((first, Superstep(step, "loop", None, parent, tasks)))
        entries.sort(key=lambda x: x[0])
        space.supersteps = [s for _, s in entries]
        for s in space.supersteps:
            self._explain(s, ran_from)

    def _explain(self, s: Superstep, ran_from: dict[str | None, list[Task]]) -> None:
        start = s.parent
        if start is None:
            return
        writers = self._writers(start, ran_from)
        sends = start.channels.get(TASKS) or []
        for task in s.tasks:
            if task.kind == "pull":
                reasons = start.why.get(task.name)
                if reasons is None or (not reasons and start.why_inferred):
                    # an inferred why names a node but not its channels: unknown
                    task.triggers = None if start.why_inferred else []
                    continue
                task.triggers = [
                    Trigger(str(ch), seen, cur, writers.get(str(ch), []))
                    for ch, seen, cur in reasons
                ]
            else:
                task.sent_by = self._sender(start, task, sends, ran_from)

    def _writers(
        self, cp: Checkpoint, ran_from: dict[str | None, list[Task]]
    ) -> dict[str, list[str]]:
        """Channel -> names of the tasks (or the input) whose writes made checkpoint ``cp``."""
        out: dict[str, list[str]] = {}
        if cp.source != "loop":
            who = {"input": "(input)", "update": "(update_state)", "fork": "(fork)"}
            label = who.get(cp.source, f"({cp.source})")
            for ch in cp.versions:
                out.setdefault(ch, []).append(label)
            return out
        for task in ran_from.get(cp.parent, ()):
            for ch, _ in task.writes:
                names = out.setdefault(str(ch), [])
                if task.name not in names:
                    names.append(task.name)
        return out

    def _sender(
        self, cp: Checkpoint, task: Task, sends: Any, ran_from: dict[str | None, list[Task]]
    ) -> str | None:
        parts = _path_parts(task.path)
        if len(parts) > 1 and parts[1].isdigit() and isinstance(sends, list):
            idx = int(parts[1])
            if idx < len(sends):
                packet = sends[idx]
                for other in ran_from.get(cp.parent, ()):
                    if [TASKS, packet] in other.writes:
                        return other.name
                if cp.source != "loop":
                    return "(input)"
        if PULL in parts:
            i = parts.index(PULL)
            return parts[i + 1] if i + 1 < len(parts) else None
        return None


def _thread_of(space: Namespace, builder: _Builder) -> str:
    for label, thread in builder.threads.items():
        if thread.namespaces.get(space.ns) is space:
            return label
    return ""


def _path_parts(path: str) -> list[str]:
    """LangGraph's task path string (``~__pregel_push, ~__pregel_pull, node, 0``) as parts."""
    return [p.strip().lstrip("~") for p in path.split(",")]


def _path_str(path: list[Any]) -> str:
    def flat(p: Any) -> str:
        if isinstance(p, list):
            return ", ".join(flat(x) for x in p)
        if isinstance(p, int) and not isinstance(p, bool):
            return f"{p:010}"
        return str(p)

    return "~" + flat(path)


def _error_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and "$error" in value:
        t = str(value.get("$type", "Exception"))
        return {"type": t.rsplit(".", 1)[-1], "message": str(value.get("$error"))}
    return {"type": "Exception", "message": str(value)}


def _interrupt_value(v: Any) -> Any:
    if isinstance(v, dict):
        fields = v.get("$fields")
        if isinstance(fields, dict) and "value" in fields:
            return fields["value"]
    return v
