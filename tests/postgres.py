"""A throwaway PostgreSQL server for tests: Debian's ``postgresql`` binaries, a cluster in a
temp dir, listening on 127.0.0.1 on a free port, stopped by process id at the end.

``initdb`` refuses to run as root; as root the cluster is made and run by the unprivileged
``postgres`` user that Debian's package creates (``runuser -u postgres --``). Authentication is
``trust`` (no password), and only this machine's loopback can reach the server.

Use :func:`running` from a session fixture::

    @pytest.fixture(scope="session")
    def pg_server() -> Iterator[PostgresServer]:
        with postgres.running() as server:
            yield server

It skips the session's Postgres tests with a clear reason when the binaries are genuinely
absent (``.ci/run`` installs them, so they run in CI).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "Unavailable", "find_bin", "free_port", "running"]

RUN_AS = "postgres"  # the unprivileged user of Debian's package
START_TIMEOUT = 30  # seconds


def find_bin(name: str) -> str | None:
    """The path of a PostgreSQL server binary: on PATH, else the newest Debian version's."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        part = Path(path).parts[-3]  # /usr/lib/postgresql/<version>/bin/<name>
        return tuple(int(p) for p in part.split(".") if p.isdigit())

    candidates = [
        p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}") if os.access(p, os.X_OK)
    ]
    return max(candidates, key=version) if candidates else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster: connect with :attr:`dsn` (database ``postgres``, user ``postgres``)."""

    port: int
    root: Path
    pg_ctl: str
    prefix: tuple[str, ...]  # runuser ... when running as root

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def dsn(self) -> str:
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pid(self) -> int | None:
        """The postmaster's process id, from its pid file (first line)."""
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop at once (``pg_ctl stop -m immediate``), then make sure by process id."""
        pid = self.pid()
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.datadir), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        deadline = time.monotonic() + 5
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)  # exiting
        if pid is not None and _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Unavailable(Exception):
    """Postgres cannot run here (binaries absent, no unprivileged user): skip, saying why."""


def _prefix() -> tuple[str, ...]:
    if os.geteuid() != 0:
        return ()
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        raise Unavailable(
            f"running as root and there is no {RUN_AS!r} user for initdb (it refuses root); "
            "install Debian's postgresql package, which creates it"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root without runuser to drop to the postgres user")
    return (runuser, "-u", RUN_AS, "--")


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}{done.stderr}")


@contextlib.contextmanager
def running() -> Iterator[PostgresServer]:
    """Start a fresh cluster and stop it (and remove its files) when the block ends.

    Raises:
        Unavailable: the binaries or the unprivileged user are missing.
        RuntimeError: initdb or the server failed (the message holds their output).
    """
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise Unavailable(
            "PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)"
        )
    prefix = _prefix()
    root = Path(tempfile.mkdtemp(prefix="pregel-viz-pg-"))
    server: PostgresServer | None = None
    try:
        if prefix:
            user = pwd.getpwnam(RUN_AS)
            os.chown(root, user.pw_uid, user.pw_gid)
        sockets = root / "sockets"
        _run([*prefix, "mkdir", "-m", "700", str(sockets)], "mkdir")
        _run(
            [
                *prefix, initdb, "-D", str(root / "data"), "--auth=trust", "--no-sync",
                "-U", "postgres", "--encoding=UTF8", "--locale=C",
            ],
            "initdb",
        )  # fmt: skip
        for _attempt in range(3):  # another process may take the free port first
            server = PostgresServer(free_port(), root, pg_ctl, prefix)
            options = (
                f"-c listen_addresses=127.0.0.1 -p {server.port} -k {sockets} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            started = subprocess.run(
                [
                    *prefix, pg_ctl, "-D", str(server.datadir), "-l", str(root / "server.log"),
                    "-w", "-t", str(START_TIMEOUT), "-o", options, "start",
                ],
                capture_output=True, text=True, timeout=START_TIMEOUT + 10, check=False,
            )  # fmt: skip
            if started.returncode == 0:
                break
            server.stop()
        else:
            raise RuntimeError(f"the PostgreSQL server did not start:\n{server.log()}")
        _wait_ready(server)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer) -> None:
    """Until a connection is accepted (``pg_ctl -w`` already waits; this checks over TCP)."""
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with psycopg.connect(server.dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                log = server.log()
                raise RuntimeError(f"PostgreSQL never accepted connections:\n{log}") from exc
            time.sleep(0.05)
