"""Locks held in a PostgreSQL state for as long as a process lives (the run lock, on every host).

A :class:`DatabaseLock` is a session advisory lock (``pg_try_advisory_lock``) on a connection
of its own: the server lets go of it when that connection ends, because the process exited,
was killed, or its host went away (noticed by TCP keepalives within about a minute). Who holds
it, and since when, is written to ``meta`` for the messages of those who do not get it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .postgres import Connection, connect


def _key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(f"syndicate:{name}".encode()).digest()[:8], "big", signed=True)


class DatabaseLock:
    """The exclusive lock ``name`` in the database at ``url``, not waited for."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.conn: Connection | None = None

    def acquire(self, *, pid: int, host: str, since: float) -> dict[str, Any] | None:
        """Take the lock; None when taken, else who holds it (``pid``, ``host``, ``since``: a Unix
        time), as that holder wrote it (``{}`` if not yet)."""
        conn = connect(self.url)
        try:
            conn.raw.execute("SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 10; "
                             "SET tcp_keepalives_count = 3")
            if not conn.raw.execute("SELECT pg_try_advisory_lock(%s)", (_key(self.name),)).fetchone()[0]:
                row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"lock:{self.name}",)).fetchone()
                conn.close()
                return json.loads(row[0]) if row else {}
            conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                         "excluded.value", (f"lock:{self.name}", _holder(pid, host, since)))
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        return None

    def release(self) -> None:
        if self.conn is not None:
            self.conn.close()  # ends the session, which lets go of the lock
            self.conn = None


def _holder(pid: int, host: str, since: float) -> str:
    return json.dumps({"host": host, "pid": pid, "since": since}, sort_keys=True)
