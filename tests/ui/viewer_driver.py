"""Drive one `.pregel-viewer` with Playwright, through its buttons and its data attributes.

Shared by the offline HTML export tests and the JupyterLab widget tests. Every check waits (with
Playwright's ``expect``) instead of sleeping, so the same driver works when the view moves
asynchronously (a widget trait set from Python).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphs import HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_TEXTAREA
from playwright.sync_api import expect

import pregel_viz

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample.pregel"
HOSTILE = (HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_TEXTAREA)
WINDOW = {"width": 1500, "height": 1000}  # the ``window`` fixture's page (tests/ui/conftest.py)


@dataclass(frozen=True)
class Entry:
    """One step entry as the viewer should show it."""

    step: int
    active: tuple[str, ...]  # node names of the entry's tasks, each once, in task order
    tasks: tuple[str, ...]  # one name per task (a node that got 3 Sends is there 3 times)


def expected_entries(run: pregel_viz.Run, thread: str, ns: str) -> list[Entry]:
    """The entries of one namespace, from the Python model (independent of the payload)."""
    out = []
    for s in run.threads[thread].namespaces[ns].supersteps:
        names = tuple(t.name for t in s.tasks)
        out.append(Entry(s.step, tuple(dict.fromkeys(names)), names))
    return out


def subgraph_ns(run: pregel_viz.Run, thread: str, node: str) -> str:
    """The namespace of the (first) subgraph run by ``node`` in ``thread``."""
    spaces = [
        ns for ns, space in run.threads[thread].namespaces.items() if ns and space.node == node
    ]
    assert spaces, f"no subgraph of {node!r} in thread {thread!r}"
    return spaces[0]


class ViewerDriver:
    def __init__(self, root: Any, timeout: float = 10_000) -> None:
        self.root = root  # a Locator matching exactly one .pregel-viewer
        self.timeout = timeout

    # ---- reading ----
    def attr(self, name: str) -> str:
        value = self.root.get_attribute(name)
        assert value is not None, f"{name} missing"
        return str(value)

    def active(self) -> list[str]:
        return list(json.loads(self.attr("data-active")))

    def node_names(self) -> list[str]:
        return [
            str(n)
            for n in self.root.locator("svg.pv-svg g.pv-node").evaluate_all(
                "els => els.map(e => e.getAttribute('data-name'))"
            )
        ]

    def columns(self) -> list[int]:
        """The entry index of each column the timeline draws, in order."""
        return [
            int(x)
            for x in self.root.locator(".pv-timeline .pv-tl-col").evaluate_all(
                "els => els.map(e => e.getAttribute('data-index'))"
            )
        ]

    def highlighted(self) -> set[str]:
        return set(
            self.root.locator("svg.pv-svg g.pv-node.pv-active").evaluate_all(
                "els => els.map(e => e.getAttribute('data-name'))"
            )
        )

    # ---- waiting ----
    def wait_ready(self) -> None:
        expect(self.root).to_have_attribute("data-ready", "1", timeout=self.timeout)

    def expect(self, **attrs: object) -> None:
        """Wait until data-<name> equals each value (thread, ns, step, index)."""
        for name, value in attrs.items():
            expect(self.root).to_have_attribute(f"data-{name}", str(value), timeout=self.timeout)

    def expect_entry(self, entries: list[Entry], i: int) -> None:
        """Entry ``i`` is shown, with exactly its tasks' nodes highlighted."""
        e = entries[i]
        self.expect(index=i, step=e.step)
        active = self.active()
        assert len(active) == len(set(active)), f"a node named twice: {active}"
        assert set(active) == set(e.active), f"entry {i} (step {e.step}): {active} != {e.active}"
        # the graph agrees (nodes that are drawn: __start__ may be, a Send target is)
        drawn = set(self.node_names())
        assert self.highlighted() == set(e.active) & drawn
        rows = self.root.locator("tr.pv-task-row")
        expect(rows).to_have_count(len(e.tasks), timeout=self.timeout)

    # ---- acting ----
    def _click(self, cls: str) -> None:
        self.root.locator(f".pv-controls button.{cls}").click()

    def first(self) -> None:
        self._click("pv-first")

    def prev(self) -> None:
        self._click("pv-prev")

    def next(self) -> None:
        self._click("pv-next-btn")

    def last(self) -> None:
        self._click("pv-last")

    def select_thread(self, thread: str) -> None:
        self.root.locator("select.pv-thread").select_option(thread)
        self.expect(thread=thread)

    def open_subgraph(self, node: str, how: str = "button") -> None:
        if how == "button":
            self.root.locator("tr.pv-task-row").filter(
                has=self.root.page.locator("td.pv-name", has_text=node)
            ).first.click()
            self.root.locator("button.pv-open-subgraph").first.click()
        else:
            self.root.locator(f'svg g.pv-node[data-name="{node}"]').dblclick()

    def breadcrumb_back(self, ns: str) -> None:
        self.root.locator(f'.pv-breadcrumb button.pv-crumb[data-ns="{ns}"]').click()

    # ---- safety ----
    def assert_hostile_strings_are_text(self) -> None:
        """The hostile names and values are shown as text, nothing of them is markup."""
        text = self.root.inner_text()
        for s in HOSTILE:
            assert s in text, f"{s!r} is not shown as text"
        self.assert_no_injected_elements()

    def assert_no_injected_elements(self) -> None:
        for tag in ("img", "script", "textarea", "iframe", "object", "embed", "foreignObject"):
            assert self.root.locator(tag).count() == 0, f"a <{tag}> in the viewer"
        handlers = self.root.evaluate(
            """root => [root, ...root.querySelectorAll('*')].flatMap(
                   e => [...e.attributes].filter(a => /^on/i.test(a.name))
                          .map(a => e.tagName + ' ' + a.name))"""
        )
        assert handlers == [], handlers


def open_page(pg: Any, path: Path, size: dict[str, int] | None = None) -> ViewerDriver:
    """Open a standalone HTML page (in a window of ``size``, when given) and wait until its
    viewer is ready."""
    if size is not None:
        pg.set_viewport_size(size)
    pg.goto(path.as_uri())
    viewer = ViewerDriver(pg.locator(".pregel-viewer"))
    viewer.wait_ready()
    return viewer
