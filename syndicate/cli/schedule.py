"""``syndicate run``, ``syndicate schedule`` and ``syndicate status``."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from .common import Context, now_option, print_problems, quiet_option


@click.command()
@quiet_option
@click.pass_obj
def run(obj: Context, quiet: bool) -> None:
    """Do what is due, once: for cron and systemd timers. Safe to run every minute.

    Rebuilds the feeds if anything changed (an article whose time has come too); if
    the newsletter is due ([schedule] newsletter), makes the issue and sends it; sends an
    issue set for a time that has come (send --at); goes on with any send of the
    scheduler's that did not finish. Prints nothing when there was nothing to do. If
    another run holds the lock, says so and exits 0.
    """
    from ..schedule import Busy, describe, run_once

    config = obj.config
    try:
        report = run_once(config)
    except Busy as err:
        if not quiet:
            click.echo(err.message)
        return
    for warning in report.warnings:
        click.echo(click.style("warning: ", fg="yellow") + warning, err=True)
    print_problems(report)
    for failure in report.failures:
        click.echo(click.style("Error: ", fg="red", bold=True) + failure, err=True)
    if report.did_something and not quiet:
        click.echo(describe(report) + ".")
    for busy in [] if quiet else report.busy:
        click.echo(busy[0].upper() + busy[1:])
    sys.exit(report.exit_code)


@click.command()
@click.option("-v", "--verbose", is_flag=True,
              help="Also log each pass that found nothing to do, and each repeated failure.")
@click.pass_obj
def schedule(obj: Context, verbose: bool) -> None:
    """Run in the foreground and do the work on time, until stopped.

    Rebuilds the feeds every [schedule] feeds_every and sends the newsletter when
    [schedule] newsletter says, in the site's time zone, and every issue set to go at a
    time (send --at). Each job is logged with its duration and outcome; at the start and
    after an hour with nothing to say, one line says what it watches and when the next
    newsletter goes. A failing job is logged once and tried again after 1 minute, then
    2, 4 ... up to every hour. SIGHUP reads the settings again (a broken file keeps the
    ones in use); SIGTERM or Ctrl-C stops it cleanly (the message being sent is
    finished first) and logs what is left to send.
    """
    import logging
    import signal
    import threading

    from ..config import load_config
    from ..schedule import run_schedule

    config = obj.config
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    if verbose:
        logging.getLogger("syndicate").setLevel(logging.DEBUG)
    stop, reload = threading.Event(), threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    run_schedule(config, stop=stop, reload=reload, load=lambda: load_config(obj.config_path))


@click.command()
@now_option
@click.pass_obj
def status(obj: Context, now: datetime) -> None:
    """Show when the feeds were last built, the last issue and its sends, and what is due next."""
    from ..schedule import status_lines

    for line in status_lines(obj.config, now=now):
        click.echo(line)
