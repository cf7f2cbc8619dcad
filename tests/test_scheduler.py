"""Doing the work on time: ``syndicate run``, ``syndicate schedule`` and ``syndicate status``.

``syndicate run`` reads the real clock, so the tests that travel in time call
``run_once(config, clock=...)``, the very function it calls. Mail goes to the file
outbox (output/outbox/<issue>/) unless a test needs a real SMTP server: then it is
tests/smtp_server.py (aiosmtpd) in a process of its own on 127.0.0.1, which stores
each message it accepts as ``<folder>/<recipient>/<n>.eml``.

The site is tests/data/site; the tests that run with the real clock remove its one
article dated in the future (2027-01-01), so that what they print does not depend
on the day they run.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import Config, load_config
from syndicate.newsletter.make import make_newsletter
from syndicate.schedule.lock import RunLock
from syndicate.schedule.run import run_once

from .conftest import NOW, site_store, write
from .fake_clock import FakeClock
from .live_servers import SmtpServer, free_port

COMMAND = [sys.executable, "-c", "from syndicate.cli import main; main()"]
FIRST_SUBJECT = "Council approves new ferry: a plain-text article"
CONNECTION_REFUSED = str(ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED)))
FORMS = '"daily at 08:00", "weekly on monday at 08:00", "monthly on 1 at 09:00", "on publish", "manual"'


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


class Clock:
    """A clock a test sets by hand: ``clock.at("2026-11-29 07:00")``."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def at(self, text: str) -> Clock:
        self.now = utc(text)
        return self

    def __call__(self) -> datetime:
        return self.now


# -- the site ------------------------------------------------------------------------------

def configure(site: Path, **tables: dict[str, Any]) -> Config:
    """Add tables to the site's syndicate.toml (``schedule={"newsletter": "on publish"}``)."""
    text = ""
    for table, settings in tables.items():
        text += f"\n[{table}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write(text)
    return load_config(site / "syndicate.toml")


def smtp_delivery(port: int) -> dict[str, Any]:
    return {"transport": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
            "retry_delay": 0.05, "timeout": 10}


def without_the_future_article(site: Path) -> None:
    (site / "content" / "2027-01-01-future.md").unlink()


def addresses(n: int) -> list[str]:
    return [f"reader{i:03d}@example.com" for i in range(1, n + 1)]


def subscribe(site: Path, emails: list[str]) -> None:
    """``syndicate subscribers import`` of a generated CSV file."""
    csv = write(site.parent / f"{site.name}-subscribers.csv",
                "email,name\n" + "".join(f"{e},Reader {e.split('@')[0]}\n" for e in emails))
    result = CliRunner().invoke(main, ["-c", str(site / "syndicate.toml"), "subscribers", "import", str(csv)])
    assert result.exit_code == 0, result.output


def article(site: Path, name: str, title: str, date: str, content: str = "content") -> Path:
    """Drop an article into the content folder in one step (written aside, then renamed)."""
    temp = write(site / f".{name}.tmp", f"---\ntitle: {title}\ndate: {date}\n---\n\nAbout {title}.\n")
    target = site / content / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, target)
    return target


def outbox(site: Path) -> dict[int, int]:
    """How many messages the file transport wrote for each issue."""
    folder = site / "output" / "outbox"
    if not folder.is_dir():
        return {}
    return {int(box.name): len(list(box.glob("*.eml"))) for box in folder.iterdir() if box.is_dir()}


def issues(site: Path) -> list[tuple[int, str, int]]:
    """(number, subject, how many articles) of every issue recorded."""
    with site_store(site) as store:
        return [(i.number, i.subject, len(i.article_ids)) for i in store.issues()]


def last_slot(site: Path) -> str | None:
    with site_store(site) as store:
        return store.get("schedule.last_slot")


def did(report: Any) -> tuple[list[int], list[tuple[int, int]]]:
    """(issues created, (issue, sent) for each send that sent something) by one pass."""
    return [i.number for i in report.created], [(s.issue, s.sent) for s in report.sends if s.sent]


# -- a real SMTP server ----------------------------------------------------------------------

@pytest.fixture
def smtp(tmp_path: Path) -> Any:
    """An SMTP server on a free port, not started yet."""
    server = SmtpServer(tmp_path / "received", free_port())
    yield server
    server.stop()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)


