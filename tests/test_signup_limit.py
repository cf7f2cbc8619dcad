"""The sign-up limit shared through Redis: with a broker configured, every ``syndicate serve``
process of a site counts the same requests (real Redis, real serve processes, HTTP)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.web.ratelimit import SharedRateLimit

from .conftest import write
from .live_servers import Serve
from .test_web import csrf_of


def sign_up(client: httpx.Client, email: str) -> int:
    form = csrf_of(client.get("/subscribe").text)
    return client.post("/subscribe", data={"email": email, "name": "", "website": "", "csrf": form}).status_code


def test_two_serve_processes_share_the_sign_up_limit_through_the_broker(
        runner: CliRunner, site: Path, redis_url: str) -> None:
    config = (site / "syndicate.toml").read_text(encoding="utf-8")
    write(site / "syndicate.toml", config + f'\n[server]\nsubscribe_rate = 3\n\n[delivery]\nbroker = "{redis_url}"\n')
    assert runner.invoke(main, ["build", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    with Serve(site) as one, Serve(site) as two, httpx.Client(base_url=one.url) as a, \
            httpx.Client(base_url=two.url) as b:
        assert [sign_up(a, "r1@example.org"), sign_up(b, "r2@example.org"), sign_up(a, "r3@example.org")] == [
            200, 200, 200]
        # The fourth from this address is refused by either process: they count together.
        assert [sign_up(b, "r4@example.org"), sign_up(a, "r5@example.org")] == [429, 429]


def test_the_shared_limit_counts_a_window_on_the_redis_clock_per_client(redis_url: str) -> None:
    import time

    limit = SharedRateLimit(redis_url, 2, site="https://example.org/", window=0.5)
    other_site = SharedRateLimit(redis_url, 2, site="https://other.example.org/", window=0.5)
    try:
        assert [limit.allow("192.0.2.1") for _ in range(3)] == [True, True, False]
        assert limit.allow("192.0.2.2")  # another client has its own count
        assert other_site.allow("192.0.2.1")  # and another site its own
        time.sleep(0.6)
        assert limit.allow("192.0.2.1")  # the window has passed
    finally:
        limit.close()
        other_site.close()


def test_while_redis_is_away_sign_ups_are_let_through_and_that_is_logged_once(
        redis_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    limit = SharedRateLimit(redis_server.new_url(), 1, site="https://example.org/")
    try:
        assert limit.allow("192.0.2.1") and not limit.allow("192.0.2.1")
        redis_server.stop()
        with caplog.at_level(logging.INFO, logger="syndicate.web"):
            assert [limit.allow("192.0.2.1") for _ in range(3)] == [True, True, True]
            redis_server.start()  # nothing was saved: the count starts again
            assert [limit.allow("192.0.2.1"), limit.allow("192.0.2.1")] == [True, False]
        messages = [r.getMessage() for r in caplog.records]
        assert len([m for m in messages if "cannot reach Redis" in m]) == 1, messages
        assert "the sign-up limit reaches Redis again" in messages
    finally:
        limit.close()
        if redis_server.process is None:
            redis_server.start()
