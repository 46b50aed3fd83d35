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


def test_a_large_document_is_packed_and_unpacks_to_itself() -> None:
    import base64
    import gzip

    from pregel_viz.views.payload import (
        PACK_ABOVE,
        PACKED_ENCODING,
        is_packed,
        pack_document,
        unpack_document,
    )

    run = pregel_viz.load(Path(__file__).parent / "fixtures" / "sample.pregel")
    text = payload_json(run)
    doc = build_payload(run)
    # small documents stay plain (readable in the notebook), and unpack as they are
    assert len(text.encode()) <= PACK_ABOVE
    assert pack_document(text) == doc and not is_packed(doc)
    assert unpack_document(doc) is doc
    # a large one (here: any, with the bound lowered) is gzip in base64
    packed = pack_document(text, above=0)
    assert set(packed) == {"encoding", "data"} and packed["encoding"] == PACKED_ENCODING
    assert is_packed(packed) and unpack_document(packed) == doc
    assert gzip.decompress(base64.b64decode(packed["data"])) == text.encode("utf-8")
    assert len(json.dumps(packed)) < len(text) / 3


def test_a_packed_document_that_is_damaged_or_a_bomb_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import base64
    import gzip

    import pregel_viz.views.payload as payload
    from pregel_viz.views.payload import PACKED_ENCODING, unpack_document

    def packed(raw: bytes) -> dict[str, str]:
        return {"encoding": PACKED_ENCODING, "data": base64.b64encode(raw).decode()}

    good = gzip.compress(b'{"threads": []}')
    assert unpack_document(packed(good)) == {"threads": []}
    for bad in (good[:-12], b"not gzip at all", good[:5]):
        with pytest.raises(ValueError, match="damaged"):
            unpack_document(packed(bad))
    with pytest.raises(ValueError, match="damaged"):
        unpack_document({"encoding": PACKED_ENCODING, "data": "no base64 here!"})
    monkeypatch.setattr(payload, "MAX_UNPACKED_BYTES", 1000)
    bomb = gzip.compress(b"[" + b"0," * 5000 + b"0]")  # 10 KB from 50 bytes
    with pytest.raises(ValueError, match="more than 1000 bytes"):
        unpack_document(packed(bomb))


def test_the_head_of_a_document_is_its_first_entries_with_the_whole_graph() -> None:
    from pregel_viz.views.payload import head_json

    run = pregel_viz.load(Path(__file__).parent / "fixtures" / "sample.pregel")
    whole = json.loads(payload_json(run))
    assert head_json(run, 10_000) is None  # nothing to cut
    head = json.loads(head_json(run, 2) or "")
    assert head["graphs"] == whole["graphs"] and head["meta"] == whole["meta"]
    for t_head, t_whole in zip(head["threads"], whole["threads"], strict=True):
        assert t_head["id"] == t_whole["id"] and t_head["calls"] == t_whole["calls"]
        for s_head, s_whole in zip(t_head["namespaces"], t_whole["namespaces"], strict=True):
            assert s_head["ns"] == s_whole["ns"]
            assert s_head["steps"] == s_whole["steps"][:2]
    assert any(len(s["steps"]) > 2 for t in whole["threads"] for s in t["namespaces"])
