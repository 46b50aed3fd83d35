"""The ``pregel-viz`` command: record, info, export, html.

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
