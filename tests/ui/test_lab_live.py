"""Live debugging in a real JupyterLab: ``pregel_viz.debug`` driven from the widget's controls.

Every control is clicked in headless Chromium (a breakpoint set by clicking a graph node, Step,
Continue, Edit & fork, answering an ``interrupt()``), and every effect on the graph is checked
against LangGraph's own ``get_state_history``, printed by the kernel.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from lab_driver import Notebook, write_notebook
from live_driver import click, probe, show, write_graphs
from playwright.sync_api import expect

from pregel_viz.views.assets import MIME

pytestmark = pytest.mark.ui


def _wait_message(root: Any, text: str) -> None:
    expect(root.locator(".pv-live-message")).to_contain_text(text)


def test_live_session_in_jupyterlab(lab: Any, page: Any) -> None:
    write_graphs(lab.root)
    write_notebook(
        lab.root / "live.ipynb",
        [
            "import pregel_viz\nfrom live_graphs import asking, linear, probe, slow_loop",  # 0
            'w1 = pregel_viz.debug(linear(), {"log": []})\nw1',  # 1
            "probe(w1)",  # 2
            'w2 = pregel_viz.debug(asking(), {"log": []})\nw2',  # 3
            "probe(w2)",  # 4
            "print(w1.step)",  # 5
            'w3 = pregel_viz.debug(slow_loop(0.2, 200), {"i": 0})\nw3',  # 6
            'print("kernel free while", w3.session.status)',  # 7
            "probe(w3)",  # 8
        ],
    )
    nb = Notebook(page, lab, "live.ipynb")
    nb.run(0)
    viewer = show(nb, 1)
    root = viewer.root
    expect(root).to_have_attribute("data-live-status", "paused")
    assert probe(nb, 2)["history"] == []  # nothing runs before a control

    # --- a breakpoint set by clicking a node of the graph
    root.locator('svg g.pv-node[data-name="y"]').click()
    menu = root.locator('.pv-node-menu[data-node="y"]')
    expect(menu).to_be_visible()
    expect(menu.locator("button.pv-menu-before")).to_have_attribute("aria-checked", "false")
    menu.locator("button.pv-menu-before").click()
    expect(root.locator('.pv-bp-chip[data-where="before"][data-name="y"]')).to_be_visible()
    node_y = root.locator('svg g.pv-node[data-name="y"]')
    expect(node_y).to_have_class(re.compile(r"\bpv-bp-before\b"))
    assert probe(nb, 2)["breakpoints"] == {"before": ["y"], "after": [], "write": []}

    # --- Continue: runs x, then stops before y (the breakpoint); the view follows the run
    click(root, "pv-live-continue")
    _wait_message(root, "breakpoint before y")
    p = probe(nb, 2)
    assert p["status"] == "paused" and p["next"] == ["y"]
    assert p["values"] == {"log": ["x"]}
    assert [h["source"] for h in p["history"]] == ["input", "loop", "loop"]
    viewer.expect(step=p["step"])

    # --- Step runs exactly one superstep (y only); Continue runs to the end
    click(root, "pv-live-step")
    _wait_message(root, "stepped one superstep")
    p = probe(nb, 2)
    assert p["values"] == {"log": ["x", "y"], "flag": True} and p["next"] == ["z"]
    viewer.expect(step=p["step"])
    click(root, "pv-live-continue")
    expect(root).to_have_attribute("data-live-status", "completed")
    done = probe(nb, 2)
    assert done["status"] == "completed" and done["values"]["log"] == ["x", "y", "z"]
    assert [h["step"] for h in done["history"]] == [-1, 0, 1, 2, 3]
    viewer.expect(step=3)

    # --- time travel: back to step 1, edit the state (validated), fork
    x_step = next(h for h in done["history"] if h["step"] == 1)
    viewer.first()
    while viewer.attr("data-step") != "1":
        viewer.next()
    click(root, "pv-live-edit")
    editor = root.locator(".pv-editor")
    expect(editor).to_be_visible()
    # the step in words; its checkpoint id one hover away
    expect(editor.locator(".pv-editor-title")).to_have_attribute(
        "title", f"checkpoint {x_step['id']}"
    )
    text = editor.locator("textarea.pv-editor-text")
    assert json.loads(text.input_value()) == x_step["values"]
    text.fill('{"log": ["EDIT"')  # invalid JSON: said so, and Fork is disabled
    expect(editor.locator(".pv-validation")).to_contain_text("not valid JSON")
    expect(editor.locator("button.pv-editor-fork")).to_be_disabled()
    text.fill('{"log": ["EDIT"]}')
    expect(editor.locator(".pv-validation")).to_contain_text("changes log")
    editor.locator("button.pv-editor-fork").click()
    fork_col = root.locator(".pv-timeline .pv-tl-col.pv-fork")
    expect(fork_col).to_have_count(1)
    expect(root).to_have_attribute("data-live-status", "completed")
    forked = probe(nb, 2)
    update = next(h for h in forked["history"] if h["source"] == "update")
    assert update["parent"] == x_step["id"] and update["values"] == {"log": ["EDIT"]}
    assert forked["values"]["log"] == ["EDIT", "y", "z"]
    old_ids = {h["id"] for h in done["history"]}
    assert old_ids <= {h["id"] for h in forked["history"]}  # the old branch is kept
    # the widget compares the fork with the branch it left, and shows them side by side
    expect(root.locator(".pv-live-fork")).to_contain_text("Fork vs the branch it left")
    root.locator(".pv-live-fork button.pv-live-compare").click()
    sbs = root.locator(".pv-live-compare-box .pv-compare")
    expect(sbs).to_have_attribute("data-ready", "1")
    expect(sbs.locator(".pregel-viewer")).to_have_count(2)
    root.locator("button.pv-live-compare-close").click()
    expect(sbs).to_have_count(0)
    # the view followed the fork to its end, on branch 1; the old branch is still browsable
    viewer.expect(step=forked["step"])
    assert root.locator(".pv-tl-col.pv-current").get_attribute("data-branch") == "1"
    expect(root.locator(".pv-step-label")).to_contain_text("branch 2")
    # the timeline is a tree: it draws the fork's path (the steps it shares with the old
    # branch up to step 1, then its own), so the old branch's last step is not on screen: the
    # branch switch on the fork's first column goes to the old branch, End to its last step
    cols = root.locator(".pv-timeline .pv-tl-col")
    branches = cols.evaluate_all("els => els.map(e => e.dataset.branch)")
    assert branches == ["0", "0", "0", "1", "1", "1"]
    switch = root.locator(".pv-tl-col.pv-fork .pv-tl-switch")
    expect(switch).to_have_attribute("data-branches", "2/2")
    switch.locator("button").first.click()
    viewer.expect(step=2)
    expect(root.locator(".pv-step-label")).not_to_contain_text("branch")
    assert cols.evaluate_all("els => els.map(e => e.dataset.branch)") == ["0"] * 5
    root.focus()
    page.keyboard.press("End")  # the old branch's end, not the fork's
    viewer.expect(step=3)
    page.keyboard.press("ArrowRight")  # and no further: the fork is another branch
    viewer.expect(step=3)
    assert root.locator(".pv-tl-col.pv-current").get_attribute("data-branch") == "0"
    page.keyboard.press("ArrowLeft")
    viewer.expect(step=2)
    cols.last.click()  # the old branch's last column
    viewer.expect(step=3)
    expect(root.locator(".pv-step-label")).not_to_contain_text("branch")
    assert nb.run_until(5, "3") == "3"  # the widget's step follows the view

    # --- interrupts: the value is shown, the answer resumes the graph
    root2 = show(nb, 3).root
    root2.focus()
    page.keyboard.press("F8")  # Continue, the browsers' debugger key
    expect(root2).to_have_attribute("data-live-status", "interrupted")
    waiting = probe(nb, 4)
    assert waiting["interrupts"] == [{"question": "favourite colour?"}]
    shown = root2.locator(".pv-interrupt .pv-interrupt-value")
    assert json.loads(shown.inner_text()) == waiting["interrupts"][0]
    root2.locator(".pv-interrupt textarea.pv-answer-text").fill("blue")
    root2.locator(".pv-interrupt button.pv-answer-submit").click()
    expect(root2).to_have_attribute("data-live-status", "completed")
    answered = probe(nb, 4)
    assert answered["values"] == {"colour": "blue", "log": ["ask", "done:blue"]}
    assert answered["history"][-1]["values"] == answered["values"]
    expect(root2.locator(".pv-interrupt")).to_be_hidden()

    # --- the kernel stays free while the graph runs; Pause stops it before a superstep
    viewer3 = show(nb, 6)
    root3 = viewer3.root
    click(root3, "pv-live-continue")
    expect(root3).to_have_attribute("data-live-status", "running")
    assert nb.run_and_read(7) == "kernel free while running"
    expect(root3.locator(".pv-timeline .pv-tl-col")).not_to_have_count(0)  # steps land live
    click(root3, "pv-live-pause")
    expect(root3).to_have_attribute("data-live-status", "paused")
    _wait_message(root3, "paused")
    paused = probe(nb, 8)
    assert paused["status"] == "paused" and 0 < paused["values"]["i"] < 200
    loops = [h for h in paused["history"] if h["source"] == "loop"]
    assert loops[-1]["values"] == paused["values"] and paused["next"] == ["tick"]
    viewer3.expect(step=paused["step"])
    click(root3, "pv-live-continue")
    expect(root3).to_have_attribute("data-live-status", "running")
    click(root3, "pv-live-stop")
    expect(root3).to_have_attribute("data-live-status", "stopped")
    stopped = probe(nb, 8)
    assert stopped["status"] == "stopped" and stopped["values"]["i"] < 200
    for b in ("step", "continue", "pause", "stop"):
        expect(root3.locator(f".pv-live-bar button.pv-live-{b}")).to_be_disabled()

    # the notebook's copy of a live output follows the run (with no re-render of the view):
    # saved mid-session, the notebook holds the run so far, fork included
    handle = root.element_handle()
    _saved_branches(page, nb, lab.root / "live.ipynb", cell=1, want={0, 1})
    assert handle.evaluate("e => e.isConnected")  # the same view, never re-created
    assert page.errors == []


def _saved_branches(page: Any, nb: Notebook, path: Any, cell: int, want: set[int]) -> None:
    """Save the notebook (Ctrl+S) until the pregel-viz output of ``cell`` on disk holds the
    branches ``want`` (a live output's data is brought up to date at most every second)."""
    deadline = time.monotonic() + 30
    found: set[int] = set()
    while time.monotonic() < deadline:
        nb.prompt(len(nb.panel.locator(".jp-Notebook .jp-Cell").all()) - 1).click()
        page.keyboard.press("Control+s")  # saving takes a moment: the loop reads until it lands
        try:
            book = json.loads(path.read_text())
        except ValueError:  # caught mid-write
            time.sleep(0.3)
            continue
        outputs = book["cells"][cell]["outputs"]
        docs = [o["data"][MIME] for o in outputs if MIME in o.get("data", {})]
        threads = docs[0]["threads"] if docs else []
        if threads:
            (root_ns,) = [n for n in threads[0]["namespaces"] if n["ns"] == ""]
            found = {s["branch"] for s in root_ns["steps"]}
            if found == want:
                return
        time.sleep(0.5)
    raise AssertionError(f"the saved output holds branches {found}, not {want}")
