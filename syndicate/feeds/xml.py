"""The RSS 2.0 and Atom 1.0 documents of a feed, with feedgen, for ``formats``, which loads this
module only when it makes a feed file or an entry. Pure: no clock, no I/O.

feedgen's 1.0 defaults hold traps, each avoided here: its build dates default to now() (they
are set from the articles, so that the same content gives the same bytes), entries are
prepended unless ``order='append'``, the RSS channel ``<link>`` is the last link added (so
the home page goes last), and an entry enclosure breaks Atom (so the Atom image link is
added by a small extension of our own).
"""

from __future__ import annotations

from html import escape as html_escape

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from ..config import SiteConfig
from .formats import (
    GENERATOR,
    MEDIA_TYPES,
    NO_ENTRY_DATE,
    entry_authors,
    feed_updated,
    image_type,
    replacement_as_reference,
)
from .plan import FeedSpec


def _generator(spec: FeedSpec, site: SiteConfig, self_url: str, media_type: str) -> FeedGenerator:
    self_url = self_url or site.home_url  # a batch of entries (see _Entries) has no URL of its own
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(spec.title)
    fg.description(spec.description)
    fg.language(site.language)
    fg.generator(GENERATOR)
    fg.docs("https://www.rssboard.org/rss-specification")
    updated = feed_updated(spec)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.pubDate(max((a.date for a in spec.articles), default=NO_ENTRY_DATE))
    # Self first: RSS's channel <link> is the last link added, and must be the home page.
    fg.link(href=self_url, rel="self", type=media_type)
    fg.link(href=site.home_url, rel="alternate", type="text/html")
    return fg


def rss_generator(spec: FeedSpec, site: SiteConfig, self_url: str, html: dict[str, str],
                   summary: dict[str, str], *, entries: bool = True) -> FeedGenerator:
    fg = _generator(spec, site, self_url, MEDIA_TYPES["rss.xml"])
    fg.load_extension("dc", atom=False, rss=True)
    for article in spec.articles if entries else ():
        fe = fg.add_entry(order="append")
        fe.id(article.id)
        if article.id == article.url:  # a URL id (``[feeds] id = "url"``) is the permalink
            fe.guid(article.id, permalink=True)
        fe.title(article.title)
        fe.link(href=article.url)
        # <description> is HTML to every reader; the summary is plain text, so escape it.
        fe.description(replacement_as_reference(html_escape(summary[article.id], quote=False)))
        if article.id in html:
            fe.content(html[article.id])
        fe.published(article.date)
        for tag in article.tags:
            fe.category(term=tag)
        # RSS <author> must be an e-mail address; names go in dc:creator.
        fe.dc.dc_creator([a.name for a in entry_authors(article, site)])
        if article.image:
            fe.enclosure(article.image, "0", image_type(article.image))
    return fg


class _AtomImage(BaseExtension):
    """Feed half of the extension that writes an entry's image as an Atom enclosure link."""


class _AtomImageEntry(BaseEntryExtension):
    """Adds ``<link rel="enclosure">`` itself: feedgen's own entry links lose their rel."""

    def __init__(self) -> None:
        self.url: str | None = None

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        if self.url:
            xml_elem("link", entry, rel="enclosure", href=self.url, type=image_type(self.url))
        return entry


def atom_generator(spec: FeedSpec, site: SiteConfig, self_url: str, html: dict[str, str],
                    summary: dict[str, str], *, entries: bool = True) -> FeedGenerator:
    fg = _generator(spec, site, self_url, MEDIA_TYPES["atom.xml"])
    fg.author({"name": site.author_name or site.title, **({"email": site.author_email} if site.author_email else {})})
    fg.register_extension("image", _AtomImage, _AtomImageEntry, atom=True, rss=False)
    for article in spec.articles if entries else ():
        fe = fg.add_entry(order="append")
        fe.id(article.id)
        fe.title(article.title)
        fe.link(href=article.url)
        fe.published(article.date)
        fe.updated(article.updated)
        fe.summary(summary[article.id])
        if article.id in html:
            fe.content(html[article.id], type="html")
        for tag in article.tags:
            fe.category(term=tag)
        for author in entry_authors(article, site):
            fe.author({k: v for k, v in (("name", author.name), ("email", author.email),
                                         ("uri", author.url)) if v})
        fe.image.url = article.image
    return fg
