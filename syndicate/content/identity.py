"""An article's slug, URL and id (the id never comes from the title)."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

from .model import SiteContext

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


def article_url(site: SiteContext, date: datetime, slug: str, raw_id: str) -> str:
    local = date.astimezone(site.tz)
    path = site.permalink.format(
        year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}",
        slug=slug, id=slugify(raw_id) or slug,
    )
    return site.base_url.rstrip("/") + "/" + quote(path.lstrip("/"), safe="/-._~")
