"""The viewer's document: everything the TypeScript viewer shows, built from a Run.

One JSON document, the only contract between Python and the viewer (schema below, version
``PAYLOAD_VERSION``; ``labextension/src/viewer/types.ts`` mirrors it). Every host (notebook widget,
HTML export, JupyterLab) renders the same document.

::

    {
      "version": 1,
      "meta": {...},                               # the log's meta event
      "graphs": {                                  # one per static graph path ("" is the root)
        "<key>": {"dot": "digraph ...",            # laid out once by WASM Graphviz
                  "nodes": [{"id": "n0", "name", "subgraph": "<key>"|null, "is_subgraph"}],
                  "edges": [{"id": "e0", "source", "target",
                             "kind": "static|conditional|observed", "label"}],
                  "channels": {"<name>": {"class", "reducer"?, "accumulate"?, "names"?, ...}},
                  "error": null | "why the structure is missing"}
      },
      "threads": [{
        "id", "outcome": {"status", "interrupts", "error"}, "calls": [...],
        "namespaces": [{
          "ns": "", "key": "", "node": "", "parent_ns": null, "parent_task": null,
          "steps": [{
            "step", "source", "checkpoint", "parent", "start", "end",
            "state":    {"set": {key: value}, "del": [key]},   # vs the previous entry
            "versions": {"set": {channel: version}, "del": [channel]},
            "updated": [channel], "next": {node: [[channel, seen, current]]},
            "edges": [[source, target, kind]],               # taken in this step
            "narration": [sentence],                         # plain text (analysis.narrate)
            "narration_details": [text],                     # the internals behind it
            "branch": 0, "fork_of": null | index,             # Namespace.branch_numbers
            "tasks": [{"id", "name", "kind", "status", "path", "triggers", "sent_by",
                       "writes", "error", "interrupts", "resumes", "attempts", "input",
                       "subgraphs", "calls"}]
          }]
        }]
      }],
      "warnings": [text]    # read from the log; EMPTY_NOTICE when nothing ran at all
    }

Values are plain JSON (tagged maps for other objects, see :mod:`pregel_viz.values`). Times
are seconds since the recording started. ``attempts`` is ``null`` when the source never kept
them (a run rebuilt from a checkpointer); so is a task's ``calls`` (the calls made inside it, as
in the export, see :mod:`pregel_viz.spans`). ``narration`` tells the step in plain sentences (see
:func:`pregel_viz.analysis.narrate.narrate_run`); the viewer shows it as text, and
``narration_details`` (``StepNarration.details``: channel names, namespaces, the Command sent)
on demand. ``branch``
numbers the branches of a forked thread (0: the first one recorded); ``fork_of`` is, on the
first entry of a later branch, the index of the entry it was forked from (else null).
Channel versions (``versions``, the ``next`` reasons, the task triggers) are the savers'
counters: ``"00000000000000000000000000000002.0.4622..."`` is sent as ``2`` (other versions,
e.g. a custom saver's, as they are).

A saved notebook output carries a large document *packed* (:func:`pack_document`):
``{"encoding": "gzip+base64", "data": "<base64 of the gzipped JSON text>"}``, about an eighth of
the JSON's size (a 10,000-superstep run: 10 MB of JSON, 1.4 MB packed). Readers take either form
(:func:`unpack_document`; ``labextension/src/packed.ts`` in the browser): outputs saved before
documents were packed hold the document itself.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import re
import zlib
from typing import Any

from ..analysis.export import json_safe, task_dict
from ..analysis.narrate import narrate
from ..model import EdgeTaken, Namespace, Run, Task, Thread, edges_of, spec_key
from .dot import graph_view

__all__ = [
    "PACKED_ENCODING",
    "PAYLOAD_VERSION",
    "build_payload",
    "graphs_doc",
    "head_json",
    "is_packed",
    "namespace_entries",
    "namespace_head",
    "pack_document",
    "payload_json",
    "thread_head",
    "unpack_document",
]

PAYLOAD_VERSION = 1

EMPTY_NOTICE = "No supersteps recorded: the log holds no checkpoint to show."
"""The notice in ``warnings`` of the document of a run where nothing ran (an empty log)."""


def _delta(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {
        "set": {k: v for k, v in new.items() if k not in old or old[k] != v},
        "del": [k for k in old if k not in new],
    }


# LangGraph's savers number channel versions "<32-digit counter>.<random fraction>"; the viewer
# shows the counter ("v2"), so the payload carries only that (a quarter of a long run's bytes).
_SAVER_VERSION = re.compile(r"^(\d{32})\.[0-9.eE+-]+$")


def _version(v: Any) -> Any:
    """A saver's version string as its counter (an int); anything else unchanged."""
    if isinstance(v, str):
        m = _SAVER_VERSION.match(v)
        if m:
            return int(m.group(1))
    return v


