"""A feed's bytes → its entries, sanitized. Pure: no network, no clock.

RSS and Atom are read by feedparser, always given the bytes (never a URL or a file name, which
it would open) and never a document that declares XML entities: a DOCTYPE with ``<!ENTITY``
(the "billion laughs", or an external entity) is refused before any parser sees it. JSON Feed
(1.0 and 1.1), which feedparser 6 does not read, is read by ``jsonfeed``. Every entry's HTML goes
through the sanitizer local articles go through (``content.render.sanitize_html``), its links
made absolute against the entry's own link.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import io
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit


from ..content.chars import clean_text, plain_text
from ..content.render import sanitize_html, truncate_words
from ..errors import FetchError
from .jsonfeed import read_json_feed
from .model import MAX_ENTRIES, ParsedFeed, RemoteEntry

SUMMARY_WORDS = 60

MAX_TITLE = 300


def parse_feed(data: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Read a feed (RSS, Atom or JSON Feed) fetched from ``url``.

    :raises FetchError: it is empty, an HTML page, declares XML entities, or is no feed at
        all; the message says which, in a few words.
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FetchError("sent an empty answer, not a feed")
    if head.startswith((b"{", b"[")) or "json" in content_type.lower():
        return read_json_feed(data, url=url, entry=make_entry)
    if looks_like_html(head):
        raise FetchError("sent an HTML page, not a feed. Give the feed's own address (syndicate sources add "
                         "finds it from the page)")
    _refuse_entities(data, content_type)
    import feedparser  # here: 20 ms at start-up that a build with no [[sources]] would pay for nothing

    result = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url,
                                                                  "content-type": content_type or "application/xml"},
                              resolve_relative_uris=True, sanitize_html=True)
    version = result.get("version", "")
    warnings = []
    if result.get("bozo"):
        problem = result.get("bozo_exception")
        if isinstance(problem, feedparser.CharacterEncodingOverride):
            warnings.append(f"its bytes are not the encoding it declares; read as {result.get('encoding')}")
        elif not isinstance(problem, feedparser.NonXMLContentType):
            if not version and not result.entries:
                raise FetchError(f"sent something that is not an RSS, Atom or JSON feed ({_xml_error(problem)})")
            warnings.append(f"is not well-formed XML ({_xml_error(problem)}); read as far as it goes")
    if not version and not result.entries:
        raise FetchError("sent something that is not an RSS, Atom or JSON feed")
    entries = result.entries[:MAX_ENTRIES]
    if len(result.entries) > MAX_ENTRIES:
        warnings.append(f"has {len(result.entries)} entries; only the first {MAX_ENTRIES} are read")
    feed = result.feed
    made = tuple(make_entry(
        own_id=e.get("id", ""), link=_http(e.get("link", "")), title=e.get("title", ""),
        # dict.get: feedparser's own get() maps a missing "updated" to "published", with a warning.
        published=_date(dict.get(e, "published_parsed")), updated=_date(dict.get(e, "updated_parsed")),
        content=_content(e), summary=e.get("summary", "") if e.get("content") else "",
        authors=_authors(e), base=url) for e in entries)
    return ParsedFeed("atom" if version.startswith("atom") else "rss", _title(feed.get("title", "")),
                      _http(feed.get("link", "")) or _site_of(url), made, tuple(warnings))


def make_entry(*, own_id: str, link: str, title: str, published: datetime | None, updated: datetime | None,
               content: str, summary: str, authors: tuple[tuple[str, str, str], ...], base: str,
               text: bool = False) -> RemoteEntry:
    """One entry from what its feed gave: ``content`` is HTML (plain text with ``text``), ``summary``
    HTML or empty (then it is made from the content); both are sanitized here."""
    base = link or base
    raw = f"{title}\0{content}\0{summary}"  # what a hash identity is made of: the feed's own text
    if text:
        content = "".join(f"<p>{htmllib.escape(p.strip(), quote=False)}</p>\n"
                          for p in content.split("\n\n") if p.strip())
    body = sanitize_html(content, base_url=base) if content else ""
    brief = _plain(sanitize_html(summary, base_url=base)) if summary else ""
    brief = truncate_words(brief or _plain(body), SUMMARY_WORDS)
    title = _title(title) or truncate_words(brief, 12) or link or "Untitled"
    own_id = " ".join(str(own_id).split())[:2000]
    if own_id:
        id_, kind = own_id, "id"
    elif link:
        id_, kind = link, "link"
    else:
        id_, kind = "sha256:" + hashlib.sha256(raw.encode()).hexdigest(), "hash"
    return RemoteEntry(id_, kind, title, link, published, updated, body, brief, authors)


_HTML_START = re.compile(rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
                         re.I | re.S)


def looks_like_html(data: bytes, content_type: str = "") -> bool:
    """Whether ``data`` is a web page (by its first tag, whatever its Content-Type says: servers
    often send feeds as text/html)."""
    return _HTML_START.match(data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")) is not None


_ENTITY = re.compile(rb"<!ENTITY", re.I)
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.I)
_EBCDIC_XML = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, which feedparser recognizes


def _refuse_entities(data: bytes, content_type: str = "") -> None:
    """No entity declarations anywhere in the document, in any encoding it may be read in: no feed
    needs ``<!ENTITY``, and they can expand to gigabytes. The whole document is searched (a
    processing instruction or a long comment cannot end a guessed prolog early), as bytes with
    the NULs of UTF-16 and UTF-32 dropped, and as text in the encoding its XML declaration,
    its Content-Type or its first bytes name (feedparser converts from those before parsing)."""
    found = _ENTITY.search(data.replace(b"\x00", b"") if b"\x00" in data else data) is not None
    if not found:
        for encoding in _encodings(data, content_type):
            try:
                text = data.decode(encoding, errors="replace")
            except LookupError:
                continue
            if "<!entity" in text.lower():
                found = True
                break
    if found:
        raise FetchError("declares XML entities (<!ENTITY> in its DOCTYPE), which no feed needs and which can expand "
                         "to gigabytes (the \"billion laughs\"); not read")


def _encodings(data: bytes, content_type: str) -> list[str]:
    """The encodings other than ASCII's family that the document may be read in."""
    named = []
    if m := _DECLARED.match(data):
        named.append(m.group(1).decode("ascii"))
    if m := _CHARSET.search(content_type or ""):
        named.append(m.group(1))
    if data.startswith(_EBCDIC_XML):
        named.append("cp037")
    return named


