"""Delivery: ``syndicate send`` against a real SMTP server, and the ledger it keeps.

The server is tests/smtp_server.py (aiosmtpd) in a process of its own, on a free port
of 127.0.0.1. It stores every message it accepts as ``<folder>/<recipient>/<n>.eml``,
so each test counts the copies every subscriber got, and it misbehaves as each test
scripts it: 4xx and 5xx answers, dropped connections, AUTH, slowness. The site is
tests/data/site with a [delivery] table pointing at that server, subscribers imported
from a generated CSV file, and issue #1 made by ``syndicate newsletter``.
"""

from __future__ import annotations

import email.parser
import email.policy
import errno
import gc
import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner, Result

from syndicate.cli import main
from syndicate.config import DeliveryConfig, load_config
from syndicate.delivery.message import Outgoing
from syndicate.delivery.send import DeliveryReport, RateLimiter, deliver_issue
from syndicate.delivery.transport import SmtpTransport, Transport, make_transport
from syndicate.errors import DeliveryError
from syndicate.state import Store

from .conftest import NOW, site_store, write
from .live_servers import SmtpServer, free_port

NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
SUBJECT = "Council approves new ferry: a plain-text article"
CONNECTION_REFUSED = str(ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED)))
#: The command as a process of its own, for the tests that kill or interrupt it.
SEND_COMMAND = [sys.executable, "-c", "from syndicate.cli import main; main()", "send"]


# -- the SMTP server -----------------------------------------------------------------------

@pytest.fixture
def smtp(tmp_path: Path) -> Any:
    """An SMTP server on a free port, not started yet: ``smtp.start(**behaviour)``."""
    server = SmtpServer(tmp_path / "received", free_port())
    yield server
    server.stop()


# -- the site ------------------------------------------------------------------------------

def addresses(n: int, prefix: str = "reader") -> list[str]:
    return [f"{prefix}{i:04d}@example.com" for i in range(1, n + 1)]


def configure(site: Path, port: int | None = None, **delivery: Any) -> None:
    """Point the site at the SMTP server: a [delivery] table in syndicate.toml."""
    settings: dict[str, Any] = {}
    if port is not None:
        settings = {"transport": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
                    "retry_delay": 0.05, "timeout": 10}
    settings.update(delivery)
    if settings:
        lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
        with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
            fh.write(f"\n[delivery]\n{lines}")


def subscribe(runner: CliRunner, site: Path, emails: list[str], name: str = "subscribers.csv") -> None:
    """``syndicate subscribers import`` of a generated CSV file."""
    rows = "".join(f"{e},Reader {e.split('@')[0]}\n" for e in emails)
    write(site / name, "email,name\n" + rows)
    result = runner.invoke(main, ["subscribers", "import", name])
    assert result.exit_code == 0, result.output


def make_site(runner: CliRunner, site: Path, port: int | None, emails: list[str], *,
              pending: tuple[str, ...] = (), unsubscribed: tuple[str, ...] = (), **delivery: Any) -> None:
    """Configure delivery, add the subscribers (and some who must get nothing), make issue #1."""
    configure(site, port, **delivery)
    subscribe(runner, site, emails)
    with site_store(site) as store, store.transaction():
        for address in pending:
            store.add_subscriber(address, "Not confirmed", status="pending", now=NOW)
        for address in unsubscribed:
            store.add_subscriber(address, "Gone", now=NOW)
            store.set_status(address, "unsubscribed", NOW)
    result = runner.invoke(main, ["newsletter", *NOW_ARGS])
    assert result.exit_code == 0, result.output


def send(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["send", *args])


def summary(issue: int, port: int, sent: int, deferred: int = 0, failed: int = 0, skipped: int = 0,
            before: int = 0, extra: str = "") -> str:
    """The line ``syndicate send`` prints, as a regex: only the seconds are left open."""
    head = re.escape(f"Issue #{issue} via SMTP 127.0.0.1:{port}: {sent} sent, {deferred} deferred, "
                     f"{failed} failed, {skipped} skipped" + (f" ({before} sent before)" if before else ""))
    took = r" in \d+\.\d s" if sent else ""
    return head + took + re.escape("." + extra) + "\n"


def seconds(output: str) -> float:
    return float(re.search(r" in (\d+\.\d) s\.", output)[1])


class Row(NamedTuple):
    status: str
    attempts: int
    message_id: str
    reply: str


def ledger(site: Path, issue: int = 1) -> dict[str, Row]:
    """The delivery rows of ``issue``, by subscriber address."""
    with site_store(site) as store:
        rows = store.db.execute(
            "SELECT s.email, d.status, d.attempts, d.message_id, d.reply FROM delivery d "
            "JOIN subscriber s ON s.id = d.subscriber_id WHERE d.issue_number = ? ORDER BY s.id",
            (issue,)).fetchall()
    return {email: Row(*rest) for email, *rest in rows}


def statuses(site: Path) -> dict[str, tuple[str, int]]:
    """Every subscriber's (status, bounces)."""
    with site_store(site) as store:
        return {s.email: (s.status, s.bounces) for s in store.subscribers()}


def header(message: bytes, name: str) -> str:
    value = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(message)[name]
    return str(value) if value is not None else ""


def second_issue(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "2026-11-29-next.md", "---\ntitle: Next\ndate: 2026-11-29\n---\n\nMore news.\n")
    result = runner.invoke(main, ["newsletter", "--now", "2026-11-30T12:00:00Z"])
    assert result.stdout.startswith("Created issue #2 (1 article)"), result.output


