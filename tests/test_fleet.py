"""The send on a worker fleet: real Redis, real ``syndicate worker`` processes, a real SMTP server.

Each test has a site of its own (tests/data/site, [delivery] workers = "celery", a Redis
database number of its own as the broker), its SMTP server (tests/smtp_server.py, counting the
copies every recipient got) and its workers, started as ``syndicate worker`` processes. The
state is SQLite, shared by the workers in WAL mode, or (the tests taking ``backend``) also a
real PostgreSQL database of the test's own, as a fleet on several hosts would share it.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import ConfigError, load_config, mask_password
from syndicate.delivery.batches import send_batch
from syndicate.delivery.ratelimit import FleetRateLimiter
from syndicate.delivery.send import RateLimiter
from syndicate.state import Store

from .conftest import site_store, write
from .live_servers import SmtpServer, free_port
from .test_delivery import addresses, ledger, make_site, send

WORKER_COMMAND = [sys.executable, "-c", "from syndicate.cli import main; main()", "worker"]
#: How the fleet's tests set [delivery]: a short claim lease, so that a sweep comes every half second.
FLEET = {"workers": "celery", "claim_lease": 4, "batch_size": 50}


class Worker:
    """``syndicate worker`` in ``site``, its output in a log file; ``kill()`` is kill -9."""

    def __init__(self, site: Path, *, concurrency: int = 2) -> None:
        self.site = site
        self.log_path = site.parent / f"worker-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([*WORKER_COMMAND, "--concurrency", str(concurrency)], cwd=site,
                                            stdout=log, stderr=subprocess.STDOUT)
        self.concurrency = concurrency
        self.terminated = False

    def wait_ready(self, timeout: float = 30) -> Worker:
        """Once its first heartbeat is in the state."""
        until(lambda: any(f"-{self.process.pid}@" in name for name in live_workers(self.site))
              or self.process.poll() is not None, timeout=timeout, what="the worker's first heartbeat")
        assert self.process.poll() is None, self.output()
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self) -> None:
        """SIGTERM, once: Celery's warm shutdown finishes the batches under way (a second one is a cold stop)."""
        if self.process.poll() is None and not self.terminated:
            self.process.terminate()
            self.terminated = True

    def stop(self) -> int:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sent(self) -> int:
        """Messages this worker says it sent."""
        return sum(int(n) for n in re.findall(r": (\d+) sent, ", self.output()))


@pytest.fixture
def workers(site: Path) -> Iterator[Callable[..., Worker]]:
    """``workers(n, concurrency=2)``: n workers started in ``site``, ready; all stopped at the end."""
    started: list[Worker] = []

    def start(n: int = 1, *, concurrency: int = 2, folder: Path | None = None) -> list[Worker]:
        new = [Worker(folder or site, concurrency=concurrency) for _ in range(n)]
        started.extend(new)
        return [w.wait_ready() for w in new]

    yield start
    for worker in started:  # all at once: each takes a moment to finish its warm shutdown
        worker.terminate()
    for worker in started:
        worker.stop()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "received", free_port())
    yield server
    server.stop()


