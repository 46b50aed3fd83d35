"""The ``pregel-viz`` command: record, pull, info, export, html, narrate, diff, demo.

The only place that prints or chooses exit codes. User mistakes get one line that names the
problem and the fix, and exit code 2; a failing graph is a recorded outcome, not a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from .. import __version__
from ..errors import (
    FileAccessError,
    LogWriteWarning,
    PregelVizError,
    UsageError,
)
from .arguments import config_arg, json_arg, load_graph, one_line
from .pull import add_parser as add_pull_parser
from .pull import cmd_pull

__all__ = ["load_graph", "main"]


def _cmd_record(args: argparse.Namespace) -> int:
    from ..recorder import record

    inp = json_arg(args.input, "--input") if args.input is not None else None
    config = config_arg(args.config) if args.config is not None else None
    resume = [json_arg(r, "--resume") for r in args.resume]
    graph = load_graph(args.graph)
    _refuse_overwriting_non_log(args.output)
    with _writing(args.output), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LogWriteWarning)
        args.interrupted_note = f"{args.output} holds what was recorded until then"
        run = record(graph, inp, config, path=args.output, resume=resume)
    _out(run.summary())
    for w in caught:  # the graph's own warnings, shown as they would have been
        if not issubclass(w.category, LogWriteWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    incomplete = [str(w.message) for w in caught if issubclass(w.category, LogWriteWarning)]
    if incomplete:  # the disk filled up (or failed) during the run
        raise FileAccessError(f"{incomplete[0]}; record again to a path that can be written")
    _out(f"wrote {args.output}")
    return 0


# what went wrong with a file the user named, and the fix, by errno
_OS_FIXES: dict[int, str] = {
    errno.ENOENT: "no such file or directory; check the path",
    errno.EACCES: "permission denied; check its permissions or use another path",
    errno.EPERM: "operation not permitted; check its permissions or use another path",
    errno.ENOSPC: "no space left on the device; free some space or write to another disk",
    errno.EROFS: "read-only file system; write somewhere else",
    errno.EISDIR: "it is a directory; give the path of a file",
    errno.ENOTDIR: "a part of the path is not a directory; check the path",
    errno.EEXIST: "a part of the path is a file, not a directory; check the path",
    errno.EIO: "input/output error (a failing disk or network share?); check the device "
    "or use another path",
    errno.ENAMETOOLONG: "the name is too long; use a shorter path",
}
if hasattr(errno, "EDQUOT"):
    _OS_FIXES[errno.EDQUOT] = "disk quota exceeded; free some space or write to another disk"


def _file_error(verb: str, path: str, exc: OSError) -> FileAccessError:
    why = _OS_FIXES.get(exc.errno or 0) or one_line(exc.strerror or str(exc))
    return FileAccessError(f"cannot {verb} {path}: {why}")


def _is_about(exc: OSError, path: str) -> bool:
    """Whether ``exc`` is about ``path`` (or a folder on its way), or names no file at all."""
    if exc.filename is None:
        return True
    name = os.path.abspath(os.fsdecode(exc.filename))
    full = os.path.abspath(path)
    return full == name or full.startswith(name.rstrip(os.sep) + os.sep)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


@contextlib.contextmanager
def _writing(path: str, *inputs: str) -> Iterator[None]:
    """Around writing ``path``: refuse to overwrite an input, create the folder it goes in, and
    turn a failure to write it (disk full, no permission...) into one line that names it."""
    if not path:
        raise UsageError("the output path is empty; give a file name")
    for source in inputs:
        if _same_file(path, source):
            raise UsageError(
                f"writing {path} would overwrite the input {source}; give another output path"
            )
    if os.path.isdir(path):
        raise FileAccessError(f"cannot write {path}: it is a directory; give a file path in it")
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        yield
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or not _is_about(exc, path):
            raise
        raise _file_error("write", path, exc) from None


def _refuse_overwriting_non_log(path: str) -> None:
    """``record -o`` replaces a log, never another kind of file (a typo such as ``-o app.py``)."""
    from ..logfile import MAGIC

    try:
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return
        with open(path, "rb") as fh:
            head = fh.read(len(MAGIC))
    except OSError:
        return  # writing it will say what is wrong
    if head != MAGIC:
        raise UsageError(
            f"{path} exists and is not a .pregel log; record into a new file or remove it first"
        )


def _load(path: str) -> Any:
    from ..reader import load

    if not path:
        raise UsageError("the log's path is empty; give the path of a .pregel log")
    if os.path.isdir(path):
        raise FileAccessError(f"{path} is a directory; give the path of a .pregel log")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return load(path)
        except OSError as exc:
            if not _is_about(exc, path):
                raise
            raise _file_error("read", path, exc) from None


def _out(text: str) -> None:
    """One line (or block) to stdout; characters its encoding lacks come out escaped."""
    with _stdout_errors():
        try:
            sys.stdout.write(text + "\n")
        except UnicodeEncodeError:  # nothing was written: the text is encoded before it is
            encoding = sys.stdout.encoding or "utf-8"
            sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")


@contextlib.contextmanager
def _stdout_errors() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _file_error("write", "to standard output", exc) from None


def _cmd_pull(args: argparse.Namespace) -> int:
    writes = bool(args.output) and not args.list
    if writes:
        _refuse_overwriting_non_log(args.output)
    with _writing(args.output) if writes else contextlib.nullcontext():
        run = cmd_pull(args, _out)
        if run is not None:
            run.save(args.output)
    if run is not None:
        _out(f"wrote {args.output}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    _out(_load(args.file).summary())
    return 0


def _cmd_trace(args: argparse.Namespace) -> int:
    from ..analysis.trace import trace

    _out(trace(_load(args.file), exclude=args.exclude or ()).removesuffix("\n"))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    doc = _load(args.file).to_dict()
    text = json.dumps(doc, indent=args.indent, ensure_ascii=False)
    if args.output is None:
        _out(text)
        return 0
    with _writing(args.output, args.file), open(args.output, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return 0


def _cmd_html(args: argparse.Namespace) -> int:
    from ..views.html import write_html

    run = _load(args.file)
    out = args.output if args.output is not None else os.path.splitext(args.file)[0] + ".html"
    if args.output is None and _same_file(out, args.file):
        raise UsageError(f"the page for {args.file} would replace it; give its path with -o")
    with _writing(out, args.file):
        write_html(run, out)
    _out(f"wrote {out}")
    return 0


def _cmd_narrate(args: argparse.Namespace) -> int:
    from ..analysis.narrate import narrate

    run = _load(args.file)
    thread = _thread_arg(run, args.thread)
    ns = _ns_arg(run, thread, args.ns)
    story = narrate(run, thread=thread, ns=ns, step=args.step)
    if args.step is not None and not story.steps:
        raise UsageError(f"no superstep {args.step} in {args.file}")
    text = story.text(details=args.details)
    _out(json.dumps(story.to_dict(), ensure_ascii=False, indent=1) if args.json else text)
    return 0


def _thread_arg(run: Any, thread: str | None) -> str | None:
    if thread is not None and thread not in run.threads:
        raise UsageError(f"no thread {thread!r}; threads: {', '.join(run.threads) or 'none'}")
    return thread


def _ns_arg(run: Any, thread: str | None, ns: str) -> str:
    """A namespace as given, or the first subgraph run whose node path (``child``) matches."""
    from ..model import spec_key

    spaces = run.get_thread(thread).namespaces
    if ns in spaces:
        return ns
    for key in spaces:
        if key and spec_key(key) == ns:
            return str(key)
    paths = sorted({spec_key(k) or '""' for k in spaces})
    raise UsageError(f"no namespace {ns!r}; namespaces (node paths): {', '.join(paths)}")


def _cmd_diff(args: argparse.Namespace) -> int:
    from ..analysis.compare import compare

    run_a = _load(args.a)
    run_b = run_a if os.path.abspath(args.b) == os.path.abspath(args.a) else _load(args.b)
    _thread_arg(run_a, args.thread_a)
    _thread_arg(run_b, args.thread_b)
    label_a, label_b = args.a, args.b
    if label_a == label_b:
        label_a = f"{args.a}:{args.thread_a or run_a.thread.thread_id}"
        label_b = f"{args.b}:{args.thread_b or run_b.thread.thread_id}"
    if args.trace:
        return _trace_diff(run_a, run_b, (label_a, label_b), args.exclude or ())
    kwargs: dict[str, Any] = {
        "thread_a": args.thread_a,
        "thread_b": args.thread_b,
        "ns": args.ns,
        "labels": (label_a, label_b),
    }
    try:
        if args.html:
            from ..views.compare_view import build_compare
            from ..views.html import write_compare_html

            result, page = build_compare(run_a, run_b, **kwargs)
        else:
            result = compare(run_a, run_b, **kwargs)
    except KeyError as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from None
    if args.html:
        with _writing(args.html, args.a, args.b):
            write_compare_html(page, args.html)
        # stdout stays the comparison alone (--json output is one JSON document)
        print(f"wrote {args.html}", file=sys.stderr)
    _out(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) if args.json else result.text())
    return 0 if result.identical else 1


def _trace_diff(run_a: Any, run_b: Any, labels: tuple[str, str], exclude: Sequence[str]) -> int:
    """The two runs' traces compared: where they first differ, then the unified diff."""
    import difflib

    from ..analysis.trace import explain_difference, trace

    a, b = trace(run_a, exclude=exclude), trace(run_b, exclude=exclude)
    if a == b:
        _out("the traces are identical")
        return 0
    lines = list(explain_difference(a, b, labels))
    diff = difflib.unified_diff(
        a.splitlines(), b.splitlines(), fromfile=labels[0], tofile=labels[1], lineterm=""
    )
    _out("\n".join([*lines, "", *diff]))
    return 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import open_in_browser, record_demo

    out = args.output if args.output is not None else "pregel-viz-demo.html"
    # as demo.write_demo, with each file's failure told apart
    if args.log is not None:
        _refuse_overwriting_non_log(args.log)
    with _writing(args.log) if args.log is not None else contextlib.nullcontext():
        run = record_demo(args.log)
    with _writing(out):
        run.to_html(out)
    _out(run.summary())
    _out(f"wrote {os.path.abspath(out)}")
    if args.log:
        _out(f"wrote {os.path.abspath(args.log)}")
    if args.open and not open_in_browser(out):
        print("no web browser found: open the file above yourself", file=sys.stderr)
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def _indent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if not 0 <= value <= 16:
        raise argparse.ArgumentTypeError(f"must be from 0 to 16, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pregel-viz",
        description="Record and inspect LangGraph runs as .pregel logs.",
    )
    parser.add_argument("--version", action="version", version=f"pregel-viz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("record", help="run a graph and record it into a .pregel log")
    p.add_argument(
        "graph", metavar="MODULE:ATTR", help="a compiled graph or a function returning one"
    )
    p.add_argument("--input", help="the input, as JSON (default: null)")
    p.add_argument(
        "--resume",
        action="append",
        default=[],
        metavar="JSON",
        help="answer the next interrupt with this value (null: continue with input None); repeat",
    )
    p.add_argument("--config", help="the run's config, as a JSON object")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the .pregel log to write")
    p.set_defaults(func=_cmd_record)

    add_pull_parser(sub, _cmd_pull)

    p = sub.add_parser("info", help="summarize a .pregel log")
    p.add_argument("file")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser(
        "trace",
        help="print a .pregel log as a canonical text, the same for the same behaviour",
        description="Print a run as one canonical text: one block per superstep of every "
        "namespace, with the tasks that ran and why, their writes, Sends, interrupts, errors "
        "and calls, the channels updated and the state diff. It holds no ids or timings and "
        "orders parallel tasks, so the same behaviour prints the same bytes: commit it as a "
        "snapshot (pregel_viz.testing with syrupy) or compare two runs with "
        "pregel-viz diff --trace.",
    )
    p.add_argument("file", metavar="FILE", help="the .pregel log")
    p.add_argument(
        "--exclude",
        action="append",
        metavar="PATH",
        help="leave out a state key or a path in it (messages.*.id); may be repeated",
    )
    p.set_defaults(func=_cmd_trace)

    p = sub.add_parser("export", help="print a .pregel log as one JSON document")
    p.add_argument("file")
    p.add_argument("--format", choices=["json"], default="json")
    p.add_argument("--indent", type=_indent, default=None, metavar="N", help="0 to 16 spaces")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("html", help="write a self-contained HTML step-through of a .pregel log")
    p.add_argument("file")
    p.add_argument("-o", "--output", metavar="OUT.html", help="default: FILE with .html")
    p.set_defaults(func=_cmd_html)

    p = sub.add_parser("narrate", help="tell each superstep of a .pregel log in plain sentences")
    p.add_argument("file")
    p.add_argument("--thread", metavar="T", help="the thread (default: the last one recorded)")
    p.add_argument(
        "--ns",
        default="",
        metavar="NS",
        help="a subgraph run: its namespace or node path, e.g. child (default: the root graph)",
    )
    p.add_argument("--step", type=int, metavar="N", help="only superstep N")
    p.add_argument("--json", action="store_true", help="print plain data instead of text")
    p.add_argument(
        "--details",
        action="store_true",
        help="also print each step's internals (LangGraph's channels behind the sentences)",
    )
    p.set_defaults(func=_cmd_narrate)

    p = sub.add_parser(
        "diff",
        help="compare two .pregel logs step by step; exit 0 if identical, 1 if they differ",
    )
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B", help="may be A again, with another --thread-b")
    p.add_argument("--thread-a", metavar="T", help="thread of A (default: its last one)")
    p.add_argument("--thread-b", metavar="T", help="thread of B (default: its last one)")
    p.add_argument("--ns", default="", metavar="NS", help="a subgraph's node path (default: root)")
    p.add_argument("--json", action="store_true", help="print plain data instead of text")
    p.add_argument(
        "--html",
        metavar="OUT.html",
        help="also write a self-contained page showing the two runs side by side",
    )
    p.add_argument(
        "--trace",
        action="store_true",
        help="compare the runs' traces (pregel-viz trace): the first step that differs, then a "
        "unified diff",
    )
    p.add_argument(
        "--exclude",
        action="append",
        metavar="PATH",
        help="with --trace: leave out a state key or a path in it; may be repeated",
    )
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser(
        "demo", help="record a built-in example graph and write an HTML step-through of it"
    )
    p.add_argument("-o", "--output", metavar="OUT.html", help="default: pregel-viz-demo.html here")
    p.add_argument("--log", metavar="FILE.pregel", help="also write the recorded log here")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pregel-viz`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (one line, already printed)
        return int(exc.code or 0)
    args.interrupted_note = ""  # what Ctrl-C leaves behind, told when it comes
    args.interrupted_told = threading.Lock()
    if argv is None and threading.current_thread() is threading.main_thread():
        _leave_soon_after_ctrl_c(args)  # the command itself, not a caller in this process
    try:
        code = int(args.func(args))
        with _stdout_errors():
            sys.stdout.flush()
        return code
    except PregelVizError as exc:
        _error(str(exc))
        return 2
    except BrokenPipeError:
        # the reader stopped reading (``| head``): nothing to report
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        _error(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return 2
    except KeyboardInterrupt:
        _tell_interrupted(args)
        return 130


def _error(text: str) -> None:
    print(f"pregel-viz: error: {one_line(text)}", file=sys.stderr)


def _tell_interrupted(args: argparse.Namespace) -> None:
    if args.interrupted_told.acquire(blocking=False):  # once, from whichever thread comes first
        note = args.interrupted_note
        print(f"pregel-viz: interrupted{'; ' if note else ''}{note}", file=sys.stderr)


def _leave_soon_after_ctrl_c(args: argparse.Namespace) -> None:
    """Ctrl-C stops the command as usual (KeyboardInterrupt); if the process is still there two
    seconds later (LangGraph waits for the nodes running in its threads, however long they
    take), it leaves without them."""

    def leave_soon() -> None:
        time.sleep(2)
        _tell_interrupted(args)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(130)

    def on_ctrl_c(signum: int, frame: Any) -> None:
        threading.Thread(target=leave_soon, name="pregel-viz-ctrl-c", daemon=True).start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_ctrl_c)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
