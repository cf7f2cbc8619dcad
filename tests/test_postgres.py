"""The state in PostgreSQL: its URL, ``state migrate``, the run lock and the secret in the database,
and ``serve`` from two processes at once, each against a real server (tests/db_servers.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.schedule.lock import Busy, RunLock, Stuck
from syndicate.state import Store

from .conftest import NOW, write
from .live_servers import Serve
from .test_web import BASE, confirm_link, csrf_of

NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
PYTHON = [sys.executable, "-c"]


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- the URL ----------------------------------------------------------------------------------------

def test_a_state_url_that_is_not_postgresql_is_refused_naming_the_key_without_its_password(site: Path) -> None:
    write(site / "syndicate.toml", '[state]\nurl = "mysql://ann:hunter2@db.example.org/site"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(site / "syndicate.toml")
    assert str(caught.value) == (
        f"{site / 'syndicate.toml'}, line 2: 'state.url' is 'mysql://ann:***@db.example.org/site', which is not a "
        "PostgreSQL URL. Write it like 'postgresql://user@host:5432/dbname', or leave it empty for SQLite at "
        "[state] path.")


def test_the_environment_variable_overrides_state_url_and_is_checked_too(
        site: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    write(site / "syndicate.toml", '[state]\nurl = "postgresql://file@db.example.org/site"\n')
    config = load_config(site / "syndicate.toml")
    assert config.state_url == "postgresql://file@db.example.org/site"
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", "postgres://env:pw@db.example.org:6432/site")
    assert config.state_url == "postgres://env:pw@db.example.org:6432/site"
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", "db.example.org/site")
    assert invoke(runner, "subscribers", "list") == (
        2, "", "Error: SYNDICATE_DATABASE_URL is 'db.example.org/site', which is not a PostgreSQL URL. Write it "
               "like 'postgresql://user@host:5432/dbname', or leave it empty for SQLite at [state] path.\n")


def test_without_psycopg_a_postgresql_state_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.errors import StoreError

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed: importing it fails
    with pytest.raises(StoreError) as caught:
        Store("postgresql://syndicate@db.example.org/site")
    assert str(caught.value) == ("a postgresql:// state needs psycopg, which is not installed. Install it with "
                                 "pip install 'syndicate[scale]'.")


def test_a_server_gone_mid_use_is_a_store_error_and_the_next_open_works_once_it_is_back(
        postgres_server: object, pg_state_url: str) -> None:
    from syndicate.errors import StoreError

    with Store(pg_state_url) as store:
        store.set("k", 1)
        postgres_server.stop()  # type: ignore[attr-defined]
        try:
            with pytest.raises(StoreError, match=rf"^{re.escape(pg_state_url)}: the state database failed \("):
                store.get("k")
            with pytest.raises(StoreError, match=rf"^{re.escape(pg_state_url)}: cannot write the state database"):
                with store.transaction():
                    store.set("k", 2)
        finally:
            postgres_server.start()  # type: ignore[attr-defined]
    with Store(pg_state_url) as store:
        assert store.get("k") == 1


# -- state migrate ----------------------------------------------------------------------------------

def _sqlite_site(runner: CliRunner) -> None:
    """The test site with a build, three subscribers (one removed since), an issue sent to the file outbox."""
    assert invoke(runner, "build", *NOW_ARGS)[0] == 0
    for address in ("ann@example.org", "bob@example.org", "cid@example.org"):
        assert invoke(runner, "subscribers", "add", address)[0] == 0
    assert invoke(runner, "subscribers", "remove", "cid@example.org")[0] == 0
    assert invoke(runner, "newsletter", *NOW_ARGS)[0] == 0
    assert invoke(runner, "send", "-q")[0] == 0


def test_migrate_copies_the_whole_state_checks_it_and_a_second_run_copies_nothing(
        runner: CliRunner, site: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _sqlite_site(runner)
    secret = (site / "syndicate.db.secret").read_bytes().strip()
    with Store(site / "syndicate.db") as before:
        subscribers = list(before.subscribers())
        issues = before.issues()
        articles = before.articles()

    code, out, err = invoke(runner, "state", "migrate", "--to", pg_url)
    assert (code, err) == (0, ""), out
    lines = out.splitlines()
    assert lines[0] == f"Copied syndicate.db into {pg_url}:"
    rows = {m[1]: (int(m[2]), m[3]) for m in (re.fullmatch(r"  (\w+) +(\d+) rows? +checksum ([0-9a-f]{16})", line)
                                              for line in lines[1:-1]) if m}
    with Store(site / "syndicate.db") as before:  # every table the migrations made, whatever they are by now
        tables = {r[0] for r in before.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                                  "NOT LIKE 'sqlite_%'")}
    assert set(rows) == tables >= {"article", "delivery", "entry", "issue", "issue_article", "lease", "meta", "output",
                                   "parsed", "source", "source_entry", "subscriber"}, out
    assert rows["subscriber"][0] == 2 and rows["delivery"][0] == 2 and rows["issue"][0] == 1
    assert rows["article"][0] == len(articles)
    assert lines[-1].startswith("Checked: every table has the same rows and checksum in both.")

    again = invoke(runner, "state", "migrate", "--to", pg_url)
    assert again == (0, f"{pg_url} already holds this state (every table's rows and checksum are the same); "
                        "nothing to copy.\n", "")

    # The copy is the site's state: the same people, ids and issues, links signed with the same secret.
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_url)
    with Store(pg_url) as after:
        assert list(after.subscribers()) == subscribers
        assert after.issues() == issues
        assert after.articles() == articles
        dan = after.add_subscriber("dan@example.org", now=issues[0].date)
    assert dan.id == 4  # not the removed Cid's 3
    from syndicate.tokens import load_secret

    assert load_secret(load_config(site / "syndicate.toml")) == secret
    assert invoke(runner, "newsletter", *NOW_ARGS)[:2] == (0, "Nothing new since issue #1: no issue created.\n")


def test_migrate_refuses_a_database_that_holds_another_state(runner: CliRunner, site: Path, pg_url: str) -> None:
    _sqlite_site(runner)
    with Store(pg_url) as other:
        other.add_subscriber("zed@example.org", now=NOW)
    code, out, err = invoke(runner, "state", "migrate", "--to", pg_url)
    assert (code, out) == (2, "")
    assert err == (f"Error: {pg_url} already holds another state (subscriber: 1 row); nothing copied. Give "
                   "'state migrate' an empty database (or drop this one's tables first).\n")
    with Store(pg_url) as other:
        assert [s.email for s in other.subscribers()] == ["zed@example.org"]


def test_a_copy_that_does_not_check_out_keeps_nothing_and_exits_1(
        runner: CliRunner, site: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import syndicate.state.copy as copying

    _sqlite_site(runner)
    copy_table = copying._copy_table

    def losing_a_subscriber(src: Store, dst: Store, table: str, cols: list[str], secret: str | None) -> None:
        copy_table(src, dst, table, cols, secret)
        if table == "subscriber":
            dst.db.execute("DELETE FROM subscriber WHERE id = (SELECT max(id) FROM subscriber)")

    monkeypatch.setattr(copying, "_copy_table", losing_a_subscriber)
    code, out, err = invoke(runner, "state", "migrate", "--to", pg_url)
    assert (code, out) == (1, "")
    assert re.fullmatch(rf"Error: the copy into {re.escape(pg_url)} did not check out: subscriber \(1 row, "
                        r"[0-9a-f]{16}; expected 2, [0-9a-f]{16}\); nothing was kept.\n", err), err
    with Store(pg_url) as target:
        assert target.subscriber_counts() == {} and target.issue_numbers() == []


def test_migrate_needs_a_target_and_a_sqlite_state(runner: CliRunner, site: Path) -> None:
    assert invoke(runner, "state", "migrate")[0] == 2
    assert invoke(runner, "state", "migrate", "--to", "sqlite:///x.db")[2].endswith(
        "Invalid value for '--to': 'sqlite:///x.db', which is not a PostgreSQL URL. Write it like "
        "'postgresql://user@host:5432/dbname', or leave it empty for SQLite at [state] path.\n")
    assert invoke(runner, "state", "migrate", "--to", "postgresql://localhost/x") == (
        2, "", f"Error: there is no SQLite state at {Path('syndicate.db')} to copy ([state] path).\n")


# -- the run lock, in the database -------------------------------------------------------------------

HOLD_THE_LOCK = """
import sys, time
from syndicate.config import load_config
from syndicate.schedule.lock import RunLock
with RunLock(load_config()):
    print("held", flush=True)
    time.sleep(60)
