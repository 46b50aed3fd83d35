"""What a notebook calls to debug a graph live: :func:`debug` joins a paused live session (the
recorder's :class:`~pregel_viz.recorder.live.LiveSession`) and its widget
(:class:`~pregel_viz.views.live_widget.LiveDebugger`), which know nothing of each other."""

from __future__ import annotations

import os
from typing import Any

from .recorder.live import debug_session, parse_breakpoints
from .views.live_widget import LiveDebugger

__all__ = ["debug"]


def debug(
    graph: Any,
    input: Any = None,
    config: Any = None,
    *,
    breakpoints: Any = None,
    asynchronous: bool | None = None,
    path: str | os.PathLike[str] | None = None,
) -> LiveDebugger:
    """Debug ``graph`` on ``input`` live: a paused session and its widget (show it to use it).

    Nothing runs until a control: Step (one superstep), Continue (to the next breakpoint, an
    ``interrupt()`` or the end), Pause, Stop; clicking a graph node sets a breakpoint before
    or after it. ``widget.session`` drives the same session from code
    (``widget.session.step().wait()``).

    Args:
        graph: a compiled LangGraph graph (without a checkpointer, an in-memory one is used).
        input: the first input.
        config: the run's config (a ``thread_id`` is made up when it has none).
        breakpoints: ``["node", "after:node", "write:channel"]`` or
            ``{"before": [...], "after": [...], "write": [...]}``.
        asynchronous: run with ``astream`` (default: when the graph has ``async def`` nodes).
        path: also write the session's log to this ``.pregel`` file as it runs.
    """
    bp = parse_breakpoints(breakpoints)
    session = debug_session(
        graph,
        input,
        config,
        break_before=bp["before"],
        break_after=bp["after"],
        break_on_write=bp["write"],
        asynchronous=asynchronous,
        path=path,
    )
    return LiveDebugger(session)
