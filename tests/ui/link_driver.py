"""Click every hostile link of a viewer (tests/hostile_links.py) and check that nothing ran.

Make a :class:`Watch` of the page before it loads: it records every ``alert`` call (the
scripts of the hostile links call ``alert('<case>')``; the record is kept in Python, so a
navigation loses none), every dialog and every navigation of the main frame. Then
:func:`click_every_link` clicks each hostile element and :func:`assert_inert` checks that no
script ran, the page stayed where it was and the graph holds no link at all.
"""

from __future__ import annotations

from typing import Any

from hostile_links import SPEC, cases
from playwright.sync_api import expect

WATCH_SCRIPT = """
window.__xss = 0;
window.alert = window.confirm = window.prompt = (m) => {
  window.__xss = 1;
  window.pvLinkRan(String(m));
};
"""
# what may be left in the sanitized SVG: nothing that links, loads or runs
LINK_ATTRS = ("href", "xlink:href", "src", "url", "target", "action", "formaction")


class Watch:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.navigations: list[str] = []
        self.ran: list[str] = []  # kept here: a navigation would lose what the page kept
        page.expose_function("pvLinkRan", lambda m: self.ran.append(str(m)))
        page.add_init_script(WATCH_SCRIPT)
        page.on("dialog", self._dialog)
        page.on("framenavigated", self._navigated)
        self.armed = False  # navigations count once the page is loaded
        self.url = ""

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _navigated(self, frame: Any) -> None:
        if self.armed and frame == self.page.main_frame:
            self.navigations.append(frame.url)

    def arm(self) -> None:
        """From now on the page must stay where it is."""
        self.url = self.page.url
        self.armed = True


def click_every_link(watch: Watch, viewer: Any, encodings: list[str] | None = None) -> int:
    """Click each hostile element of the viewer ``viewer`` (a locator of one .pregel-viewer):
    the labelled extra nodes and edges, the real node with a link, the graph background; stop
    when a click moved the page away. Returns the number of clicks."""
    svg = viewer.locator("svg.pv-svg")
    expect(svg).to_have_count(1, timeout=30_000)
    targets = [svg.locator("text", has_text=case).first for case in cases(encodings)]
    real = SPEC["real_node"]["id"]
    targets.append(svg.locator(f'g[id="{real}"] text').first)
    clicks = 0
    for target in targets:
        expect(target).to_be_attached()
        target.click(force=True, timeout=5_000)
        clicks += 1
        if watch.navigations:
            return clicks
    # the graph's own URL covers its background: a corner of it
    svg.click(position={"x": 2, "y": 2}, force=True)
    return clicks + 1


def assert_inert(watch: Watch, viewer: Any) -> None:
    """No hostile script ran, no dialog opened, the page did not move, the graph has no link."""
    watch.page.wait_for_timeout(300)  # let a javascript: navigation run, if one was started
    assert watch.ran == [], f"scripts ran from links: {watch.ran}"
    assert watch.dialogs == [], watch.dialogs
    assert watch.navigations == [], f"a link navigated the page: {watch.navigations}"
    assert watch.page.url == watch.url
    left = viewer.locator("svg.pv-svg").evaluate(
        """(svg, names) => [svg, ...svg.querySelectorAll('*')].flatMap(e => [
               ...(e.localName === 'a' ? ['<a>'] : []),
               ...[...e.attributes].filter(a => names.includes(a.name.toLowerCase())
                                                || a.localName.toLowerCase() === 'href'
                                                || /^on/i.test(a.name))
                                   .map(a => e.localName + ' ' + a.name + '=' + a.value)])""",
        list(LINK_ATTRS),
    )
    assert left == [], f"links left in the graph: {left[:10]}"
