"""Doing the work on time: ``syndicate run`` (one pass, for cron) and ``syndicate schedule``.

One pass (:func:`run_once`): rebuild the feeds if anything changed (an article whose
time has come included); if the newsletter is due (see ``due``), make the issue; then
send every issue the scheduler made whose send is not finished. An exclusive lock
(``fcntl`` on a file beside the state database) lets one pass run at a time, so two
cron jobs, or cron beside ``syndicate schedule``, never send an issue twice.

``syndicate schedule`` ticks with the ``schedule`` library and runs the same pass; the
library only ticks: what is due is decided by ``due``, from the slot stored in the
state database, so a restart or a missed tick loses and doubles nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .build import BuildReport, build_site, make_newsletter
from .config import Config
from .delivery import DeliveryReport, deliver_issue
from .due import due_slot, next_slot, parse_cadence, parse_interval
from .errors import Problem, SyndicateError
from .store import Issue, Store

log = logging.getLogger("syndicate")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class Busy(SyndicateError):
    """Another pass holds the lock."""

    exit_code = 0


class RunLock:
    """An exclusive, non-blocking lock on ``<state db>.lock``; released when the process dies."""

    def __init__(self, config: Config) -> None:
        self.path = Path(f"{config.state_path}.lock")
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise Busy(f"another syndicate run or schedule (pid {holder}) is working on "
                       f"{self.path.with_suffix('')}; nothing done.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


@dataclass
class RunReport:
    """What one pass did."""

    build: BuildReport | None = None
    created: list[Issue] = field(default_factory=list)
    sends: list[DeliveryReport] = field(default_factory=list)
    slot: datetime | None = None  # the newsletter slot served by this pass
    problems: list[Problem] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        built = self.build is not None and not self.build.up_to_date and self.build.written > 0
        return built or bool(self.created) or any(s.sent or s.failed for s in self.sends)

    @property
    def exit_code(self) -> int:
        failed = any(s.failed for s in self.sends) or any(p.level == "error" for p in self.problems)
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
            unsent = store.unsent_auto_issues()
        for number in unsent:
            report.sends.append(deliver_issue(config, issue_number=number, clock=clock, stop=stop,
                                              wait_for_retries=False))
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


def run_schedule(config: Config, *, stop: threading.Event, clock: Clock = utc_now) -> None:
    """Tick until ``stop``: the feeds every [schedule] feeds_every, the newsletter check every
    minute (or more often, if feeds_every is shorter). A failing job is logged with its
    cause and tried again at its next tick; the loop goes on."""
    import schedule  # the ticking library; only this long-running command needs it

    interval = parse_interval(config.schedule.feeds_every).total_seconds()
    cadence = parse_cadence(config.schedule.newsletter)
    ticker = schedule.Scheduler()

    def job(name: str, newsletter: bool) -> None:
        started = time.monotonic()
        try:
            report = run_once(config, clock=clock, stop=stop, newsletter=newsletter)
        except Busy as err:
            log.info("%s: skipped: %s", name, err.message)
            return
        except SyndicateError as err:
            log.error("%s: failed after %.2f s: %s (will try again at the next tick)",
                      name, time.monotonic() - started, err.message)
            return
        except Exception:  # noqa: BLE001 - a scheduler must outlive any one job
            log.exception("%s: crashed after %.2f s (will try again at the next tick)",
                          name, time.monotonic() - started)
            return
        for problem in report.problems:
            log.warning("%s: %s", name, problem)
        level = logging.INFO if report.did_something else logging.DEBUG
        log.log(level, "%s: %s in %.2f s", name, describe(report), time.monotonic() - started)

    ticker.every(interval).seconds.do(job, "feeds", False)
    if cadence.kind != "manual":
        ticker.every(min(60.0, interval)).seconds.do(job, "newsletter", True)
    log.info("syndicate schedule: feeds every %s, newsletter %s (%s); Ctrl-C or SIGTERM stops.",
             config.schedule.feeds_every, cadence, config.site.timezone)
    ticker.run_all()
    while not stop.is_set():
        ticker.run_pending()
        idle = ticker.idle_seconds
        stop.wait(min(1.0, max(0.05, idle if idle is not None else 1.0)))
    log.info("syndicate schedule: stopped.")


def status_lines(config: Config, *, now: datetime) -> list[str]:
    """What ``syndicate status`` prints: the last build, the last issue, what is due next."""
    tz = config.tz
    lines = []

    def local(value: str | datetime | None) -> str:
        if value is None:
            return "never"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    with Store(config.state_path) as store:
        build = store.get("build")
        if build:
            r = build["report"]
            due = f"; next scheduled article {local(r['next_due'])}" if r.get("next_due") else ""
            lines.append(f"Feeds: last built {local(build.get('at'))}: {r['published']} articles published, "
                         f"{r['feeds']} feed files, {len(r['problems'])} problems{due}.")
        else:
            lines.append("Feeds: never built. Run: syndicate build")
        issues = store.issues()
        if issues:
            last = issues[-1]
            counts = store.delivery_counts(last.number)
            sent = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("sent", "queued", "deferred", "failed", "skipped"))
            lines.append(f"Newsletter: last issue #{last.number} “{last.subject}” on {local(last.date)}: "
                         f"{sent if counts else 'not sent yet'}.")
        else:
            lines.append("Newsletter: no issue yet.")
        cadence = parse_cadence(config.schedule.newsletter)
        if cadence.timed:
            upcoming = next_slot(now, cadence, tz)
            lines.append(f"Next newsletter: {local(upcoming)} ({cadence}, {config.site.timezone}).")
        else:
            lines.append(f"Next newsletter: {cadence}" + (" (syndicate newsletter, then syndicate send)."
                                                         if cadence.kind == "manual" else "."))
        counts = store.subscriber_counts()
        lines.append("Subscribers: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none") + ".")
        ran = store.get("run.at")
        lines.append(f"Last run: {local(ran)}; feeds every {config.schedule.feeds_every}.")
    return lines
