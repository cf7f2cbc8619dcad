"""Articles → the bytes of RSS 2.0, Atom 1.0 and JSON Feed 1.1 files. Pure: no clock, no I/O.

RSS and Atom are written with feedgen (``xml``, loaded when a file or an entry is made:
a build that makes none loads neither it nor lxml). JSON Feed is written from the same
data with the json module.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Protocol
from urllib.parse import quote

from .. import __version__
from .._parallel import map_batches
from ..config import Config, SiteConfig
from ..content.cache import article_key
from ..content.model import Article, Author
from .plan import FeedSpec

FORMATS = ("rss.xml", "atom.xml", "feed.json")


MEDIA_TYPES = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}


JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


GENERATOR = "syndicate"


#: The updated time of a feed with no entry yet: fixed (no clock in a feed), and after
#: 1990, which the W3C validator calls the earliest plausible date.
NO_ENTRY_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def build_feeds(
    feeds: Sequence[FeedSpec],
    config: Config,
    *,
    on_render: Callable[[int], None] | None = None,
    source: EntrySource | None = None,
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Every file of ``feeds`` (from :func:`plan_feeds`): (path under the output folder, parts).

    A file's bytes are ``b"".join(parts)``. Parts made as they are read, and a generator, so
    that a caller can write each file as it is made and let it go: with ``limit = 0`` the feeds
    of a large site run to hundreds of MB.

    ``source``: where the entries of every article the feeds carry are (made by the caller with
    :func:`make_entries`, and read a batch at a time); without it, they are made here, and held
    in memory. ``on_render(n)`` is called as articles are rendered (n so far).
    """
    made = _Entries(config, on_render) if source is None else None
    site = config.site
    for spec in feeds:
        if made is not None:
            made.prepare(spec.articles)
        entries = source or made
        assert entries is not None
        yield f"{spec.folder}/rss.xml", _rss_file(spec, site, feed_url(site, spec.folder, "rss.xml"), entries)
        yield f"{spec.folder}/atom.xml", _atom_file(spec, site, feed_url(site, spec.folder, "atom.xml"), entries)
        yield f"{spec.folder}/feed.json", _json_file(spec, site, feed_url(site, spec.folder, "feed.json"), entries)


def feed_url(site: SiteConfig, folder: str, name: str) -> str:
    return site.home_url + quote(f"{folder}/{name}", safe="/-._~")


class EntrySource(Protocol):
    """Where the serialized entries of articles are: ``entries(ids, part)`` gives, in the order
    of ``ids``, each one's RSS ``<item>`` (part 0), Atom ``<entry>`` (1) or JSON Feed item (2)."""

    def entries(self, ids: Sequence[str], part: int, /) -> list[bytes]: ...


#: How many entries a feed file is made of at a time.
ENTRY_BATCH = 500


def _rss_file(spec: FeedSpec, site: SiteConfig, url: str, source: EntrySource) -> Iterator[bytes]:
    from .xml import rss_generator

    head = _hex_refs(rss_generator(spec, site, url, {}, {}, entries=False).rss_str(pretty=True))
    return _spliced(head, b"  </channel>", spec, source, 0)


def _atom_file(spec: FeedSpec, site: SiteConfig, url: str, source: EntrySource) -> Iterator[bytes]:
    from .xml import atom_generator

    head = atom_generator(spec, site, url, {}, {}, entries=False).atom_str(pretty=True)
    return _spliced(head, b"</feed>", spec, source, 1)


def _spliced(head: bytes, closing: bytes, spec: FeedSpec, source: EntrySource, part: int) -> Iterator[bytes]:
    at = head.rindex(closing)
    yield head[:at]
    ids = [a.id for a in spec.articles]
    for i in range(0, len(ids), ENTRY_BATCH):
        yield from source.entries(ids[i : i + ENTRY_BATCH], part)
    yield head[at:]


def _json_file(spec: FeedSpec, site: SiteConfig, url: str, source: EntrySource) -> Iterator[bytes]:
    yield json.dumps({
        "version": JSON_FEED_VERSION,
        "title": spec.title,
        "home_page_url": site.home_url,
        "feed_url": url,
        "description": spec.description,
        "language": site.language,
        "authors": [_json_author(Author(site.author_name or site.title))],
    }, ensure_ascii=False, indent=2)[:-2].encode("utf-8")
    # One item per line: readable, and written by json's C encoder (indent= is slow Python).
    if not spec.articles:
        yield b',\n  "items": []\n}\n'
        return
    yield b',\n  "items": [\n    '
    ids = [a.id for a in spec.articles]
    for i in range(0, len(ids), ENTRY_BATCH):
        for n, item in enumerate(source.entries(ids[i : i + ENTRY_BATCH], 2)):
            if i or n:
                yield b",\n    "
            yield item
    yield b"\n  ]\n}\n"