# -- a normal send ---------------------------------------------------------------------------

@pytest.mark.usefixtures("backend")
def test_every_active_subscriber_gets_exactly_one_copy(runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    smtp.start()
    emails = addresses(5)
    make_site(runner, site, smtp.port, emails, pending=("waiting@example.com",),
              unsubscribed=("gone@example.com",))
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=5), result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert not [line for line in smtp.log("RCPT") if "waiting@" in line or "gone@" in line]

    rows = ledger(site)
    assert list(rows) == emails  # the pending and the unsubscribed have no row at all
    for address, row in rows.items():
        assert (row.status, row.attempts) == ("sent", 1)
        # The reply is the server's, and names the file it stored this very message in.
        number = re.fullmatch(r"250 2\.0\.0 Ok: queued as (\d+)", row.reply)[1]
        message = (smtp.folder / address / f"{number}.eml").read_bytes()
        assert header(message, "Message-ID") == row.message_id
        assert re.fullmatch(r"<issue1\.\d+\.[0-9a-f]{16}@blog\.example\.org>", row.message_id)
        assert header(message, "To") == f"Reader {address.split('@')[0]} <{address}>"
        assert header(message, "Subject") == SUBJECT
    assert len({row.message_id for row in rows.values()}) == 5

    log = smtp.log()
    again = send(runner)
    assert (again.exit_code, again.stderr) == (0, "")
    assert again.stdout == (f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: 0 sent, 0 deferred, 0 failed, 0 skipped "
                            "(5 sent before).\n")
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert smtp.log() == log  # not even a connection: there was nothing to send
    assert ledger(site) == rows


def test_the_file_transport_writes_one_eml_per_subscriber_and_no_second(runner: CliRunner, site: Path) -> None:
    emails = addresses(3)
    make_site(runner, site, None, emails, unsubscribed=("gone@example.com",))
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(re.escape("Issue #1 via output/outbox/: 3 sent, 0 deferred, 0 failed, 0 skipped in ")
                        + r"\d+\.\d s\.\n", result.stdout), result.stdout
    outbox = site / "output" / "outbox" / "1"
    files = sorted(outbox.iterdir())
    assert [f.name for f in files] == ["000000001.eml", "000000002.eml", "000000003.eml"]
    assert [header(f.read_bytes(), "To") for f in files] == [f"Reader {e.split('@')[0]} <{e}>" for e in emails]
    written = {f.name: f.read_bytes() for f in files}
    assert {row.status for row in ledger(site).values()} == {"sent"}

    again = send(runner)
    assert (again.exit_code, again.stdout) == (
        0, "Issue #1 via output/outbox/: 0 sent, 0 deferred, 0 failed, 0 skipped (3 sent before).\n")
    assert {f.name: f.read_bytes() for f in outbox.iterdir()} == written


