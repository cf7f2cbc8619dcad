"""``syndicate newsletter``."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from ..content import parse_date
from ..newsletter import make_newsletter
from .common import Context, past_now_option, plural, print_problems, strict_option


@click.command()
@click.option("--preview", is_flag=True,
              help="Render the next issue to output/newsletters/next/ and record nothing.")
@click.option("--since", metavar="DATE",
              help="Take articles dated on or after DATE (in the site's time zone); older ones are "
                   "set aside as already covered.")
@strict_option
@past_now_option
@click.pass_obj
def newsletter(obj: Context, preview: bool, since: str | None, strict: bool, now: datetime) -> None:
    """Create the next newsletter issue from the articles no issue has covered yet.

    The issue is numbered (1, 2, 3…), recorded in the state database so that no
    article is ever in two issues, and rendered to output/newsletters/<number>/:
    email.html (CSS inlined), email.txt and index.html (the web version). The archive
    output/newsletters/index.html and its feed newsletters/feed.xml are updated.

    The very first issue takes the newest articles ([newsletter] max_articles) and
    sets the older ones aside, so an existing backlog is never mailed by surprise;
    --since DATE chooses where to start instead. With nothing new, no issue is made.
    """
    config = obj.config
    start = parse_date(since, config.tz) if since else None
    if since and start is None:
        raise click.BadParameter(f"{since!r} is not a date. Use YYYY-MM-DD.", param_hint="'--since'")
    report = make_newsletter(config, now=now, since=start, preview=preview, strict=strict)
    print_problems(report)
    out = os.path.relpath(config.output_dir / "newsletters")
    if preview:
        if report.preview:
            issue = report.preview
            click.echo(f"Preview of issue #{issue.number} ({plural(len(issue.article_ids), 'article')}): "
                       f"“{issue.subject}” in {out}/next/ (email.html, email.txt, index.html).")
        else:
            click.echo(_nothing_new(report.last_number))
    elif not report.created:
        click.echo(_nothing_new(report.last_number))
    for issue in report.created:
        click.echo(f"Created issue #{issue.number} ({plural(len(issue.article_ids), 'article')}): "
                   f"“{issue.subject}” in {out}/{issue.number}/.")
    if report.covered:
        click.echo(f"Set aside {plural(report.covered, 'older article')} as already covered: a backlog "
                   "is not mailed. Use --since DATE to start elsewhere.")
    sys.exit(report.exit_code)


def _nothing_new(last: int) -> str:
    if last:
        return f"Nothing new since issue #{last}: no issue created."
    return "No published article is waiting for a newsletter: no issue created."