def _xml_error(problem: Any) -> str:
    """What the XML parser said, its place as "line L, column C"."""
    text = re.sub(r"^<unknown>:(\d+):(\d+):\s*", r"line \1, column \2: ", str(problem or ""))
    return " ".join(text.split())[:200] or type(problem).__name__


def _content(entry: Any) -> str:
    """The entry's whole content, else its summary (RSS ``description``): HTML."""
    for part in entry.get("content") or ():
        if part.get("value"):
            value = part["value"]
            return htmllib.escape(value) if part.get("type") == "text/plain" else value
    return entry.get("summary", "")


def _authors(entry: Any) -> tuple[tuple[str, str, str], ...]:
    found = []
    for author in entry.get("authors") or ():
        name = _title(author.get("name", ""))[:200]
        email = author.get("email", "") if "@" in author.get("email", "") else ""
        if name:
            found.append((name, email, _http(author.get("href", ""))))
    return tuple(found[:10])


def _date(parsed: Any) -> datetime | None:
    """A feedparser date (a UTC ``struct_time``), within the years any feed may carry."""
    if not parsed:
        return None
    try:
        value = datetime(*parsed[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if 1000 <= value.year <= 9998 else None


def _http(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host (a ``javascript:`` link is none), else ''."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    ok = parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c.isspace() for c in url)
    return url if ok and url.isprintable() else ""


def _site_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _title(text: str) -> str:
    return clean_text(" ".join(plain_text(str(text)).split()))[:MAX_TITLE]


_TAG = re.compile(r"<[^>]*>")


def _plain(html: str) -> str:
    return clean_text(" ".join(htmllib.unescape(_TAG.sub(" ", html)).split()))
