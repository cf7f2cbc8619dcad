"""One file's bytes → an :class:`Article`, or a :class:`ContentError` naming the line and field. Pure."""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import date as date_type
from datetime import datetime, timezone, tzinfo
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ..errors import ContentError
from .chars import clean_text, normalize_bytes
from .dates import parse_date
from .identity import article_id, article_url, slugify
from .markdown import split_front_matter
from .model import FRONT_MATTER_KEYS, Article, Author, SiteContext
from .text import split_text


def parse_article(rel_path: str, data: bytes, site: SiteContext, *,
                  seen_at: datetime | None = None) -> tuple[Article, list[ContentError]]:
    """Parse one file's bytes into an Article and the warnings found on the way.

    :param rel_path: the path under the content folder, posix-style; it gives the
        format, and the date and slug when the file does not.
    :param seen_at: when syndicate first saw the file: the date of a scraped ``.txt``
        article that has none (the article is then ``undated``). Without it such a
        file is refused.
    :raises ContentError: the file cannot be published; the message says why and how
        to fix it.
    """
    digest = hashlib.sha256(data).hexdigest()
    data = normalize_bytes(data)
    if rel_path.endswith(".txt"):
        meta, block, body = split_text(clean_text(data.decode("utf-8")))
        source = body.encode("utf-8")
        fmt = "text"
    else:
        meta, block, source, first_line = split_front_matter(data)
        fmt = "markdown"
    lines = _KeyLines(block, first_line if fmt == "markdown" else 1)
    typos = {
        hint: ContentError(f"unknown key {key!r}. Did you mean {hint!r}?", line=lines.get(key), field=key)
        for key, hint in _typos(meta)
    }
    warnings = list(typos.values())
    fields = _Fields(meta, lines, typos)
    title = fields.text("title")
    if not title:
        raise fields.missing("title", "Add a line 'title: ...' to the front matter."
                             if fmt == "markdown" else "The first line of the file is the title.")
    name_date, name_slug = _from_file_name(rel_path)
    date = fields.date("date", site.tz)
    undated = False
    if date is None and name_date is None and fmt == "text" and seen_at is not None:
        date, undated = seen_at, True
    elif date is None:
        if name_date is None:
            raise fields.missing("date", _DATE_HINT[fmt])
        date = datetime.combine(name_date, datetime.min.time(), site.tz)
        if not in_range(date):
            raise fields.bad("date", f"is {name_date.isoformat()!r} (from the file name), outside the years "
                             f"{MIN_YEAR} to {MAX_YEAR} that feeds and mail clients can show.")
    updated = fields.date("updated", site.tz) or date
    if updated < date:
        updated = date
    slug = slugify(fields.text("slug") or name_slug or title)
    if not slug:
        raise fields.bad("slug", "gives an empty slug. Set 'slug' to letters and digits.")
    # The id never comes from the title, so that a retitled article keeps it.
    id_name = slugify(fields.text("slug") or name_slug or _file_stem(rel_path)) or slug
    raw_id = fields.text("id")
    url = article_url(site, date, slug, raw_id)
    article = Article(
        id=url if site.id_style == "url" and not raw_id else article_id(site, date, id_name, raw_id),
        slug=slug,
        title=title,
        date=date,
        updated=updated,
        url=url,
        path=rel_path,
        format=fmt,
        source=source,
        authors=fields.authors(),
        tags=fields.tags(),
        summary=fields.text("summary") or None,
        image=fields.url("image", url) or fields.first_url("images", url),
        draft=fields.flag("draft") or fields.unpublished(),
        publish_at=fields.later_date("publishdate", date, site.tz),
        expires_at=fields.later_date("expirydate", None, site.tz),
        digest=digest,
        fixed_id=bool(raw_id),
        undated=undated,
    )
    return article, warnings


_DATE_HINT = {
    "markdown": "Add 'date: YYYY-MM-DD' (or a date-time with an offset), "
                "or start the file name with the date, like 2024-05-01-my-post.md.",
    "text": "Add a line 'Date: 2025-12-14' (or 'Published: 14 Dec 2025 10:32 GMT') above the title, "
            "or start the file name with the date, like 2025-12-14-my-story.txt.",
}



class _KeyLines:
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
                m = re.match(r'\s*"?([^\s:#="{][^:="]*?)"?\s*[:=]', raw)
                if m:
                    self._lines.setdefault(m.group(1), i)
                    self._lines.setdefault(m.group(1).lower(), i)
        return self._lines.get(key)


