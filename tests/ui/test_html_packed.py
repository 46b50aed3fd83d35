"""A large run's offline page carries its document packed (gzip in base64, as a saved notebook
output does) and unpacks it in headless Chromium, from ``file://``: the same steps, the same last
step, the recorded strings shown as text. A packed document that would unpack past the limit is
refused, with the reason shown where the viewer would be.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from playwright.sync_api import expect
from viewer_driver import SAMPLE, ViewerDriver, expected_entries, open_page

import pregel_viz
from pregel_viz.views.payload import MAX_UNPACKED_BYTES, PACKED_ENCODING, payload_json

pytestmark = pytest.mark.ui

STEPS = 2000
NOTE = "</script><!--<script>alert(1)</script> & \u2028 done"
PAYLOAD_RE = re.compile(
    r'(<script type="application/json" id="pregel-viz-payload">)(.*?)(</script>)'
)
BUNDLE_RE = re.compile(r'<script type="text/plain" id="pregel-viz-esm">(.*?)</script>')


class LoopState(TypedDict):
    n: int
    note: str


def _record_loop(steps: int) -> pregel_viz.Run:
    """A one-node loop run for ``steps`` supersteps, its state holding markup in a string."""

    def tick(state: LoopState) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    g = StateGraph(LoopState)
    g.add_node("tick", tick)
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] < steps else END, ["tick", END])
    return pregel_viz.record(
        g.compile(), {"n": 0, "note": NOTE}, config={"recursion_limit": steps + 10}
    )


def _inlined(page: str) -> str:
    """The text of the page's data element."""
    match = PAYLOAD_RE.search(page)
    assert match is not None
    return match.group(2)


def _bundle(page: str) -> str:
    match = BUNDLE_RE.search(page)
    assert match is not None
    return match.group(1)


@pytest.fixture(scope="module")
def big_run() -> pregel_viz.Run:
    return _record_loop(STEPS)


@pytest.fixture(scope="module")
def big_page(big_run: pregel_viz.Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("packed") / "loop.html"
    big_run.to_html(path)
    return path


def test_the_page_of_a_long_run_is_packed_and_far_smaller_than_its_json(
    big_run: pregel_viz.Run, big_page: Path
) -> None:
    document = payload_json(big_run).encode("utf-8")
    page = big_page.read_text(encoding="utf-8")
    inlined = _inlined(page)
    assert "<" not in inlined
    carried = json.loads(inlined)
    assert carried["encoding"] == PACKED_ENCODING
    assert len(inlined) * 5 < len(document), (len(inlined), len(document))
    # the rest of the page is the viewer (about 1.4 MB, whatever the run) and its styles
    assert len(page.encode("utf-8")) - len(_bundle(page)) < len(document) / 4


def test_the_packed_page_opens_at_the_same_steps(
    window: Any, big_run: pregel_viz.Run, big_page: Path
) -> None:
    thread = next(iter(big_run.threads))
    entries = expected_entries(big_run, thread, "")
    assert len(entries) > STEPS
    viewer = open_page(window, big_page)
    viewer.expect(thread=thread, ns="", index=0, step=entries[0].step)
    viewer.last()
    viewer.expect_entry(entries, len(entries) - 1)
    window.keyboard.press("Home")
    viewer.expect(index=0)
    window.keyboard.press("End")
    viewer.expect(index=len(entries) - 1, step=entries[-1].step)
    assert window.evaluate("window.pregelViz.viewer.position.step") == entries[-1].step


def test_markup_in_a_packed_page_shows_as_text(window: Any, big_page: Path) -> None:
    window.add_init_script("window.alert = () => { window.__xss = 1; };")
    viewer = open_page(window, big_page)
    viewer.last()
    expect(viewer.root).to_contain_text("</script><!--<script>alert(1)</script> &")
    viewer.assert_no_injected_elements()
    assert window.locator("script").count() == 3  # the page's own: data, bundle, loader
    assert window.evaluate("window.__xss") is None


def _bomb(size: int) -> str:
    """A packed document of ``size`` spaces (a few hundred KB of gzip)."""
    gz = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * 2**20
    parts = [gz.compress(block) for _ in range(size // len(block))]
    parts += [gz.compress(b" " * (size % len(block))), gz.flush()]
    data = base64.b64encode(b"".join(parts)).decode("ascii")
    return json.dumps({"encoding": PACKED_ENCODING, "data": data})


def test_a_page_that_unpacks_past_the_limit_is_refused(page: Any, tmp_path: Path) -> None:
    html = pregel_viz.load(SAMPLE).to_html()
    bomb = PAYLOAD_RE.sub(lambda m: m.group(1) + _bomb(MAX_UNPACKED_BYTES + 1) + m.group(3), html)
    path = tmp_path / "bomb.html"
    path.write_text(bomb, encoding="utf-8")
    page.goto(path.as_uri())
    failed = page.locator(".pregel-viewer.pv-failed")
    expect(failed).to_have_attribute("data-error", "1", timeout=30_000)
    expect(failed).to_have_text(
        f"pregel-viz: cannot show this run: pregel-viz: the saved document unpacks to more than "
        f"{MAX_UNPACKED_BYTES} bytes: it is not opened"
    )
    assert page.errors == []


def test_a_packed_side_by_side_page_opens(
    page: Any, big_run: pregel_viz.Run, tmp_path: Path
) -> None:
    from pregel_viz.views.compare_view import compare_payload
    from pregel_viz.views.html import write_compare_html

    other = _record_loop(STEPS // 2)
    path = tmp_path / "compare.html"
    write_compare_html(compare_payload(big_run, other, labels=("long", "short")), path)
    assert json.loads(_inlined(path.read_text(encoding="utf-8")))["encoding"] == PACKED_ENCODING
    page.goto(path.as_uri())
    roots = page.locator(".pregel-viewer")
    expect(roots).to_have_count(2, timeout=30_000)
    for root in roots.all():
        ViewerDriver(root, timeout=30_000).wait_ready()
    expect(page.locator(".pv-compare")).to_contain_text("long")
    assert page.errors == []
