"""The state database: created on first use, upgraded in place, first_seen never moves."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from syndicate.errors import StoreError
from syndicate.state import MIGRATIONS, Issue, Store

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_a_new_database_is_created_in_wal_mode_at_the_latest_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "state" / "s.db") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_first_seen_is_set_once_and_never_moves(state_at: str | Path) -> None:
    with Store(state_at) as store:
        assert store.record_articles([("a.md", "tag:x,2026:a", "h1", None)], T0) == 1
        later = T0 + timedelta(days=3)
        assert store.record_articles([("a.md", "tag:x,2026:a", "h2", None), ("b.md", "tag:x,2026:b", "h3", None)], later) == 1
        rows = store.articles()
    assert rows["a.md"] == {"id": "tag:x,2026:a", "digest": "h2", "first_seen": T0.isoformat(),
                            "last_seen": later.isoformat()}
    assert rows["b.md"]["first_seen"] == later.isoformat()


def test_values_survive_reopening(state_at: str | Path) -> None:
    with Store(state_at) as store, store.transaction():
        store.set("build", {"fingerprint": "abc", "n": [1, 2]})
        store.replace_outputs({"feeds/rss.xml": 10})
    with Store(state_at) as store:
        assert store.get("build") == {"fingerprint": "abc", "n": [1, 2]}
        assert store.get("missing", "default") == "default"
        assert store.outputs() == {"feeds/rss.xml": 10}


def test_a_failed_transaction_leaves_nothing_half_written(state_at: str | Path) -> None:
    with Store(state_at) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.set("k", 1)
            raise RuntimeError("killed halfway")
        assert store.get("k") is None


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="was written by a newer syndicate"):
        Store(tmp_path / "s.db")


def test_an_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StoreError, match=r"cannot open the state database .*Check \[state\] path"):
        Store(tmp_path / "file" / "s.db")


def test_a_database_of_the_previous_schema_is_upgraded_keeping_every_subscriber_and_never_reusing_an_id(
        tmp_path: Path) -> None:
    from syndicate.state.migrations import statements

    db = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    for n, script in enumerate(MIGRATIONS[:5], 1):
        for statement in statements(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {n}")
    for i, email in enumerate(["ann@example.org", "bob@example.org"], 1):
        db.execute("INSERT INTO subscriber(id, email, status, created_at, secret) VALUES (?, ?, 'active', ?, ?)",
                   (i, email, T0.isoformat(), f"secret{i}"))
    db.close()
    with Store(tmp_path / "s.db") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert [(s.id, s.email, s.secret) for s in store.subscribers()] == [
            (1, "ann@example.org", "secret1"), (2, "bob@example.org", "secret2")]
        with store.transaction():
            assert store.remove_subscriber("bob@example.org")
            carl = store.add_subscriber("carl@example.org", now=T0)
        assert carl.id == 3  # not Bob's 2: his old links must name nobody


def test_a_postgresql_state_is_made_at_the_latest_schema_from_an_empty_database(pg_url: str) -> None:
    with Store(pg_url) as store:
        assert store.schema_version == len(MIGRATIONS)
        tables = {r[0] for r in store.db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    assert tables >= {"article", "meta", "output", "issue", "issue_article", "subscriber", "delivery", "lease",
                      "parsed", "entry", "source", "source_entry"}


def test_a_postgresql_state_from_a_newer_version_is_refused(pg_state_url: str) -> None:
    with Store(pg_state_url) as store:
        store.db.execute("UPDATE syndicate_db SET version = ?", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match=rf"was written by a newer syndicate \(schema {len(MIGRATIONS) + 1}\)"):
        Store(pg_state_url)


def test_a_postgresql_server_that_cannot_be_reached_is_a_clear_error_without_the_password() -> None:
    from .live_servers import free_port

    url = f"postgresql://ann:hunter2@127.0.0.1:{free_port()}/site"
    with pytest.raises(StoreError) as caught:
        Store(url)
    message = str(caught.value)
    assert message.startswith("cannot connect to the state database postgresql://ann:***@127.0.0.1:")
    assert "Check [state] url (or SYNDICATE_DATABASE_URL)" in message
    assert "hunter2" not in message


def _previous_schema(store_at: str | Path) -> None:
    """Make at ``store_at`` a state of the schema before the latest, as the previous syndicate left it: a
    subscriber, a removed one, an article and its feed entry."""
    from syndicate.state.migrations import script_for, statements

    if isinstance(store_at, Path):
        db = sqlite3.connect(store_at, isolation_level=None)
        run, dialect = db.execute, "sqlite"
    else:
        import psycopg

        db = psycopg.connect(store_at, autocommit=True)
        run, dialect = (lambda sql, args=None: db.execute(sql.replace("?", "%s"), args)), "postgresql"
        run("CREATE TABLE syndicate_db (version INTEGER NOT NULL, writes BIGINT NOT NULL)")
        run("INSERT INTO syndicate_db VALUES (0, 0)")
    for n in range(1, len(MIGRATIONS)):
        for statement in statements(script_for(dialect, n)):
            run(statement)
    for email in ("Ann@example.org", "bob@example.org"):
        run("INSERT INTO subscriber(email, status, created_at, secret) VALUES (?, 'active', ?, ?)",
            (email, T0.isoformat(), email))
    run("DELETE FROM subscriber WHERE email = 'bob@example.org'")
    run("INSERT INTO article VALUES ('a.md', 'tag:a', 'h', ?, ?)", (T0.isoformat(), T0.isoformat()))
    run("INSERT INTO entry VALUES ('tag:a', 'k', ?, ?, ?)", (b"<item/>", b"<entry/>", b"{}"))
    if dialect == "sqlite":
        run(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    else:
        run("UPDATE syndicate_db SET version = ?", (len(MIGRATIONS) - 1,))
    db.close()


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_a_state_of_the_previous_schema_is_upgraded_on_opening_keeping_what_it_holds(
        where: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    at: str | Path = tmp_path / "s.db" if where == "sqlite" else request.getfixturevalue("pg_url")
    _previous_schema(at)
    with Store(at) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.subscriber("ann@EXAMPLE.org").id == 1
        assert store.articles()["a.md"]["id"] == "tag:a"
        assert store.entry_source().entries(["tag:a"], 1) == [b"<entry/>"]
        assert store.source_states() == {}  # the latest migration's table is there, empty
        dave = store.add_subscriber("dave@example.org", now=T0)
    assert dave.id == 3  # not Bob's 2: his old links must name nobody


def test_a_write_by_another_connection_is_noticed_and_ones_own_are_not(state_at: str | Path) -> None:
    with Store(state_at) as mine, Store(state_at) as other:
        assert not mine.changed_elsewhere()
        mine.set("a", 1)
        with mine.transaction():
            mine.set("b", 2)
        assert not mine.changed_elsewhere()
        other.set("c", 3)
        assert mine.changed_elsewhere()
        assert not mine.changed_elsewhere()
        other.set("d", 4)
        mine.set("e", 5)  # one's own write after another's hides nothing
        assert mine.changed_elsewhere()


def test_two_connections_writing_at_once_are_taken_one_at_a_time(state_at: str | Path) -> None:
    """A transaction's read and its write see no other writer between them (SQLite's BEGIN IMMEDIATE)."""
    import threading

    with Store(state_at) as store:
        store.set("n", 0)

    def count_up() -> None:
        with Store(state_at) as store:
            for _ in range(25):
                with store.transaction():
                    store.set("n", store.get("n") + 1)

    threads = [threading.Thread(target=count_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Store(state_at) as store:
        assert store.get("n") == 100


def test_a_write_that_fails_alone_leaves_nothing_and_the_connection_goes_on(state_at: str | Path) -> None:
    with Store(state_at) as store, Store(state_at) as other:
        assert not store.changed_elsewhere()
        with pytest.raises(store.dialect.integrity_error):
            store.db.execute("INSERT INTO subscriber(email, status, created_at, secret) VALUES (?, 'gone', ?, ?)",
                             ("ann@example.org", T0.isoformat(), "s"))
        assert store.subscriber("ann@example.org") is None
        assert store.add_subscriber("ann@example.org", now=T0) is not None
        assert not store.changed_elsewhere()
        other.set("k", 1)
        assert store.changed_elsewhere()


def test_marks_held_for_a_page_leave_a_row_another_sender_marked_sent_as_it_is(state_at: str | Path) -> None:
    with Store(state_at) as store:
        with store.transaction():
            store.record_issue(Issue(1, T0, "Subject", "", ("a",), "00112233aabbccdd", "<p>x</p>", "x", "<p>x</p>"), T0)
            ids = [store.add_subscriber(f"r{i}@example.org", now=T0).id for i in range(3)]
            store.queue_delivery(1, T0)
        later = T0 + timedelta(minutes=1)
        store.mark_delivery(1, ids[0], "sent", now=later, reply="theirs", message_id="<b@x>")  # the other sender's
        store.mark_sent(1, [(i, "mine", f"<{i}@x>", later) for i in ids])
        rows = {row[0]: row[1:] for row in store.db.execute(
            "SELECT subscriber_id, status, attempts, reply FROM delivery WHERE issue_number = 1")}
    assert rows == {ids[0]: ("sent", 1, "theirs"), ids[1]: ("sent", 1, "mine"), ids[2]: ("sent", 1, "mine")}