# -- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "value", "expect"),
    [
        ("newsletter", "hourly", f"'schedule.newsletter': 'hourly' is not a cadence. Use one of: {FORMS}."),
        ("newsletter", "weekly on mo at 08:00",
         f"'schedule.newsletter': 'weekly on mo at 08:00' is not a cadence. Use one of: {FORMS}."),
        ("newsletter", "daily at 25:00",
         f"'schedule.newsletter': 'daily at 25:00' is not a cadence. Use one of: {FORMS}."),
        ("feeds_every", "5x", "'schedule.feeds_every': '5x' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("feeds_every", "", "'schedule.feeds_every': '' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("feeds_every", "0s", "'schedule.feeds_every': '0s' is too short: the shortest interval is \"1s\"."),
        ("catch_up_within", "an hour",
         "'schedule.catch_up_within': 'an hour' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("quiet_hours", "22-7", "'schedule.quiet_hours': '22-7' is not a time window. Write it like \"22:00-07:00\" "
                                "(site time zone), or \"\" for none."),
        ("quiet_hours", "07:00-07:00", "'schedule.quiet_hours': '07:00-07:00' starts and ends at the same time. Write "
                                       "the window like \"22:00-07:00\", or \"\" for none."),
    ],
)
@pytest.mark.parametrize("command", ["run", "schedule", "status"])
def test_a_bad_schedule_setting_is_a_config_error_that_shows_the_accepted_forms(
        runner: CliRunner, site: Path, command: str, key: str, value: str, expect: str) -> None:
    lines = (site / "syndicate.toml").read_text(encoding="utf-8").count("\n")
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write(f"\n[schedule]\n{key} = {json.dumps(value)}\n")
    result = runner.invoke(main, [command])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: syndicate.toml, line {lines + 3}: {expect}\n"
    assert not (site / "output").exists()


def test_every_bad_schedule_setting_is_reported_at_once(runner: CliRunner, site: Path) -> None:
    lines = (site / "syndicate.toml").read_text(encoding="utf-8").count("\n")
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[schedule]\nnewsletter = "sometimes"\nfeeds_every = "often"\n')
    result = runner.invoke(main, ["run"])
    assert result.exit_code == 2
    assert sorted(result.stderr.splitlines()) == [
        (f"Error: syndicate.toml, line {lines + 3}: 'schedule.newsletter': 'sometimes' is not a cadence. "
         f"Use one of: {FORMS}."),
        (f"Error: syndicate.toml, line {lines + 4}: 'schedule.feeds_every': 'often' is not an interval. "
         "Write it like \"30s\", \"15m\" or \"1h\"."),
    ]


# -- syndicate run, with the real clock --------------------------------------------------------

