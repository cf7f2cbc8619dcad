"""The state in PostgreSQL (psycopg 3): a connection that speaks the record modules' SQL.

The record modules write SQLite's ``?`` placeholders; :class:`Connection` turns them into
psycopg's ``%s``. It keeps SQLite's guarantees, which the records rely on:

- one transaction at a time: each first takes the write lock (an advisory lock held until it
  commits), as ``BEGIN IMMEDIATE`` takes SQLite's; a transaction that reads a row it then
  writes, which a lone statement may also write (a lease, a batch's claim), reads it
  ``FOR UPDATE`` (the dialect's ``lock_rows``), so that the two are taken one after the other;
- a statement outside a transaction commits at once (the ledger's checkpoint), on its own: it
  waits for no lock but its rows', so that the fleet's workers mark their messages side by side;
- :meth:`Connection.changed_elsewhere` is SQLite's ``data_version``: every write (a transaction,
  or a lone statement) takes a number from the sequence ``syndicate_writes``, and a number
  taken by another connection, on any host, since one's own last is a write elsewhere.

``syndicate_db`` also holds the schema version (SQLite's ``user_version``). psycopg is
imported here only, when a ``postgresql://`` URL is opened: it is the optional extra
``syndicate[scale]``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from ..config import DATABASE_URL_ENV, mask_url
from ..errors import StoreError
from .database import Dialect
from .migrations import MIGRATIONS, script_for, statements

#: The advisory lock that makes the first ``syndicate_db`` once, however many processes open at once.
_BOOTSTRAP_LOCK = 0x73796E64  # "synd"
#: The write lock every transaction takes (SQLite's BEGIN IMMEDIATE), and the count of writes.
_WRITE_LOCK = 0x73796E65
_LOCK_AND_COUNT = f"SELECT pg_advisory_xact_lock({_WRITE_LOCK}), nextval('syndicate_writes')"
_COUNT = "SELECT nextval('syndicate_writes')"
_WRITES = ("INSERT", "UPDATE", "DELETE")


def import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError("a postgresql:// state needs psycopg, which is not installed. Install it with "
                         "pip install 'syndicate[scale]'.") from None
    return psycopg


def connect(url: str, *, migrate: bool = True) -> Connection:
    """Open the database at ``url``, made or migrated to the current schema.

    :raises StoreError: naming the database (never its password) when it cannot be reached.
    """
    psycopg = import_psycopg()
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="syndicate")
    except psycopg.Error as err:
        raise StoreError(f"cannot connect to the state database {mask_url(url)} "
                         f"({_masked(err, url)}). Check [state] url (or {DATABASE_URL_ENV}) and that the "
                         "server is running and lets this user in.") from None
    conn = Connection(raw, mask_url(url))
    try:
        raw.execute("SET lock_timeout = '60s'")
        if migrate:
            conn.migrate()
    except psycopg.Error as err:
        raw.close()
        raise StoreError(f"{mask_url(url)}: cannot open the state database ({_masked(err, url)}).") from err
    except BaseException:
        raw.close()
        raise
    return conn


def _masked(err: Exception, url: str) -> str:
    """The first line of a psycopg error, with the URL's password (should libpq ever echo it) masked."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    password = urlsplit(url).password
    return text.replace(unquote(password), "***") if password else text


