"""The delivery ledger: one row per (issue, subscriber), each outcome committed as it happens.

A row goes ``queued`` → ``sent`` | ``deferred`` (retried later) | ``failed`` | ``skipped``,
so a send that is killed resumes from the ledger and sends no issue twice to anyone (but
for the messages in flight at the kill).
"""

from __future__ import annotations

from datetime import datetime

from .database import Database
from .records import SUBSCRIBER_COLUMNS, Subscriber


class LedgerRecords(Database):
    """The delivery ledger (mixed into :class:`~syndicate.state.Store`)."""

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
            "INSERT INTO delivery(issue_number, subscriber_id, status, queued_at) "
            "SELECT ?, id, 'queued', ? FROM subscriber WHERE status = 'active' ON CONFLICT DO NOTHING", (issue, now.isoformat()))
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
            f"SELECT {', '.join('s.' + c.strip() for c in SUBSCRIBER_COLUMNS.split(','))}, d.attempts "
            "FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id "
            "WHERE d.issue_number = ? AND d.subscriber_id > ? AND (d.status = 'queued' OR "
            "(d.status = 'deferred' AND d.next_attempt_at <= ?)) ORDER BY d.subscriber_id LIMIT ?",
            (issue, after, now.isoformat(), limit)).fetchall()
        return [(Subscriber(*row[:-1]), row[-1]) for row in rows]

    def mark_delivery(self, issue: int, subscriber_id: int, status: str, *, now: datetime, reply: str = "",
                      message_id: str = "", next_attempt: datetime | None = None, permanent: bool = True) -> None:
        """Record the outcome of one attempt: sent, deferred (retry at ``next_attempt``),
        failed or skipped. One statement, committed at once: the ledger is the checkpoint."""
        self.db.execute(
            "UPDATE delivery SET status = ?, attempts = attempts + ?, reply = ?, message_id = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, next_attempt_at = ?, permanent = ? "
            "WHERE issue_number = ? AND subscriber_id = ?",
            (status, 0 if status == "skipped" else 1, reply[:500], message_id, status, now.isoformat(),
             next_attempt.isoformat() if next_attempt else None, int(permanent), issue, subscriber_id))

    def mark_sent(self, issue: int, sent: list[tuple[int, str, str, datetime]]) -> None:
        """Record many messages sent, (subscriber id, reply, message id, when), in one transaction:
        for a transport that repeats a message harmlessly (see ``Transport.idempotent``). A row
        marked sent meanwhile (by a sender that took the send over) is left as it is."""
        if not sent:
            return
        with self.transaction():
            self.db.executemany(
                "UPDATE delivery SET status = 'sent', attempts = attempts + 1, reply = ?, message_id = ?, "
                "sent_at = ?, next_attempt_at = NULL, permanent = 1 WHERE issue_number = ? AND subscriber_id = ? "
                "AND status <> 'sent'",
                [(reply[:500], message_id, at.isoformat(), issue, subscriber_id)
                 for subscriber_id, reply, message_id, at in sent])

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

    def retryable_failures(self, issue: int) -> int:
        """Messages of ``issue`` that failed only because the server kept deferring them (4xx)."""
        return self.db.execute("SELECT count(*) FROM delivery WHERE issue_number = ? AND status = 'failed' "
                               "AND permanent = 0", (issue,)).fetchone()[0]

    def requeue_retryable(self, issue: int) -> int:
        """Queue again, with their attempts counted from 0, the messages :meth:`retryable_failures`
        counts; returns how many. Call inside a transaction."""
        cursor = self.db.execute("UPDATE delivery SET status = 'queued', attempts = 0, next_attempt_at = NULL "
                                 "WHERE issue_number = ? AND status = 'failed' AND permanent = 0", (issue,))
        return cursor.rowcount
