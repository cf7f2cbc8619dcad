"""``syndicate send``."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from .common import Context, ProgressBar, plural

if TYPE_CHECKING:
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
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.pass_obj
def send(obj: Context, issue: int | None, test_address: str | None, dry_run: bool, include_new: bool,
         retry_failed: bool, quiet: bool) -> None:
    """Send an issue (the newest by default) to every active subscriber.

    In [newsletter] mode = "per_article", every issue not sent yet is sent, oldest
    first (one 'syndicate newsletter' can make several).

    Every (issue, subscriber) is recorded in the state database as it is sent, so
    the command can be stopped at any moment and run again: it resumes, and never
    sends one issue twice to anyone (but for the few messages in flight at a kill,
    at most [delivery] concurrency, which are sent again). Run again after a complete
    send, it sends nothing. While another send (or 'syndicate run') is sending the
    issue, it says so and exits 0. With [delivery] transport = "file" (the default), each
    message is written to output/outbox/<issue>/ instead of being sent.
    """
    from ..delivery import SendBusy, deliver_issue, issues_to_send, send_test
    from ..delivery import dry_run as plan_send

    config = obj.config
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
    numbers = issues_to_send(config, issue)
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
                                       retry_failed=retry_failed,
                                       on_progress=lambda done, total: progress("send", done, total))
        except SendBusy as busy:  # another send of this issue is under way: nothing is wrong
            click.echo(busy.message[0].upper() + busy.message[1:])
            continue
        for error in report.errors:
            click.echo(click.style("Error: ", fg="red", bold=True) + error, err=True)
        if not quiet or report.exit_code:
            click.echo(_summary(report, where))
        exit_code = max(exit_code, report.exit_code)
        if report.interrupted:
            break
    sys.exit(exit_code)


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
            + (" Stopped before the end; run 'syndicate send' again to resume." if report.interrupted else "")
            + (f" {plural(report.not_included, 'subscriber')} joined after this issue was sent: "
               "--include-new sends it to them too." if report.not_included else ""))
