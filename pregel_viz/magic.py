"""``%pregel`` and ``%%pregel``: record a graph run from a notebook and show the debugger.

Thin by design: parse the line, call the public API, display. Mistakes get one line
(IPython's ``UsageError``), not a traceback.

::

    %load_ext pregel_viz
    %pregel graph {"question": "hi"}
    %pregel --thread t1 --break-before review -o run.pregel graph {"question": "hi"}
    %%pregel graph
    {"question": "hi",
     "history": []}
    %pregel show run.pregel
    %pregel last
    %pregel auto on          # record every graph run in this kernel; %pregel runs lists them
    %pregel --live --break-before review graph {"question": "hi"}   # a live session: step,
                             # continue to breakpoints, edit and fork, answer interrupts
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from .errors import PregelVizError
from .recorder import as_compiled, async_only_nodes

__all__ = ["Options", "PregelMagics", "load_ipython_extension", "parse_line"]

_VALUE_OPTIONS = {
    "--config": "config",
    "--thread": "thread",
    "--break-before": "break_before",
    "--break-after": "break_after",
    "-o": "output",
    "--output": "output",
    "--html": "html",
}
_FLAG_OPTIONS = {"--live": "live", "--async": "use_async"}

_USAGE = (
    "usage: %pregel [--config EXPR] [--thread ID] [--break-before NODES] [--break-after NODES] "
    "[--live] [--async] [-o FILE] [--html FILE] GRAPH [INPUT] | show FILE | last | "
    "auto on|off | runs"
)


@dataclass
class Options:
    """A parsed ``%pregel`` line."""

    graph: str = ""
    input: str = ""
    config: str | None = None
    thread: str | None = None
    break_before: list[str] = field(default_factory=list)
    break_after: list[str] = field(default_factory=list)
    output: str | None = None
    html: str | None = None
    live: bool = False
    use_async: bool = False


_TOKEN = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)""")


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


def parse_line(line: str) -> Options:
    """Options first, then GRAPH, then the INPUT expression taken verbatim."""
    opts = Options()
    rest = line
    while True:
        m = _TOKEN.match(rest)
        if m is None:
            break
        token = m.group(1)
        if token in _FLAG_OPTIONS:
            setattr(opts, _FLAG_OPTIONS[token], True)
            rest = rest[m.end() :]
            continue
        if token in _VALUE_OPTIONS:
            v = _TOKEN.match(rest, m.end())
            if v is None:
                raise UsageError(f"{token} needs a value; {_USAGE}")
            value = _unquote(v.group(1))
            name = _VALUE_OPTIONS[token]
            if name in ("break_before", "break_after"):
                getattr(opts, name).extend(n for n in value.split(",") if n)
            else:
                setattr(opts, name, value)
            rest = rest[v.end() :]
            continue
        if token.startswith("-") and not opts.graph:
            raise UsageError(f"unknown option {token}; {_USAGE}")
        opts.graph = token
        opts.input = rest[m.end() :].strip()
        break
    return opts


def _evaluate(text: str, namespace: dict[str, Any], what: str) -> Any:
    """A Python expression in the user's namespace, or else JSON."""
    try:
        return eval(text, namespace)  # the user's own expression, in their own kernel
    except SyntaxError:
        pass
    except NameError as exc:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise UsageError(f"{what}: {exc}") from None
    except Exception as exc:
        raise UsageError(f"{what} raised {type(exc).__name__}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} is neither a Python expression nor JSON ({exc.msg}): {text[:80]!r}"
        ) from None


