"""Reading a thread's history from a checkpointer: its namespaces, its checkpoints in order,
and the names of the tasks whose writes each checkpoint holds (:class:`Namer`).

Savers keep pending writes under their task's id only. :class:`Namer` takes each name and path
from ``graph.get_state_history`` when it has the graph, else recomputes LangGraph's task ids
(:func:`~pregel_viz.recorder._lg.task_id_func`) and keeps only the matches; see
:mod:`pregel_viz.recorder.rebuild` for what can and cannot be recovered.
"""

from __future__ import annotations

import binascii
import contextlib
import functools
import itertools
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

from ..events import BRANCH_TO, INPUT, JOIN, SNAPSHOT_BUMPS, START, spec_key
from ._lg import (
    ERROR,
    INTERRUPT,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
    PULL,
    PUSH,
    TASKS,
    task_function_name,
    task_id_func,
    task_path_str,
    update_task_id,
)
from ._topology import GraphSpec, explain

__all__ = ["Namer", "ns_of", "oldest_first", "parents_first"]

C = TypeVar("C")

# versions_seen keys that are LangGraph bookkeeping, not node names
_SEEN_RESERVED = frozenset({INPUT, INTERRUPT, SNAPSHOT_BUMPS})
# trigger sets tried per node when the graph is unknown: all subsets of at most this many channels
_MAX_POOL = 8


def ns_of(tup: CheckpointTuple) -> str:
    """The namespace of a checkpoint (``""``: the root graph's)."""
    return str((tup.config.get("configurable") or {}).get("checkpoint_ns") or "")


def parents_first(
    by_ns: Mapping[str, list[C]],
    ident: Callable[[C], str],
    parent: Callable[[C], str | None],
) -> list[tuple[str, C]]:
    """Every checkpoint by id (uuid6: creation order), each after its parent in its namespace,
    as (namespace, checkpoint); ``ident`` and ``parent`` read a checkpoint's id and its
    parent's (saver tuples and a server's history entries alike)."""
    index = {(ns, ident(c)): c for ns, cps in by_ns.items() for c in cps}
    out: list[tuple[str, C]] = []
    done: set[tuple[str, str]] = set()
    for key in sorted(index, key=lambda k: k[1]):
        chain: list[tuple[str, str]] = []
        cur: tuple[str, str] | None = key
        while cur is not None and cur in index and cur not in done and cur not in chain:
            chain.append(cur)
            pid = parent(index[cur])
            cur = (cur[0], pid) if pid else None
        for k in reversed(chain):
            done.add(k)
            out.append((k[0], index[k]))
    return out


def _parent_of(t: CheckpointTuple) -> str | None:
    pid = ((t.parent_config or {}).get("configurable") or {}).get("checkpoint_id")
    return str(pid) if pid else None


def oldest_first(by_ns: Mapping[str, list[CheckpointTuple]]) -> list[CheckpointTuple]:
    """Every checkpoint by id (uuid6: creation order), each after its parent in its namespace."""
    return [t for _, t in parents_first(by_ns, lambda t: str(t.checkpoint["id"]), _parent_of)]


