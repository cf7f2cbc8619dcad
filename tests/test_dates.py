"""Dates in the forms articles write them: one table, as feedparser's date parsers are tested."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest

from syndicate.content import parse_date

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("text", "expect"), [
    # ISO 8601
    ("2025-12-14", "2025-12-14T00:00:00+01:00"),
    ("2025-12-14T10:32:00+00:00", "2025-12-14T10:32:00+00:00"),
    ("2025-12-14 10:32", "2025-12-14T10:32:00+01:00"),
    ("2025-07-14T10:32:00Z", "2025-07-14T10:32:00+00:00"),
    # Jekyll and Pelican
    ("2023-01-29 18:30:22 -0800", "2023-01-29T18:30:22-08:00"),
    ("2023-01-29 18:30:22 +05:30", "2023-01-29T18:30:22+05:30"),
    ("2014-06-06 2:00", "2014-06-06T02:00:00+02:00"),
    # RFC 2822
    ("Sun, 14 Dec 2025 10:32:00 +0000", "2025-12-14T10:32:00+00:00"),
    ("14 Dec 2025 10:32 GMT", "2025-12-14T10:32:00+00:00"),
    ("Sun, 14 Dec 2025 10:32:00 -0000", "2025-12-14T10:32:00+01:00"),  # -0000: zone unknown
    # as news sites print them
    ("14 Dec 2025", "2025-12-14T00:00:00+01:00"),
    ("14 December 2025", "2025-12-14T00:00:00+01:00"),
    ("December 14, 2025", "2025-12-14T00:00:00+01:00"),
    ("Dec. 14, 2025, 10:32", "2025-12-14T10:32:00+01:00"),
    ("Sunday, December 14th, 2025 at 10:32 UTC", "2025-12-14T10:32:00+00:00"),
    ("14 Sept 2025 08:05 +02:00", "2025-09-14T08:05:00+02:00"),
    ("  14   Dec   2025  ", "2025-12-14T00:00:00+01:00"),
])
def test_a_date_in_each_form_is_read(text: str, expect: str) -> None:
    parsed = parse_date(text, BERLIN)
    assert parsed is not None and parsed.isoformat() == expect


@pytest.mark.parametrize("text", [
    "", "yesterday", "2025-13-01", "30 Feb 2025", "14 Smarch 2025", "December 32, 2025", "2025-12-14 25:00",
    "14 Dec", "Dec 2025", "12/14/2025",  # ambiguous: not guessed
])
def test_what_is_no_date_or_is_ambiguous_is_not_guessed(text: str) -> None:
    assert parse_date(text, BERLIN) is None


def test_dates_that_yaml_or_toml_made_already_are_kept() -> None:
    assert parse_date(date(2025, 12, 14), BERLIN).isoformat() == "2025-12-14T00:00:00+01:00"
    assert parse_date(datetime(2025, 12, 14, 10, 32, 5, 999), BERLIN).isoformat() == "2025-12-14T10:32:05+01:00"
