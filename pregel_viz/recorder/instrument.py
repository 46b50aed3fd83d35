"""Record a graph where it really runs, inside a LangGraph server: :func:`instrument`.

::

    # my_app/graph.py, named in langgraph.json like any graph
    import os, pregel_viz
    graph = pregel_viz.instrument(build_graph(), directory=os.environ.get("PREGEL_VIZ_DIR"))

Every run the server makes on the graph is recorded with everything a local
:func:`pregel_viz.record` keeps (channel versions, why each task ran, retries and their timings,
the calls to models and tools inside tasks): the server hands the graph its checkpointer at run
time (it copies the graph with ``checkpointer=...``, or lends one through the config), and each
top-level call is lent a wrapper around that very checkpointer, as :func:`pregel_viz.recording`
does, plus a callback handler. Nothing else changes: same results, same streamed output, same
checkpoints.

One log per thread. The runs of thread ``T`` go to ``<directory>/T.pregel`` (an id with other
characters than letters, digits, ``-``, ``_`` and ``.`` gets a safe name with a hash of the id),
each run appended to the thread's earlier ones, so the file is the whole conversation: open it
with :func:`pregel_viz.load` or ``pregel-viz view``. It is written as the run goes, superstep by
superstep, so a thread can be read while it runs.

* Several threads at once: each call has its own recorder, saver and handler (nothing is shared
  between calls), so concurrent runs on different threads never mix.
* Several workers or replicas sharing ``directory``: a thread's file has one writer at a time
  (an exclusive lock on ``.T.pregel.lock`` for the duration of the run). A run is appended to
  the thread's file (a new zlib stream after the finished one of the run before); if the last
  writer did not finish it (killed), the run copies the earlier runs into a new file and swaps
  it in atomically. So a thread that moves from one worker to another keeps one file. Should
  the lock be held anyway (a cancelled run still finishing), the run goes to a file of its own,
  ``T.<n>.pregel``, and a warning says so.
* A failing recorder never fails a run: an unwritable directory, a full disk or a damaged log
  is a logged warning (logger ``pregel_viz.recorder.instrument``) and the run goes on,
  unrecorded or with its log cut short.
* Cost: per superstep, that of a local recording (the frames are compressed and written off the
  graph's thread). Per run, nothing that grows with the thread when this process wrote its last
  run; else its log's meta, call and span events are read once (:mod:`._thread_log`).

A run without a ``thread_id`` (a graph called without a checkpointer) gets a file of its own,
``run-<id>.pregel``. Calls of the graph made inside another graph (as a subgraph, or from a
node) are part of that graph's run and not recorded on their own. ``update_state`` and
``aupdate_state`` (a user editing a thread's state through the server) are recorded as the
thread's update steps, as in a local recording.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import uuid
from collections.abc import Mapping
from typing import Any

from ..values import DEFAULT_LIMITS, Limits
from . import (
    AttemptHandler,
    NullSaver,
    RecordingSaver,
    as_compiled,
    delegating,
    effective_configurable,
    lend_saver,
    saver_would_change,
    with_callback,
)
from ._lg import CONFIG_KEY_CHECKPOINTER, CONFIG_KEY_TASK_ID
from ._thread_log import Guarded, ThreadLog, forget_ended_logs, log_path

__all__ = ["ENV_DIRECTORY", "forget_ended_logs", "instrument", "log_path"]

logger = logging.getLogger("pregel_viz.recorder.instrument")

ENV_DIRECTORY = "PREGEL_VIZ_DIR"


@dataclasses.dataclass(frozen=True)
class _Settings:
    directory: str
    limits: Limits


def instrument(
    graph: Any,
    *,
    directory: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """``graph``, recording every run a LangGraph server makes on it (see the module docstring).

    Args:
        graph: a compiled LangGraph graph (a ``StateGraph`` builder is compiled).
        directory: where to write one `.pregel` log per thread (created when the first run
            begins). ``None`` reads the ``PREGEL_VIZ_DIR`` environment variable; when that is
            unset too, ``graph`` is returned unchanged and nothing is recorded, so one
            ``langgraph.json`` serves with and without recording.
        limits: bounds on recorded values.

    Returns:
        A copy of ``graph`` of a subclass of its class that records its top-level calls
        (``invoke``, ``stream``, ``ainvoke``, ``astream``...); the copies the server makes of it
        (``graph.copy(update={"checkpointer": ...})``) record too. ``graph`` itself is not
        changed. Instrumenting an instrumented graph replaces its settings.
    """
    graph = as_compiled(graph, compile=True)
    dirname = os.fspath(directory) if directory is not None else os.environ.get(ENV_DIRECTORY)
    if not dirname:
        logger.info("pregel-viz: no directory and no %s: graph not instrumented", ENV_DIRECTORY)
        return graph
    base: Any = getattr(type(graph), "_pregel_viz_base", type(graph))
    out = graph.copy()
    out.__class__ = _subclass(base, _Settings(os.path.abspath(dirname), limits))
    return out


@functools.lru_cache(maxsize=256)
def _subclass(base: Any, settings: _Settings) -> type:
    """``base`` recording its top-level calls (one class per graph class and settings: a graph
    factory instruments a graph for every run)."""
    namespace = {
        "_pregel_viz_base": base,
        "_pregel_viz_settings": settings,
        "stream": functools.wraps(base.stream)(delegating(_preparer(base, "stream", settings))),
        "astream": functools.wraps(base.astream)(_async_stream(base, settings)),
        "bulk_update_state": functools.wraps(base.bulk_update_state)(_updater(base, settings)),
        "abulk_update_state": functools.wraps(base.abulk_update_state)(
            _async_updater(base, settings)
        ),
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
    }
    return type(base.__name__, (base,), namespace)


# --- one call -----------------------------------------------------------------------------------


def _preparer(base: Any, name: str, settings: _Settings) -> Any:
    def prepare(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Any:
        orig = getattr(base, name)  # looked up now: automatic recording may have patched it
        try:
            call = _start(self, settings, name, input, config, kwargs)
        except Exception as exc:  # a recorder bug: the call runs unrecorded
            logger.warning("pregel-viz could not record a %s call: %r", name, exc)
            call = None
        if call is None:
            return orig(self, input, config, **kwargs), None
        return orig(self, input, call.config, **kwargs), call.end

    return prepare


_DONE: Any = object()


def _async_stream(base: Any, settings: _Settings) -> Any:
    """``astream``: as :func:`pregel_viz.recorder.relaying` relays it, with the log opened and
    closed off the event loop (a server's loop must not wait for the disk; ``langgraph dev``
    refuses blocking calls there)."""

    async def astream(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Any:
        orig = base.astream  # looked up now: automatic recording may have patched it
        try:
            call = await asyncio.to_thread(_start, self, settings, "astream", input, config, kwargs)
        except Exception as exc:  # a recorder bug: the call runs unrecorded
            logger.warning("pregel-viz could not record an astream call: %r", exc)
            call = None
        agen = orig(self, input, config if call is None else call.config, **kwargs)
        try:
            item = await _next(agen, None)
            while item is not _DONE:
                try:
                    sent = yield item
                except GeneratorExit:
                    await agen.aclose()
                    raise
                except BaseException as thrown:
                    item = await _throw(agen, thrown)
                else:
                    item = await _next(agen, sent)
        except BaseException as exc:
            if call is not None:
                await asyncio.to_thread(call.end, exc)  # never raises
            raise
        if call is not None:
            await asyncio.to_thread(call.end, None)

    return astream


async def _next(agen: Any, sent: Any) -> Any:
    try:
        return await (agen.__anext__() if sent is None else agen.asend(sent))
    except StopAsyncIteration:
        return _DONE


async def _throw(agen: Any, thrown: BaseException) -> Any:
    try:
        return await agen.athrow(thrown)
    except StopAsyncIteration:
        return _DONE


def _updater(base: Any, settings: _Settings) -> Any:
    """``bulk_update_state`` (``update_state`` calls it): the checkpoint it saves goes to the
    thread's log, as a local recording's ``update_state`` step."""

    def bulk_update_state(self: Any, config: Any, supersteps: Any) -> Any:
        update = _open_update(self, settings, config)
        if update is None:
            return base.bulk_update_state(self, config, supersteps)
        log, lent = update
        try:
            return base.bulk_update_state(self, lent, supersteps)
        finally:
            log.close()

    return bulk_update_state


def _async_updater(base: Any, settings: _Settings) -> Any:
    """``abulk_update_state`` (``aupdate_state``, what a server calls), the log opened and
    closed off the event loop."""

    async def abulk_update_state(self: Any, config: Any, supersteps: Any) -> Any:
        update = await asyncio.to_thread(_open_update, self, settings, config)
        if update is None:
            return await base.abulk_update_state(self, config, supersteps)
        log, lent = update
        try:
            return await base.abulk_update_state(self, lent, supersteps)
        finally:
            await asyncio.to_thread(log.close)

    return abulk_update_state


def _open_update(graph: Any, settings: _Settings, config: Any) -> tuple[ThreadLog, Any] | None:
    """The thread's log and the config lending its recording saver to an ``update_state``;
    ``None`` when it is not recorded (no thread or checkpointer: LangGraph refuses it then)."""
    try:
        conf = effective_configurable(graph, config)
        lent = conf.get(CONFIG_KEY_CHECKPOINTER)
        if isinstance(lent, RecordingSaver) or CONFIG_KEY_TASK_ID in conf:
            return None  # recorded already, or inside another graph's run
        inner = lent if lent is not None else getattr(graph, "checkpointer", None)
        thread_id = conf.get("thread_id")
        if inner is None or isinstance(inner, bool) or thread_id is None:
            return None
        label = str(thread_id)
        log = ThreadLog.open(graph, settings.directory, settings.limits, label)
        if log is None:
            return None
        return log, lend_saver(config, RecordingSaver(inner, log.recorder, label))
    except Exception as exc:  # a recorder bug: the update goes on unrecorded
        logger.warning("pregel-viz could not record an update_state: %r", exc)
        return None


def _start(
    graph: Any, settings: _Settings, method: str, input: Any, config: Any, kwargs: Mapping[str, Any]
) -> _Call | None:
    conf = effective_configurable(graph, config)
    if CONFIG_KEY_TASK_ID in conf:
        return None  # run by a task of another graph: part of that graph's run
    lent = conf.get(CONFIG_KEY_CHECKPOINTER)
    own = getattr(graph, "checkpointer", None)
    if isinstance(lent, RecordingSaver) and isinstance(lent.recorder, Guarded):
        return None  # already recorded by an instrumented graph
    if lent is not None:
        inner = lent  # lent by the server (a graph factory) or by the caller
    else:
        reason = saver_would_change(graph, input, kwargs, conf)
        if reason is not None:
            logger.debug("pregel-viz: not recording a %s call: %s", method, reason)
            return None
        inner = own if own is not None else NullSaver()
    thread_id = conf.get("thread_id")
    label = str(thread_id) if thread_id is not None else f"run-{uuid.uuid4().hex[:12]}"
    log = ThreadLog.open(graph, settings.directory, settings.limits, label)
    if log is None:
        return None
    try:
        return _Call(log, inner, config, method, input, thread_id)
    except BaseException:
        log.close()
        raise


class _Call:
    """The saver and callback handler lent to one call, and its end."""

    def __init__(
        self, log: ThreadLog, inner: Any, config: Any, method: str, input: Any, thread_id: Any
    ) -> None:
        self.log = log
        self.closed = False
        recorder = log.recorder
        label = log.label
        saver = RecordingSaver(inner, recorder, label)
        handler = _Handler(recorder, label)
        self.config = with_callback(lend_saver(config, saver), handler)
        thread = str(thread_id) if thread_id is not None else label
        self.call = recorder.begin_call(label, thread, method, input)

    def end(self, error: BaseException | None) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.log.recorder.end_call(self.call, self.log.label, error)
        except Exception as exc:  # pragma: no cover - end_call never raises
            logger.warning("pregel-viz could not record a call's end: %r", exc)
        self.log.close()


class _Handler(AttemptHandler):
    """An AttemptHandler whose failures are logged here, never raised into the run."""

    def on_chain_start(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_start(*args, **kwargs)
        except Exception as exc:
            logger.warning("pregel-viz could not record an attempt's start: %r", exc)

    def on_chain_end(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_end(*args, **kwargs)
        except Exception as exc:
            logger.warning("pregel-viz could not record an attempt's end: %r", exc)

    def on_chain_error(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_error(*args, **kwargs)
        except Exception as exc:
            logger.warning("pregel-viz could not record an attempt's failure: %r", exc)
