"""The send on a worker fleet: an issue's ledger rows cut into batches, each claimed by one worker
at a time; and the fleet's workers, each with its heartbeat.

A batch is a range of subscriber ids of one issue. The worker that takes it holds a claim with
an expiry, renewed while it sends; a claim whose expiry passed (or whose process is gone) may be
taken by another, which sends on from the rows still unsent. Whatever the broker holds or loses,
the ledger says what is left: :meth:`FleetRecords.batches_to_queue` finds every batch that has
rows due and no worker sending it, and no task waiting for it.

Written in the SQL that SQLite and PostgreSQL share: ``?`` placeholders, ``ON CONFLICT``, times
as ISO-8601 text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .database import Database
from .records import SUBSCRIBER_COLUMNS, Subscriber

#: A row of a batch that is still to be tried: queued, or deferred and due again.
_DUE = "(d.status = 'queued' OR (d.status = 'deferred' AND d.next_attempt_at <= ?))"
_IN_BATCH = "d.issue_number = b.issue_number AND d.subscriber_id BETWEEN b.first_id AND b.last_id"


@dataclass(frozen=True)
class Batch:
    """One batch of a fleet send: issue ``issue``, subscriber ids ``first`` to ``last``."""

    issue: int
    first: int
    last: int


@dataclass(frozen=True)
class Claim:
    """Who holds (or last held) a batch: ``holder`` ('' for no one), its process and host."""

    holder: str
    pid: int
    host: str
    held_until: datetime | None


@dataclass(frozen=True)
class Worker:
    """A ``syndicate worker`` as its last heartbeat left it."""

    name: str
    host: str
    pid: int
    concurrency: int
    queues: str
    started_at: datetime
    seen_at: datetime


class FleetRecords(Database):
    """Batches and workers of the fleet (mixed into :class:`~syndicate.state.Store`)."""

    def add_batches(self, issue: int, *, size: int, now: datetime) -> list[Batch]:
        """Cut the rows of ``issue`` still to send, and not in a batch yet, into batches of ``size``
        (queued as of ``now``); returns them. Call inside a transaction."""
        after = self.db.execute("SELECT max(last_id) FROM fleet_batch WHERE issue_number = ?",
                                (issue,)).fetchone()[0] or 0
        ids = [row[0] for row in self.db.execute(
            "SELECT subscriber_id FROM delivery WHERE issue_number = ? AND subscriber_id > ? "
            "AND status IN ('queued', 'deferred') ORDER BY subscriber_id", (issue, after))]
        batches = [Batch(issue, ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
        self.db.executemany("INSERT INTO fleet_batch(issue_number, first_id, last_id, queued_at) VALUES (?, ?, ?, ?)",
                            [(b.issue, b.first, b.last, now.isoformat()) for b in batches])
        return batches

    def batches_to_queue(self, now: datetime, *, lost_before: datetime | None,
                         is_dead: Callable[[Claim], bool], issue: int | None = None) -> list[Batch]:
        """The batches that need a task on the broker, marked as queued at ``now``: those with rows due
        and no task waiting for them, nor a live worker sending them. A batch whose task was queued
        before ``lost_before`` and not taken since counts as lost (give it when the broker's queue is
        empty); a claim whose expiry passed, or that ``is_dead`` says is held by a dead process, is void.
        """
        stamp = now.isoformat()
        which, args = ("b.issue_number = ?", (issue,)) if issue is not None else ("b.issue_number > ?", (0,))
        with self.transaction():
            rows = self.db.execute(
                "SELECT b.issue_number, b.first_id, b.last_id, b.queued_at, b.holder, b.pid, b.host, b.held_until "
                f"FROM fleet_batch b WHERE {which} AND EXISTS (SELECT 1 FROM delivery d WHERE {_IN_BATCH} AND {_DUE})"
                f"{self.dialect.lock_rows}",
                (*args, stamp)).fetchall()
            due = []
            for number, first, last, queued_at, holder, pid, host, held_until in rows:
                held = held_until is not None and held_until > stamp
                if queued_at is not None:  # a task for it is on the broker, unless the broker lost it
                    if lost_before is None or queued_at > lost_before.isoformat():
                        continue
                elif holder and held and not is_dead(Claim(holder, pid, host, datetime.fromisoformat(held_until))):
                    continue
                elif not holder and held:  # held off after a fatal error, until then
                    continue
                due.append(Batch(number, first, last))
            self.db.executemany("UPDATE fleet_batch SET queued_at = ?, holder = '' WHERE issue_number = ? "
                                "AND first_id = ?", [(stamp, b.issue, b.first) for b in due])
        return due

    def take_batch(self, issue: int, first: int, *, holder: str, pid: int, host: str, now: datetime,
                   ttl: timedelta, is_dead: Callable[[Claim], bool]) -> Batch | None:
        """Claim batch (``issue``, ``first``) for ``holder`` until ``now + ttl``; None if another
        live worker holds it (or there is no such batch)."""
        with self.transaction():
            row = self.db.execute("SELECT last_id, holder, pid, host, held_until FROM fleet_batch "
                                  f"WHERE issue_number = ? AND first_id = ?{self.dialect.lock_rows}",
                                  (issue, first)).fetchone()
            if row is None:
                return None
            last, current, current_pid, current_host, held_until = row
            if current and current != holder and held_until > now.isoformat() \
                    and not is_dead(Claim(current, current_pid, current_host, datetime.fromisoformat(held_until))):
                return None
            self.db.execute("UPDATE fleet_batch SET holder = ?, pid = ?, host = ?, held_until = ?, queued_at = NULL "
                            "WHERE issue_number = ? AND first_id = ?",
                            (holder, pid, host, (now + ttl).isoformat(), issue, first))
        return Batch(issue, first, last)

    def renew_batch(self, issue: int, first: int, *, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Push the claim's expiry on; False if ``holder`` lost it (another worker took the batch over)."""
        cursor = self.db.execute("UPDATE fleet_batch SET held_until = ? WHERE issue_number = ? AND first_id = ? "
                                 "AND holder = ?", ((now + ttl).isoformat(), issue, first, holder))
        return cursor.rowcount == 1

    def release_batch(self, issue: int, first: int, *, holder: str, hold_until: datetime | None = None) -> None:
        """Give the batch up; with ``hold_until``, no worker is to take it before then."""
        self.db.execute("UPDATE fleet_batch SET holder = '', held_until = ? WHERE issue_number = ? AND first_id = ? "
                        "AND holder = ?", (hold_until.isoformat() if hold_until else None, issue, first, holder))

    def due_in_batch(self, batch: Batch, now: datetime, *, after: int = 0, limit: int = 500
                     ) -> list[tuple[Subscriber, int]]:
        """The next ``limit`` rows of ``batch`` to send past subscriber ``after``, with their attempts."""
        columns = ", ".join("s." + c.strip() for c in SUBSCRIBER_COLUMNS.split(","))
        rows = self.db.execute(
            f"SELECT {columns}, d.attempts FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id "
            f"WHERE d.issue_number = ? AND d.subscriber_id > ? AND d.subscriber_id <= ? AND {_DUE} "
            "ORDER BY d.subscriber_id LIMIT ?",
            (batch.issue, max(after, batch.first - 1), batch.last, now.isoformat(), limit)).fetchall()
        return [(Subscriber(*row[:-1]), row[-1]) for row in rows]

    def fleet_issues(self) -> list[int]:
        """The issues sent (or being sent) by the fleet."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT issue_number FROM fleet_batch ORDER BY 1")]

    def fleet_progress(self, issue: int, now: datetime) -> dict[str, int]:
        """The rows of ``issue`` by state: queued, sending (in a batch a live claim holds), sent,
        deferred, failed, skipped."""
        counts = {"queued": 0, "sending": 0, "sent": 0, "deferred": 0, "failed": 0, "skipped": 0}
        counts.update(self.delivery_counts(issue))  # type: ignore[attr-defined]
        for status, n in self.db.execute(
                "SELECT d.status, count(*) FROM fleet_batch b JOIN delivery d ON " + _IN_BATCH + " "
                "WHERE b.issue_number = ? AND b.holder <> '' AND b.held_until > ? "
                "AND d.status IN ('queued', 'deferred') GROUP BY d.status", (issue, now.isoformat())):
            counts[status] -= n
            counts["sending"] += n
        return counts

    def beat(self, name: str, *, host: str, pid: int, concurrency: int, queues: str, now: datetime) -> None:
        """A worker's heartbeat: it is alive at ``now``."""
        self.db.execute(
            "INSERT INTO fleet_worker(name, host, pid, concurrency, queues, started_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET seen_at = excluded.seen_at",
            (name, host, pid, concurrency, queues, now.isoformat(), now.isoformat()))

    def forget_worker(self, name: str) -> None:
        self.db.execute("DELETE FROM fleet_worker WHERE name = ?", (name,))

    def forget_workers(self, *, seen_before: datetime) -> int:
        """Drop the rows of workers silent since before ``seen_before``; returns how many."""
        return self.db.execute("DELETE FROM fleet_worker WHERE seen_at < ?", (seen_before.isoformat(),)).rowcount

    def workers(self, *, seen_since: datetime) -> list[Worker]:
        """The workers whose last heartbeat came at or after ``seen_since``, by name."""
        rows = self.db.execute("SELECT name, host, pid, concurrency, queues, started_at, seen_at FROM fleet_worker "
                               "WHERE seen_at >= ? ORDER BY name", (seen_since.isoformat(),)).fetchall()
        return [Worker(*row[:5], datetime.fromisoformat(row[5]), datetime.fromisoformat(row[6])) for row in rows]
