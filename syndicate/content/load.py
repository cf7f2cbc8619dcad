"""Reading the content store: every file parsed (on every core when large), problems collected, drafts and
scheduled articles set aside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Protocol

from .._parallel import map_batches
from ..config import Config
from ..errors import CannotStartError, ContentError, Problem, SyndicateError
from .cache import dump as dump_parse
from .cache import load as load_parse
from .cache import parse_key
from .identity import keep_stored_ids
from .model import Article, LoadResult, SiteContext, SourceFile
from .parse import parse_article
from .scan import read_source, scan_content

#: on_progress(stage, done, total): stages are "read", "render" and "write".
ProgressCallback = Callable[[str, int, int], None]

#: bodies(paths) → path → body: the bodies of articles taken from their kept heads (:func:`read_bodies`).
BodyReader = Callable[[list[str]], dict[str, bytes]]


class ParseCache(Protocol):
    """Where earlier builds kept each file's parse: ``get(path)`` → (key, head), or None."""

    def get(self, path: str, /) -> tuple[str, str] | None: ...


def load_articles(
    files: Iterable[SourceFile],
    site: SiteContext,
    *,
    now: datetime,
    display_root: str = "content",
    on_progress: Callable[[int], None] | None = None,
    known: Mapping[str, Mapping[str, str]] | None = None,
    cached: ParseCache | None = None,
    bodies: bool = True,
) -> LoadResult:
    """Read and check every file; broken ones become problems, the rest articles.

    ``known`` is what earlier builds recorded (``Store.articles()``: path → id, digest,
    first_seen): an article keeps the id it was first given (see :func:`keep_stored_ids`),
    a scraped article with no date keeps the time it was first seen, and one dated only to
    the day it was first seen keeps that moment.

    Articles with ``draft: true`` (or ``published: false``, ``status: draft``), those dated
    (or with a ``publishDate``) after ``now`` and those whose ``expiryDate`` has passed are
    set aside, not published. Two files with one id, or one URL, are both named; the first by
    path is kept.

    ``cached`` is what earlier builds kept of each file's parse (path → key, head; see
    ``cache``): a file whose key is unchanged is not read again, and its article comes without
    its body (``source`` is None), which :func:`read_bodies` reads when it is rendered. The
    parses made here that may be kept are in the result's ``parses``. Without ``bodies``, no
    article comes with its body: a build that renders a few of many reads theirs again.
    """
    files = list(files)
    known = known or {}
    result = LoadResult(articles=[], files=files)
    parsed: list[tuple[SourceFile, Article]] = []
    done = 0
    present = {f.rel for f in files}
    # Each file with when it was first seen; a new path may be a known file renamed (found by its
    # digest among the paths that are gone).
    cached = cached or {}
    work, reused, keys = [], {}, {}
    for f in files:
        seen = known[f.rel]["first_seen"] if f.rel in known else None
        keys[f.rel] = parse_key(f, seen, site, display_root)
        entry = cached.get(f.rel)
        if keys[f.rel] is not None and entry is not None and entry[0] == keys[f.rel]:
            try:
                reused[f.rel] = load_parse(entry[1])
                continue
            except (ValueError, TypeError, KeyError, IndexError):  # kept in another form, or damaged: read the file
                pass
        work.append((f, seen))
    gone = {row["digest"]: row["first_seen"] for path, row in known.items() if path not in present}
    fresh: dict[str, tuple[Article | None, list[Problem]]] = {}
    stamp = now.isoformat()  # what a new file's first sighting will be recorded as
    for batch in map_batches(_read_batch, work, site, display_root, gone, now, bodies):
        for source, head, body, once in batch:
            fresh[source.rel] = load_parse(head, body)
            # A new file's parse is kept with this build as its first sighting, unless it is a
            # known file renamed (its parse depends on when the old path was first seen) or one
            # whose parse says that it is seen for the first time.
            key = keys[source.rel] or (None if once else parse_key(source, stamp, site, display_root))
            result.fleeting += once
            if key is not None:
                result.parses[source.rel] = (key, head)
        done += len(batch)
        if on_progress:
            on_progress(done + len(reused))
    for source in files:  # in the order of the files, whichever were read again
        article, problems = reused.get(source.rel) or fresh[source.rel]
        result.problems.extend(problems)
        if article is not None:
            parsed.append((source, article))
    kept = keep_stored_ids([a for _, a in parsed], present, known)
    by_id: dict[str, str] = {}
    by_url: dict[str, str] = {}
    for (source, _), article in zip(parsed, kept, strict=True):
        _admit(article, source, result, by_id, by_url, display_root, now)
    return result


def _read_batch(files: list[tuple[SourceFile, str | None]], site: SiteContext, display_root: str,
                gone: dict[str, str], now: datetime, bodies: bool) -> list[tuple[SourceFile, str, bytes | None, bool]]:
    """Read and parse each file (with when it was first seen, if known; ``gone``: when the files
    that left their paths were first seen, by digest): its parse as ``cache.dump`` gives it (head
    and body; a broken file's head holds only its problems), and whether that parse holds for
    this first sighting only (see :func:`_parse_one`). Without ``bodies``, no body.

    Sent back as text and bytes: from a worker process, pickling 10,000 articles whole would
    cost more than the load of their heads here."""
    out: list[tuple[SourceFile, str, bytes | None, bool]] = []
    for source, seen in files:
        article, problems, once = _parse_one(source, seen, site, display_root, gone, now)
        head, body = dump_parse(article, problems)
        out.append((source, head, body if bodies else None, once))
    return out


