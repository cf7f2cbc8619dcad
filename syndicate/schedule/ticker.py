"""``syndicate schedule``: the long-running scheduler, a loop of passes timed on a monotonic clock.

Two jobs run :func:`~syndicate.schedule.run.run_once`: the feeds every [schedule] feeds_every,
and the newsletter (make it if due, send what is due) every minute, or more often if
feeds_every is shorter. What is due is decided in UTC by ``schedule.due``; only the waiting
between passes is timed here, on ``schedule.clock.monotonic``, which no step of the wall clock
moves, so daylight saving time in the process's own zone, an NTP step or a manual change of the
clock neither stalls nor doubles a pass.

Why not the ``schedule`` library's ticking: schedule 1.2 decides when a job is due by comparing
naive local ``datetime.datetime.now()`` readings (``Job.should_run``, ``Job._schedule_next_run``,
``Scheduler.idle_seconds``) and takes no clock to read instead, so a process whose local zone
leaves DST, or whose clock steps back, runs nothing for up to an hour (dbader/schedule#636).
Driving it from a monotonic clock would mean replacing its private methods or its module's
``datetime``; counting intervals is a few lines, so they are counted here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Config
from ..errors import ConfigError, SyndicateError
from ..state import open_store
from . import clock as clocks
from .due import parse_cadence, parse_interval
from .lock import Busy
from .run import Clock, describe, local_time, log, run_once
from .status import next_newsletter

#: Seconds between the lines an idle scheduler logs, so that it never looks dead.
IDLE_LINE_EVERY = 3600.0


@dataclass
class Backoff:
    """Repeated failures of one thing: the next try waits 1 min, then 2, 4 … up to 1 h."""

    first: float = 60.0
    longest: float = 3600.0
    failures: int = 0
    until: float = 0.0  # on the monotonic clock
    said: str | None = None  # the failure logged last: the same one again is not logged again

    def ready(self, now: float) -> bool:
        return now >= self.until

    def failed(self, message: str, now: float) -> tuple[bool, float]:
        """(is this a new state, worth a line in the log?, seconds until the next try)."""
        self.failures += 1
        delay = min(self.first * 2 ** (self.failures - 1), self.longest)
        self.until = now + delay
        new, self.said = message != self.said, message
        return new, delay

    def recovered(self) -> int:
        """Clear it; how many tries had failed."""
        failures, self.failures, self.until, self.said = self.failures, 0, 0.0, None
        return failures


@dataclass
class Job:
    name: str
    every: float
    newsletter: bool
    due: float = 0.0  # on the monotonic clock
    backoff: Backoff = field(default_factory=Backoff)


def wait_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"


class Scheduler:
    """The loop: runs the jobs when due, reloads the config on request, says what it does once."""

    def __init__(self, config: Config, *, stop: threading.Event, reload: threading.Event | None = None,
                 load: Callable[[], Config] | None = None, clock: Clock = clocks.utc_now,
                 monotonic: Callable[[], float] = clocks.monotonic) -> None:
        self.config = config
        self.stop = stop
        self.reload = reload or threading.Event()
        self.load = load
        self.clock = clock
        self.monotonic = monotonic
        self.sending = Backoff()  # sends that could not begin (the SMTP server is down)
        self.said: dict[str, object] = {"held": ()}  # the state each kind of line was last logged in
        self.last_line = 0.0
        self.jobs = self._jobs(config, [])

    def _jobs(self, config: Config, old: list[Job]) -> list[Job]:
        interval = parse_interval(config.schedule.feeds_every).total_seconds()
        jobs = [Job("feeds", interval, False), Job("newsletter", min(60.0, interval), True)]
        for job, before in zip(jobs, old):  # a reload keeps the clock running, sooner if the interval shrank
            job.due, job.backoff = min(before.due, self.monotonic() + job.every), before.backoff
        return jobs

    def _say(self, kind: str, state: object, level: int, message: str, *args: object) -> None:
        """Log ``message`` at ``level`` if ``kind`` was not last said in ``state``, else only with --verbose."""
        new = self.said.get(kind) != state
        self.said[kind] = state
        self._log(level if new else logging.DEBUG, message, *args)

    def _log(self, level: int, message: str, *args: object) -> None:
        if level >= logging.INFO:
            self.last_line = self.monotonic()
        log.log(level, message, *args)

    def run(self) -> None:
        """Tick until ``stop``; say what is left queued at the end."""
        config = self.config
        self._log(logging.INFO, "syndicate schedule: feeds every %s, newsletter %s (%s); Ctrl-C or SIGTERM stops, "
                  "SIGHUP reloads the settings.", config.schedule.feeds_every, parse_cadence(config.schedule.newsletter),
                  config.site.timezone)
        for job in self.jobs:
            if not self.stop.is_set():
                self._run(job)
        self._watching()
        while not self.stop.is_set():
            if self.reload.is_set():
                self.reload.clear()
                self._reload()
            for job in self.jobs:
                if self.stop.is_set():
                    break
                if self.monotonic() >= job.due:
                    self._run(job)
            if self.monotonic() - self.last_line >= IDLE_LINE_EVERY:
                self._watching()
            wait = min(job.due for job in self.jobs) - self.monotonic()
            self.stop.wait(min(1.0, max(0.05, wait)))
        self._log(logging.INFO, "syndicate schedule: stopped; %s.", self._left())

    def _run(self, job: Job) -> None:
        started = self.monotonic()
        job.due = started + job.every
        send = job.newsletter and self.sending.ready(started)
        try:
            report = run_once(self.config, clock=self.clock, stop=self.stop, newsletter=job.newsletter, send=send,
                              feeds=not job.newsletter)
        except Busy as err:
            self._say(f"{job.name}.busy", err.message, logging.INFO, "%s: skipped: %s", job.name, err.message)
            return
        except SyndicateError as err:
            return self._failed(job, err.message, started)
        except Exception as err:  # noqa: BLE001 - a scheduler must outlive any one job
            return self._failed(job, f"crashed ({type(err).__name__}: {err})", started, crash=True)
        self.said.pop(f"{job.name}.busy", None)
        tries = job.backoff.recovered()
        if tries:
            self._log(logging.INFO, "%s: works again, after %d failed tries.", job.name, tries)
        for warning in report.warnings:
            self._log(logging.WARNING, "%s: warning: %s", job.name, warning)
        for problem in report.problems:
            self._log(logging.WARNING, "%s: %s: %s", job.name, problem.level, problem)
        seconds = self.monotonic() - started
        self._log(logging.INFO if report.did_something else logging.DEBUG, "%s: %s in %.2f s", job.name,
                  describe(report), seconds)
        if job.newsletter and (report.held or self.said["held"]):
            self._say("held", tuple(report.held), logging.INFO, "newsletter: %s.",
                      "; ".join(report.held) or "quiet hours are over")
        if job.newsletter and send:
            self._sends(report.failures, started)

    def _sends(self, failures: list[str], started: float) -> None:
        """Back off while sends cannot begin; say it when that begins, changes and ends."""
        if not failures:
            tries = self.sending.recovered()
            if tries:
                self._log(logging.INFO, "newsletter: sending works again, after %d failed tries.", tries)
            return
        new, delay = self.sending.failed(failures[0], started)
        self._log(logging.ERROR if new else logging.DEBUG, "newsletter: not sent: %s (next try in %s%s)", failures[0],
                  wait_words(delay), ", then less often, up to every hour; said again when it changes" if new else "")

    def _failed(self, job: Job, message: str, started: float, *, crash: bool = False) -> None:
        new, delay = job.backoff.failed(message, started)
        job.due = started + max(delay, job.every)
        if new:
            self.last_line = self.monotonic()
        log.log(logging.ERROR if new else logging.DEBUG, "%s: failed after %.2f s: %s (next try in %s%s)", job.name,
                self.monotonic() - started, message, wait_words(max(delay, job.every)),
                ", then less often, up to every hour; said again when it changes" if new else "",
                exc_info=crash and new)

    def _reload(self) -> None:
        name = str(self.config.source or "the settings")
        try:
            config = self.load() if self.load else self.config
            parse_cadence(config.schedule.newsletter)
        except ConfigError as err:
            for problem in err.problems:
                self._log(logging.ERROR, "syndicate schedule: %s", problem)
            self._log(logging.ERROR, "syndicate schedule: %s not reloaded: going on with the settings in use. Fix it "
                      "and send SIGHUP again.", name)
            return
        self.config = config
        self.jobs = self._jobs(config, self.jobs)
        self._log(logging.INFO, "syndicate schedule: reloaded %s: feeds every %s, newsletter %s (%s).",
                  config.source or "the settings", config.schedule.feeds_every,
                  parse_cadence(config.schedule.newsletter), config.site.timezone)

    def _watching(self) -> None:
        """One line: what it watches, when the next newsletter goes."""
        config = self.config
        try:
            with open_store(config) as store:
                build = store.get("build") or {}
                upcoming = next_newsletter(config, self.clock(), store)
                scheduled = store.scheduled_sends()
        except SyndicateError as err:
            self._log(logging.INFO, "syndicate schedule: running; the state cannot be read: %s", err.message)
            return
        published = build.get("report", {}).get("published", 0)
        sends = "".join(f"; issue #{n} goes at {local_time(config, at)}" for n, _, at, begun in scheduled if not begun)
        self._log(logging.INFO, "syndicate schedule: watching %s (%d articles published), feeds every %s; next "
                  "newsletter: %s%s.", config.content_shown, published, config.schedule.feeds_every, upcoming, sends)

    def _left(self) -> str:
        """What the next pass has to send."""
        try:
            with open_store(self.config) as store:
                parts = []
                for number, at, begun in store.scheduler_sends():
                    counts = store.delivery_counts(number)
                    left = counts.get("queued", 0) + counts.get("deferred", 0)
                    if begun and left:
                        parts.append(f"issue #{number} has {left} message{'s' * (left != 1)} still queued")
                    elif not begun:
                        when = f" (set for {local_time(self.config, at)})" if at else ""
                        parts.append(f"issue #{number}{when} is not sent yet")
        except SyndicateError as err:
            return f"the state cannot be read ({err.message})"
        if not parts:
            return "nothing left to send"
        return ", ".join(parts) + "; the next syndicate run or schedule sends " + ("it" if len(parts) == 1 else "them")


def run_schedule(config: Config, *, stop: threading.Event, reload: threading.Event | None = None,
                 load: Callable[[], Config] | None = None, clock: Clock = clocks.utc_now,
                 monotonic: Callable[[], float] = clocks.monotonic) -> None:
    """Tick until ``stop``: the feeds every [schedule] feeds_every, the newsletter every minute (or
    more often). ``reload`` set: read the settings again with ``load`` (a broken file keeps the old
    ones). A failing job is logged once and tried again after 1 min, 2, 4 … up to 1 h; the loop goes on."""
    Scheduler(config, stop=stop, reload=reload, load=load, clock=clock, monotonic=monotonic).run()
