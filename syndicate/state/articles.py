"""What the builds saw and wrote: every article by path (with the id it was given), every output file."""

from __future__ import annotations

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

    def outputs(self) -> dict[str, int]:
        """Files the last build wrote: path under the output folder → size in bytes."""
        return dict(self.db.execute("SELECT path, size FROM output"))

    def replace_outputs(self, files: dict[str, int]) -> None:
        self.db.execute("DELETE FROM output")
        self.db.executemany("INSERT INTO output(path, size) VALUES (?, ?)", sorted(files.items()))
