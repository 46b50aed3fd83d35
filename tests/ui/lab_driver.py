"""Open a notebook in a real JupyterLab and run its cells, robustly (no sleeps).

The flakiness guards come from the shared research notes (frontend-stack.md §3.6):

- open with ``?reset`` (no restored workspace) and scope every selector to the visible notebook
  panel, ``.jp-NotebookPanel:not(.lm-mod-hidden)``;
- the kernel is ready when the server lists the notebook's session as ``idle`` *and* the debugger
  button is enabled (the toolbar's execution indicator says ``idle`` before the kernel connects);
- after Shift+Enter the prompt must leave its old value (``[ ]`` or ``[n]``); when it does not,
  press again.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import expect

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# the viewer inside the open .pregel document
DOC = ".jp-PregelViz-documentWidget:not(.lm-mod-hidden) .jp-PregelViz-document"
XSS_FLAG_SCRIPT = "window.__xss = 0; window.alert = () => { window.__xss = 1; };"
# Notebook 7.6.5 itself throws these on its pages, with or without this extension.
NB7_NOISE = (
    "Cannot read properties of undefined (reading 'schema')",
    "Command 'filebrowser:open-path' not registered.",
)
DONE = re.compile(r"^\s*\[\d+\]:\s*$")


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))


@contextlib.contextmanager
def guarded(page: Any) -> Iterator[Any]:
    """``page``, failing the test on an injected handler (an ``alert`` from a hostile string)
    or a page error (but Notebook 7's own, ``NB7_NOISE``)."""
    page.add_init_script(XSS_FLAG_SCRIPT)
    yield page
    assert page.evaluate("window.__xss") == 0, "an injected handler ran"
    assert [e for e in page.errors if not e.startswith(NB7_NOISE)] == []


def goto(page: Any, lab: Any, path: str) -> None:
    """Open ``path`` of the test server (with its token)."""
    page.goto(f"{lab.url}/{path}{'&' if '?' in path else '?'}token={lab.token}")


def open_without_kernel(page: Any) -> None:
    """Answer the "Select Kernel" dialog (a notebook with no kernelspec) with "No Kernel"."""
    page.locator(".jp-Dialog button", has_text="No Kernel").click(timeout=60_000)
    expect(page.locator(".jp-Dialog")).to_have_count(0)


def write_saved_output(path: Path, source: str, data: Any, metadata: Any) -> None:
    """A notebook of one code cell and its saved display output (no kernelspec, not trusted),
    as a notebook saved and shared looks."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    nb.cells = [cell]
    nbformat.write(nb, str(path))


class Notebook:
    """One notebook open in JupyterLab in ``page``."""

    def __init__(self, page: Any, lab: Any, name: str, timeout: float = 60_000) -> None:
        self.page = page
        self.lab = lab
        self.name = name
        self.timeout = timeout
        self.retries: list[str] = []  # what had to be done twice (shown with pytest -s)
        page.set_default_timeout(timeout)
        page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
        self.panel = page.locator(PANEL)
        expect(self.panel.locator(".jp-Cell").first).to_be_visible(timeout=timeout)
        lab.wait_kernel_idle(name, timeout=timeout / 1000)
        expect(self.panel.locator(".jp-DebuggerBugButton[aria-disabled='false']")).to_have_count(
            1, timeout=timeout
        )

    def cell(self, i: int) -> Any:
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(i)

    def prompt(self, i: int) -> Any:
        return self.cell(i).locator(".jp-InputArea-prompt")

    def output(self, i: int) -> Any:
        return self.cell(i).locator(".jp-OutputArea")

    def run(self, i: int, attempts: int = 3) -> None:
        """Execute cell ``i`` (Shift+Enter in its editor) and wait until it finished."""
        prompt = self.prompt(i)
        before = prompt.inner_text()
        for attempt in range(attempts):
            self.cell(i).locator(".jp-InputArea-editor").click()
            self.page.keyboard.press("Shift+Enter")
            try:
                expect(prompt).not_to_have_text(before, timeout=5_000)
                break
            except AssertionError:
                if attempt == attempts - 1:
                    raise
                self._retried(f"Shift+Enter on cell {i}")
        expect(prompt).to_have_text(DONE, timeout=self.timeout)

    def run_and_read(self, i: int) -> str:
        """Run cell ``i`` and return the text of its (stream) output."""
        self.run(i)
        out = self.output(i).locator(".jp-OutputArea-output").first
        expect(out).to_be_attached(timeout=self.timeout)
        return str(out.inner_text()).strip()

    def run_until(self, i: int, expected: str, attempts: int = 5) -> str:
        """Run cell ``i`` until its output reads ``expected``: the browser saves view changes to
        the kernel at most every 50 ms, so a run right after a click may see the previous value
        (a rerun takes longer than that)."""
        out = ""
        for _ in range(attempts):
            out = self.run_and_read(i)
            if out == expected:
                break
            self._retried(f"cell {i} read {out!r}, expected {expected!r}")
        return out

    def _retried(self, what: str) -> None:
        self.retries.append(what)
        print(f"[{self.name}] retry: {what}")
