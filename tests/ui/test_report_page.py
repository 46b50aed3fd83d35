"""The CI report of ``pytest --pregel-viz-report=DIR`` in headless Chromium, from ``file://``.

A small suite of real LangGraph graphs (one test passes, one fails in a node of its second graph)
runs in its own pytest process with the report on; the index page opens offline, lists the
failure first, shows every hostile name as text, and its link leads to the failing run's page,
where the viewer steps to the node that raised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lab_driver import XSS_FLAG_SCRIPT
from playwright.sync_api import expect
from report_suite import TOOL_ERROR, run_with_report, suite
from viewer_driver import ViewerDriver

pytestmark = pytest.mark.ui

HOSTILE = "<img src=x onerror=alert(1)>"

SUITE = suite(
    """
def test_refund_route():
    assert build("support_agent").invoke({"log": []}) == {"log": ["plan", "act"]}


def test_tool_route():
    build(HOSTILE).invoke({"log": []})
    assert build("tool_agent", fail=True).invoke({"log": []})
""",
    HOSTILE=HOSTILE,
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    (root / "test_agents.py").write_text(SUITE)
    out = root / "ci-report"
    proc = run_with_report(root, out)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # test_tool_route fails
    return out / "index.html"


def test_index_opens_offline_and_leads_to_the_failing_run(page: Any, index: Path) -> None:
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    page.add_init_script(XSS_FLAG_SCRIPT)
    page.goto(index.as_uri())

    summary = page.locator("#summary")
    expect(summary).to_have_text("2 tests recorded 3 graph runs (1 failed, 1 passed).")
    rows = page.locator("tbody.test-group")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("test_agents.py::test_tool_route")  # failures first
    expect(rows.nth(0)).to_contain_text(HOSTILE)  # the graph's name, as text
    expect(rows.nth(1)).to_contain_text("test_agents.py::test_refund_route")
    assert page.locator("img").count() == 0
    failing = page.locator("tr", has_text="tool_agent")
    expect(failing).to_contain_text(f"ValueError: {TOOL_ERROR}")
    expect(failing.locator(".s-error")).to_have_text("error")
    page.screenshot(path=str(index.parent / "index.png"))  # kept beside the report, in tmp

    failing.get_by_role("link", name="step through").click()
    page.wait_for_url("**/runs/*.html")
    viewer = ViewerDriver(page.locator(".pregel-viewer"))
    viewer.wait_ready()
    assert set(viewer.node_names()) >= {"plan", "act"}
    page.keyboard.press("End")  # the last superstep: the one whose task raised
    expect(viewer.root).to_have_attribute("data-active", '["act"]')
    expect(viewer.root).to_contain_text("the tool is down")

    page.go_back()
    expect(page.locator("#summary")).to_be_visible()
    for url in urls:
        assert url.split(":", 1)[0] in {"file", "data", "blob"}, url
    assert page.evaluate("window.__xss") == 0, "an injected handler ran"
    assert page.errors == []
