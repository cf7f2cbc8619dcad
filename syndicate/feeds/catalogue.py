"""What a build leaves for the next one, so that a build after a few files changed touches only
those: each file as scanned, each article's id, URL, status and tags, and the newest articles
of each feed and of the next issue, with a few more in reserve. Pure functions: the build
(``make``) reads and writes it with the state.

A build that reads every file spends some 0.1 s at 10,000 articles making an object of each
one, to check ids and URLs, sort the feeds and group the tags. With the catalogue, a build
after one file changed reads that file, and updates the feeds' lists from what it holds
(see :func:`update`). The lists are what the build that read everything would have made, as
long as what they depend on is unchanged; when it is not, or the change is of a kind the
lists cannot follow, :func:`update` gives None, and the build reads everything. The tests
compare both builds byte for byte.

It stands only for builds that the lists can follow: no [[sources]], no ``--strict``, no
article pages (whose tag pages list every article), 20-item (not whole-archive) feeds, and no
article left out as another's duplicate.
"""

from __future__ import annotations

import marshal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from ..config import Config
from ..content.identity import slugify
from ..content.model import Article, LoadResult, SourceFile
from ..errors import Problem
from .plan import FeedSpec, main_feed, scheduled_change, tag_feed

#: Articles kept in each list past the feed's limit (or the issue's), for the builds that take
#: some out: the 21st article of a tag moves up when one of its 20 is deleted. A list that runs
#: short (more deleted than this, between two builds that read everything) makes the build read
#: everything again, which fills it.
RESERVE = 20

#: More changed files than this, and the build reads everything (as fast, and simpler).
MAX_CHANGED = 64

PUBLISHED, DRAFT, SCHEDULED, EXPIRED = range(4)

_FORM = f"1 {sys.version_info[:2]}"  # marshal's format may change with Python's version


class Listed(NamedTuple):
    """An article in a list: what orders it and what its feeds' keys are made of."""

    ts: float  # its date as a POSIX timestamp (lists are newest first, then by id)
    id: str
    path: str  # its file, below the content folder
    entry_key: str | None  # its feed entries' key (formats.entry_key), once the build knew it
    tag: str | None  # in a tag's list: the article's own spelling of the tag


@dataclass
class Catalogue:
    context: str  # what else the build depended on (settings, templates, issues); must be the same
    at: str  # when the build that made it ran: a build at an earlier --now reads everything
    files: dict[str, tuple[int, int]]  # every file scanned: path → (mtime_ns, size)
    heads: dict[str, tuple]  # every article read: path → (id, url, status, tag slugs, in the next issue's list)
    problems: dict[str, list[tuple]]  # path → the problems of reading it (path, message, line, level)
    dues: dict[str, tuple[int, str]]  # path → when it changes status: (0, publish time) or (1, expiry)
    main: list[Listed]
    tags: dict[str, list[Listed]]  # by slug
    totals: dict[str, int]  # the published articles of each tag slug
    letter: list[Listed]  # the newest published articles no issue has covered
    letter_total: int


