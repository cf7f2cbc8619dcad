"""Fetching the sources that are due, and the stored entries a build is made from.

:func:`fetch_sources` is what ``syndicate build`` and ``run`` do first when ``[[sources]]`` are
configured: each source whose polite interval has passed is fetched (several at once, each
bounded by ``[fetch] timeout``), read, and its entries recorded in the state; a source that
fails is recorded as failing, with the reason, and the others go on. :func:`source_content`
then makes the build's articles from what is stored, for every source, fetched now or not, so
that a build between two fetches (or with no network) writes the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .. import __version__
from ..config import Config, SourceConfig, source_key
from ..content.model import Article
from ..errors import FetchError, Problem
from ..state import SourceState, Store
from .entries import entry_articles, merge_entries
from .polite import cache_max_age, describe_wait, next_fetch, parse_duration, retry_after

if TYPE_CHECKING:  # the HTTP client and feedparser are imported when a source is fetched, not at start-up
    from .fetch import FetchSettings, Response

#: At most this many feeds are fetched at once.
PARALLEL_FETCHES = 8

Fetcher = Callable[..., "Response"]

#: A build reads at most this many entries of one source, the last first seen: enough for any
#: issue and any feed, and a build costs the same after years of following a busy site.
KEPT_PER_SOURCE = 500


@dataclass
class FetchReport:
    """What one round of fetching did; ``problems`` are those seen for the first time (an
    entry dated in the future, entries with no id): a source's lasting state is reported by
    :func:`source_content`, once per build."""

    asked: int = 0
    not_modified: int = 0
    failed: int = 0
    new_entries: int = 0
    results: list[tuple[str, str]] = field(default_factory=list)  # (source name, how it went)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class SourceContent:
    """The build's part of ``[[sources]]``: the articles for the newsletter, those for the feeds
    (sources with ``republish``), each source's lasting problem, and a key of all of it."""

    newsletter: list[Article]
    feeds: list[Article]
    problems: list[Problem]
    key: str


def fetch_settings(config: Config) -> FetchSettings:
    from .fetch import FetchSettings

    fetch = config.fetch
    agent = fetch.user_agent or f"syndicate/{__version__} (+{config.site.home_url})"
    return FetchSettings(timeout=fetch.timeout, max_bytes=fetch.max_bytes, max_redirects=fetch.max_redirects,
                         user_agent=agent)


def state_of(source: SourceConfig, states: Mapping[str, SourceState]) -> SourceState | None:
    """The stored state of ``source``: by its URL; or, when its URL is the address an earlier
    source moved to for good (changed in syndicate.toml, as ``sources list`` suggests), that one's,
    so that its entries keep their identity and none goes out again."""
    key = source_key(source.url)
    if key in states:
        return states[key]
    return next((s for s in states.values() if s.moved_to and source_key(s.moved_to) == key), None)


def label(source: SourceConfig) -> str:
    """How problems name a source: its name and its URL."""
    return f"source {source.name!r} ({source.url})"


def fetch_sources(config: Config, store: Store, *, now: datetime, names: Collection[str] | None = None,
                  force: bool = False, fetcher: Fetcher | None = None) -> FetchReport:
    """Fetch every source that is due (or those ``names``, or all with ``force``, due or not,
    disabled ones too) and record what each gave. A failing source never stops the others."""
    report = FetchReport()
    states = store.source_states()
    todo = []
    with store.transaction():
        for source in config.sources:
            state = state_of(source, states)
            if state is None:  # first seen in the config: when it was added decides nothing but is shown
                state = SourceState(url=source_key(source.url), added_at=now)
                store.save_source_state(state)
            chosen = source.name in names if names is not None else True
            if chosen and (force or names is not None or _due(state, now)):
                todo.append((source, state))
    if not todo:
        return report
    settings = fetch_settings(config)
    if fetcher is None:
        from .fetch import fetch as fetcher

    def get(item: tuple[SourceConfig, SourceState]) -> Response | FetchError:
        source, state = item
        try:
            return fetcher(state.moved_to or source.url, settings=settings, etag=state.etag,
                           last_modified=state.last_modified)
        except FetchError as err:
            return err

    with ThreadPoolExecutor(max_workers=min(PARALLEL_FETCHES, len(todo))) as pool:
        outcomes = list(pool.map(get, todo))
    for (source, state), outcome in zip(todo, outcomes, strict=True):
        report.asked += 1
        with store.transaction():
            _record(config, store, source, state, outcome, now, report)
    return report


def _due(state: SourceState, now: datetime) -> bool:
    if state.status == "disabled":
        return False
    return state.next_fetch_at is None or state.next_fetch_at <= now


