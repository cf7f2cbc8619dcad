"""Sending at a time: ``syndicate send --at``, ``--list``, ``--cancel``, and ``run`` and ``schedule`` sending then.

The commands read the clock of tests/fake_clock.py (``SYNDICATE_TEST_CLOCK``): in this process for
the CliRunner, in their own for the real ``syndicate run`` and ``schedule``. The site is
tests/data/site (Europe/Berlin), mailing to the file outbox; issue #1 is made by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndicate.cli import main
from syndicate.delivery.lease import SendLease
from syndicate.state import Store

from .fake_clock import FakeClock
from .test_clock import run
from .test_scheduler import Scheduler, addresses, configure, outbox, subscribe

SET = ("Issue #1 “Council approves new ferry: a plain-text article” goes at {when}: the first 'syndicate run' or "
       "'syndicate schedule' pass from then sends it. 'syndicate send --list' shows what is set; --cancel takes it "
       "off.\n")
USAGE = "Usage: main send [OPTIONS] [ISSUE]\nTry 'main send --help' for help.\n\n"
FORMS = "Write it like \"2026-12-02 08:00\" (in the site's time zone, Europe/Berlin) or with an offset, " \
        "\"2026-12-02 08:00+01:00\"."


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock of the commands run here (and of the processes started with its env)."""
    fake = FakeClock(tmp_path, "2026-12-01 12:00")
    monkeypatch.setenv("SYNDICATE_TEST_CLOCK", str(fake.path))
    return fake


@pytest.fixture
def issue(site: Path, runner: CliRunner, clock: FakeClock) -> Path:
    """Two subscribers and issue #1, made by hand: the site."""
    (site / "content" / "2027-01-01-future.md").unlink()
    subscribe(site, addresses(2))
    made = runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"])
    assert made.exit_code == 0, made.output
    return site


def send(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["send", *args])


def test_send_at_sets_an_issue_to_go_at_a_time_and_list_shows_it(runner: CliRunner, issue: Path) -> None:
    result = send(runner, "1", "--at", "2026-12-02 08:00")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == SET.format(when="2026-12-02 08:00 CET")
    assert send(runner, "--list").stdout == ("#1 “Council approves new ferry: a plain-text article” at 2026-12-02 "
                                             "08:00 CET (waiting).\n")
    status = runner.invoke(main, ["status"]).stdout
    assert "Scheduled: #1 at 2026-12-02 08:00 CET.\n" in status
    # With an offset, it is that instant; set again, it moves.
    moved = send(runner, "--at", "2026-12-02 09:30+00:00")  # no ISSUE: the newest
    assert moved.stdout == SET.format(when="2026-12-02 10:30 CET (it was set for 2026-12-02 08:00 CET)")
    with Store(issue / "syndicate.db") as store:
        assert store.send_at(1).isoformat() == "2026-12-02T09:30:00+00:00"


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--at", "2026-13-02 08:00"], f"{USAGE}Error: Invalid value for '--at': '2026-13-02 08:00' is not a date and time. "
                                       f"{FORMS}\n"),
        (["--at", "tomorrow"], f"{USAGE}Error: Invalid value for '--at': 'tomorrow' is not a date and time. {FORMS}\n"),
        (["--at", "2026-12-02"], f"{USAGE}Error: Invalid value for '--at': '2026-12-02' is not a date and time. {FORMS}\n"),
        (["--at", "2026-12-01 12:00"], "Error: 2026-12-01 12:00 CET is in the past. To send issue #1 now: "
                                       "syndicate send 1\n"),
        (["--at", "0001-01-01 00:00"], f"{USAGE}Error: Invalid value for '--at': '0001-01-01 00:00' is not a date and "
                                       "time a newsletter can go at. Write one like \"2026-12-02 08:00\".\n"),
        (["7", "--at", "2026-12-02 08:00"], "Error: there is no issue #7; the issues are #1 to #1.\n"),
        (["--cancel", "1"], "Error: issue #1 is not set to go at a time (syndicate send --list shows those that "
                            "are).\n"),
        (["--at", "2026-12-02 08:00", "--test", "me@example.com"], f"{USAGE}Error: --at and --test cannot be given "
                                                                   "together.\n"),
    ],
)
def test_send_at_refuses_what_it_cannot_do_and_says_why(runner: CliRunner, issue: Path, args: list[str],
                                                       expect: str) -> None:
    result = send(runner, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expect)


def test_send_at_refuses_an_issue_whose_send_began_or_is_done(runner: CliRunner, issue: Path) -> None:
    assert send(runner, "1", "--quiet").exit_code == 0
    result = send(runner, "1", "--at", "2026-12-02 08:00")
    assert (result.exit_code, result.stderr) == (2, "Error: issue #1 was sent already (2 sent).\n")


def test_send_without_issue_leaves_one_set_for_later_and_with_it_sends_now(runner: CliRunner, issue: Path) -> None:
    send(runner, "--at", "2026-12-02 08:00")
    later = send(runner)
    assert (later.exit_code, later.stdout) == (2, "")
    assert later.stderr == ("Error: issue #1 is set to go at 2026-12-02 08:00 CET; nothing sent now. To send it now: "
                            "syndicate send 1; to take it off the schedule: syndicate send --cancel 1\n")
    assert outbox(issue) == {}
    now = send(runner, "1")
    assert now.exit_code == 0 and outbox(issue) == {1: 2}
    assert send(runner, "--list").stdout.startswith("No issue is set to go at a time.")