def wait_for_files(folder: Path, process: subprocess.Popen[bytes], count: int, pattern: str = "*.eml") -> None:
    """Until ``count`` messages are in ``folder`` (the outbox; the SMTP server's, ``*/*.eml``)."""
    deadline = time.monotonic() + 60
    while sum(1 for _ in folder.glob(pattern)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the send made no progress"
        time.sleep(0.002)


@pytest.mark.slow
def test_a_killed_file_send_resumes_with_one_file_per_subscriber(runner: CliRunner, site: Path) -> None:
    # The file transport's "sent" marks are committed a page (500) at a time: a kill loses at most
    # a page of them, and the resume writes those files again, under the same names.
    emails = addresses(3000)
    make_site(runner, site, None, emails)
    outbox = site / "output" / "outbox" / "1"
    process = start_send(site)
    try:
        wait_for_files(outbox, process, random.randint(600, 1500))
        process.send_signal(signal.SIGKILL)
    finally:
        process.communicate()
    assert process.returncode == -signal.SIGKILL, "the send ended before the kill"
    written = sum(1 for _ in outbox.glob("*.eml"))
    recorded = sum(1 for row in ledger(site).values() if row.status == "sent")
    assert written < 3000 and 0 <= written - recorded <= 501, (written, recorded)

    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert re.fullmatch(re.escape("Issue #1 via output/outbox/: ") + str(3000 - recorded) + re.escape(
        f" sent, 0 deferred, 0 failed, 0 skipped ({recorded} sent before) in ") + r"\d+\.\d s\.\n", result.stdout)
    assert {row.status for row in ledger(site).values()} == {"sent"}
    files = sorted(outbox.iterdir())  # one file a subscriber, no temporary one left
    assert [f.name for f in files] == [f"{i:09d}.eml" for i in range(1, 3001)]
    assert sorted(header(f.read_bytes(), "To").split("<")[1].rstrip(">") for f in files) == emails


def test_an_interrupted_file_send_records_every_file_it_wrote(runner: CliRunner, site: Path) -> None:
    emails = addresses(3000)
    make_site(runner, site, None, emails)
    outbox = site / "output" / "outbox" / "1"
    process, out, err = interrupted(site, lambda process: wait_for_files(outbox, process, 700))
    assert (process.returncode, err.decode()) == (1, ""), out
    said = re.fullmatch(r"Issue #1 via output/outbox/: (\d+) sent, 0 deferred, 0 failed, 0 skipped in \d+\.\d s\. "
                        r"Stopped before the end, (\d+) still queued; run 'syndicate send' again to resume\.\n",
                        out.decode())
    assert said, out.decode()
    recorded = sum(1 for row in ledger(site).values() if row.status == "sent")
    written = sum(1 for _ in outbox.glob("*.eml"))
    assert int(said[1]) == recorded and int(said[2]) == 3000 - recorded
    assert 0 <= written - recorded <= 1  # a file written as the interrupt came, not recorded yet


def test_an_outbox_that_cannot_be_made_is_a_clear_error(runner: CliRunner, site: Path) -> None:
    make_site(runner, site, None, addresses(2))
    write(site / "output" / "outbox", "a file where the outbox folder goes")
    result = send(runner)
    assert isinstance(result.exception, SystemExit), result.exception  # not NotADirectoryError
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "output/outbox" in result.stderr, result.stderr
    assert {row.status for row in ledger(site).values()} == {"queued"}


def test_a_test_send_goes_to_one_address_and_records_nothing(runner: CliRunner, site: Path,
                                                             smtp: SmtpServer) -> None:
    smtp.start()
    make_site(runner, site, smtp.port, addresses(2))
    result = send(runner, "--test", "editor@example.com")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (f"Sent a test copy to editor@example.com via SMTP 127.0.0.1:{smtp.port}: "
                             "250 2.0.0 Ok: queued as 1\n")
    assert smtp.copies() == Counter({"editor@example.com": 1})
    assert header(smtp.messages("editor@example.com")[0], "Subject") == f"[Test] {SUBJECT}"
    assert ledger(site) == {}
    # The real send that follows is not shortened by the test copy.
    assert re.fullmatch(summary(1, smtp.port, sent=2), send(runner).stdout)


def test_a_dry_run_sends_nothing(runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    smtp.start()
    make_site(runner, site, smtp.port, addresses(4), pending=("waiting@example.com",))
    result = send(runner, "--dry-run")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (f"Would send issue #1 “{SUBJECT}” to 4 subscribers via SMTP 127.0.0.1:{smtp.port} "
                             "(0 sent already). Nothing was sent.\n")
    assert smtp.copies() == Counter()
    assert ledger(site) == {}


def test_a_dry_run_with_include_new_counts_who_joined(runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    smtp.start()
    emails = addresses(3)
    make_site(runner, site, smtp.port, emails)
    send(runner)
    # One who got the issue leaves, one joins: the two must not cancel out.
    with site_store(site) as store:
        store.set_status(emails[0], "unsubscribed", NOW)
    subscribe(runner, site, ["late@example.com"], "late.csv")
    assert send(runner, "--dry-run").stdout == (
        f"Would send issue #1 “{SUBJECT}” to 0 subscribers via SMTP 127.0.0.1:{smtp.port} (3 sent already). "
        "Nothing was sent.\n")
    result = send(runner, "--dry-run", "--include-new")
    assert result.stdout == (f"Would send issue #1 “{SUBJECT}” to 1 subscriber via SMTP 127.0.0.1:{smtp.port} "
                             "(3 sent already). Nothing was sent.\n")
    # What the real send then does:
    assert re.fullmatch(summary(1, smtp.port, sent=1, before=3), send(runner, "--include-new").stdout)


@pytest.mark.parametrize(("issues", "args", "expect"), [
    (0, [], "Error: there is no issue to send yet. Create one with: syndicate newsletter\n"),
    (0, ["--dry-run"], "Error: there is no issue to send yet. Create one with: syndicate newsletter\n"),
    (1, ["2"], "Error: there is no issue #2; the issues are #1 to #1.\n"),
    (1, ["0", "--test", "editor@example.com"], "Error: there is no issue #0; the issues are #1 to #1.\n"),
])
def test_sending_an_issue_that_does_not_exist(runner: CliRunner, site: Path, smtp: SmtpServer, issues: int,
                                              args: list[str], expect: str) -> None:
    configure(site, smtp.port)
    subscribe(runner, site, addresses(2))
    if issues:
        assert runner.invoke(main, ["newsletter", *NOW_ARGS]).exit_code == 0
    result = send(runner, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expect)
    assert ledger(site) == {}


def test_an_older_issue_can_be_sent_by_number(runner: CliRunner, site: Path) -> None:
    emails = addresses(2)
    make_site(runner, site, None, emails)
    second_issue(runner, site)
    result = send(runner, "1")
    assert re.fullmatch(re.escape("Issue #1 via output/outbox/: 2 sent, 0 deferred, 0 failed, 0 skipped in ")
                        + r"\d+\.\d s\.\n", result.stdout), result.stdout
    assert sorted(f.name for f in (site / "output" / "outbox").iterdir()) == ["1"]
    assert ledger(site, 2) == {}


def test_quiet_prints_nothing_unless_something_went_wrong(runner: CliRunner, site: Path,
                                                         smtp: SmtpServer) -> None:
    smtp.start(refuse={"nobody@example.com": "550 5.1.1 No such user"})
    emails = addresses(2)
    make_site(runner, site, smtp.port, emails)
    quiet = send(runner, "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert smtp.copies() == Counter({e: 1 for e in emails})
    subscribe(runner, site, ["nobody@example.com"], "more.csv")
    result = send(runner, "-q", "--include-new")
    assert (result.exit_code, result.stderr) == (1, "")
    assert re.fullmatch(summary(1, smtp.port, sent=0, failed=1, before=2, extra=" 1 subscriber marked bounced."),
                        result.stdout), result.stdout


@pytest.mark.parametrize(("counts", "expect"), [
    ({}, 0),
    ({"sent": 5, "skipped": 2, "bounced": 0, "already_sent": 3, "not_included": 4}, 0),
    ({"sent": 5, "failed": 1}, 1),
    ({"sent": 5, "deferred": 1}, 1),
    ({"interrupted": True}, 1),
    ({"sent": 5, "retryable": 1}, 1),
])
def test_the_exit_code_of_a_send(counts: dict[str, Any], expect: int) -> None:
    assert DeliveryReport(issue=1, **counts).exit_code == expect


def test_a_connection_is_renewed_after_max_per_connection(runner: CliRunner, site: Path,
                                                          smtp: SmtpServer) -> None:
    smtp.start()
    emails = addresses(5)
    make_site(runner, site, smtp.port, emails, max_per_connection=2)
    result = send(runner)
    assert re.fullmatch(summary(1, smtp.port, sent=5), result.stdout), result.output
    assert sorted(smtp.connections().values()) == [1, 2, 2]
    assert smtp.copies() == Counter({e: 1 for e in emails})


# -- the server says "later" -----------------------------------------------------------------

@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "421 4.3.2 Service shutting down"])
@pytest.mark.usefixtures("backend")
def test_deferred_messages_are_retried_within_the_run(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                       reply: str) -> None:
    smtp.start(rcpt_first=3, rcpt_reply=reply)
    emails = addresses(5)
    make_site(runner, site, smtp.port, emails)
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=5), result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert {e: (r.status, r.attempts) for e, r in ledger(site).items()} == {
        e: ("sent", 2 if i < 3 else 1) for i, e in enumerate(emails)}
    assert smtp.log("RCPT") == (
        [f"RCPT {e} {reply}" for e in emails[:3]] + [f"RCPT {e} 250" for e in emails[3:] + emails[:3]])


def test_a_message_deferred_max_attempts_times_fails_without_a_bounce_until_retry_failed_sends_it(
        runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    stuck, refused = "stuck@example.com", "refused@example.com"
    smtp.start(refuse={stuck: "451 4.2.2 Mailbox full", refused: "550 5.1.1 No such user"})
    emails = addresses(4)
    make_site(runner, site, smtp.port, [*emails[:2], stuck, refused, *emails[2:]], max_attempts=2)
    retry = " 1 message failed after [delivery] max_attempts deferrals (4xx): 'syndicate send --retry-failed' tries " \
            "them again."
    result = send(runner)
    assert (result.exit_code, result.stderr) == (1, "")
    assert re.fullmatch(summary(1, smtp.port, sent=4, failed=2, extra=" 1 subscriber marked bounced." + retry),
                        result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert ledger(site)[stuck] == Row("failed", 2, ledger(site)[stuck].message_id, "451 4.2.2 Mailbox full")
    assert smtp.log("RCPT").count(f"RCPT {stuck} 451 4.2.2 Mailbox full") == 2
    assert statuses(site)[stuck] == ("active", 0)  # a 4xx is no bounce

    # The next plain send says so again, and does not pretend all is well.
    again = send(runner)
    assert again.exit_code == 1
    assert again.stdout == (f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: 0 sent, 0 deferred, 0 failed, 0 skipped "
                            f"(4 sent before).{retry}\n")
    # Once the mailbox has room, --retry-failed sends it; the address refused for good is not tried.
    smtp.stop()
    smtp.start(refuse={refused: "550 5.1.1 No such user"})
    retried = send(runner, "--retry-failed")
    assert (retried.exit_code, retried.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=1, before=4), retried.stdout), retried.stdout
    assert ledger(site)[stuck].status == "sent" and ledger(site)[refused].status == "failed"
    assert smtp.copies() == Counter({**{e: 1 for e in emails}, stuck: 1})
    assert smtp.log("RCPT").count(f"RCPT {refused} 550 5.1.1 No such user") == 1  # the first send's, only


# smtplib's data() raises for an answer to the DATA command, but returns the answer to
# the end of the data: a greylisting or content-filtering server refuses there.
@pytest.mark.parametrize("reply", ["451 4.7.1 Greylisted, try again later", "421 4.3.2 Shutting down"])
def test_a_4xx_after_the_data_is_deferred_not_recorded_as_sent(runner: CliRunner, site: Path,
                                                               smtp: SmtpServer, reply: str) -> None:
    smtp.start(data_first=2, data_reply=reply)
    emails = addresses(4)
    make_site(runner, site, smtp.port, emails)
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=4), result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    rows = ledger(site)
    assert {e: (r.status, r.attempts) for e, r in rows.items()} == {
        e: ("sent", 2 if i < 2 else 1) for i, e in enumerate(emails)}
    assert all(r.reply.startswith("250 2.0.0 Ok: queued as ") for r in rows.values())
    assert smtp.log("DATA")[:2] == [f"DATA {e} {reply}" for e in emails[:2]]


def test_a_5xx_after_the_data_fails_and_bounces(runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    bad = "spamtrap@example.com"
    smtp.start(refuse_data={bad: "554 5.7.1 Message rejected as spam"})
    emails = addresses(3)
    make_site(runner, site, smtp.port, [bad, *emails])
    result = send(runner)
    assert (result.exit_code, result.stderr) == (1, "")
    assert re.fullmatch(summary(1, smtp.port, sent=3, failed=1, extra=" 1 subscriber marked bounced."),
                        result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    row = ledger(site)[bad]
    assert (row.status, row.attempts, row.reply) == ("failed", 1, "554 5.7.1 Message rejected as spam")
    assert statuses(site)[bad] == ("bounced", 1)


# -- the server says "no" --------------------------------------------------------------------

@pytest.mark.usefixtures("backend")
def test_a_5xx_fails_that_message_and_bounces_the_subscriber(runner: CliRunner, site: Path,
                                                             smtp: SmtpServer) -> None:
    refused = {"nobody@example.com": "550 5.1.1 No such user", "closed@example.com": "553 5.1.2 Mailbox closed"}
    smtp.start(refuse=refused)
    emails = addresses(5)
    make_site(runner, site, smtp.port, [emails[0], "nobody@example.com", *emails[1:4], "closed@example.com",
                                        emails[4]])
    result = send(runner)
    assert (result.exit_code, result.stderr) == (1, "")
    assert re.fullmatch(summary(1, smtp.port, sent=5, failed=2, extra=" 2 subscribers marked bounced."),
                        result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    rows = ledger(site)
    for address, reply in refused.items():
        assert (rows[address].status, rows[address].attempts, rows[address].reply) == ("failed", 1, reply)
        assert statuses(site)[address] == ("bounced", 1)
        assert smtp.log("RCPT").count(f"RCPT {address} {reply}") == 1  # a 5xx is never retried
    assert {statuses(site)[e] for e in emails} == {("active", 0)}

    # The next issue is not even tried on the bounced addresses.
    second_issue(runner, site)
    later = send(runner)
    assert (later.exit_code, later.stderr) == (0, "")
    assert re.fullmatch(re.escape(f"Issue #2 via SMTP 127.0.0.1:{smtp.port}: 5 sent, 0 deferred, 0 failed, "
                                  "0 skipped in ") + r"\d+\.\d s\.\n", later.stdout), later.stdout
    assert list(ledger(site, 2)) == emails
    assert smtp.copies() == Counter({e: 2 for e in emails})
    for address in emails:
        first, second = smtp.messages(address)
        assert (header(first, "Message-ID")[:8], header(second, "Message-ID")[:8]) == ("<issue1.", "<issue2.")
    for address, reply in refused.items():
        assert smtp.log("RCPT").count(f"RCPT {address} {reply}") == 1


def test_a_5xx_to_mail_from_stops_the_send_and_bounces_nobody(runner: CliRunner, site: Path,
                                                               smtp: SmtpServer) -> None:
    # The server wants AUTH and no credentials are set: its 530 refuses us, not the
    # recipient, so it must not turn the whole list into bounces.
    smtp.start(user="newsletter", password="s3cret")
    emails = addresses(3)
    make_site(runner, site, smtp.port, emails)
    result = send(runner)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the SMTP server 127.0.0.1:{smtp.port} refused the sender "
                             "newsletter@blog.example.org (530 5.7.0 Authentication required). Check [newsletter] "
                             "sender and the login ([delivery] username_env).\n")
    assert result.stdout == (f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: 0 sent, 0 deferred, 0 failed, 0 skipped. "
                             "Stopped before the end, 3 still queued; run 'syndicate send' again to resume.\n")
    assert smtp.copies() == Counter()
    assert {status for status, _ in statuses(site).values()} == {"active"}
    assert {e: (r.status, r.attempts) for e, r in ledger(site).items()} == {e: ("queued", 0) for e in emails}


# -- connections that go away --------------------------------------------------------------------

@pytest.mark.parametrize("concurrency", [1, 3])
def test_the_sender_reconnects_when_the_server_closes_the_connection(runner: CliRunner, site: Path,
                                                                     smtp: SmtpServer, concurrency: int) -> None:
    # Each connection is closed by the server after its 3rd message (answered 250 first).
    smtp.start(drop_after=3)
    emails = addresses(10)
    make_site(runner, site, smtp.port, emails, concurrency=concurrency)
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=10), result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})  # none lost, none twice
    assert len(smtp.log("DROP")) >= 2
    assert {row.status for row in ledger(site).values()} == {"sent"}


