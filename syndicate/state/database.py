"""The connection to the state database: opened, migrated, transactions, small facts.

SQLite (WAL) by default, at ``[state] path``; PostgreSQL when given a ``postgresql://`` URL
(:mod:`.postgres`). The record modules write their SQL once, in the subset both speak (``?``
placeholders, ``INSERT … ON CONFLICT``), and take the few pieces that differ from
:attr:`Database.dialect`. The database lives outside ``output/``, which is disposable. It is
the only place SQL is spoken: every other stage asks :class:`~syndicate.state.Store` for what
it needs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from ..config import database_url_problem, mask_url
from ..errors import StoreError
from .migrations import MIGRATIONS, statements


@dataclass(frozen=True)
class Dialect:
    """The pieces of SQL (and the error) that differ between the backends."""

    name: str
    email_is: str  # a WHERE term: the subscriber's email is ? (in any case)
    json_values: str  # a FROM term whose ``value`` column lists the items of a JSON array given as ?
    integrity_error: type[Exception] | tuple[type[Exception], ...]
    lock_rows: str = ""  # ends a SELECT, in a transaction, of rows it will write that a lone statement may write too


#: The ``meta`` key a PostgreSQL state keeps the site's secret under (see ``tokens.load_secret``).
SECRET_KEY = "secret"

SQLITE = Dialect("sqlite", "email = ? COLLATE NOCASE", "json_each(?)", sqlite3.IntegrityError)


def is_database_url(where: str | Path) -> bool:
    return isinstance(where, str) and "://" in where


class Database:
    """An open state database: the connection, its schema, transactions and the ``meta`` facts.

    ``where`` is a SQLite file's path, or a PostgreSQL URL (``postgresql://…``).
    """

    db: Any  # a sqlite3.Connection, or a postgres.Connection (the same few methods)
    dialect: Dialect = SQLITE
    path: Path | None = None

    def __init__(self, where: str | Path) -> None:
        if is_database_url(where):
            if problem := database_url_problem(str(where)):
                raise StoreError(f"{mask_url(str(where))!r}, {problem}")
            from .postgres import connect

            self.where = mask_url(str(where))
            self.db = connect(str(where))
            self.dialect = self.db.dialect
            return
        self.path = Path(where)
        self.where = str(self.path)
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
                for statement in statements(script):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {n}")

    @property
    def schema_version(self) -> int:
        """How many of :data:`~syndicate.state.MIGRATIONS` this database has run."""
        if self.dialect is SQLITE:
            return self.db.execute("PRAGMA user_version").fetchone()[0]
        return self.db.schema_version()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """All or nothing, and one writer at a time: SQLite's ``BEGIN IMMEDIATE`` … ``COMMIT``
        (PostgreSQL: see :meth:`.postgres.Connection.transaction`), rolled back on any error."""
        if self.dialect is not SQLITE:
            with self.db.transaction():
                yield self.db
            return
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    def keep_first(self, key: str, value: Any) -> Any:
        """Store ``value`` under ``key`` unless a value is there already; returns the one kept.
        Atomic: of two processes asking at once, both get the first one's."""
        self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                        (key, json.dumps(value, sort_keys=True)))
        return self.get(key)

    def site_secret(self, new: str) -> str:
        """The key the site's links are signed with, as kept in the state: ``new`` if none was yet.
        (A PostgreSQL state keeps it; a SQLite one keeps it beside, in ``<db>.secret``.)"""
        return self.keep_first(SECRET_KEY, new)

    def changed_elsewhere(self) -> bool:
        """True when another connection (another process, or host) has written since the last call."""
        if self.dialect is not SQLITE:
            return self.db.changed_elsewhere()
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        changed = version != getattr(self, "_data_version", version)
        self._data_version = version
        return changed