"""


def test_cron_on_two_hosts_against_one_database_never_runs_two_passes_at_once(
        runner: CliRunner, site: Path, pg_state_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_state_url)
    holder = subprocess.Popen([*PYTHON, HOLD_THE_LOCK], cwd=site, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        # Another process (no file is shared: the lock is in the database) does nothing and says who works.
        other = subprocess.run([sys.executable, "-m", "syndicate", "run"], cwd=site, capture_output=True, text=True,
                               timeout=60)
        assert (other.returncode, other.stderr) == (0, "")
        assert re.fullmatch(rf"another syndicate run or schedule \(pid {holder.pid} on [^)]+\) is working on "
                            rf"{re.escape(pg_state_url)}; nothing done.\n", other.stdout)
        assert not (site / "output" / "feeds").exists()
        assert not (site / "syndicate.db.lock").exists()
        # Its process killed (no clean exit), the server lets go of the lock: the next run does the pass.
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    deadline = time.monotonic() + 10
    while True:
        code, out, err = invoke(runner, "run")
        if "nothing done" not in out or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # the server has not yet seen the connection close
    assert (code, err) == (0, ""), out
    assert (site / "output" / "feeds" / "rss.xml").is_file()


def test_a_lock_held_for_hours_is_said_to_be_stuck(site: Path, pg_state_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_state_url)
    config = load_config()
    with RunLock(config):
        with pytest.raises(Busy):
            RunLock(config).__enter__()
        with Store(pg_state_url) as store:
            holder = store.get("lock:run")
            assert holder["pid"] == os.getpid()
            store.set("lock:run", {**holder, "since": time.time() - 3 * 3600})
        with pytest.raises(Stuck, match=rf"\(pid {os.getpid()} on [^)]+\) has held the lock on "
                                        rf"{re.escape(pg_state_url)} for 3.0 hours; nothing done"):
            RunLock(config).__enter__()
    with RunLock(config):  # let go on leaving
        pass


# -- the secret, in the database -----------------------------------------------------------------------

def test_the_secret_is_made_once_in_the_database_however_many_processes_ask_at_once(
        site: Path, pg_state_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_state_url)
    code = ("from syndicate.config import load_config; from syndicate.tokens import load_secret; "
            "print(load_secret(load_config()).decode())")
    askers = [subprocess.Popen([*PYTHON, code], cwd=site, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    secrets = {asker.communicate(timeout=60)[0] for asker in askers}
    assert len(secrets) == 1 and len(secrets.pop().strip()) == 43
    assert not list(site.glob("*.secret"))


# -- serve, from two processes ---------------------------------------------------------------------------

def test_two_serve_processes_share_one_postgresql_state(
        runner: CliRunner, site: Path, pg_state_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_DATABASE_URL", pg_state_url)
    assert invoke(runner, "build", *NOW_ARGS)[0] == 0
    with Serve(site) as one, Serve(site) as two, httpx.Client(base_url=one.url) as a, \
            httpx.Client(base_url=two.url) as b:
        # Sign up on one (the form's token, signed with the secret in the database, checks out on the other).
        form = csrf_of(a.get("/subscribe").text)
        signed_up = b.post("/subscribe", data={"email": "ann@example.org", "name": "Ann", "website": "",
                                               "csrf": form})
        assert signed_up.status_code == 200, signed_up.text
        deadline = time.monotonic() + 30  # the sign-up is recorded, and its email sent, after the answer
        while not list((site / "output" / "outbox" / "confirm").glob("*.eml")):
            assert time.monotonic() < deadline, "no confirmation email after 30 s"
            time.sleep(0.05)
        with Store(pg_state_url) as store:
            ann = store.subscriber("ann@example.org")
        assert ann.status == "pending"
        assert (site / "output" / "outbox" / "confirm" / f"{ann.id:09d}.eml").is_file()
        link = confirm_link(site, ann.id).removeprefix(BASE[:-1])
        assert a.post(link).status_code == 200  # confirmed on one …
        with Store(pg_state_url) as store:
            assert store.subscriber("ann@example.org").status == "active"
        assert b.post(link).status_code == 200  # … and a second click on the other changes nothing
        with Store(pg_state_url) as store:
            ann = store.subscriber("ann@example.org")
            assert (ann.status, store.subscriber_counts()) == ("active", {"active": 1})
        from syndicate.tokens import Signer, load_secret

        unsubscribe = Signer(load_secret(load_config())).make("unsubscribe", ann.id, binding=ann.secret)
        for client in (b, a):
            answer = client.post(f"/unsubscribe?token={unsubscribe}", content=b"List-Unsubscribe=One-Click",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
            assert answer.status_code == 200
        with Store(pg_state_url) as store:
            assert store.subscriber_counts() == {"unsubscribed": 1}
    assert not (site / "syndicate.db").exists()
