"""Feed autodiscovery: the feeds a web page announces with ``<link rel="alternate">``. Pure.

As feed readers do it (and as syndicate's own pages announce theirs): every ``<link>`` whose
``rel`` holds ``alternate`` and whose ``type`` is a feed's, its ``href`` resolved against the
page's address (or its ``<base href>``), in the order the page gives them (the site's main feed
comes first on nearly every site; a comments feed after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml")

#: A page is read only this far for its links (they are in its head).
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class FoundFeed:
    url: str
    type: str
    title: str


def discover_feeds(page: bytes | str, *, page_url: str) -> list[FoundFeed]:
    """The feeds ``page`` announces, absolute and http(s), each once, in the page's order."""
    text = page[:MAX_PAGE].decode("utf-8", "replace") if isinstance(page, bytes) else page[:MAX_PAGE]
    finder = _LinkFinder()
    try:
        finder.feed(text)
        finder.close()
    except (AssertionError, ValueError):  # html.parser gives up on a broken declaration: keep what was found
        pass
    base = urljoin(page_url, finder.base) if finder.base else page_url
    found, seen = [], set()
    for href, type_, title in finder.links:
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme in ("http", "https") and url not in seen:
            seen.add(url)
            found.append(FoundFeed(url, type_, " ".join(title.split())))
    return found


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "base"):
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base":
            self.base = self.base or values.get("href", "")
            return
        rel = values.get("rel", "").lower().split()
        type_ = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and type_ in FEED_TYPES and values.get("href", "").strip():
            self.links.append((values["href"], type_, values.get("title", "")))

    handle_startendtag = handle_starttag
