"""The savers of a recording.

:class:`RecordingSaver` delegates everything to a saver and reports its puts and writes.
:class:`NullSaver` stores nothing: what a graph without a checkpointer is lent for one call.
:class:`KeepingSerializer` is the serializer of the in-memory saver that :func:`pregel_viz.record`
gives a graph without one: it never fails.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

if TYPE_CHECKING:
    from ._session import Recorder

__all__ = ["KeepingSerializer", "NullSaver", "RecordingSaver"]

logger = logging.getLogger("pregel_viz")


def _takes_task_path(put_writes: Any) -> bool:
    """LangGraph passes ``task_path`` only to savers whose ``put_writes`` names it."""
    try:
        return "task_path" in inspect.signature(put_writes).parameters
    except (TypeError, ValueError):
        return False


class RecordingSaver(BaseCheckpointSaver[Any]):
    """Wraps ``inner``: every call goes to it unchanged; successful puts and writes are recorded.

    ``thread_label`` maps LangGraph's thread id to the id under which the log files it, so that
    independent calls made on one thread id by a graph without a checkpointer stay apart.
    """

    def __init__(
        self, inner: BaseCheckpointSaver[Any], recorder: Recorder, label: str = ""
    ) -> None:
        super().__init__(serde=inner.serde)
        self.inner = inner
        self.recorder = recorder
        self.label = label
        self._path_sync = _takes_task_path(inner.put_writes)
        self._path_async = _takes_task_path(inner.aput_writes)

    def _record(self, where: str, fn: Any, *args: Any) -> None:
        # Recording must never change what the graph does: a recorder failure is reported,
        # never raised into LangGraph's loop (a SystemExit raised by user code the recorder
        # ran included; only Ctrl-C goes through).
        try:
            fn(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            self.recorder_failed(where, exc)

    def _history_needed(self, config: RunnableConfig, checkpoint: Checkpoint) -> list[str]:
        """The DeltaChannels whose history the recorder needs to show this checkpoint: only
        for a thread that ran before the recording began (a saver that stores nothing has
        none)."""
        if isinstance(self.inner, NullSaver):
            return []
        try:
            return self.recorder.history_needed(config, checkpoint)
        except Exception as exc:
            self.recorder_failed("history_needed", exc)
            return []

    def recorder_failed(self, where: str, exc: BaseException) -> None:
        """Called when recording one event failed; the graph goes on unaffected."""
        logger.warning("pregel-viz could not record %s: %s: %s", where, type(exc).__name__, exc)

    # --- recorded ---------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        result = self.inner.put(config, checkpoint, metadata, new_versions)
        history = None
        chans = self._history_needed(config, checkpoint)
        if chans:
            try:
                history = self.inner.get_delta_channel_history(config=result, channels=chans)
            except Exception as exc:
                self.recorder_failed("get_delta_channel_history", exc)
        self._record("put", self.recorder.on_put, self.label, config, checkpoint, metadata, history)
        return result

    # LangGraph passes task_path only to savers whose put_writes names it.
    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        if self._path_sync:
            self.inner.put_writes(config, writes, task_id, task_path)
        else:
            self.inner.put_writes(config, writes, task_id)
        self._record(
            "put_writes", self.recorder.on_writes, self.label, config, writes, task_id, task_path
        )

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        result = await self.inner.aput(config, checkpoint, metadata, new_versions)
        history = None
        chans = self._history_needed(config, checkpoint)
        if chans:
            try:
                history = await self.inner.aget_delta_channel_history(config=result, channels=chans)
            except Exception as exc:
                self.recorder_failed("aget_delta_channel_history", exc)
        self._record(
            "aput", self.recorder.on_put, self.label, config, checkpoint, metadata, history
        )
        return result

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        if self._path_async:
            await self.inner.aput_writes(config, writes, task_id, task_path)
        else:
            await self.inner.aput_writes(config, writes, task_id)
        self._record(
            "aput_writes", self.recorder.on_writes, self.label, config, writes, task_id, task_path
        )

    # --- delegated --------------------------------------------------------------------------

    @property
    def config_specs(self) -> list[Any]:
        return list(self.inner.config_specs)

    def get(self, config: RunnableConfig) -> Checkpoint | None:
        return self.inner.get(config)

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self.inner.get_tuple(config)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        return self.inner.list(config, filter=filter, before=before, limit=limit)

    def delete_thread(self, thread_id: str) -> None:
        self.inner.delete_thread(thread_id)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self.inner.delete_for_runs(run_ids)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self.inner.copy_thread(source_thread_id, target_thread_id)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self.inner.prune(thread_ids, strategy=strategy)

    async def aget(self, config: RunnableConfig) -> Checkpoint | None:
        return await self.inner.aget(config)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self.inner.aget_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async for item in self.inner.alist(config, filter=filter, before=before, limit=limit):
            yield item

    async def adelete_thread(self, thread_id: str) -> None:
        await self.inner.adelete_thread(thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self.inner.adelete_for_runs(run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self.inner.acopy_thread(source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self.inner.aprune(thread_ids, strategy=strategy)

    # Versions must come from the inner saver, or they silently switch from its strings to ints.
    # LangGraph asks for one before it applies a superstep's writes: the moment to keep what the
    # previous checkpoint holds, which those writes may change before it is saved.
    def get_next_version(self, current: Any, channel: None) -> Any:
        self._record("get_next_version", self.recorder.before_writes_applied)
        return self.inner.get_next_version(current, channel)

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, Any]:
        return self.inner.get_delta_channel_history(config=config, channels=channels)

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, Any]:
        return await self.inner.aget_delta_channel_history(config=config, channels=channels)

    def with_allowlist(self, extra_allowlist: Any) -> RecordingSaver:
        inner = self.inner.with_allowlist(extra_allowlist)
        if inner is self.inner:
            return self
        clone = copy.copy(self)
        clone.inner = inner
        clone.serde = inner.serde
        return clone


class NullSaver(BaseCheckpointSaver[int]):
    """Stores nothing and finds nothing: what a graph without a checkpointer reads back.

    Lent (wrapped in a :class:`RecordingSaver`) to one call of a graph without a checkpointer:
    the call runs as it would without one (no value is serialized, copied or read back), and
    its checkpoints and writes are still seen. Its versions are LangGraph's own default
    (integers counting up), the ones a run without a checkpointer uses.
    """

    def get_tuple(self, config: Any) -> CheckpointTuple | None:
        return None

    def list(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        return iter(())

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        conf = config.get("configurable") or {}
        return {
            "configurable": {
                **({"thread_id": conf["thread_id"]} if "thread_id" in conf else {}),
                "checkpoint_ns": conf.get("checkpoint_ns", ""),
                "checkpoint_id": checkpoint["id"],
            }
        }

    def put_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        return None

    async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
        return None

    async def alist(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        return
        yield  # an async generator that yields nothing

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        return None

    def delete_thread(self, thread_id: str) -> None:
        return None

    async def adelete_thread(self, thread_id: str) -> None:
        return None


class KeepingSerializer(JsonPlusSerializer):
    """LangGraph's default serializer, except that it never fails: what it cannot serialize (a
    generator, a lock, a lambda, a plain object, a cyclic list...) is kept by reference, and
    reading it back gives that very object.

    Values it can serialize go through LangGraph's own encoding, so a resumed run reads back the
    same copies an ``InMemorySaver`` would give it.
    """

    KEPT = "pregel_viz.kept"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # shared with the copies with_msgpack_allowlist makes (copy.copy)
        self._kept: dict[int, Any] = {}
        self._ids = itertools.count()

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        try:
            return super().dumps_typed(obj)
        except KeyboardInterrupt:
            raise
        except BaseException:  # not serializable (or user code failed while serializing)
            key = next(self._ids)
            self._kept[key] = obj
            return self.KEPT, str(key).encode()

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        if data[0] == self.KEPT:
            return self._kept[int(data[1])]
        return super().loads_typed(data)
