"""The records the state keeps and hands back: plain frozen data, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: What a subscriber can be (the database checks it too).
STATUSES = ("pending", "active", "unsubscribed", "bounced")


@dataclass(frozen=True)
class Issue:
    """A rendered newsletter issue, as recorded: exactly what is sent, and its web page."""

    number: int
    date: datetime
    subject: str
    preheader: str
    article_ids: tuple[str, ...]
    nonce: str  # of its per-subscriber placeholders (see newsletter.personalize)
    html: str  # the email's HTML, CSS inlined, placeholders in
    text: str  # the plain-text part, placeholders in
    web_html: str  # the web version: no placeholders, feed autodiscovery


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    status: str
    created_at: str
    confirmed_at: str | None
    unsubscribed_at: str | None
    source: str
    secret: str  # their unsubscribe links are bound to it
    bounces: int
    confirm_nonce: str | None = None  # their latest sign-up's: its confirmation link is bound to it


SUBSCRIBER_COLUMNS = ("id, email, name, status, created_at, confirmed_at, unsubscribed_at, source, secret, bounces, "
                      "confirm_nonce")


@dataclass(frozen=True)
class Lease:
    """Who holds the job ``name`` (a process, by ``pid`` on ``host``), since when, until when."""

    name: str
    holder: str
    pid: int
    host: str
    taken_at: datetime
    expires_at: datetime
