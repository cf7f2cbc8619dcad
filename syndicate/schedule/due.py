"""When is a newsletter due? A pure function of the clock, the last slot served and the cadence.

A cadence names wall-clock slots in the site's time zone: "daily at 08:00", "weekly on
monday at 08:00", "monthly on 1 at 09:00". The scheduler (and cron, through
``syndicate run``) asks :func:`due_slot` on every tick; the slot it returns is stored
once served, so a slot is never served twice, a clock that jumps back serves nothing
again, and a machine that was off for a week serves one catch-up issue (the latest
missed slot), never one per missed slot.

Daylight saving time: a slot in the spring-forward gap (02:30 on the night 02:00 →
03:00) falls an hour later by the clock (03:30, PEP 495's reading); a slot in the
autumn overlap (02:30 happens twice) is served once, at the first 02:30. A monthly
slot on a day the month lacks (31, or 29 in February of a common year) falls on the
month's last day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


FORMS = ('"daily at 08:00"', '"weekly on monday at 08:00"', '"monthly on 1 at 09:00"',
         '"on publish"', '"manual"')


#: With catch_up = false, a slot more than this late is skipped rather than served.
GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Cadence:
    kind: str  # "daily", "weekly", "monthly", "on publish", "manual"
    at: time | None = None
    weekday: int | None = None  # 0 = Monday
    day: int | None = None  # 1..31

    @property
    def timed(self) -> bool:
        return self.kind in ("daily", "weekly", "monthly")

    def __str__(self) -> str:
        if not self.timed:
            return self.kind
        at = f"at {self.at:%H:%M}"
        if self.kind == "weekly":
            return f"weekly on {WEEKDAYS[self.weekday or 0]} {at}"
        if self.kind == "monthly":
            return f"monthly on {self.day} {at}"
        return f"daily {at}"


_AT = r"at\s+(?P<h>\d{1,2}):(?P<m>\d{2})"


_PATTERNS = {
    "daily": re.compile(rf"daily\s+{_AT}"),
    "weekly": re.compile(rf"weekly\s+on\s+(?P<wd>[a-z]+)\s+{_AT}"),
    "monthly": re.compile(rf"monthly\s+on\s+(?P<d>\d{{1,2}})\s+{_AT}"),
}


def parse_cadence(text: str) -> Cadence:
    """Read a cadence string; a bad one raises ValueError listing the accepted forms."""
    spoken = " ".join(text.lower().split())
    if spoken in ("manual", "on publish"):
        return Cadence(spoken)
    for kind, pattern in _PATTERNS.items():
        m = pattern.fullmatch(spoken)
        if not m:
            continue
        hour, minute = int(m["h"]), int(m["m"])
        if hour > 23 or minute > 59:
            break
        weekday = day = None
        if kind == "weekly":
            names = [w for w in WEEKDAYS if w.startswith(m["wd"]) and len(m["wd"]) >= 3]
            if len(names) != 1:
                break
            weekday = WEEKDAYS.index(names[0])
        if kind == "monthly":
            day = int(m["d"])
            if not 1 <= day <= 31:
                break
        return Cadence(kind, time(hour, minute), weekday, day)
    raise ValueError(f"{text!r} is not a cadence. Use one of: {', '.join(FORMS)}.")


def parse_interval(text: str) -> timedelta:
    """'30s', '15m', '1h' (or combined, '1h30m') → a timedelta of at least one second."""
    spoken = "".join(text.lower().split())
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", spoken)
    if not spoken or not parts or not any(parts.groups()):
        raise ValueError(f"{text!r} is not an interval. Write it like \"30s\", \"15m\" or \"1h\".")
    hours, minutes, seconds = (int(g or 0) for g in parts.groups())
    interval = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if interval < timedelta(seconds=1):
        raise ValueError(f"{text!r} is too short: the shortest interval is \"1s\".")
    return interval


def slot_on(day: date, cadence: Cadence, tz: tzinfo) -> datetime | None:
    """The instant of ``cadence``'s slot on local date ``day`` (UTC), or None if there is none."""
    if not cadence.timed or cadence.at is None:
        return None
    if cadence.kind == "weekly" and day.weekday() != cadence.weekday:
        return None
    if cadence.kind == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        if day.day != min(cadence.day or 1, last):
            return None
    # fold=0: the first of two 02:30s in autumn; a 02:30 that does not exist reads as an hour later.
    local = datetime.combine(day, cadence.at).replace(tzinfo=tz, fold=0)
    return local.astimezone(timezone.utc)


def latest_slot(now: datetime, cadence: Cadence, tz: tzinfo) -> datetime | None:
    """The most recent slot at or before ``now`` (looking back at most 62 days)."""
    if not cadence.timed:
        return None
    day = now.astimezone(tz).date()
    for back in range(63):
        slot = slot_on(day - timedelta(days=back), cadence, tz)
        if slot is not None and slot <= now:
            return slot
    return None


def next_slot(now: datetime, cadence: Cadence, tz: tzinfo) -> datetime | None:
    """The first slot after ``now``."""
    if not cadence.timed:
        return None
    day = now.astimezone(tz).date()
    for ahead in range(63):
        slot = slot_on(day + timedelta(days=ahead), cadence, tz)
        if slot is not None and slot > now:
            return slot
    return None


def due_slot(now: datetime, last_served: datetime | None, cadence: Cadence, tz: tzinfo, *,
             catch_up: bool = True, grace: timedelta = GRACE) -> tuple[datetime | None, datetime | None]:
    """(the slot to serve now or None, the slot to record as served or None).

    The first time (``last_served`` None) the latest slot is only recorded: a newsletter
    starts with the next slot, not with one that passed before it was set up. A slot
    later than ``grace`` is served only with ``catch_up``; otherwise it is recorded as
    served, unsent.
    """
    latest = latest_slot(now, cadence, tz)
    if latest is None or (last_served is not None and latest <= last_served):
        return None, None
    if last_served is None:
        return None, latest
    if catch_up or now - latest <= grace:
        return latest, latest
    return None, latest
