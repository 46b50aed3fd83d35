"""The notebook debugger: an anywidget that renders a run with the TypeScript viewer.

The bulk data (the payload) is sent once as bytes; only the position (``step``, ``thread``,
``ns``) is synced both ways. :class:`LiveDebugger` (from :func:`debug`) adds a live session's
controls: it re-sends the payload as supersteps land, publishes the session's state as the
``live`` trait, and takes the controls' actions as custom messages.

Its display also carries the payload itself as ``application/vnd.pregel-viz+json`` (``MIME``):
the pregel-viz JupyterLab extension shows the live widget while it exists, and renders that
output without a kernel once the notebook is saved and reopened.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .errors import PregelVizError
from .export import json_safe
from .model import Run
from .payload import payload_json
from .values import to_safe

if TYPE_CHECKING:
    from .live import LiveSession

__all__ = ["MIME", "STATIC", "Debugger", "LiveDebugger", "debug", "show", "viewer_assets"]

STATIC = Path(__file__).resolve().parent / "static"
# The output type of a saved run: the data is the viewer's payload (pregel_viz/payload.py);
# its metadata (under the same key) is the position to open at: step, thread, ns.
MIME = "application/vnd.pregel-viz+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def viewer_assets() -> tuple[Path, Path]:
    """Paths of the built viewer bundle and its stylesheet; a clear error when not built."""
    js, css = STATIC / "viewer.js", STATIC / "viewer.css"
    if not js.is_file():
        raise PregelVizError(
            f"the viewer bundle {js} is missing: it is built on install "
            "(pip install -e .) or by `npm run build` in labextension/"
        )
    return js, css


def with_document(
    result: Any,
    mime: str,
    include: Any,
    exclude: Any,
    data: Callable[[], Any],
    metadata: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A widget's mime bundle (``result`` of anywidget's ``_repr_mimebundle_``) plus our own
    ``mime`` output, unless ``include``/``exclude`` leave it out: its data is the viewer's
    document, so the pregel-viz JupyterLab extension can show it with no kernel."""
    out: dict[str, Any]
    meta: dict[str, Any]
    if isinstance(result, tuple):
        out, meta = dict(result[0]), dict(result[1] or {})
    else:
        out, meta = dict(result or {}), {}
    if (include is None or mime in include) and not (exclude and mime in exclude):
        out[mime] = data()
        meta[mime] = metadata()
    return out, meta


def _as_run(run: Run | str | os.PathLike[str]) -> Run:
    if isinstance(run, Run):
        return run
    if isinstance(run, (str, os.PathLike)):
        from .reader import load

        return load(run)
    raise TypeError(f"expected a pregel_viz.Run or the path of a .pregel log, got {type(run)!r}")