def test_cancel_takes_an_issue_off_the_schedule_and_run_then_leaves_it(runner: CliRunner, issue: Path,
                                                                      clock: FakeClock) -> None:
    send(runner, "1", "--at", "2026-12-02 08:00")
    result = send(runner, "--cancel", "1")
    assert (result.exit_code, result.stdout) == (0, "Issue #1 no longer goes at 2026-12-02 08:00 CET; it waits for: "
                                                    "syndicate send 1\n")
    assert send(runner, "--list").stdout == ("No issue is set to go at a time. Set one with: syndicate send ISSUE "
                                             "--at \"YYYY-MM-DD HH:MM\"\n")
    clock.at("2026-12-02 07:00")
    assert run(issue, clock, "run", "--quiet") == (0, "", "")
    assert outbox(issue) == {}


def test_run_sends_the_issue_at_its_time_and_not_before(runner: CliRunner, issue: Path, clock: FakeClock) -> None:
    send(runner, "1", "--at", "2026-12-02 08:00")
    assert run(issue, clock.at("2026-12-01 12:00"), "run", "--quiet") == (0, "", "")  # the feeds
    assert run(issue, clock.at("2026-12-02 06:59:59"), "run") == (0, "", "")
    assert outbox(issue) == {}
    assert run(issue, clock.at("2026-12-02 07:00"), "run") == (0, "issue #1: 2 sent, 0 deferred, 0 failed.\n", "")
    assert outbox(issue) == {1: 2}
    assert run(issue, clock.at("2026-12-02 07:01"), "run") == (0, "", "")
    assert outbox(issue) == {1: 2}


@pytest.mark.parametrize(("quiet", "sent_at_night"), [("", True), ("22:00-07:00", False)])
def test_a_machine_off_at_the_time_sends_at_its_first_pass_after_held_by_quiet_hours(
        runner: CliRunner, issue: Path, clock: FakeClock, quiet: str, sent_at_night: bool) -> None:
    configure(issue, schedule={"quiet_hours": quiet})
    send(runner, "1", "--at", "2026-12-02 08:00")
    # The machine was off all day; it is back at 23:00, in the quiet hours.
    night = run(issue, clock.at("2026-12-02 22:00"), "run")
    assert night[0] == 0 and ("issue #1: 2 sent" in night[1]) == sent_at_night
    if not sent_at_night:
        assert outbox(issue) == {}
        code, listed, _ = run(issue, clock.at("2026-12-03 05:00"), "send", "--list")  # as run sees it
        assert code == 0 and "late, and held by quiet hours" in listed and "it goes at 2026-12-03 07:00" in listed
        assert run(issue, clock.at("2026-12-03 05:59"), "run") == (0, "", "")
        assert run(issue, clock.at("2026-12-03 06:00"), "run") == (0, "issue #1: 2 sent, 0 deferred, 0 failed.\n", "")
    assert outbox(issue) == {1: 2}


def test_a_send_at_its_time_while_another_process_sends_the_issue_is_left_to_it(
        runner: CliRunner, issue: Path, clock: FakeClock) -> None:
    send(runner, "1", "--at", "2026-12-02 08:00")
    assert run(issue, clock.at("2026-12-02 06:00"), "run", "--quiet") == (0, "", "")  # the feeds
    clock.at("2026-12-02 07:00")
    with Store(issue / "syndicate.db") as store:
        lease = SendLease(store, 1, ttl=timedelta(minutes=5), clock=lambda: clock.now)  # type: ignore[arg-type,return-value]
        lease.take()  # this (living) process sends issue #1
        code, out, err = run(issue, clock, "run")
        assert (code, err) == (0, "")
        assert out.startswith("Issue #1 is being sent by another syndicate (pid ") and "nothing sent here" in out
        assert outbox(issue) == {}
        lease.release()
    assert run(issue, clock, "run") == (0, "issue #1: 2 sent, 0 deferred, 0 failed.\n", "")


@pytest.fixture(name="scheduler")
def start_scheduler() -> Iterator[Callable[..., Scheduler]]:
    started: list[Scheduler] = []

    def start(site: Path, *args: str, clock: FakeClock | None = None) -> Scheduler:
        started.append(Scheduler(site, *args, clock=clock))
        return started[-1]

    yield start
    for s in started:
        s.kill()


@pytest.mark.slow
def test_schedule_sends_an_issue_set_for_a_time_then_and_says_so_at_the_start(
        runner: CliRunner, issue: Path, clock: FakeClock, scheduler: Callable[..., Scheduler]) -> None:
    configure(issue, schedule={"feeds_every": "1s"})  # newsletter: manual
    send(runner, "1", "--at", "2026-12-02 08:00")
    running = scheduler(issue, "--verbose", clock=clock)
    assert running.wait_for_log("syndicate schedule: watching ").endswith(
        "next newsletter: manual (syndicate newsletter, then syndicate send); issue #1 goes at 2026-12-02 08:00 "
        "CET.\n")
    mark = running.mark()
    clock.at("2026-12-02 06:59:50")
    running.wait_for_log("newsletter: nothing to do", since=mark)
    running.wait_for_log("newsletter: nothing to do", since=running.mark())
    assert outbox(issue) == {}
    clock.at("2026-12-02 07:00:05")
    running.wait_for_log("newsletter: issue #1: 2 sent, 0 deferred, 0 failed in ")
    assert outbox(issue) == {1: 2}
    assert running.terminate() == 0
    assert running.log().rstrip("\n").endswith(" syndicate schedule: stopped; nothing left to send.")
