"""The viewer's document and its DOT, built from recorded runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphs import CASES

import pregel_viz
from pregel_viz.views.dot import graph_view
from pregel_viz.views.payload import PAYLOAD_VERSION, build_payload, payload_json

FIXTURES = Path(__file__).parent / "fixtures"
XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</textarea>"]


def test_sample_payload_fixture_matches_what_the_model_builds() -> None:
    # payload_sample.json is the fixture the TypeScript tests read; make_sample.py rebuilds both
    built = build_payload(pregel_viz.load(FIXTURES / "sample.pregel"))
    stored = json.loads((FIXTURES / "payload_sample.json").read_text())
    assert built == stored


def _replay(steps: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    out, cur = [], {}
    for s in steps:
        cur = {k: v for k, v in cur.items() if k not in s[field]["del"]}
        cur.update(s[field]["set"])
        out.append(dict(cur))
    return out


@pytest.mark.parametrize("name", ["send_map_reduce", "nested_subgraphs", "interrupt_twice"])
def test_state_deltas_replay_to_the_models_state_at_every_step(name: str) -> None:
    case = CASES[name]
    resume = [r for r in case.resume]
    run = pregel_viz.record(case.build(None), case.input, resume=resume)
    payload = build_payload(run)
    assert payload["version"] == PAYLOAD_VERSION
    thread = run.thread
    (pthread,) = payload["threads"]
    for pns in pthread["namespaces"]:
        space = thread.namespaces[pns["ns"]]
        states = _replay(pns["steps"], "state")
        assert states == [json.loads(json.dumps(s.values)) for s in space.supersteps]
        assert [s["step"] for s in pns["steps"]] == [s.step for s in space.supersteps]


def test_tasks_in_the_payload_carry_why_writes_and_attempts() -> None:
    case = CASES["send_map_reduce"]
    payload = build_payload(pregel_viz.record(case.build(None), case.input))
    root = payload["threads"][0]["namespaces"][0]
    workers = [t for s in root["steps"] for t in s["tasks"] if t["name"] == "worker"]
    assert workers and all(t["sent_by"] == "plan" and t["kind"] == "push" for t in workers)
    reduce_task = next(t for s in root["steps"] for t in s["tasks"] if t["name"] == "reduce")
    assert reduce_task["triggers"][0]["written_by"] == ["worker"]
    assert all(len(t["attempts"]) == 1 for t in workers)
    step_edges = [tuple(e) for s in root["steps"] for e in s["edges"]]
    assert ("plan", "worker", "send") in step_edges


def test_dot_marks_conditional_observed_and_subgraph_edges_and_nodes() -> None:
    case = CASES["conditional_no_path_map"]
    payload = build_payload(pregel_viz.record(case.build(None), case.input))
    graph = payload["graphs"][""]
    kinds = {(e["source"], e["target"]): e["kind"] for e in graph["edges"]}
    assert kinds[("classify", "handle_small")] == "observed"
    assert 'class="pv-edge pv-observed"' in graph["dot"] and "style=dotted" in graph["dot"]

    sub = build_payload(
        pregel_viz.record(CASES["subgraph_node"].build(None), CASES["subgraph_node"].input)
    )
    nodes = {n["name"]: n for n in sub["graphs"][""]["nodes"]}
    assert nodes["child"]["is_subgraph"] and nodes["child"]["subgraph"] == "child"
    assert "peripheries=2" in sub["graphs"][""]["dot"]
    cond = build_payload(
        pregel_viz.record(
            CASES["conditional_path_map"].build(None), CASES["conditional_path_map"].input
        )
    )
    assert "style=dashed" in cond["graphs"][""]["dot"]


def test_dot_snapshot_of_a_small_structure() -> None:
    view = graph_view(
        {
            "nodes": [
                {"id": "__start__"},
                {"id": "a"},
                {"id": "b", "subgraph": True},
                {"id": "__end__"},
            ],
            "edges": [
                {"source": "__start__", "target": "a", "conditional": False},
                {"source": "a", "target": "b", "conditional": True, "label": "go"},
                {"source": "b", "target": "__end__", "conditional": False},
            ],
        }
    )
    assert view["dot"] == (
        "digraph pregel {\n"
        "\tgraph [bgcolor=transparent nodesep=0.3 rankdir=TB ranksep=0.4]\n"
        "\tnode [fillcolor=white fontname=Helvetica fontsize=12 height=0.35 shape=box "
        'style="rounded,filled"]\n'
        "\tedge [arrowsize=0.7 fontname=Helvetica fontsize=10]\n"
        '\tn0 [label=start class="pv-node pv-start" fixedsize=true id=n0 shape=circle '
        "width=0.5]\n"
        '\tn1 [label=a class="pv-node" id=n1]\n'
        '\tn2 [label=b class="pv-node pv-subgraph" id=n2 peripheries=2]\n'
        '\tn3 [label=end class="pv-node pv-end" fixedsize=true id=n3 shape=doublecircle '
        "width=0.45]\n"
        '\tn0 -> n1 [class="pv-edge pv-static" id=e0]\n'
        '\tn1 -> n2 [label=go class="pv-edge pv-conditional" id=e1 style=dashed]\n'
        '\tn2 -> n3 [class="pv-edge pv-static" id=e2]\n'
        "}\n"
    )


def test_hostile_names_are_quoted_text_in_dot_never_html_labels() -> None:
    view = graph_view({"nodes": [{"id": x} for x in XSS], "edges": []})
    for line in view["dot"].splitlines():
        for x in XSS:
            if x in line:
                assert f'label="{x}"' in line  # quoted: a plain string, not <...> HTML
    assert [n["name"] for n in view["nodes"]] == XSS
    # node ids in the DOT are ours, never user text
    assert re.findall(r"^\t(n\d+|\S+) \[", view["dot"], re.M)[3:] == ["n0", "n1", "n2"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_json_text_is_the_document_serialized(name: str) -> None:
    """payload_json's fast path (bytes converted by the encoder, NaN falling back to the
    full walk) gives exactly build_payload's document, for every fixture graph."""
    case = CASES[name]
    run = pregel_viz.record(case.build(None), case.input, case.config or None)
    text = payload_json(run)
    assert json.loads(text) == build_payload(run)
    assert "NaN" not in text and "Infinity" not in text


def test_non_finite_floats_take_the_full_walk() -> None:
    from typing import TypedDict

    from langgraph.graph import START, StateGraph

    class S(TypedDict, total=False):
        x: float
        raw: bytes

    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": float("nan"), "raw": b"\\x00<script>"})
    g.add_edge(START, "a")
    run = pregel_viz.record(g.compile(), {"x": float("inf")})
    text = payload_json(run)
    assert json.loads(text) == build_payload(run)
    assert '"$type":"builtins.float"' in text and '"$type":"builtins.bytes"' in text
