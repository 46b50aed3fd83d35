"""Jupyter server extension: a `.pregel` log as the viewer's payload, with no kernel.

``GET {base_url}pregel-viz/payload?path=<contents API path>`` reads the log (from disk in pieces,
or through the server's contents manager), loads it with :func:`pregel_viz.load`'s reader and
answers the payload of :func:`pregel_viz.views.payload.build_payload`. The JupyterLab document
viewer (``labextension/src/lab/``) never decodes the log itself: Python keeps the only
implementation of the model.

``&head=1`` asks for the first :data:`HEAD_ENTRIES` entries of each namespace first, so a long
log shows its first step while the rest is built: the answer is the payload of those entries
with the header ``X-Pregel-Viz-Part: head``, and the whole payload is built right after it, for
the request without ``head`` that follows. When the whole payload is ready (cached, or a log
that short), ``head=1`` answers it (``X-Pregel-Viz-Part: full``). A 10,000-superstep log shows
its head after reading the log and 0.15 s, where the whole payload takes 1 to 2 s more.

Answers:

- 200: the payload (JSON). A truncated log gives its complete frames, and the warning is in the
  payload's ``warnings`` list (the viewer shows it as a notice);
- 422: ``{"error": "NotALogError" | "LogVersionError" | "CorruptLogError" | ..., "message": ...}``,
  the file is not a readable log;
- 413: ``{"error": "LogTooLargeError", "message": ...}``, reading the log would pass a limit of
  :class:`~pregel_viz.logfile.LoadLimits` (a compression bomb, a flood of frames, a log too big
  for the memory it may use); the message names the limit and its environment variable, which
  the server's process reads (``PREGEL_VIZ_MAX_LOG_*``);
- 400: no ``path``, or the path is a directory, a FIFO or a device; 403: the path leaves the
  server's root (``..``, an absolute path, a symbolic link pointing outside); 404: no such file
  (or a hidden one, when the server hides them).

Reading and decoding run in worker threads, two at most, with Python's cyclic garbage
collector paused (as :func:`pregel_viz.load` does: its passes over a large run's objects took a
third of the time), so a 10,000-superstep log or a bomb
does not stall the server; reads hold no lock, so a small log is answered while a big one is
still being read. The limits bound the memory of each read (the memory limit counts the whole
process's growth, so reads at once share it). Results are cached by (path, modification time,
size).

Enabled by ``etc/jupyter/jupyter_server_config.d/pregel_viz.json``, which the wheel installs.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async, url_path_join
from tornado import web

from .errors import LogTooLargeError, NotAFileError, PregelVizError
from .load_limits import LoadLimits, out_of_memory
from .model import Run
from .reader import gc_paused, read_log
from .views.payload import head_json, payload_json

__all__ = ["HEAD_ENTRIES", "ROUTE", "PayloadHandler", "build_response"]

ROUTE = "pregel-viz/payload"
HEAD_ENTRIES = 200
"""Entries of each namespace in a head answer (``head=1``): enough to step through while the
whole payload is built."""
PART_HEADER = "X-Pregel-Viz-Part"

# Logs are read and decoded in these threads, never on the event loop.
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pregel-viz")
# The status of each error a read may raise (any other PregelVizError: 422).
_STATUS: dict[type[PregelVizError], int] = {LogTooLargeError: 413, NotAFileError: 400}


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "pregel_viz.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], ROUTE)
    web_app.add_handlers(".*$", [(route, PayloadHandler, {"cache": PayloadCache()})])
    serverapp.log.info("pregel-viz: .pregel logs are served as viewer payloads at %s", route)


@dataclass(frozen=True)
class Response:
    """What the handler answers: a status and a JSON body (plain and gzipped); ``part`` is
    "head" for the first entries of a payload (``head=1``), else "full"."""

    status: int
    body: bytes
    gzipped: bytes | None = None
    part: str = "full"


def _error(status: int, kind: str, message: str) -> Response:
    body = json.dumps({"error": kind, "message": message}, ensure_ascii=False).encode("utf-8")
    return Response(status, body)


def _answer(text: str, part: str = "full") -> Response:
    body = text.encode("utf-8")
    return Response(200, body, gzip.compress(body, compresslevel=5, mtime=0), part)


def _guarded(source: str, work: Callable[[], Any]) -> Any:
    """``work()``, with a log's errors (and running out of memory) as error answers."""
    try:
        try:
            with gc_paused():
                return work()
        except MemoryError:
            raise out_of_memory(source) from None
    except PregelVizError as exc:
        return _error(_STATUS.get(type(exc), 422), type(exc).__name__, str(exc))


