"""What :func:`pregel_viz.recording` and automatic recording share about one call of a graph:
when lending it a saver would change what it does, and how to wrap its stream without changing
what the caller sees."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Mapping, Sequence
from typing import Any

from langchain_core.runnables.config import CONFIG_KEYS, var_child_runnable_config
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

__all__ = ["delegating", "effective_configurable", "relaying", "saver_would_change"]

# An explicit config naming one of these starts its own checkpoint lineage: LangGraph then drops
# the configurable inherited from an enclosing run (langgraph's ensure_config).
_COORDINATES = ("thread_id", "checkpoint_ns", "checkpoint_id", "checkpoint_map")
# Stream modes whose output differs once a checkpointer is present (they emit checkpoints).
_CHECKPOINT_MODES = frozenset({"checkpoints", "debug"})
_DONE: Any = object()

End = Callable[[BaseException | None], None]


def _not_empty(value: Any) -> bool:
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return value is not None


def effective_configurable(graph: Any, config: Any) -> dict[str, Any]:
    """The configurable LangGraph will run ``graph`` with (as its ensure_config merges it)."""
    explicit = [c for c in (getattr(graph, "config", None), config) if isinstance(c, Mapping)]
    ambient = var_child_runnable_config.get() or {}
    merged: dict[str, Any] = {}
    amb = ambient.get("configurable") if isinstance(ambient, Mapping) else None
    if amb and not any(
        any(_not_empty((c.get("configurable") or {}).get(k)) for k in _COORDINATES)
        for c in explicit
    ):
        merged.update(amb)
    for c in explicit:
        merged.update(c.get("configurable") or {})
        # keys that are not config keys end up in the configurable too
        merged.update({k: v for k, v in c.items() if k not in CONFIG_KEYS and _not_empty(v)})
    return merged


def _stream_modes(graph: Any, kwargs: Mapping[str, Any]) -> set[str]:
    modes: set[str] = set()
    for value in (
        kwargs.get("stream_mode") or getattr(graph, "stream_mode", None),
        kwargs.get("print_mode"),
    ):
        if isinstance(value, str):
            modes.add(value)
        elif isinstance(value, Sequence):
            modes.update(str(v) for v in value)
    return modes


def saver_would_change(
    graph: Any, input: Any, kwargs: Mapping[str, Any], conf: Mapping[str, Any]
) -> str | None:
    """Why lending a saver to this call would change what it does; ``None`` when it would not.

    A graph with its own checkpointer is lent a wrapper around it (changes nothing, provided the
    call names a configurable at all). A graph without one is lent a saver that stores nothing,
    which changes nothing except for calls that behave differently once any checkpointer is
    there: ``Command(resume=...)`` (an error without one), an explicit ``durability`` /
    ``checkpoint_during`` (a warning without one) and the ``checkpoints`` / ``debug`` stream
    modes (they emit checkpoints only with one).
    """
    saver = getattr(graph, "checkpointer", None)
    if saver is True or saver is False:
        return f"checkpointer={saver}"
    if isinstance(saver, BaseCheckpointSaver):
        if not conf:
            # LangGraph raises "Checkpointer requires one or more of the following
            # 'configurable' keys"; a lent saver would add a key and hide it
            return "no configurable"
        return None
    if saver is not None:
        return f"checkpointer of type {type(saver).__name__}"
    if kwargs.get("durability") is not None or kwargs.get("checkpoint_during") is not None:
        return "durability without checkpointer"
    if isinstance(input, Command) and input.resume is not None:
        return "Command(resume=...) without checkpointer"
    if _stream_modes(graph, kwargs) & _CHECKPOINT_MODES:
        return STREAMED_CHECKPOINTS
    return None


STREAMED_CHECKPOINTS = "checkpoints/debug stream mode without checkpointer"


def chunks_a_saver_adds(graph: Any, kwargs: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """For a call on a graph without a checkpointer streamed in the ``checkpoints`` or ``debug``
    mode: the test of the chunks that appear only because a saver was lent (LangGraph emits
    checkpoints only with one: the ``checkpoints`` mode's chunks, the ``debug`` mode's
    ``checkpoint`` events), so that dropping them gives the caller exactly the plain stream.
    ``None`` when they cannot be dropped: they would be printed (``print_mode``, ``debug``).
    """
    debug = kwargs.get("debug")
    if debug or (debug is None and getattr(graph, "debug", False)):
        return None
    if _stream_modes(graph, {"print_mode": kwargs.get("print_mode")}) & _CHECKPOINT_MODES:
        return None
    requested = kwargs.get("stream_mode") or getattr(graph, "stream_mode", None)
    single = requested if isinstance(requested, str) else None
    subgraphs = bool(kwargs.get("subgraphs"))
    v2 = kwargs.get("version") == "v2"

    def added(chunk: Any) -> bool:
        if v2:
            if not isinstance(chunk, dict):
                return False
            mode, payload = chunk.get("type"), chunk.get("data")
        else:
            parts = (
                list(chunk) if isinstance(chunk, tuple) and (subgraphs or single is None) else []
            )
            if subgraphs:
                parts = parts[1:]  # the namespace
            if single is not None:
                mode, payload = single, (parts[0] if subgraphs and parts else chunk)
            elif len(parts) == 2:
                mode, payload = parts
            else:
                return False
        if mode == "checkpoints":
            return True
        return mode == "debug" and isinstance(payload, dict) and payload.get("type") == "checkpoint"

    return added


def dropping(
    inner: Generator[Any, Any, Any], drop: Callable[[Any], bool]
) -> Generator[Any, Any, Any]:
    """``inner``'s chunks but those ``drop`` tells; closing this closes ``inner``."""
    try:
        for chunk in inner:
            if not drop(chunk):
                yield chunk
    finally:
        inner.close()


