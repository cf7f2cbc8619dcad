"""The ``syndicate`` command. Each command is thin: read the config, call one function, report.

Exit codes: 0 done; 1 done, with problems reported (a broken article, say); 2 the
command could not start (bad usage or configuration).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from typing import Any

import click

from . import __version__
from .build import BuildReport, build_site, check_site, make_newsletter
from .config import Config, load_config
from .content import parse_date
from .errors import SyndicateError


class _Context:
    """Holds the options of the root command; reads the config once, when first needed."""

    def __init__(self, config_path: str | None, debug: bool) -> None:
        self.config_path = config_path
        self.debug = debug
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


class _Group(click.Group):
    """Turns a SyndicateError into 'Error: …' on stderr and its exit code (``--debug``: traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SyndicateError as err:
            if isinstance(ctx.obj, _Context) and ctx.obj.debug:
                raise
            for line in str(err).splitlines():
                click.echo(click.style("Error: ", fg="red", bold=True) + line, err=True)
            ctx.exit(err.exit_code)


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date-time. Use e.g. 2025-01-31T08:00:00+01:00.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_now_option = click.option(
    "--now", callback=_parse_now, envvar="SYNDICATE_NOW", metavar="DATETIME",
    help="Build as if it were this time (ISO 8601): preview scheduled articles. Default: the clock.",
)
_strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors: leave such articles out.")
_quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print only problems (for cron).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="syndicate")
@click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False), envvar="SYNDICATE_CONFIG",
    help="Config file to read. Default: ./syndicate.toml if present, else built-in defaults.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, debug: bool) -> None:
    """Build RSS, Atom and JSON feeds (and newsletters) from a folder of articles.

    Articles are Markdown files with YAML front matter, or plain-text files, under
    content/. Output goes to output/. Settings come from syndicate.toml; with no such
    file the defaults build the sample site. Start with:

        syndicate build

    Then: 'syndicate newsletter' makes an issue, 'syndicate subscribers' keeps the
    list, 'syndicate send' mails it, 'syndicate serve' serves the feeds and the
    sign-up pages, and 'syndicate run' or 'syndicate schedule' does it all on time.
    """
    ctx.obj = _Context(config_path, debug)


@main.command()
@_strict_option
@_quiet_option
@_now_option
@click.pass_obj
def build(obj: _Context, strict: bool, quiet: bool, now: datetime) -> None:
    """Build the feeds from the content folder into the output folder.

    Writes feeds/rss.xml, feeds/atom.xml and feeds/feed.json, plus one set per tag
    under feeds/tags/<tag>/. Only files whose bytes changed are rewritten; when no
    article, setting or due time changed, nothing is read or written at all.
    Broken articles are reported (exit code 1) and every other article is built.
    """
    config = obj.config
    with _ProgressBar(enabled=not quiet) as progress:
        report = build_site(config, now=now, strict=strict, on_progress=progress)
    _print_problems(report)
    if not quiet:
        click.echo(_summary(report, config))
    sys.exit(report.exit_code)


@main.command()
@_strict_option
@_now_option
@click.pass_obj
def check(obj: _Context, strict: bool, now: datetime) -> None:
    """Check the config and every article; write nothing.

    Lists every problem (file, line, what is wrong and how to fix it) and exits
    with 1 if any is an error, so it fits a pre-commit hook or a CI step.
    """
    config = obj.config
    with _ProgressBar(enabled=True) as progress:
        report = check_site(config, now=now, strict=strict, on_progress=progress)
    _print_problems(report)
    verdict = "no problems" if not report.problems else _count(len(report.problems), "problem")
    click.echo(f"Checked {_count(report.files, 'article file')}: {report.published} would be "
               f"published, {report.drafts} draft, {report.scheduled} scheduled; {verdict}.")
    sys.exit(report.exit_code)


@main.command()
@click.option("--preview", is_flag=True,
              help="Render the next issue to output/newsletters/next/ and record nothing.")
@click.option("--since", metavar="DATE",
              help="Take articles dated on or after DATE (in the site's time zone); older ones are "
                   "set aside as already covered.")