def test_a_message_whose_reply_is_lost_with_the_connection_is_sent_once_more(runner: CliRunner, site: Path,
                                                                              smtp: SmtpServer) -> None:
    # The server stores the 3rd message, then drops the connection without answering: the
    # sender cannot know it arrived, defers it and sends it again. That is the one duplicate
    # SMTP allows (the message in flight); it keeps its Message-ID, so mail clients merge it.
    smtp.start(drop_after=3, drop_before_reply=True, drop_limit=1)
    emails = addresses(6)
    make_site(runner, site, smtp.port, emails)
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=6), result.stdout), result.stdout
    assert smtp.log("DROP") == [f"DROP {emails[2]}"]
    assert smtp.copies() == Counter({e: 2 if e == emails[2] else 1 for e in emails})
    first, again = smtp.messages(emails[2])
    assert header(first, "Message-ID") == header(again, "Message-ID") == ledger(site)[emails[2]].message_id
    assert ledger(site)[emails[2]].attempts == 2


def test_a_server_that_is_down_stops_the_send_before_anything_is_marked(runner: CliRunner, site: Path,
                                                                        smtp: SmtpServer) -> None:
    emails = addresses(5)
    make_site(runner, site, smtp.port, emails)
    result = send(runner)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: cannot connect to the SMTP server 127.0.0.1:{smtp.port} "
                             f"({CONNECTION_REFUSED}). Check [delivery] host, port and security, and that "
                             "the server is running.\n")
    assert {e: (r.status, r.attempts) for e, r in ledger(site).items()} == {e: ("queued", 0) for e in emails}

    smtp.start()
    later = send(runner)
    assert (later.exit_code, later.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=5), later.stdout), later.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})


