"""The log's schema: the event kinds a `.pregel` log holds, and LangGraph's names inside them.

A log is a header and a sequence of events (:mod:`pregel_viz.logfile`), each a map whose ``k``
names its kind. The recorder writes them (``recorder/_session.py``, ``recorder/_topology.py``,
``rebuild.py``) and :mod:`pregel_viz.reader` joins them into a run. What each kind holds is one
table, :data:`EVENTS`; the reader checks every event of a known kind against it (:data:`SCHEMA`,
:func:`check`) before joining it.

The events carry LangGraph's own reserved names (channels such as ``__pregel_tasks``, nodes
such as ``__start__``, task-path markers, the null task id). They are declared once, below, as
plain strings, so that reading a log never needs LangGraph. They mirror LangGraph's constants;
``recorder/_lg.py`` checks them against the installed LangGraph.

This module is a leaf: it imports nothing from pregel-viz but its errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .errors import CorruptLogError

__all__ = [
    "BRANCH_TO",
    "CALL",
    "CALL_END",
    "CHECKPOINT",
    "END",
    "ERROR",
    "EVENTS",
    "GRAPH",
    "INPUT",
    "INTERRUPT",
    "JOIN",
    "KINDS",
    "META",
    "NO_WRITES",
    "NS_END",
    "NS_SEP",
    "NULL_TASK_ID",
    "PREVIOUS",
    "PULL",
    "PUSH",
    "RESUME",
    "RETURN",
    "ROOT",
    "SCHEMA",
    "SNAPSHOT_BUMPS",
    "SPAN",
    "SPAN_END",
    "START",
    "TASKS",
    "TASK_END",
    "TASK_START",
    "UNLISTED_TASK",
    "WRITES",
    "check",
    "is_internal_channel",
    "spec_key",
]

# --- LangGraph's reserved names -----------------------------------------------------------------
#
# As LangGraph spells them (langgraph.constants, langgraph._internal._constants,
# langgraph.graph.state); recorder/_lg.py compares them with the installed LangGraph's.

START = "__start__"  # the graph's entry node, and the channel the input is written to
END = "__end__"  # the graph's exit node (the functional API's state channel)
INPUT = "__input__"  # a versions_seen key: the input
INTERRUPT = "__interrupt__"  # a write: a node's interrupt (also a versions_seen key)
RESUME = "__resume__"  # a write: the value a resumed interrupt returns
ERROR = "__error__"  # a write: the exception a task raised
NO_WRITES = "__no_writes__"  # a write: the task wrote nothing
UNLISTED_TASK = "?"  # the name of a task that ran but was not kept (a server's join gap)
TASKS = "__pregel_tasks"  # the channel of Send packets
RETURN = "__return__"  # a write: an entrypoint's or task's return value
PREVIOUS = "__previous__"  # the functional API's previous return value
SNAPSHOT_BUMPS = "__snapshot_bumps__"  # a versions_seen key of LangGraph's bookkeeping
ROOT = "__root__"  # the one channel of a graph whose state is not a map of keys
PUSH = "__pregel_push"  # a task path's marker: a task made by a Send or a call
PULL = "__pregel_pull"  # a task path's marker: a node triggered by its channels
NS_SEP = "|"  # separates the levels of a namespace: "outer:<task id>|inner:<task id>"
NS_END = ":"  # separates a level's node from its task id
NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"  # writes made by no task (the input)
BRANCH_TO = "branch:to:"  # prefix of StateGraph's channel that triggers a node: branch:to:<node>
JOIN = "join:"  # prefix of StateGraph's barrier channel: join:<a>+<b>:<node>


def spec_key(ns: str) -> str:
    """A runtime namespace ``a:<task id>|b:<task id>`` as the static path ``a|b``.

    The static path is the ``key`` of the ``graph`` event that describes that (sub)graph.
    """
    if not ns:
        return ""
    return NS_SEP.join(part.split(NS_END, 1)[0] for part in ns.split(NS_SEP))


def is_internal_channel(name: str) -> bool:
    """Channels LangGraph adds for its own wiring, as opposed to the graph's state keys."""
    # "start:" and "end:": channel names of older LangGraph versions
    return name.startswith(("__", BRANCH_TO, JOIN)) or name in ("start:", "end:")


# --- event kinds --------------------------------------------------------------------------------

