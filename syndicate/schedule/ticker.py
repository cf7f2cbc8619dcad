"""``syndicate schedule``: the long-running scheduler, ticking with the ``schedule`` library."""

from __future__ import annotations

import logging
import threading
import time

from ..config import Config
from ..errors import SyndicateError
from .due import parse_cadence, parse_interval
from .lock import Busy
from .run import Clock, describe, log, run_once, utc_now


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

        def failed(message: str) -> None:
            log.error("%s: failed after %.2f s: %s (will try again at the next tick)",
                      name, time.monotonic() - started, message)

        try:
            report = run_once(config, clock=clock, stop=stop, newsletter=newsletter)
        except Busy as err:
            log.info("%s: skipped: %s", name, err.message)
            return
        except SyndicateError as err:
            failed(err.message)
            return
        except Exception:  # noqa: BLE001 - a scheduler must outlive any one job
            log.exception("%s: crashed after %.2f s (will try again at the next tick)",
                          name, time.monotonic() - started)
            return
        for problem in report.problems:
            log.warning("%s: %s", name, problem)
        for failure in report.failures:
            failed(failure)
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