class _Entries:
    """Each article's RSS ``<item>``, Atom ``<entry>`` and JSON item, made once, in memory.

    An article is carried by the main feed and by a feed per tag: its entry is the
    same bytes in each, so it is rendered and serialized once per format, in batches
    (see :func:`make_entries`), then spliced into every feed that carries it.
    """

    def __init__(self, config: Config, on_render: Callable[[int], None] | None) -> None:
        self.site = config.site
        self.full = config.feeds.full_content
        self.on_render = on_render
        self.made: dict[str, Entry] = {}

    def prepare(self, articles: Sequence[Article]) -> None:
        """Make the entries of every article not made yet, on every core for a large site."""
        missing = [a for a in articles if a.id not in self.made]
        for batch in map_batches(make_entries, missing, self.site, self.full):
            for id_, *entry in batch:
                self.made[id_] = tuple(entry)  # type: ignore[assignment]
            if self.on_render:
                self.on_render(len(self.made))

    def entries(self, ids: Sequence[str], part: int) -> list[bytes]:
        return [self.made[i][part] for i in ids]


_Made = tuple[str, bytes, bytes, bytes]

#: An article's entries: its RSS ``<item>``, Atom ``<entry>`` and JSON Feed item, serialized.
Entry = tuple[bytes, bytes, bytes]


def entry_key(article: Article, config: Config) -> str:
    """What an article's feed entries are made from, as a hash: the article (its file, id, URL
    and dates) and the settings. The same key means the same entries."""
    made = f"{__version__}\0{config.site}\0{config.feeds.full_content}\0{article.id}\0{article_key(article)}"
    return hashlib.sha256(made.encode()).hexdigest()[:32]


def make_entries(batch: Sequence[Article], site: SiteConfig, full: bool) -> list[_Made]:
    """(id, RSS item, Atom entry, JSON item) for each article of ``batch``, rendered once: a
    feedgen feed of the batch, cut at its item tags. The tags are found in serialized XML where
    ``<`` in text is always escaped, so the cut cannot be fooled by content."""
    from ..content.render import render_html, summarize  # here: a build that makes no entry renders nothing
    from .xml import atom_generator, rss_generator

    html = {a.id: render_html(a) for a in batch} if full else {}
    summary = {a.id: summarize(a, html.get(a.id)) for a in batch}
    spec = FeedSpec("batch", "batch", "batch", tuple(batch))
    xml_html = {i: replacement_as_reference(h) for i, h in html.items()}
    rss = _cut(_hex_refs(rss_generator(spec, site, "", xml_html, summary).rss_str(pretty=True)),
               b"<item>", b"</item>")
    atom = _cut(atom_generator(spec, site, "", xml_html, summary).atom_str(pretty=True), b"<entry>", b"</entry>")
    return [
        (a.id, rss[i], atom[i], _json_item(a, site, html.get(a.id), summary[a.id]).encode("utf-8"))
        for i, a in enumerate(batch)
    ]


def _cut(xml: bytes, start: bytes, end: bytes) -> list[bytes]:
    """The serialized entries of a feed, each from its start tag's line to its end tag's line."""
    out = []
    pos = xml.find(start)
    while pos != -1:
        stop = xml.index(end, pos) + len(end) + 1
        out.append(xml[xml.rindex(b"\n", 0, pos) + 1 : stop])
        pos = xml.find(start, stop)
    return out


def replacement_as_reference(html: str) -> str:
    """HTML for the XML feeds with U+FFFD that an article means (quoting the replacement
    character) as the reference ``&#xFFFD;``: the same character to every reader, and no sign
    of a decoding error to a validator (the W3C one warns BadCharacters on a bare one)."""
    return html.replace("\ufffd", "&#xFFFD;") if "\ufffd" in html else html


def _hex_refs(xml: bytes) -> bytes:
    # The RSS Best Practices Profile asks for hexadecimal references for & and < in text,
    # which the W3C validator checks; they mean the same to every XML parser.
    return xml.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


def feed_updated(spec: FeedSpec) -> datetime:
    return max((a.updated for a in spec.articles), default=NO_ENTRY_DATE)


def entry_authors(article: Article, site: SiteConfig) -> tuple[Author, ...]:
    return article.authors or (Author(site.author_name or site.title, site.author_email),)


def image_type(url: str) -> str:
    return mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"


def _json_item(article: Article, site: SiteConfig, html: str | None, summary: str) -> str:
    item: dict = {"id": article.id, "url": article.url, "title": article.title}
    if html is not None:
        item["content_html"] = html
    else:
        item["content_text"] = summary
    item["summary"] = summary
    if article.image:
        item["image"] = article.image
    item["date_published"] = article.date.isoformat()
    item["date_modified"] = article.updated.isoformat()
    item["authors"] = [_json_author(a) for a in entry_authors(article, site)]
    if article.tags:
        item["tags"] = list(article.tags)
    return json.dumps(item, ensure_ascii=False)


def _json_author(author: Author) -> dict[str, str]:
    return {"name": author.name, **({"url": author.url} if author.url else {})}