def _task(task: Task) -> dict[str, Any]:
    doc = task_dict(task)
    for t in doc.get("triggers") or ():
        t["seen"], t["current"] = _version(t.get("seen")), _version(t.get("current"))
    return doc


def _steps(
    space: Namespace,
    narration: list[list[str]],
    first: int = 0,
    details: list[list[str]] | None = None,
) -> list[dict[str, Any]]:
    """The entries of ``space`` from index ``first`` on (``narration[i]`` tells entry
    ``first + i``, ``details[i]`` its internals); the first one's deltas are against entry
    ``first - 1``."""
    details = details or []
    out = []
    supersteps = space.supersteps
    branch = space.branch_numbers()
    state: dict[str, Any] = {}
    versions: dict[str, Any] = {}
    if 0 < first <= len(supersteps):
        before = supersteps[first - 1]
        state = before.values
        cp = before.checkpoint or before.parent
        versions = {k: _version(v) for k, v in (cp.versions if cp is not None else {}).items()}
    for i, s in enumerate(supersteps[first:], start=first):
        new_state = s.values
        cp = s.checkpoint or s.parent
        new_versions = {k: _version(v) for k, v in (cp.versions if cp is not None else {}).items()}
        out.append(
            {
                "step": s.step,
                "source": s.source,
                "checkpoint": s.checkpoint.id if s.checkpoint is not None else None,
                "parent": s.parent.id if s.parent is not None else None,
                "start": s.start,
                "end": s.end,
                "state": _delta(state, new_state),
                "versions": _delta(versions, new_versions),
                "updated": s.updated,
                "next": {
                    node: [[ch, _version(seen), _version(cur)] for ch, seen, cur in reasons]
                    for node, reasons in s.next_tasks.items()
                },
                "edges": [[e.source, e.target, e.kind] for e in edges_of([s])],
                "tasks": [_task(t) for t in s.tasks],
                "narration": list(narration[i - first]) if i - first < len(narration) else [],
                "narration_details": list(details[i - first]) if i - first < len(details) else [],
                "branch": branch[i][0],
                "fork_of": branch[i][1],
            }
        )
        state, versions = new_state, new_versions
    return out


def _thread(
    thread: Thread,
    narration: dict[str, list[list[str]]],
    details: dict[str, list[list[str]]] | None = None,
) -> dict[str, Any]:
    return {
        "id": thread.thread_id,
        "outcome": thread.outcome,
        "calls": [
            {
                "index": c.index,
                "method": c.method,
                "status": c.status,
                "start": c.start,
                "end": c.end,
                "interrupts": c.interrupts,
                "error": c.error,
            }
            for c in thread.calls
        ],
        "namespaces": [
            {
                "ns": ns,
                "key": spec_key(ns),
                "node": space.node,
                "parent_ns": space.parent_ns,
                "parent_task": space.parent_task_id,
                "steps": _steps(space, narration.get(ns, []), 0, (details or {}).get(ns)),
            }
            for ns, space in thread.namespaces.items()
        ],
    }


