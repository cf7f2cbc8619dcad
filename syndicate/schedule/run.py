"""One pass of what is due: ``syndicate run`` (for cron), and each tick of ``syndicate schedule``.

One pass (:func:`run_once`): rebuild the feeds if anything changed (an article whose
time has come included); if the newsletter is due (see ``schedule.due``), make the issue; then
send every issue the scheduler made, or that ``syndicate send --at`` set for a time that has come,
whose send is not finished. An exclusive lock (``schedule.lock``: ``fcntl`` on a file beside the
state database) lets one pass run at a time, so two cron jobs, or cron beside ``syndicate
schedule``, never send an issue twice.

What is due is decided by ``schedule.due`` from the clock and the slot stored in the state
database, so a restart or a missed tick loses and doubles nothing; a stored slot later than the
clock is a clock error, said once (see ``schedule.due``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import DeliveryError, Problem, SyndicateError
from ..feeds.build import BuildReport, build_site
from ..state import Issue, open_store
from .clock import utc_now
from .due import (
    Cadence,
    Decision,
    QuietHours,
    decide,
    latest_slot,
    parse_cadence,
    parse_interval,
    parse_quiet_hours,
    quiet_until,
    send_due,
    upcoming_slot,
)
from .lock import RunLock
from .reported import new_problems

if TYPE_CHECKING:
    from ..delivery import DeliveryReport

log = logging.getLogger("syndicate")


Clock = Callable[[], datetime]

@dataclass
class RunReport:
    """What one pass did."""

    build: BuildReport | None = None
    created: list[Issue] = field(default_factory=list)
    sends: list[DeliveryReport] = field(default_factory=list)
    slot: datetime | None = None  # the newsletter slot served by this pass
    problems: list[Problem] = field(default_factory=list)  # new since the last pass said them
    busy: list[str] = field(default_factory=list)  # issues another process was sending
    failures: list[str] = field(default_factory=list)  # sends that could not begin (the server is down)
    warnings: list[str] = field(default_factory=list)  # the clock is wrong (said once)
    held: list[str] = field(default_factory=list)  # what quiet hours hold, until when

    @property
    def did_something(self) -> bool:
        built = self.build is not None and not self.build.up_to_date and self.build.written > 0
        return built or bool(self.created) or any(s.sent or s.failed for s in self.sends)

    @property
    def exit_code(self) -> int:
        failed = (any(s.failed for s in self.sends) or any(p.level == "error" for p in self.problems)
                  or bool(self.failures))
        return 1 if failed else 0


def local_time(config: Config, moment: datetime) -> str:
    """``moment`` on the site's wall clock, as messages show it: 2026-11-30 08:00 CET."""
    return moment.astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")


def run_once(config: Config, *, clock: Clock = utc_now, stop: threading.Event | None = None,
             newsletter: bool = True, send: bool = True, feeds: bool = True) -> RunReport:
    """One pass: feeds, then the newsletter if due, then the sends that are due. Takes the lock.

    ``newsletter`` False: the feeds only. ``send`` False: no send begins or goes on (the
    scheduler waits a while after a send could not begin). ``feeds`` False, with a manual
    newsletter: only the sends (the scheduler's other job builds the feeds).

    :raises Busy: another pass is running (exit code 0: nothing is wrong).
    """
    report = RunReport()
    with RunLock(config):
        now = clock()
        manual = parse_cadence(config.schedule.newsletter).kind == "manual"
        if feeds or not (newsletter and manual):
            report.build = build_site(config, now=now)
            others = _newsletter(config, now, report) if newsletter else []
            with open_store(config) as store:
                report.problems = new_problems(store, report.build.problems, others)
        if newsletter and send:
            _send(config, now, clock, stop, report)
        with open_store(config) as store, store.transaction():
            store.set("run.at", now.isoformat())
    return report


def _newsletter(config: Config, now: datetime, report: RunReport) -> list[Problem]:
    """Make the issue(s) if due; the problems they came with."""
    cadence = parse_cadence(config.schedule.newsletter)
    quiet = parse_quiet_hours(config.schedule.quiet_hours)
    waiting = report.build is not None and report.build.preview is not None  # articles no issue covered yet
    record = None
    if cadence.kind == "on publish":
        held = quiet_until(now, quiet, config.tz) if waiting else None
        if held is not None:
            report.held.append(f"new articles wait for the end of quiet hours ({quiet}) at {local_time(config, held)}")
        make = waiting and held is None
    elif cadence.timed:
        decision = _decide(config, now, cadence, quiet, report, waiting=waiting)
        make = decision.serve is not None and waiting
        report.slot = decision.serve
        record = decision.record
    else:
        return []
    problems: list[Problem] = []
    if make:
        from ..newsletter.make import make_newsletter  # here: a pass with nothing due renders nothing

        made = make_newsletter(config, now=now, auto_send=True)
        report.created, problems = made.created, made.problems
    if record is not None:  # after the issue is made: a pass that died making it leaves the slot due
        with open_store(config) as store, store.transaction():
            store.set("schedule.last_slot", record.isoformat())
    return problems


