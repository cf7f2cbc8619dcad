"""One pass at a time: an exclusive lock beside the state database."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..config import Config
from ..errors import SyndicateError


class Busy(SyndicateError):
    """Another pass holds the lock."""

    exit_code = 0


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
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise Busy(f"another syndicate run or schedule (pid {holder}) is working on "
                       f"{self.path.with_suffix('')}; nothing done.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
