"""Reading the content store: every file parsed (on every core when large), problems collected, drafts and
scheduled articles set aside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from .._parallel import map_batches
from ..config import Config
from ..errors import CannotStartError, ContentError, Problem
from .model import Article, LoadResult, SiteContext, SourceFile
from .parse import parse_article
from .scan import read_source, scan_content

#: on_progress(stage, done, total): stages are "read", "render" and "write".
ProgressCallback = Callable[[str, int, int], None]


def load_articles(
    files: Iterable[SourceFile],
    site: SiteContext,
    *,
    now: datetime,
    display_root: str = "content",
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Read and check every file; broken ones become problems, the rest articles.

    Articles with ``draft: true`` (or ``published: false``, ``status: draft``), those dated
    (or with a ``publishDate``) after ``now`` and those whose ``expiryDate`` has passed are
    set aside, not published. Two files with one id, or one URL, are both named; the first by
    path is kept.
    """
    files = list(files)
    result = LoadResult(articles=[], files=files)
    by_id: dict[str, str] = {}
    by_url: dict[str, str] = {}
    done = 0
    for batch in map_batches(_read_batch, files, site, display_root):
        for source, article, problems in batch:
            result.problems.extend(problems)
            if article is not None:
                _admit(article, source, result, by_id, by_url, display_root, now)
        done += len(batch)
        if on_progress:
            on_progress(done)
    return result


def _read_batch(files: list[SourceFile], site: SiteContext, display_root: str,
                ) -> list[tuple[SourceFile, Article | None, list[Problem]]]:
    """Read and parse each file: its article (None if broken) and its problems."""
    out: list[tuple[SourceFile, Article | None, list[Problem]]] = []
    for source in files:
        shown = f"{display_root}/{source.rel}"
        if source.refused:
            out.append((source, None, [Problem(shown, source.refused)]))
            continue
        try:
            article, warnings = parse_article(source.rel, read_source(source), site)
        except ContentError as err:
            out.append((source, None, [Problem.from_error(err, shown)]))
        except OSError as err:
            out.append((source, None, [Problem(shown, f"cannot be read ({err.strerror}).")]))
        except Exception as err:  # noqa: BLE001 - one file, whatever it holds, never stops the others
            out.append((source, None, [Problem(shown, f"could not be read: {type(err).__name__}: {err}. This is "
                                                      "a bug in syndicate; please report it with the file.")]))
        else:
            out.append((source, article, [Problem.from_error(w, shown, "warning") for w in warnings]))
    return out


def _admit(article: Article, source: SourceFile, result: LoadResult, by_id: dict[str, str],
           by_url: dict[str, str], display_root: str, now: datetime) -> None:
    """Sort a parsed article into published, draft or scheduled, unless its id or URL is taken."""
    shown = f"{display_root}/{source.rel}"
    if article.id in by_id:
        result.problems.append(Problem(
            shown, f"has the id {article.id!r}, already used by {display_root}/{by_id[article.id]}. "
            "Give one of them its own 'id' or 'slug'; this one was left out."))
        return
    if article.url in by_url:
        result.problems.append(Problem(
            shown, f"has the slug {article.slug!r} and URL {article.url}, already used by "
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


def site_context(config: Config) -> SiteContext:
    return SiteContext(base_url=config.site.base_url, permalink=config.content.permalink, tz=config.tz)


def read_content(config: Config, *, now: datetime, strict: bool = False,
                 files: list[SourceFile] | None = None,
                 on_progress: ProgressCallback | None = None) -> LoadResult:
    """Scan and load the content store; with ``strict`` an article with a warning is left out."""
    if not config.content_dir.is_dir():
        raise CannotStartError(
            f"the content folder {config.content_shown!r} does not exist. Create it, or set "
            "[content] dir in syndicate.toml.")
    if files is None:
        files = scan_content(config.content_dir)
    progress = (lambda n: on_progress("read", n, len(files))) if on_progress else None
    result = load_articles(files, site_context(config), now=now, display_root=config.content_shown,
                           on_progress=progress)
    if strict:
        bad = {p.path for p in result.problems if p.level == "warning"}
        result.problems = [replace(p, level="error") for p in result.problems]
        shown = config.content_shown
        result.articles = [a for a in result.articles if f"{shown}/{a.path}" not in bad]
    return result
