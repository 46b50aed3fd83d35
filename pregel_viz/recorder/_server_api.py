"""Talking to a LangGraph server for :mod:`pregel_viz.recorder.pull`: the SDK's client with
its failures as :class:`~pregel_viz.errors.ServerError`, the thread's history paged through in
every namespace, its runs, and the graph's structure as ``graph`` events.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import RecorderError, ServerError
from ..events import GRAPH

__all__ = ["Api", "cp_id", "histories", "list_runs", "parent_id", "structure"]

PAGE = 100
_API_KEY_VARS = ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY")


class Api:
    """The SDK's sync client, each call's failures as one ServerError that says what to do."""

    def __init__(self, url: str, api_key: str | None, headers: Mapping[str, str] | None) -> None:
        try:
            from langgraph_sdk import get_sync_client
        except ImportError:
            raise RecorderError(
                "reading a LangGraph server needs langgraph-sdk: pip install 'pregel-viz[server]'"
            ) from None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ServerError(
                f"{url!r} is not a server URL; give one such as http://127.0.0.1:2024"
            )
        self.url = url.rstrip("/")
        key = api_key
        if key is None:
            key = next((os.environ[v] for v in _API_KEY_VARS if os.environ.get(v)), None)
        self.keyed = bool(key)
        # api_key=None would make the SDK read the environment itself; "" sends no key
        self.client = get_sync_client(
            url=self.url, api_key=key or "", headers=dict(headers or {}), timeout=30
        )

    def call(self, what: str, fn: Any, *, thread_id: str | None = None) -> Any:
        import httpx
        from langgraph_sdk import errors as sdk

        try:
            return fn(self.client)
        except sdk.AuthenticationError:
            raise ServerError(self._refused(401)) from None
        except sdk.PermissionDeniedError:
            raise ServerError(self._refused(403)) from None
        except sdk.NotFoundError:
            if not self.answers_ok():
                raise ServerError(
                    f"{self.url} answered 404 to {what} and is not a LangGraph server (its /ok "
                    "does not answer as one); check the URL: the server's API at its root"
                ) from None
            if thread_id is not None:
                raise ServerError(
                    f"no thread {thread_id!r} on {self.url}; list the recent ones with "
                    f"pregel-viz pull {self.url} --list"
                ) from None
            raise ServerError(f"{self.url} answered 404 to {what}") from None
        except sdk.APIStatusError as exc:
            status = getattr(exc, "status_code", None) or getattr(
                getattr(exc, "response", None), "status_code", "?"
            )
            if status in (401, 403):
                raise ServerError(self._refused(int(status))) from None
            raise ServerError(f"{self.url} answered {status} to {what}: {_short(exc)}") from None
        except (sdk.APIConnectionError, sdk.APITimeoutError, httpx.TransportError) as exc:
            raise ServerError(
                f"cannot reach a LangGraph server at {self.url} ({_short(exc)}); is it running, "
                "and is the URL right?"
            ) from None
        except (ValueError, TypeError, KeyError, AttributeError, httpx.HTTPError) as exc:
            # a JSON decoding error, an answer of the wrong shape...
            raise ServerError(
                f"{self.url} did not answer {what} as a LangGraph server does ({_short(exc)}); "
                "check the URL"
            ) from None

    def answers_ok(self) -> bool:
        """Does the URL answer ``/ok`` as a LangGraph server does? A 404 from one means the
        thread (or assistant) is missing; from any other web server, that the URL is wrong."""
        try:
            got = self.client.http.get("/ok")
        except Exception:
            return False
        return isinstance(got, Mapping) and got.get("ok") is True

    def garbage(self, what: str, got: Any) -> ServerError:
        return ServerError(
            f"{self.url} did not answer {what} as a LangGraph server does (got "
            f"{type(got).__name__}); check the URL"
        )

    def _refused(self, status: int) -> str:
        if self.keyed:
            return (
                f"{self.url} refused the API key ({status}); check it (--api-key, "
                "LANGGRAPH_API_KEY or LANGSMITH_API_KEY)"
            )
        return (
            f"{self.url} needs an API key ({status}); give it with --api-key or set "
            "LANGGRAPH_API_KEY (or LANGSMITH_API_KEY)"
        )


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def histories(api: Api, thread_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every checkpoint of the thread, by namespace: the root's, then each subgraph's that a
    task names, recursively."""
    by_ns: dict[str, list[dict[str, Any]]] = {}
    todo = [""]
    while todo:
        ns = todo.pop(0)
        if ns in by_ns:
            continue
        entries = by_ns[ns] = list(_history(api, thread_id, ns))
        for entry in entries:
            for task in entry.get("tasks") or ():
                child = (task.get("checkpoint") or {}) if isinstance(task, Mapping) else {}
                sub = child.get("checkpoint_ns") if isinstance(child, Mapping) else None
                if isinstance(sub, str) and sub and sub not in by_ns:
                    todo.append(sub)
    return by_ns


def _history(api: Api, thread_id: str, ns: str) -> Iterator[dict[str, Any]]:
    """One namespace's checkpoints, newest first, paged through to the first."""
    before: dict[str, Any] | None = None
    seen: set[str] = set()
    while True:
        kwargs: dict[str, Any] = {"limit": PAGE}
        if ns:
            kwargs["checkpoint"] = {"checkpoint_ns": ns}
        if before is not None:
            kwargs["before"] = before

        def page(c: Any, kwargs: dict[str, Any] = kwargs) -> Any:
            return c.threads.get_history(thread_id, **kwargs)

        got = api.call("threads.get_history", page, thread_id=thread_id)
        if not isinstance(got, list):
            raise api.garbage("threads.get_history", got)
        fresh = 0
        for entry in got:
            entry_id = cp_id(entry)
            if entry_id is None:
                raise api.garbage("threads.get_history", entry)
            if entry_id in seen:
                continue
            seen.add(entry_id)
            fresh += 1
            yield entry
        if len(got) < PAGE or not fresh:
            return
        before = {"configurable": {"checkpoint_id": cp_id(got[-1])}}


