"""The `.pregel` container: header, frames, checksums, truncation, write-through, hostile logs."""

from __future__ import annotations

import errno
import json
import operator
import struct
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import zlib
from pathlib import Path
from typing import Annotated, Any, TypedDict

import ormsgpack
import pytest
from langgraph.graph import END, START, StateGraph

from pregel_viz import record
from pregel_viz.errors import (
    CorruptLogError,
    LogVersionError,
    LogWriteWarning,
    NotALogError,
    PregelVizError,
    TruncatedLogWarning,
)
from pregel_viz.logfile import (
    FORMAT_VERSION,
    MAGIC,
    ZLIB_LEVEL,
    LogWriter,
    decode_payload,
    encode_event,
    frame_bytes,
    read_for_append,
    read_frames,
    read_header,
)
from pregel_viz.reader import load, read_bytes

HEADER_SIZE = len(MAGIC) + 5


# --------------------------------------------------------------------------- helpers


class LinearState(TypedDict):
    log: Annotated[list[str], operator.add]


def _linear_graph() -> Any:
    g = StateGraph(LinearState)
    for name in ("a", "b", "c"):
        g.add_node(name, lambda state, name=name: {"log": [name]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile()


def _header(major: int, minor: int) -> bytes:
    return MAGIC + struct.pack(">HHB", major, minor, 0)  # uncompressed body


def _log(events: list[dict[str, Any]], version: tuple[int, int] = FORMAT_VERSION) -> bytes:
    return _header(*version) + b"".join(frame_bytes(ormsgpack.packb(e)) for e in events)


def _frame_offsets(data: bytes) -> list[int]:
    """Byte offset of every frame of a well-formed log."""
    offsets = []
    pos = HEADER_SIZE
    while pos < len(data):
        offsets.append(pos)
        (length,) = struct.unpack_from(">I", data, pos)
        pos += 8 + length
    assert pos == len(data)
    return offsets


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a real recorded log of a small linear graph."""
    path = tmp_path_factory.mktemp("rec") / "linear.pregel"
    record(_linear_graph(), {"log": []}, path=path)
    # the frame-level tests below work on the uncompressed layout of the same frames
    return _log(list(read_frames(path.read_bytes())))


SIMPLE_EVENTS: list[dict[str, Any]] = [
    {"k": "meta", "graph": "g", "pregel_viz": "0.1.0"},
    {"k": "call", "call": 1, "thread": "t", "method": "invoke", "input": {"x": 1}, "t": 0.5},
    {
        "k": "checkpoint",
        "thread": "t",
        "ns": "",
        "id": "c1",
        "parent": None,
        "step": -1,
        "source": "input",
        "full": True,
        "versions": {"x": 1},
        "values": {"x": 1},
        "why": {},
    },
    {"k": "end", "call": 1, "thread": "t", "status": "completed", "interrupts": [], "t": 1.0},
]


# --------------------------------------------------------------------------- round trip


def test_given_events_when_written_and_read_then_they_round_trip() -> None:
    events = [
        *SIMPLE_EVENTS,
        {
            "k": "x",
            "bytes": b"\x00\xff",
            "float": 1.5,
            "big": 2**64 - 1,
            "neg": -(2**63),
            "nested": {"l": [1, [2, [3]]], "none": None, "b": True},
            "s": "héllo \u2603",
        },
    ]
    writer = LogWriter()
    seen = [writer.append(e) for e in events]
    data = writer.getvalue()
    assert read_header(data)[:2] == FORMAT_VERSION == (1, 2)
    assert list(read_frames(data)) == events == seen


def test_given_written_events_when_encoded_then_decode_payload_inverts_encode_event() -> None:
    for event in SIMPLE_EVENTS:
        assert decode_payload(encode_event(event)) == event


def test_given_a_recorded_run_when_saved_and_loaded_then_the_model_is_the_same(
    tmp_path: Path,
) -> None:
    run = record(_linear_graph(), {"log": []})
    path = tmp_path / "again.pregel"
    run.save(path)
    again = load(path)
    assert again.events == run.events
    assert again.to_dict() == run.to_dict()
    assert [s.step for s in again.supersteps] == [-1, 0, 1, 2, 3]
    assert again.state_at(3) == {"log": ["a", "b", "c"]}


# --------------------------------------------------------------------------- header


def test_given_bad_magic_when_read_then_not_a_log_error_names_the_fix() -> None:
    with pytest.raises(NotALogError) as info:
        read_bytes(b"PK\x03\x04 this is a zip file" + bytes(40), source="x.zip")
    message = str(info.value)
    assert "x.zip" in message
    assert "magic" in message
    assert "pregel_viz.record" in message or "pregel-viz record" in message


def test_given_an_empty_file_when_loaded_then_not_a_log_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.pregel"
    path.write_bytes(b"")
    with pytest.raises(NotALogError):
        load(path)


@pytest.mark.parametrize("cut", range(len(MAGIC), HEADER_SIZE))
def test_given_a_header_cut_short_when_read_then_not_a_log_error(cut: int) -> None:
    with pytest.raises(NotALogError, match="header"):
        read_bytes(_header(1, 0)[:cut])


@pytest.mark.parametrize("cut", range(1, len(MAGIC)))
def test_given_a_file_cut_inside_the_magic_when_read_then_not_a_log_error(cut: int) -> None:
    with pytest.raises(NotALogError):
        read_bytes(MAGIC[:cut])


def test_given_only_a_header_when_read_then_an_empty_run() -> None:
    run = read_bytes(_header(1, 0))
    assert run.threads == {}
    assert run.events == []
    assert run.warnings == []


def test_given_a_newer_major_version_when_read_then_log_version_error_says_upgrade() -> None:
    with pytest.raises(LogVersionError) as info:
        read_bytes(_log(SIMPLE_EVENTS, version=(2, 0)))
    assert "2.0" in str(info.value)
    assert "upgrade" in str(info.value)


def test_given_major_version_zero_when_read_then_log_version_error() -> None:
    with pytest.raises(LogVersionError):
        read_bytes(_log(SIMPLE_EVENTS, version=(0, 9)))


def test_given_a_newer_minor_with_unknown_fields_and_kinds_when_read_then_it_loads_with_a_note(
    recorded: bytes,
) -> None:
    events = list(read_frames(recorded))
    newer: list[dict[str, Any]] = []
    for i, event in enumerate(events):
        newer.append({**event, "zz_future_field": {"nested": [i, "x"]}, "zz_flag": True})
        if i == 2:
            newer.append({"k": "annotation", "text": "from format 1.7", "t": 0.1})
            newer.append({"k": "annotation", "text": "another"})
            newer.append({"k": "hologram", "id": 7})
    data = _log(newer, version=(1, 7))
    assert read_header(data)[:2] == (1, 7)

    run = read_bytes(data)
    baseline = read_bytes(recorded)
    assert [s.step for s in run.supersteps] == [s.step for s in baseline.supersteps]
    assert run.state_at(3) == baseline.state_at(3) == {"log": ["a", "b", "c"]}
    assert run.outcome["status"] == "completed"
    assert "skipped 2 event(s) of unknown kind 'annotation'" in run.warnings
    assert "skipped 1 event(s) of unknown kind 'hologram'" in run.warnings
    assert len(run.warnings) == 2
    assert "warning: skipped 2 event(s)" in run.summary()


# --------------------------------------------------------------------------- corrupt frames


def test_given_a_flipped_byte_inside_a_payload_when_read_then_corrupt_log_error(
    recorded: bytes,
) -> None:
    offsets = _frame_offsets(recorded)
    for frame in (offsets[0], offsets[len(offsets) // 2], offsets[-1]):
        (length,) = struct.unpack_from(">I", recorded, frame)
        for pos in (frame + 8, frame + 8 + length // 2, frame + 8 + length - 1):
            damaged = bytearray(recorded)
            damaged[pos] ^= 0x20
            with pytest.raises(CorruptLogError, match="checksum"):
                read_bytes(bytes(damaged))


def test_given_a_flipped_checksum_when_read_then_corrupt_log_error(recorded: bytes) -> None:
    damaged = bytearray(recorded)
    damaged[HEADER_SIZE + 4] ^= 0x01
    with pytest.raises(CorruptLogError, match="checksum"):
        read_bytes(bytes(damaged))


@pytest.mark.parametrize(
    "payload",
    [
        ormsgpack.packb([1, 2, 3]),
        ormsgpack.packb("k"),
        ormsgpack.packb(None),
        ormsgpack.packb(7),
        ormsgpack.packb(b"\x81"),
    ],
    ids=["list", "str", "nil", "int", "bin"],
)
def test_given_a_valid_msgpack_payload_that_is_not_a_map_when_read_then_corrupt_log_error(
    payload: bytes,
) -> None:
    data = _log(SIMPLE_EVENTS[:1]) + frame_bytes(payload)
    with pytest.raises(CorruptLogError, match="not a map"):
        read_bytes(data)


@pytest.mark.parametrize(
    "payload",
    [
        b"\xd4\x01\x02",  # fixext 1, at top level
        b"\x81\xa1k\xd4\x01\x02",  # {"k": fixext 1}
        b"\x82\xa1k\xa4meta\xa1v\xc7\x03\x05abc",  # {"k": "meta", "v": ext 8}
        b"\x81\xa1k\xd6\xff\x00\x00\x00\x01",  # {"k": timestamp ext -1}
    ],
    ids=["top-level", "in-map", "ext8", "timestamp"],
)
def test_given_an_ext_type_in_a_frame_when_read_then_corrupt_log_error_and_nothing_imported(
    payload: bytes,
) -> None:
    data = _log(SIMPLE_EVENTS[:1]) + frame_bytes(payload)
    modules = set(sys.modules)
    with pytest.raises(CorruptLogError):
        read_bytes(data)
    assert set(sys.modules) == modules


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xc1", b"\x81\xa1k", b"\x81\xa1k\xa2\xff\xfe", b"\x81\x01\x02"],
    ids=["empty", "reserved", "short", "bad-utf8", "int-key"],
)
def test_given_a_frame_that_is_not_msgpack_when_read_then_corrupt_log_error(payload: bytes) -> None:
    with pytest.raises(CorruptLogError):
        read_bytes(_log([]) + frame_bytes(payload))


def test_given_an_impossible_frame_length_when_read_then_corrupt_log_error() -> None:
    data = _log([]) + struct.pack(">II", 0xFFFFFFFF, 0) + b"\x80"
    with pytest.raises(CorruptLogError, match="impossible length"):
        read_bytes(data)


def test_given_a_known_kind_with_the_wrong_shape_when_read_then_corrupt_log_error() -> None:
    for bad in (
        {"k": "checkpoint", "thread": 3, "ns": "", "id": "c"},
        {"k": "writes", "thread": "t", "ns": "", "task": "x", "writes": [[1, 2]]},
        {"k": "writes", "thread": "t", "ns": "", "task": "x", "writes": 5},
        {"k": "call", "call": "one", "thread": "t"},
    ):
        with pytest.raises(CorruptLogError):
            read_bytes(_log([bad]))


# --------------------------------------------------------------------------- truncation


def test_given_a_log_cut_inside_its_last_frame_when_read_then_complete_frames_read_and_warns(
    recorded: bytes,
) -> None:
    offsets = _frame_offsets(recorded)
    last = offsets[-1]
    complete = list(read_frames(recorded))[:-1]
    assert len(recorded) - last > 8
    for cut in range(last + 1, len(recorded)):
        with pytest.warns(TruncatedLogWarning, match=f"byte {last}"):
            run = read_bytes(recorded[:cut], source="cut.pregel")
        assert run.events == complete, cut
        assert any("ends inside a frame" in w for w in run.warnings)


def test_given_a_log_cut_inside_every_frame_when_read_then_each_prefix_of_frames_is_read(
    recorded: bytes,
) -> None:
    offsets = _frame_offsets(recorded)
    events = list(read_frames(recorded))
    for i, frame in enumerate(offsets):
        for cut in (frame + 1, frame + 7, frame + 8, frame + 9):
            with pytest.warns(TruncatedLogWarning):
                run = read_bytes(recorded[:cut])
            assert run.events == events[:i]


def test_given_a_log_cut_at_a_frame_boundary_when_read_then_no_warning(recorded: bytes) -> None:
    events = list(read_frames(recorded))
    for i, frame in enumerate(_frame_offsets(recorded)):
        run = read_bytes(recorded[:frame])  # a PregelVizWarning here fails the test
        assert run.events == events[:i]
        assert run.warnings == []


def test_given_a_truncated_log_when_loaded_from_disk_then_it_warns(
    recorded: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "cut.pregel"
    path.write_bytes(recorded[:-3])
    with pytest.warns(TruncatedLogWarning, match="cut.pregel"):
        run = load(path)
    assert run.events == list(read_frames(recorded))[:-1]


# --------------------------------------------------------------------------- writing


def test_given_an_open_writer_when_the_file_is_read_then_every_frame_is_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.pregel"
    writer = LogWriter(path, compress=False)
    try:
        assert path.read_bytes() == _header(*FORMAT_VERSION)
        for n, event in enumerate(SIMPLE_EVENTS, start=1):
            writer.append(event)
            writer.flush(wait=True)  # the end of a superstep, waiting for the writer thread
            # a separate open() of the file, while the writer is still open
            with open(path, "rb") as fh:
                data = fh.read()
            assert list(read_frames(data)) == SIMPLE_EVENTS[:n]
            assert data == writer.getvalue()
        assert not writer.closed
    finally:
        writer.close()
    assert writer.closed
    assert list(read_frames(path.read_bytes())) == SIMPLE_EVENTS


def test_given_a_compressed_writer_when_flushed_then_the_file_holds_every_frame(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.pregel"
    writer = LogWriter(path)
    try:
        for n, event in enumerate(SIMPLE_EVENTS, start=1):
            writer.append(event)
            writer.flush(wait=True)  # the end of a superstep, waiting for the writer thread
            assert list(read_frames(path.read_bytes())) == SIMPLE_EVENTS[:n]
    finally:
        writer.close()
    data = path.read_bytes()
    assert data[len(MAGIC) + 4] == 1  # zlib body
    assert list(read_frames(data)) == SIMPLE_EVENTS


# --------------------------------------------------------------------------- the writer thread

WRITER_THREAD = "pregel-viz-log-writer"


class _Recording:
    """A file whose writes (after the header) note the thread that made them; ``fail_after``
    writes succeed, then every write fails with EIO."""

    def __init__(self, path: Path, fail_after: int | None = None) -> None:
        self.fh = open(path, "wb", buffering=0)  # noqa: SIM115 - closed by close()
        self.fail_after = fail_after
        self.threads: list[str] = []
        self.failures = 0

    def write(self, data: bytes) -> int:
        if data[: len(MAGIC)] != MAGIC:  # the header is written when the writer opens
            self.threads.append(threading.current_thread().name)
            if self.fail_after is not None and len(self.threads) > self.fail_after:
                self.failures += 1
                raise OSError(errno.EIO, "Input/output error")
        return int(self.fh.write(data))

    def close(self) -> None:
        self.fh.close()


def _opening(monkeypatch: pytest.MonkeyPatch, file: _Recording) -> None:
    monkeypatch.setattr("pregel_viz.logfile.open", lambda *a, **k: file, raising=False)


def _events(n: int) -> list[dict[str, Any]]:
    return [{"k": "meta", "i": i, "pad": "x" * (i % 50)} for i in range(n)]


def test_given_flushed_frames_when_nothing_else_is_called_then_the_writer_thread_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bg.pregel"
    file = _Recording(path)
    _opening(monkeypatch, file)
    writer = LogWriter(path)
    try:
        for n, event in enumerate(SIMPLE_EVENTS, start=1):
            writer.append(event)
            writer.flush()  # what the recorder does at the end of each superstep
            deadline = time.monotonic() + 10
            while list(read_frames(path.read_bytes())) != SIMPLE_EVENTS[:n]:
                assert time.monotonic() < deadline, "the frames never reached the file"
                time.sleep(0.005)
        # zlib and write() ran on the writer thread, never on the thread that flushed
        assert file.threads and set(file.threads) == {WRITER_THREAD}
    finally:
        writer.close()
    assert list(read_frames(path.read_bytes())) == SIMPLE_EVENTS


@pytest.mark.parametrize("flush", [False, True], ids=["never-flushed", "flushed-no-wait"])
def test_given_events_not_written_yet_when_closed_then_the_file_has_every_frame(
    tmp_path: Path, flush: bool
) -> None:
    events = _events(500)
    path = tmp_path / "close.pregel"
    writer = LogWriter(path)
    for i, event in enumerate(events):
        writer.write_event(event)
        if flush and i % 5 == 0:
            writer.flush()
    writer.close()  # writes what is left: nothing is lost, in order
    data = path.read_bytes()
    assert data == writer.getvalue()
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedLogWarning)
        assert list(read_frames(data)) == events


def test_given_flushed_frames_when_getvalue_then_they_are_written_to_the_file_too(
    tmp_path: Path,
) -> None:
    path = tmp_path / "getvalue.pregel"
    writer = LogWriter(path)
    try:
        for event in _events(50):
            writer.write_event(event)
            writer.flush()
        data = writer.getvalue()
        assert path.read_bytes() == data  # getvalue waited for the writer thread
        assert list(read_frames(data)) == _events(50)
    finally:
        writer.close()


def test_given_several_writers_when_they_share_the_writer_thread_then_each_file_is_whole(
    tmp_path: Path,
) -> None:
    writers = [LogWriter(tmp_path / f"{n}.pregel") for n in range(6)]

    def produce(n: int) -> None:
        for i in range(200):
            writers[n].write_event({"k": "meta", "w": n, "i": i})
            writers[n].flush()

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for n, writer in enumerate(writers):
        writer.close()
        events = list(read_frames((tmp_path / f"{n}.pregel").read_bytes()))
        assert events == [{"k": "meta", "w": n, "i": i} for i in range(200)]


def test_given_a_failing_file_when_the_writer_thread_writes_then_close_raises_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure happens on the writer thread and reaches the writer's next caller."""
    path = tmp_path / "eio.pregel"
    file = _Recording(path, fail_after=2)
    _opening(monkeypatch, file)
    escaped: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    events = _events(40)
    writer = LogWriter(path)
    for batch in range(3):  # the third batch fails, on the writer thread
        for event in events[batch * 10 : batch * 10 + 10]:
            writer.write_event(event)
        writer.flush()  # does not wait for the thread, so does not see the failure yet
        deadline = time.monotonic() + 10
        while len(file.threads) <= batch:
            assert time.monotonic() < deadline, "the writer thread never wrote"
            time.sleep(0.005)
    for event in events[30:]:
        writer.write_event(event)
    with pytest.raises(OSError, match="Input/output error"):
        writer.flush()  # the next caller is told
    writer.close()  # reported once
    assert file.failures == 1  # nothing is written to the file after the failure
    assert file.threads == [WRITER_THREAD] * 3
    assert escaped == []
    # the file keeps the two batches written before the failure; the in-memory copy is whole
    assert list(read_frames(path.read_bytes())) == events[:20]
    assert list(read_frames(writer.getvalue())) == events


def test_given_a_failing_file_when_flushed_with_wait_then_the_failure_is_raised_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "eio.pregel"
    _opening(monkeypatch, _Recording(path, fail_after=0))
    writer = LogWriter(path)
    writer.write_event({"k": "meta"})
    with pytest.raises(OSError, match="Input/output error"):
        writer.flush(wait=True)
    writer.flush(wait=True)  # raised once
    writer.close()
    assert list(read_frames(writer.getvalue())) == [{"k": "meta"}]


class _FailLater:
    """Files whose writes fail with EIO once ``fail`` is set (from inside the graph)."""

    def __init__(self) -> None:
        self.fail = False
        self.threads: set[str] = set()

    def open(self, path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = open(path, mode, *args, **kwargs)  # noqa: SIM115 - closed by File.close
        owner = self

        class File:
            def write(self, data: bytes) -> int:
                if owner.fail:
                    owner.threads.add(threading.current_thread().name)
                    raise OSError(errno.EIO, "Input/output error")
                return int(fh.write(data))

            def close(self) -> None:
                fh.close()

        return File()


def test_given_a_write_failing_on_the_writer_thread_when_recording_then_log_write_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder's path for a failed write is unchanged: the graph runs on, one
    LogWriteWarning, the in-memory run is whole and says the file is incomplete."""
    disk = _FailLater()
    monkeypatch.setattr("pregel_viz.logfile.open", disk.open, raising=False)

    class Count(TypedDict):
        n: int

    def tick(state: Count) -> dict[str, Any]:
        if state["n"] == 20:
            disk.fail = True
        if state["n"] >= 20:
            time.sleep(0.005)  # the writer thread gets to a batch before the call ends
        return {"n": state["n"] + 1}

    g = StateGraph(Count)
    g.add_node("tick", tick)
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] < 40 else END)
    escaped: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    path = tmp_path / "run.pregel"
    with pytest.warns(LogWriteWarning) as caught:
        run = record(g.compile(), {"n": 0}, path=path)
    mine = [str(w.message) for w in caught if issubclass(w.category, LogWriteWarning)]
    assert len(mine) == 1 and "incomplete" in mine[0] and "Input/output error" in mine[0]
    assert WRITER_THREAD in disk.threads
    assert escaped == []
    assert run.outcome["status"] == "completed" and len(run.supersteps) == 42
    assert any("incomplete" in w for w in run.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedLogWarning)
        on_disk = load(path)
    assert 0 < len(on_disk.supersteps) < 42


EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    from pregel_viz.logfile import LogWriter

    writer = LogWriter(sys.argv[1])
    for i in range(300):
        writer.write_event({"k": "meta", "i": i})
        if i % 7 == 0:
            writer.flush()  # handed to the writer thread, not waited for
    # no flush of the last events, no close(): a normal exit writes them
    sys.exit(0)
    """
)


def test_given_a_process_exiting_normally_without_close_when_loaded_then_every_frame_is_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "exit.pregel"
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedLogWarning)
        assert list(read_frames(path.read_bytes())) == [{"k": "meta", "i": i} for i in range(300)]


EXIT_FAILING_SCRIPT = textwrap.dedent(
    """
    import builtins, errno, sys
    import pregel_viz.logfile

    class Full:
        def __init__(self, fh):
            self.fh = fh
        def write(self, data):
            if len(data) > 20:  # the header fits
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.fh.write(data)
        def close(self):
            self.fh.close()

    pregel_viz.logfile.open = lambda *a, **k: Full(builtins.open(*a, **k))
    writer = pregel_viz.logfile.LogWriter(sys.argv[1])
    for i in range(10):
        writer.write_event({"k": "meta", "i": i})
    sys.exit(0)
    """
)


def test_given_a_write_failing_at_exit_when_never_closed_then_a_log_write_warning_says_so(
    tmp_path: Path,
) -> None:
    path = tmp_path / "full.pregel"
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_FAILING_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "LogWriteWarning" in proc.stderr and "No space left" in proc.stderr, proc.stderr
    assert str(path) in proc.stderr
    assert list(read_frames(path.read_bytes())) == []  # the header alone: an empty log


def test_given_a_backlog_past_the_bound_when_flushed_then_the_caller_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk slower than the graph does not grow memory without bound."""
    path = tmp_path / "slow.pregel"
    file = _Recording(path)
    _opening(monkeypatch, file)
    monkeypatch.setattr("pregel_viz._logsink.MAX_BACKLOG", 0)
    writer = LogWriter(path)
    writer.write_event({"k": "meta"})
    writer.flush()
    assert file.threads == [threading.current_thread().name]
    writer.close()
    assert list(read_frames(path.read_bytes())) == [{"k": "meta"}]


def test_given_logs_compressed_at_any_level_when_read_then_the_frames_are_the_same() -> None:
    """Writers compress at zlib level 1; logs written at level 6 (before) read the same."""
    body = b"".join(frame_bytes(encode_event(e)) for e in SIMPLE_EVENTS)
    for level in (1, 6, 9):
        z = zlib.compressobj(level)
        data = (
            MAGIC
            + struct.pack(">HHB", *FORMAT_VERSION, 1)
            + z.compress(body[:100])
            + z.flush(zlib.Z_SYNC_FLUSH)
            + z.compress(body[100:])
            + z.flush(zlib.Z_FINISH)
        )
        assert list(read_frames(data)) == SIMPLE_EVENTS
    assert ZLIB_LEVEL == 1


def _compressed(events: list[dict[str, Any]]) -> bytes:
    writer = LogWriter(compress=True)
    for event in events:
        writer.append(event)
        writer.flush()
    writer.close()
    return writer.getvalue()


def test_given_a_compressed_log_cut_anywhere_when_read_then_a_prefix_of_frames_is_read() -> None:
    data = _compressed(SIMPLE_EVENTS * 3)
    for cut in range(HEADER_SIZE, len(data)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TruncatedLogWarning)
            frames = list(read_frames(data[:cut]))
        assert frames == (SIMPLE_EVENTS * 3)[: len(frames)]


def test_given_a_damaged_compressed_body_when_read_then_corrupt_log_error() -> None:
    data = bytearray(_compressed(SIMPLE_EVENTS))
    data[HEADER_SIZE + 2] ^= 0xFF
    with pytest.raises(CorruptLogError):
        list(read_frames(bytes(data)))
    with pytest.raises(CorruptLogError, match="damaged after the end of zlib stream 1"):
        list(read_frames(_compressed(SIMPLE_EVENTS) + b"junk"))


def test_given_a_writer_path_in_a_missing_directory_when_opened_then_it_is_created(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a" / "b" / "run.pregel"
    writer = LogWriter(path)
    writer.close()
    assert read_header(path.read_bytes())[:2] == FORMAT_VERSION


def test_given_a_frame_when_built_then_it_is_length_crc_payload() -> None:
    payload = encode_event({"k": "meta"})
    frame = frame_bytes(payload)
    assert frame == struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


KILLED_SCRIPT = textwrap.dedent(
    """
    import operator, os, sys, time
    from typing import Annotated, TypedDict
    from langgraph.graph import END, START, StateGraph
    from pregel_viz import record

    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    def make(name):
        def node(state):
            if name == "c":
                # LangGraph saves step 2's checkpoint in the background (durability="async")
                # while step 3 runs: give that save a moment, then die without any cleanup.
                time.sleep(1.0)
                os._exit(1)
            return {"log": [name]}
        return node

    g = StateGraph(S)
    for name in ("a", "b", "c", "d"):
        g.add_node(name, make(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", "d")
    g.add_edge("d", END)
    record(g.compile(), {"log": ["in"]}, path=sys.argv[1])
    sys.exit(0)
    """
)


def test_given_a_recording_killed_mid_run_when_loaded_then_the_finished_supersteps_are_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "killed.pregel"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    run = load(path)  # complete frames only: no TruncatedLogWarning
    steps = {s.step: s for s in run.supersteps}
    # __start__ is step 0, then a (1), b (2); c (3) killed the process
    assert [s.step for s in run.supersteps if s.checkpoint is not None] == [-1, 0, 1, 2]
    assert steps[2].values == {"log": ["in", "a", "b"]}
    assert [t.name for t in steps[1].tasks] == ["a"]
    assert [t.name for t in steps[2].tasks] == ["b"]
    # the log is written at superstep boundaries: the unfinished superstep 3 (node c) may or may
    # not have reached the disk, and nothing ever wrote or finished it
    for task in steps[3].tasks if 3 in steps else []:
        assert task.name == "c" and task.status == "pending"
    assert run.outcome["status"] == "running"
    assert not any(t.name == "d" for t in run.thread.tasks())


# --------------------------------------------------------------------------- hostile logs


def test_given_values_that_name_dangerous_types_when_loaded_then_they_stay_inert_data(
    tmp_path: Path,
) -> None:
    pwned = tmp_path / "pwned"
    system = {"$type": "os.system", "$fields": {"command": f"touch {pwned}"}}
    evil = {
        "$type": "builtins.eval",
        "$fields": {"source": f"open({str(pwned)!r}, 'w')"},
        "$str": f"__import__('os').system('touch {pwned}')",
        "$repr": f"__import__('os').system('touch {pwned}')",
    }
    reduce_ = {"$type": "posix.system", "$items": [f"touch {pwned}"], "__reduce__": "os.system"}
    events = [
        {"k": "meta", "graph": "<img src=x onerror=alert(1)>", "pregel_viz": "0.1.0"},
        {"k": "call", "call": 1, "thread": "t", "method": "invoke", "input": system, "t": 0.0},
        {
            "k": "checkpoint",
            "thread": "t",
            "ns": "",
            "id": "c1",
            "parent": None,
            "step": -1,
            "source": "input",
            "full": True,
            "versions": {"cmd": 1, "ev": 1, "re": 1},
            "values": {"cmd": system, "ev": evil, "re": reduce_},
            "why": {"n": [["cmd", None, 1]]},
        },
        {
            "k": "task_start",
            "thread": "t",
            "ns": "",
            "task": "x",
            "name": "n",
            "step": 0,
            "path": ["__pregel_pull", "n"],
            "input": evil,
            "t": 0.1,
        },
        {
            "k": "writes",
            "thread": "t",
            "ns": "",
            "cp": "c1",
            "task": "x",
            "path": "~__pregel_pull, n",
            "writes": [["cmd", evil], ["__error__", system], ["__pregel_tasks", system]],
        },
        {
            "k": "end",
            "call": 1,
            "thread": "t",
            "status": "error",
            "interrupts": [evil],
            "error": system,
            "t": 1.0,
        },
    ]
    path = tmp_path / "hostile.pregel"
    path.write_bytes(_log(events))

    modules = set(sys.modules)
    run = load(path)
    assert set(sys.modules) == modules
    assert not pwned.exists()
    cp = run.thread.root.checkpoints["c1"]
    assert cp.values == {"cmd": system, "ev": evil, "re": reduce_}
    assert all(type(v) is dict for v in cp.values.values())
    (task,) = run.thread.tasks()
    assert task.input == evil
    assert task.writes[0] == ["cmd", evil]
    assert task.error == {"type": "Exception", "message": str(system)}
    doc = run.to_dict()
    json.dumps(doc)
    run.summary()
    assert not pwned.exists()

    for command in ("info", "export"):
        proc = subprocess.run(
            [sys.executable, "-m", "pregel_viz", command, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert not pwned.exists()
    assert "<img src=x onerror=alert(1)>" in proc.stdout  # byte-exact, not escaped
    assert json.loads(proc.stdout)["threads"][0]["calls"][0]["input"] == system


def test_given_pregel_viz_info_on_a_hostile_log_when_run_as_a_command_then_it_exits_0(
    tmp_path: Path,
) -> None:
    import shutil

    pwned = tmp_path / "pwned"
    event = {
        "k": "call",
        "call": 1,
        "thread": "t",
        "method": "invoke",
        "t": 0.0,
        "input": {"$type": "os.system", "$fields": {"command": f"touch {pwned}"}},
    }
    path = tmp_path / "hostile.pregel"
    path.write_bytes(_log([event]))
    exe = shutil.which("pregel-viz")
    cmd = (
        [exe, "info", str(path)] if exe else [sys.executable, "-m", "pregel_viz", "info", str(path)]
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 call(s)" in proc.stdout
    assert not pwned.exists()


def test_given_every_log_error_when_raised_then_it_is_a_pregel_viz_error() -> None:
    for exc in (NotALogError, LogVersionError, CorruptLogError):
        assert issubclass(exc, PregelVizError)


def test_given_threads_appending_while_others_flush_when_read_then_every_frame_is_there_in_order(
    tmp_path: Path,
) -> None:
    """Flushes compress and write outside the append lock; frames still land whole, in order."""
    path = tmp_path / "threads.pregel"
    writer = LogWriter(path)
    per_thread = 300

    def produce(t: int) -> None:
        for i in range(per_thread):
            writer.write_event({"k": "meta", "thread": t, "i": i})
            if i % 7 == 0:
                writer.flush()

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    writer.close()
    for data in (path.read_bytes(), writer.getvalue()):
        events = [e for e in read_frames(data) if "i" in e]
        assert len(events) == 4 * per_thread
        for t in range(4):
            assert [e["i"] for e in events if e["thread"] == t] == list(range(per_thread))


# --------------------------------------------------------------------------- appending (1.2)


def _file(path: Any, events: list[dict[str, Any]], *, append: bool = False) -> None:
    writer = LogWriter(path, append=append)
    for event in events:
        writer.append(event)
        writer.flush()
    writer.close()


def test_given_a_log_appended_to_when_read_then_its_zlib_streams_read_as_one(
    tmp_path: Any,
) -> None:
    path = tmp_path / "t.pregel"
    first, second = SIMPLE_EVENTS[:2], SIMPLE_EVENTS[2:]
    _file(path, first)
    before = path.read_bytes()
    assert read_for_append(path) == (first, True)
    _file(path, second, append=True)
    data = path.read_bytes()
    assert data.startswith(before) and data.count(MAGIC) == 1  # appended, one header
    assert list(read_frames(data)) == SIMPLE_EVENTS
    assert read_for_append(path) == (SIMPLE_EVENTS, True)
    assert load(path).thread.calls[0].index == 1
    _file(path, first, append=True)  # and again
    assert list(read_frames(path.read_bytes())) == SIMPLE_EVENTS + first


def test_given_a_log_not_finished_or_of_an_earlier_format_then_it_is_not_appended_to(
    tmp_path: Any,
) -> None:
    path = tmp_path / "t.pregel"
    _file(path, SIMPLE_EVENTS)
    data = path.read_bytes()
    # the writer was killed: the stream has every frame but no end (its checksum cut off)
    path.write_bytes(data[:-4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every frame is whole: no truncation notice
        assert read_for_append(path) == (SIMPLE_EVENTS, False)
    # a 1.1 log: its readers know one zlib stream only
    path.write_bytes(MAGIC + struct.pack(">HH", 1, 1) + data[len(MAGIC) + 4 :])
    assert read_for_append(path) == (SIMPLE_EVENTS, False)
    # an uncompressed log, and one whose last frame is cut
    path.write_bytes(_log(SIMPLE_EVENTS))
    assert read_for_append(path) == (SIMPLE_EVENTS, False)
    path.write_bytes(_log(SIMPLE_EVENTS)[:-3])
    events, appendable = read_for_append(path)
    assert events == SIMPLE_EVENTS[:-1] and not appendable
    with pytest.raises(ValueError, match="compressed log file"):
        LogWriter(path, compress=False, append=True)


def test_given_kinds_when_read_for_append_then_only_those_events_are_decoded(
    tmp_path: Any,
) -> None:
    path = tmp_path / "t.pregel"
    _file(path, SIMPLE_EVENTS)
    calls = [e for e in SIMPLE_EVENTS if e["k"] in ("meta", "call")]
    assert 0 < len(calls) < len(SIMPLE_EVENTS)
    assert read_for_append(path, kinds=["meta", "call"]) == (calls, True)
    # a frame is still checked when it is not decoded: a damaged one is refused
    data = bytearray(_log(SIMPLE_EVENTS))
    data[-2] ^= 0xFF  # inside the last frame, an event of another kind
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptLogError, match="checksum"):
        read_for_append(path, kinds=["meta", "call"])
