"""Newsletter issues, as rendered, and which article each covered (no article is in two issues)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from ..errors import StoreError
from .database import Database
from .records import Issue


#: An issue (``i``) whose send is not finished: never begun, or rows still to go.
_UNFINISHED = ("(i.send_started_at IS NULL OR EXISTS (SELECT 1 FROM delivery d WHERE d.issue_number = i.number "
               "AND d.status IN ('queued', 'deferred')))")


class IssueRecords(Database):
    """Issues and the articles they cover (mixed into :class:`~syndicate.state.Store`)."""

    def covered_ids(self) -> set[str]:
        """Ids of every article an issue has covered (sent, or set aside as backlog)."""
        return {row[0] for row in self.db.execute("SELECT article_id FROM issue_article")}

    def covered_digests(self) -> set[str]:
        """Content hashes of covered articles: a file renamed unchanged is still covered."""
        rows = self.db.execute(
            "SELECT digest FROM article WHERE id IN (SELECT article_id FROM issue_article)")
        return {row[0] for row in rows}

    def covered_among(self, ids: Sequence[str], digests: Sequence[str]) -> tuple[set[str], set[str]]:
        """Which of these article ids, and of these content hashes, an issue has covered."""
        values = f"(SELECT value FROM {self.dialect.json_values})"
        covered = {r[0] for r in self.db.execute(f"SELECT DISTINCT article_id FROM issue_article WHERE article_id IN "
                                                 f"{values}", (json.dumps(list(ids)),))}
        hashes = {r[0] for r in self.db.execute(
            f"SELECT DISTINCT digest FROM article WHERE digest IN {values} AND id IN (SELECT article_id FROM "
            "issue_article)", (json.dumps(list(digests)),))}
        return covered, hashes

    def covered_count(self) -> int:
        """How many times an issue covered an article (grows with every issue made and backlog set aside)."""
        return self.db.execute("SELECT count(*) FROM issue_article").fetchone()[0]

    def issue_numbers(self) -> list[int]:
        return [row[0] for row in self.db.execute("SELECT number FROM issue ORDER BY number")]

    def issues(self) -> list[Issue]:
        """Every issue recorded, oldest first."""
        rows = self.db.execute(
            "SELECT number, date, subject, preheader, nonce, html, text, web_html FROM issue ORDER BY number")
        issues = []
        for number, date, subject, preheader, nonce, html, text, web_html in rows.fetchall():
            ids = tuple(r[0] for r in self.db.execute(
                "SELECT article_id FROM issue_article WHERE issue_number = ? ORDER BY position", (number,)))
            issues.append(Issue(number, datetime.fromisoformat(date), subject, preheader, ids,
                                      nonce, html, text, web_html))
        return issues

    def record_issue(self, issue: Issue, now: datetime, *, auto_send: bool = False) -> None:
        """Record an issue and its articles. Call inside :meth:`transaction`.

        :raises StoreError: an article is already in an issue (another run got there first).
        """
        try:
            self.db.execute(
                "INSERT INTO issue(number, created_at, date, subject, preheader, nonce, html, text, web_html, "
                "auto_send) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (issue.number, now.isoformat(), issue.date.isoformat(), issue.subject, issue.preheader,
                 issue.nonce, issue.html, issue.text, issue.web_html, int(auto_send)))
            self.db.executemany(
                "INSERT INTO issue_article(article_id, issue_number, position, covered_at) VALUES (?, ?, ?, ?)",
                [(id_, issue.number, i, now.isoformat()) for i, id_ in enumerate(issue.article_ids)])
        except self.dialect.integrity_error as err:
            raise StoreError(f"issue #{issue.number} or one of its articles is already recorded "
                             "(another run made an issue meanwhile). Run the command again.") from err

    def unsent_issues(self, *, auto_only: bool = False) -> list[int]:
        """Issues whose send is not finished (never begun, or rows still to go), oldest first;
        with ``auto_only``, only those the scheduler made (and so sends)."""
        rows = self.db.execute(
            f"SELECT number FROM issue i WHERE (auto_send = 1 OR NOT ?) AND {_UNFINISHED} ORDER BY number",
            (auto_only,))
        return [row[0] for row in rows]

    def scheduler_sends(self) -> list[tuple[int, datetime | None, bool]]:
        """The sends ``run`` and ``schedule`` do, oldest issue first: (number, the time set with
        ``send --at`` or None, whether the send has begun) of every issue they made or that has a
        time set, whose send is not finished."""
        rows = self.db.execute(
            f"SELECT number, send_at, send_started_at IS NOT NULL FROM issue i WHERE (auto_send = 1 OR send_at IS "
            f"NOT NULL) AND {_UNFINISHED} ORDER BY number")
        return [(n, datetime.fromisoformat(at) if at else None, bool(started)) for n, at, started in rows]

    def send_at(self, number: int) -> datetime | None:
        """The time issue ``number`` is set to be sent at, if any."""
        row = self.db.execute("SELECT send_at FROM issue WHERE number = ?", (number,)).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def set_send_at(self, number: int, at: datetime | None) -> None:
        """Set the time issue ``number`` goes at; None takes it off the schedule, and out of the
        scheduler's hands altogether (it waits for ``syndicate send``)."""
        if at is None:
            self.db.execute("UPDATE issue SET send_at = NULL, auto_send = 0 WHERE number = ?", (number,))
        else:
            self.db.execute("UPDATE issue SET send_at = ? WHERE number = ?", (at.isoformat(), number))

    def scheduled_sends(self) -> list[tuple[int, str, datetime, bool]]:
        """(number, subject, time, begun) of every issue set to go at a time whose send is not finished."""
        rows = self.db.execute(
            f"SELECT number, subject, send_at, send_started_at IS NOT NULL FROM issue i WHERE send_at IS NOT NULL "
            f"AND {_UNFINISHED} ORDER BY send_at, number")
        return [(n, subject, datetime.fromisoformat(at), bool(begun)) for n, subject, at, begun in rows]

    def cover(self, article_ids: Iterable[str], now: datetime) -> None:
        """Mark articles covered without an issue: the backlog the first issue leaves out."""
        self.db.executemany(
            "INSERT INTO issue_article(article_id, issue_number, position, covered_at) "
            "VALUES (?, NULL, 0, ?) ON CONFLICT DO NOTHING", [(id_, now.isoformat()) for id_ in article_ids])