def _graphs(run: Run) -> dict[str, Any]:
    keys = set(run.graphs)
    taken: dict[str, dict[tuple[str, str, str], int]] = {}
    names: dict[str, list[str]] = {}
    for thread in run.threads.values():
        for ns, space in thread.namespaces.items():
            key = spec_key(ns)
            keys.add(key)
            bucket = taken.setdefault(key, {})
            for e in space.edges_taken():
                bucket[(e.source, e.target, e.kind)] = bucket.get((e.source, e.target, e.kind), 0)
                bucket[(e.source, e.target, e.kind)] += e.count
            seen = names.setdefault(key, [])
            for task in space.tasks.values():
                if task.name not in seen:
                    seen.append(task.name)
    out = {}
    for key in sorted(keys):
        prefix = f"{key}|" if key else ""
        children = {
            k[len(prefix) :]: k
            for k in keys
            if k.startswith(prefix) and "|" not in k[len(prefix) :] and k != key
        }
        structure = run.graphs.get(key)
        view = graph_view(
            structure,
            [EdgeTaken(s, t, k, n) for (s, t, k), n in taken.get(key, {}).items()],
            names.get(key, []),
            children,
        )
        view["channels"] = (structure or {}).get("channels") or {}
        out[key] = view
    return out


Told = dict[str, dict[str, list[list[str]]]]


def _narrations(run: Run) -> tuple[Told, Told]:
    """Every thread's and namespace's narration (as ``narrate_run`` tells it) and the details
    behind each step's sentences: ``[thread][ns][i]``, in the order of the entries."""
    sentences: Told = {}
    details: Told = {}
    for label, thread in run.threads.items():
        sentences[label], details[label] = {}, {}
        for ns in thread.namespaces:
            told = narrate(run, thread=label, ns=ns).steps
            sentences[label][ns] = [s.sentences for s in told]
            details[label][ns] = [s.details for s in told]
    return sentences, details


def _document(run: Run) -> dict[str, Any]:
    """The viewer document, before bytes and non-finite floats are made JSON."""
    narration, details = _narrations(run)
    notes = list(run.warnings)
    spaces = [space for t in run.threads.values() for space in t.namespaces.values()]
    if not any(space.supersteps for space in spaces):
        notes.append(EMPTY_NOTICE)
    return {
        "version": PAYLOAD_VERSION,
        "meta": run.meta,
        "graphs": _graphs(run),
        "threads": [
            _thread(t, narration.get(label, {}), details.get(label, {}))
            for label, t in run.threads.items()
        ],
        "warnings": notes,
    }


def namespace_entries(run: Run, thread: str, ns: str, first: int) -> list[dict[str, Any]]:
    """The document's entries of one namespace from index ``first`` on (what a live view
    appends to the entries it has: ``pregel_viz/views/live_widget.py``), as plain data."""
    space = run.threads[thread].namespaces[ns]
    told = narrate(run, thread=thread, ns=ns, first=first)
    narration = [s.sentences for s in told.steps]
    details = [s.details for s in told.steps]
    return json_safe(_steps(space, narration, first, details))  # type: ignore[no-any-return]


def namespace_head(thread: Thread, ns: str) -> dict[str, Any]:
    """A namespace of the document without its entries."""
    space = thread.namespaces[ns]
    return {
        "ns": ns,
        "key": spec_key(ns),
        "node": space.node,
        "parent_ns": space.parent_ns,
        "parent_task": space.parent_task_id,
    }


def thread_head(thread: Thread) -> dict[str, Any]:
    """A thread of the document without its namespaces: its id, outcome and calls."""
    doc = _thread(dataclasses.replace(thread, namespaces={}), {})
    del doc["namespaces"]
    return json_safe(doc)  # type: ignore[no-any-return]


def graphs_doc(run: Run) -> dict[str, Any]:
    """The document's graphs (drawn structure, edges taken, channels), as plain data."""
    return json_safe(_graphs(run))  # type: ignore[no-any-return]