class Namer:
    """Names the tasks whose writes a checkpoint holds, and finds the thread's namespaces."""

    def __init__(
        self,
        graph: Any,
        saver: BaseCheckpointSaver[Any],
        specs: Mapping[str, GraphSpec],
        thread_id: str,
    ) -> None:
        self.graph = graph
        self.saver = saver
        self.specs = specs
        self.thread_id = thread_id
        self.by_ns: dict[str, list[CheckpointTuple]] = {}
        self._snapshots: dict[str, dict[str, dict[str, tuple[str, tuple[Any, ...]]]]] = {}
        self._pools: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        self._cache: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        self._children: dict[str, dict[str, set[str]]] = {}
        self._call_names = sorted(_task_function_names(graph)) if graph is not None else []

    # --- namespaces -----------------------------------------------------------------------

    def collect(self) -> dict[str, list[CheckpointTuple]]:
        """Every checkpoint of the thread, by namespace.

        ``list()`` without a ``checkpoint_ns`` returns every namespace in InMemorySaver,
        SqliteSaver and PostgresSaver. A saver that returns the root only is probed for the
        namespace of each task (``node:task_id``), recursively.
        """
        base: RunnableConfig = {"configurable": {"thread_id": self.thread_id}}
        for tup in self.saver.list(base):
            self.by_ns.setdefault(ns_of(tup), []).append(tup)
        if set(self.by_ns) == {""}:
            todo = [""]
            while todo:
                ns = todo.pop()
                for tup in list(self.by_ns.get(ns, [])):
                    for task_id, (name, _) in self.names(ns, tup).items():
                        if name in ("?", INTERRUPT):
                            continue
                        part = f"{name}{NS_END}{task_id}"
                        child = f"{ns}{NS_SEP}{part}" if ns else part
                        if child in self.by_ns:
                            continue
                        found = list(
                            self.saver.list(
                                {
                                    "configurable": {
                                        "thread_id": self.thread_id,
                                        "checkpoint_ns": child,
                                    }
                                }
                            )
                        )
                        if found:
                            self.by_ns[child] = found
                            todo.append(child)
        return self.by_ns

    # --- names ----------------------------------------------------------------------------

    def names(self, ns: str, tup: CheckpointTuple) -> dict[str, tuple[str, str]]:
        """task id -> (name, path string) for the writers of this checkpoint that are known."""
        cp = tup.checkpoint
        key = (ns, str(cp["id"]))
        if key in self._cache:
            return self._cache[key]
        wanted = {str(w[0]) for w in tup.pending_writes or []} - {NULL_TASK_ID}
        out: dict[str, tuple[str, str]] = {}
        paths: dict[str, Any] = {}
        if wanted:
            for tid, (name, path) in self._snapshot(ns).get(str(cp["id"]), {}).items():
                if tid in wanted:
                    out[tid] = (name, task_path_str(path))
                    paths[tid] = path
            try:
                if wanted - set(out):
                    self._by_hash(ns, tup, wanted, out, paths)
                if wanted - set(out) and not paths:
                    self._by_elimination(ns, tup, wanted, out)
                self._updates(ns, tup, wanted, out)
            except (TypeError, ValueError, AttributeError, KeyError):
                pass  # a checkpoint of an unexpected shape: what is named so far stands
        self._cache[key] = out
        return out

    def _updates(
        self, ns: str, tup: CheckpointTuple, wanted: set[str], out: dict[str, tuple[str, str]]
    ) -> None:
        """``update_state(as_node=X)`` at the head files X's writes under X's prepared task id.

        Told apart from a task that ran: a superstep whose tasks all finished (no error, no
        interrupt) always makes a ``loop`` checkpoint; here there is none, only an ``update``.
        """
        children = self._children.get(ns)
        if children is None:
            children = self._children[ns] = {}
            for other in self.by_ns.get(ns, []):
                pid = ((other.parent_config or {}).get("configurable") or {}).get("checkpoint_id")
                if pid:
                    source = str((other.metadata or {}).get("source"))
                    children.setdefault(str(pid), set()).add(source)
        sources = children.get(str(tup.checkpoint["id"]), set())
        if "loop" in sources or "update" not in sources:
            return
        stuck = {ERROR, INTERRUPT}
        if any(w[1] in stuck for w in tup.pending_writes or [] if w[0] != NULL_TASK_ID):
            return
        for i, tid in enumerate(sorted(wanted)):
            out[tid] = (INTERRUPT, task_path_str((INTERRUPT, i)))

    def _snapshot(self, ns: str) -> dict[str, dict[str, tuple[str, tuple[Any, ...]]]]:
        """LangGraph's own answer: the tasks of each checkpoint, from get_state_history."""
        if ns in self._snapshots:
            return self._snapshots[ns]
        found: dict[str, dict[str, tuple[str, tuple[Any, ...]]]] = {}
        self._snapshots[ns] = found
        if self.graph is None or (ns and spec_key(ns) not in self.specs):
            return found
        cfg = {"configurable": {"thread_id": self.thread_id, "checkpoint_ns": ns}}
        try:
            for snap in self.graph.get_state_history(cfg):
                cp_id = str((snap.config.get("configurable") or {}).get("checkpoint_id"))
                found[cp_id] = {str(t.id): (str(t.name), tuple(t.path)) for t in snap.tasks}
        except Exception:  # a subgraph LangGraph cannot find, a state it cannot read...
            pass
        return found

    def _pools_for(self, ns: str) -> dict[str, list[tuple[str, ...]]]:
        """Node name -> candidate trigger sets (sorted), for recomputing pull task ids."""
        if ns in self._pools:
            return self._pools[ns]
        spec = self.specs.get(spec_key(ns))
        pools: dict[str, list[tuple[str, ...]]] = {}
        if spec is not None:
            pools = {name: [tuple(sorted(trig))] for name, trig in spec.triggers.items()}
        else:
            channels: set[str] = set()
            seen: dict[str, set[str]] = {}
            for tup in self.by_ns.get(ns, []):
                versions = tup.checkpoint.get("channel_versions")
                if isinstance(versions, Mapping):
                    channels.update(str(c) for c in versions)
                seen_all = tup.checkpoint.get("versions_seen")
                for node, chans in (seen_all if isinstance(seen_all, Mapping) else {}).items():
                    if node not in _SEEN_RESERVED and isinstance(chans, Mapping):
                        seen.setdefault(str(node), set()).update(str(c) for c in chans)
            nodes = set(seen)
            for ch in channels:
                if ch.startswith(BRANCH_TO):
                    nodes.add(ch[len(BRANCH_TO) :])
                elif ch.startswith(JOIN):
                    nodes.add(ch.rsplit(":", 1)[-1])
            nodes.add(START)
            for node in sorted(nodes):
                pool = set(seen.get(node, ())) | {f"{BRANCH_TO}{node}"}
                pool |= {
                    c
                    for c in channels
                    if c == node or (c.startswith(JOIN) and c.endswith(f":{node}"))
                }
                if node == START or START in channels:
                    pool.add(START)
                pools[node] = _subsets(sorted(pool))
        self._pools[ns] = pools
        return pools

    def _by_hash(
        self,
        ns: str,
        tup: CheckpointTuple,
        wanted: set[str],
        out: dict[str, tuple[str, str]],
        paths: dict[str, Any],
    ) -> None:
        """Recompute LangGraph's task ids from what they hash; keep only exact matches."""
        cp = tup.checkpoint
        cp_id = str(cp["id"])
        step_no = (tup.metadata or {}).get("step")
        if not isinstance(step_no, int):
            return
        try:
            cp_bytes = binascii.unhexlify(cp_id.replace("-", ""))
        except (binascii.Error, ValueError):
            return
        make = task_id_func(cp.get("v"))
        step = str(step_no + 1)

        def task_ns(name: str) -> str:
            return f"{ns}{NS_SEP}{name}" if ns else name

        def hit(tid: str, name: str, path: tuple[Any, ...]) -> bool:
            if tid in wanted and tid not in out:
                out[tid] = (name, task_path_str(path))
                paths[tid] = path
                return True
            return False

        # pull tasks: (checkpoint, ns|name, step, name, PULL, *sorted(triggers))
        for name, trigger_sets in self._pools_for(ns).items():
            for triggers in trigger_sets:
                if hit(
                    make(cp_bytes, task_ns(name), step, name, PULL, *triggers), name, (PULL, name)
                ):
                    break
        # Sends: (checkpoint, ns|node, step, node, PUSH, idx)
        sends = (cp.get("channel_values") or {}).get(TASKS) or []
        if isinstance(sends, (list, tuple)):
            for idx, packet in enumerate(sends):
                node = getattr(packet, "node", None)
                if isinstance(node, str):
                    hit(
                        make(cp_bytes, task_ns(node), step, node, PUSH, str(idx)),
                        node,
                        (PUSH, idx, False),
                    )
        # update_state writes: not tasks (the reader files "~__interrupt__" paths as input)
        for i in range(len(wanted)):
            uid = update_task_id(cp_id, i)
            if uid is not None and uid in wanted and uid not in out:
                out[uid] = (INTERRUPT, task_path_str((INTERRUPT, i)))
        # @task calls: (checkpoint, <caller's task ns>|name, step, name, PUSH, caller's path,
        # idx of the call); a call made from a call nests, so search breadth-first from callers
        if not self._call_names:
            return
        bound = len(wanted) + 4
        frontier = [(path, f"{task_ns(out[tid][0])}{NS_END}{tid}") for tid, path in paths.items()]
        while frontier and wanted - set(out):
            found: list[tuple[tuple[Any, ...], str]] = []
            for parent, parent_ns in frontier:
                parent_str = task_path_str(parent)
                for idx in range(bound):
                    for name in self._call_names:
                        call_ns = f"{parent_ns}{NS_SEP}{name}"
                        tid = make(cp_bytes, call_ns, step, name, PUSH, parent_str, str(idx))
                        path = (PUSH, parent, idx, True)
                        if hit(tid, name, path):
                            found.append((path, f"{call_ns}{NS_END}{tid}"))
            frontier = found

    def _by_elimination(
        self, ns: str, tup: CheckpointTuple, wanted: set[str], out: dict[str, tuple[str, str]]
    ) -> None:
        """No task id recomputes (an unknown id scheme), one writer, one predicted node: it.

        Only tried when no writer of the checkpoint could be named exactly: when some could,
        the one left is something else (a ``@task`` call of an unknown function, say).
        """
        left = sorted(wanted - set(out))
        cp = tup.checkpoint
        if len(left) != 1 or (cp.get("channel_values") or {}).get(TASKS):
            return
        why = explain(
            self.specs.get(spec_key(ns)),
            cp.get("channel_versions") or {},
            cp.get("versions_seen") or {},
            cp.get("channel_values") or {},
        )
        named = {name for name, _ in out.values()}
        nodes = [n for n in why if n not in named]
        if len(nodes) == 1:
            out[left[0]] = (nodes[0], task_path_str((PULL, nodes[0])))


