"""An article's slug, URL and id (the id never comes from the title, and once given is kept)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote, unquote

from .model import Article, SiteContext

# "C++" and "C#" keep their meaning in a slug; a "+" or "#" not after a letter is punctuation.
_SLUG_WORDS = ((re.compile(r"(?<=\w)\++"), "plus"), (re.compile(r"(?<=\w)#"), "sharp"),
               (re.compile("&"), "and"), (re.compile("@"), "at"))


@functools.lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    """A lower-case, URL-safe name: Latin accents folded, other scripts kept as written.

    >>> slugify("Café & C++ 日本語")
    'cafe-and-c-plus-plus-日本語'
    """
    for pattern, word in _SLUG_WORDS:
        text = pattern.sub(lambda m, word=word: f" {word} " * len(m.group()), text)
    return re.sub(r"[\W_]+", "-", _fold(text).lower()).strip("-")[:80].rstrip("-")


def _fold(text: str) -> str:
    """'é' → 'e', 'ﬁ' → 'fi'; but 'ガ' and '한' stay whole (their marks are part of the letter)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base.isascii() else unicodedata.normalize("NFKC", ch))
    return "".join(out)


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def article_id(site: SiteContext, date: datetime, slug: str, raw_id: str) -> str:
    """Front matter ``id`` if it is a URI; else a tag: URI (RFC 4151) from host, date, name."""
    if raw_id and _URI.match(raw_id):
        return raw_id
    name = quote(raw_id or slug, safe="-._~!$&'()*+,;=:@/")
    return f"tag:{site.host},{date:%Y-%m-%d}:{name}"


def article_url(site: SiteContext, path: str) -> str:
    """``path`` (a permalink filled in) under the site's base URL, percent-encoded."""
    path = unquote(path.lstrip("/")) if "%" in path else path.lstrip("/")
    return site.base_url.rstrip("/") + "/" + quote(path, safe="/-._~!$&'()*+,;=:@")


def keep_stored_ids(articles: Sequence[Article], present: Collection[str],
                    known: Mapping[str, Mapping[str, str]]) -> list[Article]:
    """Each article with the id it was first given (design rule 3), not the one derived today.

    ``known`` is what earlier builds recorded: path → its ``id`` and ``digest``. An article
    at a known path keeps that path's id; one at a new path whose bytes are those of a
    file that moved away (its old path gone, or holding other bytes now) keeps the moved
    file's id, and the old path's new occupant gets an id of its own. A file that sets
    its own ``id`` keeps it. So changing ``base_url``, the permalink, the title or the
    file name never makes an article new to a feed reader or the newsletter.
    """
    moved: dict[str, str] = {}  # new path -> the known path it came from
    by_digest: dict[str, str] = {}
    current = {a.path: a.digest for a in articles}
    for path, row in known.items():
        if path not in present or current.get(path, row["digest"]) != row["digest"]:
            by_digest.setdefault(row["digest"], path)
    for article in articles:
        if article.path not in known and article.digest in by_digest:
            moved[article.path] = by_digest.pop(article.digest)
    left = set(moved.values())
    out = []
    kept: set[str] = set()
    fresh: list[int] = []  # the articles given an id today
    for article in articles:
        source = moved.get(article.path) or (article.path if article.path not in left else None)
        row = known.get(source) if source else None
        if row is not None and not article.fixed_id:
            if row["id"] != article.id:  # (most keep the id they would be given anyway: no copy)
                article = replace(article, id=row["id"])
            kept.add(article.id)
        elif not article.fixed_id:
            fresh.append(len(out))
        out.append(article)
    # A new article whose id is one a present article keeps (a new file where a moved one
    # was, under the same name) gets the next free one: it is not the article readers read.
    taken = {a.id for a in out}
    for i in fresh:
        if out[i].id in kept:
            n = 2
            while _numbered(out[i].id, n) in taken:
                n += 1
            out[i] = replace(out[i], id=_numbered(out[i].id, n))
            taken.add(out[i].id)
    return out


def _numbered(id_: str, n: int) -> str:
    return f"{id_}#{n}" if id_.startswith(("http://", "https://")) else f"{id_}-{n}"
