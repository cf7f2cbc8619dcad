"""Subscribers and the delivery ledger: the SQL behind them, mixed into ``Store``.

The ledger has one row per (issue, subscriber): ``queued`` → ``sent`` | ``deferred``
(retried later) | ``failed`` | ``skipped``. Each outcome is committed as it happens, so
a send that is killed resumes from the ledger and sends no issue twice to anyone
(but for the messages in flight at the kill).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    status: str
    created_at: str
    confirmed_at: str | None
    unsubscribed_at: str | None
    source: str
    secret: str
    bounces: int


_SUBSCRIBER_COLUMNS = "id, email, name, status, created_at, confirmed_at, unsubscribed_at, source, secret, bounces"


class SubscriberStore:
    """Subscribers and the delivery ledger (mixed into :class:`Store`)."""

    db: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by Store
        raise NotImplementedError

    # -- subscribers -----------------------------------------------------------------

    def add_subscriber(self, email: str, name: str = "", *, status: str = "active", source: str = "",
                       now: datetime) -> Subscriber | None:
        """Add one subscriber; None if the address (in any case) is already on the list."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO subscriber(email, name, status, created_at, confirmed_at, source, secret) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (email, name, status, now.isoformat(), now.isoformat() if status == "active" else None,
             source, secrets.token_hex(16)))
        return self.subscriber(email) if cursor.rowcount else None

    def import_subscribers(self, rows: Iterable[tuple[str, str, str]], *, source: str, now: datetime) -> int:
        """Add subscribers from (email, name, status) rows; addresses already known are left
        exactly as they are (an unsubscribed address stays unsubscribed). Returns how many
        were added."""
        stamp = now.isoformat()
        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO subscriber(email, name, status, created_at, confirmed_at, unsubscribed_at, "
            "source, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((email, name, status, stamp, stamp if status == "active" else None,
              stamp if status == "unsubscribed" else None, source, secrets.token_hex(16))
             for email, name, status in rows))
        return self.db.total_changes - before

    def subscriber(self, email: str) -> Subscriber | None:
        row = self.db.execute(f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscriber WHERE email = ? COLLATE NOCASE",
                              (email,)).fetchone()
        return Subscriber(*row) if row else None

    def subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        row = self.db.execute(f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscriber WHERE id = ?",
                              (subscriber_id,)).fetchone()
        return Subscriber(*row) if row else None

    def subscribers(self, status: str | None = None) -> Iterator[Subscriber]:
        """Every subscriber (with ``status``), by id, read as it goes: never the whole list in memory."""
        last = 0
        while True:
            rows = self.db.execute(
                f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscriber WHERE id > ? AND (? IS NULL OR status = ?) "
                "ORDER BY id LIMIT 1000", (last, status, status)).fetchall()
            if not rows:
                return
            for row in rows:
                yield Subscriber(*row)
            last = rows[-1][0]

    def subscriber_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM subscriber GROUP BY status"))

    def set_status(self, email: str, status: str, now: datetime) -> bool:
        """Change a subscriber's status; False if there is no such subscriber."""
        column = {"unsubscribed": "unsubscribed_at", "active": "confirmed_at"}.get(status)
        extra = f", {column} = ?" if column else ""
        args = (status, now.isoformat()) if column else (status,)
        cursor = self.db.execute(f"UPDATE subscriber SET status = ?{extra} WHERE email = ? COLLATE NOCASE",
                                 (*args, email))
        return cursor.rowcount > 0

    def remove_subscriber(self, email: str) -> bool:
        """Delete a subscriber and their delivery rows (to forget them, as a user may ask)."""
        row = self.db.execute("SELECT id FROM subscriber WHERE email = ? COLLATE NOCASE", (email,)).fetchone()
        if not row:
            return False
        self.db.execute("DELETE FROM delivery WHERE subscriber_id = ?", row)
        self.db.execute("DELETE FROM subscriber WHERE id = ?", row)
        return True

    # -- the delivery ledger ---------------------------------------------------------

    def queue_delivery(self, issue: int, now: datetime, *, include_new: bool = False) -> int:
        """Give every active subscriber a 'queued' row for ``issue``; returns how many are new.

        The first call queues everyone active. Later calls (a resumed send) queue nobody
        new: people who subscribed after the send began do not get this issue, unless
        ``include_new``.
        """
        if self.send_started(issue) and not include_new:
            return 0
        self.db.execute("UPDATE issue SET send_started_at = ? WHERE number = ? AND send_started_at IS NULL",
                        (now.isoformat(), issue))
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO delivery(issue_number, subscriber_id, status, queued_at) "
            "SELECT ?, id, 'queued', ? FROM subscriber WHERE status = 'active'", (issue, now.isoformat()))
        return cursor.rowcount

    def send_started(self, issue: int) -> bool:
        """Whether a send of ``issue`` has begun (even to nobody)."""
        row = self.db.execute("SELECT send_started_at FROM issue WHERE number = ?", (issue,)).fetchone()
        return row is not None and row[0] is not None

    def not_queued(self, issue: int) -> int:
        """Active subscribers with no row for ``issue`` (they joined after its send began)."""
        return self.db.execute(
            "SELECT count(*) FROM subscriber s WHERE s.status = 'active' AND NOT EXISTS "
            "(SELECT 1 FROM delivery d WHERE d.issue_number = ? AND d.subscriber_id = s.id)",
            (issue,)).fetchone()[0]

    def due_deliveries(self, issue: int, now: datetime, *, after: int = 0, limit: int = 500
                       ) -> list[tuple[Subscriber, int]]:
        """The next ``limit`` rows to send (queued, or deferred and due), with their attempts."""
        rows = self.db.execute(
            f"SELECT {', '.join('s.' + c.strip() for c in _SUBSCRIBER_COLUMNS.split(','))}, d.attempts "
            "FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id "
            "WHERE d.issue_number = ? AND d.subscriber_id > ? AND (d.status = 'queued' OR "
            "(d.status = 'deferred' AND d.next_attempt_at <= ?)) ORDER BY d.subscriber_id LIMIT ?",
            (issue, after, now.isoformat(), limit)).fetchall()
        return [(Subscriber(*row[:-1]), row[-1]) for row in rows]

    def subscriber_status(self, subscriber_id: int) -> str | None:
        row = self.db.execute("SELECT status FROM subscriber WHERE id = ?", (subscriber_id,)).fetchone()
        return row[0] if row else None

    def mark_delivery(self, issue: int, subscriber_id: int, status: str, *, now: datetime, reply: str = "",
                      message_id: str = "", next_attempt: datetime | None = None) -> None:
        """Record the outcome of one attempt: sent, deferred (retry at ``next_attempt``),
        failed or skipped. One statement, committed at once: the ledger is the checkpoint."""
        self.db.execute(
            "UPDATE delivery SET status = ?, attempts = attempts + ?, reply = ?, message_id = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, next_attempt_at = ? "
            "WHERE issue_number = ? AND subscriber_id = ?",
            (status, 0 if status == "skipped" else 1, reply[:500], message_id, status, now.isoformat(),
             next_attempt.isoformat() if next_attempt else None, issue, subscriber_id))

    def changed_elsewhere(self) -> bool:
        """True when another connection (another process) has written since the last call."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        changed = version != getattr(self, "_data_version", version)
        self._data_version = version
        return changed

    def record_bounce(self, subscriber_id: int, *, bounce_after: int, now: datetime) -> bool:
        """Count a hard failure; True when it makes the subscriber 'bounced'."""
        with self.transaction():
            self.db.execute("UPDATE subscriber SET bounces = bounces + 1 WHERE id = ?", (subscriber_id,))
            cursor = self.db.execute(
                "UPDATE subscriber SET status = 'bounced' WHERE id = ? AND bounces >= ? AND status = 'active'",
                (subscriber_id, bounce_after))
        return cursor.rowcount > 0

    def delivery_counts(self, issue: int) -> dict[str, int]:
        return dict(self.db.execute(
            "SELECT status, count(*) FROM delivery WHERE issue_number = ? GROUP BY status", (issue,)))

    def next_retry(self, issue: int) -> datetime | None:
        """When the earliest deferred message of ``issue`` is due again."""
        row = self.db.execute("SELECT min(next_attempt_at) FROM delivery WHERE issue_number = ? "
                              "AND status = 'deferred'", (issue,)).fetchone()
        return datetime.fromisoformat(row[0]) if row[0] else None
