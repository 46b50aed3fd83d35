"""Live step-through debugging: run a graph in a background thread, one superstep at a time.

:func:`debug_session` starts a :class:`LiveSession`: the graph runs under
:func:`~pregel_viz.recording` (so every superstep lands in :attr:`LiveSession.run`) in a
background thread, so a notebook kernel stays responsive. Only public LangGraph APIs are used:
per-call ``interrupt_before``/``interrupt_after``, ``RunControl.request_drain`` for pause,
``Command(resume=...)``, ``get_state_history`` and ``update_state``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from langgraph.errors import GraphDrained
from langgraph.runtime import RunControl
from langgraph.types import Command

from .recorder import Recording, _thread_config, _with_saver, recording

if TYPE_CHECKING:
    from langgraph.types import StateSnapshot

    from .model import Run, Superstep

__all__ = ["STATUSES", "LiveSession", "debug_session"]

STATUSES = ("paused", "running", "interrupted", "completed", "error", "stopped")


class LiveSession:
    """A graph run that can be stepped, continued, paused, answered, forked and stopped.

    Every control method (:meth:`step`, :meth:`cont`, :meth:`answer`, :meth:`fork`) starts one
    background run and returns at once (``self``); :meth:`wait` blocks until it is over.
    :attr:`status` is one of :data:`STATUSES`.
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
    ) -> None:
        self.graph = _with_saver(graph)
        self.config: dict[str, Any] = _thread_config(config)
        self.thread_id = str(self.config["configurable"]["thread_id"])
        self.break_before = list(break_before)
        self.break_after = list(break_after)
        self.break_on_write = set(break_on_write)
        nodes = set(self.graph.nodes)
        unknown = sorted(set(self.break_before + self.break_after) - nodes)
        if unknown:
            raise ValueError(f"no node(s) {unknown} in the graph; nodes: {sorted(nodes)}")
        self._input = input  # consumed by the first call; later calls continue with None
        self._status = "paused"
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._control: RunControl | None = None
        self._halt = False  # pause() or stop() asked: start no further call
        self._cm = recording(self.graph)
        self._rec: Recording = self._cm.__enter__()
        self._final_run: Run | None = None

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

    # --- controls --------------------------------------------------------------------------

    def step(self) -> LiveSession:
        """Run exactly one superstep, then pause."""
        return self._launch(self._first_input(), self.config, stepwise=True, single=True)

    def cont(self) -> LiveSession:
        """Run to the next breakpoint, interrupt or the end."""
        return self._launch(self._first_input(), self.config)

    def answer(self, value: Any) -> LiveSession:
        """Resume the pending ``interrupt()`` with ``value``, then run as :meth:`cont` does."""
        if self._status != "interrupted":
            raise RuntimeError(f"no interrupt to answer (status {self._status!r})")
        return self._launch(Command(resume=value), self.config, from_any_pause=True)

    def fork(self, step: int | str, updates: Any = None, as_node: str | None = None) -> LiveSession:
        """Branch off the checkpoint of a past superstep and run from it as :meth:`cont` does.

        ``step`` is a step number (the newest checkpoint with it) or a checkpoint id. With
        ``updates`` or ``as_node`` the checkpoint is first edited with ``update_state``;
        without, the run is replayed from it. Both branches stay in the same thread.
        """
        self._check_idle(from_any_pause=True)
        target = self._checkpoint(step)
        cfg: Any = target.config
        if updates is not None or as_node is not None:
            cfg = self.graph.update_state(cfg, updates, as_node=as_node)
        self._input = None
        return self._launch(None, cfg, from_any_pause=True)

    def pause(self) -> LiveSession:
        """Ask a running graph to stop before its next superstep (cooperative)."""
        with self._lock:
            self._halt = True
            if self._control is not None:
                self._control.request_drain("paused by the debugger")
        return self

    def wait(self, timeout: float | None = None) -> str:
        """Block until the background run returns (or ``timeout``); the status."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return self._status

    def stop(self, timeout: float | None = None) -> str:
        """End the session: drain a running graph, stop recording. Nothing can run after."""
        if self._status == "stopped":
            return self._status
        self.pause()
        self.wait(timeout)
        self._final_run = self._rec.run
        self._cm.__exit__(None, None, None)
        self._status = "stopped"
        return self._status

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LiveSession thread={self.thread_id!r} status={self._status}>"

    # --- internals -------------------------------------------------------------------------

    def _first_input(self) -> Any:
        inp, self._input = self._input, None
        return inp

    def _check_idle(self, from_any_pause: bool = False) -> None:
        status = self._status
        if status == "stopped":
            raise RuntimeError("the session is stopped")
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
        stepwise: bool = False,
        single: bool = False,
        from_any_pause: bool = False,
    ) -> LiveSession:
        with self._lock:
            self._check_idle(from_any_pause)
            self._halt = False
            self._control = RunControl()
            self._status = "running"
            self.error = None
        stepwise = stepwise or bool(self.break_on_write)
        self._worker = threading.Thread(
            target=self._body,
            args=(inp, cfg, stepwise, single),
            name=f"pregel-viz-live-{self.thread_id}",
            daemon=True,
        )
        self._worker.start()
        return self

    def _body(self, inp: Any, cfg: Any, stepwise: bool, single: bool) -> None:
        status = "paused"
        try:
            while True:
                before = len(self._supersteps()) if stepwise else 0
                status = self._call(inp, cfg, stepwise, single)
                inp, cfg = None, self.config
                if status != "paused" or single or not stepwise or self._halt:
                    break
                if self._hit(self._supersteps()[before:]):
                    break
        except BaseException as exc:  # the graph's own error is the session's outcome
            self.error = exc
            status = "error"
        with self._lock:
            self._control = None
            self._status = status

    def _call(self, inp: Any, cfg: Any, stepwise: bool, single: bool) -> str:
        kwargs: dict[str, Any] = {}
        if single:
            kwargs["interrupt_after"] = "*"
        elif stepwise:
            kwargs["interrupt_before"] = self.break_before
            kwargs["interrupt_after"] = "*"
        else:
            kwargs["interrupt_before"] = self.break_before
            kwargs["interrupt_after"] = self.break_after
        try:
            for _ in self.graph.stream(inp, cfg, control=self._control, **kwargs):
                pass
        except GraphDrained:
            return "paused"
        snap = self.state
        if snap.interrupts:
            return "interrupted"
        return "paused" if snap.next else "completed"

    def _supersteps(self) -> list[Superstep]:
        thread = self._rec.run.threads.get(self.thread_id)
        return [] if thread is None else list(thread.root.supersteps)

    def _hit(self, new: list[Superstep]) -> bool:
        """Whether the supersteps just run (or where they stopped) meet a breakpoint."""
        if set(self.state.next) & set(self.break_before):
            return True
        for s in new:
            for task in s.tasks:
                if task.name.startswith("__"):
                    continue
                if task.name in self.break_after:
                    return True
                if any(str(w[0]) in self.break_on_write for w in task.writes):
                    return True
        return False


def debug_session(
    graph: Any,
    input: Any,
    config: Any = None,
    *,
    break_before: Iterable[str] = (),
    break_after: Iterable[str] = (),
    break_on_write: Iterable[str] = (),
) -> LiveSession:
    """A paused :class:`LiveSession` of ``graph`` on ``input``: nothing runs until a control.

    Args:
        graph: a compiled LangGraph graph; without a checkpointer an in-memory one is used
            (on a copy). The graph is recorded until :meth:`LiveSession.stop`.
        input: the first input.
        config: the run's config; a ``thread_id`` is made up when it has none.
        break_before, break_after: node names to pause before / after.
        break_on_write: channel names: pause after a superstep that writes one of them.
    """
    return LiveSession(
        graph,
        input,
        config,
        break_before=break_before,
        break_after=break_after,
        break_on_write=break_on_write,
    )
