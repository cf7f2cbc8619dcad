"""The subscriber list: addresses unique in any case, a status each, never read whole into memory."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime

from .database import Database
from .records import SUBSCRIBER_COLUMNS, Subscriber


class SubscriberRecords(Database):
    """Subscribers (mixed into :class:`~syndicate.state.Store`)."""

    def add_subscriber(self, email: str, name: str = "", *, status: str = "active", source: str = "",
                       now: datetime) -> Subscriber | None:
        """Add one subscriber; None if the address (in any case) is already on the list."""
        cursor = self.db.execute(
            "INSERT INTO subscriber(email, name, status, created_at, confirmed_at, source, secret) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (email, name, status, now.isoformat(), now.isoformat() if status == "active" else None,
             source, secrets.token_hex(16)))
        return self.subscriber(email) if cursor.rowcount else None

    def import_subscribers(self, rows: Iterable[tuple[str, str, str]], *, source: str, now: datetime) -> int:
        """Add subscribers from (email, name, status) rows; addresses already known are left
        exactly as they are (an unsubscribed address stays unsubscribed). Returns how many
        were added."""
        stamp = now.isoformat()
        cursor = self.db.executemany(
            "INSERT INTO subscriber(email, name, status, created_at, confirmed_at, unsubscribed_at, "
            "source, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            ((email, name, status, stamp, stamp if status == "active" else None,
              stamp if status == "unsubscribed" else None, source, secrets.token_hex(16))
             for email, name, status in rows))
        return cursor.rowcount

    def subscriber(self, email: str) -> Subscriber | None:
        row = self.db.execute(f"SELECT {SUBSCRIBER_COLUMNS} FROM subscriber WHERE {self.dialect.email_is}",
                              (email,)).fetchone()
        return Subscriber(*row) if row else None

    def subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        row = self.db.execute(f"SELECT {SUBSCRIBER_COLUMNS} FROM subscriber WHERE id = ?",
                              (subscriber_id,)).fetchone()
        return Subscriber(*row) if row else None

    def subscribers(self, status: str | None = None) -> Iterator[Subscriber]:
        """Every subscriber (with ``status``), by id, read as it goes: never the whole list in memory."""
        last = 0
        where, match = ("", ()) if status is None else (" AND status = ?", (status,))
        while True:
            rows = self.db.execute(
                f"SELECT {SUBSCRIBER_COLUMNS} FROM subscriber WHERE id > ?{where} ORDER BY id LIMIT 1000",
                (last, *match)).fetchall()
            if not rows:
                return
            for row in rows:
                yield Subscriber(*row)
            last = rows[-1][0]

    def subscriber_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM subscriber GROUP BY status"))

    def set_status(self, email: str, status: str, now: datetime) -> bool:
        """Change a subscriber's status; False if there is no such subscriber."""
        column = {"unsubscribed": "unsubscribed_at", "active": "confirmed_at"}.get(status)
        extra = f", {column} = ?" if column else ""
        args = (status, now.isoformat()) if column else (status,)
        cursor = self.db.execute(f"UPDATE subscriber SET status = ?{extra} WHERE {self.dialect.email_is}",
                                 (*args, email))
        return cursor.rowcount > 0

    def request_confirmation(self, email: str, name: str, *, source: str, now: datetime) -> Subscriber | None:
        """A sign-up: make ``email`` pending with a new confirm nonce (which kills the links of any
        earlier sign-up); None, and nothing changed, if the address is active or bounced already.
        Call inside a transaction."""
        nonce = secrets.token_hex(16)
        existing = self.subscriber(email)
        if existing is None:
            self.db.execute(
                "INSERT INTO subscriber(email, name, status, created_at, source, secret, confirm_nonce) "
                "VALUES (?, ?, 'pending', ?, ?, ?, ?)", (email, name, now.isoformat(), source, secrets.token_hex(16),
                                                         nonce))
        elif existing.status in ("pending", "unsubscribed"):
            self.db.execute("UPDATE subscriber SET status = 'pending', confirm_nonce = ?, name = ? WHERE id = ?",
                            (nonce, name or existing.name, existing.id))
        else:
            return None
        return self.subscriber(email)

    def confirm_subscriber(self, subscriber_id: int, *, now: datetime) -> bool:
        """Make a pending subscriber active; False if they are not pending (nothing changes)."""
        cursor = self.db.execute("UPDATE subscriber SET status = 'active', confirmed_at = ? "
                                 "WHERE id = ? AND status = 'pending'", (now.isoformat(), subscriber_id))
        return cursor.rowcount == 1

    def unsubscribe_id(self, subscriber_id: int, *, now: datetime) -> bool:
        """Mark a subscriber unsubscribed (once: a second time changes nothing; a bounced address
        stays bounced, so that no sign-up can bring it back); False if gone."""
        self.db.execute("UPDATE subscriber SET status = 'unsubscribed', unsubscribed_at = ? "
                        "WHERE id = ? AND status NOT IN ('unsubscribed', 'bounced')", (now.isoformat(), subscriber_id))
        return self.subscriber_by_id(subscriber_id) is not None

    def remove_subscriber(self, email: str) -> bool:
        """Delete a subscriber and their delivery rows (to forget them, as a user may ask)."""
        row = self.db.execute(f"SELECT id FROM subscriber WHERE {self.dialect.email_is}", (email,)).fetchone()
        if not row:
            return False
        self.db.execute("DELETE FROM delivery WHERE subscriber_id = ?", row)
        self.db.execute("DELETE FROM subscriber WHERE id = ?", row)
        return True

    def subscriber_status(self, subscriber_id: int) -> str | None:
        row = self.db.execute("SELECT status FROM subscriber WHERE id = ?", (subscriber_id,)).fetchone()
        return row[0] if row else None