@functools.lru_cache(maxsize=512)
def _translate(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Connection:
    """A psycopg connection with sqlite3's few methods the records use: ``execute``,
    ``executemany``, a cursor with ``fetchone``/``fetchall``/``rowcount``, ``close``."""

    def __init__(self, raw: Any, where: str) -> None:
        from psycopg import errors

        self.raw = raw
        self.where = where
        self._in_transaction = False
        self._writes: int | None = None  # the count of writes as last seen by changed_elsewhere
        self._dirty = False
        self.dialect = Dialect("postgresql", "lower(email) = lower(?)", "json_array_elements_text(?::json)",
                               errors.IntegrityError, " FOR UPDATE")

    # -- statements

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        if params is None:
            return self._run(lambda cur: cur.execute(sql), sql)
        return self._run(lambda cur: cur.execute(_translate(sql), params), sql)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        return self._run(lambda cur: cur.executemany(_translate(sql), rows), sql)

    def _run(self, call: Any, sql: str) -> Any:
        psycopg = import_psycopg()
        cursor = self.raw.cursor()
        try:
            call(cursor)
            if not self._in_transaction and sql.lstrip()[:6].upper().startswith(_WRITES):
                self._counted(self.raw.execute(_COUNT).fetchone()[0])  # a lone write, committed: count it
        except psycopg.OperationalError as err:
            raise StoreError(f"{self.where}: the state database failed ({_masked(err, '')}).") from err
        return cursor

    # -- transactions

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """``BEGIN``, then take the write lock (and count the write), … ``COMMIT``; rolled back on any error."""
        psycopg = import_psycopg()
        if self._in_transaction:
            raise StoreError(f"{self.where}: a transaction is open already (a bug in syndicate).")
        before = (self._writes, self._dirty)
        try:
            self.raw.execute("BEGIN")
            self._in_transaction = True
            self._bump()
        except psycopg.Error as err:
            self._rollback()
            raise StoreError(f"{self.where}: cannot write the state database ({_masked(err, '')}).") from err
        try:
            yield self
        except BaseException:
            self._rollback()
            self._writes, self._dirty = before
            raise
        else:
            try:
                self.raw.execute("COMMIT")
            except psycopg.Error as err:
                self._rollback()
                self._writes, self._dirty = before
                raise StoreError(f"{self.where}: cannot write the state database ({_masked(err, '')}).") from err
            finally:
                self._in_transaction = False

    def _bump(self) -> None:
        """Take the write lock, and count the write."""
        self._counted(self.raw.execute(_LOCK_AND_COUNT).fetchone()[1])

    def _counted(self, writes: int) -> None:
        """One's own write got number ``writes``: one more than last seen, and nobody wrote between."""
        if self._writes is not None:
            self._dirty = self._dirty or writes != self._writes + 1
            self._writes = writes

    def _rollback(self) -> None:
        self._in_transaction = False
        try:
            self.raw.execute("ROLLBACK")
        except import_psycopg().Error:
            pass  # the connection is gone: the server rolled it back

    def changed_elsewhere(self) -> bool:
        writes = self.execute("SELECT last_value FROM syndicate_writes").fetchone()[0]
        changed = self._dirty or (self._writes is not None and writes != self._writes)
        self._writes, self._dirty = writes, False
        return changed

    # -- the schema

    def schema_version(self) -> int:
        if self.raw.execute("SELECT to_regclass('syndicate_db')").fetchone()[0] is None:
            return 0
        return self.raw.execute("SELECT version FROM syndicate_db").fetchone()[0]

    def migrate(self) -> None:
        """Run the migrations this database has not run yet, one process at a time."""
        if None in self.raw.execute("SELECT to_regclass('syndicate_db'), to_regclass('syndicate_writes')").fetchone():
            with self.raw.transaction():
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_BOOTSTRAP_LOCK,))
                self.raw.execute("CREATE TABLE IF NOT EXISTS syndicate_db (version INTEGER NOT NULL)")
                self.raw.execute("INSERT INTO syndicate_db SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM syndicate_db)")
                if self.raw.execute("SELECT to_regclass('syndicate_writes')").fetchone()[0] is None:
                    self.raw.execute("CREATE SEQUENCE syndicate_writes")
                    self.raw.execute("SELECT nextval('syndicate_writes')")  # so that last_value is one taken
        if self._check_version() == len(MIGRATIONS):
            return
        with self.transaction():  # holds the write lock: a second process waits, then finds nothing to do
            version = self._check_version()
            for n in range(version + 1, len(MIGRATIONS) + 1):
                for statement in statements(script_for("postgresql", n)):
                    self.raw.execute(statement)
            self.raw.execute("UPDATE syndicate_db SET version = %s", (len(MIGRATIONS),))

    def _check_version(self) -> int:
        version = self.schema_version()
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.where} was written by a newer syndicate (schema {version}). "
                             "Upgrade syndicate to use it.")
        return version

    def close(self) -> None:
        self.raw.close()