def _subsets(pool: list[str]) -> list[tuple[str, ...]]:
    """Candidate trigger sets, largest first (all subsets of a small pool)."""
    if len(pool) > _MAX_POOL:
        return [tuple(pool)] + [(c,) for c in pool]
    out: list[tuple[str, ...]] = []
    for size in range(len(pool), 0, -1):
        out.extend(itertools.combinations(pool, size))
    return out


def _task_function_names(graph: Any) -> set[str]:
    """Names of the functional-API ``@task`` functions the graph's node functions reference."""
    graphs = [graph]
    with contextlib.suppress(Exception):
        graphs.extend(g for _, g in graph.get_subgraphs(recurse=True))
    names: set[str] = set()
    for g in graphs:
        for node in getattr(g, "nodes", {}).values():
            bound = getattr(node, "bound", None)
            for attr in ("func", "afunc"):
                for obj in _referenced(getattr(bound, attr, None)):
                    name = task_function_name(obj)
                    if name:
                        names.add(name)
    return names


def _referenced(func: Any) -> Iterator[Any]:
    """Objects a function reaches by name: closure cells and globals its code names."""
    seen: set[int] = set()
    todo = [func]
    while todo:
        f = todo.pop()
        if f is None or id(f) in seen or len(seen) > 200:
            continue
        seen.add(id(f))
        if isinstance(f, functools.partial):
            todo.append(f.func)
            continue
        wrapped = getattr(f, "__wrapped__", None)
        if wrapped is not None:
            todo.append(wrapped)
        code = getattr(f, "__code__", None)
        if not isinstance(code, types.CodeType):
            continue
        for cell in getattr(f, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            yield value
            if isinstance(value, types.FunctionType):
                todo.append(value)
        glb = getattr(f, "__globals__", None) or {}
        for name in _code_names(code):
            if name in glb:
                yield glb[name]


def _code_names(code: types.CodeType) -> set[str]:
    names: set[str] = set()
    todo = [code]
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return names