def test_run_with_a_manual_newsletter_prints_nothing_when_nothing_changed(runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    first = runner.invoke(main, ["run"])
    assert (first.exit_code, first.stdout, first.stderr) == (0, "feeds rebuilt (43 files changed, 5 articles).\n", "")
    again = runner.invoke(main, ["run"])
    assert (again.exit_code, again.output) == (0, "")
    assert outbox(site) == {} and issues(site) == []


def test_run_quiet_prints_nothing_at_all(runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    result = runner.invoke(main, ["run", "--quiet"])
    assert (result.exit_code, result.output) == (0, "")
    assert (site / "output" / "feeds" / "rss.xml").is_file()  # it did the work, quietly
    article(site, "2026-06-01-new.md", "New one", "2026-06-01")
    result = runner.invoke(main, ["run", "-q"])
    assert (result.exit_code, result.output) == (0, "")
    assert "New one" in (site / "output" / "feeds" / "rss.xml").read_text(encoding="utf-8")


def test_run_rebuilds_the_feeds_for_a_new_article_and_says_so_in_one_line(runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    runner.invoke(main, ["run"])
    article(site, "2026-06-01-new.md", "New one", "2026-06-01")
    result = runner.invoke(main, ["run"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "feeds rebuilt (8 files changed, 6 articles).\n", "")
    assert "<title>New one</title>" in (site / "output" / "feeds" / "rss.xml").read_text(encoding="utf-8")
    assert runner.invoke(main, ["run"]).output == ""
    assert issues(site) == []  # manual: the newsletter waits for `syndicate newsletter`


def test_on_publish_each_run_sends_what_was_published_since_the_last(runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(3))

    first = runner.invoke(main, ["run"])
    assert (first.exit_code, first.stderr) == (0, "")
    assert first.stdout == (f"feeds rebuilt (43 files changed, 5 articles); issue #1 created (“{FIRST_SUBJECT}”); "
                            "issue #1: 3 sent, 0 deferred, 0 failed.\n")
    assert outbox(site) == {1: 3}

    second = runner.invoke(main, ["run"])
    assert (second.exit_code, second.output) == (0, "")
    assert outbox(site) == {1: 3}

    article(site, "2026-06-01-new.md", "New one", "2026-06-01")
    third = runner.invoke(main, ["run"])
    assert (third.exit_code, third.stderr) == (0, "")
    assert third.stdout == ("feeds rebuilt (8 files changed, 6 articles); issue #2 created (“New one”); "
                            "issue #2: 3 sent, 0 deferred, 0 failed.\n")
    assert outbox(site) == {1: 3, 2: 3}
    assert issues(site) == [(1, FIRST_SUBJECT, 1), (2, "New one", 1)]
    assert runner.invoke(main, ["run"]).output == ""
    assert outbox(site) == {1: 3, 2: 3}


def test_run_does_not_send_an_issue_made_with_syndicate_newsletter(runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(2))
    made = runner.invoke(main, ["newsletter"])
    assert made.exit_code == 0, made.output
    result = runner.invoke(main, ["run"])
    assert (result.exit_code, result.stdout) == (0, "feeds rebuilt (38 files changed, 5 articles).\n")
    assert outbox(site) == {}  # `syndicate send` sends it
    assert issues(site) == [(1, FIRST_SUBJECT, 1)]


# -- syndicate run's pass, in time (run_once with a clock) ---------------------------------------

def test_on_publish_an_article_dated_in_the_future_is_mailed_by_the_first_run_after_its_date(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(2))
    article(site, "2026-12-01-later.md", "Later", "2026-12-01T08:00:00Z")
    rss = site / "output" / "feeds" / "rss.xml"
    clock = Clock()

    assert did(run_once(config, clock=clock.at("2026-11-28 12:00"))) == ([1], [(1, 2)])
    assert "Later" not in rss.read_text(encoding="utf-8")
    assert did(run_once(config, clock=clock.at("2026-12-01 07:59:59"))) == ([], [])
    assert "Later" not in rss.read_text(encoding="utf-8")

    report = run_once(config, clock=clock.at("2026-12-01 08:00"))
    assert did(report) == ([2], [(2, 2)])
    assert report.build.written > 0
    assert "<title>Later</title>" in rss.read_text(encoding="utf-8")
    assert issues(site)[-1] == (2, "Later", 1)

    assert did(run_once(config, clock=clock.at("2026-12-01 08:01"))) == ([], [])
    assert outbox(site) == {1: 2, 2: 2}
    # The article of 2027 goes out when its own time comes, and alone.
    assert did(run_once(config, clock=clock.at("2027-01-01 00:00"))) == ([3], [(3, 2)])
    assert issues(site)[-1] == (3, "From the future", 1)


def test_a_daily_newsletter_starts_at_the_next_slot_and_sends_once_that_day(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00"})  # Europe/Berlin: 07:00 UTC in winter
    subscribe(site, addresses(3))
    clock = Clock()

    first = run_once(config, clock=clock.at("2026-11-28 12:00"))
    assert did(first) == ([], []) and first.slot is None
    assert first.build.written > 0  # the feeds are built at once
    assert last_slot(site) == "2026-11-28T07:00:00+00:00"  # recorded, not served
    for moment in ("2026-11-28 20:00", "2026-11-29 06:59:59"):
        assert did(run_once(config, clock=clock.at(moment))) == ([], [])
    assert outbox(site) == {}

    due = run_once(config, clock=clock.at("2026-11-29 07:00:30"))
    assert did(due) == ([1], [(1, 3)])
    assert due.slot == utc("2026-11-29 07:00")
    assert last_slot(site) == "2026-11-29T07:00:00+00:00"
    assert issues(site) == [(1, FIRST_SUBJECT, 5)]

    for moment in ("2026-11-29 07:01", "2026-11-29 12:00", "2026-11-29 22:59"):
        assert did(run_once(config, clock=clock.at(moment))) == ([], [])
    assert outbox(site) == {1: 3}


def test_a_due_slot_with_nothing_new_sends_nothing_and_still_counts_as_served(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00"})
    subscribe(site, addresses(2))
    clock = Clock()
    run_once(config, clock=clock.at("2026-11-28 12:00"))
    assert did(run_once(config, clock=clock.at("2026-11-29 07:00"))) == ([1], [(1, 2)])

    quiet = run_once(config, clock=clock.at("2026-11-30 07:00"))
    assert did(quiet) == ([], []) and quiet.slot == utc("2026-11-30 07:00")
    assert last_slot(site) == "2026-11-30T07:00:00+00:00"

    # An article published after that slot waits for the next one.
    article(site, "2026-11-30-noon.md", "Noon", "2026-11-30T11:00:00Z")
    later = run_once(config, clock=clock.at("2026-11-30 12:00"))
    assert did(later) == ([], [])
    assert later.build.written > 0  # in the feeds at once, though
    assert did(run_once(config, clock=clock.at("2026-12-01 06:59"))) == ([], [])
    assert did(run_once(config, clock=clock.at("2026-12-01 07:00"))) == ([2], [(2, 2)])
    assert issues(site)[-1] == (2, "Noon", 1)
    assert outbox(site) == {1: 2, 2: 2}


@pytest.mark.parametrize(("catch_up", "expect"), [(True, ([2], [(2, 2)])), (False, ([], []))])
def test_after_a_week_off_one_catch_up_issue_or_none_without_catch_up(site: Path, catch_up: bool, expect) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00", "catch_up": catch_up})
    subscribe(site, addresses(2))
    clock = Clock()
    run_once(config, clock=clock.at("2026-11-20 12:00"))
    assert did(run_once(config, clock=clock.at("2026-11-21 07:00"))) == ([1], [(1, 2)])
    article(site, "2026-11-23-away.md", "While away", "2026-11-23T10:00:00Z")

    back = run_once(config, clock=clock.at("2026-11-29 12:00"))  # eight days later, five hours after 08:00
    assert did(back) == expect
    assert last_slot(site) == "2026-11-29T07:00:00+00:00"
    assert did(run_once(config, clock=clock.at("2026-11-29 12:01"))) == ([], [])
    if not catch_up:  # the article waits for the next slot
        assert did(run_once(config, clock=clock.at("2026-11-30 07:00"))) == ([2], [(2, 2)])
    assert issues(site)[-1] == (2, "While away", 1)


def test_a_clock_that_jumps_back_sends_nothing_again(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00"})
    subscribe(site, addresses(2))
    clock = Clock()
    run_once(config, clock=clock.at("2026-11-28 12:00"))
    assert did(run_once(config, clock=clock.at("2026-11-29 07:00"))) == ([1], [(1, 2)])
    article(site, "2026-11-29-more.md", "More", "2026-11-20T10:00:00Z")
    for moment in ("2026-11-29 06:00", "2026-11-28 07:00", "2026-11-29 07:00"):
        assert did(run_once(config, clock=clock.at(moment))) == ([], [])
    assert last_slot(site) == "2026-11-29T07:00:00+00:00"
    assert outbox(site) == {1: 2}


def test_an_issue_made_but_not_sent_before_a_crash_is_sent_by_the_next_run(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(3))
    # What run_once does just before it sends; then the process dies.
    made = make_newsletter(config, now=NOW, auto_send=True)
    assert [i.number for i in made.created] == [1]
    assert outbox(site) == {}

    clock = Clock(NOW + timedelta(minutes=1))
    assert did(run_once(config, clock=clock)) == ([], [(1, 3)])
    assert outbox(site) == {1: 3}
    assert did(run_once(config, clock=clock)) == ([], [])
    assert outbox(site) == {1: 3}
    assert issues(site) == [(1, FIRST_SUBJECT, 1)]


def test_an_issue_made_while_nobody_subscribed_is_not_sent_to_who_joins_later(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "on publish"})
    clock = Clock()
    assert did(run_once(config, clock=clock.at("2026-11-28 12:00"))) == ([1], [])
    article(site, "2026-11-28-second.md", "Second", "2026-11-28T12:30:00Z")
    assert did(run_once(config, clock=clock.at("2026-11-28 13:00"))) == ([2], [])
    subscribe(site, ["late@example.com"])
    assert did(run_once(config, clock=clock.at("2026-11-29 12:00"))) == ([], [])
    assert outbox(site) == {}


def test_on_publish_makes_one_issue_per_new_article_even_two_within_one_pass(site: Path) -> None:
    config = configure(site, schedule={"newsletter": "on publish"})  # [newsletter] mode: digest, the default
    subscribe(site, addresses(2))
    clock = Clock()
    assert did(run_once(config, clock=clock.at("2026-11-28 12:00"))) == ([1], [(1, 2)])
    article(site, "2026-11-28-one.md", "One", "2026-11-28T12:10:00Z")
    article(site, "2026-11-28-two.md", "Two", "2026-11-28T12:20:00Z")
    assert did(run_once(config, clock=clock.at("2026-11-28 12:30"))) == ([2, 3], [(2, 2), (3, 2)])
    assert issues(site)[1:] == [(2, "One", 1), (3, "Two", 1)]  # oldest first


@pytest.mark.parametrize("cadence", ["on publish", "daily at 08:00"])
def test_quiet_hours_hold_an_on_publish_issue_and_a_catch_up_until_they_end(site: Path, cadence: str) -> None:
    config = configure(site, schedule={"newsletter": cadence, "quiet_hours": "22:00-07:00"})
    subscribe(site, addresses(2))
    clock = Clock()
    run_once(config, clock=clock.at("2026-11-27 12:00"))  # (on publish: issue #1, the backlog's newest)
    made = len(issues(site))
    article(site, "2026-11-28-late.md", "Late", "2026-11-28T21:30:00Z")  # 22:30 in Berlin
    # Back at 23:00 (on publish: just published; daily: this morning's 08:00 missed, the machine was off).
    night = run_once(config, clock=clock.at("2026-11-28 22:00"))
    assert did(night) == ([], []) and night.build.written > 0  # the feeds do not wait
    assert night.held == [("new articles wait" if cadence == "on publish" else
                           "the catch-up issue for 2026-11-28 08:00 CET waits")
                          + " for the end of quiet hours (22:00-07:00) at 2026-11-29 07:00 CET"]
    assert did(run_once(config, clock=clock.at("2026-11-29 05:59"))) == ([], [])
    morning = run_once(config, clock=clock.at("2026-11-29 06:00"))  # 07:00 in Berlin
    assert did(morning) == ([made + 1], [(made + 1, 2)]) and morning.held == []
    assert issues(site)[-1][1] == "Late"


@pytest.mark.parametrize(("within", "served"), [("1h", False), ("2h", True)])
def test_catch_up_within_is_how_late_a_slot_may_be_and_still_go_without_catch_up(
        site: Path, within: str, served: bool) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00", "catch_up": False, "catch_up_within": within})
    subscribe(site, addresses(2))
    clock = Clock()
    run_once(config, clock=clock.at("2026-11-28 12:00"))
    late = run_once(config, clock=clock.at("2026-11-29 08:30"))  # 09:30 in Berlin: 90 minutes late
    assert did(late) == (([1], [(1, 2)]) if served else ([], []))
    assert last_slot(site) == "2026-11-29T07:00:00+00:00"


# -- the lock ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["run"], ["run", "--quiet"]])
def test_run_while_another_run_holds_the_lock_does_nothing_and_exits_0(runner: CliRunner, site: Path,
                                                                         config: Config, args: list[str]) -> None:
    with RunLock(config):
        result = runner.invoke(main, args)
    assert (result.exit_code, result.stderr) == (0, "")
    if "--quiet" in args:
        assert result.stdout == ""
    else:
        assert result.stdout == (f"another syndicate run or schedule (pid {os.getpid()}) is working on "
                                 "syndicate.db; nothing done.\n")
    assert not (site / "output").exists()
    # Once released, the next run does the work.
    assert runner.invoke(main, ["run", "-q"]).exit_code == 0
    assert (site / "output" / "feeds" / "rss.xml").is_file()


def test_a_run_held_up_for_over_an_hour_by_a_stuck_one_says_so_and_exits_1(
        runner: CliRunner, site: Path, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.schedule import lock

    with RunLock(config):
        later = time.time() + 2 * 3600
        monkeypatch.setattr(lock.time, "time", lambda: later)  # two hours on
        result = runner.invoke(main, ["run", "--quiet"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: another syndicate run or schedule (pid {os.getpid()}) has held the lock on "
                             f"syndicate.db for 2.0 hours; nothing done. If that process is stuck, stop it (kill "
                             f"{os.getpid()}); the next run goes on.\n")


@pytest.mark.usefixtures("backend")
def test_two_runs_at_once_send_each_subscriber_exactly_one_copy(site: Path, smtp: SmtpServer) -> None:
    smtp.start()
    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"}, delivery=smtp_delivery(smtp.port))
    emails = addresses(50)
    subscribe(site, emails)

    outs = [site.parent / f"run{n}.out" for n in (1, 2)]
    handles = [open(out, "wb") for out in outs]  # noqa: SIM115 (closed below)
    try:
        processes = [subprocess.Popen([*COMMAND, "run"], cwd=site, stdout=h, stderr=subprocess.STDOUT)
                     for h in handles]
        codes = [p.wait(timeout=60) for p in processes]
    finally:
        for h in handles:
            h.close()
    outputs = sorted(out.read_text(encoding="utf-8") for out in outs)
    assert codes == [0, 0], outputs
    assert smtp.copies() == Counter({e: 1 for e in emails})
    sent = [o for o in outputs if "issue #1 created" in o]
    assert sent == [(f"feeds rebuilt (43 files changed, 5 articles); issue #1 created (“{FIRST_SUBJECT}”); "
                     "issue #1: 50 sent, 0 deferred, 0 failed.\n")]
    other = next(o for o in outputs if o not in sent)
    STATE = os.environ.get("SYNDICATE_DATABASE_URL") or "syndicate.db"  # noqa: N806
    # The other one found the lock taken, or came after and found nothing to do.
    assert other == "" or (other.startswith("another syndicate run or schedule (pid ")
                           and other.endswith(f") is working on {STATE}; nothing done.\n")), other


def test_a_run_whose_smtp_server_is_down_fails_and_the_next_one_sends(runner: CliRunner, site: Path,
                                                                        smtp: SmtpServer) -> None:
    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"}, delivery=smtp_delivery(smtp.port))
    emails = addresses(3)
    subscribe(site, emails)
    down = runner.invoke(main, ["run"])
    assert down.exit_code == 1
    assert down.stderr.startswith(f"Error: issue #1: cannot connect to the SMTP server 127.0.0.1:{smtp.port} (")
    assert issues(site) == [(1, FIRST_SUBJECT, 1)]  # made, and kept for the next run

    smtp.start()
    up = runner.invoke(main, ["run"])
    assert (up.exit_code, up.stderr, up.stdout) == (0, "", "issue #1: 3 sent, 0 deferred, 0 failed.\n")
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert runner.invoke(main, ["run"]).output == ""


# -- syndicate status ------------------------------------------------------------------------

def test_status_of_a_site_never_built(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["status"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "Feeds: never built. Run: syndicate build",
        "Newsletter: no issue yet.",
        "Next newsletter: manual (syndicate newsletter, then syndicate send).",
        "Subscribers: none.",
        "Last run: never; feeds every 15m.",
    ]


def test_status_shows_the_last_build_the_last_issue_and_the_next_slot_in_the_sites_zone(
        runner: CliRunner, site: Path) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00", "feeds_every": "5m"})
    subscribe(site, addresses(3))
    result = runner.invoke(main, ["subscribers", "unsubscribe", "reader003@example.com"])
    assert result.exit_code == 0, result.output
    clock = Clock()
    run_once(config, clock=clock.at("2026-11-28 12:00"))
    run_once(config, clock=clock.at("2026-11-29 07:00"))

    result = runner.invoke(main, ["status", "--now", "2026-11-29T12:00:00Z"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        # The pass at 08:00 found the feeds up to date: the last build is the first pass's.
        ("Feeds: last built 2026-11-28 13:00 CET: 5 articles published, 24 feed files, 0 problems; "
         "next scheduled article 2027-01-01 01:00 CET."),
        (f"Newsletter: last issue #1 “{FIRST_SUBJECT}” on 2026-11-29 08:00 CET: "
         "2 sent, 0 queued, 0 deferred, 0 failed, 0 skipped."),
        "Next newsletter: 2026-11-30 08:00 CET (daily at 08:00, Europe/Berlin).",
        "Subscribers: 2 active, 1 unsubscribed.",
        "Last run: 2026-11-29 08:00 CET; feeds every 5m.",
    ]


@pytest.mark.parametrize(
    ("cadence", "now", "expect"),
    [
        ("daily at 08:00", "2026-11-29T07:00:00Z", "2026-11-30 08:00 CET (daily at 08:00, Europe/Berlin)"),
        ("daily at 08:00", "2026-11-29T06:59:59Z", "2026-11-29 08:00 CET (daily at 08:00, Europe/Berlin)"),
        ("daily at 02:30", "2026-03-28T12:00:00Z", "2026-03-29 03:30 CEST (daily at 02:30, Europe/Berlin)"),
        ("daily at 02:30", "2026-10-24T12:00:00Z", "2026-10-25 02:30 CEST (daily at 02:30, Europe/Berlin)"),
        ("weekly on Mon at 9:15", "2026-11-28T12:00:00Z",
         "2026-11-30 09:15 CET (weekly on monday at 09:15, Europe/Berlin)"),
        ("monthly on 31 at 09:00", "2026-11-01T00:00:00Z",
         "2026-11-30 09:00 CET (monthly on 31 at 09:00, Europe/Berlin)"),
    ],
)
def test_status_gives_the_next_newsletter_in_the_sites_time_zone(runner: CliRunner, site: Path, cadence: str,
                                                                  now: str, expect: str) -> None:
    configure(site, schedule={"newsletter": cadence})
    result = runner.invoke(main, ["status", "--now", now])
    assert result.exit_code == 0, result.output
    assert f"Next newsletter: {expect}.\n" in result.stdout


def test_status_says_a_missed_slot_is_due_now_and_one_held_by_quiet_hours(runner: CliRunner, site: Path) -> None:
    config = configure(site, schedule={"newsletter": "daily at 08:00", "quiet_hours": "22:00-07:00"})
    run_once(config, clock=Clock().at("2026-11-27 12:00"))  # the schedule starts; then the machine is off

    def next_newsletter(now: str) -> str:
        out = runner.invoke(main, ["status", "--now", now]).stdout
        return next(line for line in out.splitlines() if line.startswith("Next newsletter: "))

    zone = "(daily at 08:00, Europe/Berlin; quiet hours 22:00-07:00 hold a catch-up until they end)."
    assert next_newsletter("2026-11-28T12:00:00Z") == ("Next newsletter: due now, the slot of 2026-11-28 08:00 CET, "
                                                       f"if articles are new since the last {zone}")
    assert next_newsletter("2026-11-28T22:00:00Z") == ("Next newsletter: the catch-up for 2026-11-28 08:00 CET, held "
                                                       f"by quiet hours until 2026-11-29 07:00 CET {zone}")


def test_status_for_on_publish_and_an_issue_not_sent_yet(runner: CliRunner, site: Path) -> None:
    configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(1))
    assert runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    result = runner.invoke(main, ["status", "--now", "2026-11-28T12:00:00Z"])
    lines = result.stdout.splitlines()
    assert lines[1:5] == [
        f"Newsletter: last issue #1 “{FIRST_SUBJECT}” on 2026-11-28 13:00 CET: not sent yet.",
        "Not sent yet: #1 (syndicate send).",
        "Next newsletter: on publish (one issue per new article).",
        "Subscribers: 1 active.",
    ]


# -- syndicate schedule, a real process ---------------------------------------------------------

def live_site(tmp_path: Path, port: int, emails: list[str]) -> Path:
    """A site of its own: one article, content in a temp folder, feeds every second, mail by SMTP."""
    site = tmp_path / "live"
    content = tmp_path / "articles"
    write(site / "syndicate.toml", "\n".join([
        "[site]", 'title = "Live"', 'base_url = "https://live.example.org/"', 'timezone = "Europe/Berlin"',
        "[content]", f"dir = {json.dumps(str(content))}",
        "[schedule]", 'feeds_every = "1s"', 'newsletter = "on publish"',
        "[delivery]", *(f"{k} = {json.dumps(v)}" for k, v in smtp_delivery(port).items()), ""]))
    article(site, "2026-06-01-first.md", "First light", "2026-06-01", content=str(content))
    subscribe(site, emails)
    return site


class Scheduler:
    """``syndicate schedule`` in a child process, its log in a file (``clock``: a FakeClock it reads)."""

    def __init__(self, site: Path, *args: str, clock: FakeClock | None = None, tz: str | None = None) -> None:
        self.log_path = site.parent / "schedule.log"
        env = clock.env if clock else dict(os.environ)
        if tz:
            env["TZ"] = tz  # the process's own local zone
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([*COMMAND, "schedule", *args], cwd=site, stdout=subprocess.DEVNULL,
                                            stderr=log, env=env)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def mark(self) -> int:
        """Where the log ends now: ``wait_for_log(text, since=mark)`` looks only after it."""
        return len(self.log())

    def wait_for_log(self, text: str, since: int = 0, timeout: float = 30.0) -> str:
        """Wait for ``text`` in the log (after ``since``); the log from ``since`` to the line with it."""
        def found() -> str | None:
            if self.process.poll() is not None:
                pytest.fail(f"syndicate schedule exited with {self.process.returncode}:\n{self.log()}")
            log = self.log()[since:]
            at = log.find(text)
            return log[:log.find("\n", at) + 1] if at >= 0 and log.find("\n", at) >= 0 else None
        return wait_for(found, f"{text!r} in the log of syndicate schedule", timeout=timeout)

    def send(self, sig: int) -> None:
        self.process.send_signal(sig)

    def terminate(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


STARTED = ("syndicate schedule: feeds every 1s, newsletter on publish (Europe/Berlin); Ctrl-C or SIGTERM stops, "
           "SIGHUP reloads the settings.")


@pytest.mark.slow
def test_schedule_publishes_a_new_article_to_the_feeds_and_subscribers_and_stops_on_sigterm(
        tmp_path: Path, smtp: SmtpServer, scheduler: Any) -> None:
    smtp.start()
    emails = addresses(4)
    site = live_site(tmp_path, smtp.port, emails)
    running = scheduler(site)
    running.wait_for_log(STARTED)
    rss = site / "output" / "feeds" / "rss.xml"

    wait_for(lambda: smtp.copies() == Counter({e: 1 for e in emails}), "issue #1 at every subscriber")
    article(site, "2026-06-02-news.md", "Fresh news", "2026-06-02", content=str(tmp_path / "articles"))
    wait_for(lambda: rss.exists() and "<title>Fresh news</title>" in rss.read_text(encoding="utf-8"),
             "the new article in the feed")
    wait_for(lambda: smtp.copies() == Counter({e: 2 for e in emails}), "issue #2 at every subscriber")
    assert smtp.subjects(emails[0]) == ["First light", "Fresh news"]

    assert running.terminate() == 0
    log = running.log()
    assert log.rstrip("\n").endswith(" syndicate schedule: stopped; nothing left to send."), log
    assert "issue #2 created (“Fresh news”)" in log
    assert "Traceback" not in log
    assert smtp.copies() == Counter({e: 2 for e in emails})  # nothing more went out


@pytest.mark.slow
def test_schedule_logs_a_failing_send_once_keeps_building_the_feeds_and_sends_once_the_server_is_up(
        tmp_path: Path, smtp: SmtpServer, scheduler: Any) -> None:
    emails = addresses(3)
    site = live_site(tmp_path, smtp.port, emails)  # the server is not started yet
    clock = FakeClock(tmp_path)  # the real time; the test moves the monotonic clock on
    running = scheduler(site, "--verbose", clock=clock)
    running.wait_for_log(STARTED)
    down = (f"newsletter: not sent: issue #1: cannot connect to the SMTP server 127.0.0.1:{smtp.port} "
            f"({CONNECTION_REFUSED}). Check [delivery] host, port and security, and that the server is running.")
    line = running.wait_for_log(down)
    assert line.endswith(f"{down} (next try in 1 min, then less often, up to every hour; said again when it "
                         "changes)\n"), line
    assert " newsletter: issue #1 created (“First light”) in " in running.log()  # made, and said so

    rss = site / "output" / "feeds" / "rss.xml"
    mark = running.mark()
    article(site, "2026-06-02-news.md", "Fresh news", "2026-06-02", content=str(tmp_path / "articles"))
    wait_for(lambda: rss.exists() and "<title>Fresh news</title>" in rss.read_text(encoding="utf-8"),
             "the new article in the feed while the SMTP server is down")
    running.wait_for_log("newsletter: issue #2 created (“Fresh news”) in ", since=mark)
    # The tries back off, 1 minute, then 2, then 4, and the same failure is not logged again (but with -v).
    for waited, then in ((60, "2 min"), (120, "4 min")):
        mark = running.mark()
        clock.skip(waited)
        running.wait_for_log(f"{down} (next try in {then})", since=mark)
    assert running.log().count(f"{down} (next try in 1 min") == 1
    assert running.process.poll() is None

    smtp.start()
    clock.skip(240)
    wait_for(lambda: smtp.copies() == Counter({e: 2 for e in emails}), "both issues at every subscriber")
    running.wait_for_log("newsletter: sending works again, after 3 failed tries.")
    assert sorted(smtp.subjects(emails[0])) == ["First light", "Fresh news"]
    assert running.terminate() == 0
    assert running.log().rstrip("\n").endswith(" syndicate schedule: stopped; nothing left to send.")
    assert smtp.copies() == Counter({e: 2 for e in emails})


def test_a_broken_article_is_reported_by_the_first_run_that_sees_it_not_every_minute(
    runner: CliRunner, site: Path
) -> None:
    without_the_future_article(site)
    runner.invoke(main, ["run", "--quiet"])
    write(site / "content" / "broken.md", "---\ntitle: Broken\ndate: 2026-13-01\n---\nBody.\n")
    first = runner.invoke(main, ["run", "--quiet"])
    assert first.exit_code == 1
    assert first.stderr == ("error: content/broken.md, line 3: 'date' is '2026-13-01', not a date. "
                            "Use YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.\n")
    again = runner.invoke(main, ["run", "--quiet"])
    assert (again.exit_code, again.output) == (0, "")
    # `syndicate build` still says it every time: it is the command you run to look.
    assert runner.invoke(main, ["build", "--quiet"]).exit_code == 1
