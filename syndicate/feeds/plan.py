"""Which feeds a site has (the main feed and one per tag) and which articles each carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..config import Config
from ..content.identity import slugify
from ..content.model import Article, newest_first


@dataclass(frozen=True)
class FeedSpec:
    """One feed to write (in all three formats): where, what it is called, what it holds."""

    folder: str  # under the output folder, e.g. "feeds" or "feeds/tags/python"
    title: str
    description: str
    articles: tuple[Article, ...]
    tag: str | None = None


def plan_feeds(articles: Sequence[Article], config: Config) -> list[FeedSpec]:
    """The main feed, then one feed per tag (tags that slug alike are one tag), each limited."""
    limit = config.feeds.limit or None
    ordered = newest_first(articles)
    specs = [main_feed(tuple(ordered[:limit]), config)]
    if config.feeds.tag_feeds:
        by_slug, names = by_tag(ordered)
        specs.extend(tag_feed(slug, names[slug], tuple(by_slug[slug][:limit]), config) for slug in sorted(by_slug))
    return specs


def main_feed(articles: tuple[Article, ...], config: Config) -> FeedSpec:
    """The feed of every article (``articles``: its newest, as many as it carries)."""
    site = config.site
    return FeedSpec("feeds", site.title, site.description or site.title, articles)


def tag_feed(slug: str, tag: str, articles: tuple[Article, ...], config: Config) -> FeedSpec:
    """The feed of a tag (``tag``: as it is shown), of its newest ``articles``."""
    site = config.site
    return FeedSpec(f"feeds/tags/{slug}", f"{site.title}: {tag}", f"Articles tagged “{tag}” on {site.title}.",
                    articles, tag=tag)


def scheduled_change(article: Article) -> datetime:
    """When a scheduled article stops being one: its time comes, or it expires first."""
    due = article.publish_at or article.date
    return min(due, article.expires_at) if article.expires_at is not None else due


def by_tag(articles: Sequence[Article]) -> tuple[dict[str, list[Article]], dict[str, str]]:
    """The articles of each tag slug, in the order given, and the name each slug is shown by
    (the first spelling met): tags that slug alike (``Café``, ``cafe``) are one tag."""
    grouped: dict[str, list[Article]] = {}
    names: dict[str, str] = {}
    for article in articles:
        for tag in article.tags:
            slug = slugify(tag)
            names.setdefault(slug, tag)
            grouped.setdefault(slug, []).append(article)
    return grouped, names
