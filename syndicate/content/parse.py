"""One file's bytes → an :class:`Article`, or a :class:`ContentError` naming the line and field. Pure."""

from __future__ import annotations

import functools
import hashlib
import re
import string
from collections.abc import Callable
from datetime import date as date_type
from datetime import datetime
from typing import Any

from ..errors import ContentError
from .chars import clean_text, normalize_bytes, plain_text
from .dialects import DIALECTS, Dialect, permalink_pattern
from .fields import MAX_YEAR, MIN_YEAR, Fields, KeyLines, in_range
from .fields import typos as find_typos
from .identity import article_id, article_url, slugify
from .markdown import split_front_matter
from .page import is_web_page, read_web_page
from .model import Article, SiteContext
from .rst import read_rst
from .shortcodes import unwrap_template_code
from .text import split_text


def parse_article(rel_path: str, data: bytes, site: SiteContext, *,
                  seen_at: datetime | None = None) -> tuple[Article, list[ContentError]]:
    """Parse one file's bytes into an Article and the warnings found on the way.

    :param rel_path: the path under the content folder, posix-style; it gives the
        format, and the date and slug when the file does not.
    :param seen_at: when syndicate first saw the file: the date of a scraped ``.txt``
        article or web page that has none (the article is then ``undated``; without
        ``seen_at`` such a file is refused), and the time of one dated only to that day.
    """
    digest = hashlib.sha256(data).hexdigest()
    meta, block, source, first_line, fmt, kind, template_warnings = _split(rel_path, data)
    dialect = DIALECTS[site.dialect]
    lines = KeyLines(block, first_line)
    typos = {
        hint: ContentError(f"unknown key {key!r}. Did you mean {hint!r}?", line=lines.get(key), field=key)
        for key, hint in find_typos(meta)
    }
    fields = Fields(meta, lines, typos)
    title = plain_text(fields.text("title"))
    if not title:
        raise fields.missing("title", _TITLE_HINT[kind])
    name_date, name_slug = _from_file_name(rel_path)
    url_key = dialect.url_key and fields.text(dialect.url_key)
    date = fields.date("date", site.tz)
    date_key = fields.meta.get("date") if date is not None else None  # keys in any case, as Fields reads them
    undated = False
    if date is None and name_date is None and dialect.name == "zola" and url_key:
        name_date = _from_file_name(url_key.strip("/") + ".md")[0] or _path_date(url_key)
    if date is None and name_date is None and kind in ("text", "page") and seen_at is not None:
        date, undated = seen_at, True
    elif date is None:
        if name_date is None:
            raise fields.missing("date", _DATE_HINT[kind])
        date = datetime.combine(name_date, datetime.min.time(), site.tz)
        if not in_range(date):
            raise fields.bad("date", f"is {name_date.isoformat()!r} (from the file name), outside the years "
                             f"{MIN_YEAR} to {MAX_YEAR} that feeds and mail clients can show.")
    if seen_at is not None and not undated and (date_key is None or _day_only(date_key)):
        # Known only to the day: if syndicate first saw the file that very day, that moment is
        # when it was published (more accurate than midnight, and two posts of a day keep their order).
        local_seen = seen_at.astimezone(site.tz)
        if local_seen.date() == date.astimezone(site.tz).date() and local_seen > date:
            date = local_seen
    updated = max(fields.date(fields.first("updated", "lastmod", "last_modified_at", "modified"), site.tz) or date,
                  date)
    slug_key = fields.text("slug")
    if slug_key:
        slug = dialect.slug_key(slug_key)
    elif dialect.slug_from_title:
        slug = dialect.file_slug(title)
    else:
        slug = dialect.file_slug(name_slug) if name_slug else slugify(title)
    if not slug:
        raise fields.bad("slug", "gives an empty slug. Set 'slug' to letters and digits.")
    # The id never comes from the title, so that a retitled article keeps it.
    id_name = slugify(slug_key or name_slug or _file_stem(rel_path)) or slugify(slug)
    raw_id = fields.text("id")
    categories = fields.categories(dialect.tag_separator)
    url = _url(site, dialect, fields, url_key, date, slug, raw_id, rel_path, categories)
    if raw_id:
        id_ = article_id(site, date, id_name, raw_id)
    else:
        id_ = (dialect.name and dialect.feed_id(site.id_style, url, slug_key or name_slug or slug, site.host,
                                                date.astimezone(site.tz))
               or (url if site.id_style == "url" else article_id(site, date, id_name, "")))
    summary_key = fields.first("summary", "description", "excerpt")
    article = Article(
        id=id_,
        slug=slug,
        title=title,
        date=date,
        updated=updated,
        url=url,
        path=rel_path,
        format=fmt,
        source=source,
        authors=fields.authors(url),
        tags=fields.tags(dialect.tag_separator, categories),
        summary=plain_text(fields.text(summary_key)) or None,
        image=fields.image(url),
        draft=fields.flag("draft") or fields.unpublished(),
        publish_at=fields.later_date("publishdate", date, site.tz),
        expires_at=fields.later_date("expirydate", None, site.tz),
        digest=digest,
        fixed_id=bool(raw_id),
        undated=undated,
        excerpt_separator=fields.text("excerpt_separator") or None,
    )
    return article, list(typos.values()) + fields.warnings + template_warnings


