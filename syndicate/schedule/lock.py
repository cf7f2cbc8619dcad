"""One pass at a time: an exclusive lock beside the state database."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ..config import Config
from ..errors import SyndicateError


class Busy(SyndicateError):
    """Another pass holds the lock (nothing is wrong: exit code 0)."""

    exit_code = 0


class Stuck(SyndicateError):
    """Another pass has held the lock for longer than any pass should take: said, so that a hung
    process does not silence cron for good (exit code 1)."""


#: A pass that holds the lock longer than this is taken for stuck.
STUCK_AFTER = 3600


class RunLock:
    """An exclusive, non-blocking lock on ``<state db>.lock``; released when the process dies."""

    def __init__(self, config: Config) -> None:
        self.path = Path(f"{config.state_path}.lock")
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
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

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