def test_starttls_that_the_server_does_not_offer_stops_the_send(runner: CliRunner, site: Path,
                                                                 smtp: SmtpServer) -> None:
    smtp.start()  # plain SMTP: no STARTTLS in its EHLO answer
    emails = addresses(2)
    make_site(runner, site, smtp.port, emails, security="starttls")
    result = send(runner)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: the SMTP server 127.0.0.1:{smtp.port} does not offer STARTTLS. "
                             'Set [delivery] security = "ssl" or "none".\n')
    assert smtp.copies() == Counter()
    assert {row.status for row in ledger(site).values()} == {"queued"}


def test_a_server_that_goes_away_mid_send_stops_it_and_the_next_send_finishes(runner: CliRunner, site: Path,
                                                                              smtp: SmtpServer) -> None:
    smtp.start(delay=0.05)
    emails = addresses(40)
    make_site(runner, site, smtp.port, emails)
    results: list[Result] = []
    sender = threading.Thread(target=lambda: results.append(send(runner)))
    sender.start()
    deadline = time.monotonic() + 30
    while sum(smtp.copies().values()) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    smtp.stop()
    sender.join()
    result, = results
    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot connect to the SMTP server 127.0.0.1:{smtp.port} "
                             f"({CONNECTION_REFUSED}). Check [delivery] host, port and security, and that "
                             "the server is running.\n")
    match = re.fullmatch(
        re.escape(f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: ") + r"(\d+) sent, (\d) deferred, 0 failed, 0 skipped"
        r" in \d+\.\d s\.( Deferred messages are retried by the next 'syndicate send'\.)? Stopped before the end"
        r"(, \d+ still queued)?; run 'syndicate send' again to resume\.\n", result.stdout)
    assert match, result.stdout
    sent, deferred = int(match[1]), int(match[2])
    assert (bool(match[3]), sent >= 5) == (deferred > 0, True)
    counts = Counter(row.status for row in ledger(site).values())
    assert counts == Counter({"sent": sent, "deferred": deferred, "queued": 40 - sent - deferred})
    assert sum(smtp.copies().values()) == sent  # the server stopped before storing the one in flight

    smtp.start()
    later = send(runner)
    assert re.fullmatch(summary(1, smtp.port, sent=40 - sent, before=sent), later.stdout), later.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})