def read_run(log: str | bytes, source: str, limits: LoadLimits | None = None) -> Run | Response:
    """The run in a log (a path on disk, or its bytes), or the error answer. CPU work."""
    return _guarded(source, lambda: read_log(log, source=source, limits=limits, warn=False))  # type: ignore[no-any-return]


def full_response(run: Run, source: str) -> Response:
    """The whole payload of ``run``. CPU work."""
    return _guarded(source, lambda: _answer(payload_json(run)))  # type: ignore[no-any-return]


def head_response(run: Run, source: str, entries: int = HEAD_ENTRIES) -> Response | None:
    """The payload of the first ``entries`` entries of each namespace of ``run``; ``None``
    when that is all of it. CPU work."""

    def head() -> Response | None:
        text = head_json(run, entries)
        return None if text is None else _answer(text, "head")

    return _guarded(source, head)  # type: ignore[no-any-return]


def build_response(log: str | bytes, source: str, limits: LoadLimits | None = None) -> Response:
    """Read a log (a path on disk, or its bytes) into the viewer's payload.

    CPU work: run it in a worker thread. ``source`` names the file in messages (the contents
    API path, not the server's disk path); ``limits`` default to :meth:`LoadLimits.from_env`.
    A truncated log's notice is in the payload's ``warnings``.
    """
    run = read_run(log, source, limits)
    return run if isinstance(run, Response) else full_response(run, source)


Key = tuple[str, str, int]


