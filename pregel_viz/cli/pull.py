"""``pregel-viz pull``: a thread of a LangGraph server (or of a Postgres checkpointer) as a log.

``pregel-viz pull URL THREAD_ID -o FILE`` writes the thread as a ``.pregel`` log
(:func:`pregel_viz.from_server`); ``pregel-viz pull URL --list`` lists the server's recent
threads. A ``postgresql://`` URL is read from the database instead.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import UsageError
from .arguments import load_graph

__all__ = ["add_parser", "cmd_pull"]

_POSTGRES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def add_parser(sub: Any, command: Any) -> None:
    """Add the ``pull`` command to the CLI's subparsers; ``command`` wraps :func:`cmd_pull`."""
    p = sub.add_parser(
        "pull",
        help="write a thread of a LangGraph server (or a Postgres checkpointer) as a .pregel log",
        description=(
            "Read a thread from a LangGraph server (langgraph dev, langgraph up, LangGraph "
            "Platform) and write it as a .pregel log. The server keeps less than a local "
            "recording: versions, why each task ran, retries and timings, calls inside tasks "
            "and task inputs are marked unknown. A postgresql:// URL reads the thread from "
            "the checkpointer's database."
        ),
    )
    p.add_argument("url", metavar="URL", help="the server (http://...) or a postgresql:// DSN")
    p.add_argument("thread_id", metavar="THREAD_ID", nargs="?", help="the thread to pull")
    p.add_argument("-o", "--output", metavar="FILE", help="the .pregel log to write")
    p.add_argument("--list", action="store_true", help="list the server's recent threads instead")
    p.add_argument(
        "--limit", type=int, default=20, metavar="N", help="with --list: how many (default 20)"
    )
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help="the server's API key (default: LANGGRAPH_API_KEY, else LANGSMITH_API_KEY)",
    )
    p.add_argument(
        "--graph",
        metavar="MODULE:ATTR",
        help=(
            "with a postgresql:// URL: the compiled graph that ran (or a function returning "
            "it), so every task is named and why each ran is exact instead of inferred"
        ),
    )
    p.set_defaults(func=command)


def cmd_pull(args: argparse.Namespace, out: Any) -> Any:
    """The run pulled (written to ``args.output``), or None after ``--list``; ``out`` prints."""
    url = str(args.url)
    if args.list:
        if args.thread_id is not None:
            raise UsageError("give a THREAD_ID or --list, not both")
        if url.startswith(_POSTGRES):
            raise UsageError("--list reads a LangGraph server; give its http(s):// URL")
        _list(url, args, out)
        return None
    if args.thread_id is None:
        raise UsageError("give the THREAD_ID to pull, or --list to see the recent threads")
    if not args.output:
        raise UsageError("give the .pregel log to write with -o FILE")
    if url.startswith(_POSTGRES):
        return _from_postgres(url, args.thread_id, args.graph)
    if args.graph:
        raise UsageError("--graph is for a postgresql:// URL: a server describes its own graph")
    from ..recorder.pull import UNKNOWN_FROM_SERVER, from_server

    run = from_server(url, args.thread_id, api_key=args.api_key)
    out(run.summary())
    out("not kept by the server, marked unknown: " + "; ".join(UNKNOWN_FROM_SERVER))
    return run


def _list(url: str, args: argparse.Namespace, out: Any) -> None:
    from ..recorder.pull import list_threads

    if not 1 <= args.limit <= 1000:
        raise UsageError(f"--limit must be from 1 to 1000, not {args.limit}")
    threads = list_threads(url, limit=args.limit, api_key=args.api_key)
    if not threads:
        out(f"no threads on {url}")
        return
    rows = [("THREAD", "GRAPH", "STATUS", "UPDATED")] + [
        (t["thread_id"], t["graph"] or "-", t["status"] or "-", t["updated"] or "-")
        for t in threads
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)]
        out("  ".join([*cells, row[3]]))


def _from_postgres(dsn: str, thread_id: str, graph_spec: str | None) -> Any:
    from ..recorder.rebuild import from_postgres

    graph = load_graph(graph_spec) if graph_spec else None
    return from_postgres(dsn, thread_id, graph=graph)
