"""The side-by-side view (``pregel_viz.compare_view`` / ``fork_view``) in a saved notebook, in a
real JupyterLab 4 and Notebook 7 with no kernel: the extension renders the output's
``application/vnd.pregel-viz-compare+json`` (the side-by-side document) with the static viewer,
and its shared step control moves both sides.

As in test_lab_extension.py, the extension comes from the installed package (built by
``npm run build`` in labextension/).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from graphs import CASES
from helpers import forked_run
from lab_driver import PANEL as LAB_PANEL
from lab_driver import goto, guarded, open_without_kernel, write_saved_output
from nbclient import NotebookClient
from nbformat.sign import NotebookNotary
from playwright.sync_api import expect
from viewer_driver import ViewerDriver

import pregel_viz
from pregel_viz.views.assets import MIME, WIDGET_VIEW_MIME
from pregel_viz.views.compare_view import COMPARE_MIME

pytestmark = pytest.mark.ui

DIR = "cmp"  # everything this module writes is under <lab root>/cmp


@pytest.fixture(scope="module")
def cmp(lab: Any) -> Path:
    d = lab.root / DIR
    d.mkdir(exist_ok=True)
    return d


@pytest.fixture()
def cmp_page(page: Any) -> Iterator[Any]:
    with guarded(page):
        yield page


class CompareView:
    """The side-by-side view in one output: its shared control and its two viewers."""

    def __init__(self, page: Any, scope: str, mode: str) -> None:
        output = page.locator(f"{scope} .jp-PregelViz-output")
        expect(output).to_have_count(1, timeout=60_000)
        expect(output).to_have_class(re.compile(r"(^|\s)jp-PregelViz-compareOutput(\s|$)"))
        expect(output).to_have_attribute("data-pregel-viz", mode, timeout=60_000)
        self.root = output.locator(".pv-compare")
        expect(self.root).to_have_attribute("data-ready", "1", timeout=60_000)
        self.sides = [
            ViewerDriver(output.locator(f".pv-compare-side-{k} .pregel-viewer"), timeout=30_000)
            for k in "ab"
        ]
        for v in self.sides:
            v.wait_ready()
        # exactly one view in the notebook: no second viewer, no widget error
        expect(page.locator(f"{scope} .pv-compare")).to_have_count(1)
        expect(page.locator(f"{scope} .pregel-viewer")).to_have_count(2)
        expect(page.get_by_text("Error displaying widget")).to_have_count(0)
        self.toolbar = output.locator(".pv-compare-toolbar")

    def press(self, button: str) -> None:
        self.toolbar.locator(f"button.pv-compare-{button}").click()

    def expect_row(self, rows: list[dict[str, Any]], i: int, seen: list[int | None]) -> None:
        """Row ``i`` is shown: each side's viewer is on its step of the row (a side with none
        stays on the step it showed before: ``seen``, updated here)."""
        expect(self.root).to_have_attribute("data-row", str(i))
        expect(self.root).to_have_attribute("data-step", str(rows[i]["step"]))
        for k, v in enumerate(self.sides):
            at = rows[i]["at"][k]
            if at is not None:
                seen[k] = at["step"]
            if seen[k] is not None:
                v.expect(step=seen[k])

    def step_through(self, rows: list[dict[str, Any]]) -> None:
        """From the first row to the last with the shared control, then back one."""
        self.press("first")
        seen: list[int | None] = [None, None]
        self.expect_row(rows, 0, seen)
        for i in range(1, len(rows)):
            self.press("next")
            self.expect_row(rows, i, seen)
        if len(rows) > 1:
            self.press("prev")
            expect(self.root).to_have_attribute("data-row", str(len(rows) - 2))


def _display_row(data: dict[str, Any], metadata: dict[str, Any]) -> int:
    row = metadata[COMPARE_MIME]["row"]
    assert isinstance(row, int)
    assert 0 <= row < len(data[COMPARE_MIME]["comparison"]["rows"])
    return row


def test_a_saved_fork_view_renders_side_by_side_with_no_kernel_in_lab_and_notebook7(
    lab: Any, cmp: Path, cmp_page: Any
) -> None:
    """A notebook written to disk (no kernelspec, not trusted) and opened with "No Kernel"."""
    page = cmp_page
    run = forked_run()
    data, metadata = pregel_viz.fork_view(run)._repr_mimebundle_()
    assert {COMPARE_MIME, WIDGET_VIEW_MIME, "text/plain"} <= set(data)
    assert MIME not in data
    rows = data[COMPARE_MIME]["comparison"]["rows"]
    first = _display_row(data, metadata)
    assert first == data[COMPARE_MIME]["comparison"]["first_row"]
    assert any(r["same"] for r in rows) and any(not r["same"] for r in rows)
    at = rows[first]["at"]
    assert at[0] is not None and at[1] is not None
    write_saved_output(cmp / "saved_fork.ipynb", "pregel_viz.fork_view(run)", data, metadata)
    kernels = len(lab.api("/api/kernels"))

    goto(page, lab, f"lab/tree/{DIR}/saved_fork.ipynb?reset")
    open_without_kernel(page)
    view = CompareView(page, LAB_PANEL, "static")
    # opens at the row shown when displayed (its metadata): the first divergence
    expect(view.root).to_have_attribute("data-row", str(first))
    view.sides[0].expect(step=at[0]["step"])
    view.sides[1].expect(step=at[1]["step"])
    view.step_through(rows)
    view.press("first-diff")
    expect(view.root).to_have_attribute("data-row", str(first))

    goto(page, lab, f"notebooks/{DIR}/saved_fork.ipynb")
    open_without_kernel(page)
    view = CompareView(page, ".jp-NotebookPanel", "static")
    expect(view.root).to_have_attribute("data-row", str(first))
    view.step_through(rows)

    assert len(lab.api("/api/kernels")) == kernels
    assert not [s for s in lab.api("/api/sessions") if s["path"] == f"{DIR}/saved_fork.ipynb"]


def test_an_executed_compare_view_falls_back_to_side_by_side_with_no_kernel(
    lab: Any, cmp: Path, cmp_page: Any
) -> None:
    """Executed by a real kernel (nbclient), trusted, reopened with "No Kernel": the widget
    renderer has no such widget, so the renderer shows the static side-by-side view instead."""
    page = cmp_page
    case = CASES["conditional_path_map"]
    pregel_viz.record(case.build(None), case.input, path=cmp / "big.pregel")
    pregel_viz.record(case.build(None), {"value": 3, "log": []}, path=cmp / "small.pregel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import pregel_viz\n"
            "pregel_viz.compare_view('big.pregel', 'small.pregel', labels=('big', 'small'), row=1)"
        )
    ]
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(cmp)}},
        store_widget_state=False,  # as JupyterLab saves by default
    ).execute()
    (out,) = nb.cells[0].outputs
    assert out["output_type"] == "execute_result"
    data, metadata = dict(out["data"]), dict(out.get("metadata") or {})
    assert {COMPARE_MIME, WIDGET_VIEW_MIME, "text/plain"} <= set(data)
    assert _display_row(data, metadata) == 1
    rows = data[COMPARE_MIME]["comparison"]["rows"]
    assert [s["label"] for s in data[COMPARE_MIME]["comparison"]["sides"]] == ["big", "small"]
    assert data[COMPARE_MIME] == json.loads(json.dumps(data[COMPARE_MIME]))
    # no kernel to pick (JupyterLab starts one for a kernelspec or a language: "No Kernel"),
    # and trusted by this server (so the output is offered to the widget renderer first,
    # which has no such widget)
    nb.metadata.pop("kernelspec", None)
    nb.metadata.pop("language_info", None)
    NotebookNotary(data_dir=str(lab.home / "data")).sign(nb)
    nbformat.write(nb, str(cmp / "executed.ipynb"))
    kernels = len(lab.api("/api/kernels"))

    goto(page, lab, f"lab/tree/{DIR}/executed.ipynb?reset")
    open_without_kernel(page)
    view = CompareView(page, LAB_PANEL, "fallback")
    expect(view.root).to_have_attribute("data-row", "1")
    seen: list[int | None] = [None, None]
    view.expect_row(rows, 1, seen)
    labels = view.root.locator(".pv-compare-side-label")
    expect(labels).to_have_text(["big", "small"])
    view.step_through(rows)

    assert len(lab.api("/api/kernels")) == kernels
    assert not [s for s in lab.api("/api/sessions") if s["path"] == f"{DIR}/executed.ipynb"]
