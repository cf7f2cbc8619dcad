"""The test servers themselves: a real PostgreSQL and a real Redis start, answer, and restart."""

from __future__ import annotations

from typing import Any


def test_postgres_answers_and_restarts(postgres_server: Any, pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (n integer)")
        conn.execute("INSERT INTO t VALUES (41)")
    postgres_server.stop()
    postgres_server.start()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT n + 1 FROM t").fetchone() == (42,)


def test_redis_answers_and_each_test_has_its_own_database(redis_server: Any, redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.set("key", "value")
    assert client.get("key") == b"value"
    assert redis.Redis.from_url(redis_server.new_url()).get("key") is None
