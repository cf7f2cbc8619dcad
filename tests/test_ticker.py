"""``syndicate schedule`` as a long-running process: signals (SIGHUP reloads, SIGTERM and SIGINT stop
cleanly, saying what is left to send) and how it backs off a failure.

The real process, in a site of its own (tests/test_scheduler.py's ``live_site``: "on publish", feeds
every second, mail to tests/smtp_server.py).
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syndicate.schedule.ticker import Backoff, wait_words

from .live_servers import SmtpServer, free_port
from .test_scheduler import COMMAND, STARTED, Scheduler, addresses, article, live_site, wait_for


@pytest.fixture(name="smtp")
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "received", free_port())
    yield server
    server.stop()


@pytest.fixture(name="scheduler")
def start_scheduler() -> Iterator[Callable[..., Scheduler]]:
    started: list[Scheduler] = []

    def start(site: Path, *args: str) -> Scheduler:
        started.append(Scheduler(site, *args))
        return started[-1]

    yield start
    for s in started:
        s.kill()


def test_backoff_waits_one_minute_then_twice_as_long_up_to_an_hour_and_says_each_change_once() -> None:
    backoff = Backoff()
    waits = []
    for n in range(9):
        new, delay = backoff.failed("the server is down", now=1000.0)
        waits.append((new, wait_words(delay)))
    assert waits == [(True, "1 min"), (False, "2 min"), (False, "4 min"), (False, "8 min"), (False, "16 min"),
                     (False, "32 min"), (False, "1 h"), (False, "1 h"), (False, "1 h")]
    assert not backoff.ready(1000.0 + 3599) and backoff.ready(1000.0 + 3600)
    assert backoff.failed("the login is refused", now=5000.0)[0] is True  # another failure: said
    assert backoff.recovered() == 10
    assert backoff.ready(0.0) and backoff.failed("the server is down", now=0.0) == (True, 60.0)


@pytest.mark.slow
def test_sighup_reloads_the_settings_and_a_broken_file_keeps_those_in_use(
        tmp_path: Path, smtp: SmtpServer, scheduler: Callable[..., Scheduler]) -> None:
    smtp.start()
    emails = addresses(2)
    site = live_site(tmp_path, smtp.port, emails)
    running = scheduler(site)
    running.wait_for_log("syndicate schedule: watching ")
    settings = site / "syndicate.toml"
    good = settings.read_text(encoding="utf-8")

    settings.write_text(good + "[schedule]\nfeeds_every = \"2s\"\n", encoding="utf-8")  # a table twice: not TOML
    mark = running.mark()
    running.send(signal.SIGHUP)
    running.wait_for_log("syndicate schedule: syndicate.toml not reloaded: going on with the settings in use. Fix it "
                         "and send SIGHUP again.", since=mark)
    assert re.search(r" syndicate schedule: syndicate.toml: not valid TOML: .+\.\n", running.log()[mark:])
    # Still at work, with the old settings: a new article is published and mailed.
    article(site, "2026-06-02-news.md", "Fresh news", "2026-06-02", content=str(tmp_path / "articles"))
    wait_for(lambda: smtp.copies() == Counter({e: 2 for e in emails}), "issue #2 at every subscriber")

    settings.write_text(good.replace('feeds_every = "1s"', 'feeds_every = "2s"').replace(
        'newsletter = "on publish"', 'newsletter = "daily at 08:00"'), encoding="utf-8")
    mark = running.mark()
    running.send(signal.SIGHUP)
    running.wait_for_log("syndicate schedule: reloaded syndicate.toml: feeds every 2s, newsletter daily at 08:00 "
                         "(Europe/Berlin).", since=mark)
    article(site, "2026-06-03-more.md", "More news", "2026-06-03", content=str(tmp_path / "articles"))
    wait_for(lambda: "More news" in (site / "output" / "feeds" / "rss.xml").read_text(encoding="utf-8"),
             "the next article in the feed")
    assert running.terminate() == 0
    assert smtp.copies() == Counter({e: 2 for e in emails})  # daily now: "More news" waits for 08:00
    assert "Traceback" not in running.log()


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_a_send_ends_cleanly_says_what_is_still_queued_and_the_next_run_sends_it(
        tmp_path: Path, smtp: SmtpServer, scheduler: Callable[..., Scheduler], stop: int) -> None:
    smtp.start(delay=0.02)
    emails = addresses(300)
    site = live_site(tmp_path, smtp.port, emails)
    running = scheduler(site)
    running.wait_for_log(STARTED)
    wait_for(lambda: sum(smtp.copies().values()) >= 20, "the send under way")
    assert running.terminate(stop) == 0

    log = running.log()
    sent = re.search(r" newsletter: issue #1 created \(“First light”\); issue #1: (\d+) sent, 0 deferred, 0 failed, "
                     r"(\d+) still queued in \d+\.\d\d s\n", log)
    assert sent, log
    done, left = int(sent[1]), int(sent[2])
    assert done + left == 300 and left > 0
    assert log.endswith(f" syndicate schedule: stopped; issue #1 has {left} messages still queued; the next "
                        "syndicate run or schedule sends it.\n"), log
    assert "Traceback" not in log

    rest = subprocess.run([*COMMAND, "run"], cwd=site, capture_output=True, text=True, timeout=120)
    assert (rest.returncode, rest.stderr, rest.stdout) == (0, "", f"issue #1: {left} sent, 0 deferred, 0 failed.\n")
    # The message in flight at the stop was finished and recorded: nobody twice, nobody left out.
    assert smtp.copies() == Counter({e: 1 for e in emails})
