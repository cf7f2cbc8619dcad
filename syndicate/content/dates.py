"""Dates as articles write them."""

from __future__ import annotations

from datetime import date as date_type
from datetime import datetime, tzinfo
from typing import Any


def parse_date(value: Any, tz: tzinfo) -> datetime | None:
    """ISO 8601 date or date-time; a value without an offset is in ``tz``. None if not a date."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date_type):
        parsed = datetime.combine(value, datetime.min.time())
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.replace(microsecond=0)
