"""What LangGraph shows for each state key at a checkpoint, from what the checkpoint stores.

A checkpoint keeps each channel's ``checkpoint()`` form; ``get_state`` shows its ``get()``. They
differ for several of LangGraph's channel classes, and this module is the one place that knows
how (:data:`SHOWN`)::

    class                          stored                        shown
    LastValue, AnyValue,           the value                     the value
      EphemeralValue
    BinaryOperatorAggregate        the value                     the value
    LastValueAfterFinish           (value, finished)             the value once finished
    NamedBarrierValue              the names seen                None once all were seen
    NamedBarrierValueAfterFinish   (names seen, finished)        None once all seen and finished
    Topic                          the list of values            the list, unless empty
    DeltaChannel                   every Nth update a snapshot,  the value: the nearest snapshot
                                   else nothing                  plus the writes since
    UntrackedValue                 never stored                  never shown

A shown "nothing" (:data:`ABSENT`) leaves the key out of the state, as LangGraph does. A class
not in the table (a user's own channel, or any class on an untested LangGraph) is read with
LangGraph's own ``from_checkpoint(stored).get()``.

Two classes need more than a translation:

* ``Topic`` and the ``NamedBarrierValue`` classes hand their live container to the checkpoint,
  and keep changing it in the next superstep. With ``durability="async"`` the checkpoint is
  saved in the background, possibly after that change (LangGraph issue #8748): :class:`Channels`
  copies them before the next superstep's writes are applied (:meth:`Channels.freeze`), or when
  the checkpoint is saved, whichever comes first.
* a ``DeltaChannel`` is stored only at its snapshots: :class:`Channels` rebuilds its value at
  every checkpoint from the previous checkpoint's value and the writes of the tasks that ran
  from it, as LangGraph's ``get_delta_channel_history`` replays them, or from that history
  when the previous checkpoint was not seen (a thread that ran before the recording began).

Only the graph's state keys are translated: LangGraph's own channels (``branch:to:``, ``join:``
barriers, ``__pregel_tasks``...) are kept as stored, which is what tells how far a barrier got.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langgraph.channels import (
    AnyValue,
    BinaryOperatorAggregate,
    DeltaChannel,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Topic,
    UntrackedValue,
)
from langgraph.errors import EmptyChannelError

from ..events import is_internal_channel
from ._lg import TESTED, delta_snapshot, writes_sort_key

__all__ = ["ABSENT", "ALIASED", "NOT_RECORDED", "SHOWN", "Channels", "detach", "empty", "shown"]


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()
"""What LangGraph shows for a channel it cannot read yet: nothing, the key is left out."""


class _NotRecorded:
    def __repr__(self) -> str:
        return "<not recorded: rebuilt from writes made before the recording began>"


NOT_RECORDED: Any = _NotRecorded()
"""A DeltaChannel value that could not be rebuilt: its earlier writes were never seen."""

# --- the table -----------------------------------------------------------------------------------


def _same(channel: Any, stored: Any) -> Any:
    return stored


def _aggregate(channel: Any, stored: Any) -> Any:
    # a thread written while the key was a DeltaChannel stores snapshots
    is_snapshot, value = delta_snapshot(stored)
    return value if is_snapshot else stored


def _after_finish(channel: Any, stored: Any) -> Any:
    value, finished = stored
    return value if finished else ABSENT


def _barrier(channel: Any, stored: Any) -> Any:
    return None if set(stored) == set(channel.names) else ABSENT


def _barrier_after_finish(channel: Any, stored: Any) -> Any:
    seen, finished = stored
    return None if finished and set(seen) == set(channel.names) else ABSENT


def _topic(channel: Any, stored: Any) -> Any:
    values = stored[1] if isinstance(stored, tuple) else stored  # (older format: a pair)
    return list(values) if values else ABSENT


SHOWN: dict[type, Callable[[Any, Any], Any]] = {
    LastValue: _same,
    AnyValue: _same,
    EphemeralValue: _same,
    UntrackedValue: _same,
    BinaryOperatorAggregate: _aggregate,
    LastValueAfterFinish: _after_finish,
    NamedBarrierValue: _barrier,
    NamedBarrierValueAfterFinish: _barrier_after_finish,
    Topic: _topic,
    DeltaChannel: _aggregate,  # a snapshot; between snapshots the value is rebuilt (Channels)
}
"""Channel class -> ``(channel, stored) -> shown`` (:data:`ABSENT` for nothing)."""

ALIASED: tuple[type, ...] = (Topic, NamedBarrierValue, NamedBarrierValueAfterFinish)
"""The classes whose ``checkpoint()`` is their live container, changed by later supersteps."""

# channel class -> (is a DeltaChannel, is ALIASED): LangGraph's channels are ABCs, whose
# isinstance goes through ABCMeta.__instancecheck__ (a Python call); asked several times per
# channel and checkpoint, answered once per class
_KINDS: dict[type, tuple[bool, bool]] = {}


def _kind(channel: Any) -> tuple[bool, bool]:
    """``(is a DeltaChannel, is ALIASED)`` for ``channel``, as isinstance says."""
    cls = type(channel)
    kind = _KINDS.get(cls)
    if kind is None:
        kind = _KINDS[cls] = (isinstance(channel, DeltaChannel), isinstance(channel, ALIASED))
    return kind


def shown(channel: Any, stored: Any) -> Any:
    """What ``get_state`` shows for ``channel`` (its live spec) when a checkpoint stores
    ``stored``: the value, or :data:`ABSENT`. A value of an unexpected shape is shown as
    stored."""
    read = SHOWN.get(type(channel)) if TESTED else None
    try:
        if read is not None:
            return read(channel, stored)
        return channel.from_checkpoint(stored).get()
    except EmptyChannelError:
        return ABSENT
    except Exception:
        return stored


def empty(channel: Any) -> Any:
    """What ``get_state`` shows for ``channel`` when a checkpoint stores nothing for it: a
    reducer's empty value (``[]``, ``0``...), else :data:`ABSENT`."""
    try:
        if isinstance(channel, DeltaChannel):  # starts from its type's empty value
            return channel.typ()
        return channel.get() if channel.is_available() else ABSENT
    except Exception:
        return ABSENT