# -- AUTH -------------------------------------------------------------------------------------

def test_auth_with_the_credentials_from_the_environment(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    smtp.start(user="newsletter", password="s3cret pass")
    monkeypatch.setenv("SYNDICATE_SMTP_USER", "newsletter")
    monkeypatch.setenv("SYNDICATE_SMTP_PASSWORD", "s3cret pass")
    emails = addresses(3)
    make_site(runner, site, smtp.port, emails)
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=3), result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    assert smtp.log("AUTH") == ["AUTH ok"]


@pytest.mark.parametrize("names", [{}, {"username_env": "MAIL_USER", "password_env": "MAIL_PASS"}],
                         ids=["default-names", "configured-names"])
def test_a_refused_login_stops_the_send_before_any_message(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           names: dict[str, str]) -> None:
    smtp.start(user="newsletter", password="s3cret pass")
    user_env = names.get("username_env", "SYNDICATE_SMTP_USER")
    password_env = names.get("password_env", "SYNDICATE_SMTP_PASSWORD")
    monkeypatch.setenv(user_env, "newsletter")
    monkeypatch.setenv(password_env, "wrong-password")
    emails = addresses(3)
    make_site(runner, site, smtp.port, emails, **names)
    result = send(runner)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: the SMTP server 127.0.0.1:{smtp.port} refused the login (535 5.7.8 "
                             f"Authentication credentials invalid). Check the user and password in ${user_env} "
                             f"and ${password_env}.\n")
    assert "wrong-password" not in result.output
    assert smtp.copies() == Counter()
    assert smtp.log("RCPT") == []  # not one message was even begun
    assert {row.status for row in ledger(site).values()} == {"queued"}
    assert {status for status, _ in statuses(site).values()} == {"active"}


def test_a_refused_login_closes_its_connection(smtp: SmtpServer) -> None:
    smtp.start(user="newsletter", password="s3cret pass")
    settings = DeliveryConfig(transport="smtp", host="127.0.0.1", port=smtp.port, security="none")
    transport = SmtpTransport(settings, username="newsletter", password="wrong-password")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            transport.connect()
        except DeliveryError as err:
            assert "refused the login" in err.message
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


@pytest.mark.parametrize("recipient", ["reader@example.com", "o'brien+news@example.ie", "Ann Reader <ann@example.com>"])
def test_smtp_delivers_the_bytes_as_made_lines_starting_with_a_dot_included(smtp: SmtpServer, recipient: str) -> None:
    """The SMTP transport sends MAIL, RCPT and DATA itself (without smtplib's generic parsing and
    quoting): a line starting with '.' is doubled on the wire (RFC 5321 4.5.2) and arrives as it
    was, as does the last line; an address in another form goes through smtplib's own quoting."""
    smtp.start()
    data = (b"From: news@example.org\r\nTo: reader@example.com\r\nSubject: dots\r\n\r\n.first line\r\n"
            b"middle\r\n..two dots\r\n.\r\nlast line, no CRLF")
    settings = DeliveryConfig(transport="smtp", host="127.0.0.1", port=smtp.port, security="none")
    transport = SmtpTransport(settings, username=None, password=None)
    try:
        reply = transport.send(Outgoing("news@example.org", recipient, "<m1@example.org>", data), key="1")
    finally:
        transport.close()
    assert reply.startswith("250")
    box = recipient.rsplit("<", 1)[-1].rstrip(">")
    [received] = smtp.messages(box)
    assert received == data + b"\r\n"  # the message, ended by the CRLF that DATA's end needs


