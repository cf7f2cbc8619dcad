"""The connection to the state database (SQLite, WAL): opened, migrated, transactions, small facts.

The database lives outside ``output/``, which is disposable. It is the only place SQL is
spoken: every other stage asks :class:`~syndicate.state.Store` for what it needs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from ..errors import StoreError
from .migrations import MIGRATIONS, statements


class Database:
    """An open state database: the connection, its schema, transactions and the ``meta`` facts."""

    db: sqlite3.Connection

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
                for statement in statements(script):
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

    def changed_elsewhere(self) -> bool:
        """True when another connection (another process) has written since the last call."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        changed = version != getattr(self, "_data_version", version)
        self._data_version = version
        return changed