@_strict_option
@_now_option
@click.pass_obj
def newsletter(obj: _Context, preview: bool, since: str | None, strict: bool, now: datetime) -> None:
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
    _print_problems(report)
    out = os.path.relpath(config.output_dir / "newsletters")
    if preview:
        if report.preview:
            click.echo(f"Preview of issue #{report.preview.number} ({_count(len(report.preview.article_ids), 'article')}): "
                       f"“{report.preview.subject}” in {out}/next/ (email.html, email.txt, index.html).")
        else:
            click.echo(_nothing_new(report.last_number))
    elif not report.created:
        click.echo(_nothing_new(report.last_number))
    for issue in report.created:
        click.echo(f"Created issue #{issue.number} ({_count(len(issue.article_ids), 'article')}): "
                   f"“{issue.subject}” in {out}/{issue.number}/.")
    if report.covered:
        click.echo(f"Set aside {_count(report.covered, 'older article')} as already covered: a backlog "
                   "is not mailed. Use --since DATE to start elsewhere.")
    sys.exit(report.exit_code)


@main.command()
@click.argument("issue", type=int, required=False)
@click.option("--test", "test_address", metavar="ADDRESS",
              help="Send one copy (subject marked [Test]) to ADDRESS; record nothing.")
@click.option("--dry-run", is_flag=True, help="Say who would get the issue; send nothing.")
@click.option("--include-new", is_flag=True,
              help="Also send to people who subscribed after this issue's send began.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.pass_obj
def send(obj: _Context, issue: int | None, test_address: str | None, dry_run: bool, include_new: bool,
         quiet: bool) -> None:
    """Send an issue (the newest by default) to every active subscriber.

    Every (issue, subscriber) is recorded in the state database as it is sent, so
    the command can be stopped at any moment and run again: it resumes, and never
    sends one issue twice to anyone (but for the few messages in flight at a kill,
    at most [delivery] concurrency, which are sent again). Run again after a complete
    send, it sends nothing. With [delivery] transport = "file" (the default), each
    message is written to output/outbox/<issue>/ instead of being sent.
    """
    from .delivery import deliver_issue, dry_run as plan_send, send_test

    config = obj.config
    where = (f"SMTP {config.delivery.host}:{config.delivery.port}" if config.delivery.transport == "smtp"
             else f"{os.path.relpath(config.output_dir / 'outbox')}/")
    if test_address:
        from .subscribers import normalize_address

        try:
            normalize_address(test_address)
        except ValueError as err:
            raise click.BadParameter(f"{test_address!r} is not an email address: {err}",
                                     param_hint="'--test'") from None
        reply = send_test(config, test_address, issue_number=issue)
        click.echo(f"Sent a test copy to {test_address} via {where}: {reply}")
        return
    if dry_run:
        chosen, pending, sent = plan_send(config, issue_number=issue, include_new=include_new)
        click.echo(f"Would send issue #{chosen.number} “{chosen.subject}” to {_count(pending, 'subscriber')} "
                   f"via {where} ({sent} sent already). Nothing was sent.")
        return
    if not config.site.base_url.startswith("https://"):
        click.echo(click.style("warning: ", fg="yellow") + f"[site] base_url is {config.site.base_url!r}: "
                   "one-click unsubscribe (RFC 8058) needs https, and Gmail and Apple Mail ignore an http "
                   "link. Use the https address of your site.", err=True)
    with _ProgressBar(enabled=not quiet, delay=0.0) as progress:
        report = deliver_issue(config, issue_number=issue, include_new=include_new,
                               on_progress=lambda done, total: progress("send", done, total))
    for error in report.errors:
        click.echo(click.style("Error: ", fg="red", bold=True) + error, err=True)
    if not quiet or report.exit_code:
        parts = [f"{report.sent} sent", f"{report.deferred} deferred", f"{report.failed} failed",
                 f"{report.skipped} skipped"]
        before = f" ({report.already_sent} sent before)" if report.already_sent else ""
        rate = f" in {report.seconds:.1f} s" if report.sent else ""
        click.echo(f"Issue #{report.issue} via {where}: {', '.join(parts)}{before}{rate}."
                   + (f" {_count(report.bounced, 'subscriber')} marked bounced." if report.bounced else "")
                   + (" Deferred messages are retried by the next 'syndicate send'." if report.deferred else "")
                   + (" Stopped before the end; run 'syndicate send' again to resume." if report.interrupted else "")
                   + (f" {_count(report.not_included, 'subscriber')} joined after this issue was sent: "
                      "--include-new sends it to them too." if report.not_included else ""))
    sys.exit(report.exit_code)


@main.command()
@_quiet_option
@click.pass_obj
def run(obj: _Context, quiet: bool) -> None:
    """Do what is due, once: for cron and systemd timers. Safe to run every minute.

    Rebuilds the feeds if anything changed (an article whose time has come too); if
    the newsletter is due ([schedule] newsletter), makes the issue and sends it; goes on
    with any send of the scheduler's that did not finish. Prints nothing when there
    was nothing to do. If another run holds the lock, says so and exits 0.
    """
    from .scheduler import Busy, describe, run_once

    config = obj.config
    try:
        report = run_once(config)
    except Busy as err:
        if not quiet:
            click.echo(err.message)
        return
    _print_problems(report)
    if report.did_something and not quiet:
        click.echo(describe(report) + ".")
    sys.exit(report.exit_code)


@main.command()
@click.pass_obj
def schedule(obj: _Context) -> None:
    """Run in the foreground and do the work on time, until stopped.

    Rebuilds the feeds every [schedule] feeds_every and sends the newsletter when
    [schedule] newsletter says, in the site's time zone. Each job is logged with its
    duration and outcome; a failing job is retried at its next tick. SIGTERM or
    Ctrl-C stops it cleanly (the message being sent is finished first).
    """
    import logging
    import signal
    import threading

    from .scheduler import run_schedule

    config = obj.config
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_schedule(config, stop=stop)


@main.command()
@click.option("--host", help="Address to listen on. Default: [server] host (127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on. Default: [server] port (8080).")
@click.pass_obj
def serve(obj: _Context, host: str | None, port: int | None) -> None:
    """Serve the feeds, the newsletter archive and the subscribe pages over HTTP.

    Feeds go out from memory with ETag and Last-Modified, so readers that poll get
    304 Not Modified until a feed changes. /subscribe takes sign-ups (confirmed by
    email), /unsubscribe?token=… leaves with one click. Set [site] base_url to the
    address people reach this server at.
    """
    from .web import serve as run_server

    run_server(obj.config, host=host, port=port)


@main.command()
@_now_option
@click.pass_obj
def status(obj: _Context, now: datetime) -> None:
    """Show when the feeds were last built, the last issue and its sends, and what is due next."""
    from .scheduler import status_lines

    for line in status_lines(obj.config, now=now):
        click.echo(line)


def _nothing_new(last: int) -> str:
    if last:
        return f"Nothing new since issue #{last}: no issue created."
    return "No published article is waiting for a newsletter: no issue created."


def _print_problems(report: Any) -> None:
    for problem in report.problems:
        label = click.style(f"{problem.level}: ", fg="red" if problem.level == "error" else "yellow")
        click.echo(label + str(problem), err=True)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(report: BuildReport, config: Config) -> str:
    where = os.path.relpath(config.output_dir / "feeds")
    problems = _count(len(report.problems), "problem")
    if report.up_to_date:
        return (f"Nothing changed: {_count(report.published, 'article')} published, "
                f"{report.feeds} feed files up to date in {where}; {problems}.")
    extra = []
    if report.drafts:
        extra.append(_count(report.drafts, "draft"))
    if report.scheduled:
        extra.append(f"{report.scheduled} scheduled")
    held = f" ({', '.join(extra)} held back)" if extra else ""
    changes = f"{_count(report.written, 'file')} changed" + (f", {report.removed} removed" if report.removed else "")
    preview = ""
    if report.preview:
        number, articles = report.preview
        next_html = os.path.relpath(config.output_dir / "newsletters" / "next" / "email.html")
        preview = f"; next newsletter (issue #{number}, {_count(articles, 'article')}) in {next_html}"
    return (f"Read {_count(report.files, 'article file')}: {report.published} published{held}; "
            f"wrote {report.feeds} feed files to {where} ({changes}){preview}; {problems}.")


class _ProgressBar:
    """A rich progress bar on stderr that appears only once the work has taken a second."""

    LABELS = {"read": "Reading articles", "render": "Rendering", "write": "Writing feeds", "send": "Sending"}

    def __init__(self, enabled: bool, delay: float = 1.0) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.delay = delay
        self.started = time.monotonic()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.monotonic() - self.started < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self.progress.start()
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(self.LABELS.get(stage, stage), total=total, rate="")
        task = self.tasks[stage]
        speed = self.progress.tasks[task].speed if task < len(self.progress.tasks) else None
        self.progress.update(task, completed=done, total=total, rate=f"{speed:,.0f}/s" if speed else "")

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


from .cli_subscribers import subscribers  # noqa: E402  (a group of its own module)

main.add_command(subscribers)
