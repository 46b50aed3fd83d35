"""Tell what happened in each superstep, in plain sentences, from the recorded model alone.

No LLM, no guessing: every sentence is read off the run (tasks, their triggers and writes, the
channels' classes and values before and after the step, attempts, interrupts, the calls). ::

    print(pregel_viz.narrate(run))               # the root graph of the run's thread
    pregel_viz.narrate(run).sentences(2)         # superstep 2 as a list of sentences
    pregel_viz.narrate(run, ns="child:<task id>")  # one subgraph run

The result is plain data (:meth:`Narration.to_dict`), ready for a viewer pane.

The package: ``_steps`` tells a superstep in order, from ``_tasks`` (why each task ran, what it
did), ``_calls`` (the model, tool and retriever calls made inside a task), ``_channels`` (the
table of channel classes: how each combines a step's writes) and ``_barriers`` (the branch and
join channels of edges); they read ``_context`` (the channel descriptions, earlier supersteps,
the graph's calls) and phrase with ``_values`` and ``_words``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...events import spec_key
from ...model import Namespace, Run, Superstep, Thread
from ._calls import (
    answer_text,
    content_text,
    describe_call,
    model_name,
    tool_calls_text,
    tool_result,
)
from ._context import CallMap, Context
from ._steps import tell
from ._values import contrast, describe_value
from ._words import AUTO_THREAD, node_name

__all__ = [
    "Narration",
    "StepNarration",
    "answer_text",
    "content_text",
    "contrast",
    "describe_call",
    "describe_value",
    "model_name",
    "narrate",
    "narrate_run",
    "narrate_superstep",
    "node_name",
    "tool_calls_text",
    "tool_result",
]

NO_STEPS = "No supersteps recorded."
"""What the narration of a namespace where nothing ran says."""


# --------------------------------------------------------------------------- result types


@dataclass
class StepNarration:
    """The sentences telling one superstep."""

    step: int
    source: str
    checkpoint_id: str | None
    sentences: list[str] = field(default_factory=list)
    # the internals behind the sentences (channel names, namespaces, the Command sent), for
    # a reader who wants them: kept apart so that the sentences read as words
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"step", "source", "checkpoint_id", "sentences", "details"}``."""
        return {
            "step": self.step,
            "source": self.source,
            "checkpoint_id": self.checkpoint_id,
            "sentences": list(self.sentences),
            "details": list(self.details),
        }

    @property
    def heading(self) -> str:
        """``Step 2``; ``The input`` for the input (step -1); ``Step 3 (update)``..."""
        if self.source == "input":
            return "The input"
        kind = "" if self.source == "loop" else f" ({self.source})"
        return f"Step {self.step}{kind}"

    def text(self, details: bool = False) -> str:
        """The step as a heading line and one indented line per sentence (and per detail)."""
        lines = [f"{self.heading}:"]
        lines.extend(f"  {s}" for s in self.sentences)
        if details and self.details:
            lines.append("  Details:")
            lines.extend(f"    {d}" for d in self.details)
        return "\n".join(lines)


