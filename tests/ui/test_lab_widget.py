"""The notebook widget (``pregel_viz.Debugger``) and ``display(run)`` in a real JupyterLab 4.

A real server (the ``lab`` fixture), a real kernel, anywidget's front end and headless Chromium:
the position is synced both ways between the viewer and the widget's traits.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_driver import Notebook, guarded, write_notebook
from viewer_driver import SAMPLE, ViewerDriver, expected_entries, subgraph_ns

import pregel_viz

pytestmark = pytest.mark.ui

TESTS = Path(__file__).resolve().parents[1]


def _where(nb: Notebook, cell: int) -> str:
    """What ``print(w.thread, w.ns or "root", w.step)`` prints."""
    return nb.run_and_read(cell)


@pytest.fixture()
def lab_page(page: Any) -> Iterator[Any]:
    with guarded(page):
        yield page


def test_debugger_widget_syncs_both_ways(lab: Any, lab_page: Any) -> None:
    page = lab_page
    shutil.copy(SAMPLE, lab.root / "sample.pregel")
    run = pregel_viz.load(SAMPLE)
    entries = expected_entries(run, "happy", "")
    sub = subgraph_ns(run, "happy", "summarize")
    sub_entries = expected_entries(run, "happy", sub)
    index_of = {e.step: i for i, e in enumerate(entries)}
    where = 'print(w.thread, w.ns or "root", w.step)'
    write_notebook(
        lab.root / "widget.ipynb",
        [
            "import pregel_viz\n"
            'run = pregel_viz.load("sample.pregel")\n'
            'w = pregel_viz.Debugger(run, thread="happy")\n'
            "w",  # 0: the widget
            where,  # 1
            "w.step = 2",  # 2
            "w.step = 99",  # 3: no such step: the view shows the last one and says so
            f"with w.hold_sync():\n    w.ns = {sub!r}\n    w.step = 1",  # 4
            'w.thread = "failing"',  # 5: that thread has no such namespace: its root
        ],
    )
    nb = Notebook(page, lab, "widget.ipynb")
    nb.run(0)
    viewer = ViewerDriver(nb.output(0).locator(".pregel-viewer"), timeout=30_000)
    viewer.wait_ready()
    # the widget opens on the thread asked for, at its input (as every host opens a finished run)
    viewer.expect(thread="happy", ns="")
    viewer.expect_entry(entries, 0)
    assert nb.panel.locator(".jp-OutputArea img").count() == 0

    # browser → Python
    viewer.next()
    viewer.expect_entry(entries, 1)
    viewer.next()
    viewer.expect_entry(entries, 2)
    step = viewer.attr("data-step")
    assert nb.run_until(1, f"happy root {step}") == f"happy root {step}"
    viewer.prev()
    viewer.expect_entry(entries, 1)
    step = viewer.attr("data-step")
    assert nb.run_until(1, f"happy root {step}") == f"happy root {step}"

    # Python → browser
    nb.run(2)
    viewer.expect_entry(entries, index_of[2])
    assert viewer.active() == ["worker"]
    assert _where(nb, 1) == "happy root 2"
    nb.run(3)
    viewer.expect_entry(entries, len(entries) - 1)
    viewer.assert_hostile_strings_are_text()  # the hostile values are in the last step
    last = entries[-1].step
    assert nb.run_until(1, f"happy root {last}") == f"happy root {last}"

    # a subgraph, opened in the browser, then back through the breadcrumb
    viewer.open_subgraph("summarize")
    viewer.expect(ns=sub)
    viewer.expect_entry(sub_entries, 0)
    first_sub = sub_entries[0].step
    assert nb.run_until(1, f"happy {sub} {first_sub}") == f"happy {sub} {first_sub}"
    viewer.breadcrumb_back("")
    viewer.expect(ns="")
    viewer.expect_entry(entries, len(entries) - 1)
    assert nb.run_until(1, f"happy root {last}") == f"happy root {last}"

    # a subgraph opened from Python
    nb.run(4)
    viewer.expect(ns=sub, step=1)
    viewer.expect_entry(sub_entries, next(i for i, e in enumerate(sub_entries) if e.step == 1))
    assert viewer.active() == ["count"]
    assert _where(nb, 1) == f"happy {sub} 1"

    # another thread from Python: it has no such namespace, so its root is shown, and said
    nb.run(5)
    failing = expected_entries(run, "failing", "")
    viewer.expect(thread="failing", ns="")
    shown = viewer.attr("data-step")
    assert int(shown) in {e.step for e in failing}
    assert nb.run_until(1, f"failing root {shown}") == f"failing root {shown}"
    error = run.threads["failing"].outcome["error"]
    assert error["message"] in viewer.root.locator(".pv-outcome-chip").inner_text()

    viewer.assert_no_injected_elements()
    assert json.loads(viewer.attr("data-layouts")) == 2  # root and subgraph, once each


def test_display_run_renders_the_viewer(lab: Any, lab_page: Any) -> None:
    """``run`` as a cell's value and ``display(run)``: Run's rich display is the debugger."""
    page = lab_page
    log = lab.root / "hostile.pregel"
    write_notebook(
        lab.root / "display.ipynb",
        [
            "import sys\n"
            f"sys.path.insert(0, {str(TESTS)!r})\n"
            "import pregel_viz\n"
            "from graphs import CASES\n"
            'case = CASES["hostile_values"]\n'
            f"run = pregel_viz.record(case.build(None), case.input, path={log.name!r})\n"
            "run",  # 0: the cell's value
            "display(run)",  # 1
        ],
    )
    nb = Notebook(page, lab, "display.ipynb")
    nb.run(0)
    nb.run(1)
    run = pregel_viz.load(log)
    assert run.outcome["status"] == "completed"
    thread = run.thread.thread_id
    entries = expected_entries(run, thread, "")
    for cell in (0, 1):
        viewer = ViewerDriver(nb.output(cell).locator(".pregel-viewer"), timeout=30_000)
        viewer.wait_ready()
        viewer.expect(thread=thread, ns="")
        # Debugger's default position: the input, as the HTML page and the document open
        viewer.expect_entry(entries, 0)
        for i in range(1, len(entries)):
            viewer.next()
            viewer.expect_entry(entries, i)
        viewer.assert_hostile_strings_are_text()
    assert nb.panel.locator(".jp-OutputArea img").count() == 0
