"""Where the newsletter's pages are, and the feeds a page announces."""

from __future__ import annotations

from ..config import Config


def issue_url(config: Config, number: int) -> str:
    return f"{archive_url(config)}{number}/"


def archive_url(config: Config) -> str:
    return config.site.home_url + "newsletters/"


def archive_feed_url(config: Config) -> str:
    return archive_url(config) + "feed.xml"


def feed_links(config: Config) -> list[dict[str, str]]:
    """The feeds a web page announces with <link rel="alternate"> (autodiscovery)."""
    base = config.site.home_url
    title = config.site.title
    return [
        {"type": "application/rss+xml", "title": f"{title} (RSS)", "url": f"{base}feeds/rss.xml"},
        {"type": "application/atom+xml", "title": f"{title} (Atom)", "url": f"{base}feeds/atom.xml"},
        {"type": "application/feed+json", "title": f"{title} (JSON Feed)", "url": f"{base}feeds/feed.json"},
        {"type": "application/atom+xml", "title": f"{title}: newsletter archive",
         "url": archive_feed_url(config)},
    ]


def site_view(config: Config) -> dict[str, str]:
    site = config.site
    return {"title": site.title, "base_url": site.home_url, "description": site.description,
            "language": site.language}
