"""Typed access to an article's front matter (or text headers): each bad value is a
:class:`ContentError` naming its line and key. Pure."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timezone, tzinfo
from typing import Any

from ..errors import ContentError
from .chars import clean_text
from .dates import parse_date
from .identity import slugify
from .model import FRONT_MATTER_KEYS, Author
from .urls import BadURL, web_url


#: "key:" (YAML, Key: value lines), "key =" (TOML), '"key":' (JSON); bounded, so a long line costs little.
_KEY_LINE = re.compile(r'[ \t]{0,40}"?([^\s:#="{][^:="\n]{0,100}?)"?[ \t]{0,20}[:=]')


class KeyLines:
    """The line of each front matter key, worked out only when a message needs one."""

    def __init__(self, block: str | dict[str, int], first: int = 2) -> None:
        self._block = block
        self._first = first  # the file's line of the block's first line
        self._lines: dict[str, int] | None = block if isinstance(block, dict) else None

    def get(self, key: str) -> int | None:
        if self._lines is None:
            self._lines = {}
            # "key:" (YAML, Key: value lines), "key =" (TOML), '"key":' (JSON)
            for i, raw in enumerate(str(self._block).split("\n"), self._first):
                m = _KEY_LINE.match(raw)
                if m:
                    self._lines.setdefault(m.group(1), i)
                    self._lines.setdefault(m.group(1).lower(), i)
        return self._lines.get(key)


def typos(meta: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key in meta:
        if key.lower() in FRONT_MATTER_KEYS or set(re.split(r"[_-]", key.lower())) & set(FRONT_MATTER_KEYS):
            continue  # og_image, image_alt: a key of its own that contains a known one
        close = difflib.get_close_matches(key.lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.75)
        if close and close[0] not in meta:
            found.append((key, close[0]))
    return found


class Fields:
    """Typed access to front matter (keys in any case); a bad value raises a ContentError naming
    its line, a link that cannot go into a feed is left out with a warning (in ``warnings``)."""

    def __init__(self, meta: dict[str, Any], lines: KeyLines, typos: dict[str, ContentError]):
        self.meta: dict[str, Any] = {}
        for key, value in meta.items():
            self.meta.setdefault(key.lower(), value)
        taxonomies = self.meta.get("taxonomies")  # Zola: [taxonomies] tags = [...], categories = [...]
        if isinstance(taxonomies, dict):
            for key in ("tags", "categories"):
                if key in taxonomies:
                    self.meta.setdefault(key, taxonomies[key])
        self.lines = lines
        self.typos = typos  # intended key -> the warning about its misspelling
        self.warnings: list[ContentError] = []

    def bad(self, key: str, message: str) -> ContentError:
        return ContentError(f"'{key}' {message}", line=self.lines.get(key), field=key)

    def missing(self, key: str, fix: str) -> ContentError:
        typo = self.typos.get(key)
        if typo is not None:
            return ContentError(f"has no '{key}': {typo.message}", line=typo.line, field=key)
        return ContentError(f"has no '{key}'. {fix}", line=self.lines.get(key), field=key)

    def first(self, *keys: str) -> str | None:
        """The first of ``keys`` that has a value (``updated``, then Hugo's ``lastmod``…)."""
        return next((k for k in keys if self.meta.get(k) not in (None, "", [])), None)

    def text(self, key: str | None) -> str:
        value = self.meta.get(key) if key else None
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return " ".join(clean_text(str(value)).split())
        raise self.bad(str(key), f"must be text, not {_kind(value)}.")

    def flag(self, key: str) -> bool:
        value = self.meta.get(key, False)
        if not isinstance(value, bool):
            raise self.bad(key, f"must be true or false, not {value!r}.")
        return value

    def date(self, key: str | None, tz: tzinfo) -> datetime | None:
        value = self.meta.get(key) if key else None
        if value is None or value == "":
            return None
        parsed = parse_date(value, tz)
        if parsed is None:
            raise self.bad(str(key), f"is {str(value)!r}, not a date. Use YYYY-MM-DD, or "
                           "YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.")
        if not in_range(parsed):
            raise self.bad(str(key), f"is {str(value)!r}, outside the years {MIN_YEAR} to {MAX_YEAR} that feeds "
                           "and mail clients can show.")
        return parsed

    def unpublished(self) -> bool:
        """Held back as its tool would: Jekyll's ``published: false``, Pelican's ``status: draft``
        or ``hidden``."""
        if "published" in self.meta and not self.flag("published"):
            return True
        status = self.text("status").lower()
        if status and status not in ("published", "draft", "hidden"):
            raise self.bad("status", f"is {status!r}; use 'published', 'draft' or 'hidden'.")
        return status in ("draft", "hidden")

    def later_date(self, key: str, after: datetime | None, tz: tzinfo) -> datetime | None:
        """A date key (``publishDate``, ``expiryDate``), if it is later than ``after``."""
        moment = self.date(key, tz)
        return moment if moment is not None and (after is None or moment > after) else None

    def image(self, base: str) -> str | None:
        """The lead image: ``image``, the first of Hugo's ``images``, or ``cover`` (a link, or a
        mapping with an ``image``); a valid absolute URL, or None with a warning."""
        key = self.first("image", "images", "cover")
        value = self.meta.get(key) if key else None
        if isinstance(value, list):
            value = value[0]
        if isinstance(value, dict):
            value = value.get("image") or value.get("src")
        if not isinstance(value, str):
            if value is not None:
                raise self.bad(str(key), f"must be a link to an image, not {_kind(value)}.")
            return None
        return self.link(str(key), value, base)

    def link(self, key: str, value: str, base: str) -> str | None:
        """``value`` as a valid http(s) URL against ``base``; None, with a warning, if it cannot be one."""
        value = " ".join(clean_text(value).split())
        if not value:
            return None
        if " " in value and "/" not in value and "." not in value:  # "Getty Images": a credit, not a link
            self.warnings.append(self.bad(key, f"is {value!r}, not a link; it was left out."))
            return None
        try:
            return web_url(value, base)
        except BadURL as err:
            self.warnings.append(self.bad(key, f"is {value!r}, which {err}; it was left out of the feeds."))
            return None

    def tags(self, separator: str, categories: list[str]) -> tuple[str, ...]:
        """``tags`` (a list, or a string split on ``separator``), then the ``categories`` (as jekyll-feed
        and Pelican file them); tags that slug alike are one, the first spelling kept."""
        seen: dict[str, str] = {}
        for tag in self.names("tags", separator) + categories:
            key = slugify(tag)
            if key and key not in seen:  # a tag of only punctuation has no feed
                seen[key] = tag
        return tuple(seen.values())

    def categories(self, separator: str) -> list[str]:
        """``categories`` (a list, or a string split on ``separator``) and ``category``."""
        if "categories" not in self.meta and "category" not in self.meta:
            return []
        return self.names("categories", separator) + self.names("category")

    def names(self, key: str, separator: str = r"\s*,\s*") -> list[str]:
        """A list of words (tags, categories): a list, or a string split on ``separator``."""
        value = self.meta.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = re.split(separator, value.strip())
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or any(isinstance(t, (dict, list)) for t in value):
            raise self.bad(key, f"must be a list, like '{key}: [python, feeds]'.")
        return [name for name in (" ".join(clean_text(str(t)).split()) for t in value if t is not None) if name]

    def authors(self, base: str) -> tuple[Author, ...]:
        value = self.meta.get("authors", self.meta.get("author"))
        key = "authors" if "authors" in self.meta else "author"
        if value is None or value == "":
            return ()
        items = value if isinstance(value, list) else (
            value.split(",") if key == "authors" and isinstance(value, str) else [value])
        out = []
        for item in items:
            if isinstance(item, dict):
                name = " ".join(clean_text(str(item.get("name", ""))).split())
                url = str(item.get("url", "") or "")
                author = Author(name, clean_text(str(item.get("email", ""))).strip(),
                                (self.link(key, url, base) or "") if url.strip() else "")
            elif isinstance(item, str):
                name, email = _parseaddr(item) if "<" in item else (item, "")
                author = Author(" ".join(clean_text(name).split()), email)
            else:
                raise self.bad(key, f"must be a name or a list of names, not {_kind(item)}.")
            if not author.name:
                raise self.bad(key, "has an author without a name.")
            out.append(author)
        return tuple(out)


MIN_YEAR, MAX_YEAR = 1000, 9998


def in_range(moment: datetime) -> bool:
    """Whether a date can be written in every zone and format (years 1000 to 9998)."""
    try:
        return MIN_YEAR <= moment.astimezone(timezone.utc).year <= MAX_YEAR
    except OverflowError:
        return False


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), repr(value))


def _parseaddr(text: str) -> tuple[str, str]:
    """``Name <address>`` split, by email.utils (loaded here: it brings socket and more, and few
    authors are written so)."""
    from email.utils import parseaddr

    return parseaddr(text)
