"""One sender per issue: a send holds the issue's lease in the state database while it works.

Every command that sends (``send``, ``run``, ``schedule``) takes the lease first, so two
of them never send the same issue at once; the second says who holds it and stops, with
nothing wrong (exit code 0). The holder renews the lease as it goes. A lease whose
process is gone (killed, on this host) is taken over at once, and any other once it has
not been renewed for its time to live, so a dead sender never needs a manual fix.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from ..errors import SyndicateError
from ..state import Lease, Store


class SendBusy(SyndicateError):
    """Another process is sending this issue; nothing is wrong, and nothing was sent."""

    exit_code = 0


class SendLease:
    """The lease on sending issue ``number``, held by this process while it is taken."""

    def __init__(self, store: Store, number: int, *, ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.number = number
        self.name = f"send:{number}"
        self.ttl = ttl
        self.clock = clock
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{os.getpid()}:{secrets.token_hex(6)}"
        self.renewed = 0.0

    def take(self) -> None:
        """:raises SendBusy: naming the process that holds the lease."""
        current = self.store.take_lease(self.name, holder=self.holder, pid=os.getpid(), host=self.host,
                                        now=self.clock(), ttl=self.ttl, is_dead=self._is_dead)
        if current is not None:
            raise SendBusy(f"issue #{self.number} is being sent by another syndicate (pid {current.pid} on "
                           f"{current.host}, since {current.taken_at:%Y-%m-%d %H:%M:%S} UTC); nothing sent here. "
                           "If that one stops, the next send resumes where it left off.")
        self.renewed = time.monotonic()

    def keep(self) -> bool:
        """Renew the lease if a quarter of its time has passed; False if it was taken over."""
        if time.monotonic() - self.renewed < self.ttl.total_seconds() / 4:
            return True
        self.renewed = time.monotonic()
        return self._renew()

    def _renew(self) -> bool:
        return self.store.renew_lease(self.name, holder=self.holder, now=self.clock(), ttl=self.ttl)

    def release(self) -> None:
        self.store.release_lease(self.name, holder=self.holder)

    def _is_dead(self, lease: Lease) -> bool:
        return process_gone(lease.pid, lease.host)


def process_gone(pid: int, host: str) -> bool:
    """True if process ``pid`` of ``host`` is known to be gone: only a process of this host can be
    looked up; of another, only its lease's expiry can tell."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
