"""The live debugger in a notebook: :class:`LiveDebugger`, the
:class:`~pregel_viz.views.widget.Debugger` of a live session
(:func:`pregel_viz.notebook.debug` makes both).

It sends the supersteps as they land (an ``append`` message with the new entries, which the
view applies to the document it has: :func:`apply_append`; the whole document only when the
view needs it), publishes the session's state as the ``live`` trait, and takes the controls'
actions (``labextension/src/viewer/live.ts``) as custom messages.
It drives the session only through its methods (``step``, ``cont``, ``fork``...), so it imports
nothing of the recorder or LangGraph at run time.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import traitlets

from ..analysis.compare import branches, compare_fork
from ..analysis.export import json_safe
from ..model import Run
from ..values import to_safe
from .assets import MIME
from .compare_view import fork_payload
from .payload import (
    EMPTY_NOTICE,
    build_payload,
    graphs_doc,
    namespace_entries,
    namespace_head,
    pack_document,
    thread_head,
)
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

    # a live session follows its newest superstep (a finished run opens at its input)
    opens_at = "newest"

    # seconds between two redraws while the graph runs (at least; more when a redraw is slow)
    MIN_REFRESH = 0.05

    def __init__(self, session: LiveSession, **kwargs: Any) -> None:
        self.session = session
        kwargs.setdefault("thread", session.thread_id)
        super().__init__(session.run, **kwargs)
        self._notice = ""
        self._refresh_lock = threading.RLock()  # refresh() shows the output, which reads the doc
        self._pending_lock = threading.Lock()
        self._pending = False
        self._cost = 0.0
        self._payload_text = ""
        self._doc: dict[str, Any] = {}  # the document as the browser has it
        self._seq = 0  # numbers every change sent: a view applies an append to its base only
        self._payload_seq = 0  # the change that sent the whole document last
        self._full_wanted = True  # send the whole document at the next redraw
        self._sent: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        self._sent_graphs = ""
        self._fork = ""  # the newest branch against the one it left, in words
        self._acted = 0  # how many actions from the browser were handled
        self._display_id = ""  # set when displayed (see _ipython_display_)
        self._final_shown = -1  # the change the notebook output was last brought up to
        self.live = self._live_state()
        self.refresh()  # the document as the browser starts from, numbered
        self._unsubscribe = session.subscribe(self._changed)
        self.on_msg(self._on_msg)

    def __repr__(self) -> str:
        return f"<pregel_viz.LiveDebugger {self.session!r} step={self.step}>"

    # --- Python → browser -----------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from the session now (it also happens by itself as the run goes on).

        Only what changed is sent: the entries from the first one that changed (usually just
        the new supersteps, and the last one shown, which may have finished or ended a call)
        go to the browser as an ``append`` message, which the view applies to the document it
        has. The whole document is sent (the ``_payload`` trait) the first time, when a view
        asks for it (it missed an append), and when the run's threads or namespaces were
        reordered."""
        with self._refresh_lock:
            started = time.perf_counter()
            run = self.session.run
            state = self._live_state(run)
            self.run = run
            message = None if self._full_wanted else self._append_message(run, state)
            if message is None:
                self._send_full(run, state)
            elif message:
                self._seq += 1
                message["base"], message["seq"] = self._seq - 1, self._seq
                apply_append(self._doc, message)
                self.send({"append": message})
            state["seq"] = self._seq
            state["payload_seq"] = self._payload_seq
            if state != self.live:
                self.live = state
            self._cost = time.perf_counter() - started
            final = state["status"] in ("stopped", "completed")
            if final and self._display_id and self._final_shown != self._seq:
                self._final_shown = self._seq
                self._update_display()

    def document(self) -> dict[str, Any]:
        """The viewer's document as the browser has it now (plain JSON data)."""
        with self._refresh_lock:
            doc: dict[str, Any] = json.loads(json.dumps(self._doc))
        return doc

    def _send_full(self, run: Run, state: dict[str, Any]) -> None:
        doc = build_payload(run)
        for thread in doc["threads"]:
            _paused_outcome(thread, thread["id"], state)
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        self._seq += 1
        self._payload_seq = self._seq
        self._doc = doc
        self._full_wanted = False
        self._sent = _fingerprints(run)
        self._sent_graphs = json.dumps(doc["graphs"], sort_keys=True)
        self._payload_text = text
        self._payload = text.encode("utf-8")

    def _append_message(self, run: Run, state: dict[str, Any]) -> dict[str, Any] | None:
        """What changed since the document sent, as an append message; ``{}`` when nothing
        did; ``None`` when the whole document must go (threads or namespaces reordered)."""
        doc = self._doc
        sent_threads = [t["id"] for t in doc.get("threads", [])]
        if sent_threads != list(run.threads)[: len(sent_threads)]:
            return None
        if doc.get("meta") != json_safe(run.meta):
            return None
        now = _fingerprints(run)
        threads: list[dict[str, Any]] = []
        for label, thread in run.threads.items():
            known = next((t for t in doc["threads"] if t["id"] == label), None)
            sent_ns = [n["ns"] for n in known["namespaces"]] if known is not None else []
            if list(thread.namespaces)[: len(sent_ns)] != sent_ns:
                return None
            head = thread_head(thread)
            _paused_outcome(head, label, state)
            # a call that ended changes the words of the entry it ended at: the last one sent
            ended = known is None or _head(known) != head
            spaces: list[dict[str, Any]] = []
            for ns in thread.namespaces:
                old = self._sent.get((label, ns), [])
                new = now[(label, ns)]
                if old == new and not ended:
                    continue
                same = 0
                while same < min(len(old), len(new)) and old[same] == new[same]:
                    same += 1
                first = min(same, max(len(old) - 1, 0))  # the last entry shown is told again
                space = namespace_head(thread, ns)
                space["from"] = first
                space["steps"] = namespace_entries(run, label, ns, first)
                spaces.append(space)
            if spaces or ended:
                threads.append({**head, "namespaces": spaces})
        graphs = graphs_doc(run)
        graphs_text = json.dumps(graphs, sort_keys=True)
        warnings = _warnings(run)
        message: dict[str, Any] = {}
        if threads:
            message["threads"] = threads
        if graphs_text != self._sent_graphs:
            message["graphs"] = graphs
        if warnings != doc.get("warnings"):
            message["warnings"] = warnings
        self._sent = now
        self._sent_graphs = graphs_text
        return message

    # --- the notebook output ----------------------------------------------------------------

    def _ipython_display_(self) -> None:
        """Display with a display id, so that the output can be brought up to date later."""
        from IPython.display import display

        if not self._display_id:
            self._display_id = f"pregel-viz-live-{uuid.uuid4().hex}"
        data, meta = self._repr_mimebundle_()
        display(data, metadata=meta, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget's bundle, its document the one the browser has now (appends applied)."""
        data, meta = super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        if MIME in data:
            with self._refresh_lock:
                text = json.dumps(self._doc, separators=(",", ":"), ensure_ascii=False)
            data = {**data, MIME: pack_document(text)}
        return data, meta

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
        elif kind == "sync":
            # a view missed a change (it was opened meanwhile): send it the whole document
            self._full_wanted = True
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


# --- the document a view has, changed by append messages -----------------------------------


def apply_append(doc: dict[str, Any], message: dict[str, Any]) -> None:
    """Apply an append message to a document, in place (what ``live.ts`` does in the browser).

    Each namespace in the message replaces the document's entries from its index ``from`` on
    with its ``steps``; a thread's ``outcome`` and ``calls`` replace the document's; a thread or
    a namespace the document lacks is added; ``graphs`` and ``warnings``, when present,
    replace the document's."""
    if "graphs" in message:
        doc["graphs"] = message["graphs"]
    if "warnings" in message:
        doc["warnings"] = message["warnings"]
    threads = doc.setdefault("threads", [])
    for t in message.get("threads", []):
        known = next((x for x in threads if x["id"] == t["id"]), None)
        if known is None:
            known = {"id": t["id"], "namespaces": []}
            threads.append(known)
        for key, value in t.items():
            if key not in ("id", "namespaces"):
                known[key] = value
        for n in t.get("namespaces", []):
            space = next((x for x in known["namespaces"] if x["ns"] == n["ns"]), None)
            if space is None:
                space = {"steps": []}
                known["namespaces"].append(space)
            for key, value in n.items():
                if key not in ("from", "steps"):
                    space[key] = value
            space["steps"] = space["steps"][: n["from"]] + n["steps"]


def _fingerprints(run: Run) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    """Per namespace, what each entry's document depends on that can change after it is
    shown (a pending step that finishes, a task resumed or retried, a fork's branches)."""
    out: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for label, thread in run.threads.items():
        for ns, space in thread.namespaces.items():
            branch = space.branch_numbers()
            out[(label, ns)] = [
                (
                    s.checkpoint.id if s.checkpoint is not None else None,
                    s.parent.id if s.parent is not None else None,
                    tuple(
                        (
                            t.id,
                            t.status,
                            len(t.writes),
                            len(t.attempts) if isinstance(t.attempts, list) else -1,
                            len(t.resumes),
                            len(t.interrupts),
                        )
                        for t in s.tasks
                    ),
                    tuple(branch[i]),
                )
                for i, s in enumerate(space.supersteps)
            ]
    return out


def _head(thread_doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in thread_doc.items() if k != "namespaces"}


def _warnings(run: Run) -> list[str]:
    notes = list(run.warnings)
    spaces = [space for t in run.threads.values() for space in t.namespaces.values()]
    if not any(space.supersteps for space in spaces):
        notes.append(EMPTY_NOTICE)
    return notes


def _paused_outcome(thread_doc: dict[str, Any], label: str, state: dict[str, Any]) -> None:
    """The session's thread paused by a Step or a breakpoint reads "paused", as the controls
    say: LangGraph ends such a call as interrupted, a word the controls keep for a run waiting
    in interrupt() for an answer."""
    outcome = thread_doc.get("outcome")
    if (
        label == state.get("thread")
        and state.get("status") in ("paused", "stopped")
        and isinstance(outcome, dict)
        and outcome.get("status") == "interrupted"
        and not outcome.get("interrupts")
    ):
        thread_doc["outcome"] = {**outcome, "status": "paused"}
