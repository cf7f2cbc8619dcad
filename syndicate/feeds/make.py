"""The reading, rendering and writing of a build (``build.build_site`` decides whether one is needed),
and ``syndicate check``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from datetime import datetime

from .. import __version__
from .._parallel import map_batches
from ..config import Config, SiteConfig
from ..content.cache import article_key, bodiless, with_bodies
from ..content.load import BodyReader, ProgressCallback, read_bodies, read_content, site_context
from ..content.model import Article, LoadResult, SiteContext, SourceFile
from ..errors import Problem, TemplateError
from ..newsletter.make import render_preview, write_newsletter_files
from ..newsletter.plan import plan_issues
from ..output import Writer, all_as_left, sizes_as_left
from ..sources import FetchReport, SourceContent, source_content
from ..state import Store, has_state, open_store
from ..templating import template_env, templates_state
from . import catalogue
from .build import BuildReport
from .formats import FORMATS, build_feeds, entry_key, make_entries
from .plan import FeedSpec, plan_feeds, scheduled_change


def check_site(config: Config, *, now: datetime, strict: bool = False,
               on_progress: ProgressCallback | None = None) -> BuildReport:
    """Read and check everything, render every feed and a newsletter issue in memory, write nothing."""
    from ..newsletter.archive import archive_files
    from .pages import build_pages, plan_pages

    known = {}
    sources = None
    if has_state(config):  # the ids a build would keep, and the entries of [[sources]] fetched so far
        with open_store(config) as store:
            known = store.articles()
            sources = source_content(config, store) if config.sources else None
    result = read_content(config, now=now, strict=strict, on_progress=on_progress, known=known)
    feed_articles, letter_articles = _with_sources(result, sources)
    count = sum(1 for _ in build_feeds(plan_feeds(feed_articles, config), config))
    try:  # the templates: render an issue of the newest articles, as a first issue would be
        env = template_env(config.templates_dir)
        plans, _ = plan_issues(letter_articles, (), config=config, now=now, next_number=1, first=True)
        if plans:
            result.problems.extend(render_preview(plans[0], config, env)[1])
        archive_files([], config, env)
    except TemplateError as err:
        result.problems.append(Problem("newsletter", err.message))
    if config.writes_pages:  # which articles get no page, and the templates: the newest article's page
        planned, problems = plan_pages(result.articles, config)
        result.problems.extend(problems)
        try:
            build_pages(dict(list(planned.items())[:1]), config)
        except TemplateError as err:
            result.problems.append(Problem("pages", err.message))
    report = _report(result, feeds=count)
    report.source_entries = len(sources.newsletter) if sources else 0
    return report


def _with_sources(result: LoadResult, sources: SourceContent | None) -> tuple[list[Article], list[Article]]:
    """The articles of the feeds and those of the newsletter: the local ones, with the entries of
    [[sources]] (in the feeds, only those of sources with ``republish``); their problems joined."""
    if sources is None:
        return result.articles, result.articles
    result.problems.extend(sources.problems)
    return result.articles + sources.feeds, result.articles + sources.newsletter


def rebuild(config: Config, store: Store, *, now: datetime, strict: bool, allow_empty: bool,
            files: list[SourceFile], fingerprint: str, context: str, last: dict | None, fetched: FetchReport | None,
            sources: SourceContent | None, on_progress: ProgressCallback | None,
            on_new_entries: Callable[[], None] = lambda: None) -> BuildReport:
    """The build of :func:`~syndicate.feeds.build.build_site` once it found something changed (``files``:
    the scan; ``context``: the part of ``fingerprint`` that is not the files; ``last``: the last
    build's record; ``fetched``, ``sources``: what [[sources]] gave; ``on_new_entries()``: called
    before feed entries are made again, when they are).

    When the last build left a catalogue (``catalogue``) and it can follow the change, only the
    changed files are read; else every one is."""
    context = f"{context}\0{store.covered_count()}"
    follows = not strict and sources is None and not config.writes_pages and config.feeds.limit > 0
    if follows and last is not None:
        report = _rebuild_changed(config, store, now=now, files=files, fingerprint=fingerprint, context=context,
                                  on_progress=on_progress, on_new_entries=on_new_entries)
        if report is not None:
            return report
    known = store.articles()
    result = read_content(config, now=now, strict=strict, files=files, on_progress=on_progress,
                          known=known, cached=store.parses(),
                          # With pages, every body is rendered; else only those of the entries
                          # made again (a few hundred, or a batch at a time), read again then.
                          bodies=config.writes_pages)
    if fetched is not None:
        result.problems.extend(fetched.problems)  # seen for the first time (said once)
    feed_articles, letter_articles = _with_sources(result, sources)
    specs = plan_feeds(feed_articles, config)
    writer = Writer(config.output_dir)
    previous = store.outputs()
    failed = any(p.level == "error" for p in result.problems)
    published_before = int((last or {}).get("report", {}).get("published", 0))
    emptied = not result.files and published_before > 0
    if (not result.articles and (failed or emptied) and not allow_empty
            and any(rel.startswith("feeds/") for rel in previous)):
        # Every article failed (front matter broken by a bulk edit, an encoding gone wrong), or
        # the folder is empty (a mount that is missing): readers keep the feeds they have.
        # Their pages stay too: the newsletter's files are made again from the issues made.
        writer.keep({rel: size for rel, size in previous.items() if not rel.startswith("newsletters/")})
        why = ("no article could be published, so the feeds of the last build were kept as they are. Fix "
               "the errors above and build again." if failed else
               f"has no article, though the last build published {published_before}, so its feeds were kept "
               "as they are. If you emptied it on purpose, run 'syndicate build --allow-empty'.")
        result.problems.append(Problem(config.content_shown, why))
        specs = []
    carried = {a.id: a for spec in specs for a in spec.articles}
    by_rel = {f.rel: f for f in files}
    entry_keys = _make_entries(carried, config, store, by_rel, on_progress, on_new_entries)
    as_left = sizes_as_left(config.output_dir, previous)
    made_feeds = _write_feeds(specs, config, store, writer, as_left, entry_keys, on_progress)
    bodies = _body_reader(config, by_rel)
    pages, problems = _write_pages(result.articles, config, writer, store, as_left, bodies) \
        if config.writes_pages and specs else (0, [])
    result.problems.extend(problems)
    report = _report(result, feeds=sum(1 for rel in writer.written if rel.startswith("feeds/")))
    report.pages = pages
    report.source_entries = len(sources.newsletter) if sources else 0

    def record() -> None:
        store.record_articles(result.records(), now, known=known)
        store.record_parses(result.parses, (f.rel for f in result.files))
        kept = None
        if follows and specs:  # with the articles as just recorded: which hashes are covered depends on them
            kept = catalogue.catalogue_of(result, context=context, at=now, config=config,
                                          display_root=config.content_shown, entry_keys=entry_keys,
                                          covered=(store.covered_ids(), store.covered_digests()))
        store.record_catalogue(catalogue.dumps(kept) if kept else None)

    return _finish(config, store, writer, report, letter_articles, bodies, previous=previous, as_left=as_left,
                   carried=carried, made_feeds=made_feeds, fingerprint=fingerprint, now=now, record=record)


def _rebuild_changed(config: Config, store: Store, *, now: datetime, files: list[SourceFile], fingerprint: str,
                     context: str, on_progress: ProgressCallback | None,
                     on_new_entries: Callable[[], None]) -> BuildReport | None:
    """The build from the last build's catalogue, reading only the files that changed; None
    (having written nothing) when the catalogue cannot follow the change, or there is none."""
    kept = catalogue.loads(store.catalogue(), context)
    change = catalogue.changed_files(kept, files) if kept else None
    if kept is None or change is None:
        return None
    changed, gone = change
    known = store.articles_at([f.rel for f in changed])
    read = read_content(config, now=now, files=changed, known=known, bodies=False)
    new_paths = [a for a in read.seen if a.path not in known]
    if new_paths and store.paths_with_digests([a.digest for a in new_paths]):
        return None  # a known file moved here: a build that reads everything gives it its old id
    covered = store.covered_among([a.id for a in read.articles] + [row["id"] for row in known.values()],
                                  [a.digest for a in read.articles])
    # A covered article whose bytes changed changes which content hashes count as covered: if
    # another file has its old bytes or its new ones, that file's place in the next issue may too.
    new_digest = {a.path: a.digest for a in read.seen}
    moved_hashes = {d for rel, row in known.items() if row["id"] in covered[0] and new_digest.get(rel) != row["digest"]
                    for d in (row["digest"], new_digest.get(rel)) if d}
    if moved_hashes and store.paths_with_digests(sorted(moved_hashes)) - known.keys():
        return None
    made = catalogue.update(kept, read, gone, now=now, config=config, display_root=config.content_shown,
                            covered=covered)
    tally = catalogue.counts(made) if made else [0]
    if made is None or not tally[0]:
        return None
    letter_paths = catalogue.letter_paths(made, config)
    if letter_paths != catalogue.letter_paths(kept, config) or {f.rel for f in changed} & set(letter_paths):
        on_new_entries()  # the preview's articles changed: the CSS inliner loads while the feeds are made
    specs = catalogue.feed_specs(made, config)
    listed = {x.id: x for spec in specs for x in spec.articles}
    by_rel = {f.rel: f for f in files}
    articles = _articles_at(config, store, by_rel, read, now)
    # The entries of the articles whose entry key the catalogue does not hold, or not as kept:
    # those that changed, and those that moved up into a feed.
    stored = store.entry_keys()
    entry_keys = {i: x.entry_key for i, x in listed.items() if x.entry_key and stored.get(i) == x.entry_key}
    fresh = articles([x.path for i, x in listed.items() if i not in entry_keys])
    entry_keys.update(_make_entries({a.id: a for a in fresh.values()}, config, store, by_rel, on_progress,
                                    on_new_entries))
    writer = Writer(config.output_dir)
    previous = store.outputs()
    as_left = sizes_as_left(config.output_dir, previous)

    def read_specs(todo: list[FeedSpec]) -> list[FeedSpec]:
        found = articles([x.path for spec in todo for x in spec.articles])
        return [replace(spec, articles=tuple(found[x.path] for x in spec.articles)) for spec in todo]

    made_feeds = _write_feeds(specs, config, store, writer, as_left, entry_keys, on_progress, read_specs)
    letter = list(articles(letter_paths).values())
    report = BuildReport(files=len(files), published=tally[0], drafts=tally[1], scheduled=tally[2],
                         expired=tally[3], feeds=sum(1 for rel in writer.written if rel.startswith("feeds/")),
                         problems=catalogue.problems_of(made))
    due = catalogue.next_due(made)
    report.next_due = due.isoformat() if due else None

    def record() -> None:
        store.record_articles(read.records(), now, known=known)
        store.record_parses(read.parses, gone=gone)
        store.record_catalogue(catalogue.dumps(catalogue.with_entry_keys(made, entry_keys, config)))

    return _finish(config, store, writer, report, letter, _body_reader(config, by_rel), previous=previous,
                   as_left=as_left, carried=listed, made_feeds=made_feeds, fingerprint=fingerprint, now=now,
                   record=record)


def _articles_at(config: Config, store: Store, by_rel: dict[str, SourceFile], read: LoadResult,
                 now: datetime) -> Callable[[list[str]], dict[str, Article]]:
    """``articles(paths)``: the articles of these files (by path), those of ``read`` as read, the
    others from their kept parses (or, if a parse is not kept, their files), with the ids kept."""
    done = {a.path: a for a in read.seen}

    def articles(paths: list[str]) -> dict[str, Article]:
        todo = sorted({p for p in paths if p not in done})
        if todo:
            loaded = read_content(config, now=now, files=[by_rel[p] for p in todo], known=store.articles_at(todo),
                                  cached=store.parses_at(todo), bodies=False)
            done.update((a.path, a) for a in loaded.seen)
        return {p: done[p] for p in paths}

    return articles


def _finish(config: Config, store: Store, writer: Writer, report: BuildReport, letter_articles: list[Article],
            bodies: BodyReader, *, previous: dict[str, int], as_left: Callable[[str], int | None],
            carried: Iterable[str], made_feeds: dict[str, list], fingerprint: str, now: datetime,
            record: Callable[[], None]) -> BuildReport:
    """The rest of a build once its feeds (and pages) are written: the newsletter's files, the
    stale files removed, and all of it recorded (``record()``: the build's own records, in the
    same transaction)."""
    if not config.writes_pages:
        store.set("pages", {})  # no page is on disk to stand for a later build
    preview, problems = write_newsletter_files(config, letter_articles, store, writer, as_left=as_left,
                                               bodies=bodies)
    report.problems.extend(problems)
    # `newsletter --preview` writes next/ outside any build: it is stale like the rest.
    preview_dir = config.output_dir / "newsletters" / "next"
    previews = {f"newsletters/next/{p.name}" for p in preview_dir.glob("*") if p.is_file()}
    removed = writer.remove_stale(set(previous) | previews)
    report.written, report.removed = len(writer.changed), len(removed)
    report.preview = preview
    with store.transaction():
        record()
        store.forget_entries(carried)
        store.replace_outputs(writer.written)
        saved = asdict(report)
        saved.pop("up_to_date")
        store.set("feeds", made_feeds)
        store.set("build", {"fingerprint": fingerprint, "report": saved, "at": now.isoformat()})
    return report


def _write_pages(articles: list[Article], config: Config, writer: Writer, store: Store,
                 as_left: Callable[[str], int | None], bodies: BodyReader) -> tuple[int, list[Problem]]:
    """The article, tag and home pages: how many, and the problems.

    An article's page is made again only when its :func:`article_key`, the templates or the
    settings changed, or its file is not as the last build left it (``as_left``): editing one
    article of 10,000 renders one page. A broken page template is a problem that keeps the
    pages of the last good build: it must not stop the feeds.
    """
    from .pages import HOME_ARTICLES, build_pages, listing_keys, plan_pages  # here: a build without pages renders none

    planned, problems = plan_pages(articles, config)
    made = {a.id: [article_key(a), rel] for rel, a in planned.items()}
    listings = listing_keys(planned, {i: key for i, (key, _) in made.items()})
    last = store.get("pages") or {}
    same = last.get("key") == _pages_key(config)
    known = last.get("articles", {}) if same else {}
    listed = last.get("listings", {}) if same else {}
    kept = {rel: size for i, (key, rel) in made.items()
            if known.get(i) == [key, rel] and (size := as_left(rel)) is not None}
    kept.update({rel: size for rel, key in listings.items()
                 if listed.get(rel) == key and (size := as_left(rel)) is not None})
    # The bodies of the pages made again, and of the home page's articles if it is (it shows their summaries).
    need = bodiless([a for rel, a in planned.items() if rel not in kept]
                    + (list(planned.values())[:HOME_ARTICLES] if "index.html" not in kept else []))
    if need:
        read = bodies(need)
        planned = {rel: replace(a, source=read[a.path]) if a.path in read else a for rel, a in planned.items()}
    try:
        files = build_pages(planned, config, unchanged=kept.keys())
    except TemplateError as err:
        old = {p: s for p, s in store.outputs().items() if not p.startswith(("feeds/", "newsletters/"))}
        writer.keep(old)
        return len(old), [*problems, Problem("pages", err.message)]
    writer.keep(kept)
    for rel, data in files.items():
        writer.write(rel, data)
    store.set("pages", {"key": _pages_key(config), "articles": made, "listings": listings})
    return len(files) + len(kept), problems


def _write_feeds(specs: list[FeedSpec], config: Config, store: Store, writer: Writer,
                 as_left: Callable[[str], int | None], entry_keys: dict[str, str],
                 on_progress: ProgressCallback | None,
                 read: Callable[[list[FeedSpec]], list[FeedSpec]] = lambda todo: todo) -> dict[str, list]:
    """Write the feeds of ``specs``, but those whose :func:`_feed_key` is the last build's and
    whose files are as it left them: they are not even made again. Returns what to record of
    them for the next build (folder → key, file sizes). ``read(todo)``: the specs of the feeds
    to make, with their articles whole (a build from the catalogue plans with less of each)."""
    last = store.get("feeds") or {}
    keys = {spec.folder: _feed_key(spec, config, entry_keys) for spec in specs}
    todo = []
    for spec in specs:
        key, sizes = last.get(spec.folder) or (None, {})
        if key == keys[spec.folder] and sizes and all_as_left(as_left, sizes):
            writer.keep(sizes)
        else:
            todo.append(spec)
    total = len(todo) * len(FORMATS)
    todo = read(todo) if todo else todo
    for n, (rel, parts) in enumerate(build_feeds(todo, config, source=store.entry_source()), 1):
        writer.write(rel, parts)
        if on_progress:
            on_progress("write", n, total)
    return {spec.folder: [keys[spec.folder], {f"{spec.folder}/{name}": writer.written[f"{spec.folder}/{name}"]
                                              for name in FORMATS}] for spec in specs}


def _feed_key(spec: FeedSpec, config: Config, entry_keys: dict[str, str]) -> str:
    """What a feed's files are made from: the feed, the settings, and its entries (each one's
    :func:`entry_key`, by article id, in order)."""
    h = hashlib.sha256(f"{__version__}\0{config.site}\0{config.feeds}\0{spec.folder}\0{spec.title}\0"
                       f"{spec.description}\0{spec.tag}".encode("utf-8", "surrogatepass"))
    for article in spec.articles:
        h.update(f"\0{entry_keys[article.id]}".encode())
    return h.hexdigest()


ENTRY_BATCH_SIZE = 100  # articles rendered by a worker at a time
PARALLEL_ENTRIES = 300  # fewer than this are rendered in this process


def _make_entries(carried: dict[str, Article], config: Config, store: Store, by_rel: dict[str, SourceFile],
                  on_progress: ProgressCallback | None, on_new: Callable[[], None]) -> dict[str, str]:
    """Make the feed entries of the ``carried`` articles (by id) that have none kept, or whose
    kept ones were made from another article or other settings (:func:`entry_key`), and keep
    them, a batch at a time: the feeds are then made from the kept entries, so that even feeds
    of every article never hold them all in memory. Returns the entry keys, by article id."""
    keys = {i: entry_key(a, config) for i, a in carried.items()}
    kept = store.entry_keys()
    todo = [(a, by_rel.get(a.path)) for i, a in carried.items() if kept.get(i) != keys[i]]
    if todo:
        on_new()
    done = 0
    # Rendering is some 0.5 ms an article: a few hundred (the 20-item feeds of a large site) are
    # worth a worker per core.
    for batch in map_batches(_entries_of, todo, config.site, config.feeds.full_content, site_context(config),
                             batch_size=ENTRY_BATCH_SIZE, min_items=PARALLEL_ENTRIES):
        with store.transaction():
            store.record_entries((i, keys[i], rss, atom, item) for i, rss, atom, item in batch)
        done += len(batch)
        if on_progress:
            on_progress("render", done, len(todo))
    return keys


def _entries_of(batch: list[tuple[Article, SourceFile | None]], site: SiteConfig, full: bool,
                context: SiteContext) -> list[tuple[str, bytes, bytes, bytes]]:
    """The entries of these articles (in a worker process, for many), each with its body read
    from its file if it came from a kept head without."""
    files = {a.path: f for a, f in batch if a.source is None and f is not None}
    return make_entries(with_bodies([a for a, _ in batch], read_bodies(files, files, context)), site, full)


def _body_reader(config: Config, by_rel: dict[str, SourceFile]) -> BodyReader:
    """``bodies(paths)``: the bodies of these articles (``by_rel``: the scan's files by path), which
    came from their kept heads without."""
    site = site_context(config)
    return lambda paths: read_bodies(paths, by_rel, site)


def _pages_key(config: Config) -> str:
    """Everything but the article that goes into an article's page: the settings, the templates."""
    made = f"{__version__}\0{config.site}{config.content}{config.feeds}\0{templates_state(config.templates_dir)}"
    return hashlib.sha256(made.encode()).hexdigest()


def _report(result: LoadResult, *, feeds: int) -> BuildReport:
    # The next moment the feeds change by themselves: an article's time comes, or one expires (a
    # scheduled one may expire before its time comes: it is then held back as expired).
    due = min([scheduled_change(a) for a in result.scheduled]
              + [a.expires_at for a in result.articles if a.expires_at is not None], default=None)
    return BuildReport(
        files=len(result.files),
        published=len(result.articles),
        drafts=len(result.drafts),
        scheduled=len(result.scheduled),
        expired=len(result.expired),
        feeds=feeds,
        problems=list(result.problems),
        next_due=due.isoformat() if due else None,
    )
