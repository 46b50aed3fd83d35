"""One error hierarchy for everything pregel-viz raises or warns about.

Every message names the problem and, where there is one, the fix.
"""

from __future__ import annotations

__all__ = [
    "CorruptLogError",
    "FileAccessError",
    "GraphLoadError",
    "LogFormatError",
    "LogTooLargeError",
    "LogVersionError",
    "LogWriteWarning",
    "NotAFileError",
    "NotALogError",
    "PregelVizError",
    "PregelVizWarning",
    "RecorderError",
    "ServerError",
    "TruncatedLogWarning",
    "UsageError",
]


class PregelVizError(Exception):
    """Base class of every error pregel-viz raises."""


class LogFormatError(PregelVizError):
    """A `.pregel` log cannot be read."""


class NotALogError(LogFormatError):
    """The file does not start with the `.pregel` magic bytes."""


class LogVersionError(LogFormatError):
    """The log was written by a newer, incompatible major format version."""


class CorruptLogError(LogFormatError):
    """A frame of the log is damaged (checksum mismatch, bad encoding, wrong shape)."""


class NotAFileError(NotALogError):
    """The path is not a regular file: a directory, a FIFO, a device, a socket."""


class LogTooLargeError(LogFormatError):
    """Reading the log would pass a limit of :class:`pregel_viz.logfile.LoadLimits`.

    A compression bomb, a flood of tiny frames, or a log too big for this machine: the message
    names the limit and how to raise it.
    """


class RecorderError(PregelVizError):
    """Recording could not be set up (not a LangGraph graph, bad arguments...)."""


class ServerError(RecorderError):
    """A LangGraph server could not be read: it is down, it does not answer as a LangGraph
    server, it refuses the API key, or it has no such thread."""


class GraphLoadError(PregelVizError):
    """A graph named as MODULE:ATTR could not be imported or is not a LangGraph graph."""


class UsageError(PregelVizError):
    """A user-facing argument is invalid (bad JSON, unknown option value...)."""


class FileAccessError(PregelVizError):
    """A file named by the user cannot be read or written (missing, no permission, disk full...)."""


class PregelVizWarning(UserWarning):
    """Base class of every warning pregel-viz emits."""


class TruncatedLogWarning(PregelVizWarning):
    """The log ends in the middle of a frame; every complete frame was read."""


class LogWriteWarning(PregelVizWarning):
    """Writing a recording's log file failed (disk full, file-size limit...): the graph ran on
    unchanged, the file keeps the frames written before the failure, and the in-memory
    recording is complete (its ``Run.warnings`` say the file is incomplete)."""
