"""One pass of what is due: ``syndicate run`` (for cron), and each tick of ``syndicate schedule``.

One pass (:func:`run_once`): rebuild the feeds if anything changed (an article whose
time has come included); if the newsletter is due (see ``schedule.due``), make the issue; then
send every issue the scheduler made whose send is not finished. An exclusive lock
(``schedule.lock``: ``fcntl`` on a file beside the state database) lets one pass run at a time, so two
cron jobs, or cron beside ``syndicate schedule``, never send an issue twice.

``syndicate schedule`` (``schedule.ticker``) ticks with the ``schedule`` library and runs
the same pass; the library only ticks: what is due is decided by ``schedule.due``, from the slot stored in the
state database, so a restart or a missed tick loses and doubles nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..config import Config
from ..delivery import DeliveryReport, SendBusy, deliver_issue
from ..errors import DeliveryError, Problem
from ..feeds.build import BuildReport, build_site
from ..newsletter.make import make_newsletter
from ..state import Issue, Store
from .due import due_slot, parse_cadence
from .lock import RunLock

log = logging.getLogger("syndicate")


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class RunReport:
    """What one pass did."""

    build: BuildReport | None = None
    created: list[Issue] = field(default_factory=list)
    sends: list[DeliveryReport] = field(default_factory=list)
    slot: datetime | None = None  # the newsletter slot served by this pass
    problems: list[Problem] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # issues another process was sending
    failures: list[str] = field(default_factory=list)  # sends that could not begin (the server is down)

    @property
    def did_something(self) -> bool:
        built = self.build is not None and not self.build.up_to_date and self.build.written > 0
        return built or bool(self.created) or any(s.sent or s.failed for s in self.sends)

    @property
    def exit_code(self) -> int:
        failed = (any(s.failed for s in self.sends) or any(p.level == "error" for p in self.problems)
                  or bool(self.failures))
        return 1 if failed else 0


def run_once(config: Config, *, clock: Clock = utc_now, stop: threading.Event | None = None,
             newsletter: bool = True) -> RunReport:
    """One pass: feeds, then the newsletter if due, then unfinished sends. Takes the lock.

    :raises Busy: another pass is running (exit code 0: nothing is wrong).
    """
    report = RunReport()
    with RunLock(config):
        now = clock()
        report.build = build_site(config, now=now)
        if not report.build.up_to_date:  # said once, when they appear: not every minute from cron
            report.problems.extend(report.build.problems)
        if not newsletter:
            return report
        cadence = parse_cadence(config.schedule.newsletter)
        waiting = report.build.preview is not None  # articles no issue has covered yet
        make = False
        record = None
        if cadence.kind == "on publish":
            make = waiting
        elif cadence.timed:
            with Store(config.state_path) as store:
                last = store.get("schedule.last_slot")
            slot, record = due_slot(now, datetime.fromisoformat(last) if last else None, cadence,
                                    config.tz, catch_up=config.schedule.catch_up)
            make = slot is not None and waiting
            report.slot = slot
        if make:
            made = make_newsletter(config, now=now, auto_send=True)
            report.created = made.created
            report.problems.extend(p for p in made.problems if p not in report.problems)
        if record is not None:
            with Store(config.state_path) as store, store.transaction():
                store.set("schedule.last_slot", record.isoformat())
        with Store(config.state_path) as store:
            unsent = store.unsent_issues(auto_only=True)
        for number in unsent:
            try:
                report.sends.append(deliver_issue(config, issue_number=number, clock=clock, stop=stop,
                                                  wait_for_retries=False))
            except SendBusy as busy:  # someone ran `syndicate send` on it: theirs to finish
                report.busy.append(busy.message)
            except DeliveryError as err:  # the server is down, the login refused: nothing sent
                if not err.fatal:
                    raise
                report.failures.append(f"issue #{number}: {err.message}")
                break
            if stop is not None and stop.is_set():
                break
        with Store(config.state_path) as store, store.transaction():
            store.set("run.at", now.isoformat())
    return report


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
        if send.sent or send.failed or send.deferred:
            parts.append(f"issue #{send.issue}: {send.sent} sent, {send.deferred} deferred, {send.failed} failed")
    return "; ".join(parts) or "nothing to do"