META = "meta"  # first: who recorded the log, when, with which versions
GRAPH = "graph"  # one per graph and subgraph: its structure, channels and triggers
CALL = "call"  # a call of the graph (invoke, stream, ...) begins
CALL_END = "end"  # ... and ends: its status, interrupts or error
CHECKPOINT = "checkpoint"  # a saved checkpoint, in full or as a delta of its parent
WRITES = "writes"  # a task's (or the input's) writes
TASK_START = "task_start"  # an attempt at a task begins
TASK_END = "task_end"  # ... and ends
SPAN = "span"  # a call inside a task begins: an LLM, a chat model, a tool, a retriever, a chain
SPAN_END = "span_end"  # ... and ends


# --- the schema ---------------------------------------------------------------------------------
#
# What the rest of pregel-viz relies on in each event kind: one table, EVENTS, checked for every
# event of a known kind before it is joined. A field the table does not list, and an event of a
# kind it does not list, is not checked: newer minor versions of the format may add them. A
# user's value (state, inputs, writes, interrupts...) is any plain msgpack value.


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
_Where = tuple[tuple[Any, ...], str, Any]  # (path inside the value, what was expected, found)


class _Shape:
    """An expected shape: ``ok`` is the fast check, :meth:`wrong` says where a value fails it.

    A shape given ``types`` is exactly "a value of one of these types" (``ok`` is then
    ``type(v) in types``, which records and containers check inline).
    """

    def __init__(
        self, what: str, ok: Callable[[Any], bool] | None = None, types: Iterable[type] = ()
    ) -> None:
        self.what = what
        self.types = exact = frozenset(types)

        def exactly(v: Any) -> bool:
            return type(v) in exact

        self.ok: Callable[[Any], bool] = exactly if ok is None else ok

    def wrong(self, value: Any) -> _Where | None:
        return None if self.ok(value) else ((), self.what, value)


class _Optional(_Shape):
    """The shape, or null."""

    def __init__(self, shape: _Shape) -> None:
        what = f"{shape.what} or null"
        if shape.types:
            super().__init__(what, types=shape.types | {type(None)})
        else:
            check = shape.ok

            def ok(v: Any) -> bool:
                return v is None or check(v)

            super().__init__(what, ok)
        self.shape = shape

    def wrong(self, value: Any) -> _Where | None:
        return None if value is None else self.shape.wrong(value)


class _Each(_Shape):
    """A list, or a map, whose every item (every value of the map) has the shape ``item``."""

    def __init__(self, container: type, item: _Shape, what: str) -> None:
        types, check = item.types, item.ok
        ok: Callable[[Any], bool]
        if container is dict and types:
            ok = lambda v: type(v) is dict and types.issuperset(map(type, v.values()))  # noqa: E731
        elif container is dict:
            ok = lambda v: type(v) is dict and all(map(check, v.values()))  # noqa: E731
        elif types:
            ok = lambda v: type(v) is list and types.issuperset(map(type, v))  # noqa: E731
        else:
            ok = lambda v: type(v) is list and all(map(check, v))  # noqa: E731
        super().__init__(what, ok)
        self.container, self.item = container, item

    def wrong(self, value: Any) -> _Where | None:
        if type(value) is not self.container:
            return (), self.what, value
        items: Any = value
        for k, x in items.items() if self.container is dict else enumerate(items):
            found = self.item.wrong(x)
            if found is not None:
                return (k, *found[0]), found[1], found[2]
        return None


class _Tuple(_Shape):
    """A list of a fixed length, each position of its own shape (``[channel, value]``)."""

    def __init__(self, what: str, *items: _Shape) -> None:
        n = len(items)
        typed = [(i, s.types) for i, s in enumerate(items) if s.types]
        called = [(i, s.ok) for i, s in enumerate(items) if not s.types and s is not _VALUE]

        def ok(v: Any) -> bool:
            if type(v) is not list or len(v) != n:
                return False
            for i, types in typed:
                if type(v[i]) not in types:
                    return False
            return all([check(v[i]) for i, check in called])

        super().__init__(what, ok)
        self.items = items

    def wrong(self, value: Any) -> _Where | None:
        if type(value) is not list or len(value) != len(self.items):
            return (), self.what, value
        for i, (shape, x) in enumerate(zip(self.items, value, strict=True)):
            found = shape.wrong(x)
            if found is not None:
                return (i, *found[0]), found[1], found[2]
        return None


