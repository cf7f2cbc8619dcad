"""A source's entries: recorded at first sight (identity, first-seen time, left out by max_age or
not), and made into articles for a build. Pure: given ``now``, the source and what is stored.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..config import SourceConfig
from ..content.identity import slugify
from ..content.model import Article, Author
from ..state import SourceEntry
from .model import RemoteEntry

#: A date later than this past the fetch is a mistake (or a trick to stay on top of every feed):
#: such an entry is dated when it was first seen.
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class Merged:
    """What one fetch's entries change: the rows to record, and the counts the report gives."""

    rows: tuple[SourceEntry, ...]
    new: int  # entries taken at first sight
    left_out: int  # seen for the first time, but older than max_age (or undated on a first fetch)
    future: tuple[str, ...]  # titles of new entries dated in the future
    hashed: int  # new entries known only by a hash (no id, no link)


def entry_key(source_url: str, entry_id: str) -> str:
    """What an entry is known by for good: its source (by URL) and its own id within the feed."""
    return f"source:{source_url}:{entry_id}"


def merge_entries(entries: tuple[RemoteEntry, ...], known: dict[str, SourceEntry], *, source_url: str,
                  now: datetime, max_age: timedelta, first_fetch: bool, site_host: str) -> Merged:
    """Record a fetch's entries against those ``known`` (by key).

    A known entry keeps its article id and first-seen time, and is taken if it was; its text is
    updated to the feed's. A new entry (or one left out before) is taken if its own date is within
    ``max_age`` of ``now`` (``max_age`` 0: always); an undated one is taken unless this is the
    source's first fetch (it may be years old). A date more than a day ahead of ``now`` is dropped:
    the entry is dated when first seen.
    """
    rows, future, seen = [], [], set()
    new = left_out = hashed = 0
    for entry in entries:
        key = entry_key(source_url, entry.id)
        if key in seen:  # one id twice in a feed: the first (the newest, in feed order) is the one
            continue
        seen.add(key)
        old = known.get(key)
        published = entry.published if entry.published is None or entry.published <= now + FUTURE_SLACK else None
        updated = entry.updated if entry.updated is None or entry.updated <= now + FUTURE_SLACK else None
        future_dated = (entry.published is not None and published is None) or (
            entry.updated is not None and updated is None)
        date = published or updated or (now if future_dated else None)  # a future date: dated when first seen
        if old is not None and old.taken:
            taken = True
        elif date is None:
            taken = old is None and not first_fetch
        else:
            taken = not max_age or now - date <= max_age
        data = json.dumps({"title": entry.title, "link": entry.link, "published": _iso(published),
                           "updated": _iso(updated), "content": entry.content, "summary": entry.summary,
                           "authors": [list(a) for a in entry.authors], "id_kind": entry.id_kind},
                          ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if old is None or old.taken != taken or old.data != data:
            digest = hashlib.sha256(key.encode()).hexdigest()[:24]
            rows.append(SourceEntry(key, source_url, old.article_id if old else
                                    f"tag:{site_host},{now:%Y-%m-%d}:sources/{digest}",
                                    old.first_seen if old else now, taken, data))
        if (old is None or not old.taken) and taken:
            new += 1
            if future_dated:
                future.append(entry.title)
            hashed += entry.id_kind == "hash"
        elif old is None:
            left_out += 1
    return Merged(tuple(rows), new, left_out, tuple(future), hashed)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def entry_articles(row: SourceEntry, source: SourceConfig, *, home: str, republish: bool,
                   ) -> tuple[Article, Article | None]:
    """A stored entry as an article for the newsletter, and (with ``republish``) one for the feeds.

    Both are known by the id given at first sight and dated by the entry (else by when it was
    first seen); their link is the original's. The newsletter's body is the entry's whole content
    with ``full_content``, else its summary (the email adds "Read on <name>"); the feeds' body
    credits the source and links the original after it.
    """
    data = json.loads(row.data)
    published = _time(data["published"])
    updated = _time(data["updated"])
    date = published or updated or row.first_seen
    url = data["link"] or home
    title = data["title"]
    name = htmllib.escape(source.name)
    summary_html = f"<p>{htmllib.escape(data['summary'], quote=False)}</p>\n" if data["summary"] else ""
    body = data["content"] if source.full_content and data["content"] else summary_html
    authors = tuple(Author(*a) for a in data["authors"]) or (Author(source.name, "", home),)
    digest = hashlib.sha256(f"{title}\0{url}\0{body}\0{source.name}\0{home}".encode()).hexdigest()
    article = Article(
        id=row.article_id, slug=slugify(title) or "entry", title=title, date=date,
        updated=max(updated or date, date), url=url, path=f"sources/{slugify(source.name) or 'source'}",
        format="html", source=body.encode("utf-8"), authors=authors, tags=source.tags,
        summary=data["summary"] or title, digest=digest, fixed_id=True, origin=source.name, origin_url=home)
    if not republish:
        return article, None
    link = htmllib.escape(url)
    credit = (f'<p>Originally published on <a href="{link}">{name}</a>.</p>\n' if source.full_content
              else f'<p><a href="{link}">Read on {name}</a></p>\n')
    return article, replace(article, source=(body + credit).encode("utf-8"))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
