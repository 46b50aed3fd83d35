"""The live debugger in a notebook: :class:`LiveDebugger`, the
:class:`~pregel_viz.views.widget.Debugger` of a live session
(:func:`pregel_viz.notebook.debug` makes both).

It re-sends the payload as supersteps land, publishes the session's state as the ``live``
trait, and takes the controls' actions (``labextension/src/viewer/live.ts``) as custom messages.
It drives the session only through its methods (``step``, ``cont``, ``fork``...), so it imports
nothing of the recorder or LangGraph at run time.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import traitlets

from ..analysis.compare import branches, compare_fork
from ..analysis.export import json_safe
from ..model import Run
from ..values import to_safe
from .compare_view import fork_payload
from .payload import payload_json
from .widget import Debugger

if TYPE_CHECKING:
    from ..recorder.live import LiveSession

__all__ = ["LiveDebugger"]


class LiveDebugger(Debugger):
    """The debugger of a live session (:func:`debug`): the run so far, plus its controls.

    The view follows the run as supersteps land (the graph runs in a background thread, so the
    kernel stays free). The controls in the widget (Step, Continue, Pause, Stop, breakpoints
    by clicking a node or on a channel write, Edit & fork, answering an ``interrupt()``) call
    the same methods as Python code may: ``widget.session`` is the
    :class:`~pregel_viz.recorder.live.LiveSession`. When the session stops, the notebook output is
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
    thread = run.threads.get(thread_id)
    if thread is None or len(branches(thread.root)) < 2:
        return ""
    result = compare_fork(run, thread=thread_id)
    if result.first is None:
        return "The fork has done the same as the branch it left, so far."
    steps = sorted({d.step for d in result.differences if d.step is not None})
    where = f" ({len(steps)} differing step{'s' if len(steps) != 1 else ''})" if steps else ""
    return f"Fork vs the branch it left{where}: {result.first.details}"
