"""``syndicate build`` and ``syndicate check``."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from ..config import Config
from ..feeds import BuildReport, build_site
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

if TYPE_CHECKING:
    from ..newsletter import caniemail, lint


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
    under feeds/tags/<tag>/; a page for each article at its permalink, tag pages and a
    home page ([site] pages); the newsletter archive and a preview of the next issue.
    Only files whose bytes changed are rewritten; when no
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


def _clients(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[caniemail.Client, ...]:
    if not value:
        return ()
    from ..newsletter import caniemail  # here: its data and the email checker are for check --email alone

    try:
        return caniemail.resolve_clients(value, caniemail.load_caniemail())
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@click.command()
@strict_option
@now_option
@click.option("--email", is_flag=True,
              help="Check the newsletter email instead: the next issue's, as a build previews it (or --issue "
                   "N's), against caniemail.com's support data; and its size, alt texts, links, unsubscribe link "
                   "and postal address.")
@click.option("--issue", type=click.IntRange(min=1), metavar="N",
              help="With --email: check issue N, one already made, instead of the next one.")
@click.option("--client", "clients", multiple=True, metavar="NAME", callback=_clients,
              help="With --email: a client to check for, as caniemail names it: a family (gmail) or "
                   "family/platform (outlook/windows); repeat it, or separate with commas; 'all' for every "
                   "one. Default: Gmail (web, iOS, Android, mobile web), Outlook (Windows, Windows Mail, "
                   "Outlook.com), Apple Mail (macOS, iOS), Yahoo! Mail (web, iOS, Android).")
@click.pass_obj
def check(obj: Context, strict: bool, now: datetime, email: bool, issue: int | None,
          clients: tuple[caniemail.Client, ...]) -> None:
    """Check the config and every article; write nothing.

    Lists every problem (file, line, what is wrong and how to fix it) and exits
    with 1 if any is an error, so it fits a pre-commit hook or a CI step.

    With --email, checks the newsletter email instead: each HTML or CSS feature
    that a client does not support (an error) or supports only partly (a warning),
    with caniemail.com's notes, by the line of the email.html a build writes. A
    feature inside an @media rule or an MSO conditional comment is listed too,
    but is no failure: a client that skips the block loses only the enhancement.
    Also an email over Gmail's 102 KB clip, images without alt text, links that
    are not https, no unsubscribe link, no [newsletter] postal_address. Exits
    with 1 on an error; with --strict, on a warning too.
    """
    config = obj.config
    if (issue is not None or clients) and not email:
        raise click.UsageError("--issue and --client go with --email: run e.g. 'syndicate check --email --issue 3'.")
    if email:
        from ..newsletter import lint

        email_report = lint.check_email(config, now=now, issue=issue, clients=clients)
        _print_email_report(email_report)
        sys.exit(email_report.exit_code(strict))
    from ..feeds import check_site  # here: what a build that changes nothing never loads

    with ProgressBar(enabled=True) as progress:
        report = check_site(config, now=now, strict=strict, on_progress=progress)
    print_problems(report)
    verdict = "no problems" if not report.problems else plural(len(report.problems), "problem")
    click.echo(f"Checked {plural(report.files, 'article file')}: {report.published} would be "
               f"published, {report.drafts} draft, {report.scheduled} scheduled; {verdict}.")
    sys.exit(report.exit_code)


_LABELS = {"error": "red", "warning": "yellow", "info": "cyan"}


def _print_email_report(report: lint.EmailReport) -> None:
    """One line per finding, errors first, then a one-line summary."""
    what = f"issue #{report.issue}" + (" (the next one)" if report.next else "")
    click.echo(f"Checking the email of {what} as a build writes it to {os.path.relpath(report.path)} (the "
               f"lines are that file's), for {plural(len(report.clients), 'client')} by caniemail "
               f"{report.data}: {', '.join(c.name for c in report.clients)}.")
    for finding in report.findings:
        click.echo(click.style(f"{finding.level}: ", fg=_LABELS[finding.level]) + str(finding))
    counts = [plural(report.count("error"), "error"), plural(report.count("warning"), "warning"),
              f"{report.count('info')} inside enhancement blocks or degrading gracefully (no failure)"]
    click.echo(f"Checked the email of issue #{report.issue}, {report.size / 1000:.1f} KB: {', '.join(counts)}.")


def _summary(report: BuildReport, config: Config) -> str:
    where = os.path.relpath(config.output_dir / "feeds")
    problems = plural(len(report.problems), "problem")
    sources = _sources(report, config)
    if report.up_to_date:
        return (f"Nothing changed: {plural(report.published, 'article')} published, "
                f"{report.feeds} feed files up to date in {where}{sources}; {problems}.")
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
    pages = f" and {plural(report.pages, 'page')} to {os.path.relpath(config.output_dir)}" if report.pages else ""
    return (f"Read {plural(report.files, 'article file')}: {report.published} published{held}; "
            f"wrote {report.feeds} feed files to {where}{pages} ({changes}){preview}{sources}; {problems}.")


def _sources(report: BuildReport, config: Config) -> str:
    """'; 12 entries from 3 sources (3 fetched: 2 not modified, 1 failed)', with [[sources]] only."""
    if not config.sources:
        return ""
    entries = f"{report.source_entries} entr{'y' if report.source_entries == 1 else 'ies'}"
    fetched = (f" ({report.sources_fetched} fetched: {report.sources_not_modified} not modified, "
               f"{report.sources_failed} failed)" if report.sources_fetched else " (none due for a fetch)")
    return f"; {entries} from {plural(len(config.sources), 'source')}{fetched}"
