"""An article file's parse, kept between builds: what it is keyed by, and its text; and the key of
what an article's renderings are made from. Pure functions.

A parse depends on the file's bytes, on the settings that give URLs, ids and dates, and on
when the file was first seen. The key is a hash of all of them, with the file's size and
modification time standing for its bytes (as the build's own "nothing changed" check does).
A file first seen in this build is never kept: its parse depends on the clock, and the next
build, which knows when it was first seen, keeps that one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .. import __version__
from ..errors import Problem
from .model import Article, Author, SiteContext, SourceFile

_DATES = ("date", "updated", "publish_at", "expires_at")


def parse_key(source: SourceFile, seen: str | None, site: SiteContext, display_root: str) -> str | None:
    """What a parse of ``source`` depended on, as one string; None when it must not be kept."""
    if seen is None or source.refused:
        return None
    return "\0".join([__version__, repr(site), display_root, source.rel, str(source.mtime_ns), str(source.size),
                      seen])


def article_key(article: Article) -> str:
    """What an article's renderings (its page, its place in a preview) are made from, as a hash:
    its file (which holds the title, tags and body), and the URL and dates, which the config or
    the first sighting may give it. With the templates and settings unchanged, the same key
    means the same rendering."""
    made = f"{article.digest}\0{article.url}\0{article.date.isoformat()}\0{article.updated.isoformat()}"
    return hashlib.sha256(made.encode()).hexdigest()[:32]


def dump(article: Article | None, problems: list[Problem]) -> str:
    """A parse as JSON text: the article (or null, for a broken file) and its problems."""
    data: dict[str, Any] | None = None
    if article is not None:
        data = {f.name: getattr(article, f.name) for f in fields(Article)}
        data["source"] = article.source.decode("utf-8")
        data["authors"] = [[a.name, a.email, a.url] for a in article.authors]
        data["tags"] = list(article.tags)
        for name in _DATES:  # with its zone's name: a template may show it, or count across a DST change
            value = data[name]
            data[name] = [value.isoformat(), getattr(value.tzinfo, "key", None)] if value is not None else None
    return json.dumps({"article": data, "problems": [[p.path, p.message, p.line, p.level] for p in problems]},
                      ensure_ascii=False, separators=(",", ":"))


def load(text: str) -> tuple[Article | None, list[Problem]]:
    """The article and problems :func:`dump` wrote."""
    data = json.loads(text)
    problems = [Problem(path, message, line, level) for path, message, line, level in data["problems"]]
    fields_ = data["article"]
    if fields_ is None:
        return None, problems
    fields_["source"] = fields_["source"].encode("utf-8")
    fields_["authors"] = tuple(Author(*a) for a in fields_["authors"])
    fields_["tags"] = tuple(fields_["tags"])
    for name in _DATES:
        if fields_[name] is not None:
            text, zone = fields_[name]
            value = datetime.fromisoformat(text)
            fields_[name] = value.astimezone(ZoneInfo(zone)) if zone else value
    return Article(**fields_), problems