def until(condition: Callable[[], Any], *, timeout: float = 60, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def live_workers(site: Path) -> list[str]:
    from datetime import datetime, timedelta, timezone

    with site_store(site) as store:
        return [w.name for w in store.workers(seen_since=datetime.now(timezone.utc) - timedelta(seconds=10))]


def counts(site: Path, issue: int = 1) -> Counter[str]:
    return Counter(row.status for row in ledger(site, issue).values())


def fleet_site(runner: CliRunner, site: Path, port: int, broker: str, emails: list[str], **delivery: Any) -> None:
    make_site(runner, site, port, emails, **{**FLEET, "broker": broker, **delivery})


# -- settings ------------------------------------------------------------------------------

@pytest.mark.parametrize(("delivery", "expect"), [
    ('workers = "celery"', "syndicate.toml, line 2: 'delivery.workers' is 'celery', but no broker is set. Set "
                           "[delivery] broker = \"redis://localhost:6379/0\", or $SYNDICATE_BROKER_URL."),
    ('broker = "http://u:secret@mq"', "syndicate.toml, line 2: 'delivery.broker' is 'http://u:***@mq', not a Redis "
                                      "URL. Write it like 'redis://localhost:6379/0'."),
    ('workers = "fleet"', "syndicate.toml, line 2: 'delivery.workers' is 'fleet'; use 'in-process' or 'celery'."),
    ("batch_size = 0", "syndicate.toml, line 2: 'delivery.batch_size' is 0; use a number from 1 to 100000."),
    ("claim_lease = 1", "syndicate.toml, line 2: 'delivery.claim_lease' is 1; use a number from 2 to 86400."),
])
def test_fleet_settings_are_checked_naming_the_key(tmp_path: Path, delivery: str, expect: str) -> None:
    write(tmp_path / "syndicate.toml", f"[delivery]\n{delivery}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "syndicate.toml")
    assert str(caught.value).replace(str(tmp_path) + os.sep, "") == expect


def test_the_broker_url_comes_from_the_environment_first_and_its_password_is_never_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.config import broker_url

    write(tmp_path / "syndicate.toml", '[delivery]\nworkers = "celery"\n')
    monkeypatch.setenv("SYNDICATE_BROKER_URL", "redis://:s3cret@mq.example:6380/2")
    config = load_config(tmp_path / "syndicate.toml")  # no broker in the file: the variable is enough
    assert broker_url(config.delivery) == "redis://:s3cret@mq.example:6380/2"
    assert mask_password(broker_url(config.delivery)) == "redis://:***@mq.example:6380/2"
    assert mask_password("redis://mq:6379/0") == "redis://mq:6379/0"


def test_without_the_setting_celery_is_never_imported(runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    smtp.start()
    make_site(runner, site, smtp.port, addresses(2))
    code = ("import sys; from syndicate.cli import main\n"
            "try: main(['send', '--quiet'])\nexcept SystemExit as e: print(e.code, 'celery' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=site, capture_output=True, text=True, check=True)
    assert done.stdout == "0 False\n", done.stderr
    assert smtp.copies() == Counter({e: 1 for e in addresses(2)})


# -- the task ------------------------------------------------------------------------------

def test_a_batch_delivered_twice_sends_nothing_twice(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                     redis_url: str) -> None:
    smtp.start()
    emails = addresses(12)
    fleet_site(runner, site, smtp.port, redis_url, emails, batch_size=5)
    result = send(runner)  # no worker: the batches wait on the broker
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("Issue #1: 12 messages queued for the worker fleet (3 batches on "
                             f"{redis_url}). 'syndicate status' shows how it goes; 'syndicate send --wait' "
                             "follows it.\n")
    config = load_config(site / "syndicate.toml")
    first = send_batch(config, 1, 6, limiter=RateLimiter(0))
    assert first is not None and (first.sent, first.failed) == (5, 0)
    again = send_batch(config, 1, 6, limiter=RateLimiter(0))  # the same task, delivered again
    assert again is not None and again.sent == 0
    assert smtp.copies() == Counter({e: 1 for e in emails[5:10]})
    assert counts(site) == Counter({"queued": 7, "sent": 5})

    # While a live worker holds a batch, its task delivered to another sends nothing.
    with Store(site / "syndicate.db") as store:
        taken = store.take_batch(1, 1, holder="other", pid=os.getpid(), host=socket.gethostname(),
                                 now=_utc(), ttl=_seconds(60), is_dead=lambda claim: False)
    assert taken is not None and (taken.first, taken.last) == (1, 5)
    assert send_batch(config, 1, 1, limiter=RateLimiter(0)) is None
    assert smtp.copies() == Counter({e: 1 for e in emails[5:10]})
    status = runner.invoke(main, ["status"]).stdout
    assert "Fleet: issue #1 sending: 2 queued, 5 sending, 5 sent, 0 deferred, 0 failed, 0 skipped.\n" in status
    assert "Workers: none live. Start one with: syndicate worker\n" in status


def _utc() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _seconds(n: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


def test_the_rate_limit_holds_across_workers(redis_url: str) -> None:
    limiters = [FleetRateLimiter(redis_url, 30, key="syndicate:rate:test") for _ in range(2)]
    times: list[float] = []
    lock = threading.Lock()

    def run(limiter: FleetRateLimiter) -> None:
        for _ in range(25):
            limiter.acquire()
            with lock:
                times.append(time.monotonic())

    threads = [threading.Thread(target=run, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for limiter in limiters:
        limiter.close()
    times.sort()
    assert len(times) == 50
    assert max(sum(1 for t in times if start <= t < start + 0.99) for start in times) <= 30
    assert times[-1] - times[0] >= 0.99  # the last 20 waited for the first second to pass


# -- the fleet ----------------------------------------------------------------------------

@pytest.mark.slow
def test_two_workers_send_each_subscriber_exactly_once(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                       redis_url: str, workers: Callable[..., list[Worker]],
                                                       pg_state_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fleet as it runs beyond one machine: its state in PostgreSQL, its tasks in Redis."""
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_state_url)
    smtp.start()
    emails = addresses(5000)
    fleet_site(runner, site, smtp.port, redis_url, emails, batch_size=500)
    pair = workers(2)
    status = runner.invoke(main, ["status"]).stdout
    assert "Workers: 2 live: " in status, status
    result = send(runner, "--wait")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert re.fullmatch(rf"Issue #1 via SMTP 127\.0\.0\.1:{smtp.port} \(worker fleet\): 5000 sent, 0 deferred, "
                        r"0 failed, 0 skipped in \d+\.\d s\.\n", result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert counts(site) == Counter({"sent": 5000})
    assert all(w.sent() > 0 for w in pair), [w.sent() for w in pair]
    assert sum(w.sent() for w in pair) == 5000
    status = runner.invoke(main, ["status"]).stdout
    assert "Fleet: issue #1 done: 0 queued, 0 sending, 5000 sent, 0 deferred, 0 failed, 0 skipped.\n" in status
    again = send(runner, "--wait")
    assert again.stdout == "Issue #1 via SMTP 127.0.0.1:%d (worker fleet): 0 sent, 0 deferred, 0 failed, " \
                           "0 skipped (5000 sent before).\n" % smtp.port
    assert smtp.copies() == Counter({e: 1 for e in emails})
    for worker in pair:  # SIGTERM: a clean stop, and the worker is gone from the list
        worker.terminate()
    assert [w.stop() for w in pair] == [0, 0]
    assert "Workers: none live. Start one with: syndicate worker\n" in runner.invoke(main, ["status"]).stdout


def test_deferred_and_refused_messages_are_dealt_with_by_the_fleet_as_in_process(
        runner: CliRunner, site: Path, smtp: SmtpServer, redis_url: str,
        workers: Callable[..., list[Worker]]) -> None:
    emails = addresses(20)
    smtp.start(rcpt_first=6, refuse={emails[-1]: "550 5.1.1 No such user"})
    fleet_site(runner, site, smtp.port, redis_url, emails, batch_size=7, retry_delay=0.2, max_per_connection=4)
    workers(1)
    result = send(runner, "--wait")
    assert result.exit_code == 1, result.output  # as in-process: a failed message
    assert re.fullmatch(rf"Issue #1 via SMTP 127\.0\.0\.1:{smtp.port} \(worker fleet\): 19 sent, 0 deferred, "
                        r"1 failed, 0 skipped in \d+\.\d s\.\n", result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails[:-1]})
    rows = ledger(site)
    assert rows[emails[-1]].status == "failed"
    tries = smtp.log("RCPT")
    assert len([line for line in tries if " 451 " in line]) == 6
    assert sum(row.attempts for row in rows.values()) == len(tries) == 20 + 6  # each deferred one tried again
    assert {row.status for row in rows.values()} == {"sent", "failed"}
    # Each thread keeps its connection from batch to batch, renewed after max_per_connection messages.
    per_connection = smtp.connections()
    assert sum(per_connection.values()) == 19 and max(per_connection.values()) == 4, per_connection
    assert len(per_connection) <= 19 // 4 + 2, per_connection


def test_send_wait_reports_a_worker_that_cannot_reach_the_smtp_server(
        runner: CliRunner, site: Path, smtp: SmtpServer, redis_url: str,
        workers: Callable[..., list[Worker]]) -> None:
    emails = addresses(6)
    fleet_site(runner, site, smtp.port, redis_url, emails, claim_lease=2)  # the server is not started
    workers(1)
    result = send(runner, "--wait")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: a worker stopped: cannot connect to the SMTP server 127.0.0.1:{smtp.port} "
                                    "("), result.stderr
    assert result.stderr.endswith("Check [delivery] host, port and security, and that the server is running. "
                                  "The fleet tries the rest again in 2 s.\n"), result.stderr
    assert "Stopped before the end, 6 still queued" in result.stdout, result.stdout
    smtp.start()  # the server is back: the fleet sends the rest by itself, once the hold is over
    until(lambda: counts(site)["sent"] == 6, timeout=30, what="the fleet to send the rest")
    assert smtp.copies() == Counter({e: 1 for e in emails})


def _kill_trial(runner: CliRunner, site: Path, smtp: SmtpServer, broker: str, start: Callable[..., list[Worker]],
                rng: random.Random, n: int = 400) -> tuple[int, int]:
    """Two workers; one is killed (-9) once a random share of the send is done; a new one joins.
    Returns (duplicates, the killed worker's most in flight)."""
    emails = addresses(n)
    fleet_site(runner, site, smtp.port, broker, emails, batch_size=25)
    victim, other = start(2)
    assert send(runner).exit_code == 0
    at = rng.randrange(0, n * 9 // 10)
    until(lambda: sum(smtp.copies().values()) >= at, what=f"{at} messages sent")
    victim.kill()
    start(1)
    until(lambda: counts(site)["sent"] == n, timeout=60, what="the send to finish")
    copies = smtp.copies()
    assert set(copies) == set(emails)  # nothing lost
    assert counts(site) == Counter({"sent": n})
    return sum(copies.values()) - n, victim.concurrency  # one message in flight per thread at most


def test_a_worker_killed_at_a_random_moment_loses_nothing(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                          redis_url: str, workers: Callable[..., list[Worker]],
                                                          backend: str) -> None:
    smtp.start()
    seed = random.randrange(1 << 30)
    duplicates, in_flight = _kill_trial(runner, site, smtp, redis_url, workers, random.Random(seed))
    assert duplicates <= in_flight, f"seed {seed}"


@pytest.mark.slow
def test_twenty_workers_killed_at_random_moments_lose_nothing(
        runner: CliRunner, tmp_path: Path, redis_server: Any, postgres_server: Any, _pg_template: str,
        monkeypatch: pytest.MonkeyPatch, workers: Callable[..., list[Worker]]) -> None:
    """On PostgreSQL, the fleet's own database: each trial a new site and a new database."""
    import shutil

    from .conftest import DATA

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    for trial in range(20):
        folder = tmp_path / f"trial{trial}"
        shutil.copytree(DATA / "site", folder / "site")
        os.chdir(folder / "site")
        monkeypatch.setenv("SYNDICATE_DATABASE_URL", postgres_server.new_database(_pg_template))
        server = SmtpServer(folder / "received", free_port()).start()
        try:
            duplicates, in_flight = _kill_trial(runner, folder / "site", server, redis_server.new_url(),
                                                lambda n: workers(n, folder=folder / "site"), rng)
        finally:
            server.stop()
        print(f"trial {trial}: {duplicates} duplicates (at most {in_flight} in flight)")
        assert duplicates <= in_flight, f"trial {trial}, seed {seed}"


@pytest.mark.slow
def test_a_broker_restarted_mid_send_and_the_send_finishes(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                           redis_server: Any, workers: Callable[..., list[Worker]]
                                                           ) -> None:
    smtp.start()
    emails = addresses(400)
    fleet_site(runner, site, smtp.port, redis_server.new_url(), emails, batch_size=20)
    pair = workers(2)
    assert send(runner).exit_code == 0
    until(lambda: sum(smtp.copies().values()) >= 100, what="100 messages sent")
    redis_server.stop()  # nothing saved: the tasks waiting on it are lost
    redis_server.start()
    until(lambda: counts(site)["sent"] == 400, timeout=60, what="the send to finish")
    assert smtp.copies() == Counter({e: 1 for e in emails})
    # The lost batches were found in the ledger and queued again by a worker's sweep.
    assert any(re.search(r"queued \d+ batches again", w.output()) for w in pair)



@pytest.mark.slow
def test_postgresql_restarted_mid_send_and_the_workers_wait_and_go_on(
        runner: CliRunner, site: Path, smtp: SmtpServer, redis_url: str, postgres_server: Any, pg_state_url: str,
        monkeypatch: pytest.MonkeyPatch, workers: Callable[..., list[Worker]]) -> None:
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_state_url)
    smtp.start()
    emails = addresses(400)
    fleet_site(runner, site, smtp.port, redis_url, emails, batch_size=20)
    pair = workers(2)
    assert send(runner).exit_code == 0
    until(lambda: sum(smtp.copies().values()) >= 100, what="100 messages sent")
    postgres_server.stop()  # every connection of the workers is cut
    time.sleep(1)
    postgres_server.start()
    until(lambda: counts(site)["sent"] == 400, timeout=60, what="the send to finish")
    copies = smtp.copies()
    assert set(copies) == set(emails)  # nothing lost
    # At most the messages in flight when the server went away (one per thread) went twice.
    assert sum(copies.values()) - 400 <= sum(w.concurrency for w in pair), copies.most_common(5)
    assert all(w.process.poll() is None for w in pair)  # the workers waited, and went on

class FakeBroker:
    """A broker that only remembers what it was given, and says how many tasks wait."""

    def __init__(self, waiting: int | None = 0) -> None:
        self.given: list[tuple[int, int]] = []
        self.queued = waiting

    def enqueue(self, batch: Any) -> None:
        self.given.append((batch.issue, batch.first))

    def waiting(self) -> int | None:
        return self.queued


@pytest.mark.parametrize(("case", "waiting", "expect"), [
    ("waiting on the broker", 0, []),
    ("waiting long, the broker's queue empty: lost", 0, [1]),
    ("waiting long, the broker still busy", 5, []),
    ("waiting long, the broker away", None, []),
    ("held by a live worker of another host", 0, []),
    ("held by a worker of another host, expired", 0, [1]),
    ("held by a process of this host that is gone", 0, [1]),
    ("done, deferred rows due", 0, [1]),
    ("done, deferred rows not due yet", 0, []),
    ("held off after a fatal error", 0, []),
    ("done, nothing due", 0, []),
])
def test_the_sweep_queues_again_exactly_the_batches_nobody_is_on(
        runner: CliRunner, site: Path, now: Any, case: str, waiting: int | None, expect: list[int]) -> None:
    from syndicate.delivery.batches import sweep

    # No broker is reached: the sweep is given a fake one.
    fleet_site(runner, site, None, "redis://127.0.0.1:1/0", addresses(4), batch_size=2, transport="file")
    config = load_config(site / "syndicate.toml")
    minute = _seconds(60)
    with Store(config.state_path) as store, store.transaction():
        store.queue_delivery(1, now)
        store.add_batches(1, size=2, now=now - (minute if "long" in case else _seconds(0)))
        store.db.execute("UPDATE fleet_batch SET queued_at = NULL WHERE first_id = 3")  # taken, done
        store.db.execute("UPDATE delivery SET status = 'sent' WHERE subscriber_id >= 3")
        if "held" in case:
            gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                  text=True).stdout.strip()
            host, pid = (socket.gethostname(), int(gone)) if "gone" in case else ("elsewhere", 1)
            until_ = now + (-minute if "expired" in case else minute)
            store.db.execute("UPDATE fleet_batch SET queued_at = NULL, holder = ?, pid = ?, host = ?, held_until = ? "
                             "WHERE first_id = 1", ("" if "fatal" in case else "w", pid, host, until_.isoformat()))
        if "done" in case:
            store.db.execute("UPDATE fleet_batch SET queued_at = NULL WHERE first_id = 1")
            status = "sent" if "nothing" in case else "deferred"
            store.db.execute("UPDATE delivery SET status = ?, next_attempt_at = ? WHERE subscriber_id <= 2",
                             (status, (now + (minute if "not due" in case else -minute)).isoformat()))
    broker = FakeBroker(waiting)
    with Store(config.state_path) as store:
        assert sweep(store, config, broker, clock=lambda: now) == len(expect)
        assert broker.given == [(1, first) for first in expect]
        assert sweep(store, config, broker, clock=lambda: now) == 0  # queued now: not again at once


def test_a_worker_without_a_broker_says_what_to_set(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["worker"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ('Error: the worker fleet needs a broker: set [delivery] broker = "redis://localhost:6379/0", '
                             "or $SYNDICATE_BROKER_URL.\n")