# -- who gets the issue ----------------------------------------------------------------------------

class Unsubscribing:
    """Wraps a real transport; once ``trigger`` has been sent to, ``leaver`` unsubscribes."""

    def __init__(self, inner: Transport, state: Path | str, trigger: str, leaver: str) -> None:
        self.inner, self.state, self.trigger, self.leaver = inner, state, trigger, leaver

    def send(self, message: Outgoing, *, key: str) -> str:
        reply = self.inner.send(message, key=key)
        if message.recipient == self.trigger:
            with Store(self.state) as store:  # another connection, as the web app's would be
                store.set_status(self.leaver, "unsubscribed", NOW)
        return reply

    def close(self) -> None:
        self.inner.close()


@pytest.mark.usefixtures("backend")
def test_a_subscriber_who_unsubscribes_during_the_send_gets_nothing_more(runner: CliRunner, site: Path,
                                                                         smtp: SmtpServer) -> None:
    smtp.start()
    emails = addresses(5)
    make_site(runner, site, smtp.port, emails)
    config = load_config(site / "syndicate.toml")
    leaver = emails[-1]
    report = deliver_issue(config, transport_factory=lambda c, n: Unsubscribing(
        make_transport(c, n), c.state_url or c.state_path, trigger=emails[0], leaver=leaver))
    assert (report.sent, report.skipped, report.failed, report.deferred, report.exit_code) == (4, 1, 0, 0, 0)
    assert smtp.copies() == Counter({e: 1 for e in emails[:-1]})
    assert [line for line in smtp.log() if leaver in line] == []
    assert ledger(site)[leaver] == Row("skipped", 0, "", "not active any more")


@pytest.mark.usefixtures("backend")
def test_subscribers_who_join_after_the_send_began_wait_for_include_new(runner: CliRunner, site: Path,
                                                                         smtp: SmtpServer) -> None:
    emails = addresses(3)
    make_site(runner, site, smtp.port, emails)
    assert send(runner).exit_code == 2  # the server is not up yet: the send began, nothing went
    late = ["late1@example.com", "late2@example.com"]
    subscribe(runner, site, late, "late.csv")
    smtp.start()

    joined = " 2 subscribers joined after this issue was sent: --include-new sends it to them too."
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=3, extra=joined), result.stdout), result.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails})
    again = send(runner)
    assert again.stdout == (f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: 0 sent, 0 deferred, 0 failed, 0 skipped "
                            f"(3 sent before).{joined}\n")

    included = send(runner, "--include-new")
    assert (included.exit_code, included.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=2, before=3), included.stdout), included.stdout
    assert smtp.copies() == Counter({e: 1 for e in emails + late})
    assert send(runner).stdout == (f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: 0 sent, 0 deferred, 0 failed, "
                                   "0 skipped (5 sent before).\n")


# -- speed limits -------------------------------------------------------------------------------

@pytest.mark.parametrize("concurrency", [1, 3])
def test_the_rate_limit_holds_over_all_connections(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                   concurrency: int) -> None:
    smtp.start()
    emails = addresses(30)
    make_site(runner, site, smtp.port, emails, rate=20, concurrency=concurrency)
    started = time.monotonic()
    result = send(runner)
    took = time.monotonic() - started
    assert (result.exit_code, result.stderr) == (0, "")
    assert re.fullmatch(summary(1, smtp.port, sent=30), result.stdout), result.stdout
    # 20 a second: the 21st message cannot go before a second has passed. (No upper bound:
    # a slow machine must not fail this.)
    assert took >= 1.0
    assert seconds(result.stdout) >= 1.0
    assert smtp.copies() == Counter({e: 1 for e in emails})
    if concurrency > 1:
        assert len(smtp.connections()) == concurrency


def test_a_rate_below_one_a_second_is_kept() -> None:
    limiter = RateLimiter(0.8)  # one message every 1.25 s, not one a second
    started = time.monotonic()
    limiter.acquire()
    limiter.acquire()
    assert time.monotonic() - started >= 1.25


# -- killed and interrupted sends ------------------------------------------------------------------

