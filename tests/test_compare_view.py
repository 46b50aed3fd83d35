"""The side-by-side view: its document, the CompareDebugger widget, the page and ``diff --html``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphs import CASES, HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_TEXTAREA
from helpers import forked_run, run_cli

import pregel_viz
from pregel_viz.analysis.compare import branches, compare_fork, fork_branches
from pregel_viz.model import Run
from pregel_viz.views.compare_view import (
    COMPARE_MIME,
    CompareDebugger,
    compare_payload,
    fork_payload,
)
from pregel_viz.views.html import compare_to_html, write_compare_html
from pregel_viz.views.payload import unpack_document


def _record(name: str, inp: Any = None) -> Run:
    case = CASES[name]
    return pregel_viz.record(case.build(None), case.input if inp is None else inp)


def _steps(payload: dict[str, Any], ns: str = "") -> list[int]:
    (thread,) = payload["threads"]
    space = next(s for s in thread["namespaces"] if s["ns"] == ns)
    return [s["step"] for s in space["steps"]]


def test_given_the_same_run_twice_when_put_side_by_side_then_no_row_differs() -> None:
    a, b = _record("conditional_path_map"), _record("conditional_path_map")
    data = compare_payload(a, b)
    cmp = data["comparison"]
    assert cmp["identical"] is True
    assert cmp["first_row"] is None
    assert all(r["same"] and r["nodes"] == [[], []] for r in cmp["rows"])
    assert [r["step"] for r in cmp["rows"]] == _steps(data["a"]) == _steps(data["b"])
    for r in cmp["rows"]:
        assert r["at"][0]["step"] == r["at"][1]["step"] == r["step"]
    assert json.loads(json.dumps(data)) == data


def test_given_another_input_when_put_side_by_side_then_the_first_differing_row_is_its_step() -> (
    None
):
    a = _record("conditional_path_map")  # value 42: big
    b = _record("conditional_path_map", {"value": 3, "log": []})  # small
    data = compare_payload(a, b, labels=("big", "small"))
    cmp = data["comparison"]
    rows = cmp["rows"]
    first = rows[cmp["first_row"]]
    # not the input (step -1, values only): the first step where the runs did different
    # things, step 1, where classify routed elsewhere
    assert first["step"] == cmp["first"]["step"] == 1
    assert first["kind"] == "tasks"
    assert cmp["first"]["kind"] == "routes"
    assert [r["kind"] for r in rows] == ["values", "values", "tasks", "tasks"]
    # the routing differs at step 1 (classify wrote another branch), the node at step 2
    by_step = {r["step"]: r for r in rows}
    assert by_step[1]["nodes"] == [["classify"], ["classify"]]
    assert by_step[2]["nodes"] == [["handle_big"], ["handle_small"]]
    assert [s["label"] for s in cmp["sides"]] == ["big", "small"]

    widget = pregel_viz.compare_view(a, b, labels=("big", "small"))
    assert isinstance(widget, CompareDebugger)
    assert widget._view == "compare"
    assert widget.row == cmp["first_row"]
    assert widget.comparison is not None and not widget.comparison.identical
    assert json.loads(widget._comparison) == cmp
    assert json.loads(widget._payload_a) == data["a"]
    widget.row = len(rows) - 1
    assert widget.step == {"a": rows[-1]["step"], "b": rows[-1]["step"]}
    assert "big" in repr(widget)
    with pytest.raises(ValueError, match="out of range"):
        pregel_viz.compare_view(a, b, row=99)
    with pytest.raises(TypeError):
        pregel_viz.compare_view(a, b, thred_a="x")  # type: ignore[call-arg]


def test_given_a_compare_view_when_displayed_then_the_bundle_carries_its_document() -> None:
    """``application/vnd.pregel-viz-compare+json`` (the JupyterLab extension renders it with
    no kernel) next to the widget view: the document the widget has, at the row it shows."""
    a = _record("conditional_path_map")
    b = _record("conditional_path_map", {"value": 3, "log": []})
    data = compare_payload(a, b, labels=("big", "small"))
    widget = pregel_viz.compare_view(a, b, labels=("big", "small"))
    bundle, meta = widget._repr_mimebundle_()
    assert {COMPARE_MIME, "application/vnd.jupyter.widget-view+json", "text/plain"} <= set(bundle)
    assert "application/vnd.pregel-viz+json" not in bundle  # not a single run
    assert bundle[COMPARE_MIME] == data
    assert bundle[COMPARE_MIME] == {
        "version": widget.data["version"],
        "a": json.loads(widget._payload_a),
        "b": json.loads(widget._payload_b),
        "comparison": json.loads(widget._comparison),
    }
    assert meta[COMPARE_MIME] == {"row": data["comparison"]["first_row"]}
    json.dumps(bundle)  # what the kernel sends: plain JSON
    # the row shown when displayed again
    widget.row = 0
    bundle2, meta2 = widget._repr_mimebundle_()
    assert meta2[COMPARE_MIME] == {"row": 0}
    bundle2[COMPARE_MIME]["a"]["threads"].clear()  # a copy: the widget's document is intact
    assert widget._repr_mimebundle_()[0][COMPARE_MIME] == data
    # include / exclude, as IPython passes them
    assert COMPARE_MIME not in widget._repr_mimebundle_(exclude={COMPARE_MIME})[0]
    only = widget._repr_mimebundle_(include={COMPARE_MIME})[0]
    assert only[COMPARE_MIME] == data
    # a fork view too
    run = forked_run()
    fork = pregel_viz.fork_view(run, row=1)
    bundle, meta = fork._repr_mimebundle_()
    assert bundle[COMPARE_MIME] == fork_payload(run)
    assert meta[COMPARE_MIME] == {"row": 1}


def test_given_paths_when_compared_in_a_view_then_they_are_loaded(tmp_path: Path) -> None:
    case = CASES["fanout_fanin"]
    pregel_viz.record(case.build(None), case.input, path=tmp_path / "a.pregel")
    widget = pregel_viz.compare_view(tmp_path / "a.pregel", str(tmp_path / "a.pregel"))
    assert widget.comparison is not None and widget.comparison.identical
    assert widget.row == len(json.loads(widget._comparison)["rows"]) - 1  # identical: the end


def test_given_a_fork_when_viewed_then_parent_and_fork_branches_are_paired() -> None:
    run = forked_run()
    space = run.thread.root
    found = branches(space)
    assert len(found) == 2
    parent, fork = fork_branches(run)
    assert (parent, fork) == (0, 1)
    data = fork_payload(run)
    cmp = data["comparison"]
    plain = json.loads(json.dumps(compare_fork(run).to_dict()))
    assert {k: cmp[k] for k in plain if k != "rows"} == {k: plain[k] for k in plain if k != "rows"}
    assert [{k: r[k] for k in plain["rows"][0]} for r in cmp["rows"]] == plain["rows"]
    assert [s["label"] for s in cmp["sides"]] == ["parent", "fork"]
    assert [s["branch"] for s in cmp["sides"]] == [0, 1]
    # the parent's step numbers were reused by the fork: its viewer gets its branch only
    assert cmp["sides"][0]["filtered"] is True
    assert _steps(data["a"]) == [s.step for s in found[0]]
    # the fork is the thread's newest branch: its viewer finds every step by number
    assert cmp["sides"][1]["filtered"] is False
    shown_b = data["b"]["threads"][0]["namespaces"][0]["steps"]
    for r in cmp["rows"]:
        at_a, at_b = r["at"]
        if at_a is not None:
            assert _steps(data["a"])[at_a["index"]] == at_a["step"]
        if at_b is not None:
            entry = shown_b[at_b["index"]]
            assert entry["step"] == at_b["step"]
            # the newest entry of that step number is the fork's (what the viewer shows)
            assert (
                max(i for i, s in enumerate(shown_b) if s["step"] == at_b["step"]) == at_b["index"]
            )
            want = found[1][[s.step for s in found[1]].index(at_b["step"])]
            assert entry["checkpoint"] == (want.checkpoint.id if want.checkpoint else None)
    # aligned by lineage: the fork's update_state stands alone (A has nothing there), and the
    # parent's step 2 is set against the step the fork ran after it, its step 3
    lone = [r for r in cmp["rows"] if r["fork_point"]]
    assert len(lone) == 1 and lone[0]["same"] and lone[0]["at"][0] is None
    assert lone[0]["b"]["source"] == "update"
    first = cmp["rows"][cmp["first_row"]]
    assert (first["a"]["step"], first["b"]["step"]) == (2, 3)
    assert (first["kind"], first["differences"][0]["kind"]) == ("tasks", "tasks")
    assert first["nodes"] == [["handle_big"], ["handle_small"]]

    widget = pregel_viz.fork_view(run)
    assert widget.row == cmp["first_row"]
    assert widget.step == {"a": 2, "b": 3}


def test_given_two_logs_when_diffed_with_html_then_the_page_is_written(tmp_path: Path) -> None:
    case = CASES["conditional_path_map"]
    pregel_viz.record(case.build(None), case.input, path=tmp_path / "a.pregel")
    pregel_viz.record(case.build(None), {"value": 3, "log": []}, path=tmp_path / "b.pregel")
    done = run_cli("diff", "a.pregel", "b.pregel", "--json", "--html", "out.html", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "wrote out.html" in done.stderr
    printed = json.loads(done.stdout)  # stdout is still the comparison alone
    assert printed["identical"] is False
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "viewer.openPage(root, payload, { compare: true })" in page
    data = _page_data(page)
    assert data["comparison"]["labels"] == ["a.pregel", "b.pregel"]
    assert data["comparison"]["first_row"] is not None
    assert {"a", "b", "comparison", "version"} <= set(data)


def _page_data(page: str) -> Any:
    m = re.search(
        r'<script type="application/json" id="pregel-viz-payload">(.*?)</script>', page, re.S
    )
    assert m is not None
    return unpack_document(json.loads(m.group(1)))  # packed when large


def test_given_hostile_values_when_paged_side_by_side_then_the_script_data_is_escaped(
    tmp_path: Path,
) -> None:
    case = CASES["hostile_values"]
    a = pregel_viz.record(case.build(None), case.input)
    inp = dict(case.input) | {"text": f"other {HOSTILE_SCRIPT}"}
    b = pregel_viz.record(case.build(None), inp)
    labels = (f"A {HOSTILE_TEXTAREA}", f"B </script>{HOSTILE_IMG}")
    data = compare_payload(a, b, labels=labels)
    assert data["comparison"]["identical"] is False
    page = compare_to_html(data)
    # nothing in the data can end its <script> element or open a comment there
    body = page.split('<script type="application/json" id="pregel-viz-payload">', 1)[1]
    body = body.split("</script>", 1)[0]
    assert "</" not in body and "<!--" not in body
    assert page.count("</script>") == 3  # the data, the bundle, the loader
    assert _page_data(page)["comparison"]["labels"] == list(labels)
    details = " ".join(d["details"] for d in _page_data(page)["comparison"]["differences"])
    assert HOSTILE_SCRIPT in details  # the values are in the data, as text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and "<" not in title.group(1)
    out = write_compare_html(data, tmp_path / "page.html")
    assert Path(out).read_text(encoding="utf-8") == page


def test_given_a_subgraph_namespace_when_put_side_by_side_then_the_viewers_open_there() -> None:
    a, b = _record("subgraph_node"), _record("subgraph_node")
    data = compare_payload(a, b, ns="child")
    sides = data["comparison"]["sides"]
    assert sides[0]["ns"].startswith("child:") and sides[1]["ns"].startswith("child:")
    assert [r["step"] for r in data["comparison"]["rows"]] == [-1, 0, 1, 2]
    assert _steps(data["a"], sides[0]["ns"]) == [-1, 0, 1, 2]