class Debugger(anywidget.AnyWidget):  # type: ignore[misc]
    """Step through a recorded run in a notebook.

    Args:
        run: a :class:`~pregel_viz.Run`, or the path of a `.pregel` log.
        step: LangGraph's step number to show first (default: the last superstep).
        thread: the thread to show (default: the last one).
        ns: the namespace to show (default: the root, ``""``).

    ``widget.step`` follows the view, and setting it moves the view.
    """

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)
    _payload = traitlets.Bytes().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    thread = traitlets.Unicode("").tag(sync=True)
    ns = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        run: Run | str | os.PathLike[str],
        *,
        step: int | None = None,
        thread: str | None = None,
        ns: str = "",
    ) -> None:
        js, css = viewer_assets()
        self.run = _as_run(run)
        chosen = thread if thread is not None else self.run.thread.thread_id
        if chosen not in self.run.threads and self.run.threads:
            raise KeyError(f"no thread {chosen!r}; threads: {list(self.run.threads)}")
        space = self.run.threads[chosen].namespaces.get(ns) if self.run.threads else None
        if ns and space is None:
            raise KeyError(f"no namespace {ns!r} in thread {chosen!r}")
        steps = [s.step for s in space.supersteps] if space is not None else []
        first = steps[-1] if steps else 0
        super().__init__(
            _esm=js.read_text(encoding="utf-8"),
            _css=css.read_text(encoding="utf-8") if css.is_file() else "",
            _payload=payload_json(self.run).encode("utf-8"),
            step=first if step is None else step,
            thread=chosen,
            ns=ns,
        )

    def __repr__(self) -> str:
        return f"<pregel_viz.Debugger thread={self.thread!r} ns={self.ns!r} step={self.step}>"

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget view, the payload (for saved notebooks: no kernel needed) and text."""
        result = super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        return with_document(
            result,
            MIME,
            include,
            exclude,
            lambda: json.loads(self._payload),
            lambda: {"step": self.step, "thread": self.thread, "ns": self.ns},
        )


def show(run: Run | str | os.PathLike[str], **kwargs: Any) -> Debugger:
    """Display the debugger for ``run`` in the current notebook and return it."""
    from IPython.display import display

    widget = Debugger(run, **kwargs)
    display(widget)  # type: ignore[no-untyped-call]
    return widget


class LiveDebugger(Debugger):
    """The debugger of a live session (:func:`debug`): the run so far, plus its controls.

    The view follows the run as supersteps land (the graph runs in a background thread, so the
    kernel stays free). The controls in the widget (Step, Continue, Pause, Stop, breakpoints
    by clicking a node or on a channel write, Edit & fork, answering an ``interrupt()``) call
    the same methods as Python code may: ``widget.session`` is the
    :class:`~pregel_viz.live.LiveSession`. When the session stops, the notebook output is
    brought up to date, so a saved notebook shows the run as it ended (with no kernel too).
    """

    # what the controls show: the session's status, breakpoints, pending interrupts...
    live = traitlets.Dict().tag(sync=True)

    # seconds between two redraws while the graph runs (at least; more when a redraw is slow)
    MIN_REFRESH = 0.05

    def __init__(self, session: LiveSession, **kwargs: Any) -> None:
        self.session = session
        kwargs.setdefault("thread", session.thread_id)
        super().__init__(session.run, **kwargs)
        self._notice = ""
        self._refresh_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending = False
        self._cost = 0.0
        self._payload_text = ""
        self._fork = ""  # the newest branch against the one it left, in words
        self._acted = 0  # how many actions from the browser were handled
        self._display_id = ""  # set when displayed (see _ipython_display_)
        self._final_shown = False
        self.live = self._live_state()
        self._unsubscribe = session.subscribe(self._changed)
        self.on_msg(self._on_msg)

    def __repr__(self) -> str:
        return f"<pregel_viz.LiveDebugger {self.session!r} step={self.step}>"

    # --- Python → browser -----------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from the session now (it also happens by itself as the run goes on)."""
        with self._refresh_lock:
            started = time.perf_counter()
            run = self.session.run
            text = payload_json(run)
            state = self._live_state(run)
            self.run = run
            if text != self._payload_text:
                self._payload_text = text
                self._payload = text.encode("utf-8")
            if state != self.live:
                self.live = state
            self._cost = time.perf_counter() - started
            if state["status"] == "stopped" and self._display_id and not self._final_shown:
                self._final_shown = True
                self._update_display()

    # --- the notebook output ----------------------------------------------------------------

    def _ipython_display_(self) -> None:
        """Display with a display id, so that the output can be brought up to date later."""
        from IPython.display import display

        if not self._display_id:
            self._display_id = f"pregel-viz-live-{uuid.uuid4().hex}"
        data, meta = self._repr_mimebundle_()
        display(data, metadata=meta, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

    def _update_display(self) -> None:
        """Re-send the output (the run as it ended), so that a saved notebook keeps it."""
        from IPython.display import update_display

        data, meta = self._repr_mimebundle_()
        update_display(data, metadata=meta, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

    def _changed(self, session: LiveSession) -> None:
        if session.status == "stopped":
            # at once, in the caller's thread: the output update belongs to the stopping cell
            self._scheduled()
            return
        with self._pending_lock:
            if self._pending:
                return
            self._pending = True
        delay = max(self.MIN_REFRESH, 2 * self._cost)
        timer = threading.Timer(delay, self._scheduled)
        timer.daemon = True
        timer.start()

    def _scheduled(self) -> None:
        with self._pending_lock:
            self._pending = False
        try:
            self.refresh()
        except Exception as exc:  # keep the session going; say why the view is stale
            self._notice = f"the view could not be updated: {type(exc).__name__}: {exc}"

    def _live_state(self, run: Run | None = None) -> dict[str, Any]:
        s = self.session
        status = s.status
        if run is not None and status != "running":
            self._fork = _fork_summary(run, s.thread_id)
        try:
            interrupts = [
                {"id": i["id"], "value": json_safe(to_safe(i["value"]))} for i in s.interrupts
            ]
            upcoming = list(s.next)
        except Exception:  # the saver is busy or gone: show what is certain
            interrupts, upcoming = [], []
        return {
            "status": status,
            "message": s.message,
            "notice": self._notice,
            "breakpoints": s.breakpoints,
            "interrupts": interrupts,
            "next": upcoming,
            "nodes": list(s.nodes),
            "channels": list(s.channels),
            "thread": s.thread_id,
            "fork": self._fork,
            "caveats": list(s.caveats),
            "acted": self._acted,
        }

    # --- browser → Python -----------------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or "live" not in content:
            return
        self._notice = ""
        self._acted += 1  # a new state for every action: the controls wait for it
        try:
            self.act(content)
        except Exception as exc:
            self._notice = f"{content.get('live')}: {exc}"
        self.refresh()

    def act(self, action: dict[str, Any]) -> None:
        """Do what a widget control asks (the messages of ``labextension/src/viewer/live.ts``)."""
        s = self.session
        kind = action.get("live")
        if kind == "step":
            s.step()
        elif kind == "continue":
            s.cont()
        elif kind == "pause":
            s.pause()
        elif kind == "stop":
            # a running superstep finishes first: wait for it off the kernel's thread
            s.pause()
            name = f"pregel-viz-stop-{s.thread_id}"
            threading.Thread(target=s.stop, name=name, daemon=True).start()
        elif kind == "breakpoint":
            where = str(action.get("where", "before"))
            s.set_breakpoint(str(action["name"]), where, bool(action.get("on", True)))
        elif kind == "answer":
            interrupt_id = action.get("id") or None
            if interrupt_id is not None and len(s.interrupts) <= 1:
                interrupt_id = None  # one pending: resume it whatever its id
            s.answer(action.get("value"), interrupt_id)
        elif kind == "fork":
            updates = action.get("updates")
            if updates is not None and not isinstance(updates, dict):
                raise ValueError("the edited state must be a JSON object")
            s.fork(str(action["checkpoint"]), updates or None, action.get("as_node") or None)
        elif kind == "compare":
            # the newest branch beside the branch it left, shown inside the widget
            from .side_by_side import fork_payload

            run = s.run
            if not _fork_summary(run, s.thread_id):
                raise ValueError("the thread has one branch: fork it first")
            self.send({"compare": fork_payload(run, thread=s.thread_id)})
        else:
            raise ValueError(f"unknown action {kind!r}")

    def close(self) -> None:
        """Close the widget and end its session."""
        self._unsubscribe()
        if self.session.status != "stopped":
            self.session.stop(timeout=30)
        super().close()


def _fork_summary(run: Run, thread_id: str) -> str:
    """For a forked thread: how its newest branch differs from the branch it left."""
    from .compare import branches, compare_fork

    thread = run.threads.get(thread_id)
    if thread is None or len(branches(thread.root)) < 2:
        return ""
    result = compare_fork(run, thread=thread_id)
    if result.first is None:
        return "The fork has done the same as the branch it left, so far."
    steps = sorted({d.step for d in result.differences if d.step is not None})
    where = f" ({len(steps)} differing step{'s' if len(steps) != 1 else ''})" if steps else ""
    return f"Fork vs the branch it left{where}: {result.first.details}"


def debug(
    graph: Any,
    input: Any = None,
    config: Any = None,
    *,
    breakpoints: Any = None,
    asynchronous: bool | None = None,
    path: str | os.PathLike[str] | None = None,
) -> LiveDebugger:
    """Debug ``graph`` on ``input`` live: a paused session and its widget (show it to use it).

    Nothing runs until a control: Step (one superstep), Continue (to the next breakpoint, an
    ``interrupt()`` or the end), Pause, Stop; clicking a graph node sets a breakpoint before
    or after it. ``widget.session`` drives the same session from code
    (``widget.session.step().wait()``).

    Args:
        graph: a compiled LangGraph graph (without a checkpointer, an in-memory one is used).
        input: the first input.
        config: the run's config (a ``thread_id`` is made up when it has none).
        breakpoints: ``["node", "after:node", "write:channel"]`` or
            ``{"before": [...], "after": [...], "write": [...]}``.
        asynchronous: run with ``astream`` (default: when the graph has ``async def`` nodes).
        path: also write the session's log to this ``.pregel`` file as it runs.
    """
    from .live import debug_session, parse_breakpoints

    bp = parse_breakpoints(breakpoints)
    session = debug_session(
        graph,
        input,
        config,
        break_before=bp["before"],
        break_after=bp["after"],
        break_on_write=bp["write"],
        asynchronous=asynchronous,
        path=path,
    )
    return LiveDebugger(session)
