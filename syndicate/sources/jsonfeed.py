"""A JSON Feed (jsonfeed.org 1.0 and 1.1) → its entries. Pure. (feedparser 6 reads no JSON.)"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import FetchError
from .model import MAX_ENTRIES, ParsedFeed, RemoteEntry

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"


def read_json_feed(data: bytes, *, url: str, entry: Callable[..., RemoteEntry]) -> ParsedFeed:
    """The feed's title, home page and items, each made into an entry by ``entry`` (``parse.make_entry``).

    :raises FetchError: it is not UTF-8 JSON, or not a JSON Feed.
    """
    try:
        feed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise FetchError(f"sent JSON that is not UTF-8 (byte {err.start}), which a JSON Feed must be") from err
    except RecursionError as err:
        raise FetchError("sent JSON nested too deep to be a feed") from err
    except ValueError as err:
        raise FetchError(f"sent something that is neither XML nor valid JSON ({err})") from err
    version = feed.get("version") if isinstance(feed, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_PREFIX) or not isinstance(
            feed.get("items"), list):
        raise FetchError("sent JSON that is not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\" "
                         "and \"items\")")
    items = [i for i in feed["items"] if isinstance(i, dict)]
    warnings = []
    if len(items) > MAX_ENTRIES:
        warnings.append(f"has {len(items)} entries; only the first {MAX_ENTRIES} are read")
    made = []
    for item in items[:MAX_ENTRIES]:
        link = _http(_text(item.get("url")), url) or _http(_text(item.get("external_url")), url)
        html, text = _text(item.get("content_html")), _text(item.get("content_text"))
        made.append(entry(
            own_id=_text(item.get("id")), link=link, title=_text(item.get("title")),
            published=_date(item.get("date_published")), updated=_date(item.get("date_modified")),
            content=html or text, text=not html, summary=_escape(_text(item.get("summary"))),
            authors=_authors(item, url), base=url))
    home = _http(_text(feed.get("home_page_url")), url) or f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/"
    return ParsedFeed("json", _text(feed.get("title")), home, tuple(made), tuple(warnings))


def _text(value: Any) -> str:
    """A string field (a number is taken as written: some feeds give numeric ids); else ''."""
    if isinstance(value, bool) or value is None:
        return ""
    return str(value) if isinstance(value, (str, int, float)) else ""


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _http(value: str, base: str) -> str:
    if not value:
        return ""
    url = urljoin(base, value.strip())
    parts = urlsplit(url)
    ok = parts.scheme in ("http", "https") and parts.netloc and url.isprintable() and " " not in url
    return url if ok else ""


def _date(value: Any) -> datetime | None:
    """An RFC 3339 date; one without an offset is taken as UTC; None if unreadable or absurd."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment if 1000 <= moment.year <= 9998 else None


def _authors(item: dict[str, Any], base: str) -> tuple[tuple[str, str, str], ...]:
    people = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
    found = []
    for person in people:
        if isinstance(person, dict) and _text(person.get("name")).strip():
            found.append((" ".join(_text(person["name"]).split())[:200], "", _http(_text(person.get("url")), base)))
    return tuple(found[:10])