def _file_stem(rel_path: str) -> str:
    """The file's name without extension; for ``index.md``, its folder's name."""
    p = Path(rel_path)
    return p.parent.name if p.stem == "index" and p.parent.name else p.stem


def _from_file_name(rel_path: str) -> tuple[date_type | None, str | None]:
    """The Jekyll convention: ``2024-05-01-my-post.md`` gives a date and a slug."""
    stem = _file_stem(rel_path)
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})-?(.*)$", stem)
    if m:
        try:
            day = date_type(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None, stem
        return day, m.group(4) or None
    return None, stem


def _typos(meta: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key in meta:
        if key.lower() in FRONT_MATTER_KEYS:
            continue
        close = difflib.get_close_matches(key.lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.75)
        if close and close[0] not in meta:
            found.append((key, close[0]))
    return found


class _Fields:
    """Typed access to front matter; a bad value raises a ContentError naming its line."""

    def __init__(self, meta: dict[str, Any], lines: _KeyLines, typos: dict[str, ContentError]):
        self.meta = meta
        self.lines = lines
        self.typos = typos  # intended key -> the warning about its misspelling

    def bad(self, key: str, message: str) -> ContentError:
        return ContentError(f"'{key}' {message}", line=self.lines.get(key), field=key)

    def missing(self, key: str, fix: str) -> ContentError:
        typo = self.typos.get(key)
        if typo is not None:
            return ContentError(f"has no '{key}': {typo.message}", line=typo.line, field=key)
        return ContentError(f"has no '{key}'. {fix}", line=self.lines.get(key), field=key)

    def text(self, key: str) -> str:
        value = self.meta.get(key)
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return " ".join(clean_text(str(value)).split())
        raise self.bad(key, f"must be text, not {_kind(value)}.")

    def flag(self, key: str) -> bool:
        value = self.meta.get(key, False)
        if not isinstance(value, bool):
            raise self.bad(key, f"must be true or false, not {value!r}.")
        return value

    def date(self, key: str, tz: tzinfo) -> datetime | None:
        value = self.meta.get(key)
        if value is None or value == "":
            return None
        parsed = parse_date(value, tz)
        if parsed is None:
            raise self.bad(key, f"is {str(value)!r}, not a date. Use YYYY-MM-DD, or "
                           "YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.")
        if not in_range(parsed):
            raise self.bad(key, f"is {str(value)!r}, outside the years {MIN_YEAR} to {MAX_YEAR} that feeds and "
                           "mail clients can show.")
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
        """A date key in any case (``publishDate``, ``publishdate``), if it is later than ``after``."""
        name = next((k for k in self.meta if k.lower() == key), None)
        moment = self.date(name, tz) if name else None
        return moment if moment is not None and (after is None or moment > after) else None

    def first_url(self, key: str, base: str) -> str | None:
        """The first of a list of links (Hugo's ``images``), made absolute; None if there is none."""
        value = self.meta.get(key)
        if isinstance(value, list) and value and isinstance(value[0], str):
            return self._join(key, value[0], base)
        return self.url(key, base) if isinstance(value, str) else None

    def url(self, key: str, base: str) -> str | None:
        """A link, made absolute against ``base``; None if the key is not there."""
        value = self.text(key)
        return self._join(key, value, base) if value else None

    def _join(self, key: str, value: str, base: str) -> str:
        try:
            return urljoin(base, " ".join(clean_text(value).split()))
        except ValueError:  # "http://[::1", an IPv6 address not closed
            raise self.bad(key, f"is {value!r}, not a URL.") from None

    def tags(self) -> tuple[str, ...]:
        value = self.meta.get("tags")
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or any(isinstance(t, (dict, list)) for t in value):
            raise self.bad("tags", "must be a list, like 'tags: [python, feeds]'.")
        seen: dict[str, str] = {}
        for tag in value:
            name = " ".join(clean_text(str(tag)).split())
            if slugify(name) and slugify(name) not in seen:  # a tag of only punctuation has no feed
                seen[slugify(name)] = name
        return tuple(seen.values())

    def authors(self) -> tuple[Author, ...]:
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
                author = Author(name, clean_text(str(item.get("email", ""))).strip(),
                                clean_text(str(item.get("url", ""))).strip())
            elif isinstance(item, str):
                name, email = parseaddr(item) if "<" in item else (item, "")
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
