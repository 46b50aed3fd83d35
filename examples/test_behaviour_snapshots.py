"""Behaviour snapshots of lesson 02's ticket triage: what ran in each superstep, and why.

Run from the repository root (syrupy is in pregel-viz's ``pytest`` extra)::

    pytest examples/test_behaviour_snapshots.py                    # compare with the snapshots
    pytest examples/test_behaviour_snapshots.py --snapshot-update  # accept a new behaviour

The snapshots are text (``__snapshots__/test_behaviour_snapshots/*.txt``): a change of routing
shows in a code review as a changed ``write branch:to:...`` line, and fails here with the step
that differs and a page showing the two runs side by side.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import pregel_viz  # noqa: E402
from graphs_02 import TICKETS, build_graph  # noqa: E402
from pregel_viz.testing import PregelSnapshotExtension  # noqa: E402


@pytest.fixture
def snapshot(snapshot):
    return snapshot.use_extension(PregelSnapshotExtension)


@pytest.mark.parametrize("kind", sorted(TICKETS))
def test_a_ticket_takes_its_route(snapshot, kind: str) -> None:
    run = pregel_viz.record(build_graph(), {"ticket": TICKETS[kind]})
    assert run == snapshot
