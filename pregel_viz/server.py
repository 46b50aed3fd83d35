"""Jupyter server extension: a `.pregel` log as the viewer's payload, with no kernel.

``GET {base_url}pregel-viz/payload?path=<contents API path>`` reads the log (from disk in pieces,
or through the server's contents manager), loads it with :func:`pregel_viz.load`'s reader and
answers the payload of :func:`pregel_viz.views.payload.build_payload`. The JupyterLab document
viewer (``labextension/src/lab/``) never decodes the log itself: Python keeps the only
implementation of the model.

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

Reading and decoding run in worker threads, two at most, so a 10,000-superstep log or a bomb
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async, url_path_join
from tornado import web

from .errors import LogTooLargeError, NotAFileError, PregelVizError
from .load_limits import LoadLimits, out_of_memory
from .reader import read_log
from .views.payload import build_payload

__all__ = ["ROUTE", "PayloadHandler", "build_response"]

ROUTE = "pregel-viz/payload"

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
    """What the handler answers: a status and a JSON body (plain and gzipped)."""

    status: int
    body: bytes
    gzipped: bytes | None = None


def _error(status: int, kind: str, message: str) -> Response:
    body = json.dumps({"error": kind, "message": message}, ensure_ascii=False).encode("utf-8")
    return Response(status, body)


def build_response(log: str | bytes, source: str, limits: LoadLimits | None = None) -> Response:
    """Read a log (a path on disk, or its bytes) into the viewer's payload.

    CPU work: run it in a worker thread. ``source`` names the file in messages (the contents
    API path, not the server's disk path); ``limits`` default to :meth:`LoadLimits.from_env`.
    A truncated log's notice is in the payload's ``warnings``.
    """
    try:
        try:
            doc = build_payload(read_log(log, source=source, limits=limits, warn=False))
            body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except MemoryError:
            raise out_of_memory(source) from None
    except PregelVizError as exc:
        return _error(_STATUS.get(type(exc), 422), type(exc).__name__, str(exc))
    return Response(200, body, gzip.compress(body, compresslevel=5, mtime=0))


class PayloadCache:
    """The last few answers, by (path, modification time, size); one decode per key at a time."""

    def __init__(self, max_entries: int = 4, max_bytes: int = 256 * 2**20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._done: OrderedDict[tuple[str, str, int], Response] = OrderedDict()
        self._running: dict[tuple[str, str, int], asyncio.Future[Response]] = {}

    async def get(self, key: tuple[str, str, int], make: Any) -> Response:
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
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

    def _store(self, key: tuple[str, str, int], response: Response) -> None:
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
        try:
            response = await self._respond(raw)
        except web.HTTPError as exc:
            message = exc.log_message or exc.reason or ""
            if exc.args:
                message = message % exc.args
            response = _error(exc.status_code, "HTTPError", message)
        self.set_status(response.status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        accepts = self.request.headers.get("Accept-Encoding", "")
        if response.gzipped is not None and "gzip" in accepts:
            self.set_header("Content-Encoding", "gzip")
            self.set_header("Vary", "Accept-Encoding")
            await self.finish(response.gzipped)
        else:
            await self.finish(response.body)

    async def _respond(self, raw: str) -> Response:
        path = _api_path(raw)
        if not path:
            return _error(400, "HTTPError", "the path of a .pregel file is needed (?path=...)")
        cm: Any = self.contents_manager
        model = await ensure_async(cm.get(path, content=False))  # 404 when missing or hidden
        if model.get("type") == "directory":
            return _error(400, "HTTPError", f"{path} is a directory, not a .pregel log")
        key = (path, str(model.get("last_modified")), int(model.get("size") or -1))
        loop = asyncio.get_running_loop()

        async def make() -> Response:
            log = await self._locate(path)
            return await loop.run_in_executor(_EXECUTOR, build_response, log, path)

        return await self.cache.get(key, make)

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
