"""Record LangGraph runs into `.pregel` logs: :func:`record`, :func:`arecord`, :func:`recording`."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import BaseCallbackManager
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from ..errors import RecorderError
from ..values import DEFAULT_LIMITS, Limits
from ._callbacks import AttemptHandler
from ._lg import CONFIG_KEY_CHECKPOINTER
from ._saver import KeepingSerializer, RecordingSaver
from ._session import Recorder, new_thread_id

if TYPE_CHECKING:
    from ..model import Run

__all__ = ["Recording", "arecord", "record", "recording"]

_PATCHED = ("stream", "astream")
_active: set[int] = set()
_active_lock = threading.Lock()


def with_callback(config: Any, handler: Any) -> dict[str, Any]:
    """``config`` plus one inheritable callback ``handler``, and nothing else changed.

    Not langchain's ``merge_configs``: that also merges in the config of the enclosing runnable
    (a parent graph's task: its ``checkpoint_ns``, task id...) and sorts the tags, which changes
    how LangGraph runs a graph invoked inside a node with its own ``thread_id``.
    """
    out = dict(config or {})
    callbacks = out.get("callbacks")
    if callbacks is None:
        out["callbacks"] = [handler]
    elif isinstance(callbacks, list):
        out["callbacks"] = [*callbacks, handler]
    elif isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        manager.add_handler(handler, inherit=True)
        out["callbacks"] = manager
    return out


def _check_graph(graph: Any) -> None:
    from langgraph.pregel import Pregel

    if not isinstance(graph, Pregel):
        hint = ""
        if hasattr(graph, "compile") and callable(graph.compile):
            hint = "; it looks like a builder: pass graph.compile()"
        raise RecorderError(
            f"pregel-viz records compiled LangGraph graphs, got {type(graph).__name__}{hint}"
        )


class Recording:
    """A recording in progress; :attr:`run` is the model of everything recorded so far."""

    def __init__(self, graph: Any, path: str | os.PathLike[str] | None, limits: Limits) -> None:
        _check_graph(graph)
        self.graph = graph
        self.path = None if path is None else os.fspath(path)
        self.recorder = Recorder(graph, path, limits=limits)
        user = graph.checkpointer
        self._user_saver: BaseCheckpointSaver[Any] | None = (
            user if isinstance(user, BaseCheckpointSaver) else None
        )
        self._shared = (
            RecordingSaver(self._user_saver, self.recorder)
            if self._user_saver is not None
            else None
        )
        self._labels: dict[str, int] = {}
        self._lock = threading.Lock()
        self._saved: dict[str, Any] = {}

    # --- per call --------------------------------------------------------------------------

    def _prepare(self, config: Any) -> tuple[dict[str, Any], str, str]:
        """The config and saver for one call; never mutates the caller's config."""
        config = dict(config or {})
        configurable = dict(config.get("configurable") or {})
        if self._shared is not None:
            saver = self._shared
            thread = str(configurable.get("thread_id"))
            label = thread
        else:
            # A graph without a checkpointer starts every call afresh: give each call its own
            # saver so that recording cannot make one call resume another.
            if "thread_id" not in configurable:
                configurable["thread_id"] = new_thread_id()
            thread = str(configurable["thread_id"])
            with self._lock:
                n = self._labels.get(thread, 0) + 1
                self._labels[thread] = n
            label = thread if n == 1 else f"{thread}#{n}"
            saver = RecordingSaver(InMemorySaver(), self.recorder, label)
            # Lent through the config, as LangGraph lends a saver to a subgraph: concurrent
            # calls (batch) each keep their own.
            configurable[CONFIG_KEY_CHECKPOINTER] = saver
        config["configurable"] = configurable
        config = with_callback(config, AttemptHandler(self.recorder, label))
        return config, thread, label

    def _stream(self, orig: Any) -> Any:
        rec = self.recorder

        def stream(input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
            cfg, thread, label = self._prepare(config)
            call = rec.begin_call(label, thread, "stream", input)
            try:
                yield from orig(input, cfg, **kwargs)
            except BaseException as exc:
                rec.end_call(call, label, exc)
                raise
            rec.end_call(call, label, None)

        return stream

    def _astream(self, orig: Any) -> Any:
        rec = self.recorder

        async def astream(input: Any, config: Any = None, **kwargs: Any) -> AsyncIterator[Any]:
            cfg, thread, label = self._prepare(config)
            call = rec.begin_call(label, thread, "astream", input)
            try:
                async for chunk in orig(input, cfg, **kwargs):
                    yield chunk
            except BaseException as exc:
                rec.end_call(call, label, exc)
                raise
            rec.end_call(call, label, None)

        return astream

    # --- install / remove ------------------------------------------------------------------

    def install(self) -> None:
        key = id(self.graph)
        with _active_lock:
            if key in _active:
                raise RecorderError("this graph is already being recorded; nest no recordings")
            _active.add(key)
        g = self.graph
        self._saved = {name: g.__dict__[name] for name in _PATCHED if name in g.__dict__}
        self._saved_checkpointer = g.checkpointer
        g.stream = self._stream(g.stream)
        g.astream = self._astream(g.astream)
        if self._shared is not None:
            g.checkpointer = self._shared

    def uninstall(self) -> None:
        g = self.graph
        for name in _PATCHED:
            if name in self._saved:
                setattr(g, name, self._saved[name])
            else:
                g.__dict__.pop(name, None)
        g.checkpointer = self._saved_checkpointer
        with _active_lock:
            _active.discard(id(g))
        self.recorder.close()

    @property
    def run(self) -> Run:
        """Everything recorded so far, as read back from the log (the in-memory copy, complete
        even when writing the file failed; ``run.warnings`` then says so)."""
        from ..model import Run

        run = Run.from_bytes(self.recorder.writer.getvalue(), source=self.path or "recording")
        message = self.recorder.incomplete_message()
        if message:
            run.warnings.append(message)
        return run


@contextlib.contextmanager
def recording(
    graph: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Recording]:
    """Record every ``invoke/stream/batch/ainvoke/astream/abatch`` call made on ``graph``.

    Args:
        graph: a compiled LangGraph graph (``StateGraph.compile()``, an ``@entrypoint``...).
        path: where to write the `.pregel` log; ``None`` keeps it in memory only.
        limits: bounds on recorded values.

    Yields:
        The :class:`Recording`; ``rec.run`` is the model of what was recorded.

    Calls behave exactly as without recording: same results, same exceptions, same streamed
    output. A graph with its own checkpointer keeps it (wrapped); one without gets a private
    in-memory saver per call, so calls stay independent.
    """
    rec = Recording(graph, path, limits)
    rec.install()
    try:
        yield rec
    finally:
        rec.uninstall()


def _rounds(input: Any, resume: Sequence[Any]) -> list[Any]:
    return [input] + [None if r is None else Command(resume=r) for r in resume]


def _with_saver(graph: Any) -> Any:
    _check_graph(graph)
    if isinstance(graph.checkpointer, BaseCheckpointSaver):
        return graph
    # its serializer never fails: a state LangGraph cannot serialize is kept by reference
    return graph.copy(update={"checkpointer": InMemorySaver(serde=KeepingSerializer())})


def _thread_config(config: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(config or {})
    configurable = dict(out.get("configurable") or {})
    configurable.setdefault("thread_id", new_thread_id())
    out["configurable"] = configurable
    return out


def _prepare(
    graph: Any, config: Any, before: Sequence[str] | None, after: Sequence[str] | None
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """What record() and arecord() run: the graph (with a saver), the config, the breakpoints."""
    kwargs: dict[str, Any] = {}
    if before:
        kwargs["interrupt_before"] = list(before)
    if after:
        kwargs["interrupt_after"] = list(after)
    return _with_saver(graph), _thread_config(config), kwargs


def record(
    graph: Any,
    input: Any,
    config: Any = None,
    *,
    path: str | os.PathLike[str] | None = None,
    resume: Sequence[Any] = (),
    limits: Limits = DEFAULT_LIMITS,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
) -> Run:
    """Run ``graph`` on ``input`` and return the recorded :class:`~pregel_viz.Run`.

    Args:
        graph: a compiled LangGraph graph. Without a checkpointer it is run with an in-memory
            one, so that interrupts can be resumed; its serializer never fails (what LangGraph
            cannot serialize, a lock or a generator in the state, is kept by reference).
        input: the first input.
        config: the run's config; a ``thread_id`` is made up when it has none.
        path: where to write the `.pregel` log (flushed every superstep); ``None`` keeps it in
            memory.
        resume: what to do after each interrupt, in turn: a value continues with
            ``Command(resume=value)``, ``None`` continues with input ``None``.
        limits: bounds on recorded values.
        interrupt_before, interrupt_after: breakpoints: pause before or after these nodes
            (LangGraph's ``interrupt_before``/``interrupt_after``); each ``resume`` item then
            continues past one pause.

    Returns:
        The run. An exception raised by the graph does not propagate: it is the run's outcome
        (``run.outcome``), and every superstep finished before it is in the log. If the file
        at ``path`` cannot be written to the end (disk full...), a
        :class:`~pregel_viz.errors.LogWriteWarning` says so, and so does ``run.warnings``; the
        run itself is complete.
    """
    target, cfg, kwargs = _prepare(graph, config, interrupt_before, interrupt_after)
    with recording(target, path, limits=limits) as rec:
        for inp in _rounds(input, resume):
            try:
                target.invoke(inp, cfg, **kwargs)
            except Exception:
                break
    return rec.run


async def arecord(
    graph: Any,
    input: Any,
    config: Any = None,
    *,
    path: str | os.PathLike[str] | None = None,
    resume: Sequence[Any] = (),
    limits: Limits = DEFAULT_LIMITS,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
) -> Run:
    """:func:`record` for async graphs: the rounds run with ``ainvoke``."""
    target, cfg, kwargs = _prepare(graph, config, interrupt_before, interrupt_after)
    with recording(target, path, limits=limits) as rec:
        for inp in _rounds(input, resume):
            try:
                await target.ainvoke(inp, cfg, **kwargs)
            except Exception:
                break
    return rec.run
