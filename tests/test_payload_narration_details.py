"""The viewer document carries each step's narration details (the internals kept out of the
sentences: channel names, namespaces), for the side panel's details toggle; the entries a live
view appends carry them too."""

from __future__ import annotations

from graphs import build_fanout_fanin

import pregel_viz
from pregel_viz.views.payload import build_payload, namespace_entries


def test_each_step_carries_the_details_of_its_narration() -> None:
    run = pregel_viz.record(build_fanout_fanin(None), {"log": []})
    steps = build_payload(run)["threads"][0]["namespaces"][0]["steps"]
    told = pregel_viz.narrate(run).steps
    assert [s["narration_details"] for s in steps] == [s.details for s in told]
    assert [s["narration"] for s in steps] == [s.sentences for s in told]
    # the fan-in's barrier is named in the details, never in the sentences
    fan_in = next(s for s in steps if [t["name"] for t in s["tasks"]] == ["b", "c"])
    assert "channel join:b+c:d (NamedBarrierValue)" in fan_in["narration_details"]
    assert not any("join:" in x for s in steps for x in s["narration"])


def test_appended_entries_carry_the_details_too() -> None:
    run = pregel_viz.record(build_fanout_fanin(None), {"log": []})
    thread = next(iter(run.threads))
    whole = build_payload(run)["threads"][0]["namespaces"][0]["steps"]
    tail = namespace_entries(run, thread, "", 2)
    assert [s["narration_details"] for s in tail] == [s["narration_details"] for s in whole[2:]]
    assert any(s["narration_details"] for s in tail)
