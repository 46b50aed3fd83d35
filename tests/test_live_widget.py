"""The live widget (pregel_viz.debug) on real graphs: its controls as the browser sends them,
every effect checked against LangGraph's own get_state / get_state_history."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

import pytest
from graphs import CASES, Point
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from test_live import _slow_loop, _two_askers

import pregel_viz
from pregel_viz.recorder.live import LiveSession
from pregel_viz.views.assets import MIME, WIDGET_VIEW_MIME
from pregel_viz.views.live_widget import LiveDebugger, apply_append
from pregel_viz.views.payload import build_payload, unpack_document

TIMEOUT = 20.0

pytestmark = pytest.mark.filterwarnings("ignore:Deserializing unregistered type")


@pytest.fixture
def widgets() -> Iterator[list[LiveDebugger]]:
    """Widgets made by a test; closed (and their sessions stopped) after it."""
    made: list[LiveDebugger] = []
    yield made
    for w in made:
        w.close()


def _debug(made: list[LiveDebugger], graph: Any, inp: Any, **kwargs: Any) -> LiveDebugger:
    w = pregel_viz.debug(graph, inp, **kwargs)
    assert isinstance(w, LiveDebugger) and isinstance(w.session, LiveSession)
    made.append(w)
    return w


def _case(made: list[LiveDebugger], name: str, **kwargs: Any) -> LiveDebugger:
    case = CASES[name]
    return _debug(made, case.build(None), case.input, **kwargs)


def _until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _send(w: LiveDebugger, **content: Any) -> None:
    """A message from the browser, as the comm delivers it."""
    w._on_msg(w, content, [])


def _done(w: LiveDebugger) -> str:
    """Wait for the background run; then the view is redrawn (as its listener would)."""
    status = w.session.wait(TIMEOUT)
    w.refresh()
    return status


def _root_steps(w: LiveDebugger) -> list[dict[str, Any]]:
    doc = w.document()
    threads = [t for t in doc["threads"] if t["id"] == w.session.thread_id]
    if not threads:
        return []
    roots = [n for n in threads[0]["namespaces"] if n["ns"] == ""]
    if not roots:  # the call has started, no checkpoint yet
        return []
    (root,) = roots
    steps: list[dict[str, Any]] = root["steps"]
    return steps


def _loop_steps(s: LiveSession) -> list[int]:
    return sorted(h.metadata["step"] for h in s.history() if h.metadata["source"] == "loop")


def _checkpoint_at(s: LiveSession, step: int) -> str:
    snap = next(h for h in s.history() if h.metadata["step"] == step)
    cp: str = snap.config["configurable"]["checkpoint_id"]
    return cp


class AskState(TypedDict, total=False):
    reply: Any


def _asker() -> Any:
    """One node whose interrupt() value is not JSON: a dataclass, a set, and markup."""

    def ask(state: AskState) -> dict[str, Any]:
        value = {
            "point": Point(3, "p"),
            "tags": {"b", "a"},
            "html": "<script>alert(1)</script>",
        }
        return {"reply": interrupt(value)}

    g = StateGraph(AskState)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    return g.compile()


# --------------------------------------------------------------------------- what it shows


def test_the_live_trait_before_anything_runs(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "fanout_fanin", breakpoints=["after:a", "d", "write:log"])
    s = w.session
    assert s.history() == []  # nothing ran
    assert w.live == {
        "status": "paused",
        "message": "",
        "notice": "",
        "breakpoints": {"before": ["d"], "after": ["a"], "write": ["log"]},
        "interrupts": [],
        "next": [],
        "nodes": ["a", "b", "c", "d"],
        "channels": ["log"],
        "thread": s.thread_id,
        "fork": "",
        "caveats": [],
        "acted": 0,
        "seq": 1,  # the first change: the whole document
        "payload_seq": 1,
    }
    assert json.loads(json.dumps(w.live)) == w.live
    assert w.thread == s.thread_id and _root_steps(w) == []


def test_the_mime_bundle_carries_the_payload(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "fanout_fanin")
    w.session.cont()
    assert _done(w) == "completed"
    data, meta = w._repr_mimebundle_()
    assert WIDGET_VIEW_MIME in data and MIME in data
    assert unpack_document(data[MIME]) == w.document()
    assert [t["id"] for t in data[MIME]["threads"]] == [w.session.thread_id]
    assert meta[MIME]["thread"] == w.session.thread_id and meta[MIME]["ns"] == ""


def test_interrupt_values_are_tagged_json_and_markup_stays_text(
    widgets: list[LiveDebugger],
) -> None:
    w = _debug(widgets, _asker(), {})
    _send(w, live="continue")
    assert _done(w) == "interrupted"
    (pending,) = w.session.state.interrupts
    assert w.live["status"] == "interrupted" and w.live["next"] == ["ask"]
    assert w.live["interrupts"] == [
        {
            "id": pending.id,
            "value": {
                "point": {"$type": "graphs.Point", "$fields": {"x": 3, "label": "p"}},
                "tags": {"$type": "builtins.set", "$items": ["a", "b"]},
                "html": "<script>alert(1)</script>",
            },
        }
    ]
    assert json.loads(json.dumps(w.live)) == w.live
    # the browser answers with the id it was shown
    _send(w, live="answer", id=pending.id, value={"ok": True})
    assert w.live["notice"] == ""
    assert _done(w) == "completed"
    assert w.session.state.values == {"reply": {"ok": True}}
    assert w.session.history()[0].values == {"reply": {"ok": True}}
    assert w.live["interrupts"] == [] and w.live["status"] == "completed"


# --------------------------------------------------------------------------- the controls


def test_step_and_continue_from_the_browser(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "fanout_fanin")
    s = w.session
    _send(w, live="step")
    assert _done(w) == "paused"
    assert s.state.next == ("b", "c") and _loop_steps(s) == [0, 1]
    assert w.live["next"] == ["b", "c"] and w.live["status"] == "paused"
    assert w.live["message"] == "stepped one superstep"
    assert [x["step"] for x in _root_steps(w)] == [-1, 0, 1]
    _send(w, live="continue")
    assert _done(w) == "completed"
    assert _loop_steps(s) == [0, 1, 2, 3] and s.state.next == ()
    assert sorted(s.state.values["log"]) == ["a", "b", "c", "d"]
    assert [x["step"] for x in _root_steps(w)] == [-1, 0, 1, 2, 3]
    assert w.live["status"] == "completed" and w.live["next"] == []


def test_breakpoints_on_and_off_from_the_browser(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "fanout_fanin")
    s = w.session
    _send(w, live="breakpoint", name="d", where="before", on=True)
    _send(w, live="breakpoint", name="log", where="write")  # on by default
    assert w.live["breakpoints"] == {"before": ["d"], "after": [], "write": ["log"]}
    assert s.breakpoints == w.live["breakpoints"]
    _send(w, live="breakpoint", name="log", where="write", on=False)
    _send(w, live="continue")
    assert _done(w) == "paused"
    assert s.state.next == ("d",) and _loop_steps(s) == [0, 1, 2]
    assert "d" not in s.state.values["log"]
    assert w.live["message"] == "breakpoint before d" and w.live["next"] == ["d"]
    _send(w, live="breakpoint", name="d", where="before", on=False)
    assert w.live["breakpoints"] == {"before": [], "after": [], "write": []}
    _send(w, live="continue")
    assert _done(w) == "completed"
    assert _loop_steps(s) == [0, 1, 2, 3]


def test_answer_one_of_two_interrupts_from_the_browser(widgets: list[LiveDebugger]) -> None:
    w = _debug(widgets, _two_askers(), {"answers": []})
    _send(w, live="continue")
    assert _done(w) == "interrupted"
    ids = {i["value"]: i["id"] for i in w.live["interrupts"]}
    assert set(ids) == {"left?", "right?"}
    assert {i.id for i in w.session.state.interrupts} == set(ids.values())
    _send(w, live="answer", id=ids["right?"], value="R")
    assert w.live["notice"] == ""
    assert _done(w) == "interrupted"
    assert [i.id for i in w.session.state.interrupts] == [ids["left?"]]
    assert w.live["interrupts"] == [{"id": ids["left?"], "value": "left?"}]
    _send(w, live="answer", id=ids["left?"], value="L")
    assert _done(w) == "completed"
    assert sorted(w.session.state.values["answers"]) == ["left:L", "right:R"]


def test_fork_with_json_updates_makes_a_branch_in_the_payload(
    widgets: list[LiveDebugger],
) -> None:
    w = _case(widgets, "fanout_fanin")
    s = w.session
    _send(w, live="continue")
    assert _done(w) == "completed"
    assert {x["branch"] for x in _root_steps(w)} == {0}
    assert all(x["fork_of"] is None for x in _root_steps(w))
    assert w.live["fork"] == ""  # one branch: nothing to compare
    at_1 = _checkpoint_at(s, 1)
    edit = json.loads(json.dumps({"log": ["EDIT"]}))  # as the browser's editor sends it
    _send(w, live="fork", checkpoint=at_1, updates=edit, as_node="a")
    assert w.live["notice"] == ""
    assert _done(w) == "completed"
    history = s.history()
    update = next(h for h in history if h.metadata["source"] == "update")
    assert update.parent_config is not None
    assert update.parent_config["configurable"]["checkpoint_id"] == at_1
    assert update.values == {"log": ["EDIT"]} and update.next == ("b", "c")
    assert history[0].values["log"][0] == "EDIT" and s.state.values == history[0].values
    # the payload: branch 1 starts at the update, forked from the entry of checkpoint at_1
    steps = _root_steps(w)
    index = {x["checkpoint"]: i for i, x in enumerate(steps)}
    first = index[update.config["configurable"]["checkpoint_id"]]
    assert steps[first]["branch"] == 1 and steps[first]["fork_of"] == index[at_1]
    assert steps[first]["source"] == "update"
    assert [x["branch"] for x in steps[:first]] == [0] * first
    assert all(x["branch"] == 1 and x["fork_of"] is None for x in steps[first + 1 :])
    assert len(steps) == len(w.session.run.supersteps)
    # the fork against the branch it left, as compare_fork says it
    first_diff = s.compare_fork().first
    assert first_diff is not None and first_diff.step == 2
    assert w.live["fork"].startswith("Fork vs the branch it left (")
    assert w.live["fork"].endswith(first_diff.details)


def test_fork_without_updates_replays(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "fanout_fanin")
    s = w.session
    _send(w, live="continue")
    assert _done(w) == "completed"
    n = len(s.history())
    at_2 = _checkpoint_at(s, 2)
    _send(w, live="fork", checkpoint=at_2, updates=None, as_node="")
    assert _done(w) == "completed"
    history = s.history()
    assert len(history) > n and not any(h.metadata["source"] == "update" for h in history)
    copy = history[1]
    assert copy.metadata["source"] == "fork" and copy.parent_config is not None
    assert copy.parent_config["configurable"]["checkpoint_id"] == at_2
    steps = _root_steps(w)
    index = {x["checkpoint"]: i for i, x in enumerate(steps)}
    replay = steps[index[copy.config["configurable"]["checkpoint_id"]]]
    assert replay["branch"] == 1 and replay["fork_of"] == index[at_2]


def test_pause_and_stop_from_the_browser(widgets: list[LiveDebugger]) -> None:
    w = _debug(widgets, _slow_loop(0.02), {"i": 0, "target": 500}, config={"recursion_limit": 2000})
    s = w.session
    _send(w, live="continue")
    assert w.live["status"] == "running"
    assert _until(lambda: len(s.history()) >= 3)
    _send(w, live="pause")
    assert _done(w) == "paused"
    snap = s.state
    assert snap.next == ("tick",) and 0 < snap.values["i"] < 500
    assert w.live["message"] == "paused" and w.live["next"] == ["tick"]
    _send(w, live="stop")  # returns at once: the session stops in the background
    assert _until(lambda: w.live["status"] == "stopped")  # redrawn by itself
    assert s.status == "stopped"
    assert s.state.values == snap.values  # stopping ran nothing more


def test_stop_does_not_block_the_kernel_while_a_superstep_runs(
    widgets: list[LiveDebugger],
) -> None:
    w = _debug(widgets, _slow_loop(1.5), {"i": 0, "target": 5})
    s = w.session
    _send(w, live="continue")
    assert _until(lambda: len(s.history()) >= 2)  # tick is running (1.5 s)
    _send(w, live="stop")
    assert s.status == "running"  # the handler returned while tick still ran
    with pytest.raises(RuntimeError, match="stopping"):
        s.step()  # no control is accepted once stop was asked
    assert _until(lambda: w.live["status"] == "stopped")
    assert s.state.values["i"] < 5  # the superstep that ran finished; nothing after it
    assert w.live["message"] == "the session is stopped"


# --------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("content", "notice"),
    [
        ({"live": "dance"}, "dance: unknown action 'dance'"),
        ({"live": "fork", "checkpoint": "no-such-checkpoint"}, 'fork: "no checkpoint for step'),
        ({"live": "answer", "id": "x", "value": 1}, "answer: no interrupt to answer"),
        (
            {"live": "fork", "checkpoint": "?", "updates": [1, 2]},
            "fork: the edited state must be a JSON object",
        ),
        ({"live": "breakpoint", "name": "nowhere"}, "breakpoint: no node 'nowhere'"),
        ({"live": "breakpoint", "name": "a", "where": "sideways"}, "breakpoint: where must be"),
    ],
)
def test_mistakes_from_the_browser_become_a_notice(
    widgets: list[LiveDebugger], content: dict[str, Any], notice: str
) -> None:
    w = _case(widgets, "fanout_fanin")
    s = w.session
    _send(w, live="step")
    assert _done(w) == "paused"
    n = len(s.history())
    w._on_msg(w, content, [])  # does not raise
    assert w.live["notice"].startswith(notice), w.live["notice"]
    assert s.status == "paused" and len(s.history()) == n  # nothing ran
    w._on_msg(w, {"other": "message"}, [])  # not a live message: ignored
    w._on_msg(w, "text", [])
    assert w.live["notice"].startswith(notice)
    _send(w, live="step")  # the next good action clears it
    assert w.live["notice"] == ""
    assert _done(w) == "paused" and len(s.history()) == n + 1
    assert w.live["notice"] == ""


def test_act_raises_where_on_msg_reports(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "fanout_fanin")
    with pytest.raises(ValueError, match="unknown action"):
        w.act({"live": "dance"})
    with pytest.raises(RuntimeError, match="no interrupt"):
        w.act({"live": "answer", "value": 1})


# --------------------------------------------------------------------------- while it runs


def test_the_payload_grows_as_supersteps_land(widgets: list[LiveDebugger]) -> None:
    target = 60
    w = _debug(widgets, _slow_loop(0.03), {"i": 0, "target": target})
    s = w.session
    seen: list[int] = []

    def grew() -> bool:
        seen.append(len(_root_steps(w)))
        return len(set(seen)) >= 3 and s.status == "running"

    _send(w, live="continue")
    assert _until(grew), (seen, s.status)  # redrawn by itself, no refresh() called
    assert seen == sorted(seen)
    assert s.status == "running" and _root_steps(w)[-1]["step"] < target
    assert s.wait(TIMEOUT) == "completed"
    # the last redraw comes by itself too
    assert _until(lambda: w.live["status"] == "completed")
    assert _until(lambda: len(_root_steps(w)) == len(s.run.supersteps))
    assert [x["step"] for x in _root_steps(w)] == list(range(-1, target + 1))
    assert _loop_steps(s) == list(range(target + 1))


def test_close_stops_the_session(widgets: list[LiveDebugger]) -> None:
    w = _debug(widgets, _slow_loop(0.02), {"i": 0, "target": 500}, config={"recursion_limit": 2000})
    s = w.session
    _send(w, live="continue")
    assert _until(lambda: len(s.history()) >= 2)
    w.close()
    assert s.status == "stopped"
    assert s.state.next == ("tick",) and s.state.values["i"] < 500
    assert w._changed not in s._listeners
    assert not [t for t in threading.enumerate() if t.name == f"pregel-viz-live-{s.thread_id}"]
    # a closed widget's session stays stopped
    with pytest.raises(RuntimeError, match="stopped"):
        s.cont()


def test_caveats_say_what_pausing_changes(widgets: list[LiveDebugger]) -> None:
    w = _case(widgets, "hostile_values")
    (caveat,) = w.live["caveats"]
    assert caveat.startswith("opaque is an UntrackedValue channel: it is never checkpointed")


def test_every_action_answers_with_a_new_state(widgets: list[LiveDebugger]) -> None:
    """The browser disables Step/Continue until the next state: even a repeated failure,
    with the same notice, must send one."""
    w = _case(widgets, "fanout_fanin")
    states = []
    for _ in range(2):
        w._on_msg(w, {"live": "answer", "value": 1}, [])  # nothing to answer: the same notice
        states.append(dict(w.live))
    assert states[0]["notice"] == states[1]["notice"] != ""
    assert states[1]["acted"] == states[0]["acted"] + 1


def test_compare_sends_the_fork_beside_the_branch_it_left(
    widgets: list[LiveDebugger],
) -> None:
    from pregel_viz.views.compare_view import fork_payload

    w = _case(widgets, "fanout_fanin")
    sent: list[Any] = []
    w.send = sent.append  # type: ignore[method-assign]  # what the browser would receive
    _send(w, live="continue")
    assert _done(w) == "completed"
    _send(w, live="compare")  # one branch: nothing to compare, said so
    assert not [m for m in sent if "compare" in m] and "one branch" in w.live["notice"]
    _send(w, live="fork", checkpoint=_checkpoint_at(w.session, 1), updates={"log": ["E"]})
    assert _done(w) == "completed"
    _send(w, live="compare")
    assert w.live["notice"] == ""
    (message,) = [m for m in sent if "compare" in m]  # the rest are the supersteps appended
    doc = message["compare"]
    assert doc == fork_payload(w.session.run, thread=w.session.thread_id)
    assert doc["comparison"]["labels"] == ["parent", "fork"]
    assert not doc["comparison"]["identical"]


# --------------------------------------------------------------------------- only what changed


class _Browser:
    """What a view does with the widget's messages: the whole document from the ``_payload``
    trait, then each append applied to it (pregel_viz.views.live_widget.apply_append, the
    same rules as live.ts). Records the size of every append."""

    def __init__(self, w: LiveDebugger) -> None:
        self.w = w
        self.doc: dict[str, Any] = json.loads(w._payload)
        self.seq = w.live["payload_seq"]
        self.appended: list[dict[str, Any]] = []
        self.full = 0
        w.observe(self._payload, names="_payload")
        w.send = self._custom  # type: ignore[method-assign]

    def _payload(self, change: Any) -> None:
        self.doc = json.loads(change["new"])
        self.seq = self.w._payload_seq
        self.full += 1

    def _custom(self, content: Any, buffers: Any = None) -> None:
        if "append" not in content:
            return
        message = content["append"]
        assert message["base"] == self.seq, "an append that does not follow the document"
        apply_append(self.doc, message)
        self.seq = message["seq"]
        self.appended.append(message)


def _expected(w: LiveDebugger) -> dict[str, Any]:
    """The whole document built afresh from the run, as the controls word its outcome."""
    doc = build_payload(w.session.run)
    for thread in doc["threads"]:
        if w.live["status"] == "paused" and thread["outcome"]["status"] == "interrupted":
            thread["outcome"] = {**thread["outcome"], "status": "paused"}
    return doc


def test_stepping_sends_only_the_new_supersteps(widgets: list[LiveDebugger]) -> None:
    w = _debug(widgets, _slow_loop(0), {"i": 0, "target": 30})
    browser = _Browser(w)
    for _ in range(6):
        _send(w, live="step")
        _done(w)
        assert browser.doc == _expected(w) == w.document()
    assert browser.full == 0  # after the first document: appends only
    # each Step adds one superstep: the append carries it and the last one shown, not all
    sizes = [
        len(n["steps"])
        for m in browser.appended
        for t in m.get("threads", [])
        for n in t["namespaces"]
    ]
    assert sizes and max(sizes) <= 3, sizes
    first = [
        n["from"] for m in browser.appended[-3:] for t in m["threads"] for n in t["namespaces"]
    ]
    assert min(first) >= 3  # the entries before are not sent again
    # a Step pauses the run: the toolbar's outcome says what the controls say
    assert w.live["status"] == "paused"
    assert browser.doc["threads"][0]["outcome"]["status"] == "paused"
    _send(w, live="continue")
    assert _done(w) == "completed"
    assert browser.doc == _expected(w) == w.document()
    assert browser.doc["threads"][0]["outcome"]["status"] == "completed"


def test_an_answer_a_fork_and_a_late_view_keep_the_document_whole(
    widgets: list[LiveDebugger],
) -> None:
    case = CASES["interrupt_twice"]
    w = _debug(widgets, case.build(None), case.input)
    browser = _Browser(w)
    _send(w, live="continue")
    assert _done(w) == "interrupted"
    assert browser.doc["threads"][0]["outcome"]["status"] == "interrupted"  # not "paused"
    _send(w, live="answer", value="yes")  # the interrupted step's task is told again
    _done(w)
    assert browser.doc == _expected(w)
    resumed = [t for s in browser.doc["threads"][0]["namespaces"][0]["steps"] for t in s["tasks"]]
    assert any(t["resumes"] == ["yes"] for t in resumed)
    _send(w, live="answer", value="no")
    _send(w, live="answer", value="ok") if w.session.wait(TIMEOUT) == "interrupted" else None
    _done(w)
    _send(w, live="fork", checkpoint=_checkpoint_at(w.session, 1), updates={"answers": ["E"]})
    _done(w)
    assert browser.doc == _expected(w) == w.document()
    assert browser.full == 0
    # a view opened now starts from the last whole document, older than the appends since:
    # the next append does not follow it, so it asks for the whole document (live.ts)
    late = _Browser(w)
    assert late.seq == w.live["payload_seq"] < w._seq and late.doc != _expected(w)
    _send(w, live="sync")
    assert late.full == 1 and late.doc == _expected(w) and late.seq == w._seq
    assert browser.doc == late.doc


def test_a_displayed_session_brings_its_output_up_to_date_when_it_ends(
    widgets: list[LiveDebugger], monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "update_display", lambda data, **kw: shown.append(data))
    w = _case(widgets, "fanout_fanin")
    w._display_id = "pregel-viz-live-test"  # as _ipython_display_ sets it
    done = threading.Event()
    ended = lambda: (_send(w, live="continue"), _done(w), done.set())  # noqa: E731
    threading.Thread(target=ended, daemon=True).start()
    assert done.wait(TIMEOUT), "a redraw at the end of the run never returned"
    (data,) = shown  # once, at the end: the saved notebook keeps the run as it ended
    assert unpack_document(data[MIME]) == w.document() == _expected(w)
