"""Real PostgreSQL and Redis servers for the tests, each in a temporary folder on a free port of 127.0.0.1.

``PostgresServer`` runs Debian's PostgreSQL (``initdb`` + ``postgres``; as the ``postgres`` user
when the tests run as root, which PostgreSQL refuses to run as) and hands out a fresh database
per test; ``RedisServer`` runs ``redis-server`` with nothing saved to disk. Both can be stopped
and started again on the same port and folder (the tests that restart a server mid-send).
``find_postgres()`` and ``find_redis()`` say why a server cannot be run here (its tests are
then skipped with that reason; CI installs both, so CI runs them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .live_servers import end_process, free_port, wait_until_listening


def _postgres_bin() -> Path | None:
    for folder in [os.path.dirname(shutil.which("initdb") or ""),
                   *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "postgres").is_file():
            return Path(folder)
    return None


def find_postgres() -> str | None:
    """None if a PostgreSQL server can be run here, else why not."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]' installs it)"
    if _postgres_bin() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; .ci/run installs it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "the tests run as root and there is no 'postgres' user to run PostgreSQL as"
    return None


def find_redis() -> str | None:
    """None if a Redis server can be run here, else why not."""
    try:
        import redis  # noqa: F401
    except ImportError:
        return "redis (the Python client) is not installed (pip install -e '.[test]' installs it)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server; .ci/run installs it)"
    return None


class PostgresServer:
    """A PostgreSQL cluster of its own: ``start()``, ``stop()``, ``new_database()`` → its URL."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        assert self.bin is not None, find_postgres()
        self.folder = Path(tempfile.mkdtemp(prefix="syndicate-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._databases = 0
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chmod(self.folder, 0o700)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "syndicate", "-A", "trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"], check=True)

    def _as_user(self) -> dict[str, str]:
        return {"user": self._user, "group": self._user, "extra_groups": []} if self._user else {}

    def _run(self, args: list[str], *, check: bool) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=check, cwd=self.folder,
                              **self._as_user())

    @property
    def admin_url(self) -> str:
        return f"postgresql://syndicate@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://syndicate@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        assert self.process is None, "PostgreSQL is running already"
        log = open(self.log, "ab")  # noqa: SIM115 (the server's, closed when it ends)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.log, entry.pw_uid, entry.pw_gid)
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, **self._as_user())
        log.close()
        if not wait_until_listening(self.port, self.process, timeout=30):
            output = self.log.read_text(errors="replace")
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{output}")
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.admin_url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self, *, fast: bool = True) -> None:
        """Stop the server (SIGINT: PostgreSQL's fast shutdown; ``fast=False``: SIGKILL, as a crash)."""
        if self.process is None:
            return
        end_process(self.process, signal.SIGINT if fast else signal.SIGKILL, timeout=30)
        self.process = None

    def new_database(self, template: str = "template0") -> str:
        """A new database, a copy of ``template`` (empty by default); returns its URL."""
        import psycopg

        self._databases += 1
        name = f"test_{os.getpid()}_{self._databases}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class RedisServer:
    """``redis-server`` of its own, saving nothing: ``start()``, ``stop()``, ``url(db)``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="syndicate-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._databases = 0

    def start(self) -> RedisServer:
        assert self.process is None, "Redis is running already"
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.folder), "--databases", "1000"], stdout=log, stderr=subprocess.STDOUT)
        if not wait_until_listening(self.port, self.process):
            output = (self.folder / "redis.log").read_text(errors="replace")
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}:\n{output}")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        end_process(self.process)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def new_url(self) -> str:
        """The URL of a database number no other test has used (Redis has 1,000 of them here)."""
        self._databases += 1
        assert self._databases < 1000, "more than 999 Redis databases asked for in one run"
        return self.url(self._databases)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
