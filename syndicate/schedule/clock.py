"""The two clocks the scheduler reads: the wall clock (UTC) for what is due, a monotonic one for intervals.

Slots, send times and quiet hours are decided on the wall clock, in UTC, by ``schedule.due``;
how long to wait between passes is measured on a monotonic clock (``CLOCK_BOOTTIME`` where
there is one, which also counts a suspended machine's sleep), which no step of the wall
clock moves: not daylight saving time in the process's own zone, not NTP, not a manual change.

For tests only: ``SYNDICATE_TEST_CLOCK`` names a JSON file, ``{"utc": "2026-11-28T12:00:00Z",
"monotonic": 0}``, read on every call, so that a test moves the clocks of a running process.
The wall clock then reads ``utc`` (it stands still until the file changes; left out, the real
clock), and the monotonic clock reads the real one plus ``monotonic`` seconds (a test adds to
it to skip a wait; it must only grow).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from typing import Any

TEST_CLOCK_ENV = "SYNDICATE_TEST_CLOCK"

_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", None)


def _test_clock() -> dict[str, Any] | None:
    path = os.environ.get(TEST_CLOCK_ENV)
    if not path:
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def utc_now() -> datetime:
    """The wall clock, in UTC, to the second."""
    fake = _test_clock()
    if fake and fake.get("utc"):
        moment = datetime.fromisoformat(fake["utc"].replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def monotonic() -> float:
    """Seconds on a clock that only moves forward, at the pace of real time (never stepped)."""
    now = time.clock_gettime(_BOOTTIME) if _BOOTTIME is not None else time.monotonic()
    fake = _test_clock()
    return now + float(fake.get("monotonic", 0)) if fake else now
