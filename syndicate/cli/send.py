"""``syndicate send``."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from .common import Context, ProgressBar, plural

if TYPE_CHECKING:
    from ..config import Config
    from ..delivery import DeliveryReport


@click.command()
@click.argument("issue", type=int, required=False)
@click.option("--test", "test_address", metavar="ADDRESS",
              help="Send one copy (subject marked [Test]) to ADDRESS; record nothing.")
@click.option("--dry-run", is_flag=True, help="Say who would get the issue; send nothing.")
@click.option("--include-new", is_flag=True,
              help="Also send to people who subscribed after this issue's send began.")
@click.option("--retry-failed", is_flag=True,
              help="Also try again the messages that failed because the server kept deferring them (4xx) "
                   "[delivery] max_attempts times. Messages it refused (5xx) are never sent again.")
@click.option("--at", "at", metavar="WHEN",
              help="Do not send now: set the issue to go at WHEN, \"2026-12-02 08:00\" (the site's time zone) or "
                   "with an offset (\"…+01:00\"). 'syndicate run' or 'schedule' sends it then.")
@click.option("--list", "list_", is_flag=True, help="Show the issues set to go at a time.")
@click.option("--cancel", type=int, metavar="ISSUE", help="Take ISSUE off the schedule (it then waits for "
                                                           "'syndicate send ISSUE').")
@click.option("--wait", is_flag=True, help="With [delivery] workers = \"celery\": follow the fleet's send until it "
                                          "is done, and exit as a send in this process would.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.pass_obj
def send(obj: Context, issue: int | None, test_address: str | None, dry_run: bool, include_new: bool,
         retry_failed: bool, at: str | None, list_: bool, cancel: int | None, wait: bool, quiet: bool) -> None:
    """Send an issue (the newest by default) to every active subscriber.

    With --at, the issue is not sent now but at that time, by 'syndicate run' or
    'syndicate schedule' (a machine that was off then sends it at its first pass after);
    without ISSUE, 'syndicate send' leaves an issue set for later alone.

    In [newsletter] mode = "per_article", every issue not sent yet is sent, oldest
    first (one 'syndicate newsletter' can make several).

    Every (issue, subscriber) is recorded in the state database as it is sent, so
    the command can be stopped at any moment and run again: it resumes, and never
    sends one issue twice to anyone (but for the few messages in flight at a kill,
    at most [delivery] concurrency, which are sent again). Run again after a complete
    send, it sends nothing. While another send (or 'syndicate run') is sending the
    issue, it says so and exits 0. With [delivery] transport = "file" (the default), each
    message is written to output/outbox/<issue>/ instead of being sent.

    With [delivery] workers = "celery", the send is queued in batches for the worker
    fleet ('syndicate worker') and the command returns; 'syndicate status' shows how it
    goes, and --wait follows it to the end.
    """
    from ..delivery import SendBusy, deliver_issue, issues_to_send, send_test
    from ..delivery import dry_run as plan_send
    from ..schedule import utc_now

    config = obj.config
    chosen = [name for name, value in (("--at", at), ("--list", list_), ("--cancel", cancel is not None),
                                       ("--test", test_address), ("--dry-run", dry_run)) if value]
    if len(chosen) > 1:
        raise click.UsageError(f"{chosen[0]} and {chosen[1]} cannot be given together.")
    if at is not None or list_ or cancel is not None:
        _schedule(config, issue, at, list_, cancel, quiet)
        return
    where = (f"SMTP {config.delivery.host}:{config.delivery.port}" if config.delivery.transport == "smtp"
             else f"{os.path.relpath(config.output_dir / 'outbox')}/")
    if test_address:
        from ..delivery import normalize_address

        try:
            normalize_address(test_address)
        except ValueError as err:
            raise click.BadParameter(f"{test_address!r} is not an email address: {err}",
                                     param_hint="'--test'") from None
        reply = send_test(config, test_address, issue_number=issue)
        click.echo(f"Sent a test copy to {test_address} via {where}: {reply}")
        return
    numbers = issues_to_send(config, issue, now=utc_now())
    if dry_run:
        for number in numbers:
            chosen, pending, sent = plan_send(config, issue_number=number, include_new=include_new)
            click.echo(f"Would send issue #{chosen.number} “{chosen.subject}” to {plural(pending, 'subscriber')} "
                       f"via {where} ({sent} sent already). Nothing was sent.")
        return
    if not config.site.base_url.startswith("https://"):
        click.echo(click.style("warning: ", fg="yellow") + f"[site] base_url is {config.site.base_url!r}: "
                   "one-click unsubscribe (RFC 8058) needs https, and Gmail and Apple Mail ignore an http "
                   "link. Use the https address of your site.", err=True)
    exit_code = 0
    for number in numbers:
        try:
            with ProgressBar(enabled=not quiet, delay=0.0) as progress:
                report = deliver_issue(config, issue_number=number, include_new=include_new,
                                       retry_failed=retry_failed, follow=wait,
                                       on_progress=lambda done, total: progress("send", done, total))
        except SendBusy as busy:  # another send of this issue is under way: nothing is wrong
            click.echo(busy.message[0].upper() + busy.message[1:])
            continue
        for error in report.errors:
            click.echo(click.style("Error: ", fg="red", bold=True) + error, err=True)
        if report.fleet and not wait:
            if not quiet:
                click.echo(_queued(report, config))
        elif not quiet or report.exit_code:
            click.echo(_summary(report, where + " (worker fleet)" * report.fleet))
        exit_code = max(exit_code, report.exit_code)
        if report.interrupted:
            break
    sys.exit(exit_code)


def _schedule(config: Config, issue: int | None, at: str | None, list_: bool, cancel: int | None,
              quiet: bool) -> None:
    """--at, --list, --cancel: the issues set to go at a time."""
    from ..schedule import cancel_send_time, local_time, parse_send_time, send_time_lines, set_send_time, utc_now

    now = utc_now()
    if list_:
        for line in send_time_lines(config, now=now):
            click.echo(line)
        return
    if cancel is not None:
        if issue is not None:
            raise click.UsageError("--cancel takes the issue's number itself: syndicate send --cancel ISSUE")
        chosen, was = cancel_send_time(config, cancel)
        click.echo(f"Issue #{chosen.number} no longer goes at {local_time(config, was)}; it waits for: "
                   f"syndicate send {chosen.number}")
        return
    assert at is not None
    try:
        when = parse_send_time(at, config.tz, config.site.timezone)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'--at'") from None
    chosen, before = set_send_time(config, issue, when, now=now)
    if not quiet:
        moved = f" (it was set for {local_time(config, before)})" if before and before != when else ""
        click.echo(f"Issue #{chosen.number} “{chosen.subject}” goes at {local_time(config, when)}{moved}: the first "
                   "'syndicate run' or 'syndicate schedule' pass from then sends it. 'syndicate send --list' shows "
                   "what is set; --cancel takes it off.")


def _queued(report: DeliveryReport, config: Config) -> str:
    from ..config import broker_url, mask_password

    if not report.left:
        return f"Issue #{report.issue}: nothing left to send ({report.already_sent} sent before)."
    return (f"Issue #{report.issue}: {plural(report.left, 'message')} queued for the worker fleet "
            f"({report.batches} batch{'es' * (report.batches != 1)} on {mask_password(broker_url(config.delivery))}"
            + (f"; {report.already_sent} sent before" if report.already_sent else "")
            + "). 'syndicate status' shows how it goes; 'syndicate send --wait' follows it.")


def _summary(report: DeliveryReport, where: str) -> str:
    parts = [f"{report.sent} sent", f"{report.deferred} deferred", f"{report.failed} failed",
             f"{report.skipped} skipped"]
    before = f" ({report.already_sent} sent before)" if report.already_sent else ""
    rate = f" in {report.seconds:.1f} s" if report.sent else ""
    return (f"Issue #{report.issue} via {where}: {', '.join(parts)}{before}{rate}."
            + (f" {plural(report.bounced, 'subscriber')} marked bounced." if report.bounced else "")
            + (" Deferred messages are retried by the next 'syndicate send'." if report.deferred else "")
            + (f" {plural(report.retryable, 'message')} failed after [delivery] max_attempts deferrals "
               "(4xx): 'syndicate send --retry-failed' tries them again." if report.retryable else "")
            + (f" Stopped before the end{f', {report.left} still queued' if report.left else ''}; run "
               "'syndicate send' again to resume." if report.interrupted else "")
            + (f" {plural(report.not_included, 'subscriber')} joined after this issue was sent: "
               "--include-new sends it to them too." if report.not_included else ""))
