"""A built-in example graph for ``pregel-viz demo``: small, offline, and it shows a lot.

A report writer (no LLM: every node is plain, deterministic Python):

1. ``fetch_sources`` fails once with a transient error; its retry policy runs it again.
2. ``plan`` splits the topic into sections and routes to ``write_section`` with one ``Send``
   per section: the fan-out runs in one superstep, and a reducer (``operator.add``) collects the
   drafts.
3. ``edit`` is a compiled subgraph (``spellcheck`` then ``assemble``) with its own supersteps.
4. ``review`` calls ``interrupt()``; the recording resumes it once, with ``"approve"``.
5. A conditional edge routes an approved report to ``publish``, anything else to ``revise``.
"""

from __future__ import annotations

import operator
import os
import webbrowser
from pathlib import Path
from typing import Annotated, Any, TypedDict, cast

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy, Send, interrupt

from .model import Run

__all__ = [
    "DEMO_INPUT",
    "DEMO_RESUME",
    "build_demo_graph",
    "open_in_browser",
    "record_demo",
    "write_demo",
]

DEMO_INPUT: dict[str, Any] = {"topic": "pregel"}
"""The demo's input."""

DEMO_RESUME: tuple[str, ...] = ("approve",)
"""How the demo answers its one interrupt."""


class ReportState(TypedDict, total=False):
    """The report writer's state."""

    topic: str
    sources: list[str]
    sections: list[str]
    drafts: Annotated[list[str], operator.add]
    report: str
    decision: str
    published: bool


class SectionInput(TypedDict):
    """What one ``Send`` hands to ``write_section``."""

    section: str
    topic: str


class EditState(TypedDict, total=False):
    """The ``edit`` subgraph's state (shares ``drafts`` and ``report`` with the parent)."""

    drafts: list[str]
    fixed: list[str]
    report: str


class EditOutput(TypedDict):
    """What ``edit`` hands back: only the report (handing back ``drafts`` would append the
    drafts to the parent's ``drafts`` a second time, through its reducer)."""

    report: str


class TransientError(Exception):
    """A failure worth retrying (a flaky network, say)."""


def build_demo_graph(checkpointer: Any = None) -> Any:
    """The demo report writer, compiled (with ``checkpointer``, if given)."""
    calls = {"fetch_sources": 0}

    def fetch_sources(state: ReportState) -> dict[str, Any]:
        calls["fetch_sources"] += 1
        if calls["fetch_sources"] == 1:
            raise TransientError("the source server timed out")
        return {"sources": ["notes.md", "paper.pdf"]}

    def plan(state: ReportState) -> dict[str, Any]:
        return {"sections": ["supersteps", "channels", "checkpoints"]}

    def fan_out(state: ReportState) -> list[Send]:
        return [
            Send("write_section", {"section": s, "topic": state["topic"]})
            for s in state["sections"]
        ]

    def write_section(item: SectionInput) -> dict[str, Any]:
        return {"drafts": [f"{item['topic']} {item['section']}"]}

    def spellcheck(state: EditState) -> dict[str, Any]:
        return {"fixed": [d.replace("pregel", "Pregel") for d in state["drafts"]]}

    def assemble(state: EditState) -> dict[str, Any]:
        return {"report": " | ".join(sorted(state["fixed"]))}

    sub = StateGraph(EditState, output_schema=EditOutput)
    sub.add_node("spellcheck", spellcheck)
    sub.add_node("assemble", assemble)
    sub.add_edge(START, "spellcheck")
    sub.add_edge("spellcheck", "assemble")
    sub.add_edge("assemble", END)

    def review(state: ReportState) -> dict[str, Any]:
        decision = interrupt({"question": "publish this report?", "report": state["report"]})
        return {"decision": str(decision)}

    def route(state: ReportState) -> str:
        return "publish" if state.get("decision") == "approve" else "revise"

    def publish(state: ReportState) -> dict[str, Any]:
        return {"published": True}

    def revise(state: ReportState) -> dict[str, Any]:
        return {"published": False}

    g = StateGraph(ReportState)
    g.add_node(
        "fetch_sources",
        fetch_sources,
        retry_policy=RetryPolicy(
            max_attempts=3, initial_interval=0.01, jitter=False, retry_on=TransientError
        ),
    )
    g.add_node("plan", plan)
    g.add_node("write_section", cast(Any, write_section), input_schema=SectionInput)
    g.add_node("edit", sub.compile())
    g.add_node("review", review)
    g.add_node("publish", publish)
    g.add_node("revise", revise)
    g.add_edge(START, "fetch_sources")
    g.add_edge("fetch_sources", "plan")
    g.add_conditional_edges("plan", fan_out, ["write_section"])
    g.add_edge("write_section", "edit")
    g.add_edge("edit", "review")
    g.add_conditional_edges("review", route, {"publish": "publish", "revise": "revise"})
    g.add_edge("publish", END)
    g.add_edge("revise", END)
    return g.compile(checkpointer=checkpointer, name="report_writer")


def record_demo(path: str | os.PathLike[str] | None = None) -> Run:
    """Record the demo graph: the input, then one resume of its interrupt."""
    from .recorder import record

    return record(
        build_demo_graph(),
        dict(DEMO_INPUT),
        {"configurable": {"thread_id": "demo"}},
        path=path,
        resume=list(DEMO_RESUME),
    )


def write_demo(
    path: str | os.PathLike[str] = "pregel-viz-demo.html",
    *,
    log: str | os.PathLike[str] | None = None,
) -> Run:
    """Record the demo and write its self-contained HTML step-through to ``path``.

    Args:
        path: the page to write.
        log: also keep the recorded `.pregel` log here.

    Returns:
        The recorded run.
    """
    run = record_demo(log)
    run.to_html(path)
    return run


def open_in_browser(path: str | os.PathLike[str]) -> bool:
    """Open a local file in a web browser; ``False`` (and nothing raised) when there is none."""
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    try:
        return bool(webbrowser.open(Path(path).resolve().as_uri()))
    except Exception:
        return False