def detach(stored: Any) -> Any:
    """A stored value that no later superstep can change: a copy of a live list or set."""
    if isinstance(stored, list):
        return list(stored)
    if isinstance(stored, set):
        return set(stored)
    if isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], set):
        return (set(stored[0]), stored[1])
    return stored


def _replay(channel: Any, seed: Any, writes: Sequence[Any]) -> Any:
    """A DeltaChannel's value: ``seed`` (a value, a snapshot, or :data:`ABSENT`) and ``writes``
    applied as LangGraph's ``get_delta_channel_history`` replays them."""
    if seed is NOT_RECORDED:
        return NOT_RECORDED
    start = channel.from_checkpoint(None if seed is ABSENT else copy.copy(seed))
    start.replay_writes([("", "", w) for w in writes])
    return start.get()


# --- per recording -------------------------------------------------------------------------------

_SIZE = 512  # checkpoints remembered (a checkpoint's successor usually follows it at once)
# checkpoints frozen and not saved yet: a save runs at most a few supersteps late, and with
# durability="exit" most checkpoints are never saved
_FROZEN_SIZE = 64


def _put_bounded(memo: OrderedDict[str, Any], key: str, value: Any, size: int = _SIZE) -> None:
    memo[key] = value
    memo.move_to_end(key)
    while len(memo) > size:
        memo.popitem(last=False)


