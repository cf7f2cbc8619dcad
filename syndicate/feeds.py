"""Articles → the bytes of RSS 2.0, Atom 1.0 and JSON Feed 1.1 files. Pure: no clock, no I/O.

RSS and Atom are written with feedgen, around the traps of its 1.0 defaults: its
build dates default to now() (we set them from the articles, so that the same
content gives the same bytes), entries are prepended unless ``order='append'``,
the RSS channel ``<link>`` is the last link added (so the home page goes last),
and an entry enclosure breaks Atom (so the Atom image link is added by our own
small extension). JSON Feed is written from the same data with the json module.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .config import Config, SiteConfig
from .content import Article, Author, slugify
from .render import render_html, summarize

FORMATS = ("rss.xml", "atom.xml", "feed.json")
MEDIA_TYPES = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "syndicate"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FeedSpec:
    """One feed to write (in all three formats): where, what it is called, what it holds."""

    folder: str  # under the output folder, e.g. "feeds" or "feeds/tags/python"
    title: str
    description: str
    articles: tuple[Article, ...]
    tag: str | None = None


class RenderCache:
    """Renders each article's HTML and summary once, however many feeds carry it."""

    def __init__(self, on_render: Callable[[], None] | None = None) -> None:
        self._html: dict[str, str] = {}
        self._summary: dict[str, str] = {}
        self._on_render = on_render

    def html(self, article: Article) -> str:
        html = self._html.get(article.id)
        if html is None:
            html = self._html[article.id] = render_html(article)
            if self._on_render:
                self._on_render()
        return html

    def summary(self, article: Article) -> str:
        text = self._summary.get(article.id)
        if text is None:
            html = None if article.summary or article.format == "text" else self.html(article)
            text = self._summary[article.id] = summarize(article, html)
        return text

    def __len__(self) -> int:
        return len(self._html)


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Newest date first; ties broken by id so that the order never depends on file order."""
    return sorted(articles, key=lambda a: (a.date, a.id), reverse=True)


def plan_feeds(articles: Sequence[Article], config: Config) -> list[FeedSpec]:
    """The main feed, then one feed per tag (tags that slug alike are one tag), each limited."""
    limit = config.feeds.limit or None
    ordered = newest_first(articles)
    site = config.site
    specs = [FeedSpec("feeds", site.title, site.description or site.title, tuple(ordered[:limit]))]
    if config.feeds.tag_feeds:
        by_slug: dict[str, list[Article]] = {}
        names: dict[str, str] = {}
        for article in ordered:
            for tag in article.tags:
                slug = slugify(tag)
                names.setdefault(slug, tag)
                by_slug.setdefault(slug, []).append(article)
        for slug in sorted(by_slug):
            tag = names[slug]
            specs.append(FeedSpec(
                f"feeds/tags/{slug}",
                f"{site.title}: {tag}",
                f"Articles tagged “{tag}” on {site.title}.",
                tuple(by_slug[slug][:limit]),
                tag=tag,
            ))
    return specs


def build_feeds(
    articles: Sequence[Article],
    config: Config,
    *,
    cache: RenderCache | None = None,
    on_feed: Callable[[FeedSpec], None] | None = None,
) -> dict[str, bytes]:
    """Every feed file: a mapping of path under the output folder → bytes."""
    cache = cache or RenderCache()
    files: dict[str, bytes] = {}
    for spec in plan_feeds(articles, config):
        files.update(render_feed(spec, config, cache))
        if on_feed:
            on_feed(spec)
    return files


def render_feed(spec: FeedSpec, config: Config, cache: RenderCache) -> dict[str, bytes]:
    """One feed in the three formats."""
    site = config.site
    urls = {name: feed_url(site, spec.folder, name) for name in FORMATS}
    full = config.feeds.full_content
    return {
        f"{spec.folder}/rss.xml": _rss(spec, site, urls["rss.xml"], cache, full),
        f"{spec.folder}/atom.xml": _atom(spec, site, urls["atom.xml"], cache, full),
        f"{spec.folder}/feed.json": _json_feed(spec, site, urls["feed.json"], cache, full),
    }


def feed_url(site: SiteConfig, folder: str, name: str) -> str:
    return home_url(site) + quote(f"{folder}/{name}", safe="/-._~")


def home_url(site: SiteConfig) -> str:
    return site.base_url.rstrip("/") + "/"


def _updated(spec: FeedSpec) -> datetime:
    return max((a.updated for a in spec.articles), default=_EPOCH)


def _authors(article: Article, site: SiteConfig) -> tuple[Author, ...]:
    return article.authors or (Author(site.author_name or site.title, site.author_email),)


def _image_type(url: str) -> str:
    return mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"


def _generator(spec: FeedSpec, site: SiteConfig, self_url: str, media_type: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(spec.title)
    fg.description(spec.description)
    fg.language(site.language)
    fg.generator(GENERATOR)
    fg.docs("https://www.rssboard.org/rss-specification")
    updated = _updated(spec)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.pubDate(max((a.date for a in spec.articles), default=_EPOCH))
    # Self first: RSS's channel <link> is the last link added, and must be the home page.
    fg.link(href=self_url, rel="self", type=media_type)
    fg.link(href=home_url(site), rel="alternate", type="text/html")
    return fg


def _rss(spec: FeedSpec, site: SiteConfig, self_url: str, cache: RenderCache, full: bool) -> bytes:
    fg = _generator(spec, site, self_url, MEDIA_TYPES["rss.xml"])
    fg.load_extension("dc", atom=False, rss=True)
    for article in spec.articles:
        fe = fg.add_entry(order="append")
        fe.id(article.id)
        fe.title(article.title)
        fe.link(href=article.url)
        fe.description(cache.summary(article))
        if full:
            fe.content(cache.html(article))
        fe.published(article.date)
        for tag in article.tags:
            fe.category(term=tag)
        # RSS <author> must be an e-mail address; names go in dc:creator.
        fe.dc.dc_creator([a.name for a in _authors(article, site)])
        if article.image:
            fe.enclosure(article.image, "0", _image_type(article.image))
    xml = fg.rss_str(pretty=True)
    # The RSS Best Practices Profile asks for hexadecimal references for & and < in text,
    # which the W3C validator checks; they mean the same to every XML parser.
    return xml.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


class _AtomImage(BaseExtension):
    """Feed half of the extension that writes an entry's image as an Atom enclosure link."""


