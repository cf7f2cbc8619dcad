"""Leases: one holder at a time for a job (sending an issue), recovered when the holder dies.

A lease is taken in one write transaction, so two processes asking at once cannot both
get it; the holder renews it while it works. Another process may take it over once it
has expired, or at once when ``is_dead`` says its holder is gone (a killed process).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .database import Database
from .records import Lease


class LeaseRecords(Database):
    """Leases (mixed into :class:`~syndicate.state.Store`)."""

    def take_lease(self, name: str, *, holder: str, pid: int, host: str, now: datetime, ttl: timedelta,
                   is_dead: Callable[[Lease], bool] = lambda lease: False) -> Lease | None:
        """Take (or renew) the lease ``name`` for ``holder``; None on success, else the lease of
        whoever holds it (alive, and not expired)."""
        with self.transaction():
            current = self.lease(name, lock=True)
            if current is not None and current.holder != holder and current.expires_at > now \
                    and not is_dead(current):
                return current
            self.db.execute(
                "INSERT INTO lease(name, holder, pid, host, taken_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, "
                "host = excluded.host, taken_at = excluded.taken_at, expires_at = excluded.expires_at",
                (name, holder, pid, host, now.isoformat(), (now + ttl).isoformat()))
        return None

    def renew_lease(self, name: str, *, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Push the lease's expiry on; False if ``holder`` no longer holds it (it was taken over)."""
        cursor = self.db.execute("UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ?",
                                 ((now + ttl).isoformat(), name, holder))
        return cursor.rowcount == 1

    def release_lease(self, name: str, *, holder: str) -> None:
        self.db.execute("DELETE FROM lease WHERE name = ? AND holder = ?", (name, holder))

    def lease(self, name: str, *, lock: bool = False) -> Lease | None:
        """The lease ``name``; with ``lock`` (in a transaction that may write it), its row locked
        until the transaction ends, so that a renewal waits for it."""
        row = self.db.execute("SELECT name, holder, pid, host, taken_at, expires_at FROM lease WHERE name = ?"
                              + (self.dialect.lock_rows if lock else ""), (name,)).fetchone()
        if row is None:
            return None
        return Lease(*row[:4], datetime.fromisoformat(row[4]), datetime.fromisoformat(row[5]))
