"""The feeds of other sites (``[[sources]]``): each one's fetch state, and every entry it gave."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from .database import Database
from .records import SourceEntry, SourceState

_STATE_COLUMNS = ("url, added_at, status, message, etag, last_modified, fetched_at, ok_at, next_fetch_at, failures, "
                  "last_result, title, home, moved_to, body_hash")

_TIMES = ("added_at", "fetched_at", "ok_at", "next_fetch_at")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SourceRecords(Database):
    """Source states and entries (mixed into :class:`~syndicate.state.Store`)."""

    def source_states(self) -> dict[str, SourceState]:
        """Every source the state knows, by URL (``config.source_key``), with its count of entries taken."""
        counts = dict(self.db.execute(
            "SELECT source_url, count(*) FROM source_entry WHERE taken = 1 GROUP BY source_url"))
        states = {}
        for row in self.db.execute(f"SELECT {_STATE_COLUMNS} FROM source"):
            values = dict(zip(_STATE_COLUMNS.split(", "), row, strict=True))
            for name in _TIMES:
                values[name] = _time(values[name])
            states[values["url"]] = SourceState(**values, entries=counts.get(values["url"], 0))
        return states

    def save_source_state(self, state: SourceState) -> None:
        """Insert or replace a source's state (its entries are kept apart, see :meth:`record_source_entries`)."""
        values = dataclasses.asdict(state)
        values.pop("entries")
        for name in _TIMES:
            values[name] = values[name].isoformat() if values[name] is not None else None
        names = _STATE_COLUMNS.split(", ")
        self.db.execute(
            f"INSERT INTO source({_STATE_COLUMNS}) VALUES ({', '.join('?' * len(names))}) ON CONFLICT(url) DO UPDATE "
            f"SET {', '.join(f'{n} = excluded.{n}' for n in names[1:])}",
            [values[n] for n in names])

    def source_entries(self, url: str, *, taken_only: bool = False, newest: int | None = None) -> list[SourceEntry]:
        """The entries of one source, first seen first (then by key, so the order never varies);
        with ``newest``, only that many of the last seen first (what a build reads stays bounded
        however long a source has been followed)."""
        rows = self.db.execute(
            "SELECT key, source_url, article_id, first_seen, taken, data FROM source_entry WHERE source_url = ? "
            "AND (taken = 1 OR NOT ?) ORDER BY first_seen DESC, key DESC" + ("" if newest is None else " LIMIT ?"),
            (url, taken_only) if newest is None else (url, taken_only, newest)).fetchall()
        return [SourceEntry(key, source, article_id, datetime.fromisoformat(first), bool(taken), data)
                for key, source, article_id, first, taken, data in reversed(rows)]

    def record_source_entries(self, entries: Iterable[SourceEntry], now: datetime) -> None:
        """Insert new entries; for known ones (by key), update ``taken`` and ``data`` only: the
        article id and the first-seen time given at first sight are never changed."""
        self.db.executemany(
            "INSERT INTO source_entry(key, source_url, article_id, first_seen, last_seen, taken, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET last_seen = excluded.last_seen, "
            "taken = excluded.taken, data = excluded.data",
            [(e.key, e.source_url, e.article_id, e.first_seen.isoformat(), now.isoformat(), int(e.taken), e.data)
             for e in entries])