def start_send(site: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(SEND_COMMAND, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupted(site: Path, until: Callable[[subprocess.Popen[bytes]], None]
                ) -> tuple[subprocess.Popen[bytes], bytes, bytes]:
    """A send started, then interrupted (SIGINT, as Ctrl-C) once ``until(process)`` returns:
    the process, and what it printed."""
    process = start_send(site)
    try:
        until(process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process, out, err


def wait_for_messages(smtp: SmtpServer, process: subprocess.Popen[bytes], count: int) -> None:
    wait_for_files(smtp.folder, process, count, "*/*.eml")


def assert_at_most_in_flight_duplicates(smtp: SmtpServer, emails: list[str], concurrency: int) -> None:
    copies = smtp.copies()
    assert set(copies) == set(emails)  # nobody lost
    twice = sorted(e for e, n in copies.items() if n > 1)
    assert max(copies.values()) <= 2 and len(twice) <= concurrency, twice
    for address in twice:  # the same message again, as the docstring says
        first, again = smtp.messages(address)
        assert header(first, "Message-ID") == header(again, "Message-ID")


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_send_killed_at_a_random_moment_resumes_with_at_most_concurrency_duplicates(
        runner: CliRunner, site: Path, smtp: SmtpServer, concurrency: int) -> None:
    smtp.start(delay=0.001)
    emails = addresses(2000)
    make_site(runner, site, smtp.port, emails, concurrency=concurrency)
    seed = random.randrange(1_000_000)
    kill_after = random.Random(seed).randint(100, 1200)
    process = start_send(site)
    try:
        wait_for_messages(smtp, process, kill_after)
        process.send_signal(signal.SIGKILL)
    finally:
        process.communicate()
    assert process.returncode == -signal.SIGKILL, f"the send ended before the kill (seed {seed})"
    received = sum(smtp.copies().values())
    assert received < 2000, f"the send was not cut short (seed {seed})"

    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    match = re.fullmatch(re.escape(f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: ") + r"(\d+) sent, 0 deferred, "
                         r"0 failed, 0 skipped \((\d+) sent before\) in \d+\.\d s\.\n", result.stdout)
    assert match and int(match[1]) + int(match[2]) == 2000, result.stdout
    assert {row.status for row in ledger(site).values()} == {"sent"}
    assert_at_most_in_flight_duplicates(smtp, emails, concurrency)


def test_a_kill_while_the_ledger_is_busy_repeats_at_most_concurrency_messages(runner: CliRunner, site: Path,
                                                                              smtp: SmtpServer) -> None:
    # Once the server took the first message, another connection (a subscriber import, the
    # web app) holds the database's write lock, so nothing more can be recorded; a second
    # later the send is killed. Whatever the sending threads sent meanwhile was accepted and
    # not recorded: there must be no more of those than connections.
    smtp.start()
    emails = addresses(12)
    make_site(runner, site, smtp.port, emails, concurrency=2)
    script = textwrap.dedent("""
        import os, sqlite3, threading
        from syndicate.config import load_config
        from syndicate.delivery import deliver_issue
        from syndicate.delivery import make_transport

        config = load_config("syndicate.toml")
        held = []
        guard = threading.Lock()

        class Busy:
            def __init__(self, inner):
                self.inner = inner
            def send(self, message, *, key):
                reply = self.inner.send(message, key=key)
                with guard:
                    if not held:
                        held.append(sqlite3.connect(config.state_path, isolation_level=None))
                        held[0].execute("BEGIN IMMEDIATE")
                        threading.Timer(1.0, os._exit, (9,)).start()  # killed
                return reply
            def close(self):
                self.inner.close()

        deliver_issue(config, transport_factory=lambda c, n: Busy(make_transport(c, n)))
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, cwd=site, capture_output=True, timeout=60)
    assert done.returncode == 9, done.stderr.decode()
    accepted = sum(smtp.copies().values())
    assert accepted >= 1 and {row.status for row in ledger(site).values()} == {"queued"}
    assert send(runner).exit_code == 0
    assert_at_most_in_flight_duplicates(smtp, emails, concurrency=2)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_interrupted_send_says_so_and_resumes(runner: CliRunner, site: Path, smtp: SmtpServer,
                                                 concurrency: int) -> None:
    smtp.start(delay=0.02)
    emails = addresses(100)
    make_site(runner, site, smtp.port, emails, concurrency=concurrency)
    process, out, err = interrupted(site, lambda process: wait_for_messages(smtp, process, 10))
    assert (process.returncode, err.decode()) == (1, "")
    assert re.fullmatch(re.escape(f"Issue #1 via SMTP 127.0.0.1:{smtp.port}: ") + r"\d+ sent, 0 deferred, 0 failed, "
                        r"0 skipped in \d+\.\d s\. Stopped before the end, \d+ still queued; run 'syndicate send' again to "
                        r"resume\.\n",
                        out.decode()), out.decode()
    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert_at_most_in_flight_duplicates(smtp, emails, concurrency)


def test_in_per_article_mode_send_sends_every_issue_not_sent_yet_oldest_first(
        runner: CliRunner, site: Path, smtp: SmtpServer) -> None:
    smtp.start()
    emails = addresses(2)
    configure(site, smtp.port)
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[newsletter]\nmode = "per_article"\n')
    subscribe(runner, site, emails)
    assert runner.invoke(main, ["newsletter", *NOW_ARGS]).exit_code == 0  # the first: the newest article only
    for day in (1, 2, 3):
        write(site / "content" / f"2026-11-2{day}-new-{day}.md", f"---\ntitle: New {day}\n---\nText {day}.\n")
    made = runner.invoke(main, ["newsletter", *NOW_ARGS])
    assert [line.split(" (")[0] for line in made.stdout.splitlines()] == [
        "Created issue #2", "Created issue #3", "Created issue #4"]
    status = runner.invoke(main, ["status", *NOW_ARGS]).stdout
    assert "Not sent yet: #1, #2, #3, #4 (syndicate send sends them, oldest first).\n" in status

    result = send(runner)
    assert (result.exit_code, result.stderr) == (0, "")
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        f"Issue #{n} via SMTP 127.0.0.1" for n in (1, 2, 3, 4)]
    assert smtp.copies() == Counter({e: 4 for e in emails})
    assert smtp.subjects(emails[0]) == [
        "Council approves new ferry: a plain-text article", "New 1", "New 2", "New 3"]
    assert "Not sent yet" not in runner.invoke(main, ["status", *NOW_ARGS]).stdout
    again = send(runner)  # all sent: it says so for the newest, and sends nothing
    assert again.stdout.startswith("Issue #4 via SMTP") and "0 sent" in again.stdout
