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


@dataclass(frozen=True)
class SourceState:
    """What the state knows of one ``[[sources]]`` feed: how its last fetch went and when the next is due.

    ``status``: ``new`` (never fetched), ``ok``, ``warning`` (read, with a problem in ``message``),
    ``failing`` (the last fetch failed: ``message`` says why), ``waiting`` (its server asked to wait:
    429 or 503 with ``Retry-After``) or ``disabled`` (410 Gone: not fetched again unless asked).
    """

    url: str
    added_at: datetime
    status: str = "new"
    message: str = ""
    etag: str = ""
    last_modified: str = ""
    fetched_at: datetime | None = None
    ok_at: datetime | None = None
    next_fetch_at: datetime | None = None
    failures: int = 0
    last_result: str = ""  # how the last fetch went, in a few words ("not modified", "3 new entries")
    title: str = ""  # the feed's own title and home page, as last read
    home: str = ""
    moved_to: str = ""  # where a permanent redirect (301, 308) sent it: fetched there from then on
    body_hash: str = ""  # of the last body read: the same bytes again are not parsed again
    entries: int = 0  # entries taken (not left out by max_age)


@dataclass(frozen=True)
class SourceEntry:
    """One entry a source gave, as recorded at first sight (``key``, ``article_id``, ``first_seen``)
    and as last fetched (``data``, JSON; ``taken``: false if max_age left it out)."""

    key: str
    source_url: str
    article_id: str
    first_seen: datetime
    taken: bool
    data: str
