"""pregel-viz: a visual debugger for LangGraph's Pregel loop.

Record a run, read it back, step through its supersteps::

    import pregel_viz
    run = pregel_viz.record(graph, {"question": "hi"}, path="run.pregel")
    run.state_at(2)
    pregel_viz.load("run.pregel").thread.supersteps[3].tasks
"""

from __future__ import annotations

from ._version import __version__
from .errors import (
    CorruptLogError,
    LogFormatError,
    LogVersionError,
    NotALogError,
    PregelVizError,
    RecorderError,
    TruncatedLogWarning,
)
from .model import Run
from .reader import load
from .rebuild import from_checkpointer
from .recorder import Recording, arecord, record, recording
from .widget import Debugger, show

__all__ = [
    "CorruptLogError",
    "Debugger",
    "LogFormatError",
    "LogVersionError",
    "NotALogError",
    "PregelVizError",
    "RecorderError",
    "Recording",
    "Run",
    "TruncatedLogWarning",
    "__version__",
    "arecord",
    "from_checkpointer",
    "load",
    "record",
    "recording",
    "show",
]