def _split(rel_path: str, data: bytes) -> tuple[dict[str, Any], str, bytes, int, str, str, list[ContentError]]:
    """The file read by its kind: its metadata, the metadata's text and first line (for line
    numbers), the body, the body's format (markdown, text or html), the kind (for hints) and the
    warnings about template code in it."""
    if rel_path.endswith((".html", ".htm")) and is_web_page(data):  # it says its own encoding
        meta, html = read_web_page(data)
        return meta, "", html.encode("utf-8"), 1, "html", "page", []
    data = normalize_bytes(data)
    if rel_path.endswith(".txt"):
        meta, block, body = split_text(clean_text(data.decode("utf-8")))
        return meta, block, body.encode("utf-8"), 1, "text", "text", []
    if rel_path.endswith(".rst"):
        meta, html = read_rst(clean_text(data.decode("utf-8")))
        return meta, "", html.encode("utf-8"), 1, "html", "rst", []
    meta, block, source, first_line = split_front_matter(data)
    fmt = "html" if rel_path.endswith((".html", ".htm")) else "markdown"
    warnings: list[ContentError] = []
    if b"{" in source and (b"{%" in source or b"{{" in source):  # one byte is found far faster than two
        source, warnings = _template_code(data, source)
    return meta, block, source, first_line, fmt, fmt, warnings


def _template_code(data: bytes, source: bytes) -> tuple[bytes, list[ContentError]]:
    """The body with Liquid and Hugo wrappers unwrapped, and a warning for each other kind of
    template code in it, on its line of the file."""
    first = data[: len(data) - len(source)].count(b"\n") + 1 if data.endswith(source) else 1
    text, found = unwrap_template_code(source.decode("utf-8"), first)
    return text.encode("utf-8"), [ContentError(message, line=line) for line, message in found]


def _url(site: SiteContext, dialect: Dialect, fields: Fields, url_key: str, date: datetime, slug: str,
         raw_id: str, rel_path: str, categories: list[str]) -> str:
    """The article's URL: the post's own (Hugo ``url``, Jekyll ``permalink``, Zola ``path``) with
    ``[content] import``, else the permalink pattern filled in."""
    pattern = site.permalink or dialect.permalink
    own = bool(url_key and dialect.name == "jekyll")  # the post's own pattern: checked here, not in the config
    if own:
        pattern = url_key
    elif url_key:
        if dialect.name == "hugo" and url_key.startswith(("http://", "https://")):
            return fields.link(dialect.url_key, url_key, site.base_url) or url_key
        path = url_key if dialect.name == "hugo" else "/" + url_key.strip("/") + "/"
        return article_url(site, path)
    local = date if dialect.own_zone_urls else date.astimezone(site.tz)
    pattern, names = _pattern(pattern, own)
    if own and not names <= _FIELDS.keys():
        unknown = ", ".join(f":{name}" for name in sorted(names - _FIELDS.keys()))
        raise fields.bad("permalink", f"uses {unknown}, which is no permalink field. Use :year, :month, :day, "
                         ":title, :categories… (see the README, Links).")
    values = {name: _FIELDS[name](local, slug, raw_id, rel_path, categories) for name in names}
    path = "/" + pattern.format(**values)
    if "//" in path:  # an empty field
        path = re.sub(r"/{2,}", "/", path)
    return article_url(site, path.lower() if dialect.lower_case_urls else path)


@functools.lru_cache(maxsize=64)
def _pattern(raw: str, literal_braces: bool = False) -> tuple[str, frozenset[str]]:
    """A permalink as a format pattern, and the fields it uses (worked out once, not per article)."""
    pattern = permalink_pattern(raw, literal_braces=literal_braces)
    return pattern, frozenset(field for _, field, _, _ in string.Formatter().parse(pattern) if field)