def catalogue_of(result: LoadResult, *, context: str, at: datetime, config: Config, display_root: str,
                 entry_keys: Mapping[str, str], covered: tuple[set[str], set[str]]) -> Catalogue | None:
    """The catalogue of a build that read every file (``entry_keys``: those it knew, by id;
    ``covered``: the ids and digests issues covered), or None when the build is not one that
    the lists can follow (see the module's docs)."""
    spelled = {a.path: _spellings(a) for a in result.seen}
    problems: dict[str, list[tuple]] = {}
    if (result.left_out or result.fleeting or len({f.rel for f in result.files}) != len(result.files)
            or any(_twice_tagged(a, spelled[a.path]) for a in result.articles)
            or not _by_file(result.problems, display_root, problems)):
        return None
    heads, dues = {}, {}
    ids, digests = covered
    for status, group in enumerate((result.articles, result.drafts, result.scheduled, result.expired)):
        for a in group:
            fresh = status == PUBLISHED and a.id not in ids and a.digest not in digests
            heads[a.path] = (a.id, a.url, status, tuple(spelled[a.path]), fresh)
            due = _due(a, status)
            if due:
                dues[a.path] = due
    # Newest first, then by id (as content.model.newest_first orders them), each dated once.
    ordered = sorted(((a.date.timestamp(), a.id, a.path) for a in result.articles), reverse=True)
    keep = config.feeds.limit + RESERVE
    tags: dict[str, list[Listed]] = {}
    totals: dict[str, int] = {}
    for ts, id_, path in ordered:
        for slug, tag in spelled[path].items():
            totals[slug] = totals.get(slug, 0) + 1
            listed = tags.setdefault(slug, [])
            if len(listed) < keep:
                listed.append(Listed(ts, id_, path, None, tag))
    main = [Listed(ts, id_, path, None, None) for ts, id_, path in ordered[:keep]]
    fresh = [(ts, id_, path) for ts, id_, path in ordered if heads[path][4]]
    letter = [Listed(ts, id_, path, None, None) for ts, id_, path in fresh[:_letter_keep(config)]]
    made = Catalogue(context, at.isoformat(), {f.rel: (f.mtime_ns, f.size) for f in result.files}, heads,
                     problems, dues, main, tags, totals, letter, len(fresh))
    return with_entry_keys(made, entry_keys, config)


def changed_files(catalogue: Catalogue, files: Sequence[SourceFile]) -> tuple[list[SourceFile], list[str]] | None:
    """The files that are new or changed since the catalogue's build, and the paths gone; None
    when there are too many, or files both came and went (one may be the other, moved)."""
    known = catalogue.files
    present = {f.rel for f in files}
    if len(present) != len(files):  # names that are not UTF-8 and show alike: two files, one path
        return None
    changed = [f for f in files if known.get(f.rel) != (f.mtime_ns, f.size)]
    gone = sorted(known.keys() - present)
    if len(changed) + len(gone) > MAX_CHANGED or (gone and any(f.rel not in known for f in changed)):
        return None
    return changed, gone


