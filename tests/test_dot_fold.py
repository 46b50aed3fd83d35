"""Wide ranks of parallel siblings are offered folded (pregel_viz/views/dot.py ``fold``), and long
labels are shortened in the middle; ``dot`` itself stays the whole graph."""

from __future__ import annotations

from pregel_viz.views.dot import FOLD_AT, LABEL_MAX, graph_view


def _fan(width: int, *, extra: list[dict[str, object]] | None = None) -> dict[str, object]:
    workers = [f"worker_{i:02d}" for i in range(width)]
    names = ["__start__", "plan", *workers, "merge", "__end__"]
    edges = [{"source": "__start__", "target": "plan"}]
    edges += [{"source": "plan", "target": w} for w in workers]
    edges += [{"source": w, "target": "merge"} for w in workers]
    edges += [{"source": "merge", "target": "__end__"}, *(extra or [])]
    return {"nodes": [{"id": n} for n in names], "edges": edges}


def test_a_wide_fan_out_is_one_group_with_its_edges() -> None:
    view = graph_view(_fan(60))
    fold = view["fold"]
    (group,) = fold["groups"]
    assert group["members"] == [f"worker_{i:02d}" for i in range(60)]
    assert group["label"] == "worker_00…worker_59 \u00d760"
    assert [(e["peer"], e["into"]) for e in group["edges"]] == [("plan", True), ("merge", False)]
    # the statements rebuild the whole DOT, and every node and edge has one
    ids = {n["id"] for n in view["nodes"]} | {e["id"] for e in view["edges"]}
    assert set(fold["stmts"]) == ids
    assert view["dot"] == fold["head"] + "".join(fold["stmts"].values()) + "}\n"
    assert group["stmts"][0].startswith(
        '\tg0 [label="worker_00…worker_59 \u00d760" class="pv-node pv-group"'
    )
    assert "id=ge0_0" in group["stmts"][1] and "id=ge0_1" in group["stmts"][2]


def test_narrow_fan_outs_and_different_neighbours_are_not_folded() -> None:
    assert "fold" not in graph_view(_fan(FOLD_AT - 1))
    # one worker also routes back to plan: it is not like its siblings, the rest still fold
    view = graph_view(
        _fan(FOLD_AT + 1, extra=[{"source": "worker_00", "target": "plan", "conditional": True}])
    )
    (group,) = view["fold"]["groups"]
    assert "worker_00" not in group["members"] and len(group["members"]) == FOLD_AT


def test_long_labels_are_shortened_in_the_middle_and_names_kept_whole() -> None:
    name = "merge_all_the_worker_results_into_one_report"
    view = graph_view({"nodes": [{"id": name}], "edges": []})
    assert view["nodes"][0]["name"] == name
    (line,) = [ln for ln in view["dot"].splitlines() if "id=n0" in ln]
    label = line.split('label="', 1)[1].split('"', 1)[0]
    assert len(label) == LABEL_MAX and "…" in label
    assert name.startswith(label.split("…")[0]) and name.endswith(label.split("…")[1])
