"""What the builds saw and wrote: every article by path (with the id it was given), every output file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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

    def parses(self) -> dict[str, tuple[str, str]]:
        """The head of each article file's parse as the builds kept it (path → key, head; see
        ``content.cache``): some 500 bytes an article, read at once."""
        return {path: (key, head) for path, key, head in self.db.execute("SELECT path, key, head FROM parsed")}

    def record_parses(self, made: dict[str, tuple[str, str]], present: Iterable[str]) -> None:
        """Keep the parses made (path → key, head), and forget those of files no longer ``present``."""
        self.db.executemany("INSERT INTO parsed(path, key, head) VALUES (?, ?, ?) ON CONFLICT(path) "
                            "DO UPDATE SET key = excluded.key, head = excluded.head",
                            [(path, *made[path]) for path in sorted(made)])
        stale = {row[0] for row in self.db.execute("SELECT path FROM parsed")} - set(present)
        self.db.executemany("DELETE FROM parsed WHERE path = ?", [(path,) for path in sorted(stale)])

    def entries(self, keys: Mapping[str, str]) -> dict[str, tuple[bytes, bytes, bytes]]:
        """The feed entries kept for these articles (id → key), those whose key is unchanged:
        id → (RSS item, Atom entry, JSON item)."""
        out = {}
        for id_, key in keys.items():
            row = self.db.execute("SELECT key, rss, atom, json FROM entry WHERE id = ?", (id_,)).fetchone()
            if row is not None and row[0] == key:
                out[id_] = (bytes(row[1]), bytes(row[2]), bytes(row[3]))
        return out

    def record_entries(self, made: Mapping[str, tuple[str, bytes, bytes, bytes]], present: Iterable[str]) -> None:
        """Keep the feed entries made (id → key, RSS, Atom, JSON), and forget those of articles
        no longer ``present`` in any feed."""
        self.db.executemany("INSERT INTO entry(id, key, rss, atom, json) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) "
                            "DO UPDATE SET key = excluded.key, rss = excluded.rss, atom = excluded.atom, "
                            "json = excluded.json", [(id_, *made[id_]) for id_ in sorted(made)])
        stale = {row[0] for row in self.db.execute("SELECT id FROM entry")} - set(present)
        self.db.executemany("DELETE FROM entry WHERE id = ?", [(id_,) for id_ in sorted(stale)])

    def outputs(self) -> dict[str, int]:
        """Files the last build wrote: path under the output folder → size in bytes."""
        return dict(self.db.execute("SELECT path, size FROM output"))

    def replace_outputs(self, files: dict[str, int]) -> None:
        self.db.execute("DELETE FROM output")
        self.db.executemany("INSERT INTO output(path, size) VALUES (?, ?)", sorted(files.items()))
