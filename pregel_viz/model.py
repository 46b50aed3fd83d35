"""The navigable model of a recorded run: threads, namespaces, supersteps, tasks.

Built only from decoded log events (:mod:`pregel_viz.reader`), never from live objects, so a
run recorded yesterday on another machine reads the same as one recorded a moment ago.
Values are the plain tagged data of :mod:`pregel_viz.values`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .events import BRANCH_TO, JOIN, PULL, TASKS, is_internal_channel, spec_key
from .logfile import LogWriter
from .spans import Span
from .values import UNKNOWN, diff_values

if TYPE_CHECKING:
    from .logfile import LoadLimits

__all__ = [
    "UNKNOWN",
    "Attempt",
    "Call",
    "Checkpoint",
    "EdgeTaken",
    "Namespace",
    "Run",
    "Superstep",
    "Task",
    "Thread",
    "Trigger",
    "diff_values",
    "edges_of",
    "is_internal_channel",
    "spec_key",
    "superstep_count",
]


# in a push task's path: the pull task that called it (a functional API task), named next
_CALLED_FROM = f"~{PULL}, "


@dataclass
class Attempt:
    """One attempt at running a task (a retry is another attempt; a resume too)."""

    index: int
    start: float | None
    end: float | None = None
    status: str = "running"  # ok | error | interrupt | parent_command | bubble | running
    error: dict[str, Any] | None = None

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass
class Trigger:
    """A trigger channel that advanced past what the node had seen: why a pull task ran."""

    channel: str
    seen: Any
    current: Any
    written_by: list[str] = field(default_factory=list)  # task names, or (input)/(update_state)


@dataclass
class Task:
    """One task of one superstep: a node run (pull), a Send or a functional @task call (push)."""

    id: str
    name: str
    ns: str
    checkpoint_id: str | None
    step: int | None
    path: str = ""
    kind: str = "pull"
    triggers: list[Trigger] | None = None
    sent_by: str | None = None
    input: Any = UNKNOWN
    writes: list[list[Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    interrupts: list[Any] = field(default_factory=list)
    resumes: list[Any] = field(default_factory=list)
    attempts: list[Attempt] | Any = field(default_factory=list)
    subgraphs: list[str] = field(default_factory=list)
    # LLM, tool, retriever and chain calls made inside it, in start order (UNKNOWN: rebuilt)
    calls: list[Span] | Any = field(default_factory=list)

    @property
    def status(self) -> str:
        """ok, error, interrupted, or pending (started but never wrote).

        A task that failed in one call and succeeded when a later call resumed the thread is
        ok: ``error`` keeps the failure, the attempts tell the story."""
        attempts = self.attempts if isinstance(self.attempts, list) else []
        if self.error is not None and not (attempts and attempts[-1].status == "ok"):
            return "error"
        if attempts and attempts[-1].status == "interrupt":
            return "interrupted"
        if self.writes or (attempts and attempts[-1].status == "ok"):
            return "ok"
        # a saver keeps only the last interrupt of a task that has not finished
        return "interrupted" if self.interrupts else "pending"

    @property
    def state_writes(self) -> list[list[Any]]:
        """Writes to the graph's state keys (routing and LangGraph's own channels left out)."""
        return [w for w in self.writes if not is_internal_channel(str(w[0]))]

    @property
    def duration(self) -> float | None:
        if not isinstance(self.attempts, list) or not self.attempts:
            return None
        first, last = self.attempts[0].start, self.attempts[-1].end
        return None if first is None or last is None else last - first


@dataclass
class Checkpoint:
    """A saved checkpoint, with its channel versions and values rebuilt in full."""

    id: str
    parent: str | None
    step: int
    source: str
    t: float | None
    versions: dict[str, Any]
    channels: dict[str, Any]
    updated: list[str] | None
    why: dict[str, list[list[Any]]]
    why_inferred: bool = False
    input_writes: list[list[Any]] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict, repr=False)
    state_channels: list[str] | str | None = field(default=None, repr=False)

    @property
    def values(self) -> dict[str, Any]:
        """The graph's state, as LangGraph's ``get_state`` shows it.

        The state keys' channels (LangGraph's internal channels left out); channels nothing has
        written yet show their empty value (a reducer's ``[]``). For a graph whose state is one
        channel (the functional API's ``__end__``), that channel's value.
        """
        sc = self.state_channels
        if isinstance(sc, str):
            if sc not in self.channels:
                return {}
            value = self.channels[sc]
            return value if isinstance(value, dict) else {sc: value}
        keys = sc if sc is not None else [k for k in self.channels if not is_internal_channel(k)]
        out: dict[str, Any] = {}
        for k in keys:
            if k in self.channels:
                out[k] = self.channels[k]
            elif k in self.defaults:
                out[k] = self.defaults[k]
        return out


@dataclass
class Superstep:
    """What happened between two checkpoints: the tasks that ran and the checkpoint they made.

    ``step`` is LangGraph's step number of the checkpoint produced, so the ``__start__`` task is
    in step 0 and the input checkpoint is step -1. A superstep whose tasks were interrupted or
    failed has no checkpoint (``checkpoint is None``); its values are those it started from.
    """

    step: int
    source: str
    checkpoint: Checkpoint | None
    parent: Checkpoint | None
    tasks: list[Task] = field(default_factory=list)

    @property
    def values(self) -> dict[str, Any]:
        cp = self.checkpoint or self.parent
        return cp.values if cp is not None else {}

    @property
    def channels(self) -> dict[str, Any]:
        cp = self.checkpoint or self.parent
        return cp.channels if cp is not None else {}

    @property
    def updated(self) -> list[str]:
        if self.checkpoint is None:
            return []
        if self.checkpoint.updated is not None:
            return list(self.checkpoint.updated)
        base = self.parent.versions if self.parent is not None else {}
        return sorted(c for c, v in self.checkpoint.versions.items() if base.get(c) != v)

    @property
    def next_tasks(self) -> dict[str, list[list[Any]]]:
        """The pull tasks this superstep triggers, with their reasons."""
        return self.checkpoint.why if self.checkpoint is not None else {}

    @property
    def start(self) -> float | None:
        starts = [
            a.start
            for t in self.tasks
            if isinstance(t.attempts, list)
            for a in t.attempts
            if a.start is not None
        ]
        return min(starts) if starts else None

    @property
    def end(self) -> float | None:
        if self.checkpoint is not None and self.checkpoint.t is not None:
            return self.checkpoint.t
        ends = [
            a.end
            for t in self.tasks
            if isinstance(t.attempts, list)
            for a in t.attempts
            if a.end is not None
        ]
        return max(ends) if ends else None


@dataclass(frozen=True)
class EdgeTaken:
    """An edge the run actually took: routing, a Send, a barrier write or a @task call."""

    source: str
    target: str
    kind: str  # route | send | join | call
    count: int


@dataclass
class Namespace:
    """The supersteps of the root graph or of one subgraph invocation."""

    ns: str
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    supersteps: list[Superstep] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def parent_ns(self) -> str | None:
        if not self.ns:
            return None
        return self.ns.rpartition("|")[0]

    @property
    def parent_task_id(self) -> str | None:
        if not self.ns:
            return None
        return self.ns.rpartition("|")[2].partition(":")[2] or None

    @property
    def node(self) -> str:
        """The subgraph's node name in its parent (``""`` for the root)."""
        return self.ns.rpartition("|")[2].partition(":")[0]

    def superstep(self, step: int) -> Superstep:
        """The newest superstep with this step number (forks make several)."""
        for s in reversed(self.supersteps):
            if s.step == step:
                return s
        known = sorted({s.step for s in self.supersteps})
        raise KeyError(f"no superstep {step} in namespace {self.ns!r}; steps: {known}")

    def state_at(self, step: int) -> dict[str, Any]:
        """The state (channel values) after superstep ``step``."""
        return self.superstep(step).values

    def diff(self, a: int, b: int) -> dict[str, Any]:
        """What changed in the state from after step ``a`` to after step ``b``."""
        return diff_values(self.state_at(a), self.state_at(b))

    def edges_taken(self) -> list[EdgeTaken]:
        return edges_of(self.supersteps)

    def _parents(self) -> list[int | None]:
        """Per superstep, the index of the superstep that saved the checkpoint it started from
        (``None`` when no superstep of this namespace saved it, or it started from its own)."""
        owner: dict[str, int] = {}
        for i, s in enumerate(self.supersteps):
            if s.checkpoint is not None:
                owner.setdefault(s.checkpoint.id, i)
        out: list[int | None] = []
        for i, s in enumerate(self.supersteps):
            p = owner.get(s.parent.id) if s.parent is not None else None
            out.append(None if p == i else p)
        return out

    def branches(self) -> list[list[Superstep]]:
        """The root-to-leaf branches of the supersteps, following parent checkpoints.

        A thread that was never forked has one branch. ``update_state`` on a past checkpoint, or
        a call resumed from one, starts another. Branches are ordered by when their last
        superstep was recorded, so the last one is the thread's current (main) branch.
        """
        steps = self.supersteps
        parent_of = self._parents()
        has_child = {p for p in parent_of if p is not None}
        out: list[list[Superstep]] = []
        for i in range(len(steps)):
            if i in has_child:
                continue
            chain: list[int] = []
            node: int | None = i
            guard: set[int] = set()
            while node is not None and node not in guard:
                guard.add(node)
                chain.append(node)
                node = parent_of[node]
            out.append([steps[j] for j in reversed(chain)])
        return out

    def get_branch(self, index: int | None = None) -> list[Superstep]:
        """The branch ``index`` of :meth:`branches` (default: the main one, the last).

        A namespace with no superstep gives ``[]``; an index past the branches raises
        ``IndexError``.
        """
        found = self.branches()
        if not found:
            return []
        if index is None:
            return found[-1]
        try:
            return found[index]
        except IndexError:
            raise IndexError(
                f"no branch {index} in namespace {self.ns!r}: it has {len(found)}"
            ) from None

    def branch_numbers(self) -> list[tuple[int, int | None]]:
        """Per superstep: its branch number and, for the first superstep of a branch, the index
        of the superstep it forks from (else ``None``).

        Supersteps follow their parent checkpoint: the first one saved on top of a checkpoint
        continues that checkpoint's branch; a later one (an ``update_state`` on a past
        checkpoint, a replay from it) starts a new branch, numbered in recording order (0 is the
        first). A superstep whose parent checkpoint was saved later, or by none of this
        namespace's supersteps, continues the branch of the superstep before it.
        """
        continued: set[int] = set()
        out: list[tuple[int, int | None]] = []
        top = 0
        for i, (s, p) in enumerate(zip(self.supersteps, self._parents(), strict=True)):
            if p is not None and p > i:
                p = None
            if p is None:
                out.append((out[i - 1][0] if i else 0, None))
            elif p not in continued:
                out.append((out[p][0], None))
                if s.checkpoint is not None:
                    continued.add(p)
            else:
                top += 1
                out.append((top, p))
                if s.checkpoint is not None:
                    continued.add(p)
        return out


@dataclass
class Call:
    """One call on the graph (invoke, stream, a resume...) and how it ended."""

    index: int
    method: str
    input: Any
    start: float | None
    end: float | None = None
    status: str = "running"  # completed | interrupted | paused | error | stopped | running
    interrupts: list[Any] = field(default_factory=list)
    error: dict[str, Any] | None = None


@dataclass
class Thread:
    """One LangGraph thread: its calls and the supersteps of every namespace."""

    thread_id: str
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    @property
    def root(self) -> Namespace:
        return self.namespaces.get("") or Namespace("")

    @property
    def supersteps(self) -> list[Superstep]:
        return self.root.supersteps

    @property
    def outcome(self) -> dict[str, Any]:
        """How the last call ended: ``{"status", "interrupts", "error"}``."""
        if not self.calls:
            return {"status": "unknown", "interrupts": [], "error": None}
        last = self.calls[-1]
        return {"status": last.status, "interrupts": last.interrupts, "error": last.error}

    def state_at(self, step: int, ns: str = "") -> dict[str, Any]:
        return self.namespaces[ns].state_at(step)

    def diff(self, a: int, b: int, ns: str = "") -> dict[str, Any]:
        return self.namespaces[ns].diff(a, b)

    def get_namespace(self, ns: str = "") -> Namespace:
        """The namespace ``ns``: ``""`` for the root graph, a runtime namespace, or a subgraph's
        node path (``child``, ``mid|leaf``), which picks the first run of that subgraph.

        Raises ``KeyError`` naming the thread's namespaces when there is no such one.
        """
        if ns in self.namespaces:
            return self.namespaces[ns]
        if not ns:  # a thread where the root graph ran nothing
            return self.root
        for key, space in self.namespaces.items():
            if key and spec_key(key) == spec_key(ns):
                return space
        raise KeyError(
            f"no namespace {ns!r} in thread {self.thread_id!r}; namespaces: "
            f"{sorted({spec_key(k) for k in self.namespaces})}"
        )

    def tasks(self) -> Iterator[Task]:
        for space in self.namespaces.values():
            yield from space.tasks.values()

    def errors(self) -> list[Task]:
        return [t for t in self.tasks() if t.error is not None]


# A Run's conveniences (from_bytes, to_dict, summary, to_html) are functions of the stages built
# on the model (reader, analysis.export, views.html), which it never imports: imports run one
# way. pregel_viz/__init__.py, run before any module of the package, hands them in.
_PROVIDED: dict[str, Callable[..., Any]] = {}


def provide(**functions: Callable[..., Any]) -> None:
    """Hand the model the functions behind :class:`Run`'s conveniences (see above)."""
    _PROVIDED.update(functions)


def _provided(name: str) -> Callable[..., Any]:
    try:
        return _PROVIDED[name]
    except KeyError:
        raise RuntimeError(f"Run.{name} needs pregel_viz to be imported") from None


@dataclass
class Run:
    """A recorded run: one or more threads, read from a `.pregel` log.

    Build one with :func:`pregel_viz.load`, :func:`pregel_viz.record` or
    :func:`pregel_viz.from_checkpointer`.
    """

    meta: dict[str, Any]
    graphs: dict[str, dict[str, Any]]
    threads: dict[str, Thread]
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)
    source: str = ""
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, source: str = "log", limits: LoadLimits | None = None
    ) -> Run:
        """Read a whole log held in memory (see :func:`pregel_viz.reader.read_bytes`)."""
        return cast(Run, _provided("from_bytes")(data, source=source, limits=limits))

    @property
    def thread(self) -> Thread:
        """The thread, when the run has one (else the last one recorded).

        A run with no thread (a log of no call) gives an empty thread: an empty root graph.
        """
        if not self.threads:
            return Thread("", {"": Namespace("")})
        return list(self.threads.values())[-1]

    @property
    def outcome(self) -> dict[str, Any]:
        return self.thread.outcome

    @property
    def supersteps(self) -> list[Superstep]:
        return self.thread.supersteps

    def state_at(self, step: int, *, thread: str | None = None, ns: str = "") -> dict[str, Any]:
        """The state after superstep ``step`` (of the last thread unless one is named)."""
        return self.get_thread(thread).state_at(step, ns)

    def diff(self, a: int, b: int, *, thread: str | None = None, ns: str = "") -> dict[str, Any]:
        return self.get_thread(thread).diff(a, b, ns)

    def get_thread(self, id: str | None = None) -> Thread:
        """The thread ``id`` (a key of :attr:`threads`); by default :attr:`thread`, the last one.

        Raises ``KeyError`` naming the run's threads when there is no such thread.
        """
        thread = id
        if thread is None or (thread == "" and not self.threads):  # "": an empty run's thread
            return self.thread
        try:
            return self.threads[thread]
        except KeyError:
            raise KeyError(f"no thread {thread!r}; threads: {list(self.threads)}") from None

    def edges_taken(self, *, thread: str | None = None, ns: str = "") -> list[EdgeTaken]:
        return self.get_thread(thread).namespaces[ns].edges_taken()

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write this run as a `.pregel` log; returns the path."""
        writer = LogWriter(path)
        try:
            for event in self.events:
                writer.append(event)
        finally:
            writer.close()
        return os.fspath(path)

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON-ready data (:func:`pregel_viz.analysis.export.run_to_dict`)."""
        return cast("dict[str, Any]", _provided("to_dict")(self))

    def summary(self) -> str:
        """A few lines of text: the graph, the threads, the outcome, the supersteps
        (:func:`pregel_viz.analysis.export.summary`)."""
        return cast(str, _provided("summary")(self))

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """A self-contained HTML page stepping through this run (opens offline, from file://):
        its text, also written to ``path`` if given (:func:`pregel_viz.views.html.to_html`)."""
        return cast(str, _provided("to_html")(self, path))

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The debugger widget in notebooks, the text summary everywhere else
        (:func:`pregel_viz.views.widget.run_mimebundle`)."""
        from .views.widget import run_mimebundle  # the one late import: a Run shows itself

        return run_mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        steps = sum(superstep_count(t.root.supersteps) for t in self.threads.values())
        return (
            f"<Run {self.meta.get('graph', '?')!r}: {len(self.threads)} thread(s), "
            f"{steps} root superstep(s), outcome {self.outcome['status']}>"
        )


def superstep_count(steps: list[Superstep]) -> int:
    """How many supersteps LangGraph's loop ran among ``steps`` (one namespace's entries):
    step 0 (``__start__``) counts, as LangGraph's ``recursion_limit`` does; the input, an
    ``update_state`` and a fork's own checkpoint do not; a step run again on resume counts twice.
    ``summary()``, the CI report and the viewer's toolbar ("step 3 · 4 supersteps") give it."""
    return sum(1 for s in steps if s.source == "loop")