def list_runs(api: Api, thread_id: str) -> list[dict[str, Any]]:
    """The runs made on the thread, oldest first."""
    out: list[dict[str, Any]] = []
    offset = 0
    while True:

        def page(c: Any, offset: int = offset) -> Any:
            return c.runs.list(thread_id, limit=PAGE, offset=offset)

        got = api.call("runs.list", page, thread_id=thread_id)
        if not isinstance(got, list) or not all(isinstance(r, Mapping) for r in got):
            raise api.garbage("runs.list", got)
        out.extend(got)
        if len(got) < PAGE:
            break
        offset += len(got)
    return sorted(out, key=lambda r: (str(r.get("created_at") or ""), str(r.get("run_id"))))


def cp_id(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return None
    cp = entry.get("checkpoint")
    cp_id = cp.get("checkpoint_id") if isinstance(cp, Mapping) else entry.get("checkpoint_id")
    return cp_id if isinstance(cp_id, str) and cp_id else None


def parent_id(entry: Mapping[str, Any]) -> str | None:
    parent = entry.get("parent_checkpoint")
    pid = parent.get("checkpoint_id") if isinstance(parent, Mapping) else None
    pid = pid or entry.get("parent_checkpoint_id")
    return pid if isinstance(pid, str) and pid else None


def structure(
    api: Api, assistant: str, by_ns: Mapping[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The ``graph`` events: the root's drawing (plain and xray) and state keys; each
    subgraph's state keys and its nodes as the xray drawing names them. Best effort: a server
    that will not draw the graph still gives the run."""
    if not assistant:
        return []

    def ask(what: str, fn: Any) -> Any:
        try:
            return api.call(what, fn)
        except ServerError:
            return None

    plain = ask("assistants.get_graph", lambda c: c.assistants.get_graph(assistant))
    xray = ask("assistants.get_graph", lambda c: c.assistants.get_graph(assistant, xray=True))
    schemas = ask("assistants.get_schemas", lambda c: c.assistants.get_schemas(assistant))
    subs: Any = None
    if any(by_ns.keys() - {""}):
        subs = ask(
            "assistants.get_subgraphs",
            lambda c: c.assistants.get_subgraphs(assistant, recurse=True),
        )
    root: dict[str, Any] = {"k": GRAPH, "key": "", "name": assistant, "error": None}
    drawn = _drawn(plain)
    if drawn is None:
        root.update({"nodes": [], "edges": [], "error": "the server did not draw the graph"})
    else:
        root.update(drawn)
    xdrawn = _drawn(xray)
    if xdrawn is not None:
        root["xray"] = xdrawn
    keys = _state_keys(schemas)
    if keys is not None:
        root["state_channels"] = keys
    events = [root]
    for key in sorted(subs) if isinstance(subs, Mapping) else ():
        event: dict[str, Any] = {"k": GRAPH, "key": str(key), "name": str(key), "error": None}
        sub_keys = _state_keys(subs[key])
        if sub_keys is not None:
            event["state_channels"] = sub_keys
        if xdrawn is not None:
            event.update(_inside(xdrawn, str(key)))
        events.append(event)
    return events


def _drawn(graph: Any) -> dict[str, Any] | None:
    """The server's JSON drawing as the recorder's ``nodes``/``edges``."""
    if not isinstance(graph, Mapping):
        return None
    nodes_in, edges_in = graph.get("nodes"), graph.get("edges")
    if not isinstance(nodes_in, list) or not isinstance(edges_in, list):
        return None
    nodes = []
    for n in nodes_in:
        if not isinstance(n, Mapping) or not isinstance(n.get("id"), str):
            continue
        data = n.get("data")
        name = data.get("name") if isinstance(data, Mapping) else None
        nodes.append(
            {
                "id": n["id"],
                "name": str(name or n["id"]).rsplit(":", 1)[-1],
                "subgraph": False,
                "metadata": dict(n.get("metadata") or {}),
            }
        )
    edges = []
    for e in edges_in:
        if not isinstance(e, Mapping):
            continue
        if not isinstance(e.get("source"), str) or not isinstance(e.get("target"), str):
            continue
        label = e.get("data")
        edges.append(
            {
                "source": e["source"],
                "target": e["target"],
                "conditional": bool(e.get("conditional")),
                "label": None if label is None else str(label),
            }
        )
    return {"nodes": nodes, "edges": edges}


def _inside(xray: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A subgraph's nodes and edges, read off the xray drawing's ``child:node`` ids."""
    prefix = key.replace("|", ":") + ":"
    nodes = [
        {**n, "id": n["id"][len(prefix) :]}
        for n in xray["nodes"]
        if n["id"].startswith(prefix) and ":" not in n["id"][len(prefix) :]
    ]
    ids = {n["id"] for n in nodes}
    edges = [
        {**e, "source": e["source"][len(prefix) :], "target": e["target"][len(prefix) :]}
        for e in xray["edges"]
        if e["source"].startswith(prefix)
        and e["target"].startswith(prefix)
        and e["source"][len(prefix) :] in ids
        and e["target"][len(prefix) :] in ids
    ]
    return {"nodes": nodes, "edges": edges}


def _state_keys(schemas: Any) -> list[str] | None:
    state = schemas.get("state_schema") if isinstance(schemas, Mapping) else None
    props = state.get("properties") if isinstance(state, Mapping) else None
    return [str(k) for k in props] if isinstance(props, Mapping) else None
