"""The data of the sources stage: a feed as read, and each of its entries. Plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: At most this many entries are read from one feed (the first, in the feed's own order, which is
#: newest first in nearly every feed): a feed of a million tiny entries costs no more than this.
MAX_ENTRIES = 500


@dataclass(frozen=True)
class RemoteEntry:
    """One entry of a feed, as read: its text sanitized, its links absolute and http(s) only.

    ``id`` is what the entry is known by within its feed: its own id (RSS ``guid``, Atom ``id``,
    JSON Feed ``id``), else its link, else a hash of its title and text (``id_kind`` says which).
    """

    id: str
    id_kind: str  # "id", "link" or "hash"
    title: str
    link: str  # "" when it gives none that can be used (a javascript: one is none)
    published: datetime | None
    updated: datetime | None
    content: str  # sanitized HTML: the whole entry, or its summary when that is all it has
    summary: str  # plain text, cut near 60 words
    authors: tuple[tuple[str, str, str], ...] = ()  # (name, email, url)


@dataclass(frozen=True)
class ParsedFeed:
    """A feed, as read: its format, its own title and home page, its entries, and what was odd
    about it (an encoding it does not have, XML that is not well-formed, entries left out)."""

    format: str  # "rss", "atom" or "json"
    title: str
    home: str
    entries: tuple[RemoteEntry, ...]
    warnings: tuple[str, ...] = ()