def _record(config: Config, store: Store, source: SourceConfig, state: SourceState,
            outcome: Response | FetchError, now: datetime, report: FetchReport) -> None:
    """Record one fetch: the source's new state and its entries. Call inside a transaction."""
    every = parse_duration(source.every or config.fetch.every)
    state = replace(state, fetched_at=now)
    if isinstance(outcome, FetchError):
        failures = state.failures + 1
        new = replace(state, status="failing", message=outcome.message, failures=failures,
                      next_fetch_at=next_fetch(now, every, failures=failures), last_result="failed")
        report.failed += 1
        report.results.append((source.name, f"failed: {outcome.message}"))
        store.save_source_state(new)
        return
    headers = outcome.headers
    state = replace(state, moved_to=outcome.moved_to or state.moved_to)
    if outcome.status in (200, 304):
        fresh = replace(state, failures=0, next_fetch_at=next_fetch(now, every, asked=cache_max_age(headers)),
                        etag=headers.get("etag", state.etag),
                        last_modified=headers.get("last-modified", state.last_modified))
        if outcome.status == 304 or (state.status in ("ok", "warning") and state.body_hash == _hash(outcome.body)):
            kept = state.status if state.status in ("ok", "warning") else "ok"
            said = "not modified" if outcome.status == 304 else "unchanged"
            store.save_source_state(replace(fresh, ok_at=now, status=kept, last_result=said,
                                            message=state.message if kept == "warning" else ""))
            report.not_modified += 1
            report.results.append((source.name, said))
        else:
            _read(config, store, source, state, fresh, outcome, now, report)
        return
    failures = state.failures + 1
    wait = retry_after(headers, now) if outcome.status in (429, 503) else None
    said = f"answered {outcome.status} {outcome.reason}".rstrip()
    if outcome.status == 410:
        new = replace(state, status="disabled", failures=failures, next_fetch_at=None, last_result="gone",
                      message=f"{said}: the feed is gone for good, so it is no longer fetched. Remove it from "
                              f"syndicate.toml, or run 'syndicate sources fetch \"{source.name}\"' to try it again")
    elif wait is not None:
        until = next_fetch(now, every, asked=wait)
        new = replace(state, status="waiting", failures=failures, next_fetch_at=until, last_result="asked to wait",
                      message=f"{said} and asked to wait {describe_wait(until - now)} (Retry-After), as it will")
    else:
        hint = "; check its url" if outcome.status in (401, 403, 404) else ""
        new = replace(state, status="failing", failures=failures, next_fetch_at=next_fetch(now, every,
                      failures=failures), message=said + hint, last_result="failed")
    report.failed += 1
    report.results.append((source.name, new.message))
    store.save_source_state(new)


def _read(config: Config, store: Store, source: SourceConfig, state: SourceState, fresh: SourceState,
          outcome: Response, now: datetime, report: FetchReport) -> None:
    """Read a feed that came whole (200): its entries merged with those known (``state`` is the
    source as it was, ``fresh`` as this fetch leaves it)."""
    try:
        # Read as from the configured URL, wherever redirects led: feedparser resolves an RSS guid
        # against it, and an entry's identity must not move with the feed.
        from .parse import parse_feed

        feed = parse_feed(outcome.body, url=source.url, content_type=outcome.headers.get("content-type", ""))
    except FetchError as err:
        failures = state.failures + 1
        every = parse_duration(source.every or config.fetch.every)
        store.save_source_state(replace(state, status="failing", message=err.message, failures=failures,
                                        next_fetch_at=next_fetch(now, every, failures=failures), etag="",
                                        last_modified="", body_hash="", last_result="failed"))
        report.failed += 1
        report.results.append((source.name, f"failed: {err.message}"))
        return
    known = {e.key: e for e in store.source_entries(state.url)}
    max_age = parse_duration(source.max_age or config.fetch.max_age, allow_zero=True)
    merged = merge_entries(feed.entries, known, source_url=state.url, now=now, max_age=max_age,
                           first_fetch=state.ok_at is None, site_host=_host(config))
    store.record_source_entries(merged.rows, now)
    warning = "; ".join(feed.warnings)
    said = f"{merged.new} new" + (f", {merged.left_out} older than max_age left out" if merged.left_out else "")
    store.save_source_state(replace(fresh, ok_at=now, status="warning" if warning else "ok", message=warning,
                                    title=feed.title, home=feed.home, body_hash=_hash(outcome.body),
                                    last_result=said))
    report.new_entries += merged.new
    report.results.append((source.name, f"{len(feed.entries)} entries, {said}"))
    for title in merged.future:
        report.problems.append(Problem(label(source), f"the entry {title!r} is dated in the future, so it is dated "
                                                      "when it was first seen instead.", level="warning"))
    if merged.hashed:
        report.problems.append(Problem(label(source), (
            f"{merged.hashed} of its entries have no id and no link, so each is known by a hash of its title and "
            "text: if the site edits one, it is taken as a new entry."), level="warning"))


def _hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _host(config: Config) -> str:
    return urlsplit(config.site.base_url).hostname or "localhost"


def source_content(config: Config, store: Store) -> SourceContent:
    """The articles the stored entries of every configured source make, with the problem of each
    source that is failing, waiting, disabled or read with a warning (one line, naming it)."""
    states = store.source_states()
    newsletter: list[Article] = []
    feeds: list[Article] = []
    problems: list[Problem] = []
    made = hashlib.sha256(repr(config.sources).encode())
    for source in config.sources:
        state = state_of(source, states)
        if state is None:
            continue
        key = state.url
        home = state.home or f"{urlsplit(source.url).scheme}://{urlsplit(source.url).netloc}/"
        made.update(f"\0{key}\0{state.status}\0{state.message}\0{home}".encode())
        if state.status in ("failing", "waiting", "disabled", "warning") and state.message:
            problems.append(Problem(label(source), state.message.rstrip(".") + ".", level="warning"))
        for row in store.source_entries(key, taken_only=True, newest=KEPT_PER_SOURCE):
            letter, feed = entry_articles(row, source, home=home, republish=source.republish)
            made.update(f"\0{row.article_id}\0{letter.digest}".encode())
            newsletter.append(letter)
            if feed is not None:
                feeds.append(feed)
    return SourceContent(newsletter, feeds, problems, made.hexdigest())


def every_of(config: Config, source: SourceConfig) -> timedelta:
    """The polite interval of ``source``: its own ``every``, else ``[fetch] every``."""
    return parse_duration(source.every or config.fetch.every)
