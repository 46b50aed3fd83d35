"""A live ``pregel_viz.debug`` session in a notebook, driven from the widget's controls.

The graphs the live-session tests run (written next to the notebook as a module), the kernel's
report of a session next to LangGraph's own ``get_state_history``, and a click on a live-bar
button that waits for it to be enabled.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path
from typing import Any

from lab_driver import Notebook
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

MODULE = "live_graphs"

GRAPHS = textwrap.dedent(
    '''
    """Graphs for the live-session browser tests."""
    import json
    import operator
    import time
    from typing import Annotated, TypedDict

    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt


    class FlagState(TypedDict, total=False):
        log: Annotated[list[str], operator.add]
        flag: bool


    def linear():
        """x -> y -> z; only y writes flag."""
        g = StateGraph(FlagState)
        g.add_node("x", lambda s: {"log": ["x"]})
        g.add_node("y", lambda s: {"log": ["y"], "flag": True})
        g.add_node("z", lambda s: {"log": ["z"]})
        g.add_edge(START, "x")
        g.add_edge("x", "y")
        g.add_edge("y", "z")
        g.add_edge("z", END)
        return g.compile()


    class AskState(TypedDict, total=False):
        colour: str
        log: Annotated[list[str], operator.add]


    def asking():
        """ask (interrupt) -> done."""
        def ask(s):
            return {"colour": interrupt({"question": "favourite colour?"}), "log": ["ask"]}

        g = StateGraph(AskState)
        g.add_node("ask", ask)
        g.add_node("done", lambda s: {"log": ["done:" + s["colour"]]})
        g.add_edge(START, "ask")
        g.add_edge("ask", "done")
        g.add_edge("done", END)
        return g.compile()


    class LoopState(TypedDict):
        i: int


    def slow_loop(delay, target):
        """tick sleeps ``delay`` s and counts to ``target``, one superstep each."""
        def tick(s):
            if delay:
                time.sleep(delay)
            return {"i": s["i"] + 1}

        g = StateGraph(LoopState)
        g.add_node("tick", tick)
        g.add_edge(START, "tick")
        g.add_conditional_edges("tick", lambda s: "tick" if s["i"] < target else END)
        return g.compile()


    def loop(target):
        """tick counts to ``target`` at full speed."""
        return slow_loop(0, target)


    def probe(w):
        """The session and LangGraph's own history of its thread, as one JSON line."""
        s = w.session
        s.wait(60)
        history = [
            {
                "step": h.metadata["step"],
                "source": h.metadata["source"],
                "id": h.config["configurable"]["checkpoint_id"],
                "parent": (h.parent_config or {}).get("configurable", {}).get("checkpoint_id"),
                "values": h.values,
                "next": list(h.next),
            }
            for h in reversed(list(s.history()))
        ]
        state = s.state
        print(json.dumps({
            "status": s.status,
            "message": s.message,
            "breakpoints": s.breakpoints,
            "next": list(state.next),
            "values": state.values,
            "step": (state.metadata or {}).get("step"),
            "interrupts": [i.value for i in state.interrupts],
            "history": history,
            "whole_documents": w.live["payload_seq"],
            "changes": w.live["seq"],
        }))
    '''
)


def write_graphs(folder: Path) -> None:
    """Put the graphs next to the notebooks, importable as ``live_graphs``."""
    (folder / f"{MODULE}.py").write_text(GRAPHS)


def probe(nb: Notebook, cell: int) -> dict[str, Any]:
    """Run the notebook's ``probe(w)`` cell and read what it printed, once the whole line is
    shown (a long run's history is a long line, rendered after the output is attached)."""
    nb.run(cell)
    out = nb.output(cell).locator(".jp-OutputArea-output").first
    deadline = time.monotonic() + nb.timeout / 1000
    while True:
        expect(out).to_have_text(re.compile(r"^\s*\{.*\}\s*$", re.DOTALL), timeout=nb.timeout)
        # the output area may re-render the line between the check and the read (a long
        # stream output is replaced once it is merged): read again until it parses
        try:
            return dict(json.loads(out.inner_text()))
        except ValueError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def click(root: Any, cls: str) -> None:
    """Click the live bar's button ``cls`` once it is enabled."""
    button = root.locator(f".pv-live-bar button.{cls}")
    expect(button).to_be_enabled()
    button.click()


def show(nb: Notebook, cell: int) -> ViewerDriver:
    """Run the cell that shows a debug widget; its viewer, once ready."""
    nb.run(cell)
    viewer = ViewerDriver(nb.output(cell).locator(".pregel-viewer"), timeout=30_000)
    viewer.wait_ready()
    return viewer
