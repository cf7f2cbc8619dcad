"""One sender per issue: every command that sends holds the issue's lease in the state database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.state import Store

from .conftest import NOW, site_store
from .live_servers import SmtpServer, free_port
from .test_delivery import addresses, configure, ledger, subscribe

COMMAND = [sys.executable, "-c", "from syndicate.cli import main; main()"]
BUSY = re.compile(r"Issue #1 is being sent by another syndicate \(pid (\d+) on [^,]+, since "
                  r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); nothing sent here\. If that one stops, the next "
                  r"send resumes where it left off\.\n")
TTL = timedelta(seconds=60)


@pytest.fixture(name="smtp")
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """An SMTP server on a free port, not started yet: ``smtp.start(**behaviour)``."""
    server = SmtpServer(tmp_path / "received", free_port())
    yield server
    server.stop()


def start(site: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*COMMAND, *args], cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(smtp: SmtpServer, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while sum(smtp.copies().values()) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the send made no progress"
        time.sleep(0.01)


@pytest.mark.slow
def test_a_second_send_and_a_cron_run_while_a_send_is_under_way_send_nothing_and_say_who_sends(
        runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    # Issue #1 is the scheduler's (made by a run while the server was down), so `run` sends it too.
    (site / "content" / "2030-01-01-future.md").unlink(missing_ok=True)
    configure(site, smtp.port)
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[schedule]\nnewsletter = "on publish"\n')
    emails = addresses(2000)
    subscribe(runner, site, emails)
    assert runner.invoke(main, ["run"]).exit_code == 1  # issue #1 made; the server is down
    smtp.start(delay=0.002)

    first = start(site, "send")
    wait_for(smtp, 50, first)
    racers = [start(site, "send"), start(site, "send"), start(site, "run")]
    results = [p.communicate(timeout=120) for p in racers]
    out, err = first.communicate(timeout=120)

    assert (first.returncode, err) == (0, ""), out
    for process, (stdout, stderr) in zip(racers, results):
        assert (process.returncode, stderr) == (0, "")
        busy = BUSY.fullmatch(stdout)
        assert busy and int(busy[1]) == first.pid, stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})  # nobody twice, nobody left out
    assert {row.status for row in ledger(site).values()} == {"sent"}
    with site_store(site) as store:
        assert store.lease("send:1") is None  # released at the end


@pytest.mark.slow
@pytest.mark.usefixtures("backend")
def test_three_senders_started_at_the_same_moment_deliver_each_message_once(
        runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    configure(site, smtp.port, concurrency=2)
    emails = addresses(2000)
    subscribe(runner, site, emails)
    assert runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    smtp.start(delay=0.001)
    racers = [start(site, "send") for _ in range(3)]
    results = [p.communicate(timeout=120) for p in racers]
    assert [p.returncode for p in racers] == [0, 0, 0], results
    winners = [out for out, _ in results if not BUSY.fullmatch(out)]
    assert len(winners) >= 1
    for out in winners:  # whoever came after the winner had finished found nothing left to send
        assert re.match(r"Issue #1 via SMTP 127\.0\.0\.1:\d+: (2000 sent|0 sent, .*\(2000 sent before\))", out), out
    assert smtp.copies() == Counter({e: 1 for e in emails})


def test_a_killed_senders_lease_is_taken_over_at_once_and_the_send_resumes(
        runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    configure(site, smtp.port)
    emails = addresses(400)
    subscribe(runner, site, emails)
    assert runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    smtp.start(delay=0.002)
    first = start(site, "send")
    wait_for(smtp, 20, first)
    first.kill()
    first.communicate()
    with site_store(site) as store:
        assert store.lease("send:1").pid == first.pid  # left behind by the killed process
    resumed = runner.invoke(main, ["send"])
    assert (resumed.exit_code, resumed.stderr) == (0, ""), resumed.output
    copies = smtp.copies()
    assert set(copies) == set(emails) and sum(copies.values()) <= len(emails) + 1  # one in flight at most


# -- the lease itself, through the state --------------------------------------------------------

def test_a_lease_is_one_holders_until_it_expires_or_its_holder_is_gone(state_at: str | Path) -> None:
    with Store(state_at) as store:
        take = store.take_lease
        assert take("send:1", holder="a", pid=1, host="h1", now=NOW, ttl=TTL) is None
        held = take("send:1", holder="b", pid=2, host="h2", now=NOW + timedelta(seconds=59), ttl=TTL)
        assert (held.holder, held.pid, held.host) == ("a", 1, "h1")
        assert take("send:2", holder="b", pid=2, host="h2", now=NOW, ttl=TTL) is None  # another issue
        # Its holder renews it, so it lasts; once it is not renewed, it expires and is taken over.
        assert store.renew_lease("send:1", holder="a", now=NOW + timedelta(seconds=50), ttl=TTL)
        assert take("send:1", holder="b", pid=2, host="h2", now=NOW + timedelta(seconds=100), ttl=TTL) is not None
        assert take("send:1", holder="b", pid=2, host="h2", now=NOW + timedelta(seconds=111), ttl=TTL) is None
        assert not store.renew_lease("send:1", holder="a", now=NOW + timedelta(seconds=112), ttl=TTL)
        # A holder that is gone gives its lease up at once.
        assert take("send:1", holder="c", pid=3, host="h3", now=NOW + timedelta(seconds=112), ttl=TTL,
                    is_dead=lambda lease: lease.holder == "b") is None
        store.release_lease("send:1", holder="someone else")
        assert store.lease("send:1").holder == "c"
        store.release_lease("send:1", holder="c")
        assert store.lease("send:1") is None


def test_a_sender_whose_lease_was_taken_over_stops_before_sending_more(
        runner: CliRunner, site: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.config import load_config
    from syndicate.delivery import deliver_issue
    from syndicate.delivery import lease as lease_module

    configure(site, smtp.port)
    emails = addresses(30)
    subscribe(runner, site, emails)
    assert runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    smtp.start()
    renewals = []

    def renew_then_lose(self: lease_module.SendLease) -> bool:  # as if it had stalled past its time
        renewals.append(1)
        if len(renewals) == 10:
            with site_store(site) as other:
                other.take_lease(self.name, holder="another", pid=os.getpid(), host="elsewhere",
                                 now=self.clock() + timedelta(hours=1), ttl=TTL)
        return self.store.renew_lease(self.name, holder=self.holder, now=self.clock(), ttl=self.ttl)

    monkeypatch.setattr(lease_module.SendLease, "keep", renew_then_lose)
    report = deliver_issue(load_config(site / "syndicate.toml"))
    assert report.sent == 9 and report.interrupted
    assert report.errors == ["another sender took over issue #1 (this one had stalled); stopped here, and it "
                             "goes on from the ledger."]
    assert sum(smtp.copies().values()) == 9


@pytest.mark.slow
def test_a_sender_waiting_on_the_rate_limit_past_its_lease_does_not_send_alongside_the_one_that_took_over(
        runner: CliRunner, site: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from syndicate.config import load_config
    from syndicate.delivery import deliver_issue
    from syndicate.delivery import send as send_module

    configure(site, smtp.port, rate=0.4)  # a message every 2.5 s
    emails = addresses(3)
    subscribe(runner, site, emails)
    assert runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    smtp.start()
    monkeypatch.setattr(send_module, "lease_ttl", lambda config: timedelta(seconds=1))  # expires in the wait
    config = load_config(site / "syndicate.toml")
    first: list = []
    stalled = threading.Thread(target=lambda: first.append(deliver_issue(config)))
    stalled.start()
    deadline = time.monotonic() + 30
    while sum(smtp.copies().values()) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.2)  # the first sender's lease has run out while it waits to send the second message
    second = deliver_issue(config)
    stalled.join(timeout=60)
    assert first and first[0].interrupted and first[0].sent == 1
    assert second.sent == 2
    assert smtp.copies() == Counter({e: 1 for e in emails})


def test_a_lease_whose_process_is_gone_is_taken_over_at_once_only_on_its_own_host(state_at: str | Path) -> None:
    import socket

    from syndicate.delivery.lease import SendBusy, SendLease

    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()  # its pid now names no process (here)
    with Store(state_at) as store:
        for host, taken_over in ((f"not-{socket.gethostname()}", False), (socket.gethostname(), True)):
            store.take_lease("send:1", holder=f"{host}:{gone.pid}", pid=gone.pid, host=host, now=NOW, ttl=TTL)
            lease = SendLease(store, 1, ttl=TTL, clock=lambda: NOW + timedelta(seconds=1))
            if taken_over:
                lease.take()
                assert store.lease("send:1").holder == lease.holder
            else:  # on another host, the same pid may well be alive: only the lease's expiry can tell
                with pytest.raises(SendBusy, match=rf"pid {gone.pid} on {host}, since"):
                    lease.take()
            store.release_lease("send:1", holder=store.lease("send:1").holder)
