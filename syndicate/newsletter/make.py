"""Making issues: ``syndicate newsletter`` (planned, rendered, then recorded), the preview of the
next issue and the archive's files for a build.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .. import __version__
from ..config import Config
from ..content.cache import article_key, bodiless, with_bodies
from ..content.load import BodyReader, read_content
from ..content.model import Article
from ..errors import Problem, TemplateError
from ..output import Writer, all_as_left
from ..sources import source_content
from ..state import Issue, Store, open_store
from ..templating import template_env, templates_state
from .plan import IssuePlan, plan_issues

if TYPE_CHECKING:
    import jinja2  # the environments come from templating.template_env, which loads it

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def write_newsletter_files(config: Config, articles: list[Article], store: Store, writer: Writer, *,
                           as_left: Callable[[str], int | None] = lambda rel: None,
                           bodies: BodyReader | None = None,
                           ) -> tuple[tuple[int, int] | None, list[Problem]]:
    """The newsletter archive, each issue's folder, and a preview of the next issue: the
    preview's (number, article count), if there is one, and the problems.

    The archive is made again only when an issue, the settings or the templates changed, and
    the preview only when its articles, the settings or the templates changed, or when their
    files are not as the last build left them (``as_left(rel)``: the size the
    last build recorded, if the file still has it, else None). A broken template is reported as
    a problem and leaves the newsletter files of the last good build in place: it must not stop
    the feeds. ``bodies`` reads the bodies of articles taken from their kept heads.
    """
    # Made when first needed, once: a build that changes no issue loads no template (nor the modules
    # that render one, loaded here when needed).
    env = functools.cache(lambda: template_env(config.templates_dir))
    try:
        issues = store.issues()
        # The archive (its pages, its feed, each issue's folder) is made again only when the issues,
        # the settings or the templates changed, or its files are not as the last build left them.
        archive_key = _archive_key(issues, config)
        archived = store.get("archive") or {}
        made_archive = archived.get("key") != archive_key or not all_as_left(as_left, archived.get("files", {}))
        files = {}
        if made_archive:
            from .archive import archive_files

            files = archive_files(issues, config, env())
        plans, _ = plan_next(store, issues, articles, config, now=_EPOCH)
        if not plans:
            preview, problems = None, []
        else:
            key = _preview_key(plans[0], config)
            last = store.get("preview") or {}
            kept = last.get("key") == key and all_as_left(as_left, last.get("files", {}))
            if kept:
                writer.keep(last["files"])
                preview, problems = tuple(last["preview"]), [Problem(**p) for p in last["problems"]]
            else:
                plan = plans[0]
                need = bodiless(plan.articles)
                if bodies is not None and need:
                    plan = replace(plan, articles=tuple(with_bodies(plan.articles, bodies(need))))
                issue, problems = render_preview(plan, config, env())
                from .archive import issue_files

                made = issue_files(issue, "newsletters/next", config)
                files.update(made)
                preview = (issue.number, len(issue.article_ids))
                store.set("preview", {"key": key, "files": {rel: len(data) for rel, data in made.items()},
                                      "preview": preview, "problems": [asdict(p) for p in problems]})
    except TemplateError as err:
        writer.keep({p: s for p, s in store.outputs().items() if p.startswith("newsletters/")})
        return None, [Problem("newsletter", err.message)]
    if not made_archive:
        writer.keep(archived["files"])
    for rel, data in sorted(files.items()):
        writer.write(rel, data)
    if made_archive:  # recorded once written: a broken template above keeps the last good archive
        store.set("archive", {"key": archive_key, "files": {
            rel: len(data) for rel, data in files.items() if not rel.startswith("newsletters/next/")}})
    return preview, problems  # type: ignore[return-value]


def _archive_key(issues: list[Issue], config: Config) -> str:
    """What the archive is made from: every issue made (all of it), the settings, the templates."""
    made = [__version__, str(config.site), str(config.newsletter), str(config.feeds),
            templates_state(config.templates_dir), *map(repr, issues)]
    return hashlib.sha256("\0".join(made).encode("utf-8", "surrogatepass")).hexdigest()


def _preview_key(plan: IssuePlan, config: Config) -> str:
    """What the preview of ``plan`` is made from: its number, its articles (each as its file, URL
    and dates say), the settings, the content folder as problems name it, the templates."""
    made = [__version__, str(plan.number), str(config.site), str(config.newsletter), config.content_shown,
            templates_state(config.templates_dir), *(f"{a.id}\0{article_key(a)}" for a in plan.articles)]
    return hashlib.sha256("\0".join(made).encode()).hexdigest()


def render_preview(plan: IssuePlan, config: Config, env: jinja2.Environment) -> tuple[Issue, list[Problem]]:
    """The next issue as it would be made, dated by its newest article (not the clock), so
    that the preview is the same bytes on every build."""
    from .personalize import new_nonce
    from .render import render_issue

    plan = replace(plan, date=max(a.date for a in plan.articles))
    return render_issue(plan, config, env, nonce=new_nonce())


def plan_next(store: Store, issues: list[Issue], articles: list[Article], config: Config, *,
              now: datetime, since: datetime | None = None) -> tuple[list[IssuePlan], list[str]]:
    """The next issue(s) after ``issues``, from what the store says is covered already."""
    return plan_issues(articles, store.covered_ids(), config=config, now=now,
                       next_number=issues[-1].number + 1 if issues else 1, first=not issues,
                       since=since, covered_digests=store.covered_digests())


@dataclass
class NewsletterReport:
    """What ``syndicate newsletter`` did."""

    created: list[Issue] = field(default_factory=list)
    covered: int = 0  # older articles set aside by the first issue (or by --since)
    problems: list[Problem] = field(default_factory=list)
    preview: Issue | None = None
    last_number: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if any(p.level == "error" for p in self.problems) else 0


def make_newsletter(config: Config, *, now: datetime, since: datetime | None = None,
                    preview: bool = False, strict: bool = False, auto_send: bool = False) -> NewsletterReport:
    """Create (and record) the next issue(s) from the articles no issue has covered yet.

    Every issue is rendered before anything is recorded, so that a broken template
    records nothing. With ``preview``, the next issue is rendered to
    ``newsletters/next/`` and nothing is recorded.
    """
    from .archive import archive_files, issue_files
    from .personalize import new_nonce
    from .render import render_issue

    env = template_env(config.templates_dir)
    writer = Writer(config.output_dir)
    with open_store(config) as store:
        result = read_content(config, now=now, strict=strict, known=store.articles())
        # The entries of [[sources]] as the last build or run fetched them (this command fetches nothing).
        articles = result.articles + (source_content(config, store).newsletter if config.sources else [])
        issues = store.issues()
        report = NewsletterReport(problems=list(result.problems),
                                  last_number=issues[-1].number if issues else 0)
        plans, backlog = plan_next(store, issues, articles, config, now=now, since=since)
        if preview:
            if plans:
                report.preview, problems = render_preview(plans[0], config, env)
                report.problems.extend(problems)
                for rel, data in issue_files(report.preview, "newsletters/next", config).items():
                    writer.write(rel, data)
            return report
        rendered = [render_issue(plan, config, env, nonce=new_nonce()) for plan in plans]
        with store.transaction():
            store.record_articles(result.records(), now)
            for issue, _ in rendered:
                store.record_issue(issue, now, auto_send=auto_send)
            store.cover(backlog, now)
    for issue, problems in rendered:
        report.created.append(issue)
        report.problems.extend(problems)
    report.covered = len(backlog)
    for rel, data in sorted(archive_files(issues + report.created, config, env).items()):
        writer.write(rel, data)
    return report
