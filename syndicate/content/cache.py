"""An article file's parse, kept between builds: what it is keyed by and its head; and the key of
what an article's renderings are made from. Pure functions.

A parse is kept as its head: every field but the body, as JSON text, some 500 bytes. A build
reads the heads of all the articles, which is what choosing the feeds' articles, the preview's
and the pages' needs; the few it renders again get their bodies read from their files
(``content.load.read_bodies``, then :func:`with_bodies`): 20-item feeds of a 10,000-article
site render some 400.

A parse depends on the file's bytes, on the settings that give URLs, ids and dates, and on
when the file was first seen. The key holds all of them, with the file's size and
modification time standing for its bytes (as the build's own "nothing changed" check does).
A file first seen in this build is kept with this build's time as its first sighting, as the
state records it; one that is a known file renamed (it keeps its old path's first sighting)
is kept by the next build, which knows that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .. import __version__
from ..errors import Problem
from .model import Article, Author, SiteContext, SourceFile


def parse_key(source: SourceFile, seen: str | None, site: SiteContext, display_root: str) -> str | None:
    """What a parse of ``source`` depended on (``seen``: when the file was first seen, as
    recorded), as text that any database keeps (PostgreSQL's TEXT holds no NUL): the settings as
    a hash, whatever they hold; the file's size, modification time and first sighting as they
    are (a hash of each file's would cost more than the rest of the check). None when it must
    not be kept. It is kept with the file's path, which it leaves out."""
    if seen is None or source.refused:
        return None
    return f"{_settings(site, display_root)} {source.mtime_ns} {source.size} {seen}"


@lru_cache(maxsize=8)
def _settings(site: SiteContext, display_root: str) -> str:
    made = f"{__version__}\0{site!r}\0{display_root}"
    return hashlib.sha256(made.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def article_key(article: Article) -> str:
    """What an article's renderings (its page, its place in a preview) are made from, as a hash:
    its file (which holds the title, tags and body; its path and format), and the URL and dates,
    which the config or the first sighting may give it. With the templates and settings unchanged, the same key
    means the same rendering."""
    made = (f"{article.digest}\0{article.path}\0{article.format}\0{article.url}\0{article.date.isoformat()}"
            f"\0{article.updated.isoformat()}")
    return hashlib.sha256(made.encode()).hexdigest()[:32]


def dump(article: Article | None, problems: list[Problem]) -> tuple[str, bytes | None]:
    """A parse as its head, JSON text of the article's fields but its body, in their order (or
    null, for a broken file), and its problems; and its body (None for a broken file)."""
    values: list[Any] | None = None
    if article is not None:
        values = [getattr(article, name) for name in _FIELDS]
        values[_AUTHORS] = [[a.name, a.email, a.url] for a in article.authors]
        values[_TAGS] = list(article.tags)
        values[_SOURCE] = None
        for i in _DATES:  # with its zone's name: a template may show it, or count across a DST change
            value = values[i]
            values[i] = [value.isoformat(), getattr(value.tzinfo, "key", None)] if value is not None else None
    head = json.dumps([values, [[p.path, p.message, p.line, p.level] for p in problems]],
                      ensure_ascii=False, separators=(",", ":"))
    return head, article.source if article is not None else None


def load(head: str, body: bytes | None = None) -> tuple[Article | None, list[Problem]]:
    """The article and problems :func:`dump` wrote; the article has ``body`` as its source (None:
    a head read without its body, see :func:`with_bodies`).

    :raises ValueError: the head is not in this form (kept by another version, or damaged).
    """
    values, kept_problems = json.loads(head)
    problems = [Problem(path, message, line, level) for path, message, line, level in kept_problems]
    if values is None:
        return None, problems
    if len(values) != len(_FIELDS):
        raise ValueError("a kept head of another form")
    values[_SOURCE] = body
    values[_AUTHORS] = tuple(_author(*a) for a in values[_AUTHORS])
    values[_TAGS] = tuple(values[_TAGS])
    for i in _DATES:
        if values[i] is not None:
            text, zone = values[i]
            value = datetime.fromisoformat(text)
            values[i] = value.astimezone(_zone(zone)) if zone else value
    # The fields as they were dumped, without the frozen dataclass's __init__ (a third of a
    # load: 10,000 heads are read on every build that changed anything).
    article = object.__new__(Article)
    article.__dict__.update(zip(_FIELDS, values))
    return article, problems


_FIELDS = [f.name for f in fields(Article)]
_DATES = [_FIELDS.index(name) for name in ("date", "updated", "publish_at", "expires_at")]
_AUTHORS, _TAGS, _SOURCE = _FIELDS.index("authors"), _FIELDS.index("tags"), _FIELDS.index("source")
_zone = lru_cache(maxsize=None)(ZoneInfo)
_author = lru_cache(maxsize=4096)(Author)  # a site has few authors: each made once, not once an article


def with_bodies(articles: Iterable[Article], bodies: Mapping[str, bytes]) -> list[Article]:
    """``articles``, each of those taken from a kept head given its body (``bodies``: by path)."""
    return [a if a.source is not None else replace(a, source=bodies[a.path]) for a in articles]


def bodiless(articles: Iterable[Article]) -> list[str]:
    """The paths of those of ``articles`` that came from a kept head without their body."""
    return [a.path for a in articles if a.source is None]
