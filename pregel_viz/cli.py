"""The ``pregel-viz`` command: record, info, export, html, narrate, diff, demo.

The only place that prints or chooses exit codes. User mistakes get one line that names the
problem and the fix, and exit code 2; a failing graph is a recorded outcome, not a crash.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import GraphLoadError, PregelVizError, UsageError

__all__ = ["load_graph", "main"]


def _json_arg(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} is not valid JSON ({exc.msg} at column {exc.colno}): {text!r}; "
            'quote it for the shell, e.g. --input \'{"question": "hi"}\''
        ) from None


def load_graph(spec: str) -> Any:
    """Import ``MODULE:ATTR``: a compiled graph, or a zero-argument function returning one."""
    from langgraph.pregel import Pregel

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"expected MODULE:ATTR (for example my_app.graph:app), got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise GraphLoadError(
                f"no module named {module_name!r}; run from the directory that holds it "
                "or add that directory to PYTHONPATH"
            ) from None
        raise GraphLoadError(f"importing {module_name!r} failed: {exc}") from None
    except Exception as exc:
        raise GraphLoadError(
            f"importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise GraphLoadError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not isinstance(obj, Pregel) and callable(obj) and not hasattr(obj, "compile"):
        try:
            obj = obj()
        except TypeError as exc:
            raise GraphLoadError(
                f"{spec} is a function that needs arguments ({exc}); point at a compiled graph "
                "or a zero-argument function that returns one"
            ) from None
    if not isinstance(obj, Pregel):
        hint = (
            "; it looks like a StateGraph builder: export builder.compile()"
            if hasattr(obj, "compile")
            else ""
        )
        raise GraphLoadError(f"{spec} is a {type(obj).__name__}, not a LangGraph graph{hint}")
    return obj


def _cmd_record(args: argparse.Namespace) -> int:
    from .recorder import record

    graph = load_graph(args.graph)
    inp = _json_arg(args.input, "--input") if args.input is not None else None
    config = _json_arg(args.config, "--config") if args.config is not None else None
    if config is not None and not isinstance(config, dict):
        raise UsageError("--config must be a JSON object, e.g. '{\"recursion_limit\": 50}'")
    resume = [_json_arg(r, "--resume") for r in args.resume]
    run = record(graph, inp, config, path=args.output, resume=resume)
    print(run.summary())
    print(f"wrote {args.output}")
    return 0


def _load(path: str) -> Any:
    from .reader import load

    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory; give the path of a .pregel log")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load(path)


def _cmd_info(args: argparse.Namespace) -> int:
    print(_load(args.file).summary())
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    doc = _load(args.file).to_dict()
    text = json.dumps(doc, indent=args.indent, ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


def _cmd_html(args: argparse.Namespace) -> int:
    from .html import write_html

    run = _load(args.file)
    out = args.output or os.path.splitext(args.file)[0] + ".html"
    write_html(run, out)
    print(f"wrote {out}")
    return 0


def _cmd_narrate(args: argparse.Namespace) -> int:
    from .narrate import narrate

    run = _load(args.file)
    thread = _thread_arg(run, args.thread)
    ns = _ns_arg(run, thread, args.ns)
    story = narrate(run, thread=thread, ns=ns, step=args.step)
    if args.step is not None and not story.steps:
        raise UsageError(f"no superstep {args.step} in {args.file}")
    if args.json:
        sys.stdout.write(json.dumps(story.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(story.text() + "\n")
    return 0


def _thread_arg(run: Any, thread: str | None) -> str | None:
    if thread is not None and thread not in run.threads:
        raise UsageError(f"no thread {thread!r}; threads: {', '.join(run.threads) or 'none'}")
    return thread


def _ns_arg(run: Any, thread: str | None, ns: str) -> str:
    """A namespace as given, or the first subgraph run whose node path (``child``) matches."""
    from .model import spec_key

    spaces = run._thread(thread).namespaces
    if ns in spaces:
        return ns
    for key in spaces:
        if key and spec_key(key) == ns:
            return str(key)
    paths = sorted({spec_key(k) or '""' for k in spaces})
    raise UsageError(f"no namespace {ns!r}; namespaces (node paths): {', '.join(paths)}")


def _cmd_diff(args: argparse.Namespace) -> int:
    from .compare import compare

    run_a = _load(args.a)
    run_b = run_a if os.path.abspath(args.b) == os.path.abspath(args.a) else _load(args.b)
    _thread_arg(run_a, args.thread_a)
    _thread_arg(run_b, args.thread_b)
    label_a, label_b = args.a, args.b
    if label_a == label_b:
        label_a = f"{args.a}:{args.thread_a or run_a.thread.thread_id}"
        label_b = f"{args.b}:{args.thread_b or run_b.thread.thread_id}"
    kwargs: dict[str, Any] = {
        "thread_a": args.thread_a,
        "thread_b": args.thread_b,
        "ns": args.ns,
        "labels": (label_a, label_b),
    }
    try:
        if args.html:
            from .html import write_compare_html
            from .side_by_side import build_side_by_side

            result, page = build_side_by_side(run_a, run_b, **kwargs)
        else:
            result = compare(run_a, run_b, **kwargs)
    except KeyError as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from None
    if args.html:
        write_compare_html(page, args.html)
        # stdout stays the comparison alone (--json output is one JSON document)
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(result.text() + "\n")
    return 0 if result.identical else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import open_in_browser, write_demo

    out = os.path.abspath(args.output or "pregel-viz-demo.html")
    run = write_demo(out, log=args.log)
    print(run.summary())
    print(f"wrote {out}")
    if args.log:
        print(f"wrote {os.path.abspath(args.log)}")
    if args.open and not open_in_browser(out):
        print("no web browser found: open the file above yourself", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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

    p = sub.add_parser("info", help="summarize a .pregel log")
    p.add_argument("file")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("export", help="print a .pregel log as one JSON document")
    p.add_argument("file")
    p.add_argument("--format", choices=["json"], default="json")
    p.add_argument("--indent", type=int, default=None)
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
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except PregelVizError as exc:
        print(f"pregel-viz: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pregel-viz: error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pregel-viz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