async def adropping(inner: AsyncIterator[Any], drop: Callable[[Any], bool]) -> AsyncIterator[Any]:
    """:func:`dropping` for async streams."""
    try:
        async for chunk in inner:
            if not drop(chunk):
                yield chunk
    finally:
        aclose = getattr(inner, "aclose", None)
        if aclose is not None:
            await aclose()


def delegating(
    prepare: Callable[..., tuple[Generator[Any, Any, Any], End | None]],
) -> Callable[..., Generator[Any, Any, Any]]:
    """A generator function that yields what the generator ``prepare(*args, **kwargs)`` returns
    (``yield from``: send, throw and close pass through), then calls ``end(None)``, or
    ``end(error)`` with whatever ended it. ``prepare`` runs at the first ``next()``."""

    def stream(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        inner, end = prepare(*args, **kwargs)
        if end is None:
            return (yield from inner)
        try:
            result = yield from inner
        except BaseException as exc:
            end(exc)
            raise
        end(None)
        return result

    return stream


def relaying(
    prepare: Callable[..., tuple[AsyncIterator[Any], End | None]],
) -> Callable[..., AsyncIterator[Any]]:
    """:func:`delegating` for async generators: asend, athrow and aclose pass through."""

    async def astream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        agen: Any
        agen, end = prepare(*args, **kwargs)
        try:
            try:
                item = await agen.__anext__()
            except StopAsyncIteration:
                item = _DONE
            while item is not _DONE:
                try:
                    sent = yield item
                except GeneratorExit:
                    await agen.aclose()
                    raise
                except BaseException as thrown:
                    try:
                        item = await agen.athrow(thrown)
                    except StopAsyncIteration:
                        item = _DONE
                else:
                    try:
                        item = await (agen.__anext__() if sent is None else agen.asend(sent))
                    except StopAsyncIteration:
                        item = _DONE
        except BaseException as exc:
            if end is not None:
                end(exc)
            raise
        if end is not None:
            end(None)

    return astream
