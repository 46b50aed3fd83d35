"""pregel-viz: a visual debugger for LangGraph's Pregel loop.

Record a run, read it back, step through its supersteps::

    import pregel_viz
    run = pregel_viz.record(graph, {"question": "hi"}, path="run.pregel")
    run.state_at(2)
    pregel_viz.load("run.pregel").thread.supersteps[3].tasks

The public API, by stage:

* record: :func:`record`, :func:`arecord`, :func:`recording` (:class:`Recording`),
  :func:`from_checkpointer`, :func:`from_server` (a thread of a LangGraph server),
  :func:`record_server` (a run a LangGraph server makes, recorded as it runs),
  ``pregel_viz.auto`` (every call of every graph);
* read: :func:`load`, :class:`Run`, :class:`LoadLimits`, the errors (:class:`PregelVizError`);
* look: :func:`show` (:class:`Debugger`), :func:`to_html`, :func:`summary`, :func:`narrate`
  (:class:`Narration`);
* compare: :func:`compare`, :func:`compare_fork`, :func:`branches` (:class:`Comparison`,
  :class:`Divergence`), :func:`compare_view`, :func:`fork_view` (:class:`CompareDebugger`);
* test: :func:`trace` (a canonical text of a run), ``pregel_viz.testing`` (syrupy snapshots);
* live: :func:`debug` (:class:`LiveDebugger`), ``%load_ext pregel_viz`` for ``%pregel``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .analysis.compare import Comparison, Divergence, branches, compare, compare_fork
from .analysis.export import run_to_dict, summary
from .analysis.narrate import Narration, narrate
from .analysis.trace import trace
from .errors import (
    CorruptLogError,
    LogFormatError,
    LogTooLargeError,
    LogVersionError,
    NotAFileError,
    NotALogError,
    PregelVizError,
    RecorderError,
    ServerError,
    TruncatedLogWarning,
)
from .logfile import LoadLimits
from .model import Run, provide
from .reader import load, read_bytes
from .views.html import to_html

# Run's conveniences are these functions (see pregel_viz.model.provide).
provide(from_bytes=read_bytes, to_dict=run_to_dict, summary=summary, to_html=to_html)

# Imported on first use: they pull in LangGraph/LangChain or the notebook stack (about a
# second), which reading a log (the Jupyter server extension, the CLI's readers) never needs.
_LAZY = {
    # record
    "Recording": ".recorder",
    "arecord": ".recorder",
    "record": ".recorder",
    "recording": ".recorder",
    "from_checkpointer": ".recorder.rebuild",
    "from_server": ".recorder.pull",
    "record_server": ".recorder.record_server",
    "instrument": ".recorder.instrument",
    # look
    "Debugger": ".views.widget",
    "show": ".views.widget",
    # compare
    "CompareDebugger": ".views.compare_view",
    "compare_view": ".views.compare_view",
    "fork_view": ".views.compare_view",
    # live
    "LiveDebugger": ".views.live_widget",
    "debug": ".notebook",
}

if TYPE_CHECKING:
    from .notebook import debug
    from .recorder import Recording, arecord, record, recording
    from .recorder.instrument import instrument
    from .recorder.pull import from_server
    from .recorder.rebuild import from_checkpointer
    from .recorder.record_server import record_server
    from .views.compare_view import CompareDebugger, compare_view, fork_view
    from .views.live_widget import LiveDebugger
    from .views.widget import Debugger, show


# Modules known by a short name: ``pregel_viz.auto.enable()``.
_LAZY_MODULES = {"auto": ".recorder.auto"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        value = importlib.import_module(_LAZY_MODULES[name], __name__)
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pregel_viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


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
    "ServerError",
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
    "from_server",
    "instrument",
    "load",
    "load_ipython_extension",
    "narrate",
    "record",
    "record_server",
    "recording",
    "show",
    "summary",
    "to_html",
    "trace",
]
