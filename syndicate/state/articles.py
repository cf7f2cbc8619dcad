"""What the builds saw and wrote: every article by path (with the id it was given), every output file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .database import Database, Dialect


class ArticleRecords(Database):
    """The articles seen and the files written (mixed into :class:`~syndicate.state.Store`)."""

    def record_articles(self, seen: Iterable[tuple[str, str, str, datetime | None]], now: datetime, *,
                        known: Mapping[str, Mapping[str, str]] | None = None) -> int:
        """Record (path, id, digest, first_seen) for every article read; returns how many are new.

        ``first_seen`` (None: ``now``) is set once, the first time a path is seen, and never moved.
        Only new and changed rows are written, with this build as their ``last_seen`` (the last
        build that changed the row): an unchanged row is not touched, so a build that changed
        one article of 10,000 writes one row. ``known``: what :meth:`articles` gave at the start
        of this transaction's build (read again without it).
        """
        stamp = now.isoformat()
        current = ({path: (row["id"], row["digest"]) for path, row in known.items()} if known is not None else
                   {path: (id_, digest) for path, id_, digest in self.db.execute("SELECT path, id, digest FROM article")})
        rows = list(seen)
        changed = [(path, id_, digest, (first or now).isoformat(), stamp)
                   for path, id_, digest, first in rows if current.get(path) != (id_, digest)]
        self.db.executemany(
            "INSERT INTO article(path, id, digest, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET id = excluded.id, digest = excluded.digest, "
            "last_seen = excluded.last_seen", changed)
        return sum(1 for path, *_ in rows if path not in current)

    def articles(self) -> dict[str, dict[str, str]]:
        """Every article ever recorded, by path."""
        rows = self.db.execute("SELECT path, id, digest, first_seen, last_seen FROM article")
        return {r[0]: {"id": r[1], "digest": r[2], "first_seen": r[3], "last_seen": r[4]} for r in rows}

    def articles_at(self, paths: Sequence[str]) -> dict[str, dict[str, str]]:
        """What :meth:`articles` gives of these paths only."""
        rows = self.db.execute(f"SELECT path, id, digest, first_seen, last_seen FROM article WHERE path IN "
                               f"(SELECT value FROM {self.dialect.json_values})", (json.dumps(list(paths)),))
        return {r[0]: {"id": r[1], "digest": r[2], "first_seen": r[3], "last_seen": r[4]} for r in rows}

    def paths_with_digests(self, digests: Sequence[str]) -> set[str]:
        """The paths of every article ever recorded with one of these content hashes."""
        rows = self.db.execute(f"SELECT path FROM article WHERE digest IN (SELECT value FROM {self.dialect.json_values})",
                               (json.dumps(list(digests)),))
        return {r[0] for r in rows}

    def parses(self) -> dict[str, tuple[str, str]]:
        """The head of each article file's parse as the builds kept it (path → key, head; see
        ``content.cache``): some 500 bytes an article, read at once."""
        return {path: (key, head) for path, key, head in self.db.execute("SELECT path, key, head FROM parsed")}

    def parses_at(self, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
        """What :meth:`parses` gives of these paths only."""
        rows = self.db.execute(f"SELECT path, key, head FROM parsed WHERE path IN "
                               f"(SELECT value FROM {self.dialect.json_values})", (json.dumps(list(paths)),))
        return {path: (key, head) for path, key, head in rows}

    def record_parses(self, made: dict[str, tuple[str, str]], present: Iterable[str] | None = None, *,
                      gone: Iterable[str] = ()) -> None:
        """Keep the parses made (path → key, head), and forget those of files no longer ``present``
        (or, without it, those of the paths ``gone``)."""
        self.db.executemany("INSERT INTO parsed(path, key, head) VALUES (?, ?, ?) ON CONFLICT(path) "
                            "DO UPDATE SET key = excluded.key, head = excluded.head",
                            [(path, *made[path]) for path in sorted(made)])
        if present is None:
            stale = set(gone)
        else:
            stale = {row[0] for row in self.db.execute("SELECT path FROM parsed")} - set(present)
        self.db.executemany("DELETE FROM parsed WHERE path = ?", [(path,) for path in sorted(stale)])

    def catalogue(self) -> bytes | None:
        """What the last build left for the next one (``feeds.catalogue``), if anything."""
        row = self.db.execute("SELECT data FROM catalogue WHERE id = 1").fetchone()
        return bytes(row[0]) if row else None

    def record_catalogue(self, data: bytes | None) -> None:
        """Keep ``data`` for the next build (None: leave it nothing)."""
        if data is None:
            self.db.execute("DELETE FROM catalogue")
        else:
            self.db.execute("INSERT INTO catalogue(id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET "
                            "data = excluded.data", (data,))

    def entry_keys(self) -> dict[str, str]:
        """The key of each article's kept feed entries (article id → key; see ``feeds.formats.entry_key``)."""
        return dict(self.db.execute("SELECT id, key FROM entry"))

    def record_entries(self, made: Iterable[tuple[str, str, bytes, bytes, bytes]]) -> None:
        """Keep the feed entries made: (article id, key, RSS item, Atom entry, JSON item)."""
        self.db.executemany("INSERT INTO entry(id, key, rss, atom, json) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) "
                            "DO UPDATE SET key = excluded.key, rss = excluded.rss, atom = excluded.atom, "
                            "json = excluded.json", made)

    def forget_entries(self, present: Iterable[str]) -> None:
        """Forget the kept entries of articles no feed carries now (not in ``present``)."""
        self.db.execute(f"DELETE FROM entry WHERE id NOT IN (SELECT value FROM {self.dialect.json_values})",
                        (json.dumps(list(present)),))

    def entry_source(self) -> KeptEntries:
        """The kept entries, to make the feeds of (``feeds.formats.EntrySource``)."""
        return KeptEntries(self.db, self.dialect)

    def outputs(self) -> dict[str, int]:
        """Files the last build wrote: path under the output folder → size in bytes."""
        return dict(self.db.execute("SELECT path, size FROM output"))

    def replace_outputs(self, files: dict[str, int]) -> None:
        self.db.execute("DELETE FROM output")
        self.db.executemany("INSERT INTO output(path, size) VALUES (?, ?)", sorted(files.items()))


class KeptEntries:
    """``entries(ids, part)``: the kept RSS items (part 0), Atom entries (1) or JSON items (2) of
    these articles, in their order."""

    _COLUMNS = ("rss", "atom", "json")

    def __init__(self, db: Any, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    def entries(self, ids: Sequence[str], part: int) -> list[bytes]:
        column = self._COLUMNS[part]
        found = dict(self.db.execute(f"SELECT id, {column} FROM entry WHERE id IN (SELECT value FROM {self.dialect.json_values})",
                                     (json.dumps(list(ids)),)))
        return [bytes(found[i]) for i in ids]