def update(catalogue: Catalogue, read: LoadResult, gone: Sequence[str], *,
           now: datetime, config: Config, display_root: str, covered: tuple[set[str], set[str]],
           ) -> Catalogue | None:
    """The catalogue after the files of ``read`` (the changed ones, read again) changed and those
    ``gone`` went, at ``now``; None when the lists cannot follow the change (see the module)."""
    due = next_due(catalogue)
    if (read.left_out or read.fleeting or any(_twice_tagged(a) for a in read.articles)
            or datetime.fromisoformat(catalogue.at) > now or (due is not None and due <= now)):
        return None  # (a scheduled article whose time came, or one that expired: others may have)
    heads = dict(catalogue.heads)
    problems = dict(catalogue.problems)
    dues = dict(catalogue.dues)
    main, letter = list(catalogue.main), list(catalogue.letter)
    tags = {slug: list(listed) for slug, listed in catalogue.tags.items()}
    totals = dict(catalogue.totals)
    letter_total = catalogue.letter_total
    total = sum(1 for head in heads.values() if head[2] == PUBLISHED)  # of the main feed's list
    for rel in [*(f.rel for f in read.files), *gone]:  # take each changed file's article out of every list
        old = heads.pop(rel, None)
        problems.pop(rel, None)
        dues.pop(rel, None)
        if old is None or old[2] != PUBLISHED:
            continue
        total -= 1
        main = [x for x in main if x.path != rel]
        for slug in old[3]:
            tags[slug] = [x for x in tags[slug] if x.path != rel]
            totals[slug] -= 1
        if old[4]:
            letter = [x for x in letter if x.path != rel]
            letter_total -= 1
    if not _by_file(read.problems, display_root, problems):
        return None
    ids = {head[0]: rel for rel, head in heads.items()}
    urls = {head[1]: rel for rel, head in heads.items()}
    ids_covered, digests_covered = covered
    for status, group in enumerate((read.articles, read.drafts, read.scheduled, read.expired)):
        for a in group:
            if a.id in ids or a.url in urls:  # another file's: the build that reads everything names both
                return None
            ids[a.id], urls[a.url] = a.path, a.path
            fresh = status == PUBLISHED and a.id not in ids_covered and a.digest not in digests_covered
            heads[a.path] = (a.id, a.url, status, tuple(_spellings(a)), fresh)
            due = _due(a, status)
            if due:
                dues[a.path] = due
    keep = config.feeds.limit + RESERVE
    for a in read.articles:
        ts = a.date.timestamp()
        main = _insert(main, Listed(ts, a.id, a.path, None, None), total, keep)
        total += 1
        for slug, tag in _spellings(a).items():
            tags[slug] = _insert(tags.get(slug, []), Listed(ts, a.id, a.path, None, tag), totals.get(slug, 0), keep)
            totals[slug] = totals.get(slug, 0) + 1
        if heads[a.path][4]:
            letter = _insert(letter, Listed(ts, a.id, a.path, None, None), letter_total, _letter_keep(config))
            letter_total += 1
    limit = config.feeds.limit
    if not _complete(main, total, limit) or (
            config.feeds.tag_feeds and not all(_complete(tags[s], n, limit) for s, n in totals.items())):
        return None
    # One issue per article: the next is the oldest not covered, so the list must hold them all.
    if not _complete(letter, letter_total, letter_total if config.per_article else config.newsletter.max_articles):
        return None
    tags = {slug: listed for slug, listed in tags.items() if totals[slug]}
    totals = {slug: n for slug, n in totals.items() if n}
    known = dict(catalogue.files)
    for rel in gone:
        del known[rel]
    known.update((f.rel, (f.mtime_ns, f.size)) for f in read.files)
    return Catalogue(catalogue.context, now.isoformat(), known, heads, problems, dues, main, tags, totals, letter,
                     letter_total)


def _insert(listed: list[Listed], item: Listed, total: int, keep: int) -> list[Listed]:
    """``listed`` (the newest ``len(listed)`` of ``total`` articles) with ``item`` where it
    goes, unless it goes past the end of a list that does not hold them all."""
    if len(listed) < total and (not listed or (item.ts, item.id) < (listed[-1].ts, listed[-1].id)):
        return listed
    return sorted([*listed, item], key=lambda x: (x.ts, x.id), reverse=True)[:keep]


def _complete(listed: list[Listed], total: int, needed: int) -> bool:
    """Whether ``listed`` holds the newest ``needed`` of its ``total`` articles (or all)."""
    return len(listed) >= min(total, needed)


def feed_specs(catalogue: Catalogue, config: Config) -> list[FeedSpec]:
    """The feeds, as :func:`~syndicate.feeds.plan.plan_feeds` plans them from every article, but
    with each article as its :class:`Listed` (``make`` reads those of the feeds it writes)."""
    limit = config.feeds.limit
    specs = [main_feed(tuple(catalogue.main[:limit]), config)]  # type: ignore[arg-type]
    if config.feeds.tag_feeds:
        for slug in sorted(catalogue.tags):
            listed = catalogue.tags[slug][:limit]
            specs.append(tag_feed(slug, listed[0].tag or slug, tuple(listed), config))  # type: ignore[arg-type]
    return specs


def letter_paths(catalogue: Catalogue, config: Config) -> list[str]:
    """The files of the articles the next issue is chosen from (the newest of those no issue
    covered; all of them for one issue per article, whose next is the oldest)."""
    listed = catalogue.letter if config.per_article else catalogue.letter[:config.newsletter.max_articles]
    return [x.path for x in listed]


def problems_of(catalogue: Catalogue) -> list[Problem]:
    """The problems of reading the files, in the order of the files (as a build that reads them all lists them)."""
    return [Problem(*p) for rel in sorted(catalogue.problems) for p in catalogue.problems[rel]]