class Channels:
    """The values a recording shows for each checkpoint (see the module docstring).

    Thread-safe: the loop thread freezes a checkpoint's containers while the saver's thread
    records it. ``arrival_order``: replay a checkpoint's writes in the order they were fed
    (a rebuilt run, fed in the saver's order) rather than LangGraph's task-path order.
    """

    def __init__(self, *, arrival_order: bool = False) -> None:
        self.arrival_order = arrival_order
        self._lock = threading.Lock()
        self._seq = itertools.count()
        # checkpoint id -> copies of its aliased containers, taken before they could change
        self._frozen: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # checkpoint id -> its DeltaChannel values, for every checkpoint recorded
        self._deltas: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # checkpoint id -> (task id, index) -> (order, channel, value): DeltaChannel writes of
        # the tasks that ran from it
        self._writes: OrderedDict[str, dict[tuple[str, int], tuple[Any, str, Any]]] = OrderedDict()

    def freeze(self, checkpoint: Mapping[str, Any], live: Mapping[str, Any]) -> None:
        """Copy the aliased containers of ``checkpoint`` (the loop's newest, maybe not saved
        yet) before LangGraph applies the next writes to ``live``, its channels."""
        cp_id = str(checkpoint.get("id"))
        values = checkpoint.get("channel_values") or {}
        with self._lock:
            if cp_id in self._deltas or cp_id in self._frozen:  # recorded already
                return
            frozen = {k: detach(v) for k, v in values.items() if _kind(live.get(k))[1]}
            if frozen:
                _put_bounded(self._frozen, cp_id, frozen, _FROZEN_SIZE)

    def on_writes(
        self,
        spec: Mapping[str, Any] | None,
        cp_id: str | None,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> None:
        """Keep a task's DeltaChannel writes, to rebuild the values of the next checkpoint."""
        if not spec or cp_id is None:
            return
        mine = [(i, c, v) for i, (c, v) in enumerate(writes) if _kind(spec.get(c))[0]]
        if not mine:
            return
        with self._lock:
            slot = self._writes.get(cp_id)
            if slot is None:
                slot = {}
                _put_bounded(self._writes, cp_id, slot)
            for i, c, v in mine:
                order = (
                    next(self._seq)
                    if self.arrival_order
                    else writes_sort_key(task_path, task_id, i)
                )
                # a saver keeps the first write of a (task, index): so does the replay
                slot.setdefault((task_id, i), (order, c, v))

    def history_needed(
        self, spec: Mapping[str, Any] | None, parent: str | None, checkpoint: Mapping[str, Any]
    ) -> list[str]:
        """The DeltaChannels of ``checkpoint`` to read from the saver's history: those it does
        not store, when its parent was not recorded."""
        if not spec or not parent:
            return []
        chans = _unsaved_deltas(spec, checkpoint)
        if not chans:
            return []
        with self._lock:
            return [] if parent in self._deltas else chans

    def on_put(
        self,
        spec: Mapping[str, Any] | None,
        cp_id: str,
        parent: str | None,
        checkpoint: Mapping[str, Any],
        history: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(stored, shown)`` for a checkpoint being recorded.

        ``stored``: its channel values as LangGraph stored them when it made the checkpoint
        (what the trigger rule reads). ``shown``: the same with the state keys as ``get_state``
        shows them (left out when it shows nothing), DeltaChannels included. ``spec``: the
        graph's live channels (``None``: a graph that could not be inspected, kept as stored).
        ``history``: the saver's ``get_delta_channel_history`` for :meth:`history_needed`.
        """
        values: Mapping[str, Any] = checkpoint.get("channel_values") or {}
        chans: Mapping[str, Any] = spec or {}
        with self._lock:
            frozen = self._frozen.pop(cp_id, {})
            stored = {
                k: frozen[k] if k in frozen else detach(v) if _aliased(chans.get(k)) else v
                for k, v in values.items()
            }
            known = parent is None or parent in self._deltas
            before = self._deltas.get(parent, {}) if parent else {}
            writes = list(self._writes.get(parent, {}).values()) if parent else []
        out: dict[str, Any] = {}
        for k, v in stored.items():
            channel = chans.get(k)
            if channel is None or is_internal_channel(k):
                out[k] = v
                continue
            value = shown(channel, v)
            if value is not ABSENT:
                out[k] = value
        deltas: dict[str, Any] = {}
        for k in _unsaved_deltas(chans, checkpoint):
            if known:
                ws = [v for _, c, v in sorted(writes, key=lambda w: w[0]) if c == k]
                deltas[k] = _rebuilt(chans[k], before.get(k, ABSENT), ws)
            elif history is not None and k in history:
                entry = history[k]
                ws = [w[2] for w in entry.get("writes") or ()]
                deltas[k] = _rebuilt(chans[k], entry.get("seed", ABSENT), ws)
            else:
                deltas[k] = NOT_RECORDED
            out[k] = deltas[k]
        for k, ch in chans.items():
            if _kind(ch)[0] and k in out and k not in deltas:
                deltas[k] = out[k]  # a snapshot
        with self._lock:
            _put_bounded(self._deltas, cp_id, deltas)
        return stored, out


def _aliased(channel: Any) -> bool:
    # a channel of a graph that could not be inspected may be one
    return channel is None or _kind(channel)[1]


def _unsaved_deltas(spec: Mapping[str, Any], checkpoint: Mapping[str, Any]) -> list[str]:
    """The DeltaChannels written on this branch (they have a version) that the checkpoint does
    not store: their value is rebuilt."""
    versions = checkpoint.get("channel_versions") or {}
    values = checkpoint.get("channel_values") or {}
    return [k for k, ch in spec.items() if _kind(ch)[0] and k in versions and k not in values]


def _rebuilt(channel: Any, seed: Any, writes: Sequence[Any]) -> Any:
    try:
        return _replay(channel, seed, writes)
    except Exception:  # a reducer that fails on replay: say so rather than guess
        return NOT_RECORDED