class PayloadCache:
    """The last few answers, by (path, modification time, size); one decode per key at a time.

    While a log's whole payload is being built, its run (read once) is kept here too, so that a
    head answer and the whole one share one read."""

    def __init__(self, max_entries: int = 4, max_bytes: int = 256 * 2**20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._done: OrderedDict[Key, Response] = OrderedDict()
        self._running: dict[Key, asyncio.Future[Response]] = {}
        self._runs: dict[Key, asyncio.Future[Run | Response]] = {}
        self._background: set[asyncio.Task[Response]] = set()

    def done(self, key: Key) -> Response | None:
        """The whole answer for ``key`` if it is ready."""
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        return None

    async def run(self, key: Key, read: Callable[[], Awaitable[Run | Response]]) -> Run | Response:
        """The run of ``key`` (or the error answer), read once while it is wanted."""
        future = self._runs.get(key)
        if future is None:
            future = asyncio.ensure_future(read())
            self._runs[key] = future
            future.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved
        return await asyncio.shield(future)

    def forget_run(self, key: Key) -> None:
        self._runs.pop(key, None)

    def start(self, key: Key, make: Any) -> asyncio.Future[Response]:
        """``get(key, make)`` going on in the background (kept until it ends)."""
        task = asyncio.ensure_future(self.get(key, make))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved
        return task

    async def get(self, key: Key, make: Any) -> Response:
        done = self.done(key)
        if done is not None:
            return done
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            response: Response = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(response)
        self._store(key, response)
        return response

    def _store(self, key: Key, response: Response) -> None:
        for old in [k for k in self._done if k[0] == key[0]]:
            del self._done[old]  # an older version of the same file
        self._done[key] = response
        size = sum(len(r.body) + len(r.gzipped or b"") for r in self._done.values())
        while self._done and (len(self._done) > self.max_entries or size > self.max_bytes):
            _, dropped = self._done.popitem(last=False)
            size -= len(dropped.body) + len(dropped.gzipped or b"")


def _api_path(raw: str) -> str:
    """The normalized contents API path; 403 when it could leave the server's root."""
    path = raw.replace("\\", "/")
    if "\0" in path:
        raise web.HTTPError(403, "invalid path")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise web.HTTPError(403, "a path with '..' is outside the server's root")
    if parts and os.path.splitdrive(parts[0] + "/")[0]:  # C: (Windows)
        raise web.HTTPError(403, "an absolute path is outside the server's root")
    return "/".join(parts)


class PayloadHandler(APIHandler):  # type: ignore[misc]
    """``GET ?path=<contents path>``: the payload of a `.pregel` log."""

    auth_resource = "contents"

    def initialize(self, cache: PayloadCache) -> None:
        self.cache = cache

    @web.authenticated
    @authorized
    async def get(self) -> None:
        raw = self.get_query_argument("path", "")
        head = self.get_query_argument("head", "") not in ("", "0")
        try:
            response = await self._respond(raw, head)
        except web.HTTPError as exc:
            message = exc.log_message or exc.reason or ""
            if exc.args:
                message = message % exc.args
            response = _error(exc.status_code, "HTTPError", message)
        self.set_status(response.status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        if response.status == 200:
            self.set_header(PART_HEADER, response.part)
        accepts = self.request.headers.get("Accept-Encoding", "")
        if response.gzipped is not None and "gzip" in accepts:
            self.set_header("Content-Encoding", "gzip")
            self.set_header("Vary", "Accept-Encoding")
            await self.finish(response.gzipped)
        else:
            await self.finish(response.body)

    async def _respond(self, raw: str, head: bool = False) -> Response:
        path = _api_path(raw)
        if not path:
            return _error(400, "HTTPError", "the path of a .pregel file is needed (?path=...)")
        cm: Any = self.contents_manager
        model = await ensure_async(cm.get(path, content=False))  # 404 when missing or hidden
        if model.get("type") == "directory":
            return _error(400, "HTTPError", f"{path} is a directory, not a .pregel log")
        key = (path, str(model.get("last_modified")), int(model.get("size") or -1))
        done = self.cache.done(key)
        if done is not None:
            return done
        loop = asyncio.get_running_loop()

        async def read() -> Run | Response:
            log = await self._locate(path)
            return await loop.run_in_executor(_EXECUTOR, read_run, log, path)

        async def make() -> Response:
            try:
                run = await self.cache.run(key, read)
                if isinstance(run, Response):
                    return run
                return await loop.run_in_executor(_EXECUTOR, full_response, run, path)
            finally:
                self.cache.forget_run(key)

        if not head:
            return await self.cache.get(key, make)
        run = await self.cache.run(key, read)
        if isinstance(run, Response):
            self.cache.forget_run(key)
            return run
        part = await loop.run_in_executor(_EXECUTOR, head_response, run, path)
        whole = self.cache.start(key, make)  # for the request that follows the head
        return part if part is not None else await asyncio.shield(whole)

    async def _locate(self, path: str) -> str | bytes:
        """The log's path on disk, read in pieces by the worker; or, from a contents manager
        that is not a file system, its bytes."""
        cm: Any = self.contents_manager
        os_path_of = getattr(cm, "_get_os_path", None)
        root = getattr(cm, "root_dir", None)
        if os_path_of is None or not root:  # not a file-system contents manager: ask it
            model = await ensure_async(cm.get(path, content=True, type="file", format="base64"))
            content = model.get("content") or ""
            if model.get("format") == "base64":
                return base64.b64decode(content)
            return str(content).encode("utf-8")
        os_path: str = os_path_of(path)
        real, real_root = os.path.realpath(os_path), os.path.realpath(root)
        if os.path.commonpath([real, real_root]) != real_root:
            raise web.HTTPError(403, "%s leads outside the server's root", path)
        if not os.path.lexists(real):
            raise web.HTTPError(404, "no such file: %s", path)
        return real