class _AtomImageEntry(BaseEntryExtension):
    """Adds ``<link rel="enclosure">`` itself: feedgen's own entry links lose their rel."""

    def __init__(self) -> None:
        self.url: str | None = None

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        if self.url:
            xml_elem("link", entry, rel="enclosure", href=self.url, type=_image_type(self.url))
        return entry


def _atom(spec: FeedSpec, site: SiteConfig, self_url: str, cache: RenderCache, full: bool) -> bytes:
    fg = _generator(spec, site, self_url, MEDIA_TYPES["atom.xml"])
    fg.author({"name": site.author_name or site.title, **({"email": site.author_email} if site.author_email else {})})
    if spec.description:
        fg.subtitle(spec.description)
    fg.register_extension("image", _AtomImage, _AtomImageEntry, atom=True, rss=False)
    for article in spec.articles:
        fe = fg.add_entry(order="append")
        fe.id(article.id)
        fe.title(article.title)
        fe.link(href=article.url)
        fe.published(article.date)
        fe.updated(article.updated)
        fe.summary(cache.summary(article))
        if full:
            fe.content(cache.html(article), type="html")
        for tag in article.tags:
            fe.category(term=tag)
        for author in _authors(article, site):
            fe.author({k: v for k, v in (("name", author.name), ("email", author.email),
                                         ("uri", author.url)) if v})
        fe.image.url = article.image
    return fg.atom_str(pretty=True)


def _json_feed(spec: FeedSpec, site: SiteConfig, self_url: str, cache: RenderCache, full: bool) -> bytes:
    feed: dict = {
        "version": JSON_FEED_VERSION,
        "title": spec.title,
        "home_page_url": home_url(site),
        "feed_url": self_url,
        "description": spec.description,
        "language": site.language,
        "authors": [_json_author(Author(site.author_name or site.title))],
        "items": [],
    }
    for article in spec.articles:
        item: dict = {"id": article.id, "url": article.url, "title": article.title}
        summary = cache.summary(article)
        if full:
            item["content_html"] = cache.html(article)
        else:
            item["content_text"] = summary
        item["summary"] = summary
        if article.image:
            item["image"] = article.image
        item["date_published"] = article.date.isoformat()
        item["date_modified"] = article.updated.isoformat()
        item["authors"] = [_json_author(a) for a in _authors(article, site)]
        if article.tags:
            item["tags"] = list(article.tags)
        feed["items"].append(item)
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_author(author: Author) -> dict[str, str]:
    return {"name": author.name, **({"url": author.url} if author.url else {})}
