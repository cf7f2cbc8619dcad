"""The state database: created on first use, upgraded in place, first_seen never moves."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from syndicate.errors import StoreError
from syndicate.state import MIGRATIONS, Store

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_a_new_database_is_created_in_wal_mode_at_the_latest_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "state" / "s.db") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_first_seen_is_set_once_and_never_moves(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.record_articles([("a.md", "tag:x,2026:a", "h1", None)], T0) == 1
        later = T0 + timedelta(days=3)
        assert store.record_articles([("a.md", "tag:x,2026:a", "h2", None), ("b.md", "tag:x,2026:b", "h3", None)], later) == 1
        rows = store.articles()
    assert rows["a.md"] == {"id": "tag:x,2026:a", "digest": "h2", "first_seen": T0.isoformat(),
                            "last_seen": later.isoformat()}
    assert rows["b.md"]["first_seen"] == later.isoformat()


def test_values_survive_reopening(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store, store.transaction():
        store.set("build", {"fingerprint": "abc", "n": [1, 2]})
        store.replace_outputs({"feeds/rss.xml": 10})
    with Store(tmp_path / "s.db") as store:
        assert store.get("build") == {"fingerprint": "abc", "n": [1, 2]}
        assert store.get("missing", "default") == "default"
        assert store.outputs() == {"feeds/rss.xml": 10}


def test_a_failed_transaction_leaves_nothing_half_written(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
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