def _decide(config: Config, now: datetime, cadence: Cadence, quiet: QuietHours | None, report: RunReport, *,
            waiting: bool) -> Decision:
    """The timed slot's decision, with its clock warning (said once) and what quiet hours hold."""
    with open_store(config) as store:
        last = store.get("schedule.last_slot")
        warned = store.get("schedule.clock_warned")
    decision = decide(now, datetime.fromisoformat(last) if last else None, cadence, config.tz,
                      catch_up=config.schedule.catch_up, grace=parse_interval(config.schedule.catch_up_within),
                      quiet=quiet)
    if decision.held_until is not None and waiting:
        missed = latest_slot(now, cadence, config.tz) or now
        report.held.append(f"the catch-up issue for {local_time(config, missed)} waits for the end of quiet hours "
                           f"({quiet}) at {local_time(config, decision.held_until)}")
    if decision.ahead is not None and decision.ahead.isoformat() != warned:
        report.warnings.append(clock_warning(config, now, decision.ahead, reset=decision.reset))
        with open_store(config) as store, store.transaction():
            store.set("schedule.clock_warned", decision.ahead.isoformat())
    return decision


def clock_warning(config: Config, now: datetime, ahead: datetime, *, reset: bool) -> str:
    """What a pass (once) and ``syndicate status`` say of a stored slot later than the clock."""
    upcoming = upcoming_slot(now, ahead, parse_cadence(config.schedule.newsletter), config.tz)
    then = ("The schedule starts again from now" if reset
            else "It counts as served (it is the next slot), so that it does not go out twice")
    return (f"the last newsletter slot served, {local_time(config, ahead)}, is later than the clock "
            f"({local_time(config, now)}): the clock was ahead when it was served, or has stepped back since. "
            f"{then}" + (f": the next newsletter is {local_time(config, upcoming)}." if upcoming else ".")
            + " Check the machine's clock (NTP).")


def _send(config: Config, now: datetime, clock: Clock, stop: threading.Event | None, report: RunReport) -> None:
    """Send (or go on with) every send of the scheduler's that is due."""
    grace = parse_interval(config.schedule.catch_up_within)
    quiet = parse_quiet_hours(config.schedule.quiet_hours)
    with open_store(config) as store:
        sends = store.scheduler_sends()
    if sends:
        from ..delivery import SendBusy, deliver_issue  # here: a pass with nothing to send loads no sender
    for number, at, begun in sends:
        if at is not None and not begun:
            go, held = send_due(now, at, grace=grace, quiet=quiet, tz=config.tz)
            if held is not None:
                report.held.append(f"issue #{number}, set for {local_time(config, at)}, waits for the end of quiet "
                                   f"hours ({quiet}) at {local_time(config, held)}")
            if not go:
                continue
        with open_store(config) as store:  # cancelled or moved (send --cancel, --at) since the pass began?
            if (number, at) not in {(n, a) for n, a, _ in store.scheduler_sends()}:
                continue
        try:
            report.sends.append(deliver_issue(config, issue_number=number, clock=clock, stop=stop,
                                              wait_for_retries=False))
        except SendBusy as busy:  # someone ran `syndicate send` on it: theirs to finish
            report.busy.append(busy.message)
        except (DeliveryError, SyndicateError) as err:  # the server is down, the login refused: nothing sent
            report.failures.append(f"issue #{number}: {err.message}")
            break
        if stop is not None and stop.is_set():
            break


def describe(report: RunReport) -> str:
    """One line about a pass that did something."""
    parts = []
    build = report.build
    if build is not None and not build.up_to_date and build.written:
        articles = f"{build.published} article" + ("" if build.published == 1 else "s")
        parts.append(f"feeds rebuilt ({build.written} files changed, {articles})")
    for issue in report.created:
        parts.append(f"issue #{issue.number} created (“{issue.subject}”)")
    for send in report.sends:
        if send.sent or send.failed or send.deferred or send.left:
            left = f", {send.left} still queued" if send.left else ""
            parts.append(f"issue #{send.issue}: {send.sent} sent, {send.deferred} deferred, {send.failed} failed{left}")
    return "; ".join(parts) or "nothing to do"
