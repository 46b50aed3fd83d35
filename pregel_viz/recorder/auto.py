"""Record every LangGraph run in the process, without changing user code.

::

    import pregel_viz.recorder.auto as auto
    auto.enable("runs/")          # or auto.enable() to keep the runs in memory only
    graph.invoke({"question": "hi"})
    auto.runs()[-1].thread.supersteps
    auto.disable()

:func:`enable` patches ``langgraph.pregel.Pregel.stream`` and ``.astream`` on the class, so
``invoke``, ``stream``, ``batch``, ``ainvoke``, ``astream`` and ``abatch`` of every compiled
graph are seen, graphs compiled later included. :func:`disable` puts the originals back.

Each top-level call becomes one recording: the last ``max_runs`` are kept in memory
(:func:`runs`) and, with a directory, each is also written as ``<directory>/<n>-<graph>.pregel``
while it runs. A graph run inside a node (a subgraph, or ``sub.invoke(...)`` in a node's body)
is part of its parent's recording, not a recording of its own.

Recording never changes what a call does: results, exceptions and streamed output are the same.

* A graph with a checkpointer keeps it: for the duration of one call, a wrapper that delegates
  every read and write to it is lent through the call's config (LangGraph lends a parent's saver
  to its subgraphs the same way), so concurrent calls on one graph object never share state and
  the graph object is never modified.
* A graph without a checkpointer is lent a saver that stores nothing: every read finds nothing,
  as without a checkpointer, and nothing is serialized. No ``thread_id`` is made up (one would
  show in callback metadata and ``get_config()``). Calls whose behaviour a checkpointer would
  change are not recorded (see :func:`stats`): ``Command(resume=...)`` (an error without a
  checkpointer), an explicit ``durability`` / ``checkpoint_during`` (a warning without one), and
  the ``checkpoints`` / ``debug`` stream modes (they emit checkpoints only with one).
* Anything the recorder itself fails at is logged (logger ``pregel_viz.recorder.auto``) and
  counted in :func:`stats`, never raised into the graph.
"""

from __future__ import annotations

import collections
import functools
import itertools
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..values import DEFAULT_LIMITS, Limits
from . import (
    AttemptHandler,
    NullSaver,
    Recorder,
    RecordingSaver,
    delegating,
    effective_configurable,
    is_nested_call,
    lend_saver,
    own_saver,
    relaying,
    saver_would_change,
    with_callback,
)
from ._calls import STREAMED_CHECKPOINTS, adropping, chunks_a_saver_adds, dropping
from ._thread_log import create_first_free

if TYPE_CHECKING:
    from ..model import Run

__all__ = ["disable", "enable", "is_enabled", "paths", "runs", "stats"]

logger = logging.getLogger("pregel_viz.recorder.auto")

_PATCHED = ("stream", "astream")
_MISSING: Any = object()
DEFAULT_MAX_RUNS = 100
_MAX_ERRORS_KEPT = 20


# --- state ------------------------------------------------------------------------------------


class _Entry:
    """One finished recording: its log (in memory or on disk) and, once read, its Run.

    ``incomplete`` says why its file could not be written to the end; the log is then kept in
    memory (complete) and read from there.
    """

    __slots__ = ("data", "incomplete", "n", "name", "path", "run")

    def __init__(
        self, n: int, name: str, path: str | None, data: bytes | None, incomplete: str = ""
    ) -> None:
        self.n = n
        self.name = name
        self.path = path
        self.data = data
        self.incomplete = incomplete
        self.run: Run | None = None

    def load(self) -> Run:
        if self.run is None:
            from ..logfile import LoadLimits
            from ..model import Run
            from ..reader import load

            if self.data is not None:
                source = self.path or f"auto-{self.n}-{self.name}"
                self.run = Run.from_bytes(self.data, source=source, limits=LoadLimits.unlimited())
                self.data = None
            else:
                assert self.path is not None
                self.run = load(self.path)
            if self.incomplete:
                self.run.warnings.append(self.incomplete)
        return self.run


class _State:
    def __init__(self, directory: str | None, max_runs: int, limits: Limits) -> None:
        self.directory = directory
        self.limits = limits
        self.entries: collections.deque[_Entry] = collections.deque(maxlen=max_runs)
        self.paths: list[str] = []
        self.counter = itertools.count(1)
        self.counts: collections.Counter[str] = collections.Counter()
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.originals: dict[str, Any] = {}
        self.wrappers: dict[str, Any] = {}

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def error(self, where: str, exc: BaseException) -> None:
        message = f"{where}: {type(exc).__name__}: {exc}"
        logger.warning("pregel-viz auto-recording: %s", message, exc_info=exc)
        with self.lock:
            self.counts["recorder_errors"] += 1
            if len(self.errors) < _MAX_ERRORS_KEPT:
                self.errors.append(message)


_lock = threading.Lock()
_state: _State | None = None
_last: _State | None = None  # the state of the last enable(), still readable after disable()


# --- public API -------------------------------------------------------------------------------


