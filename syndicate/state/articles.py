"""What the builds saw and wrote: every article by path (with the id it was given), every output file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from .database import Database


class ArticleRecords(Database):
    """The articles seen and the files written (mixed into :class:`~syndicate.state.Store`)."""

    def record_articles(self, seen: Iterable[tuple[str, str, str, datetime | None]], now: datetime) -> int:
        """Record (path, id, digest, first_seen) for every article read; returns how many are new.

        ``first_seen`` (None: ``now``) is set once, the first time a path is seen, and never moved.
        """
        stamp = now.isoformat()
        before = self.db.execute("SELECT count(*) FROM article").fetchone()[0]
        self.db.executemany(
            "INSERT INTO article(path, id, digest, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET id = excluded.id, digest = excluded.digest, "
            "last_seen = excluded.last_seen",
            [(path, id_, digest, (first or now).isoformat(), stamp) for path, id_, digest, first in seen],
        )
        return self.db.execute("SELECT count(*) FROM article").fetchone()[0] - before

    def articles(self) -> dict[str, dict[str, str]]:
        """Every article ever recorded, by path."""
        rows = self.db.execute("SELECT path, id, digest, first_seen, last_seen FROM article")
        return {r[0]: {"id": r[1], "digest": r[2], "first_seen": r[3], "last_seen": r[4]} for r in rows}

    def parses(self) -> ParseLookup:
        """Each article file's parse as the builds kept it, looked up by path (``.get(path)`` →
        (key, text) or None), one at a time: 10,000 of them are never all in memory."""
        return ParseLookup(self.db)

    def record_parses(self, made: dict[str, tuple[str, str]], present: Iterable[str]) -> None:
        """Keep the parses made (path → key, text), and forget those of files no longer ``present``."""
        self.db.executemany("INSERT INTO parsed(path, key, data) VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE "
                            "SET key = excluded.key, data = excluded.data",
                            [(path, key, data) for path, (key, data) in sorted(made.items())])
        stale = {row[0] for row in self.db.execute("SELECT path FROM parsed")} - set(present)
        self.db.executemany("DELETE FROM parsed WHERE path = ?", [(path,) for path in sorted(stale)])

    def outputs(self) -> dict[str, int]:
        """Files the last build wrote: path under the output folder → size in bytes."""
        return dict(self.db.execute("SELECT path, size FROM output"))

    def replace_outputs(self, files: dict[str, int]) -> None:
        self.db.execute("DELETE FROM output")
        self.db.executemany("INSERT INTO output(path, size) VALUES (?, ?)", sorted(files.items()))


class ParseLookup:
    """``get(path)``: the kept parse of one article file, (key, text), or None."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, path: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT key, data FROM parsed WHERE path = ?", (path,)).fetchone()
        return (row[0], row[1]) if row else None
