"""Record LangGraph runs into `.pregel` logs: :func:`record`, :func:`arecord`, :func:`recording`.

Which calls a recording records: the calls made on its graph *in its context*. ``with
recording(graph):`` records the calls made in the block by the thread (or asyncio task) that
opened it, and by everything that inherits that thread's context variables: LangGraph's own
worker threads and tasks (``batch``, ``abatch``, a node that calls the graph), asyncio tasks
created in the block, ``asyncio.to_thread`` and ``contextvars.copy_context().run``. A call made
on the same graph by any other thread runs exactly as without recording and is not recorded;
that includes a ``threading.Thread`` or a plain ``concurrent.futures`` pool started inside the
block, which begin with an empty context (run the thread's target with
``contextvars.copy_context().run`` to have its calls recorded). So several recordings of one
graph can run at once, in different threads or tasks, each holding exactly its own calls; within
one context, recordings of one graph do not nest.

Only this package touches LangGraph's and LangChain's internals. Besides the recording API, it
offers the rest of pregel-viz what it builds on:

* :func:`as_compiled` checks (and, asked to, compiles) a graph: the CLI, the magic and
  :func:`recording` all use it.
* :func:`with_saver`, :func:`thread_config` and :func:`async_only_nodes`: what a run needs to
  be driven step by step (:mod:`pregel_viz.recorder.live`).
* For :mod:`pregel_viz.recorder.auto`, which records every call of every graph: the
  :class:`Recorder` session that writes a log, the saver that records checkpoints
  (:class:`RecordingSaver`, over :class:`NullSaver` for a graph without one), the callback
  handler that records attempts (:class:`AttemptHandler`), the wrappers that keep a patched
  ``stream``/``astream`` exact (:func:`delegating`, :func:`relaying`), and what decides whether
  a call can be recorded unchanged (:func:`effective_configurable`, :func:`saver_would_change`,
  :func:`is_nested_call`, :func:`own_saver`, :func:`lend_saver`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import BaseCallbackManager
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from ..errors import PregelVizError, RecorderError
from ..values import DEFAULT_LIMITS, Limits
from ._callbacks import AttemptHandler
from ._calls import delegating, effective_configurable, relaying, saver_would_change
from ._lg import CONFIG_KEY_CHECKPOINTER, CONFIG_KEY_TASK_ID, NS_END, NS_SEP, async_only_nodes
from ._saver import KeepingSerializer, NullSaver, RecordingSaver
from ._session import Recorder, new_thread_id

if TYPE_CHECKING:
    from ..model import Run

__all__ = [
    "AttemptHandler",
    "NullSaver",
    "Recorder",
    "Recording",
    "RecordingSaver",
    "arecord",
    "as_compiled",
    "async_only_nodes",
    "config_keys",
    "delegating",
    "effective_configurable",
    "installed_hooks",
    "is_graph",
    "is_nested_call",
    "lend_saver",
    "own_saver",
    "record",
    "recording",
    "relaying",
    "saver_would_change",
    "thread_config",
    "with_saver",
]

logger = logging.getLogger("pregel_viz")

# the recordings active in this context, innermost last
_ACTIVE: contextvars.ContextVar[tuple[Recording, ...]] = contextvars.ContextVar(
    "pregel_viz_recordings", default=()
)
_PATCHED = ("stream", "astream", "bulk_update_state", "abulk_update_state")
_patches: dict[int, _Patch] = {}
_patches_lock = threading.Lock()


def installed_hooks() -> list[str]:
    """What pregel-viz has changed in LangGraph right now, in words: the graphs whose methods an
    open :func:`recording` patched, and LangGraph's own methods when automatic recording is on.

    Empty when nothing is left installed: a test suite can check it after every test.
    """
    from langgraph.pregel import Pregel

    with _patches_lock:
        graphs = [p.graph for p in _patches.values()]
    hooks = [f"{', '.join(_PATCHED)} of {g!r}, patched by an open recording" for g in graphs]
    hooks += [
        f"Pregel.{name}, patched by automatic recording"
        for name in ("stream", "astream")
        if getattr(getattr(Pregel, name, None), "_pregel_viz_auto", False)
    ]
    return hooks


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


def is_graph(obj: Any) -> bool:
    """Whether ``obj`` is a compiled LangGraph graph (a ``Pregel``)."""
    from langgraph.pregel import Pregel

    return isinstance(obj, Pregel)


def config_keys() -> tuple[str, ...]:
    """The keys a RunnableConfig may have (LangChain ignores any other)."""
    from langchain_core.runnables.config import CONFIG_KEYS

    return tuple(CONFIG_KEYS)


def as_compiled(
    obj: Any,
    *,
    what: str | None = None,
    compile: bool = False,
    error: type[PregelVizError] = RecorderError,
) -> Any:
    """``obj`` as a compiled LangGraph graph (a ``Pregel``: ``StateGraph.compile()``, an
    ``@entrypoint``...), or an ``error`` saying what it is instead.

    Args:
        obj: the graph.
        what: how the caller names ``obj`` in the message (``MODULE:ATTR``, a notebook
            variable); ``None`` for the recorder's own wording.
        compile: compile a builder (anything with a ``compile()``, a ``StateGraph``) instead of
            refusing it; a failing ``compile()`` raises ``error`` naming ``what``.
        error: the :class:`~pregel_viz.errors.PregelVizError` subclass to raise.
    """
    from langgraph.pregel import Pregel

    if isinstance(obj, Pregel):
        return obj
    label = what if what is not None else type(obj).__name__
    if compile and callable(getattr(obj, "compile", None)):
        try:
            obj = obj.compile()
        except Exception as exc:
            raise error(f"compiling {label} failed: {exc}") from None
        if isinstance(obj, Pregel):
            return obj
    kind = type(obj).__name__
    if what is None:
        hint = ""
        if hasattr(obj, "compile") and callable(obj.compile):
            hint = "; it looks like a builder: pass graph.compile()"
        raise error(f"pregel-viz records compiled LangGraph graphs, got {kind}{hint}")
    if compile:
        hint = " (pass a compiled graph or a StateGraph)"
    elif hasattr(obj, "compile"):
        hint = "; it looks like a StateGraph builder: export builder.compile()"
    else:
        hint = ""
    raise error(f"{what} is a {kind}, not a LangGraph graph{hint}")


def is_nested_call(configurable: Any) -> bool:
    """Whether a call with this effective ``configurable`` (:func:`effective_configurable`)
    runs inside another: by a task of another graph (a subgraph, a graph invoked in a node's
    body), or under a saver lent by an enclosing graph or by a :func:`recording`."""
    return CONFIG_KEY_TASK_ID in configurable or CONFIG_KEY_CHECKPOINTER in configurable


def own_saver(graph: Any) -> Any:
    """The checkpointer ``graph`` was compiled with, or ``None`` when it has none of its own."""
    saver = getattr(graph, "checkpointer", None)
    return saver if isinstance(saver, BaseCheckpointSaver) else None


def lend_saver(config: Any, saver: Any) -> dict[str, Any]:
    """A copy of ``config`` that runs the graph with ``saver`` as its checkpointer."""
    cfg = dict(config or {})
    configurable = dict(cfg.get("configurable") or {})
    configurable[CONFIG_KEY_CHECKPOINTER] = saver
    cfg["configurable"] = configurable
    return cfg


def _current(graph: Any) -> Recording | None:
    """The recording of ``graph`` active in this context, if any (the innermost)."""
    for rec in reversed(_ACTIVE.get()):
        if rec.graph is graph and rec.is_open:
            return rec
    return None


def _static_ns(ns: str) -> str:
    """A runtime namespace without its task ids (``a:<id>|b:<id>`` -> ``a|b``)."""
    return NS_SEP.join(p.split(NS_END)[0] for p in ns.split(NS_SEP) if not p.isdigit())


class _Patch:
    """The methods of one graph object patched while any recording of it is open.

    Each patched method looks up the recording active in the caller's context: with none, it is
    the original method, called exactly as before.
    """

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.users = 0
        self.saved = {n: graph.__dict__[n] for n in _PATCHED if n in graph.__dict__}

    def original(self, name: str) -> Any:
        if name in self.saved:
            return self.saved[name]
        # looked up at call time: automatic recording may patch the class meanwhile
        return getattr(type(self.graph), name).__get__(self.graph)

    def apply(self) -> None:
        g = self.graph
        g.stream = delegating(functools.partial(self._call, "stream"))
        g.astream = relaying(functools.partial(self._call, "astream"))
        g.bulk_update_state = self._update
        g.abulk_update_state = self._aupdate

    def restore(self) -> None:
        for name in _PATCHED:
            if name in self.saved:
                setattr(self.graph, name, self.saved[name])
            else:
                self.graph.__dict__.pop(name, None)

    def _call(self, name: str, input: Any, config: Any = None, **kwargs: Any) -> Any:
        orig = self.original(name)
        rec = _current(self.graph)
        if rec is None:
            return orig(input, config, **kwargs), None
        return rec._begin(name, orig, input, config, kwargs)

    def _update(self, config: Any, supersteps: Any) -> Any:
        orig = self.original("bulk_update_state")
        rec = _current(self.graph)
        if rec is None:
            return orig(config, supersteps)
        sub, cfg = rec._for_update(config)
        return (orig if sub is None else sub.bulk_update_state)(cfg, supersteps)

    async def _aupdate(self, config: Any, supersteps: Any) -> Any:
        orig = self.original("abulk_update_state")
        rec = _current(self.graph)
        if rec is None:
            return await orig(config, supersteps)
        sub, cfg = rec._for_update(config)
        return await (orig if sub is None else sub.abulk_update_state)(cfg, supersteps)


class Recording:
    """A recording in progress; :attr:`run` is the model of everything recorded so far.

    It records the calls made on ``graph`` in a context where it is active (:meth:`activate`,
    which :func:`recording` does for its block); see the module docstring.
    """

    def __init__(
        self,
        graph: Any,
        path: str | os.PathLike[str] | None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        as_compiled(graph)
        self.graph = graph
        self.path = None if path is None else os.fspath(path)
        self.recorder = Recorder(graph, path, limits=limits)
        user = graph.checkpointer
        # a graph with its own saver: every call is lent one wrapper around it
        self._shared = (
            RecordingSaver(user, self.recorder) if isinstance(user, BaseCheckpointSaver) else None
        )
        self._labels: dict[str, int] = {}
        self._lock = threading.Lock()
        self.is_open = False

    # --- per call --------------------------------------------------------------------------

    def _begin(
        self, method: str, orig: Any, input: Any, config: Any, kwargs: dict[str, Any]
    ) -> tuple[Any, Any]:
        """Start recording one call: the stream to run and what to call when it ends."""
        try:
            plan = self._plan(input, config, kwargs)
        except Exception as exc:  # a recorder bug: the call runs unrecorded
            logger.warning("pregel-viz could not record a %s call: %r", method, exc)
            plan = None
        if plan is None:
            return orig(input, config, **kwargs), None
        cfg, thread, label = plan
        call = self.recorder.begin_call(label, thread, method, input)
        return orig(input, cfg, **kwargs), functools.partial(self.recorder.end_call, call, label)

    def _plan(
        self, input: Any, config: Any, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], str, str] | None:
        """The config to run one call with, its thread id and its label in the log; ``None``
        for a call that recording would change (it runs unrecorded)."""
        conf = effective_configurable(self.graph, config)
        if saver_would_change(self.graph, input, kwargs, conf) is not None:
            return None
        thread_id = conf.get("thread_id")
        saver: RecordingSaver
        if self._shared is not None:
            saver, thread = self._shared, str(thread_id)
            label = thread
        else:
            # A graph without a checkpointer starts every call afresh: each call is lent its
            # own saver, which stores nothing, so no call can see another's state and nothing
            # is serialized. No thread_id is made up (nodes would see it in their config).
            thread = str(thread_id) if thread_id is not None else new_thread_id()
            with self._lock:
                n = self._labels.get(thread, 0) + 1
                self._labels[thread] = n
            label = thread if n == 1 else f"{thread}#{n}"
            saver = RecordingSaver(NullSaver(), self.recorder, label)
        out = dict(config or {})
        if CONFIG_KEY_CHECKPOINTER not in conf:
            # Lent through the config, as LangGraph lends a saver to a subgraph: the graph
            # object is not changed, and concurrent calls each keep their own. A call that
            # inherits a saver from an enclosing graph keeps it.
            out["configurable"] = {
                **(out.get("configurable") or {}),
                CONFIG_KEY_CHECKPOINTER: saver,
            }
        return with_callback(out, AttemptHandler(self.recorder, label)), thread, label

    def _for_update(self, config: Any) -> tuple[Any, Any]:
        """``update_state`` on a graph with its own saver goes through the wrapper: the graph
        (the subgraph the config's namespace names, else ``None`` for this one) and config."""
        conf = (config or {}).get("configurable") or {}
        if self._shared is None or CONFIG_KEY_CHECKPOINTER in conf:
            return None, config  # without a saver, LangGraph refuses it: unchanged
        lent = {**config, "configurable": {**conf, CONFIG_KEY_CHECKPOINTER: self._shared}}
        ns = str(conf.get("checkpoint_ns") or "")
        if not ns:
            return None, lent
        # what LangGraph does for a namespaced config, lending the wrapper instead of the saver
        for _, sub in self.graph.get_subgraphs(namespace=_static_ns(ns), recurse=True):
            return sub, lent
        return None, config

    # --- install / remove ------------------------------------------------------------------

    def install(self) -> None:
        """Patch the graph (shared by every open recording of it); calls are recorded only in
        contexts where this recording is active."""
        with _patches_lock:
            patch = _patches.get(id(self.graph))
            if patch is None:
                patch = _patches[id(self.graph)] = _Patch(self.graph)
                patch.apply()
            patch.users += 1
        self.is_open = True

    def uninstall(self) -> None:
        """Stop recording and close the log; the last recording of a graph restores it."""
        if not self.is_open:
            return
        self.is_open = False
        with _patches_lock:
            patch = _patches[id(self.graph)]
            patch.users -= 1
            if patch.users == 0:
                patch.restore()
                del _patches[id(self.graph)]
        self.recorder.close()

    @contextlib.contextmanager
    def activate(self) -> Iterator[Recording]:
        """Record the calls made in the current context (and the contexts copied from it)
        until the block ends."""
        token = _ACTIVE.set((*_ACTIVE.get(), self))
        try:
            yield self
        finally:
            try:
                _ACTIVE.reset(token)
            except ValueError:  # ended in another context than it began
                _ACTIVE.set(tuple(r for r in _ACTIVE.get() if r is not self))

    @property
    def run(self) -> Run:
        """Everything recorded so far, as read back from the log (the in-memory copy, complete
        even when writing the file failed; ``run.warnings`` then says so)."""
        from ..reader import read_log

        # written by this process and held in memory: trusted (no checksums, schema, limits)
        run = read_log(
            self.recorder.writer.getvalue(), source=self.path or "recording", trusted=True
        )
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
    """Record every ``invoke/stream/batch/ainvoke/astream/abatch`` call made on ``graph`` in
    this block, and ``update_state`` on a graph with a checkpointer.

    Args:
        graph: a compiled LangGraph graph (``StateGraph.compile()``, an ``@entrypoint``...).
        path: where to write the `.pregel` log; ``None`` keeps it in memory only.
        limits: bounds on recorded values.

    Yields:
        The :class:`Recording`; ``rec.run`` is the model of what was recorded.

    Calls behave exactly as without recording: same results, same exceptions, same streamed
    output. Only the calls made in this block's context are recorded: by this thread or task,
    and by the threads and tasks LangGraph or asyncio start from it; a call made by another
    thread meanwhile is neither recorded nor changed, and another thread may record the same
    graph at the same time (see the module docstring). A graph with its own checkpointer keeps
    it (each call is lent a wrapper around it). A graph without one is lent, per call, a saver
    that stores nothing, so calls stay independent and no value is serialized; the few calls
    that any checkpointer would change (``Command(resume=...)``, an explicit ``durability``,
    the ``checkpoints`` / ``debug`` stream modes) run unrecorded. If writing the log file
    fails, the calls go on unchanged and one :class:`~pregel_viz.errors.LogWriteWarning` says
    so.

    Raises:
        RecorderError: ``graph`` is not a compiled graph, or is already being recorded in this
            context.
    """
    as_compiled(graph)
    if _current(graph) is not None:
        raise RecorderError(
            "this graph is already being recorded in this context; nest no recordings"
        )
    rec = Recording(graph, path, limits)
    rec.install()
    try:
        with rec.activate():
            yield rec
    finally:
        rec.uninstall()


def _rounds(input: Any, resume: Sequence[Any]) -> list[Any]:
    return [input] + [None if r is None else Command(resume=r) for r in resume]


def with_saver(graph: Any) -> Any:
    """``graph``, checked (:func:`as_compiled`); without a checkpointer of its own, a copy with
    an in-memory one whose serializer never fails (what LangGraph cannot serialize is kept by
    reference), so that interrupts can be resumed and past checkpoints forked."""
    as_compiled(graph)
    if isinstance(graph.checkpointer, BaseCheckpointSaver):
        return graph
    # its serializer never fails: a state LangGraph cannot serialize is kept by reference
    return graph.copy(update={"checkpointer": InMemorySaver(serde=KeepingSerializer())})


def thread_config(config: Any) -> dict[str, Any]:
    """A copy of ``config`` with a new ``thread_id`` when it names none."""
    out: dict[str, Any] = dict(config or {})
    configurable = dict(out.get("configurable") or {})
    configurable.setdefault("thread_id", new_thread_id())
    out["configurable"] = configurable
    return out


def _prepare(
    graph: Any, input: Any, config: Any, resume: Sequence[Any], before: Any, after: Any
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """What record() and arecord() run: the graph, the config, the breakpoints. A graph without
    a checkpointer run once (no ``resume``) runs as :func:`recording` runs it, lent a saver that
    stores nothing, unless that would change the call or a subgraph compiled with
    ``checkpointer=True`` reads its state back; else it gets an in-memory one (with_saver)."""
    kwargs: dict[str, Any] = {}
    if before:
        kwargs["interrupt_before"] = list(before)
    if after:
        kwargs["interrupt_after"] = list(after)
    if (
        as_compiled(graph).checkpointer is None
        and not resume
        and saver_would_change(graph, input, kwargs, {}) is None
        and all(sub.checkpointer is not True for _, sub in graph.get_subgraphs(recurse=True))
    ):
        return graph.copy(), thread_config(config), kwargs
    return with_saver(graph), thread_config(config), kwargs


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
            one when there is a ``resume``; its serializer never fails (what LangGraph cannot
            serialize, a lock or a generator in the state, is kept by reference).
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

    Several threads may record one graph at once (with different thread ids): each run holds
    exactly its own calls.
    """
    target, cfg, kwargs = _prepare(graph, input, config, resume, interrupt_before, interrupt_after)
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
    target, cfg, kwargs = _prepare(graph, input, config, resume, interrupt_before, interrupt_after)
    with recording(target, path, limits=limits) as rec:
        for inp in _rounds(input, resume):
            try:
                await target.ainvoke(inp, cfg, **kwargs)
            except Exception:
                break
    return rec.run
