"""Clocks that are wrong or that jump: the real ``syndicate run``, ``status`` and ``schedule`` processes,
their clocks set by the test through ``SYNDICATE_TEST_CLOCK`` (tests/fake_clock.py).

The site is tests/data/site (Europe/Berlin: 08:00 there is 07:00 UTC in winter), mailing to the
file outbox. The wall clock of each process stands still where the test puts it; only the
monotonic clock runs (the real one, plus what the test skips).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .fake_clock import FakeClock
from .test_scheduler import COMMAND, Scheduler, addresses, article, configure, issues, outbox, subscribe

WATCHING = "syndicate schedule: watching content (5 articles published), feeds every 1s; next newsletter: "


def run(site: Path, clock: FakeClock, *args: str) -> tuple[int, str, str]:
    """A ``syndicate`` command in a process of its own, on the test's clock: (exit code, stdout, stderr)."""
    done = subprocess.run([*COMMAND, *args], cwd=site, env=clock.env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def next_newsletter(site: Path, clock: FakeClock) -> list[str]:
    """The lines of ``syndicate status`` about the next newsletter and the clock."""
    code, out, err = run(site, clock, "status")
    assert (code, err) == (0, ""), err
    return [line for line in out.splitlines() if line.startswith(("Next newsletter:", "Clock:"))]


# -- syndicate run -------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_run_with_the_clock_ten_days_ahead_does_not_silence_the_newsletter(site: Path, tmp_path: Path) -> None:
    configure(site, schedule={"newsletter": "daily at 08:00"})
    subscribe(site, addresses(2))
    clock = FakeClock(tmp_path, "2026-11-28 12:00")
    assert run(site, clock, "run", "--quiet") == (0, "", "")  # the schedule starts: 28 November's slot recorded

    clock.at("2026-12-08 12:00")  # the machine's clock is ten days fast for one pass
    code, out, err = run(site, clock, "run")
    assert (code, err) == (0, "") and "issue #1 created" in out
    assert outbox(site) == {1: 2}

    clock.at("2026-11-28 12:05")  # put right
    warning = ("the last newsletter slot served, 2026-12-08 08:00 CET, is later than the clock (2026-11-28 13:05 "
               "CET): the clock was ahead when it was served, or has stepped back since. The schedule starts again "
               "from now: the next newsletter is 2026-11-29 08:00 CET. Check the machine's clock (NTP).")
    assert next_newsletter(site, clock) == ["Next newsletter: 2026-11-29 08:00 CET (daily at 08:00, Europe/Berlin).",
                                            f"Clock: {warning}"]
    assert run(site, clock, "run", "--quiet") == (0, "", f"warning: {warning}\n")
    assert run(site, clock, "run", "--quiet") == (0, "", "")  # said once
    assert next_newsletter(site, clock) == ["Next newsletter: 2026-11-29 08:00 CET (daily at 08:00, Europe/Berlin)."]

    article(site, "2026-11-28-after.md", "After the fix", "2026-11-28T12:01:00Z")
    clock.at("2026-11-29 06:59")
    assert run(site, clock, "run", "--quiet") == (0, "", "")
    assert outbox(site) == {1: 2}
    clock.at("2026-11-29 07:00:30")  # and the next morning's newsletter goes, on time
    code, out, err = run(site, clock, "run")
    assert (code, err) == (0, "") and "issue #2 created (“After the fix”); issue #2: 2 sent" in out
    assert outbox(site) == {1: 2, 2: 2}


@pytest.mark.slow
def test_a_run_after_the_clock_stepped_back_two_hours_sends_the_slot_once(site: Path, tmp_path: Path) -> None:
    configure(site, schedule={"newsletter": "daily at 08:00"})
    subscribe(site, addresses(2))
    clock = FakeClock(tmp_path, "2026-11-28 12:00")
    assert run(site, clock, "run", "--quiet") == (0, "", "")
    clock.at("2026-11-29 07:00:30")
    assert run(site, clock, "run", "--quiet") == (0, "", "")
    assert outbox(site) == {1: 2}
    article(site, "2026-11-29-early.md", "Early bird", "2026-11-29T04:00:00Z")

    clock.step(hours=-2)  # NTP, or a hand, puts the clock two hours back: 06:00 in Berlin
    warning = ("the last newsletter slot served, 2026-11-29 08:00 CET, is later than the clock (2026-11-29 06:00 "
               "CET): the clock was ahead when it was served, or has stepped back since. It counts as served (it is "
               "the next slot), so that it does not go out twice: the next newsletter is 2026-11-30 08:00 CET. Check "
               "the machine's clock (NTP).")
    assert run(site, clock, "run", "--quiet") == (0, "", f"warning: {warning}\n")
    assert next_newsletter(site, clock) == ["Next newsletter: 2026-11-30 08:00 CET (daily at 08:00, Europe/Berlin).",
                                            f"Clock: {warning}"]
    for moment in ("2026-11-29 06:59", "2026-11-29 07:00", "2026-11-29 07:00:30", "2026-11-29 08:00"):
        assert run(site, clock.at(moment), "run", "--quiet") == (0, "", "")  # 08:00 again: nothing twice
    assert outbox(site) == {1: 2}
    clock.at("2026-11-30 07:00:10")
    code, out, err = run(site, clock, "run")
    assert (code, err) == (0, "") and "issue #2 created (“Early bird”); issue #2: 2 sent" in out
    assert outbox(site) == {1: 2, 2: 2}


# -- syndicate schedule --------------------------------------------------------------------------

@pytest.mark.slow
def test_schedule_goes_on_through_a_two_hour_step_back_and_sends_each_slot_once(
        site: Path, tmp_path: Path, scheduler: Callable[..., Scheduler]) -> None:
    (site / "content" / "2027-01-01-future.md").unlink()
    configure(site, schedule={"newsletter": "daily at 08:00", "feeds_every": "1s"})
    subscribe(site, addresses(2))
    clock = FakeClock(tmp_path, "2026-11-29 06:59:50")
    running = scheduler(site, "--verbose", clock=clock)
    line = running.wait_for_log(WATCHING)
    assert line.endswith(f"{WATCHING}2026-11-29 08:00 CET (daily at 08:00, Europe/Berlin).\n"), line

    clock.at("2026-11-29 07:00:10")
    running.wait_for_log("newsletter: issue #1 created (")
    assert outbox(site) == {1: 2}

    mark = running.mark()
    clock.step(hours=-2)  # 06:00:10 in Berlin
    article(site, "2026-11-29-more.md", "More", "2026-11-29T04:00:00Z")
    running.wait_for_log("feeds rebuilt (", since=mark)  # the passes go on: nothing waits for the old time
    running.wait_for_log("newsletter: warning: the last newsletter slot served, 2026-11-29 08:00 CET, is later than "
                         "the clock (2026-11-29 06:00 CET)", since=mark)

    mark = running.mark()
    clock.at("2026-11-29 07:00:40")  # 08:00 comes round again
    article(site, "2026-11-29-late.md", "Late", "2026-11-29T07:00:20Z")  # published only from then
    running.wait_for_log("feeds rebuilt (", since=mark)
    running.wait_for_log("newsletter: nothing to do", since=running.mark())
    assert "issue #2" not in running.log() and outbox(site) == {1: 2}
    assert running.log().count("newsletter: warning: ") == 1

    clock.at("2026-11-30 07:00:05")
    running.wait_for_log("newsletter: issue #2 created (“Late”); issue #2: 2 sent, 0 deferred, 0 failed in ")
    assert outbox(site) == {1: 2, 2: 2}
    assert [n for _, _, n in issues(site)] == [5, 2]
    assert running.terminate() == 0
    assert running.log().rstrip("\n").endswith(" syndicate schedule: stopped; nothing left to send.")
    assert "Traceback" not in running.log()


@pytest.mark.slow
def test_schedule_in_a_zone_leaving_summer_time_goes_on_and_serves_the_0230_slot_once(
        site: Path, tmp_path: Path, scheduler: Callable[..., Scheduler]) -> None:
    (site / "content" / "2027-01-01-future.md").unlink()
    configure(site, schedule={"newsletter": "daily at 02:30", "feeds_every": "1s"})
    subscribe(site, addresses(2))
    # 25 October 2026: at 03:00 CEST (01:00 UTC) Berlin's clocks go back to 02:00 CET, in the
    # process's own zone (TZ) as in the site's.
    clock = FakeClock(tmp_path, "2026-10-25 00:29:50")
    running = scheduler(site, "--verbose", clock=clock, tz="Europe/Berlin")
    line = running.wait_for_log(WATCHING)
    assert line.endswith(f"{WATCHING}2026-10-25 02:30 CEST (daily at 02:30, Europe/Berlin).\n"), line

    clock.at("2026-10-25 00:30:05")  # the first 02:30, summer time
    running.wait_for_log("newsletter: issue #1 created (")
    for moment, title in (("2026-10-25 00:59:59", "Before the change"), ("2026-10-25 01:30:05", "The second 0230")):
        mark = running.mark()
        clock.at(moment)
        article(site, f"{moment[:10]}-{title.lower().replace(' ', '-')}.md", title, moment.replace(" ", "T") + "Z")
        running.wait_for_log("feeds rebuilt (", since=mark)
        running.wait_for_log("newsletter: nothing to do", since=running.mark())
    assert "issue #2" not in running.log() and outbox(site) == {1: 2}  # the second 02:30 (CET) is not a slot

    clock.at("2026-10-26 01:30:05")  # 02:30 CET the next night
    running.wait_for_log("newsletter: issue #2 created (“The second 0230”); issue #2: 2 sent")
    assert outbox(site) == {1: 2, 2: 2}
    assert running.terminate() == 0
    assert "warning" not in running.log() and "Traceback" not in running.log()


@pytest.mark.slow
def test_an_idle_schedule_says_every_hour_what_it_watches_and_when_the_next_newsletter_goes(
        site: Path, tmp_path: Path, scheduler: Callable[..., Scheduler]) -> None:
    (site / "content" / "2027-01-01-future.md").unlink()
    configure(site, schedule={"newsletter": "weekly on monday at 08:00", "feeds_every": "1s"})
    clock = FakeClock(tmp_path, "2026-11-28 12:00")
    running = scheduler(site, clock=clock)
    expect = f"{WATCHING}2026-11-30 08:00 CET (weekly on monday at 08:00, Europe/Berlin).\n"
    assert running.wait_for_log(WATCHING).endswith(expect)
    mark = running.mark()
    clock.at("2026-11-28 13:00").skip(3600)  # an hour with nothing to say
    assert running.wait_for_log(WATCHING, since=mark).endswith(expect)
    assert running.log().count(WATCHING) == 2
    assert running.terminate() == 0
