"""Live step-through debugging: run a graph in a background thread, one superstep at a time.

:func:`debug_session` starts a :class:`LiveSession`: the graph runs under
:func:`~pregel_viz.recording` (so every superstep lands in :attr:`LiveSession.run`) in a
background thread, so a notebook kernel stays responsive. Graphs with ``async def`` nodes run
under ``astream`` on the session's own event loop, in that same background thread.

Only public LangGraph APIs drive the graph: per-call ``interrupt_before``/``interrupt_after``,
``RunControl.request_drain`` for pause, ``Command(resume=...)``, ``get_state_history`` and
``update_state`` (with ``Overwrite`` so that an edited reducer channel takes the edited value).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from langgraph.channels import UntrackedValue
from langgraph.errors import GraphDrained
from langgraph.runtime import RunControl
from langgraph.types import Command, Overwrite

from ..errors import PregelVizError
from . import Recording, async_only_nodes, thread_config, with_saver

if TYPE_CHECKING:
    from langgraph.types import StateSnapshot

    from ..analysis.compare import Comparison
    from ..model import Run, Superstep

__all__ = ["STATUSES", "WHERE", "LiveSession", "debug_session", "parse_breakpoints"]

STATUSES = ("paused", "running", "interrupted", "completed", "error", "stopped")
"""What :attr:`LiveSession.status` can be."""

WHERE = ("before", "after", "write")
"""The kinds of breakpoint: before a node, after a node, on a write to a channel."""

# the channel classes whose update_state goes through a reducer (an edit must bypass it)
_REDUCER_CLASSES = ("BinaryOperatorAggregate",)


def parse_breakpoints(spec: Any) -> dict[str, list[str]]:
    """``{"before": [...], "after": [...], "write": [...]}`` from any of the accepted forms.

    ``spec`` is ``None``, a mapping with those keys (each a name or a list of names), or an
    iterable of strings: ``"node"`` or ``"before:node"`` (pause before the node runs),
    ``"after:node"``, ``"write:channel"`` (pause after a superstep that writes the channel).
    """
    out: dict[str, list[str]] = {w: [] for w in WHERE}
    if spec is None:
        return out
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(WHERE))
        if unknown:
            raise ValueError(f"unknown breakpoint kind(s) {unknown}; use {list(WHERE)}")
        for where, names in spec.items():
            items = [names] if isinstance(names, str) else list(names or ())
            out[where].extend(str(n) for n in items)
        return out
    if isinstance(spec, str):
        spec = [spec]
    for item in spec:
        text = str(item)
        where, sep, name = text.partition(":")
        if not sep:
            where, name = "before", text
        if where not in WHERE or not name:
            raise ValueError(
                f"bad breakpoint {text!r}: use 'node', 'before:node', 'after:node' or "
                "'write:channel'"
            )
        out[where].append(name)
    return out


def _check_saver(graph: Any) -> None:
    """Refuse a checkpointer bound to one event loop: a session drives the graph from its own
    thread (and loop), where such a saver hangs or raises."""
    saver = getattr(graph, "checkpointer", None)
    module = type(saver).__module__ if saver is not None else ""
    if module.endswith(".aio") or type(saver).__name__.startswith("Async"):
        raise PregelVizError(
            f"live sessions run the graph in a background thread, and {type(saver).__name__} "
            "is bound to the event loop it was made in: compile the graph with an InMemorySaver "
            "(or a sync saver such as SqliteSaver) to debug it live"
        )


class LiveSession:
    """A graph run that can be stepped, continued, paused, answered, forked and stopped.

    Every control method (:meth:`step`, :meth:`cont`, :meth:`answer`, :meth:`fork`) starts one
    background run and returns at once (``self``); :meth:`wait` blocks until it is over.
    :attr:`status` is one of :data:`STATUSES`. Listeners added with :meth:`subscribe` are
    called (from the background thread) whenever a superstep lands or the status changes.
    """

    def __init__(
        self,
        graph: Any,
        input: Any,
        config: Any = None,
        *,
        break_before: Iterable[str] = (),
        break_after: Iterable[str] = (),
        break_on_write: Iterable[str] = (),
        asynchronous: bool | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        _check_saver(graph)
        # a copy (sharing the saver): several sessions, and the user's own calls, may use the
        # same graph at once, each recorded on its own
        saved = with_saver(graph)
        self.graph = saved if saved is not graph else graph.copy()
        self.config: dict[str, Any] = thread_config(config)
        self.thread_id = str(self.config["configurable"]["thread_id"])
        self.nodes = [n for n in self.graph.nodes if not n.startswith("__")]
        self.channels = sorted(
            c for c in self.graph.channels if not c.startswith("__") and ":" not in c
        )
        self.break_before: list[str] = []
        self.break_after: list[str] = []
        self.break_on_write: set[str] = set()
        # what pausing between supersteps changes for this graph, in words
        self.caveats = [
            f"{name} is an UntrackedValue channel: it is never checkpointed, so its value is "
            "lost when the run pauses between supersteps (Step, breakpoints, Pause, "
            "interrupts); Continue with no breakpoints keeps it."
            for name, channel in self.graph.channels.items()
            if isinstance(channel, UntrackedValue)
        ]
        self.asynchronous = (
            bool(async_only_nodes(self.graph)) if asynchronous is None else asynchronous
        )
        self._input = input  # consumed by the first call; later calls continue with None
        self._status = "paused"
        self.error: BaseException | None = None
        self.message = ""  # why the last run stopped, in words (for the widget)
        self._lock = threading.RLock()
        self._worker: threading.Thread | None = None
        self._control: RunControl | None = None
        self._halt = False  # pause() or stop() asked: start no further call
        self._reconfigure = False  # breakpoints changed while running: restart the call
        self._stopping = False  # stop() was asked: no further control is accepted
        self._stop_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: list[Callable[[LiveSession], None]] = []
        self._final_run: Run | None = None
        for n in break_before:
            self.set_breakpoint(n, "before")
        for n in break_after:
            self.set_breakpoint(n, "after")
        for c in break_on_write:
            self.set_breakpoint(c, "write")
        self.path = None if path is None else os.fspath(path)
        # recorded where the session runs the graph: in its worker threads (see _body)
        self._rec = Recording(self.graph, path)
        self._rec.install()
        self._rec.recorder.listeners.append(self._notify)

    # --- what the session shows ------------------------------------------------------------

    @property
    def status(self) -> str:
        return self._status

    @property
    def state(self) -> StateSnapshot:
        """LangGraph's ``get_state`` of the session's thread."""
        snap: StateSnapshot = self.graph.get_state(self.config)
        return snap

    @property
    def run(self) -> Run:
        """The recorded model of everything run so far (all branches, one thread)."""
        if self._final_run is not None:
            return self._final_run
        return self._rec.run

    def history(self) -> list[StateSnapshot]:
        """LangGraph's ``get_state_history`` of the thread, newest first (all branches)."""
        return list(self.graph.get_state_history(self.config))

    @property
    def breakpoints(self) -> dict[str, list[str]]:
        """The breakpoints: ``{"before": nodes, "after": nodes, "write": channels}``."""
        return {
            "before": list(self.break_before),
            "after": list(self.break_after),
            "write": sorted(self.break_on_write),
        }

    @property
    def interrupts(self) -> list[dict[str, Any]]:
        """The pending ``interrupt()`` calls: ``[{"id", "value"}]`` (empty unless interrupted)."""
        if self._status != "interrupted":
            return []
        return [{"id": i.id, "value": i.value} for i in self.state.interrupts]

    @property
    def next(self) -> tuple[str, ...]:
        """The nodes the next superstep runs (LangGraph's ``StateSnapshot.next``)."""
        if self._status in ("running", "stopped"):
            return ()
        return tuple(self.state.next)

    def subscribe(self, listener: Callable[[LiveSession], None]) -> Callable[[], None]:
        """Call ``listener(session)`` on every change; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # --- breakpoints -----------------------------------------------------------------------

    def set_breakpoint(self, name: str, where: str = "before", on: bool = True) -> LiveSession:
        """Set (or with ``on=False`` clear) a breakpoint.

        ``where`` is ``"before"`` or ``"after"`` a node named ``name``, or ``"write"``: pause
        after any superstep that writes the channel ``name``. A change made while the graph
        runs takes effect before its next superstep.
        """
        if where not in WHERE:
            raise ValueError(f"where must be one of {list(WHERE)}, not {where!r}")
        if where == "write":
            if name not in self.channels:
                raise ValueError(f"no channel {name!r} in the graph; channels: {self.channels}")
        elif name not in self.nodes:
            raise ValueError(f"no node {name!r} in the graph; nodes: {self.nodes}")
        with self._lock:
            if where == "write":
                if on:
                    self.break_on_write.add(name)
                else:
                    self.break_on_write.discard(name)
            else:
                names = self.break_before if where == "before" else self.break_after
                if on and name not in names:
                    names.append(name)
                elif not on and name in names:
                    names.remove(name)
            if self._status == "running" and self._control is not None:
                self._reconfigure = True
                self._control.request_drain("breakpoints changed")
        self._notify()
        return self

    # --- controls --------------------------------------------------------------------------

    def step(self) -> LiveSession:
        """Run exactly one superstep, then pause."""
        return self._launch(self._first_input(), self.config, single=True)

    def cont(self) -> LiveSession:
        """Run to the next breakpoint, interrupt or the end."""
        return self._launch(self._first_input(), self.config)

    def answer(self, value: Any, interrupt_id: str | None = None) -> LiveSession:
        """Resume the pending ``interrupt()`` with ``value``, then run as :meth:`cont` does.

        With several interrupts pending, ``interrupt_id`` says which one ``value`` answers (the
        others stay pending); with one, it may be left out.
        """
        if self._status != "interrupted":
            raise RuntimeError(f"no interrupt to answer (status {self._status!r})")
        pending = [i["id"] for i in self.interrupts]
        if interrupt_id is not None and interrupt_id not in pending:
            raise KeyError(f"no pending interrupt {interrupt_id!r}; pending: {pending}")
        if interrupt_id is None and len(pending) > 1:
            raise ValueError(f"{len(pending)} interrupts are pending: say which (interrupt_id)")
        resume: Command[Any] = Command(resume=value if len(pending) <= 1 else {interrupt_id: value})
        return self._launch(resume, self.config, from_any_pause=True)

    def fork(
        self,
        step: int | str,
        updates: Mapping[str, Any] | None = None,
        as_node: str | None = None,
        *,
        replace: bool = True,
    ) -> LiveSession:
        """Branch off the checkpoint of a past superstep and run from it as :meth:`cont` does.

        ``step`` is a step number (the newest checkpoint with it) or a checkpoint id. With
        ``updates`` (channel -> new value) or ``as_node`` the checkpoint is first edited with
        ``update_state``; without, the run is replayed from it. With ``replace`` (the default)
        an edited channel that has a reducer takes the value as given (``Overwrite``) instead
        of reducing it into the old one. Both branches stay in the same thread.
        """
        self._check_idle(from_any_pause=True)
        target = self._checkpoint(step)
        cfg: Any = target.config
        if updates is not None or as_node is not None:
            values = dict(updates or {})
            if replace:
                values = {k: self._replacing(k, v) for k, v in values.items()}
            with self._rec.activate():
                cfg = self.graph.update_state(cfg, values or None, as_node=as_node)
        self._input = None
        return self._launch(None, cfg, from_any_pause=True)

    def pause(self) -> LiveSession:
        """Ask a running graph to stop before its next superstep (cooperative)."""
        with self._lock:
            self._halt = True
            control = self._control
            if control is not None:
                control.request_drain("paused by the debugger")
                self.message = "pausing: the running superstep finishes first"
        if control is not None:
            self._notify()
        return self

    def wait(self, timeout: float | None = None) -> str:
        """Block until the background run returns (or ``timeout``); the status."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return self._status

    def stop(self, timeout: float | None = None) -> str:
        """End the session: drain a running graph, stop recording. Nothing can run after.

        A superstep that is running finishes first (LangGraph cannot cut a task short); with a
        ``timeout`` that expires before it does, the session stays "stopping" (no control is
        accepted) and a later ``stop()`` finishes the job. Safe to call from several threads.
        """
        with self._lock:
            self._stopping = True
        self.pause()
        with self._stop_lock:
            if self._status == "stopped":
                return self._status
            self.wait(timeout)
            worker = self._worker
            if worker is not None and worker.is_alive():
                self.message = "stopping: the running superstep finishes first"
                self._notify()
                return self._status
            self._final_run = self._rec.run
            self._rec.recorder.listeners.remove(self._notify)
            self._rec.uninstall()
            if self._loop is not None:
                self._loop.close()
                self._loop = None
            self._status = "stopped"
            self.message = "the session is stopped"
        self._notify()
        return self._status

    def compare_fork(self) -> Comparison:
        """The newest branch of the thread against the branch it forked from."""
        from ..analysis.compare import compare_fork

        return compare_fork(self.run, thread=self.thread_id)

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LiveSession thread={self.thread_id!r} status={self._status}>"

    # --- internals -------------------------------------------------------------------------

    def _notify(self) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a viewer's failure must not stop the graph
                listener(self)

    def _replacing(self, key: str, value: Any) -> Any:
        spec = (self._rec.run.graphs.get("") or {}).get("channels", {}).get(key) or {}
        if spec.get("class") in _REDUCER_CLASSES and not isinstance(value, Overwrite):
            return Overwrite(value)
        return value

    def _first_input(self) -> Any:
        inp, self._input = self._input, None
        return inp

    def _check_idle(self, from_any_pause: bool = False) -> None:
        status = self._status
        if status == "stopped" or self._stopping:
            raise RuntimeError("the session is stopped" if status == "stopped" else "stopping")
        if status == "running":
            raise RuntimeError("the graph is running: pause() or wait() first")
        if status == "interrupted" and not from_any_pause:
            raise RuntimeError("the graph waits at an interrupt(): answer() it")
        if status == "completed" and not from_any_pause:
            raise RuntimeError("the graph has completed: fork() to run again")

    def _checkpoint(self, step: int | str) -> StateSnapshot:
        for snap in self.graph.get_state_history(self.config):
            if snap.config["configurable"]["checkpoint_id"] == step or (
                isinstance(step, int) and snap.metadata and snap.metadata.get("step") == step
            ):
                found: StateSnapshot = snap
                return found
        raise KeyError(f"no checkpoint for step {step!r} in thread {self.thread_id!r}")

    def _launch(
        self,
        inp: Any,
        cfg: Any,
        *,
        single: bool = False,
        from_any_pause: bool = False,
    ) -> LiveSession:
        with self._lock:
            self._check_idle(from_any_pause)
            self._halt = False
            self._reconfigure = False
            self._control = RunControl()
            self._status = "running"
            self.error = None
            self.message = "running"
        self._worker = threading.Thread(
            target=self._body,
            args=(inp, cfg, single),
            name=f"pregel-viz-live-{self.thread_id}",
            daemon=True,
        )
        self._notify()
        self._worker.start()
        return self

    def _body(self, inp: Any, cfg: Any, single: bool) -> None:
        # a recording records the calls made in its context: this worker thread's
        with self._rec.activate():
            self._steps(inp, cfg, single)

    def _steps(self, inp: Any, cfg: Any, single: bool) -> None:
        status, message = "paused", ""
        try:
            while True:
                stepwise = single or bool(self.break_on_write)
                before = len(self._supersteps())
                status = self._call(inp, cfg, stepwise, single)
                inp, cfg = None, self.config
                with self._lock:
                    if self._reconfigure and status == "paused" and not self._halt:
                        # the breakpoints changed under a running call: the superstep that
                        # landed meanwhile is judged by the new ones (for step(): it was the
                        # one step), else go on with them. A restarted call resumes, and
                        # LangGraph does not interrupt before the nodes it resumes into.
                        self._reconfigure = False
                        landed = self._supersteps()[before:]
                        ran = any(not t.name.startswith("__") for x in landed for t in x.tasks)
                        if not ran or not (single or self._why_paused(landed[-1:])):
                            self._control = RunControl()
                            continue
                        before = len(self._supersteps()) - 1  # only that one is reported
                if status != "paused":
                    break
                if single:
                    at = sorted(set(self.state.next) & set(self.break_before))
                    message = "stepped one superstep" + (
                        f" (at the breakpoint before {', '.join(at)}: Continue runs it)"
                        if at
                        else ""
                    )
                    break
                if self._halt:
                    message = "paused"
                    break
                hit = self._why_paused(self._supersteps()[before:])
                if hit or not stepwise:
                    message = hit or self._graph_breakpoint() or "paused"
                    break
        except BaseException as exc:  # the graph's own error is the session's outcome
            self.error = exc
            status = "error"
            message = f"{type(exc).__name__}: {exc}"
        if status == "interrupted":
            message = "waiting for an answer to interrupt()"
        elif status == "completed":
            message = "the run completed"
        with self._lock:
            self._control = None
            self._status = status
            self.message = message
        self._notify()

    def _call(self, inp: Any, cfg: Any, stepwise: bool, single: bool) -> str:
        with self._lock:
            kwargs: dict[str, Any] = {"control": self._control}
            if single:
                kwargs["interrupt_after"] = "*"
            elif stepwise:
                kwargs["interrupt_before"] = list(self.break_before)
                kwargs["interrupt_after"] = "*"
            else:
                kwargs["interrupt_before"] = list(self.break_before)
                kwargs["interrupt_after"] = list(self.break_after)
        try:
            if self.asynchronous:
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
                self._loop.run_until_complete(self._adrain(inp, cfg, kwargs))
            else:
                for _ in self.graph.stream(inp, cfg, **kwargs):
                    pass
        except GraphDrained:
            return "paused"
        snap = self.state
        if snap.interrupts:
            return "interrupted"
        return "paused" if snap.next else "completed"

    async def _adrain(self, inp: Any, cfg: Any, kwargs: dict[str, Any]) -> None:
        async for _ in self.graph.astream(inp, cfg, **kwargs):
            pass

    def _supersteps(self) -> list[Superstep]:
        thread = self._rec.run.threads.get(self.thread_id)
        return [] if thread is None else list(thread.root.supersteps)

    def _graph_breakpoint(self) -> str:
        """The graph's own (compile-time) ``interrupt_before`` it stopped at, in words."""
        own = getattr(self.graph, "interrupt_before_nodes", None) or ()
        at = sorted(n for n in self.state.next if own == "*" or n in own)
        return f"the graph's own interrupt_before {', '.join(at)}" if at else ""

    def _why_paused(self, new: list[Superstep]) -> str:
        """Which breakpoint the supersteps just run (or where they stopped) met, in words."""
        before = sorted(set(self.state.next) & set(self.break_before))
        if before:
            return f"breakpoint before {', '.join(before)}"
        for s in new:
            for task in s.tasks:
                if task.name.startswith("__"):
                    continue
                if task.name in self.break_after:
                    return f"breakpoint after {task.name} (step {s.step})"
                written = sorted({str(w[0]) for w in task.writes} & self.break_on_write)
                if written:
                    return f"breakpoint: {task.name} wrote {', '.join(written)} (step {s.step})"
        return ""


def debug_session(
    graph: Any,
    input: Any,
    config: Any = None,
    *,
    break_before: Iterable[str] = (),
    break_after: Iterable[str] = (),
    break_on_write: Iterable[str] = (),
    asynchronous: bool | None = None,
    path: str | os.PathLike[str] | None = None,
) -> LiveSession:
    """A paused :class:`LiveSession` of ``graph`` on ``input``: nothing runs until a control.

    Args:
        graph: a compiled LangGraph graph; without a checkpointer an in-memory one is used.
            The session runs and records a copy of it (sharing its checkpointer) until
            :meth:`LiveSession.stop`, so the graph itself stays free for other sessions.
        input: the first input.
        config: the run's config; a ``thread_id`` is made up when it has none.
        break_before, break_after: node names to pause before / after.
        break_on_write: channel names: pause after a superstep that writes one of them.
        asynchronous: run with ``astream`` (default: when the graph has ``async def`` nodes).
        path: also write the session's log to this ``.pregel`` file as it runs (every
            finished superstep is on disk, whatever happens to the kernel).
    """
    return LiveSession(
        graph,
        input,
        config,
        break_before=break_before,
        break_after=break_after,
        break_on_write=break_on_write,
        asynchronous=asynchronous,
        path=path,
    )
