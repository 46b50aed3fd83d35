"""pregel-viz: a visual debugger for LangGraph's Pregel loop.

Record a run, read it back, step through its supersteps::

    import pregel_viz
    run = pregel_viz.record(graph, {"question": "hi"}, path="run.pregel")
    run.state_at(2)
    pregel_viz.load("run.pregel").thread.supersteps[3].tasks
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .compare import Comparison, Divergence, branches, compare, compare_fork
from .errors import (
    CorruptLogError,
    LogFormatError,
    LogTooLargeError,
    LogVersionError,
    NotAFileError,
    NotALogError,
    PregelVizError,
    RecorderError,
    TruncatedLogWarning,
)
from .logfile import LoadLimits
from .model import Run
from .narrate import Narration, narrate
from .reader import load

# Imported on first use: they pull in LangGraph/LangChain or the notebook stack (about a
# second), which reading a log (the Jupyter server extension, the CLI's readers) never needs.
_LAZY = {
    "from_checkpointer": ".rebuild",
    "Recording": ".recorder",
    "arecord": ".recorder",
    "record": ".recorder",
    "recording": ".recorder",
    "CompareDebugger": ".side_by_side",
    "compare_view": ".side_by_side",
    "fork_view": ".side_by_side",
    "Debugger": ".widget",
    "LiveDebugger": ".live_widget",
    "debug": ".live_widget",
    "show": ".widget",
}

if TYPE_CHECKING:
    from .live_widget import LiveDebugger, debug
    from .rebuild import from_checkpointer
    from .recorder import Recording, arecord, record, recording
    from .side_by_side import CompareDebugger, compare_view, fork_view
    from .widget import Debugger, show


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pregel_viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension (``jupyter labextension develop --overwrite .``)."""
    return [{"src": "labextension", "dest": "pregel-viz"}]


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext pregel_viz``: the ``%pregel`` magics."""
    from .magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from .magic import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "CompareDebugger",
    "Comparison",
    "CorruptLogError",
    "Debugger",
    "Divergence",
    "LiveDebugger",
    "LoadLimits",
    "LogFormatError",
    "LogTooLargeError",
    "LogVersionError",
    "Narration",
    "NotAFileError",
    "NotALogError",
    "PregelVizError",
    "RecorderError",
    "Recording",
    "Run",
    "TruncatedLogWarning",
    "__version__",
    "arecord",
    "branches",
    "compare",
    "compare_fork",
    "compare_view",
    "debug",
    "fork_view",
    "from_checkpointer",
    "load",
    "load_ipython_extension",
    "narrate",
    "record",
    "recording",
    "show",
]