def _folder(rel_path: str) -> str:
    """The folder of the file under the content folder; for a page bundle's index, the bundle's."""
    folder, _, name = rel_path.rpartition("/")
    if name.startswith("index.") and folder:
        folder = folder.rpartition("/")[0]
    return folder


_Field = Callable[[datetime, str, str, str, list[str]], Any]
_FIELDS: dict[str, _Field] = {
    "year": lambda d, *_: f"{d.year:04d}",
    "month": lambda d, *_: f"{d.month:02d}",
    "day": lambda d, *_: f"{d.day:02d}",
    "i_month": lambda d, *_: str(d.month),
    "i_day": lambda d, *_: str(d.day),
    "y_day": lambda d, *_: f"{d.timetuple().tm_yday:03d}",
    "short_year": lambda d, *_: f"{d.year % 100:02d}",
    "hour": lambda d, *_: f"{d.hour:02d}",
    "minute": lambda d, *_: f"{d.minute:02d}",
    "second": lambda d, *_: f"{d.second:02d}",
    "date": lambda d, *_: d,
    "slug": lambda d, slug, *_: slug,
    "title": lambda d, slug, *_: slug,
    "id": lambda d, slug, raw_id, *_: slugify(raw_id) or slug,
    "filename": lambda d, slug, raw_id, rel, *_: _file_stem(rel),
    "section": lambda d, slug, raw_id, rel, *_: _folder(rel).split("/")[0],
    "path": lambda d, slug, raw_id, rel, *_: _folder(rel),
    "categories": lambda d, slug, raw_id, rel, cats: "/".join(dict.fromkeys(c.lower() for c in cats)),
    "output_ext": lambda *_: ".html",
}


def _day_only(value: Any) -> bool:
    """Whether a ``date`` value names a day and no time (``2024-05-01``, ``1 May 2024``)."""
    if isinstance(value, datetime):
        return False
    return isinstance(value, date_type) or (isinstance(value, str) and ":" not in value and "T" not in value)


def _path_date(path: str) -> date_type | None:
    """The date at the start of a Zola ``path`` like ``inside-rust/2024/05/01/name``."""
    m = re.search(r"(?:^|/)(\d{4})/(\d{1,2})/(\d{1,2})/", path)
    try:
        return date_type(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


_DATE_HINT = {
    "markdown": "Add 'date: YYYY-MM-DD' (or a date-time with an offset), "
                "or start the file name with the date, like 2024-05-01-my-post.md.",
    "text": "Add a line 'Date: 2025-12-14' (or 'Published: 14 Dec 2025 10:32 GMT') above the title, "
            "or start the file name with the date, like 2025-12-14-my-story.txt.",
}
_DATE_HINT["html"] = _DATE_HINT["markdown"]
_DATE_HINT["rst"] = ("Add a field ':date: 2024-05-01 10:20' under the title, "
                     "or start the file name with the date, like 2024-05-01-my-post.rst.")
_DATE_HINT["page"] = ("Add <meta property=\"article:published_time\" content=\"2025-12-14T10:32:00Z\"> to the "
                      "page's head, or start the file name with the date, like 2025-12-14-my-story.html.")

_TITLE_HINT = {
    "markdown": "Add a line 'title: ...' to the front matter.",
    "html": "Add a line 'title: ...' to the front matter.",
    "text": "The first line of the file is the title.",
    "page": "The page has no <title>, <h1> or og:title; add a <title>.",
    "rst": "Start the file with the title, underlined with '=' as long as it.",
}


def _file_stem(rel_path: str) -> str:
    """The file's name without extension; for ``index.md``, its folder's name."""
    folder, _, name = rel_path.rpartition("/")
    stem = name.rpartition(".")[0] or name
    return folder.rpartition("/")[2] if stem == "index" and folder else stem


def _from_file_name(rel_path: str) -> tuple[date_type | None, str | None]:
    """The Jekyll convention: ``2024-05-01-my-post.md`` (or ``2015-10-8-…``, or Zola's
    ``2024-05-01_my-post.md``) gives a date and a slug."""
    stem = _file_stem(rel_path)
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[-_](.*))?$", stem)
    if m:
        try:
            day = date_type(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None, stem
        return day, m.group(4) or None
    return None, stem
