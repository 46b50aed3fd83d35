"""Hostile files: bombs are refused with a clear error in bounded memory, non-files without waiting.

The bombs are loaded in a child process whose address space is capped (RLIMIT_AS), so that a
reader without limits fails these tests with a MemoryError instead of taking the machine down;
each asserts the child's peak resident memory.
"""

from __future__ import annotations

import os
import random
import struct
import sys
import warnings
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from bombs import frame_bomb, measure, object_bomb, one_frame_object_bomb, zlib_bomb
from log_variants import SAMPLE

from pregel_viz.errors import (
    LogTooLargeError,
    NotAFileError,
    TruncatedLogWarning,
    UsageError,
)
from pregel_viz.logfile import (
    CODEC_RAW,
    CODEC_ZLIB,
    FORMAT_VERSION,
    MAGIC,
    LoadLimits,
    frame_bytes,
    read_file,
    read_frames,
)
from pregel_viz.reader import load, read_bytes

MB = 1 << 20
GiB = 1 << 30
unix_only = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS, FIFOs, /dev/zero")


def _header(codec: int) -> bytes:
    return MAGIC + struct.pack(">HHB", *FORMAT_VERSION, codec)


def _refused(result: dict[str, Any], *words: str) -> str:
    outcome = str(result["outcome"])
    assert outcome.startswith("LogTooLargeError: "), outcome
    for word in words:
        assert word in outcome, (word, outcome)
    return outcome


# --------------------------------------------------------------------------- bombs


@unix_only
def test_a_zlib_bomb_is_refused_by_its_ratio_in_bounded_memory(tmp_path: Path) -> None:
    path = zlib_bomb(tmp_path / "zlib.pregel", inflated=GiB)  # about 1 MB on disk
    assert path.stat().st_size < 1.5 * MB
    result = measure(path, limit_as=GiB)
    _refused(result, str(path), "200 times its size", "max_ratio", "PREGEL_VIZ_MAX_LOG_RATIO")
    assert result["peak_bytes"] < 400 * MB, result


@unix_only
def test_a_frame_bomb_is_refused_by_its_event_count_in_bounded_memory(tmp_path: Path) -> None:
    path = frame_bomb(tmp_path / "frames.pregel", frames=20_000_000)  # about 0.35 MB on disk
    result = measure(path, limit_as=GiB)
    _refused(result, str(path), "more than 1,000,000 events", "PREGEL_VIZ_MAX_LOG_EVENTS")
    assert result["peak_bytes"] < 300 * MB, result


@unix_only
def test_values_decoding_into_far_more_memory_are_stopped_at_the_memory_limit(
    tmp_path: Path,
) -> None:
    """Frames of a million empty maps each: 1 byte of log, 72 bytes of memory."""
    path = object_bomb(tmp_path / "objects.pregel", inflated=GiB)
    result = measure(path, limit_as=GiB, env={"PREGEL_VIZ_MAX_LOG_MEMORY": "300M"})
    _refused(result, "decoding it took", "limit of 300 MiB", "PREGEL_VIZ_MAX_LOG_MEMORY")
    assert result["peak_bytes"] < 550 * MB, result


@unix_only
def test_one_huge_frame_of_small_values_is_counted_not_decoded(tmp_path: Path) -> None:
    path = one_frame_object_bomb(tmp_path / "one.pregel", values=64 * MB)  # 4.6 GB as dicts
    env = {"PREGEL_VIZ_MAX_LOG_RATIO": "0", "PREGEL_VIZ_MAX_LOG_MEMORY": "256M"}
    result = measure(path, limit_as=GiB, env=env)
    _refused(result, "would take over", "limit of 256 MiB")
    assert result["peak_bytes"] < 400 * MB, result


@unix_only
def test_running_out_of_memory_anyway_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    path = object_bomb(tmp_path / "objects.pregel", inflated=GiB)
    result = measure(path, limit_as=GiB, env={"PREGEL_VIZ_MAX_LOG_MEMORY": "0"})
    _refused(result, str(path), "ran out of memory", "PREGEL_VIZ_MAX_LOG_MEMORY")


