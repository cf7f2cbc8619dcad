"""The build: ``syndicate build`` and ``syndicate check``, from the content store to disk.

A build scans the content folder, reads and checks every article, renders what the
feeds carry, writes the feeds, the newsletter archive and a preview of the next issue
(only the files that changed), and records what was seen. When nothing that a build
depends on has changed (the files, the config, the templates, the issues made, the
time of the next scheduled article), the last build stands and nothing is read or
written, and the modules that read, render and write (``make``) are not even loaded. The
newsletter's part of a build is in ``newsletter.make``.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..config import Config
from ..content.model import SourceFile
from ..content.scan import scan_content
from ..errors import Problem
from ..output import all_as_left, sizes_as_left
from ..sources import fetch_sources, source_content
from ..state import Store, open_store
from ..templating import templates_state

if TYPE_CHECKING:
    from ..content.load import ProgressCallback
    from ..sources import FetchReport


@dataclass
class BuildReport:
    """What a build or check did, for the one-line summary and the exit code."""

    files: int = 0
    published: int = 0
    drafts: int = 0
    scheduled: int = 0
    expired: int = 0
    feeds: int = 0
    pages: int = 0  # article, tag and home pages ([site] pages)
    written: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    up_to_date: bool = False
    next_due: str | None = None
    preview: tuple[int, int] | None = None  # the next issue's number and article count, if any
    source_entries: int = 0  # entries of [[sources]] the build had (for the newsletter; republished ones in feeds)
    sources_fetched: int = 0  # sources fetched by this build (due ones only), of which:
    sources_not_modified: int = 0  # not modified (304, or the same bytes)
    sources_failed: int = 0  # failed (the problems say why)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def build_site(config: Config, *, now: datetime, strict: bool = False, allow_empty: bool = False,
               on_progress: ProgressCallback | None = None) -> BuildReport:
    """Build the feeds into the output folder, writing only what changed.

    Returns at once, reading no article, when the content files, the config and the
    time of the next scheduled article say the last build is still right. When no
    article can be published because every one failed, or the content folder is empty
    though the last build published some, the live feeds are kept (an error), unless
    ``allow_empty``.
    """
    with open_store(config) as store, _no_collector():
        # [[sources]]: fetch those due (the build's only network step, and none without sources),
        # then build from what is stored, so that a build between fetches writes the same bytes.
        fetched = fetch_sources(config, store, now=now) if config.sources else None
        sources = source_content(config, store) if config.sources else None
        files = scan_content(config.content_dir) if config.content_dir.is_dir() else []
        issues = store.issue_numbers()
        fingerprint = _fingerprint(config, files, (strict, allow_empty), issues, sources.key if sources else "")
        last = store.get("build")
        if last and _still_current(last, fingerprint, now, store, config):
            report = BuildReport(**last["report"])
            report.problems = [Problem(**p) for p in last["report"]["problems"]]
            report.preview = tuple(report.preview) if report.preview else None  # type: ignore[assignment]
            report.up_to_date, report.written, report.removed = True, 0, 0
            _count_fetches(report, fetched)
            return report

        # Something changed: load the reading, rendering and writing (most of the modules of a build);
        # and, on another core, the CSS inliner a preview made again needs, once entries are.
        from ..newsletter.inline import loaded_ahead

        with loaded_ahead() as load_inliner:
            from .make import rebuild

            context = _fingerprint(config, [], (strict, allow_empty), issues, sources.key if sources else "")
            report = rebuild(config, store, now=now, strict=strict, allow_empty=allow_empty, files=files,
                             fingerprint=fingerprint, context=context, last=last, fetched=fetched, sources=sources,
                             on_progress=on_progress, on_new_entries=load_inliner)
        _count_fetches(report, fetched)
        return report


def _count_fetches(report: BuildReport, fetched: FetchReport | None) -> None:
    """This build's own fetches (a kept report says those of the build that made it)."""
    if fetched is not None:
        report.sources_fetched, report.sources_not_modified, report.sources_failed = (
            fetched.asked, fetched.not_modified, fetched.failed)


@contextmanager
def _no_collector() -> Iterator[None]:
    """The cyclic garbage collector paused for the build: a build holds some 10^6 objects (10,000
    articles' heads) that each full collection would walk, for nothing (15% of a build after one
    article changed); what a build makes is freed by reference counting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _fingerprint(config: Config, files: list[SourceFile], strict: object, issues: list[int],
                 sources: str = "") -> str:
    """A hash of everything a build reads, except the clock (see :func:`_still_current`):
    the articles, the config, the templates, the issues made so far, and (``sources``) the key of
    what [[sources]] gave and how each source stands."""
    h = hashlib.sha256()
    h.update(f"{__version__}\0{strict}\0{config.site}{config.content}{config.feeds}{config.newsletter}\0".encode())
    h.update(f"{Path(config.output_dir).resolve()}\0{issues}".encode())
    for f in files:
        h.update(f"\0{f.rel}\0{f.mtime_ns}\0{f.size}".encode())
    h.update(templates_state(config.templates_dir).encode())
    if sources:
        h.update(f"\0sources\0{sources}".encode())
    return h.hexdigest()


def _still_current(last: dict, fingerprint: str, now: datetime, store: Store, config: Config) -> bool:
    if last.get("fingerprint") != fingerprint:
        return False
    due = last["report"].get("next_due")
    if due and datetime.fromisoformat(due) <= now:
        return False
    outputs = store.outputs()
    return all_as_left(sizes_as_left(config.output_dir, outputs), outputs)