class _Record(_Shape):
    """A map with known fields (``name!`` when required); other fields are not checked."""

    def __init__(self, what: str, fields: dict[str, _Shape]) -> None:
        self.fields = {
            name.rstrip("!"): (shape, name.endswith("!")) for name, shape in fields.items()
        }
        required = frozenset(name for name, (_, req) in self.fields.items() if req)
        typed = [
            (name, shape.types | {_Missing})
            for name, (shape, _) in self.fields.items()
            if shape.types
        ]
        called = [
            (name, shape.ok)
            for name, (shape, _) in self.fields.items()
            if not shape.types and shape is not _VALUE
        ]

        def ok(v: Any) -> bool:
            if type(v) is not dict or not required <= v.keys():
                return False
            get = v.get
            for name, types in typed:
                if type(get(name, _MISSING)) not in types:
                    return False
            for name, check in called:
                x = get(name, _MISSING)
                if x is not _MISSING and not check(x):
                    return False
            return True

        super().__init__(what, ok)

    def wrong(self, value: Any) -> _Where | None:
        if type(value) is not dict:
            return (), self.what, value
        for name, (shape, required) in self.fields.items():
            x = value.get(name, _MISSING)
            if x is _MISSING:
                if required:
                    return (name,), "present", _MISSING
                continue
            found = shape.wrong(x)
            if found is not None:
                return (name, *found[0]), found[1], found[2]
        return None


_VALUE = _Shape("any value", lambda v: True)  # a user's value: never restricted
_STR = _Shape("a string", types=[str])
_INT = _Shape("an integer", types=[int])  # not a bool
_BOOL = _Shape("true or false", types=[bool])
_MAP = _Shape("a map", types=[dict])
_LIST = _Shape("a list", types=[list])
_TIME = _Optional(
    _Shape("a time in seconds", lambda v: type(v) is int or (type(v) is float and math.isfinite(v)))
)
_VERSION = _Shape("a channel version (a string or a number)", types=[str, int, float])
_STRS = _Each(list, _STR, "a list of strings")
_FAILURE = _Optional(_Record("an error map", {"type": _STR, "message": _STR}))
_NODE = _Record("a node map", {"id!": _STR, "name": _STR, "subgraph": _BOOL, "metadata": _MAP})
_EDGE = _Record(
    "an edge map",
    {"source!": _STR, "target!": _STR, "conditional": _BOOL, "label": _Optional(_STR)},
)
_DRAWN: dict[str, _Shape] = {
    "nodes": _Each(list, _NODE, "a list of node maps"),
    "edges": _Each(list, _EDGE, "a list of edge maps"),
}
_CHANNEL = _Record(
    "a channel map",
    {
        "class": _STR,
        "reducer": _STR,
        "accumulate": _BOOL,
        "names": _STRS,
        "type": _STR,
        "default": _VALUE,
    },
)
_REASONS = _Each(
    list,
    _Tuple("a [channel, seen version, current version] list", _STR, _Optional(_VERSION), _VERSION),
    "a list of [channel, seen version, current version] lists",
)

