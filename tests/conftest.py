"""Shared fixtures: a site folder to build in, a fixed clock, a clean environment."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.config import Config, load_config

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

#: The fixed "now" every test builds at, so that results never depend on the day.
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SYNDICATE_* variable of the machine running the tests leaks into them."""
    import os

    for key in list(os.environ):
        if key.startswith("SYNDICATE_"):
            monkeypatch.delenv(key)


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
