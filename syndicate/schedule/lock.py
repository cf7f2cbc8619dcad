"""One pass at a time: an exclusive lock beside the SQLite state database, or in the PostgreSQL one.

Either way the lock goes with its process: a killed pass never leaves it held. In PostgreSQL it
is held by the database server, so that cron on two hosts against one state never does a pass twice.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config, mask_url
from ..errors import SyndicateError

if TYPE_CHECKING:
    from ..state import DatabaseLock


class Busy(SyndicateError):
    """Another pass holds the lock (nothing is wrong: exit code 0)."""

    exit_code = 0


class Stuck(SyndicateError):
    """Another pass has held the lock for longer than any pass should take: said, so that a hung
    process does not silence cron for good (exit code 1)."""


#: A pass that holds the lock longer than this is taken for stuck.
STUCK_AFTER = 3600


class RunLock:
    """An exclusive, non-blocking lock on ``<state db>.lock`` (or, with a PostgreSQL state, in it);
    released when the process dies."""

    def __init__(self, config: Config) -> None:
        self.path = Path(f"{config.state_path}.lock")
        self.url = config.state_url
        self.fd: int | None = None
        self.held: DatabaseLock | None = None

    def __enter__(self) -> RunLock:
        if self.url:
            return self._take_in_database()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder, _, since = os.pread(fd, 64, 0).decode(errors="replace").strip().partition(" ")
            os.close(fd)
            held = time.time() - float(since) if since.replace(".", "", 1).isdigit() else 0.0
            if held > STUCK_AFTER:
                raise Stuck(f"another syndicate run or schedule (pid {holder or '?'}) has held the lock on "
                            f"{self.path.with_suffix('')} for {held / 3600:.1f} hours; nothing done. If that "
                            f"process is stuck, stop it (kill {holder or 'PID'}); the next run goes on.") from None
            raise Busy(f"another syndicate run or schedule (pid {holder or '?'}) is working on "
                       f"{self.path.with_suffix('')}; nothing done.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {time.time():.0f}".encode(), 0)
        self.fd = fd
        return self

    def _take_in_database(self) -> RunLock:
        from ..state import DatabaseLock

        lock = DatabaseLock(self.url, "run")
        holder = lock.acquire(pid=os.getpid(), host=socket.gethostname(), since=time.time())
        if holder is not None:
            who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}"
            since = holder.get("since")
            held = time.time() - since if isinstance(since, (int, float)) else 0.0
            if held > STUCK_AFTER:
                raise Stuck(f"another syndicate run or schedule ({who}) has held the lock on {mask_url(self.url)} "
                            f"for {held / 3600:.1f} hours; nothing done. If that process is stuck, stop it; the "
                            "next run goes on.")
            raise Busy(f"another syndicate run or schedule ({who}) is working on {mask_url(self.url)}; "
                       "nothing done.")
        self.held = lock
        return self

    def __exit__(self, *exc: object) -> None:
        if self.held is not None:
            self.held.release()
            self.held = None
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