def enable(
    directory: str | os.PathLike[str] | None = None,
    *,
    max_runs: int = DEFAULT_MAX_RUNS,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Record every graph run of this process from now on.

    Args:
        directory: where to write one `.pregel` log per top-level call (created if missing);
            ``None`` keeps the recordings in memory only.
        max_runs: how many of the latest recordings :func:`runs` keeps.
        limits: bounds on recorded values.

    Calling it again while enabled changes these settings and keeps what was recorded.
    """
    global _state, _last
    from langgraph.pregel import Pregel

    dirname = None if directory is None else os.fspath(directory)
    if dirname is not None:
        os.makedirs(dirname, exist_ok=True)
    with _lock:
        if _state is not None:
            with _state.lock:
                _state.directory = dirname
                _state.limits = limits
                if _state.entries.maxlen != max_runs:
                    _state.entries = collections.deque(_state.entries, maxlen=max_runs)
            return
        st = _State(dirname, max_runs, limits)
        for name in _PATCHED:
            st.originals[name] = Pregel.__dict__.get(name, _MISSING)
            st.wrappers[name] = _patched(name, getattr(Pregel, name))
        for name in _PATCHED:
            setattr(Pregel, name, st.wrappers[name])
        _state = _last = st


def disable() -> None:
    """Stop recording and restore ``Pregel`` exactly as it was; :func:`runs` stays readable.

    Calls already running finish their recordings.
    """
    global _state
    from langgraph.pregel import Pregel

    with _lock:
        st = _state
        if st is None:
            return
        for name in _PATCHED:
            current = Pregel.__dict__.get(name, _MISSING)
            if current is not st.wrappers[name]:
                logger.warning(
                    "Pregel.%s was replaced by someone else after "
                    "pregel_viz.recorder.auto.enable(); leaving it in place",
                    name,
                )
                continue
            original = st.originals[name]
            if original is _MISSING:
                delattr(Pregel, name)
            else:
                setattr(Pregel, name, original)
        _state = None


def is_enabled() -> bool:
    """Whether runs are being recorded."""
    return _state is not None


def runs() -> list[Run]:
    """The latest finished recordings, oldest first (at most ``max_runs``)."""
    st = _state or _last
    if st is None:
        return []
    with st.lock:
        entries = list(st.entries)
    return [e.load() for e in entries]


def paths() -> list[str]:
    """Every log file written since :func:`enable`, in order (a directory was given)."""
    st = _state or _last
    if st is None:
        return []
    with st.lock:
        return list(st.paths)


def stats() -> dict[str, Any]:
    """Counters since :func:`enable`.

    ``recorded``: top-level calls recorded; ``nested``: calls run inside a recorded or running
    graph (part of its recording); ``skipped``: top-level calls left unrecorded to keep their
    behaviour, with ``skipped_reasons``; ``recorder_errors``: failures of the recorder itself
    (each one logged; the first ones in ``errors``).
    """
    st = _state or _last
    if st is None:
        return {
            "recorded": 0,
            "nested": 0,
            "skipped": 0,
            "skipped_reasons": {},
            "recorder_errors": 0,
            "errors": [],
        }
    with st.lock:
        counts = dict(st.counts)
        errors = list(st.errors)
    reasons = {k[len("skip:") :]: v for k, v in counts.items() if k.startswith("skip:")}
    return {
        "recorded": counts.get("recorded", 0),
        "nested": counts.get("nested", 0),
        "skipped": sum(reasons.values()),
        "skipped_reasons": reasons,
        "recorder_errors": counts.get("recorder_errors", 0),
        "errors": errors,
    }


# --- the patched methods ----------------------------------------------------------------------


def _patched(name: str, orig: Any) -> Any:
    """``Pregel.stream`` or ``Pregel.astream`` (``name``), recording each top-level call."""

    def prepare(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Any:
        call = _start(self, name, input, config, kwargs)
        if call is None:
            return orig(self, input, config, **kwargs), None
        stream = orig(self, input, call.config, **kwargs)
        if call.drop is not None:  # what the lent saver adds to the stream is taken out
            stream = (adropping if name == "astream" else dropping)(stream, call.drop)
        return stream, call.end

    wrap = relaying if name == "astream" else delegating
    patched: Any = functools.wraps(orig)(wrap(prepare))
    patched._pregel_viz_auto = True
    return patched


# --- deciding whether to record a call --------------------------------------------------------


def _skip_reason(
    graph: Any, input: Any, kwargs: Mapping[str, Any], conf: Mapping[str, Any]
) -> str | None:
    if is_nested_call(conf):
        # run by a task of another graph (a subgraph, a graph invoked in a node's body), or
        # under a saver lent by an enclosing graph or by an explicit pregel_viz.recording()
        return "nested"
    if isinstance(getattr(graph, "checkpointer", None), RecordingSaver):
        return "recorded explicitly"
    return saver_would_change(graph, input, kwargs, conf)


# Calls recorded as they are, with nothing lent: LangGraph refuses them before any step (a graph
# with a checkpointer called with no configurable; a resume with no checkpointer), so the log
# holds the call and its error.
_RECORDED_AS_IS = frozenset({"no configurable", "Command(resume=...) without checkpointer"})


def _start(
    graph: Any, method: str, input: Any, config: Any, kwargs: Mapping[str, Any]
) -> _Call | None:
    st = _state
    if st is None:
        return None
    try:
        conf = effective_configurable(graph, config)
        reason = _skip_reason(graph, input, kwargs, conf)
    except Exception as exc:
        st.error("deciding whether to record", exc)
        return None
    if reason == "nested":
        st.count("nested")
        return None
    drop = None
    if reason == STREAMED_CHECKPOINTS:
        drop = chunks_a_saver_adds(graph, kwargs)
        reason = None if drop is not None else f"{reason}, printed"
    if reason is not None and reason not in _RECORDED_AS_IS:
        st.count(f"skip:{reason}")
        logger.debug("pregel-viz: not recording a %s call of %r: %s", method, graph, reason)
        return None
    try:
        call = _Call(st, graph, method, input, config, conf, lend=reason is None)
        call.drop = drop
        return call
    except Exception as exc:
        st.error("starting a recording", exc)
        return None


# --- one recorded call ------------------------------------------------------------------------


def _graph_name(graph: Any) -> str:
    name = str(getattr(graph, "name", "") or type(graph).__name__)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:60] or "graph"


def _reserve(directory: str, n: int, name: str) -> str:
    """A new file ``<n>-<name>.pregel`` (``<n>-<name>-2.pregel``... if another process has it)."""
    return create_first_free(
        os.path.join(directory, f"{n:04d}-{name}{'' if i == 1 else f'-{i}'}.pregel")
        for i in itertools.count(1)
    )


class _Call:
    """The recorder, saver and callback handler of one top-level call."""

    def __init__(
        self,
        st: _State,
        graph: Any,
        method: str,
        input: Any,
        config: Any,
        conf: Mapping[str, Any],
        *,
        lend: bool = True,
    ) -> None:
        """``lend``: lend the call a recording saver and a callback handler (else the call runs
        with its own config, untouched, and only its start and end are recorded)."""
        self.st = st
        self.n = next(st.counter)
        self.name = _graph_name(graph)
        self.path = _reserve(st.directory, self.n, self.name) if st.directory else None
        self.closed = False
        # the chunks the lent saver adds to a checkpoints/debug stream, taken out of it
        self.drop: Callable[[Any], bool] | None = None
        try:
            self.recorder = Recorder(graph, self.path, limits=st.limits)
            thread_id = conf.get("thread_id")
            self.label = f"run-{self.n}" if thread_id is None else str(thread_id)
            self.config = config
            if lend:
                own = own_saver(graph)
                inner = own if own is not None else NullSaver()
                saver = _GuardedSaver(inner, self.recorder, self.label, st)
                handler = _GuardedHandler(self.recorder, self.label, st)
                self.config = with_callback(lend_saver(config, saver), handler)
            self.call = self.recorder.begin_call(self.label, self.label, method, input)
        except BaseException:
            if self.path is not None:
                try:
                    recorder = getattr(self, "recorder", None)
                    if recorder is not None:
                        recorder.close()
                    os.remove(self.path)
                except OSError:
                    pass
            raise
        st.count("recorded")
        if self.path is not None:
            with st.lock:
                st.paths.append(self.path)

    def end(self, error: BaseException | None) -> None:
        if self.closed:
            return
        self.closed = True
        st = self.st
        try:
            self.recorder.end_call(self.call, self.label, error)
        except Exception as exc:
            st.error("ending a recording", exc)
        try:
            self.recorder.close()
            incomplete = self.recorder.incomplete_message()
            # a file that could not be written to the end: keep the complete in-memory copy
            keep = self.path is None or bool(incomplete)
            data = self.recorder.writer.getvalue() if keep else None
        except Exception as exc:
            st.error("closing a recording", exc)
            return
        with st.lock:
            st.entries.append(_Entry(self.n, self.name, self.path, data, incomplete))


# --- the seams, guarded -----------------------------------------------------------------------


class _GuardedSaver(RecordingSaver):
    """A RecordingSaver whose recorder failures are counted (see :func:`stats`)."""

    def __init__(self, inner: Any, recorder: Any, label: str, st: _State) -> None:
        super().__init__(inner, recorder, label)
        self._st = st

    def recorder_failed(self, where: str, exc: BaseException) -> None:
        self._st.error(where, exc)


class _GuardedHandler(AttemptHandler):
    """An AttemptHandler whose failures are counted, never logged as callback errors."""

    def __init__(self, recorder: Any, thread: str, st: _State) -> None:
        super().__init__(recorder, thread)
        self._st = st

    def on_chain_start(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_start(*args, **kwargs)
        except Exception as exc:
            self._st.error("on_chain_start", exc)

    def on_chain_end(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_end(*args, **kwargs)
        except Exception as exc:
            self._st.error("on_chain_end", exc)

    def on_chain_error(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().on_chain_error(*args, **kwargs)
        except Exception as exc:
            self._st.error("on_chain_error", exc)
