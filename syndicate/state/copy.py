"""``syndicate state migrate``: a SQLite state copied whole into PostgreSQL, and checked.

Every table the migrations made is copied as it is (ids too: the subscriber ids the links
name), with the site's secret, in one transaction; then the rows and a checksum of every
table are computed again on both sides and must be equal, or nothing is kept. A target that
already holds the same state is left alone (nothing to copy); one that holds another state is
refused, never merged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CannotStartError, StoreError
from .database import SECRET_KEY
from .store import Store

_MOD = 2 ** 256


@dataclass(frozen=True)
class TableCount:
    """One table's rows and checksum (the same on both sides once copied)."""

    name: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class CopyReport:
    tables: tuple[TableCount, ...]
    copied: bool  # False: the target held this very state already (nothing to copy)
    target: str  # the target's URL, password masked


def checksum(rows: Iterable[Iterable[Any]]) -> tuple[int, str]:
    """(count, checksum) of rows, whatever their order: the sum of each row's SHA-256 (of its
    values as JSON, bytes as hex), so that both databases give the same figure for the same rows."""
    total = count = 0
    for row in rows:
        values = [{"hex": bytes(v).hex()} if isinstance(v, (bytes, memoryview)) else v for v in row]
        digest = hashlib.sha256(json.dumps(values, separators=(",", ":")).encode()).digest()
        total = (total + int.from_bytes(digest, "big")) % _MOD
        count += 1
    return count, total.to_bytes(32, "big").hex()[:16]


def copy_state(source: Path, target_url: str, *, secret: str | None) -> CopyReport:
    """Copy the SQLite state at ``source`` (and ``secret``, the site's key) into the PostgreSQL
    database at ``target_url``.

    :raises CannotStartError: the target holds another state already (nothing is copied).
    :raises StoreError: a database cannot be opened, or the copy did not check out (rolled back).
    """
    with Store(source) as src, Store(target_url) as dst:
        tables = _tables(src)
        src.db.execute("BEGIN")  # one snapshot of the source, however busy it is
        try:
            want = {t: checksum(_source_rows(src, t, cols, secret)) for t, cols in tables}
            with dst.transaction():  # the write lock: a second copy at once waits, then finds it done
                have = {t: checksum(_target_rows(dst, t, cols)) for t, cols in tables}
                report = [TableCount(t, *want[t]) for t, _ in tables]
                if have == want:
                    return CopyReport(tuple(report), False, dst.where)
                held = [f"{t}: {_rows(n)}" for t, (n, _) in have.items() if n]
                if held:
                    raise CannotStartError(
                        f"{dst.where} already holds another state ({', '.join(held)}); nothing copied. "
                        "Give 'state migrate' an empty database (or drop this one's tables first).")
                for t, cols in tables:
                    _copy_table(src, dst, t, cols, secret)
                _restart_identities(src, dst)
                have = {t: checksum(_target_rows(dst, t, cols)) for t, cols in tables}
                if have != want:
                    bad = ", ".join(f"{t} ({_rows(have[t][0])}, {have[t][1]}; expected {want[t][0]}, {want[t][1]})"
                                    for t, _ in tables if have[t] != want[t])
                    raise StoreError(f"the copy into {dst.where} did not check out: {bad}; nothing was kept.")
        finally:
            src.db.execute("COMMIT")
    return CopyReport(tuple(report), True, dst.where)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _tables(src: Store) -> list[tuple[str, list[str]]]:
    """The source's tables (those the migrations made), tables others refer to first, and their columns."""
    names = [r[0] for r in src.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                          "'sqlite_%' ORDER BY name")]
    refers = {n: bool(src.db.execute(f'SELECT 1 FROM pragma_foreign_key_list("{n}")').fetchone()) for n in names}
    return [(n, [c[1] for c in src.db.execute(f'PRAGMA table_info("{n}")')])
            for n in sorted(names, key=lambda n: (refers[n], n))]


def _source_rows(src: Store, table: str, cols: list[str], secret: str | None) -> Iterable[tuple[Any, ...]]:
    yield from src.db.execute(f"SELECT {', '.join(cols)} FROM {table}")
    if table == "meta" and secret is not None:  # a SQLite state keeps it beside, PostgreSQL in meta
        yield (SECRET_KEY, json.dumps(secret))


def _target_rows(dst: Store, table: str, cols: list[str]) -> Iterable[tuple[Any, ...]]:
    with dst.db.raw.cursor(name=f"read_{table}") as cursor:  # read as it goes, not all at once
        cursor.execute(f"SELECT {', '.join(cols)} FROM {table}")
        yield from cursor


def _copy_table(src: Store, dst: Store, table: str, cols: list[str], secret: str | None) -> None:
    with dst.db.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in _source_rows(src, table, cols, secret):
            copy.write_row(row)


def _restart_identities(src: Store, dst: Store) -> None:
    """Start each identity (subscriber ids) past every id the source ever gave, removed ones too."""
    given = dict(src.db.execute("SELECT name, seq FROM sqlite_sequence")) if src.db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() else {}
    for table, column in dst.db.raw.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE is_identity = 'YES' "
            "AND table_schema = current_schema()").fetchall():
        top = max(src.db.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0],
                  given.get(table, 0))
        dst.db.raw.execute(f"ALTER TABLE {table} ALTER COLUMN {column} RESTART WITH {int(top) + 1}")
