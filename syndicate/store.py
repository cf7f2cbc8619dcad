"""The state database (SQLite, WAL): what was seen and built, kept between runs.

It lives outside ``output/``, which is disposable. This module and ``ledger`` (its
subscriber and delivery half) are the only ones that speak SQL; each part adds its
tables through :data:`MIGRATIONS`, so an old database is upgraded in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import StoreError
from .ledger import SubscriberStore
from .personalize import Personalizer

MIGRATIONS = [
    # 1: articles seen (keyed by path) and small build facts.
    """
    CREATE TABLE article (
        path TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        digest TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE INDEX article_id ON article(id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE output (path TEXT PRIMARY KEY, size INTEGER NOT NULL);
    """,
    # 2: newsletter issues, as rendered (so the archive and later sends never depend on
    # today's content), and which article each covered. An article id is the primary
    # key of issue_article: no article can be in two issues, whatever happens.
    """
    CREATE TABLE issue (
        number INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        date TEXT NOT NULL,
        subject TEXT NOT NULL,
        preheader TEXT NOT NULL,
        nonce TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        web_html TEXT NOT NULL
    );
    CREATE TABLE issue_article (
        article_id TEXT PRIMARY KEY,
        issue_number INTEGER REFERENCES issue(number),
        position INTEGER NOT NULL,
        covered_at TEXT NOT NULL
    );
    CREATE INDEX issue_article_issue ON issue_article(issue_number, position);
    """,
    # 3: subscribers, and the delivery ledger: one row per (issue, subscriber), so that a
    # send resumes where it stopped and never sends one issue twice to one person.
    """
    CREATE TABLE subscriber (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        source TEXT NOT NULL DEFAULT '',
        secret TEXT NOT NULL UNIQUE,
        bounces INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX subscriber_email ON subscriber(email COLLATE NOCASE);
    CREATE INDEX subscriber_status ON subscriber(status, id);
    CREATE TABLE delivery (
        issue_number INTEGER NOT NULL REFERENCES issue(number),
        subscriber_id INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'deferred', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        next_attempt_at TEXT,
        sent_at TEXT,
        message_id TEXT NOT NULL DEFAULT '',
        reply TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (issue_number, subscriber_id)
    );
    CREATE INDEX delivery_todo ON delivery(issue_number, status, subscriber_id);
    """,
    # 4: issues the scheduler made, which it also sends (recorded with the issue, in one
    # transaction, so that a crash between making and sending loses nothing).
    # send_started_at: when its send first began (even to nobody), so that people who
    # subscribe later are not sent an issue that went out before them.
    """
    ALTER TABLE issue ADD COLUMN auto_send INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE issue ADD COLUMN send_started_at TEXT;
    UPDATE issue SET send_started_at = (SELECT min(queued_at) FROM delivery d WHERE d.issue_number = number);
    """,
]


class Store(SubscriberStore):
    """An open state database. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (sqlite3.Error, OSError) as err:
            raise StoreError(f"{self.path}: cannot open the state database ({err}). "
                             "Check [state] path and that the folder is writable.") from err

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path} was written by a newer syndicate (schema {version}). "
                             "Upgrade syndicate to use it.")
        for n, script in enumerate(MIGRATIONS[version:], version + 1):
            with self.transaction():
                for statement in _statements(script):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {n}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot write the state database ({err}).") from err
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        """A JSON value stored under ``key``."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, sort_keys=True)),
        )

    # -- articles --------------------------------------------------------------------

    def record_articles(self, seen: Iterable[tuple[str, str, str]], now: datetime) -> int:
        """Record (path, id, digest) for every article read; returns how many are new.

        ``first_seen`` is set once, the first time a path is seen, and never moved.
        """
        stamp = now.isoformat()
        before = self.db.execute("SELECT count(*) FROM article").fetchone()[0]
        self.db.executemany(
            "INSERT INTO article(path, id, digest, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET id = excluded.id, digest = excluded.digest, "
            "last_seen = excluded.last_seen",
            [(path, id_, digest, stamp, stamp) for path, id_, digest in seen],
        )
        return self.db.execute("SELECT count(*) FROM article").fetchone()[0] - before

    def articles(self) -> dict[str, dict[str, str]]:
        """Every article ever recorded, by path."""
        rows = self.db.execute("SELECT path, id, digest, first_seen, last_seen FROM article")
        return {r[0]: {"id": r[1], "digest": r[2], "first_seen": r[3], "last_seen": r[4]} for r in rows}

    # -- outputs ---------------------------------------------------------------------

    def outputs(self) -> dict[str, int]:
        """Files the last build wrote: path under the output folder → size in bytes."""
        return dict(self.db.execute("SELECT path, size FROM output"))

    def replace_outputs(self, files: dict[str, int]) -> None:
        self.db.execute("DELETE FROM output")
        self.db.executemany("INSERT INTO output(path, size) VALUES (?, ?)", sorted(files.items()))


    # -- newsletter issues ---------------------------------------------------------------

    def covered_ids(self) -> set[str]:
        """Ids of every article an issue has covered (sent, or set aside as backlog)."""
        return {row[0] for row in self.db.execute("SELECT article_id FROM issue_article")}

    def covered_digests(self) -> set[str]:
        """Content hashes of covered articles: a file renamed unchanged is still covered."""
        rows = self.db.execute(
            "SELECT digest FROM article WHERE id IN (SELECT article_id FROM issue_article)")
        return {row[0] for row in rows}

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
        except sqlite3.IntegrityError as err:
            raise StoreError(f"issue #{issue.number} or one of its articles is already recorded "
                             "(another run made an issue meanwhile). Run the command again.") from err

    def unsent_auto_issues(self) -> list[int]:
        """Issues the scheduler made whose send is not finished (never queued, or rows to go)."""
        rows = self.db.execute(
            "SELECT number FROM issue i WHERE auto_send = 1 AND (send_started_at IS NULL OR EXISTS "
            "(SELECT 1 FROM delivery d WHERE d.issue_number = i.number AND d.status IN ('queued', 'deferred')))"
            " ORDER BY number")
        return [row[0] for row in rows]

    def cover(self, article_ids: Iterable[str], now: datetime) -> None:
        """Mark articles covered without an issue: the backlog the first issue leaves out."""
        self.db.executemany(
            "INSERT OR IGNORE INTO issue_article(article_id, issue_number, position, covered_at) "
            "VALUES (?, NULL, 0, ?)", [(id_, now.isoformat()) for id_ in article_ids])


@dataclass(frozen=True)
class Issue:
    """A rendered newsletter issue, as recorded: exactly what is sent, and its web page."""

    number: int
    date: datetime
    subject: str
    preheader: str
    article_ids: tuple[str, ...]
    nonce: str  # of its per-subscriber placeholders (see personalize)
    html: str  # the email's HTML, CSS inlined, placeholders in
    text: str  # the plain-text part, placeholders in
    web_html: str  # the web version: no placeholders, feed autodiscovery

    def personalizers(self) -> tuple[Personalizer, Personalizer]:
        """(HTML, text), each ready to fill for one subscriber."""
        return (Personalizer.compile(self.html, self.nonce, escape=True),
                Personalizer.compile(self.text, self.nonce, escape=False))


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