def build_payload(run: Run) -> dict[str, Any]:
    """The viewer document for ``run`` (plain JSON data)."""
    return json_safe(_document(run))  # type: ignore[no-any-return]


def _bytes_as_json(value: Any) -> Any:
    if isinstance(value, bytes):
        return json_safe(value)
    raise TypeError(f"{type(value).__name__} in a viewer document")


def payload_json(run: Run) -> str:
    """The viewer document as compact JSON text (what ``build_payload`` gives, serialized).

    Live debugging redraws from this after every superstep, so the common case skips the
    walk that ``json_safe`` makes: bytes are converted as the encoder meets them, and only a
    document holding a NaN or an infinity takes the full walk.
    """
    return _dumps(_document(run))


def head_json(run: Run, entries: int) -> str | None:
    """The document of ``run`` cut to the first ``entries`` entries of each namespace, as
    :func:`payload_json` text; ``None`` when no namespace has more (the whole document is the
    head). Its graphs are the whole run's, so a viewer that shows the head first and the whole
    document next draws the same graph once. A `.pregel` document shows this head while the
    rest of a long log is built (``pregel_viz/server.py``)."""
    spaces = [space for t in run.threads.values() for space in t.namespaces.values()]
    if all(len(space.supersteps) <= entries for space in spaces):
        return None
    head = dataclasses.replace(
        run,
        threads={
            label: dataclasses.replace(
                t,
                namespaces={
                    ns: dataclasses.replace(space, supersteps=space.supersteps[:entries])
                    for ns, space in t.namespaces.items()
                },
            )
            for label, t in run.threads.items()
        },
    )
    doc = _document(head)
    doc["graphs"] = _graphs(run)
    return _dumps(doc)


def _dumps(doc: dict[str, Any]) -> str:
    try:
        return json.dumps(
            doc,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_bytes_as_json,
        )
    except ValueError:  # a non-finite float somewhere
        return json.dumps(json_safe(doc), separators=(",", ":"), ensure_ascii=False)


PACKED_ENCODING = "gzip+base64"
"""The ``encoding`` of a packed document (:func:`pack_document`)."""

PACK_ABOVE = 64 * 1024
"""JSON texts up to this many bytes stay plain in a saved output (readable, and small anyway)."""

MAX_UNPACKED_BYTES = 256 * 2**20
"""The most a packed document may unpack to: more is refused, not decompressed (a small
output could otherwise unpack to gigabytes). The browser's reader has the same bound."""


def pack_document(text: str | bytes, *, above: int = PACK_ABOVE) -> Any:
    """A document's JSON text as a saved output carries it: packed, ``{"encoding":
    "gzip+base64", "data": ...}``, when the text is over ``above`` bytes; else the document
    itself (plain JSON data)."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(raw) <= above:
        return json.loads(raw)
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    return {"encoding": PACKED_ENCODING, "data": base64.b64encode(packed).decode("ascii")}


def is_packed(data: Any) -> bool:
    """Whether ``data`` is a packed document (rather than a document)."""
    return (
        isinstance(data, dict)
        and data.get("encoding") == PACKED_ENCODING
        and isinstance(data.get("data"), str)
    )


def unpack_document(data: Any) -> Any:
    """The document a saved output carries, packed or not (outputs of earlier releases hold
    the document itself, returned as it is). ``ValueError`` for a packed document that is
    damaged or would unpack to more than :data:`MAX_UNPACKED_BYTES`."""
    if not is_packed(data):
        return data
    try:
        packed = base64.b64decode(data["data"], validate=True)
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip
        raw = inflate.decompress(packed, MAX_UNPACKED_BYTES + 1)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"a damaged packed document: {exc}") from None
    if len(raw) > MAX_UNPACKED_BYTES or inflate.unconsumed_tail:
        raise ValueError(f"a packed document unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    if not inflate.eof:
        raise ValueError("a damaged packed document: its gzip data ends early")
    return json.loads(raw)