@dataclass
class Narration:
    """The narration of one namespace (the root graph or a subgraph run) of one thread."""

    thread: str
    ns: str
    steps: list[StepNarration] = field(default_factory=list)

    def sentences(self, step: int) -> list[str]:
        """The sentences of superstep ``step`` (the newest one with that number: forks)."""
        for s in reversed(self.steps):
            if s.step == step:
                return list(s.sentences)
        raise KeyError(f"no superstep {step}; steps: {sorted({s.step for s in self.steps})}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a viewer: ``{"thread", "ns", "steps": [...]}``."""
        return {"thread": self.thread, "ns": self.ns, "steps": [s.to_dict() for s in self.steps]}

    def text(self, details: bool = False) -> str:
        """Everything, as readable text (with each step's internals when ``details``)."""
        where = "the root graph" if not self.ns else f"the subgraph run of {spec_key(self.ns)}"
        head = f"Thread {self.thread}, {where}:"
        if not self.thread or AUTO_THREAD.match(self.thread):  # a made-up id says nothing
            head = f"{where[0].upper()}{where[1:]}:"
        if not self.steps:
            return f"{head}\n  {NO_STEPS}"
        return "\n".join([head, *(s.text(details) for s in self.steps)])

    def __str__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------- public functions


def narrate(
    target: Run | Thread | Namespace | Superstep,
    *,
    thread: str | None = None,
    ns: str = "",
    step: int | None = None,
    channels: Mapping[str, Any] | None = None,
    first: int = 0,
) -> Narration:
    """Narrate a run (or one thread, namespace or superstep) superstep by superstep.

    Args:
        target: a :class:`~pregel_viz.Run` (the usual case), or a part of one.
        thread: the thread of a run to tell (default: the run's last thread).
        ns: the namespace: ``""`` for the root graph, a subgraph run's namespace, or a
            subgraph's node path (``child``, ``mid|leaf``) for its first run.
        step: only this superstep (every superstep with that number, forks included).
        channels: the channel descriptions of the graph (``run.graphs[key]["channels"]``);
            taken from the run when ``target`` is one. Without them sentences name no class.
        first: tell the namespace's supersteps from this index on (a live view narrates only
            the supersteps it has not shown yet); earlier ones are still read for context.

    Returns:
        A :class:`Narration`: ``str()`` of it reads as text, ``.steps[i].sentences`` is a list
        of sentences per superstep, ``.to_dict()`` is plain data.
    """
    run: Run | None = None
    th: Thread | None = None
    if isinstance(target, Run):
        run = target
        th = run.get_thread(thread)
        space = th.namespaces.get(ns) or (th.root if not ns else None)
        if space is None:  # a node path (``child``): its first run
            ns = next((k for k in th.namespaces if k and spec_key(k) == spec_key(ns)), ns)
            space = th.namespaces.get(ns)
        if space is None:
            raise KeyError(
                f"no namespace {ns!r} in thread {th.thread_id!r}; namespaces: {list(th.namespaces)}"
            )
        if channels is None:
            graph = run.graphs.get(spec_key(ns)) or {}
            found = graph.get("channels")
            channels = found if isinstance(found, dict) else {}
        supersteps = space.supersteps
    elif isinstance(target, Thread):
        th = target
        space = th.namespaces.get(ns) or Namespace(ns)
        supersteps = space.supersteps
    elif isinstance(target, Namespace):
        space = target
        ns = space.ns
        supersteps = space.supersteps
    else:
        space = None
        supersteps = [target]
    ctx = Context(
        channels=dict(channels or {}),
        space=space,
        thread=th,
        edges=_edges(run, ns),
        # calls are made on the root graph: where they end is told there
        calls=CallMap.build(run, th, ns) if run is not None and th is not None and not ns else None,
    )
    steps = []
    for s in supersteps[first:]:
        if step is not None and s.step != step:
            continue
        ctx.details = []
        sentences = tell(s, ctx)
        cp = s.checkpoint.id if s.checkpoint is not None else None
        steps.append(StepNarration(s.step, s.source, cp, sentences, ctx.details))
    return Narration(th.thread_id if th is not None else "", ns, steps)


def _edges(run: Run | None, ns: str) -> dict[tuple[str, str], bool]:
    """The drawn edges of the namespace's graph: (source, target) -> conditional."""
    graph = run.graphs.get(spec_key(ns)) if run is not None else None
    edges = graph.get("edges") if isinstance(graph, dict) else None
    out: dict[tuple[str, str], bool] = {}
    for e in edges if isinstance(edges, list) else []:
        if isinstance(e, dict) and isinstance(e.get("source"), str):
            key = (str(e["source"]), str(e.get("target")))
            out[key] = out.get(key, False) or bool(e.get("conditional"))
    return out


def narrate_run(run: Run) -> dict[str, dict[str, list[list[str]]]]:
    """Every thread and namespace of a run: the sentences of each superstep.

    ``result[thread_id][ns][i]`` tells ``run.threads[thread_id].namespaces[ns].supersteps[i]``
    (the order of the viewer payload's steps), so a viewer can show it next to each step.
    """
    out: dict[str, dict[str, list[list[str]]]] = {}
    for label, thread in run.threads.items():
        out[label] = {
            ns: [s.sentences for s in narrate(run, thread=label, ns=ns).steps]
            for ns in thread.namespaces
        }
    return out


def narrate_superstep(
    superstep: Superstep, *, channels: Mapping[str, Any] | None = None
) -> list[str]:
    """The sentences telling one superstep, without the rest of its run.

    Prefer ``narrate(run, step=n)``: with the run, sentences can also tell about calls,
    resumes and subgraph runs.
    """
    return tell(superstep, Context(channels=dict(channels or {}), space=None, thread=None))
