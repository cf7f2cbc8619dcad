"""Which articles go into the next issue. Pure: the published articles and the ids already covered in,
plans out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..config import Config
from ..content.model import Article, newest_first


@dataclass(frozen=True)
class IssuePlan:
    """An issue to make: its number, its date and its articles (lead first)."""

    number: int
    date: datetime
    articles: tuple[Article, ...]


def plan_issues(
    articles: Sequence[Article],
    covered: Collection[str],
    *,
    config: Config,
    next_number: int,
    now: datetime,
    first: bool,
    since: datetime | None = None,
    covered_digests: Collection[str] = (),
) -> tuple[list[IssuePlan], list[str]]:
    """The issues to make now, and the ids of articles to mark covered without sending.

    New articles are the published ones no issue has covered, whatever their date
    (an old post added today was never sent); an article whose content hash is in
    ``covered_digests`` is a covered one renamed, and is not new. ``digest`` puts the newest
    ``max_articles`` in one issue (the rest wait for the next); ``per_article`` (and "on publish")
    makes one issue per article, oldest first. The backlog found by the very first issue is
    not mailed: it takes the newest articles and the older ones are marked covered.
    ``since`` marks everything dated before it covered instead.

    Entries of ``[[sources]]`` (an ``origin``) join digest issues after the local articles, up
    to ``max_from_sources``, by the same rules, counted apart; ``per_article`` issues leave them out.
    """
    settings = config.newsletter
    fresh = [a for a in newest_first(articles) if a.id not in covered and a.digest not in covered_digests]
    local = [a for a in fresh if not a.origin]
    remote = [a for a in fresh if a.origin] if not config.per_article else []
    local, backlog = _backlog(local, since, first, settings.max_articles if not config.per_article else 1)
    remote, remote_backlog = _backlog(remote, since, first, settings.max_from_sources)
    backlog += remote_backlog
    if not config.per_article:
        chosen = tuple(local[: settings.max_articles] + remote[: settings.max_from_sources])
        plans = [IssuePlan(next_number, now, chosen)] if chosen else []
    else:
        plans = [IssuePlan(next_number + i, now, (a,)) for i, a in enumerate(reversed(local))]
    return plans, [a.id for a in backlog]


def _backlog(new: list[Article], since: datetime | None, first: bool, keep: int) -> tuple[list[Article], list[Article]]:
    """(the new articles to send, those to mark covered): before ``since``, or past the ``keep``
    newest of the very first issue."""
    if since is not None:
        return [a for a in new if a.date >= since], [a for a in new if a.date < since]
    if first:
        return new[:keep], new[keep:]
    return new, []
