"""``syndicate build`` and ``syndicate check``."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from ..config import Config
from ..feeds import BuildReport, build_site, check_site
from .common import (
    Context,
    ProgressBar,
    now_option,
    past_now_option,
    plural,
    print_problems,
    quiet_option,
    strict_option,
)


@click.command()
@strict_option
@quiet_option
@click.option("--allow-empty", is_flag=True,
              help="Write empty feeds when no article can be published; without it the last feeds are kept "
                   "(and the build fails) when every article fails or the content folder is empty.")
@past_now_option
@click.pass_obj
def build(obj: Context, strict: bool, quiet: bool, allow_empty: bool, now: datetime) -> None:
    """Build the feeds from the content folder into the output folder.

    Writes feeds/rss.xml, feeds/atom.xml and feeds/feed.json, plus one set per tag
    under feeds/tags/<tag>/. Only files whose bytes changed are rewritten; when no
    article, setting or due time changed, nothing is read or written at all.
    Broken articles are reported (exit code 1) and every other article is built.
    """
    config = obj.config
    with ProgressBar(enabled=not quiet) as progress:
        report = build_site(config, now=now, strict=strict, allow_empty=allow_empty, on_progress=progress)
    print_problems(report)
    if not quiet:
        click.echo(_summary(report, config))
    sys.exit(report.exit_code)


@click.command()
@strict_option
@now_option
@click.pass_obj
def check(obj: Context, strict: bool, now: datetime) -> None:
    """Check the config and every article; write nothing.

    Lists every problem (file, line, what is wrong and how to fix it) and exits
    with 1 if any is an error, so it fits a pre-commit hook or a CI step.
    """
    config = obj.config
    with ProgressBar(enabled=True) as progress:
        report = check_site(config, now=now, strict=strict, on_progress=progress)
    print_problems(report)
    verdict = "no problems" if not report.problems else plural(len(report.problems), "problem")
    click.echo(f"Checked {plural(report.files, 'article file')}: {report.published} would be "
               f"published, {report.drafts} draft, {report.scheduled} scheduled; {verdict}.")
    sys.exit(report.exit_code)


def _summary(report: BuildReport, config: Config) -> str:
    where = os.path.relpath(config.output_dir / "feeds")
    problems = plural(len(report.problems), "problem")
    if report.up_to_date:
        return (f"Nothing changed: {plural(report.published, 'article')} published, "
                f"{report.feeds} feed files up to date in {where}; {problems}.")
    extra = []
    if report.drafts:
        extra.append(plural(report.drafts, "draft"))
    if report.scheduled:
        extra.append(f"{report.scheduled} scheduled")
    if report.expired:
        extra.append(f"{report.expired} expired")
    held = f" ({', '.join(extra)} held back)" if extra else ""
    changes = f"{plural(report.written, 'file')} changed" + (f", {report.removed} removed" if report.removed else "")
    preview = ""
    if report.preview:
        number, articles = report.preview
        next_html = os.path.relpath(config.output_dir / "newsletters" / "next" / "email.html")
        preview = f"; next newsletter (issue #{number}, {plural(articles, 'article')}) in {next_html}"
    return (f"Read {plural(report.files, 'article file')}: {report.published} published{held}; "
            f"wrote {report.feeds} feed files to {where} ({changes}){preview}; {problems}.")
