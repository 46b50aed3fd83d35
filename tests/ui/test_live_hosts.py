"""A live session in both notebook front-ends, JupyterLab 4 and Notebook 7, driven from the
widget's controls in headless Chromium: the words the controls use (one word per state, the
same in the live bar and the toolbar), the buttons that stay in place, a breakpoint that is
also the next node, a Step told as a pause, the answer to an interrupt shown where it was
given, and a long run drawn from appends (only the new supersteps are sent).

Every effect on the graph is checked against LangGraph's own ``get_state_history``, printed by
the kernel. Set ``PREGEL_VIZ_SHOTS`` to a folder to keep the screenshots the test takes.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from lab_driver import PANEL, Notebook, guarded, write_notebook
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

pytestmark = pytest.mark.ui

GRAPHS = textwrap.dedent(
    '''
    """Graphs for the live sessions of both front-ends."""
    import json
    import operator
    from typing import Annotated, TypedDict

    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt


    class FlagState(TypedDict, total=False):
        log: Annotated[list[str], operator.add]
        flag: bool


    def linear():
        """x -> y -> z."""
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


    def loop(target):
        """tick counts to ``target``, one superstep each."""
        g = StateGraph(LoopState)
        g.add_node("tick", lambda s: {"i": s["i"] + 1})
        g.add_edge(START, "tick")
        g.add_conditional_edges("tick", lambda s: "tick" if s["i"] < target else END)
        return g.compile()


    def probe(w):
        """The session and LangGraph's own history of its thread, as one JSON line."""
        s = w.session
        s.wait(60)
        history = [
            {"step": h.metadata["step"], "source": h.metadata["source"], "values": h.values}
            for h in reversed(list(s.history()))
        ]
        print(json.dumps({
            "status": s.status,
            "next": list(s.state.next),
            "values": s.state.values,
            "history": history,
            "whole_documents": w.live["payload_seq"],
            "changes": w.live["seq"],
        }))
    '''
)


class Notebook7(Notebook):
    """One notebook open in Notebook 7 (served by the same server, at /notebooks/)."""

    def __init__(self, page: Any, lab: Any, name: str, timeout: float = 60_000) -> None:
        self.page = page
        self.lab = lab
        self.name = name
        self.timeout = timeout
        self.retries = []
        page.set_default_timeout(timeout)
        page.goto(f"{lab.url}/notebooks/{name}?token={lab.token}")
        self.panel = page.locator(PANEL)
        expect(self.panel.locator(".jp-Cell").first).to_be_visible(timeout=timeout)
        lab.wait_kernel_idle(name, timeout=timeout / 1000)
        expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
            1, timeout=timeout
        )


def _probe(nb: Notebook, cell: int) -> dict[str, Any]:
    return dict(json.loads(nb.run_and_read(cell)))


def _click(root: Any, cls: str) -> None:
    button = root.locator(f".pv-live-bar button.{cls}")
    expect(button).to_be_enabled()
    button.click()


def _shot(page: Any, root: Any, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("PREGEL_VIZ_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    root.scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"{name}.png"))


@pytest.mark.parametrize("host", ["lab", "notebook7"])
def test_live_session_words_and_appends(lab: Any, page: Any, tmp_path: Path, host: str) -> None:
    name = f"live_{host}.ipynb"
    (lab.root / "live_hosts_graphs.py").write_text(GRAPHS)
    write_notebook(
        lab.root / name,
        [
            "import pregel_viz\nfrom live_hosts_graphs import asking, linear, loop, probe",  # 0
            'w1 = pregel_viz.debug(linear(), {"log": []})\nw1',  # 1
            "probe(w1)",  # 2
            'w2 = pregel_viz.debug(asking(), {"log": []})\nw2',  # 3
            "probe(w2)",  # 4
            'w3 = pregel_viz.debug(loop(300), {"i": 0}, config={"recursion_limit": 1000})\nw3',  # 5
            "probe(w3)",  # 6
        ],
    )
    page.set_viewport_size({"width": 1500, "height": 1000})
    with guarded(page):
        nb = (Notebook7 if host == "notebook7" else Notebook)(page, lab, name)
        nb.run(0)
        nb.run(1)
        root = nb.output(1).locator(".pregel-viewer")
        viewer = ViewerDriver(root, timeout=30_000)
        viewer.wait_ready()
        expect(root).to_have_attribute("data-live-status", "paused")
        edit = root.locator(".pv-live-bar button.pv-live-edit")
        places = {"before": edit.bounding_box()["x"]}

        # a breakpoint before y, set by clicking the node
        root.locator('svg g.pv-node[data-name="y"]').click()
        root.locator('.pv-node-menu[data-node="y"] button.pv-menu-before').click()
        node_y = root.locator('svg g.pv-node[data-name="y"]')
        expect(node_y).to_have_class(re.compile(r"\bpv-bp-before\b"))

        # Continue stops before y: the live bar and the toolbar say the same word
        _click(root, "pv-live-continue")
        expect(root.locator(".pv-live-message")).to_contain_text("breakpoint before y")
        p = _probe(nb, 2)
        assert p["status"] == "paused" and p["next"] == ["y"] and p["values"] == {"log": ["x"]}
        expect(root.locator(".pv-live-status")).to_have_text("paused")
        expect(root.locator(".pv-outcome-chip")).to_have_text("paused")
        # y is both "break before" and next: solid outline (a "break after" is dashed), and
        # "next" as a glow
        expect(node_y).to_have_class(re.compile(r"\bpv-next\b"))
        shape = node_y.locator("path, polygon, ellipse").first
        assert shape.evaluate("e => getComputedStyle(e).strokeDasharray") in ("none", "")
        assert "drop-shadow" in node_y.evaluate("e => getComputedStyle(e).filter")
        places["at the breakpoint"] = edit.bounding_box()["x"]
        _shot(page, root, tmp_path, f"{host}-live-at-breakpoint")

        # Step runs y alone, told as a pause (not a breakpoint), with no call numbers
        _click(root, "pv-live-step")
        expect(root.locator(".pv-live-message")).to_contain_text("stepped one superstep")
        p = _probe(nb, 2)
        assert p["values"] == {"log": ["x", "y"], "flag": True} and p["next"] == ["z"]
        viewer.expect(step=2)
        told = " ".join(root.locator(".pv-narration-item").all_inner_texts())
        assert "Run 2 paused here before z started" in told, told
        assert not re.search(r"breakpoint|[Cc]all \d|branch:to:", told), told
        places["after a step"] = edit.bounding_box()["x"]

        # Continue to the end: nothing left to stop, and the buttons never moved
        _click(root, "pv-live-continue")
        expect(root).to_have_attribute("data-live-status", "completed")
        expect(root.locator(".pv-outcome-chip")).to_have_text("completed")
        expect(root.locator(".pv-live-bar button.pv-live-stop")).to_be_disabled()
        places["completed"] = edit.bounding_box()["x"]
        assert len(set(places.values())) == 1, places
        assert _probe(nb, 2)["values"]["log"] == ["x", "y", "z"]

        # interrupt(): both bars say "interrupted"; the answer shows where it was given
        nb.run(3)
        root2 = nb.output(3).locator(".pregel-viewer")
        viewer2 = ViewerDriver(root2, timeout=30_000)
        viewer2.wait_ready()
        _click(root2, "pv-live-continue")
        expect(root2).to_have_attribute("data-live-status", "interrupted")
        expect(root2.locator(".pv-live-status")).to_have_text("interrupted")
        expect(root2.locator(".pv-outcome-chip")).to_contain_text("interrupted")
        expect(root2.locator(".pv-interrupt .pv-interrupt-value")).to_contain_text("favourite")
        _shot(page, root2, tmp_path, f"{host}-live-paused-at-interrupt")
        root2.locator(".pv-interrupt textarea.pv-answer-text").fill("blue")
        root2.locator(".pv-interrupt button.pv-answer-submit").click()
        expect(root2).to_have_attribute("data-live-status", "completed")
        assert _probe(nb, 4)["values"] == {"colour": "blue", "log": ["ask", "done:blue"]}
        viewer2.first()
        while viewer2.attr("data-step") != "1":
            viewer2.next()
        expect(root2.locator(".pv-sentence").first).to_contain_text(
            'ask was interrupted, then resumed with "blue"'
        )
        told = " ".join(root2.locator(".pv-narration-item").all_inner_texts())
        assert "resumed it with the answer 'blue'" in told, told
        _shot(page, root2, tmp_path, f"{host}-live-answer-shown")

        # a long run: 300 supersteps reach the view as appends, not as whole documents
        nb.run(5)
        root3 = nb.output(5).locator(".pregel-viewer")
        ViewerDriver(root3, timeout=30_000).wait_ready()
        _click(root3, "pv-live-continue")
        expect(root3).to_have_attribute("data-live-status", "completed", timeout=120_000)
        p = _probe(nb, 6)
        assert p["values"] == {"i": 300} and len(p["history"]) == 302
        expect(root3.locator(".pv-step-label")).to_contain_text("of 300")
        ViewerDriver(root3, timeout=30_000).expect(step=300)
        assert p["whole_documents"] == 1 < p["changes"]  # the first document, then appends
