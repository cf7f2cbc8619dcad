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

The clock itself can be wrong. A stored slot later than now (beyond a few minutes) was served
by a clock that was ahead, or the clock has stepped back: if slots would be lost between now and
it, the schedule starts from now again (as the first time); if it is the very next slot, it counts
as served, so that no slot goes out twice. Quiet hours hold a late (catch-up) slot, an "on
publish" issue and a late send until the window ends, in the site's zone. Every instant here
is UTC, and nothing reads a clock: the caller gives ``now``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


FORMS = ('"daily at 08:00"', '"weekly on monday at 08:00"', '"monthly on 1 at 09:00"',
         '"on publish"', '"manual"')


#: A slot this late or less is on time; later, it is a catch-up ([schedule] catch_up_within).
GRACE = timedelta(hours=1)

#: A stored slot up to this much later than now is two clocks disagreeing a little, not a clock error.
AHEAD_TOLERANCE = timedelta(minutes=5)


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
    return local_instant(day, cadence.at, tz)


def local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The instant (UTC) the wall clock of ``tz`` reads ``at`` on ``day``."""
    # fold=0: the first of two 02:30s in autumn; a 02:30 that does not exist reads as an hour later.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(timezone.utc)


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


@dataclass(frozen=True)
class QuietHours:
    """A daily window, in the site's zone, in which no catch-up or "on publish" issue goes out."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(text: str) -> QuietHours | None:
    """'22:00-07:00' → QuietHours (it may cross midnight); '' → None. A bad one raises ValueError."""
    spoken = "".join(text.split())
    if not spoken:
        return None
    m = re.fullmatch(r"(\d{1,2}):(\d{2})[-–](\d{1,2}):(\d{2})", spoken)
    if m and int(m[1]) < 24 and int(m[3]) < 24 and int(m[2]) < 60 and int(m[4]) < 60:
        start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
        if start == end:
            raise ValueError(f"{text!r} starts and ends at the same time. Write the window like \"22:00-07:00\", "
                             "or \"\" for none.")
        return QuietHours(start, end)
    raise ValueError(f"{text!r} is not a time window. Write it like \"22:00-07:00\" (site time zone), or \"\" "
                     "for none.")


def quiet_until(now: datetime, quiet: QuietHours | None, tz: tzinfo) -> datetime | None:
    """When the quiet window ``now`` falls in ends (UTC), or None if ``now`` is in none."""
    if quiet is None:
        return None
    today = now.astimezone(tz).date()
    for day in (today - timedelta(days=1), today):
        start = local_instant(day, quiet.start, tz)
        end = local_instant(day + timedelta(days=1) if quiet.end < quiet.start else day, quiet.end, tz)
        if start <= now < end:
            return end
    return None


def clock_ahead(now: datetime, last_served: datetime | None) -> bool:
    """Whether the stored slot is later than ``now``: served by a clock that was ahead (or the
    clock has stepped back since)."""
    return last_served is not None and last_served > now + AHEAD_TOLERANCE


def _counted(now: datetime, last_served: datetime | None, cadence: Cadence, tz: tzinfo) -> datetime | None:
    """The last slot served, as the schedule counts it: a stored slot later than now is kept only
    when it is the very next slot (nothing lost, nothing twice); else the schedule starts again."""
    if not clock_ahead(now, last_served):
        return last_served
    upcoming = next_slot(now, cadence, tz)
    return last_served if upcoming is not None and last_served is not None and upcoming >= last_served else None


@dataclass(frozen=True)
class Decision:
    """What a pass does about the newsletter slot."""

    serve: datetime | None  # the slot to serve now
    record: datetime | None  # the slot to record as served
    held_until: datetime | None = None  # a catch-up held by quiet hours until then
    ahead: datetime | None = None  # the stored slot, when it is later than now (a clock error)
    reset: bool = False  # ... and the schedule starts from now again (else it counts as served)


def decide(now: datetime, last_served: datetime | None, cadence: Cadence, tz: tzinfo, *,
           catch_up: bool = True, grace: timedelta = GRACE, quiet: QuietHours | None = None) -> Decision:
    """The slot to serve now, the slot to record, and whether quiet hours hold it (see :func:`due_slot`)."""
    counted = _counted(now, last_served, cadence, tz)
    ahead = last_served if clock_ahead(now, last_served) else None
    latest = latest_slot(now, cadence, tz)
    if latest is None or (counted is not None and latest <= counted):
        return Decision(None, None, ahead=ahead)
    if counted is None:
        return Decision(None, latest, ahead=ahead, reset=ahead is not None)
    if now - latest <= grace:
        return Decision(latest, latest)
    if not catch_up:
        return Decision(None, latest)
    held = quiet_until(now, quiet, tz)
    if held is not None:
        return Decision(None, None, held_until=held)
    return Decision(latest, latest)


def upcoming_slot(now: datetime, last_served: datetime | None, cadence: Cadence, tz: tzinfo) -> datetime | None:
    """The next slot the schedule will serve after ``now``, as :func:`decide` counts the stored one:
    what ``syndicate status`` shows, so that it and the next pass agree."""
    counted = _counted(now, last_served, cadence, tz)
    return next_slot(max(now, counted) if counted is not None else now, cadence, tz)


def send_due(now: datetime, at: datetime, *, grace: timedelta = GRACE, quiet: QuietHours | None = None,
             tz: tzinfo = timezone.utc) -> tuple[bool, datetime | None]:
    """(send now?, held until) for a send set for ``at``: it goes once its time has come; found late
    by more than ``grace`` (the machine was off) inside quiet hours, it waits for their end."""
    if now < at:
        return False, None
    held = quiet_until(now, quiet, tz) if now - at > grace else None
    return held is None, held


def due_slot(now: datetime, last_served: datetime | None, cadence: Cadence, tz: tzinfo, *,
             catch_up: bool = True, grace: timedelta = GRACE,
             quiet: QuietHours | None = None) -> tuple[datetime | None, datetime | None]:
    """(the slot to serve now or None, the slot to record as served or None).

    The first time (``last_served`` None) the latest slot is only recorded: a newsletter
    starts with the next slot, not with one that passed before it was set up. A slot
    later than ``grace`` is a catch-up: served only with ``catch_up`` (otherwise it is
    recorded as served, unsent), and not inside ``quiet`` hours (then nothing is recorded,
    and a pass after the window serves it). A stored slot later than now: see the module.
    """
    decision = decide(now, last_served, cadence, tz, catch_up=catch_up, grace=grace, quiet=quiet)
    return decision.serve, decision.record