def edges_of(supersteps: list[Superstep]) -> list[EdgeTaken]:
    """The edges the tasks of these supersteps took, with how often."""
    counts: dict[tuple[str, str, str], int] = {}
    seen_tasks: set[str] = set()
    for s in supersteps:
        for t in s.tasks:
            if t.id in seen_tasks:
                continue
            seen_tasks.add(t.id)
            for ch, value in t.writes:
                ch = str(ch)
                edge: tuple[str, str, str] | None = None
                if ch.startswith(BRANCH_TO):
                    edge = (t.name, ch[len(BRANCH_TO) :], "route")
                elif ch.startswith(JOIN):
                    edge = (t.name, ch.rsplit(":", 1)[-1], "join")
                elif ch == TASKS and isinstance(value, dict):
                    fields = value.get("$fields")
                    node = fields.get("node") if isinstance(fields, dict) else None
                    if isinstance(node, str):
                        edge = (t.name, node, "send")
                if edge is not None:
                    counts[edge] = counts.get(edge, 0) + 1
            if t.kind == "push" and t.sent_by is None and _CALLED_FROM in t.path:
                parent = t.path.split(_CALLED_FROM, 1)[1].split(",", 1)[0].strip()
                key = (parent, t.name, "call")
                counts[key] = counts.get(key, 0) + 1
    return [EdgeTaken(s, t, k, n) for (s, t, k), n in counts.items()]
