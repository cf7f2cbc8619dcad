"""Shared fixtures: a site folder to build in, a fixed clock, a clean environment."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.config import Config, load_config

from .checkout_guard import CheckoutGuard

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

pytest_plugins = ["pytester"]

#: The fixed "now" every test builds at, so that results never depend on the day.
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def pytest_configure(config: pytest.Config) -> None:
    # Inner pytest runs (pytester) are of other folders: only the outer run guards the checkout.
    if not hasattr(config, "workerinput") and Path(config.rootpath) == REPO:
        config.pluginmanager.register(CheckoutGuard(REPO), "checkout-guard")


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in a temporary folder of its own, with its own HOME, and no SYNDICATE_*
    variable of the machine running the tests: nothing a test does can reach the user's files."""
    home = tmp_path_factory.mktemp("home")
    work = tmp_path_factory.mktemp("cwd")
    monkeypatch.setenv("HOME", str(home))
    for key in list(os.environ):
        if key.startswith(("SYNDICATE_", "XDG_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/data/site (config + content) in a temp folder, which is the cwd."""
    target = tmp_path / "site"
    shutil.copytree(DATA / "site", target)
    monkeypatch.chdir(target)
    return target


@pytest.fixture
def config(site: Path) -> Config:
    return load_config(site / "syndicate.toml")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(path: Path, text: str | bytes) -> Path:
    """Write a file (creating folders); bytes are written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def site_store(site: Path) -> Any:
    """The state of the site at ``site``: in PostgreSQL when the test's ``backend`` put it there."""
    from syndicate.state import Store

    return Store(os.environ.get("SYNDICATE_DATABASE_URL") or site / "syndicate.db")


@pytest.fixture
def wall_clock(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``wall_clock("2027-02-01T00:00:00Z")``: the real time as the commands see it, moved on, so
    that a test can build at a --now that is later than today."""
    from syndicate.cli import common

    def move_to(moment: str) -> None:
        when = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        monkeypatch.setattr(common, "wall_clock", lambda: when)

    return move_to


@pytest.fixture
def scheduler() -> Iterator[Callable[..., Any]]:
    """``scheduler(site, *args, clock=…, tz=…)`` starts ``syndicate schedule`` (tests/test_scheduler.py's
    ``Scheduler``); each one started is killed at the end if still running."""
    from .test_scheduler import Scheduler

    started: list[Scheduler] = []

    def start(site: Path, *args: str, clock: Any = None, tz: str | None = None) -> Scheduler:
        started.append(Scheduler(site, *args, clock=clock, tz=tz))
        return started[-1]

    yield start
    for s in started:
        s.kill()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One real PostgreSQL for the whole run (tests/db_servers.py), started at first use;
    skipped, with the reason, where it cannot be run."""
    from .db_servers import PostgresServer, find_postgres

    if (why := find_postgres()) is not None:
        pytest.skip(why)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(postgres_server: Any) -> str:
    """The URL of a new, empty PostgreSQL database of this test's own."""
    if postgres_server.process is None:  # a test stopped it and failed before starting it again
        postgres_server.start()
    return postgres_server.new_database()


@pytest.fixture(scope="session")
def _pg_template(postgres_server: Any) -> str:
    """A database at the latest schema, made once: each test's copy of it is made in milliseconds."""
    from syndicate.state import Store

    url = postgres_server.new_database()
    Store(url).close()
    return url.rsplit("/", 1)[1]


@pytest.fixture
def pg_state_url(postgres_server: Any, _pg_template: str) -> str:
    """The URL of a new PostgreSQL state database of this test's own, at the latest schema."""
    if postgres_server.process is None:
        postgres_server.start()
    return postgres_server.new_database(_pg_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test twice: with the site's state in SQLite ([state] path), and in a PostgreSQL
    database of its own (``SYNDICATE_DATABASE_URL``, which every command, and every process the
    test starts, reads)."""
    if request.param == "postgresql":
        monkeypatch.setenv("SYNDICATE_DATABASE_URL", request.getfixturevalue("pg_state_url"))
    return request.param


@pytest.fixture(params=["sqlite", "postgresql"])
def state_at(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's state is, for ``Store(state_at)``: a SQLite file, then a PostgreSQL URL."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_state_url")
    return tmp_path / "s.db"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """One real Redis for the whole run, started at first use; skipped, with the reason, where it cannot be run."""
    from .db_servers import RedisServer, find_redis

    if (why := find_redis()) is not None:
        pytest.skip(why)
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    """The URL of a Redis database number of this test's own."""
    if redis_server.process is None:
        redis_server.start()
    return redis_server.new_url()