def counts(catalogue: Catalogue) -> list[int]:
    """How many articles are published, drafts, scheduled and expired."""
    out = [0, 0, 0, 0]
    for head in catalogue.heads.values():
        out[head[2]] += 1
    return out


def next_due(catalogue: Catalogue) -> datetime | None:
    """When the feeds change by themselves next. Of two moments that are one instant written with
    different offsets, the one ``make._report`` meets first (scheduled articles first, then
    expiries, each in the order of the files), as the build's record shows it."""
    dues = sorted((kind, rel, at) for rel, (kind, at) in catalogue.dues.items())
    return min((datetime.fromisoformat(at) for _, _, at in dues), default=None)


def with_entry_keys(catalogue: Catalogue, keys: Mapping[str, str], config: Config) -> Catalogue:
    """The catalogue with the entry keys of the articles its feeds carry (``keys``, by article
    id) in its lists. An article past a feed's limit has none: if no feed carries it, its
    entries are forgotten, and must be made again when it moves up."""
    limit = config.feeds.limit

    def known(listed: list[Listed]) -> list[Listed]:
        return [x._replace(entry_key=keys.get(x.id) if n < limit else None) for n, x in enumerate(listed)]

    catalogue.main = known(catalogue.main)
    catalogue.tags = {slug: known(listed) for slug, listed in catalogue.tags.items()}
    return catalogue


def dumps(catalogue: Catalogue) -> bytes:
    return marshal.dumps((_FORM, catalogue.context, catalogue.at, catalogue.files, catalogue.heads,
                          catalogue.problems, catalogue.dues, [tuple(x) for x in catalogue.main],
                          {s: [tuple(x) for x in v] for s, v in catalogue.tags.items()}, catalogue.totals,
                          [tuple(x) for x in catalogue.letter], catalogue.letter_total))


def loads(data: bytes | None, context: str) -> Catalogue | None:
    """The catalogue :func:`dumps` wrote, if it was made in this ``context``; None if not, or if
    it is of another form or damaged."""
    if not data:
        return None
    try:
        form, kept, at, files, heads, problems, dues, main, tags, totals, letter, letter_total = marshal.loads(data)
        if form != _FORM or kept != context:
            return None
        if not all(isinstance(x, dict) for x in (files, heads, problems, dues, tags, totals)):
            return None  # damaged
        return Catalogue(kept, at, files, heads, problems, dues, [Listed(*x) for x in main],
                         {s: [Listed(*x) for x in v] for s, v in tags.items()}, totals,
                         [Listed(*x) for x in letter], letter_total)
    except (ValueError, TypeError, EOFError):
        return None


def _by_file(found: list[Problem], display_root: str, into: dict[str, list[tuple]]) -> bool:
    """Add each problem to those of its file (by path below the content folder); False if one is
    not a file's."""
    prefix = display_root + "/"
    for p in found:
        if not p.path.startswith(prefix):
            return False
        into.setdefault(p.path[len(prefix):], []).append((p.path, p.message, p.line, p.level))
    return True


def _spellings(article: Article) -> dict[str, str]:
    """The article's tag slugs, each with its first spelling (as ``plan.by_tag`` names a tag)."""
    out: dict[str, str] = {}
    for tag in article.tags:
        out.setdefault(slugify(tag), tag)
    return out


def _twice_tagged(article: Article, spelled: dict[str, str] | None = None) -> bool:
    """Two of its tags slug alike (``Café``, ``cafe``): ``plan.by_tag`` lists it twice in that tag's feed."""
    return len(spelled if spelled is not None else _spellings(article)) != len(article.tags)


def _due(article: Article, status: int) -> tuple[int, str] | None:
    if status == SCHEDULED:
        return 0, scheduled_change(article).isoformat()
    if status == PUBLISHED and article.expires_at is not None:
        return 1, article.expires_at.isoformat()
    return None


def _letter_keep(config: Config) -> int:
    return (1 if config.per_article else config.newsletter.max_articles) + RESERVE
