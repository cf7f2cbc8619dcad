"""The build: ``syndicate build`` and ``syndicate check``, from the content store to disk.

A build scans the content folder, reads and checks every article, renders what the
feeds carry, writes the feeds, the newsletter archive and a preview of the next issue
(only the files that changed), and records what was seen. When nothing that a build
depends on has changed (the files, the config, the templates, the issues made, the
time of the next scheduled article), the last build stands and nothing is read or
written. The newsletter's part of a build is in ``newsletter.make``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..config import Config
from ..content.load import ProgressCallback, read_content
from ..content.model import LoadResult, SourceFile
from ..content.scan import scan_content
from ..errors import Problem, TemplateError
from ..newsletter.archive import archive_files
from ..newsletter.make import render_preview, write_newsletter_files
from ..newsletter.plan import plan_issues
from ..output import Writer
from ..state import Store
from ..templating import packaged_templates, template_env
from .formats import FORMATS, build_feeds
from .plan import FeedSpec, plan_feeds


@dataclass
class BuildReport:
    """What a build or check did, for the one-line summary and the exit code."""

    files: int = 0
    published: int = 0
    drafts: int = 0
    scheduled: int = 0
    expired: int = 0
    feeds: int = 0
    written: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    up_to_date: bool = False
    next_due: str | None = None
    preview: tuple[int, int] | None = None  # the next issue's number and article count, if any

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def check_site(config: Config, *, now: datetime, strict: bool = False,
               on_progress: ProgressCallback | None = None) -> BuildReport:
    """Read and check everything, render every feed and a newsletter issue in memory, write nothing."""
    known = {}
    if config.state_path.is_file():  # the ids a build would keep
        with Store(config.state_path) as store:
            known = store.articles()
    result = read_content(config, now=now, strict=strict, on_progress=on_progress, known=known)
    count = sum(1 for _ in build_feeds(plan_feeds(result.articles, config), config))
    try:  # the templates: render an issue of the newest articles, as a first issue would be
        env = template_env(config.templates_dir)
        plans, _ = plan_issues(result.articles, (), config=config, now=now, next_number=1, first=True)
        if plans:
            result.problems.extend(render_preview(plans[0], config, env)[1])
        archive_files([], config, env)
    except TemplateError as err:
        result.problems.append(Problem("newsletter", err.message))
    return _report(result, feeds=count)


def build_site(config: Config, *, now: datetime, strict: bool = False, allow_empty: bool = False,
               on_progress: ProgressCallback | None = None) -> BuildReport:
    """Build the feeds into the output folder, writing only what changed.

    Returns at once, reading no article, when the content files, the config and the
    time of the next scheduled article say the last build is still right. When no
    article can be published because every one failed, or the content folder is empty
    though the last build published some, the live feeds are kept (an error), unless
    ``allow_empty``.
    """
    with Store(config.state_path) as store:
        files = scan_content(config.content_dir) if config.content_dir.is_dir() else []
        fingerprint = _fingerprint(config, files, (strict, allow_empty), store.issue_numbers())
        last = store.get("build")
        if last and _still_current(last, fingerprint, now, store, config):
            report = BuildReport(**last["report"])
            report.problems = [Problem(**p) for p in last["report"]["problems"]]
            report.preview = tuple(report.preview) if report.preview else None  # type: ignore[assignment]
            report.up_to_date, report.written, report.removed = True, 0, 0
            return report

        result = read_content(config, now=now, strict=strict, files=files, on_progress=on_progress,
                              known=store.articles())
        specs = plan_feeds(result.articles, config)
        writer = Writer(config.output_dir)
        previous = store.outputs()
        failed = any(p.level == "error" for p in result.problems)
        published_before = int((last or {}).get("report", {}).get("published", 0))
        emptied = not result.files and published_before > 0
        if (not result.articles and (failed or emptied) and not allow_empty
                and any(rel.startswith("feeds/") for rel in previous)):
            # Every article failed (front matter broken by a bulk edit, an encoding gone wrong), or
            # the folder is empty (a mount that is missing): readers keep the feeds they have.
            writer.keep({rel: size for rel, size in previous.items() if rel.startswith("feeds/")})
            why = ("no article could be published, so the feeds of the last build were kept as they are. Fix "
                   "the errors above and build again." if failed else
                   f"has no article, though the last build published {published_before}, so its feeds were kept "
                   "as they are. If you emptied it on purpose, run 'syndicate build --allow-empty'.")
            result.problems.append(Problem(config.content_shown, why))
            specs = []
        total = len(specs) * len(FORMATS)
        for n, (rel, data) in enumerate(build_feeds(specs, config, on_render=_counter(on_progress, specs)), 1):
            writer.write(rel, data)
            if on_progress:
                on_progress("write", n, total)
        feeds = len(writer.written)
        preview, problems = write_newsletter_files(config, result.articles, store, writer)
        result.problems.extend(problems)
        # `newsletter --preview` writes next/ outside any build: it is stale like the rest.
        preview_dir = config.output_dir / "newsletters" / "next"
        previews = {f"newsletters/next/{p.name}" for p in preview_dir.glob("*") if p.is_file()}
        removed = writer.remove_stale(set(store.outputs()) | previews)
        report = _report(result, feeds=feeds)
        report.written, report.removed = len(writer.changed), len(removed)
        report.preview = (preview.number, len(preview.article_ids)) if preview else None
        with store.transaction():
            store.record_articles(result.records(), now)
            store.replace_outputs(writer.written)
            saved = asdict(report)
            saved.pop("up_to_date")
            store.set("build", {"fingerprint": fingerprint, "report": saved, "at": now.isoformat()})
        return report


def _report(result: LoadResult, *, feeds: int) -> BuildReport:
    # The next moment the feeds change by themselves: an article's time comes, or one expires.
    due = min([a.publish_at or a.date for a in result.scheduled]
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


def _counter(on_progress: ProgressCallback | None, specs: list[FeedSpec]) -> Callable[[int], None] | None:
    if on_progress is None:
        return None
    total = len({a.id for spec in specs for a in spec.articles})
    return lambda done: on_progress("render", done, total)


def _fingerprint(config: Config, files: list[SourceFile], strict: object, issues: list[int]) -> str:
    """A hash of everything a build reads, except the clock (see :func:`_still_current`):
    the articles, the config, the templates and the issues made so far."""
    h = hashlib.sha256()
    h.update(f"{__version__}\0{strict}\0{config.site}{config.content}{config.feeds}{config.newsletter}\0".encode())
    h.update(f"{Path(config.output_dir).resolve()}\0{issues}".encode())
    for f in files:
        h.update(f"\0{f.rel}\0{f.mtime_ns}\0{f.size}".encode())
    for folder in filter(None, [config.templates_dir, packaged_templates()]):
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            st = path.stat()
            h.update(f"\0{path}\0{st.st_mtime_ns}\0{st.st_size}".encode())
    return h.hexdigest()


def _still_current(last: dict, fingerprint: str, now: datetime, store: Store, config: Config) -> bool:
    if last.get("fingerprint") != fingerprint:
        return False
    due = last["report"].get("next_due")
    if due and datetime.fromisoformat(due) <= now:
        return False
    writer = Writer(config.output_dir)
    for rel, size in store.outputs().items():
        try:
            if writer.path_for(rel).stat().st_size != size:
                return False
        except OSError:
            return False
    return True