# kind -> field -> shape ("field!": the field must be there)
EVENTS: dict[str, dict[str, _Shape]] = {
    META: {
        "created": _STR,
        "pregel_viz": _STR,
        "langgraph": _STR,
        "python": _STR,
        "graph": _STR,
        "timings": _STR,  # "unknown": a run rebuilt from a checkpointer
    },
    GRAPH: {
        "key!": _STR,  # the graph's static path: "" for the root, "child", "mid|leaf"
        "name": _STR,
        "channels": _Each(dict, _CHANNEL, "a map of channel maps"),
        "triggers": _Each(dict, _STRS, "a map of lists of channels"),
        "state_channels": _Optional(
            _Shape("a channel or a list of channels", lambda v: bool(_STR.ok(v) or _STRS.ok(v)))
        ),
        "error": _Optional(_STR),
        **_DRAWN,
        "xray": _Record("a map of nodes and edges", _DRAWN),
    },
    CALL: {
        "call!": _INT,
        "thread!": _STR,
        "thread_id": _STR,
        "method": _STR,
        "input": _VALUE,
        "t": _TIME,
    },
    CALL_END: {
        "call!": _INT,
        "thread": _STR,
        "status!": _STR,
        "interrupts": _LIST,
        "error": _FAILURE,
        "t": _TIME,
    },
    CHECKPOINT: {
        "thread!": _STR,
        "ns!": _STR,
        "id!": _STR,
        "parent": _Optional(_STR),
        "step": _Optional(_INT),
        "source": _Optional(_STR),
        "parents": _MAP,
        "full": _BOOL,
        "versions": _Each(dict, _VERSION, "a map of channel versions"),
        # channel -> the user's value: a state key as get_state shows it (left out while
        # LangGraph shows nothing), LangGraph's own channels (branch:to:, join:...) as stored
        "values": _MAP,
        "removed": _STRS,
        "seen": _MAP,  # node -> channel -> version (nothing reads it)
        "updated": _Optional(_STRS),
        "why": _Each(dict, _REASONS, "a map of node -> [channel, seen, current] lists"),
        "why_inferred": _BOOL,
        "t": _TIME,
    },
    WRITES: {
        "thread!": _STR,
        "ns!": _STR,
        "cp": _Optional(_STR),
        "task!": _STR,
        "path": _STR,
        "writes!": _Each(
            list,
            _Tuple("a [channel, value] pair", _STR, _VALUE),
            "a list of [channel, value] pairs",
        ),
        "name": _STR,  # a rebuilt run's task name, where no attempt names it
        "t": _TIME,
    },
    TASK_START: {
        "thread!": _STR,
        "ns": _STR,
        "task!": _STR,
        "name!": _STR,
        "step": _Optional(_INT),
        "path": _LIST,  # LangGraph's task path: strings, numbers, nested paths
        "triggers": _STRS,
        "attempt": _INT,
        "input": _VALUE,
        "t": _TIME,
    },
    TASK_END: {
        "task!": _STR,
        "attempt": _INT,
        "status": _STR,
        "error": _FAILURE,
        "t": _TIME,
    },
    # The calls made inside a task (LangChain runs nested in it, at any depth), joined to it
    # by task id. A chain is recorded only when an LLM, chat model, tool or retriever call is
    # nested in it, so a graph without such calls writes none of these events.
    SPAN: {
        "thread!": _STR,
        "task!": _STR,
        "id!": _INT,  # numbered by the recorder, unique in the log
        "parent": _Optional(_INT),  # the enclosing call; null directly under the task
        "kind!": _STR,  # "llm" | "chat_model" | "tool" | "retriever" | "chain"
        "name": _STR,
        "model": _Optional(_STR),
        "input": _VALUE,  # the messages or prompts as sent, the tool's arguments...
        "tool_call_id": _Optional(_STR),  # a tool's: the id of the tool call that asked for it
        "t": _TIME,
    },
    SPAN_END: {
        "id!": _INT,
        "status!": _STR,  # "ok" | "error"
        "error": _FAILURE,
        "output": _VALUE,
        "model": _Optional(_STR),
        "tool_calls": _Each(
            list,
            _Record("a tool call map", {"name": _STR, "args": _VALUE, "id": _Optional(_STR)}),
            "a list of tool call maps",
        ),
        "usage": _Optional(_MAP),  # input_tokens, output_tokens, total_tokens
        "first_token": _TIME,  # seconds from the start to the first streamed token
        "chunks": _Optional(_INT),  # streamed chunks
        "t": _TIME,
    },
}
KINDS: tuple[str, ...] = tuple(EVENTS)
"""Every event kind the recorder writes, in the order a log first has them."""

SCHEMA: dict[str, _Shape] = {
    kind: _Record(f"a {kind!r} event", fields) for kind, fields in EVENTS.items()
}
"""Each kind's :data:`EVENTS` entry as one shape: ``SCHEMA[kind].ok(event)`` is the fast check."""


def _describe(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value!r}"[:60]
    if isinstance(value, str):
        return f"the string {value[:30]!r}"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__  # bytes


def check(schema: _Shape, event: dict[str, Any]) -> None:
    """Raise CorruptLogError naming the field when ``event`` does not fit the schema."""
    found = schema.wrong(event) or ((), "what the schema says", event)
    path, what, value = found
    if not path:
        raise CorruptLogError(f"it should be {what}")
    field = str(path[0]) + "".join(f"[{p!r}]" for p in path[1:])
    if value is _MISSING:
        raise CorruptLogError(f"field {field!r} is missing")
    raise CorruptLogError(f"field {field} should be {what}, got {_describe(value)}")