def _parse_one(source: SourceFile, seen: str | None, site: SiteContext, display_root: str, gone: dict[str, str],
               now: datetime) -> tuple[Article | None, list[Problem], bool]:
    """One file's article (None if broken), its problems, and whether they hold for this build
    only: the file is a known one renamed, or an undated one told it is seen for the first time."""
    shown = f"{display_root}/{source.rel}"
    if source.refused:
        return None, [Problem(shown, source.refused)], False
    once = False
    try:
        data = read_source(source)
        if seen is None and gone:
            seen = gone.get(hashlib.sha256(data).hexdigest())
            once = seen is not None
        seen_at = datetime.fromisoformat(seen) if seen else now
        article, warnings = parse_article(source.rel, data, site, seen_at=seen_at)
        if article.undated and not seen:
            once = True
            pin = (f"add a first line 'Date: {now:%Y-%m-%d}' above the title" if article.format == "text" else
                   f"add <meta property=\"article:published_time\" content=\"{now:%Y-%m-%d}\"> to its head")
            warnings.append(ContentError(
                f"has no date, so it is published with the time syndicate first saw it "
                f"({now:%Y-%m-%d %H:%M %Z}), kept in the state database. To pin it, {pin}.", field="date"))
    except ContentError as err:
        return None, [Problem.from_error(err, shown)], once
    except OSError as err:
        return None, [Problem(shown, f"cannot be read ({err.strerror}).")], once
    except Exception as err:  # noqa: BLE001 - one file, whatever it holds, never stops the others
        return None, [Problem(shown, f"could not be read: {type(err).__name__}: {err}. This is "
                                     "a bug in syndicate; please report it with the file.")], once
    return article, [Problem.from_error(w, shown, "warning") for w in warnings], once


def _admit(article: Article, source: SourceFile, result: LoadResult, by_id: dict[str, str],
           by_url: dict[str, str], display_root: str, now: datetime) -> None:
    """Sort a parsed article into published, draft or scheduled, unless its id or URL is taken."""
    shown = f"{display_root}/{source.rel}"
    if article.id in by_id or article.url in by_url:
        result.left_out.append(source.rel)
        result.problems.append(Problem(
            shown, f"has the id {article.id!r}, already used by {display_root}/{by_id[article.id]}. "
            "Give one of them its own 'id' or 'slug'; this one was left out." if article.id in by_id else
            f"has the slug {article.slug!r} and URL {article.url}, already used by "
            f"{display_root}/{by_url[article.url]}. Set another 'slug'; this one was left out."))
        return
    by_id[article.id] = source.rel
    by_url[article.url] = source.rel
    if article.draft:
        result.drafts.append(article)
    elif article.expires_at is not None and article.expires_at <= now:
        result.expired.append(article)
    elif (article.publish_at or article.date) > now:
        result.scheduled.append(article)
    else:
        result.articles.append(article)


def read_bodies(paths: Iterable[str], files: Mapping[str, SourceFile], site: SiteContext) -> dict[str, bytes]:
    """The bodies of these article files (by path below the content folder; ``files``: the scan's),
    read again: those of articles taken from their kept heads, for the few entries, pages and
    previews a build renders again.

    :raises SyndicateError: a file can no longer be read (it changed while the build ran).
    """
    out = {}
    for rel in paths:
        try:
            out[rel] = parse_article(rel, read_source(files[rel]), site, seen_at=_ANY_TIME)[0].source or b""
        except (ContentError, OSError, KeyError) as err:
            raise SyndicateError(f"{rel} changed while the build read it ({err}). Run the build again.") from err
    return out


_ANY_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)  # a body does not depend on when its file was first seen


def site_context(config: Config) -> SiteContext:
    return SiteContext(base_url=config.site.base_url, permalink=config.content.permalink, tz=config.tz,
                       id_style=config.feeds.id, dialect=config.content.import_)


def read_content(config: Config, *, now: datetime, strict: bool = False,
                 files: list[SourceFile] | None = None,
                 on_progress: ProgressCallback | None = None,
                 known: Mapping[str, Mapping[str, str]] | None = None,
                 cached: ParseCache | None = None, bodies: bool = True) -> LoadResult:
    """Scan and load the content store; with ``strict`` an article with a warning is left out.

    ``known``: the articles earlier builds recorded, whose ids (and first-seen times) are kept;
    ``cached``: the parses they kept, so that only the files that changed are read; ``bodies``:
    see :func:`load_articles`.
    """
    if not config.content_dir.is_dir():
        raise CannotStartError(
            f"the content folder {config.content_shown!r} does not exist. Create it, or set "
            "[content] dir in syndicate.toml.")
    if files is None:
        files = scan_content(config.content_dir)
    progress = (lambda n: on_progress("read", n, len(files))) if on_progress else None
    result = load_articles(files, site_context(config), now=now, display_root=config.content_shown,
                           on_progress=progress, known=known, cached=cached, bodies=bodies)
    if strict:
        bad = {p.path for p in result.problems if p.level == "warning"}
        result.problems = [replace(p, level="error") for p in result.problems]
        shown = config.content_shown
        result.articles = [a for a in result.articles if f"{shown}/{a.path}" not in bad]
    return result
