"""Dates as articles write them: ISO 8601, and the forms generators and news sites print.

Each form is a small parser, tried in order (as feedparser does); the first that reads the
text wins. A date without an offset is in the site's time zone.

- ISO 8601: ``2025-12-14``, ``2025-12-14T10:32:00+01:00`` (and a space for the ``T``);
- Jekyll's: ``2023-01-29 18:30:22 -0800``; Pelican's lenient ``2014-06-06 2:00``, ``2020-12-2``;
- the C ``date`` form: ``Fri Sep  3 11:21:31 CEST 2021`` (a zone abbreviation with one meaning);
- RFC 2822 (mail, RSS): ``Sun, 14 Dec 2025 10:32:00 +0000``, ``14 Dec 2025 10:32 GMT``;
- news sites': ``14 Dec 2025``, ``14 December 2025``, ``December 14, 2025``,
  ``Dec. 14, 2025, 10:32``, each with an optional time and zone (``GMT``, ``UTC``, ``Z``,
  ``+01:00``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date as date_type
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

MONTHS = {name: n for n, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")), 1) for name in names}

_ZONE = r"(?:\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
_TIME = r"(?:,?\s+(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"


def parse_date(value: Any, tz: tzinfo) -> datetime | None:
    """The moment ``value`` names (a date, a datetime, or text in one of the forms above); a
    value without an offset is in ``tz``. None if it is not a date."""
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, date_type):
        parsed = datetime.combine(value, datetime.min.time())
    else:
        text = " ".join(str(value).split())
        parsed = next((p for p in (form(text) for form in FORMS) if p is not None), None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.replace(microsecond=0)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


# Ruby's Time.parse, which Jekyll uses, reads these too: a month or day of one digit, "00:10::00",
# and the year said twice ("2023-01-29 18:30:22 2023 -0800", as Time#to_s once wrote it).
_JEKYLL = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?:::?(\d{2}))?(?:\.\d+)?)?"
                     r"(?:\s+(\d{4}))?\s*([+-]\d{2}:?\d{2}|Z)?")


def _generator(text: str) -> datetime | None:
    """Jekyll's ``2023-01-29 18:30:22 -0800`` and Pelican's ``2014-06-06 2:00`` and ``2020-12-2``."""
    match = _JEKYLL.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, again, zone = match.groups()
    if again and again != year:
        return None
    return _make(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), zone)


#: Zone abbreviations that mean one offset (IST, say, means three: not read).
ZONE_NAMES = {"CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "BST": 1,
              "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

_CTIME = re.compile(r"(?:[A-Za-z]{3},?\s+)?(?P<month>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+(?P<hour>\d{1,2}):"
                    r"(?P<minute>\d{2}):(?P<second>\d{2})\s+(?:(?P<zone>[A-Z]{3,4}|[+-]\d{4})\s+)?(?P<year>\d{4})")


def _ctime(text: str) -> datetime | None:
    """The C and Unix ``date`` form, ``Fri Sep  3 11:21:31 CEST 2021``."""
    match = _CTIME.fullmatch(text)
    if match is None or match["month"].lower() not in MONTHS:
        return None
    zone = match["zone"]
    if zone in ZONE_NAMES:
        zone = f"{ZONE_NAMES[zone]:+03d}:00"
    elif zone and zone not in ("UTC", "GMT") and zone[0] not in "+-":
        return None
    return _make(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]), int(match["hour"]),
                 int(match["minute"]), int(match["second"]), zone)


def _rfc2822(text: str) -> datetime | None:
    if not re.match(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}", text):
        return None
    from email.utils import parsedate_to_datetime  # here: few dates are written so, and it loads socket

    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0) and text.endswith("-0000"):
        return parsed.replace(tzinfo=None)  # RFC 2822's "-0000": the zone is not known
    return parsed


_DAY_MONTH = re.compile(r"(?:[A-Za-z]+,?\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]+)\.?,?\s+"
                        rf"(?P<year>\d{{4}}){_TIME}{_ZONE}", re.I)
_MONTH_DAY = re.compile(r"(?:[A-Za-z]+,?\s+)?(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                        rf"(?P<year>\d{{4}}){_TIME}{_ZONE}", re.I)


def _news(text: str) -> datetime | None:
    """``14 Dec 2025``, ``December 14, 2025``, with an optional time and zone."""
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        match = pattern.fullmatch(text)
        if match and match["month"].lower() in MONTHS:
            return _make(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]),
                         int(match["hour"] or 0), int(match["minute"] or 0), int(match["second"] or 0),
                         match["zone"])
    return None


def _make(year: int, month: int, day: int, hour: int, minute: int, second: int, zone: str | None) -> datetime | None:
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # 30 February, 25 o'clock
        return None
    if zone is None:
        return moment
    if zone.upper() in ("Z", "UTC", "GMT"):
        return moment.replace(tzinfo=timezone.utc)
    digits = zone.replace(":", "")
    offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
    return moment.replace(tzinfo=timezone(offset if digits[0] == "+" else -offset))


#: The forms, tried in order.
FORMS: tuple[Callable[[str], datetime | None], ...] = (_iso, _generator, _rfc2822, _news, _ctime)