@magics_class
class PregelMagics(Magics):  # type: ignore[misc]
    """The ``%pregel`` line and cell magic."""

    last_run: Any = None
    last_live: Any = None  # the LiveDebugger of the last --live session

    @line_cell_magic  # type: ignore[untyped-decorator]
    def pregel(self, line: str, cell: str | None = None) -> Any:
        """Record a graph run and show the debugger (see ``%pregel?``)."""
        words = line.split()
        if not words and cell is None:
            raise UsageError(_USAGE)
        if cell is None and words[0] in ("show", "last", "auto", "runs"):
            return self._subcommand(words)
        opts = parse_line(line)
        if not opts.graph:
            raise UsageError(f"name the graph to run; {_USAGE}")
        if cell is not None:
            if opts.input:
                raise UsageError(
                    "with %%pregel the cell body is the input: put nothing after GRAPH"
                )
            opts.input = cell.strip()
        return self._run(opts)

    # --- running -------------------------------------------------------------------------

    def _user_ns(self) -> dict[str, Any]:
        if self.shell is None:
            raise UsageError("%pregel needs an IPython shell")
        ns: dict[str, Any] = self.shell.user_ns
        return ns

    def _graph(self, name: str) -> Any:
        ns = self._user_ns()
        head, *attrs = name.split(".")
        if head not in ns:
            raise UsageError(f"no variable named {head!r} in this notebook")
        obj = ns[head]
        for attr in attrs:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise UsageError(f"{name}: no attribute {attr!r}") from None
        try:
            return as_compiled(obj, what=name, compile=True)
        except PregelVizError as exc:
            raise UsageError(str(exc)) from None

    def _run(self, opts: Options) -> Any:
        from .recorder import arecord, record
        from .views.widget import show

        graph = self._graph(opts.graph)
        ns = self._user_ns()
        inp = _evaluate(opts.input, ns, "INPUT") if opts.input else None
        config: dict[str, Any] = {}
        if opts.config is not None:
            config = _evaluate(opts.config, ns, "--config")
            if not isinstance(config, dict):
                raise UsageError(
                    "--config must be a dict, e.g. --config '{\"recursion_limit\": 50}'"
                )
            config = dict(config)
        if opts.thread is not None:
            config["configurable"] = {
                **(config.get("configurable") or {}),
                "thread_id": opts.thread,
            }
        for node in [*opts.break_before, *opts.break_after]:
            if node not in graph.nodes:
                known = ", ".join(n for n in graph.nodes if not n.startswith("__"))
                raise UsageError(f"no node {node!r} to break at; nodes: {known}")
        if opts.live:
            return self._live(graph, inp, config, opts)
        kwargs: dict[str, Any] = {
            "path": opts.output,
            "interrupt_before": opts.break_before or None,
            "interrupt_after": opts.break_after or None,
        }
        try:
            if opts.use_async or async_only_nodes(graph):
                # the kernel's own event loop is running: run the graph's loop in a thread
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    run = pool.submit(asyncio.run, arecord(graph, inp, config, **kwargs)).result()
            else:
                run = record(graph, inp, config, **kwargs)
        except (PregelVizError, OSError) as exc:
            raise UsageError(str(exc)) from None
        PregelMagics.last_run, PregelMagics.last_live = run, None
        if opts.html:
            run.to_html(opts.html)
        show(run)
        return None

    def _live(self, graph: Any, inp: Any, config: dict[str, Any], opts: Options) -> Any:
        """``--live``: a paused session and its widget; the graph runs from the controls.

        ``-o FILE`` writes the log as the session runs; ``--html FILE`` writes the page when
        the session stops.
        """
        from IPython.display import display

        from .notebook import debug

        try:
            widget = debug(
                graph,
                inp,
                config or None,
                breakpoints={"before": opts.break_before, "after": opts.break_after},
                asynchronous=True if opts.use_async else None,
                path=opts.output,
            )
        except (PregelVizError, OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        if opts.html:
            html_path = opts.html

            def write_html(session: Any) -> None:
                if session.status == "stopped":
                    session.run.to_html(html_path)

            widget.session.subscribe(write_html)
        PregelMagics.last_run, PregelMagics.last_live = None, widget
        display(widget)  # type: ignore[no-untyped-call]
        return None

    # --- subcommands ---------------------------------------------------------------------

    def _subcommand(self, words: list[str]) -> Any:
        from .reader import load
        from .views.widget import show

        cmd, args = words[0], words[1:]
        if cmd == "show":
            if len(args) != 1:
                raise UsageError("usage: %pregel show FILE")
            path = os.path.expanduser(_unquote(args[0]))
            if not os.path.exists(path):
                raise UsageError(f"no such file: {path}")
            try:
                run = load(path)
            except PregelVizError as exc:
                raise UsageError(str(exc)) from None
            PregelMagics.last_run, PregelMagics.last_live = run, None
            show(run)
            return None
        if cmd == "last":
            last = PregelMagics.last_run
            at: dict[str, int] = {}
            if last is None and PregelMagics.last_live is not None:
                # a live session's run so far, at its newest superstep, as the session shows it
                last = PregelMagics.last_live.session.run
                if last.supersteps:
                    at["step"] = last.supersteps[-1].step
            if last is None:
                from .recorder import auto

                recorded = auto.runs()
                last = recorded[-1] if recorded else None
            if last is None:
                raise UsageError("no run recorded in this kernel yet; try %pregel GRAPH INPUT")
            show(last, **at)
            return None
        if cmd == "auto":
            return self._auto(args)
        if cmd == "runs":
            from .recorder import auto

            recorded = auto.runs()
            if not recorded:
                print("no runs recorded; %pregel auto on records every graph run")
                return None
            for i, run in enumerate(recorded, 1):
                print(f"{i:3}  {run!r}")
            return None
        raise UsageError(_USAGE)

    def _auto(self, args: list[str]) -> Any:
        if args not in (["on"], ["off"]):
            raise UsageError("usage: %pregel auto on|off")
        from .recorder import auto

        if args == ["on"]:
            auto.enable()
            print("pregel-viz: recording every graph run; %pregel runs lists them")
        else:
            auto.disable()
            print("pregel-viz: automatic recording off")
        return None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pregel_viz``."""
    ipython.register_magics(PregelMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext pregel_viz``: stops automatic recording if it was on."""
    try:
        from .recorder import auto

        if auto.is_enabled():
            auto.disable()
    except ImportError:
        pass