def test_the_defaults_are_far_above_what_recorded_logs_take() -> None:
    limits = LoadLimits()
    # measured (bench/bench_bombs.py, README): a 10,000-superstep loop is 2.5 MB on disk,
    # 12 MB inflated (ratio 5), 40,007 events, ~100 MB decoded; a 2,000-turn chat recording
    # its message list at each step is 14.7 MB, 0.9 GB inflated (ratio 63), 1.2 GB decoded
    assert limits.max_bytes is not None and limits.max_bytes >= 2 * 0.9e9
    assert limits.max_ratio is not None and limits.max_ratio >= 3 * 63
    assert limits.max_events is not None and limits.max_events >= 20 * 40_007
    assert limits.max_memory is not None and limits.max_memory >= min(2 * GiB, _ram() // 4)


def _ram() -> int:
    if not hasattr(os, "sysconf"):
        return 1 << 62  # not known: the default is then 2 GiB
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


# --------------------------------------------------------------------------- the header first


@unix_only
def test_a_huge_file_with_bad_magic_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.pregel"
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04 not a log")
        fh.truncate(GiB)  # sparse: takes no disk
    result = measure(path, limit_as=GiB // 2)
    assert result["outcome"].startswith("NotALogError: "), result
    assert "bad magic bytes" in result["outcome"]
    assert result["seconds"] < 3 and result["peak_bytes"] < 200 * MB, result


@unix_only
def test_an_uncompressed_log_past_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big-raw.pregel"
    with open(path, "wb") as fh:
        fh.write(_header(CODEC_RAW))
        fh.truncate(3 * GiB)
    result = measure(path, limit_as=GiB // 2)
    _refused(result, "more than 2 GiB uncompressed", "PREGEL_VIZ_MAX_LOG_BYTES")
    assert result["seconds"] < 3 and result["peak_bytes"] < 200 * MB, result


# --------------------------------------------------------------------------- not a file


@unix_only
def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pregel"
    os.mkfifo(fifo)
    result = measure(fifo, limit_as=GiB, timeout=30)  # an open() that waits for a writer hangs
    expected = f"NotAFileError: {fifo} is a FIFO (named pipe), not a .pregel log file"
    assert result["outcome"] == expected
    assert result["seconds"] < 3


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_refused_without_being_read() -> None:
    result = measure(Path("/dev/zero"), limit_as=GiB, timeout=30)
    assert result["outcome"] == (
        "NotAFileError: /dev/zero is a character device, not a .pregel log file"
    )


def test_a_directory_is_refused_as_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(NotAFileError, match=r"is a directory, not a \.pregel log file"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.pregel")


# --------------------------------------------------------------------------- raising the limits


def test_each_limit_can_be_raised_by_keyword_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zlib_bomb(tmp_path / "small-bomb.pregel", inflated=32 * MB)  # 32 KB on disk
    with pytest.raises(LogTooLargeError, match="times its size") as caught:
        load(path)
    assert "LoadLimits(max_ratio=" in str(caught.value)
    frames = len(load(path, limits=LoadLimits(max_ratio=None)).events)
    assert frames > 16  # 1 MiB each: past the 16 MiB below which the ratio is not checked
    assert len(read_bytes(path.read_bytes(), limits=LoadLimits(max_ratio=2000)).events) == frames
    monkeypatch.setenv("PREGEL_VIZ_MAX_LOG_RATIO", "0")
    assert len(load(path).events) == frames
    monkeypatch.setenv("PREGEL_VIZ_MAX_LOG_BYTES", "16M")
    with pytest.raises(LogTooLargeError, match="more than 16 MiB uncompressed"):
        load(path)
    with pytest.raises(LogTooLargeError, match="PREGEL_VIZ_MAX_LOG_BYTES"):
        read_bytes(path.read_bytes())
    with pytest.raises(LogTooLargeError, match="times its size"):
        load(path, limits=LoadLimits())  # given limits are used as given: no environment
    monkeypatch.delenv("PREGEL_VIZ_MAX_LOG_BYTES")

    events = len(load(SAMPLE).events)
    with pytest.raises(LogTooLargeError, match=f"more than {events - 1} events"):
        load(SAMPLE, limits=LoadLimits(max_events=events - 1))
    monkeypatch.setenv("PREGEL_VIZ_MAX_LOG_EVENTS", str(events - 1))
    with pytest.raises(LogTooLargeError, match="PREGEL_VIZ_MAX_LOG_EVENTS"):
        load(SAMPLE)
    monkeypatch.setenv("PREGEL_VIZ_MAX_LOG_EVENTS", str(events))
    assert len(load(SAMPLE).events) == events


def test_the_environment_overrides_the_limits_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREGEL_VIZ_MAX_LOG_EVENTS", "7")
    limits = LoadLimits.from_env(LoadLimits(max_ratio=3, max_events=5))
    assert (limits.max_ratio, limits.max_events) == (3, 7)


@pytest.mark.parametrize(
    ("var", "text", "expected"),
    [
        ("PREGEL_VIZ_MAX_LOG_BYTES", "8G", 8 * GiB),
        ("PREGEL_VIZ_MAX_LOG_BYTES", "512 MiB", 512 * MB),
        ("PREGEL_VIZ_MAX_LOG_BYTES", "1_000", 1000),
        ("PREGEL_VIZ_MAX_LOG_MEMORY", "1.5g", 3 * GiB // 2),
        ("PREGEL_VIZ_MAX_LOG_MEMORY", "0", None),
        ("PREGEL_VIZ_MAX_LOG_EVENTS", "5000000", 5_000_000),
        ("PREGEL_VIZ_MAX_LOG_RATIO", "1000", 1000.0),
        ("PREGEL_VIZ_MAX_LOG_RATIO", "0", None),
    ],
)
def test_environment_values_are_parsed(
    monkeypatch: pytest.MonkeyPatch, var: str, text: str, expected: float | None
) -> None:
    monkeypatch.setenv(var, text)
    name = var.removeprefix("PREGEL_VIZ_MAX_LOG_").lower()
    assert getattr(LoadLimits.from_env(), f"max_{name}") == expected


@pytest.mark.parametrize(
    ("var", "text"), [("PREGEL_VIZ_MAX_LOG_BYTES", "lots"), ("PREGEL_VIZ_MAX_LOG_EVENTS", "1M")]
)
def test_a_bad_environment_value_is_a_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, var: str, text: str
) -> None:
    monkeypatch.setenv(var, text)
    with pytest.raises(UsageError, match=f"{var}='{text}' is not a number"):
        load(SAMPLE)


# --------------------------------------------------------------------------- streaming


def _events(n: int, seed: int) -> list[dict[str, Any]]:
    """Events of very different sizes, some larger than the 1 MiB a read holds at a time."""
    rng = random.Random(seed)
    sizes = [rng.choice([0, 3, 100, 5000, 300_000, 1_500_000, 2_600_000]) for _ in range(n)]
    return [{"k": "x", "i": i, "v": rng.randbytes(size)} for i, size in enumerate(sizes)]


def _raw(events: list[dict[str, Any]]) -> bytes:
    return _header(CODEC_RAW) + b"".join(frame_bytes(ormsgpack.packb(e)) for e in events)


def _zlib(events: list[dict[str, Any]]) -> bytes:
    import zlib

    raw = _raw(events)
    return _header(CODEC_ZLIB) + zlib.compress(raw[len(_header(CODEC_RAW)) :], 1)


@pytest.mark.parametrize("encode", [_raw, _zlib])
def test_frames_across_read_pieces_are_read_whole(encode: Any, tmp_path: Path) -> None:
    events = _events(40, seed=3)
    data = encode(events)
    path = tmp_path / "log.pregel"
    path.write_bytes(data)
    assert list(read_frames(data)) == events
    assert list(read_file(path)) == events
    assert load(path).events == read_bytes(data).events == events


def test_a_cut_anywhere_keeps_every_complete_frame_and_names_where_the_cut_frame_starts(
    tmp_path: Path,
) -> None:
    events = _events(12, seed=5)
    data = _raw(events)
    starts = []
    pos = len(_header(CODEC_RAW))
    for e in events:
        starts.append(pos)
        pos += 8 + len(ormsgpack.packb(e))
    rng = random.Random(1)
    cuts = sorted({rng.randrange(starts[0] + 1, len(data)) for _ in range(25)} | {MB, 2 * MB})
    for cut in cuts:
        complete = sum(1 for end in [*starts[1:], len(data)] if end <= cut)
        path = tmp_path / f"cut-{cut}.pregel"
        path.write_bytes(data[:cut])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = load(path)
        assert run.events == events[:complete]
        if cut in starts:  # at a frame boundary: nothing was cut
            assert caught == []
            continue
        assert [type(w.message) for w in caught] == [TruncatedLogWarning]
        assert f"ends inside a frame at byte {starts[complete]} " in str(caught[0].message)
        assert run.warnings[-1] == str(caught[0].message)


# --------------------------------------------------------------------------- trusted read-back


def test_a_run_this_process_recorded_is_read_back_without_the_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limits guard files from elsewhere: a recording reading back its own log (record(),
    recording().run, auto-recording, from_checkpointer) is never refused by them."""
    from graphs import build_fanout_fanin

    import pregel_viz

    monkeypatch.setenv("PREGEL_VIZ_MAX_LOG_EVENTS", "5")
    graph = build_fanout_fanin(None)
    path = tmp_path / "own.pregel"
    run = pregel_viz.record(graph, {"log": []}, path=path)
    assert run.outcome["status"] == "completed"
    assert len(run.events) > 5
    with pregel_viz.recording(graph) as rec:
        graph.invoke({"log": []})
    assert len(rec.run.events) > 5
    with pytest.raises(LogTooLargeError, match="PREGEL_VIZ_MAX_LOG_EVENTS"):
        load(path)  # the same file, opened as a file from elsewhere
