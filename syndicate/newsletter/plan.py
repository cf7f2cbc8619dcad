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
    """
    settings = config.newsletter
    new = [a for a in newest_first(articles) if a.id not in covered and a.digest not in covered_digests]
    backlog: list[Article] = []
    if since is not None:
        backlog = [a for a in new if a.date < since]
        new = [a for a in new if a.date >= since]
    elif first:
        keep = 1 if config.per_article else settings.max_articles
        new, backlog = new[:keep], new[keep:]
    if not config.per_article:
        plans = [IssuePlan(next_number, now, tuple(new[: settings.max_articles]))] if new else []
    else:
        plans = [IssuePlan(next_number + i, now, (a,)) for i, a in enumerate(reversed(new))]
    return plans, [a.id for a in backlog]
