"""When a source may be fetched again: its interval, what the server asked for, backing off. Pure.

A feed is fetched at most once per ``every`` (``[fetch] every``, or the source's own). A
server may ask for longer: ``Cache-Control: max-age`` on a feed, ``Retry-After`` on a 429 or
503; both are honoured up to :data:`LONGEST_WAIT`, so that a hostile or mistaken header
cannot silence a source for good. A source that fails is tried again after ``every``,
doubled for each failure in a row, up to a day (or ``every``, if that is longer).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

LONGEST_WAIT = timedelta(days=7)

LONGEST_BACKOFF = timedelta(days=1)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

_PART = re.compile(r"(\d{1,6})([smhdw])")


def parse_duration(text: str, *, allow_zero: bool = False) -> timedelta:
    """'90s', '15m', '1h', '7d', '2w' (or combined, '1h30m') → a timedelta; '0' when ``allow_zero``.

    :raises ValueError: naming the text and the form to write.
    """
    spoken = "".join(text.lower().split())
    if allow_zero and spoken == "0":
        return timedelta(0)
    parts = _PART.findall(spoken)
    if not spoken or "".join(n + u for n, u in parts) != spoken:
        zero = ', or "0" for no limit' if allow_zero else ""
        raise ValueError(f"{text!r} is not a duration. Write it like \"30m\", \"1h\" or \"7d\"{zero}.")
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def cache_max_age(headers: dict[str, str]) -> timedelta | None:
    """``Cache-Control: max-age=N`` (or ``s-maxage``) of a response, if it gives one."""
    found = re.search(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d{1,10})", headers.get("cache-control", ""), re.I)
    return timedelta(seconds=int(found.group(1))) if found else None


def retry_after(headers: dict[str, str], now: datetime) -> timedelta | None:
    """``Retry-After``: seconds, or an HTTP date (counted from ``now``); None if absent or unreadable."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value[:10]))
    from email.utils import parsedate_to_datetime  # here: it loads socket and more, and every config check loads this module

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when - now, timedelta(0))


def next_fetch(now: datetime, every: timedelta, *, asked: timedelta | None = None, failures: int = 0) -> datetime:
    """When to fetch again: after ``every``, or what the server ``asked`` if longer (at most
    :data:`LONGEST_WAIT`); after ``failures`` failures in a row, ``every`` doubled for each one
    past the first, up to :data:`LONGEST_BACKOFF` (or ``every`` if longer)."""
    wait = every
    if failures > 1:
        wait = max(every, min(every * 2 ** min(failures - 1, 16), LONGEST_BACKOFF))
    if asked is not None:
        wait = max(wait, min(asked, LONGEST_WAIT))
    return now + wait


def describe_wait(wait: timedelta) -> str:
    """A wait as people say it: '45 s', '15 min', '2 h', '3 days'."""
    seconds = int(wait.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
