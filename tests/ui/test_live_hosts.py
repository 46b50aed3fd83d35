"""A live session in both notebook front-ends, JupyterLab 4 and Notebook 7, driven from the
widget's controls in headless Chromium: the words the controls use (one word per state, the
same in the live bar and the toolbar), the buttons that stay in place, a breakpoint that is
also the next node, a Step told as a pause, the answer to an interrupt shown where it was
given, and a long run drawn from appends (only the new supersteps are sent).

Every effect on the graph is checked against LangGraph's own ``get_state_history``, printed by
the kernel. Set ``PREGEL_VIZ_SHOTS`` to a folder to keep the screenshots the test takes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from lab_driver import PANEL, Notebook, guarded, write_notebook
from live_driver import click, probe, show, write_graphs
from playwright.sync_api import expect

pytestmark = pytest.mark.ui


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


def _shot(page: Any, root: Any, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("PREGEL_VIZ_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    root.scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"{name}.png"))


@pytest.mark.parametrize("host", ["lab", "notebook7"])
def test_live_session_words_and_appends(lab: Any, page: Any, tmp_path: Path, host: str) -> None:
    name = f"live_{host}.ipynb"
    write_graphs(lab.root)
    write_notebook(
        lab.root / name,
        [
            "import pregel_viz\nfrom live_graphs import asking, linear, loop, probe",  # 0
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
        viewer = show(nb, 1)
        root = viewer.root
        expect(root).to_have_attribute("data-live-status", "paused")
        edit = root.locator(".pv-live-bar button.pv-live-edit")
        places = {"before": edit.bounding_box()["x"]}

        # a breakpoint before y, set by clicking the node
        root.locator('svg g.pv-node[data-name="y"]').click()
        root.locator('.pv-node-menu[data-node="y"] button.pv-menu-before').click()
        node_y = root.locator('svg g.pv-node[data-name="y"]')
        expect(node_y).to_have_class(re.compile(r"\bpv-bp-before\b"))

        # Continue stops before y: the live bar and the toolbar say the same word
        click(root, "pv-live-continue")
        expect(root.locator(".pv-live-message")).to_contain_text("breakpoint before y")
        p = probe(nb, 2)
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
        click(root, "pv-live-step")
        expect(root.locator(".pv-live-message")).to_contain_text("stepped one superstep")
        p = probe(nb, 2)
        assert p["values"] == {"log": ["x", "y"], "flag": True} and p["next"] == ["z"]
        viewer.expect(step=2)
        told = " ".join(root.locator(".pv-narration-item").all_inner_texts())
        assert "Run 2 paused here before z started" in told, told
        assert not re.search(r"breakpoint|[Cc]all \d|branch:to:", told), told
        places["after a step"] = edit.bounding_box()["x"]

        # Continue to the end: nothing left to stop, and the buttons never moved
        click(root, "pv-live-continue")
        expect(root).to_have_attribute("data-live-status", "completed")
        expect(root.locator(".pv-outcome-chip")).to_have_text("completed")
        expect(root.locator(".pv-live-bar button.pv-live-stop")).to_be_disabled()
        places["completed"] = edit.bounding_box()["x"]
        assert len(set(places.values())) == 1, places
        assert probe(nb, 2)["values"]["log"] == ["x", "y", "z"]

        # interrupt(): both bars say "interrupted"; the answer shows where it was given
        viewer2 = show(nb, 3)
        root2 = viewer2.root
        click(root2, "pv-live-continue")
        expect(root2).to_have_attribute("data-live-status", "interrupted")
        expect(root2.locator(".pv-live-status")).to_have_text("interrupted")
        expect(root2.locator(".pv-outcome-chip")).to_contain_text("interrupted")
        expect(root2.locator(".pv-interrupt .pv-interrupt-value")).to_contain_text("favourite")
        _shot(page, root2, tmp_path, f"{host}-live-paused-at-interrupt")
        root2.locator(".pv-interrupt textarea.pv-answer-text").fill("blue")
        root2.locator(".pv-interrupt button.pv-answer-submit").click()
        expect(root2).to_have_attribute("data-live-status", "completed")
        assert probe(nb, 4)["values"] == {"colour": "blue", "log": ["ask", "done:blue"]}
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
        viewer3 = show(nb, 5)
        root3 = viewer3.root
        click(root3, "pv-live-continue")
        expect(root3).to_have_attribute("data-live-status", "completed", timeout=120_000)
        p = probe(nb, 6)
        assert p["values"] == {"i": 300} and len(p["history"]) == 302
        expect(root3.locator(".pv-step-label")).to_have_text("step 300 · 301 supersteps")
        viewer3.expect(step=300)
        assert p["whole_documents"] == 1 < p["changes"]  # the first document, then appends
