"""The fixture graphs again, served instrumented (``pregel_viz.instrument``).

Their logs go to ``PREGEL_VIZ_DIR``, else to ``pregel-runs/`` beside this file (the server's
copy of the app, a temporary folder). ``routing`` is a compiled graph, as most apps name one in
``langgraph.json``; the others are graph factories, as in ``fixture_graphs.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fixture_graphs import build_interrupt
from graphs import (
    build_conditional_path_map,
    build_parallel_error,
    build_retry_policy,
    build_send_map_reduce,
    build_subgraph_node,
)

from pregel_viz.recorder.instrument import instrument

DIRECTORY = os.environ.get("PREGEL_VIZ_DIR") or str(Path(__file__).resolve().parent / "pregel-runs")

routing = instrument(build_conditional_path_map(None), directory=DIRECTORY)


def send(config: Any) -> Any:
    return instrument(build_send_map_reduce(None), directory=DIRECTORY)


def subgraph(config: Any) -> Any:
    return instrument(build_subgraph_node(None), directory=DIRECTORY)


def interrupt(config: Any) -> Any:
    return instrument(build_interrupt(None), directory=DIRECTORY)


def error(config: Any) -> Any:
    return instrument(build_parallel_error(None), directory=DIRECTORY)


def retry(config: Any) -> Any:
    return instrument(build_retry_policy(None), directory=DIRECTORY)
