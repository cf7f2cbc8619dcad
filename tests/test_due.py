"""When a newsletter is due: ``syndicate.due``, a pure function of the clock, tested with tables.

Every instant is an aware datetime; the zones are real (zoneinfo), and the daylight
saving days are those of 2026: Europe/Berlin springs forward on 29 March (02:00 CET →
03:00 CEST) and falls back on 25 October (03:00 CEST → 02:00 CET, so 02:00–02:59
happens twice); America/New_York springs forward on 8 March (02:00 EST → 03:00 EDT)
and falls back on 1 November (02:00 EDT → 01:00 EST, so it is 01:00–01:59 that
happens twice there, not 02:30).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from syndicate.schedule.due import (
    Cadence,
    Decision,
    QuietHours,
    decide,
    due_slot,
    latest_slot,
    next_slot,
    parse_cadence,
    parse_interval,
    parse_quiet_hours,
    quiet_until,
    send_due,
    slot_on,
    upcoming_slot,
)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
FORMS = '"daily at 08:00", "weekly on monday at 08:00", "monthly on 1 at 09:00", "on publish", "manual"'


def utc(text: str) -> datetime:
    """'2026-03-29 01:30' → that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, tz: ZoneInfo, fold: int = 0) -> datetime:
    """A wall-clock time in ``tz`` (``fold=1``: the second of two that happen twice)."""
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold)


def wall(moment: datetime, tz: ZoneInfo) -> str:
    """The wall-clock reading of ``moment`` in ``tz``, with its abbreviation."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


# -- reading a cadence ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("manual", Cadence("manual")),
        ("MANUAL", Cadence("manual")),
        ("on publish", Cadence("on publish")),
        ("  On   Publish ", Cadence("on publish")),
        ("daily at 08:00", Cadence("daily", time(8, 0))),
        ("Daily at 8:00", Cadence("daily", time(8, 0))),
        ("daily\tat  23:59", Cadence("daily", time(23, 59))),
        ("daily at 00:00", Cadence("daily", time(0, 0))),
        ("weekly on monday at 08:00", Cadence("weekly", time(8, 0), weekday=0)),
        ("Weekly On Mon At 08:00", Cadence("weekly", time(8, 0), weekday=0)),
        ("weekly on tue at 09:30", Cadence("weekly", time(9, 30), weekday=1)),
        ("weekly on wed at 07:15", Cadence("weekly", time(7, 15), weekday=2)),
        ("weekly on thurs at 10:00", Cadence("weekly", time(10, 0), weekday=3)),
        ("weekly on fri at 17:00", Cadence("weekly", time(17, 0), weekday=4)),
        ("weekly on SAT at 06:00", Cadence("weekly", time(6, 0), weekday=5)),
        ("weekly on sunday at 20:45", Cadence("weekly", time(20, 45), weekday=6)),
        ("monthly on 1 at 09:00", Cadence("monthly", time(9, 0), day=1)),
        ("monthly on 31 at 9:05", Cadence("monthly", time(9, 5), day=31)),
        ("  MONTHLY on 15   at 12:00 ", Cadence("monthly", time(12, 0), day=15)),
    ],
)
def test_parse_cadence_reads_every_form_whatever_the_case_and_spacing(text: str, expect: Cadence) -> None:
    assert parse_cadence(text) == expect


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("daily at 8:00", "daily at 08:00"),
        ("weekly on Mon at 8:00", "weekly on monday at 08:00"),
        ("monthly on 31 at 23:59", "monthly on 31 at 23:59"),
        ("On Publish", "on publish"),
        ("Manual", "manual"),
    ],
)
def test_a_cadence_prints_in_its_canonical_form(text: str, expect: str) -> None:
    assert str(parse_cadence(text)) == expect


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hourly",
        "daily",
        "daily at",
        "daily at 8",
        "daily at 8am",
        "daily at 24:00",
        "daily at 08:60",
        "daily at 08:00 sharp",
        "every day at 08:00",
        "weekly at 08:00",
        "weekly on mo at 08:00",  # two letters could be anything
        "weekly on t at 08:00",
        "weekly on funday at 08:00",
        "weekly on mondays at 08:00",
        "monthly on 0 at 09:00",
        "monthly on 32 at 09:00",
        "monthly on last at 09:00",
        "monthly at 09:00",
        "on publish now",
        "publish",
    ],
)
def test_parse_cadence_refuses_a_bad_one_and_lists_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_cadence(text)
    assert str(caught.value) == f"{text!r} is not a cadence. Use one of: {FORMS}."


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("30s", timedelta(seconds=30)),
        ("1s", timedelta(seconds=1)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2h5m10s", timedelta(hours=2, minutes=5, seconds=10)),
        ("90s", timedelta(seconds=90)),
        (" 15 M ", timedelta(minutes=15)),
        ("1H", timedelta(hours=1)),
    ],
)
def test_parse_interval_reads_hours_minutes_and_seconds(text: str, expect: timedelta) -> None:
    assert parse_interval(text) == expect


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("", "'' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("  ", "'  ' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("5x", "'5x' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("15", "'15' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("1.5h", "'1.5h' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("-5m", "'-5m' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("30m1h", "'30m1h' is not an interval. Write it like \"30s\", \"15m\" or \"1h\"."),
        ("0s", "'0s' is too short: the shortest interval is \"1s\"."),
        ("0h0m", "'0h0m' is too short: the shortest interval is \"1s\"."),
    ],
)
def test_parse_interval_refuses_a_bad_or_empty_one(text: str, expect: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_interval(text)
    assert str(caught.value) == expect


# -- daylight saving time -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("tz", "day", "expect_utc", "expect_wall"),
    [
        (BERLIN, date(2026, 3, 29), utc("2026-03-29 01:30"), "2026-03-29 03:30 CEST"),
        (NEW_YORK, date(2026, 3, 8), utc("2026-03-08 07:30"), "2026-03-08 03:30 EDT"),
    ],
    ids=["Berlin", "New York"],
)
def test_a_slot_in_the_spring_forward_gap_falls_an_hour_later_and_exists_once(tz, day, expect_utc,
                                                                            expect_wall) -> None:
    cadence = parse_cadence("daily at 02:30")
    slot = slot_on(day, cadence, tz)
    assert slot == expect_utc
    assert wall(slot, tz) == expect_wall
    # Exactly one slot that local day: stepping minute by minute over it finds it once.
    start = datetime.combine(day, time(0, 0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    latest = {latest_slot(start + timedelta(minutes=m), cadence, tz)
              for m in range(int((end - start).total_seconds() // 60))}
    assert latest == {slot_on(day - timedelta(days=1), cadence, tz), slot}
    assert latest_slot(slot - timedelta(seconds=1), cadence, tz) == slot_on(day - timedelta(days=1), cadence, tz)
    assert next_slot(slot - timedelta(seconds=1), cadence, tz) == slot


@pytest.mark.parametrize(
    ("tz", "day", "at", "first", "second", "expect_wall"),
    [
        (BERLIN, date(2026, 10, 25), "02:30", utc("2026-10-25 00:30"), utc("2026-10-25 01:30"),
         "2026-10-25 02:30 CEST"),
        # New York repeats 01:00-01:59 (02:00 EDT becomes 01:00 EST), so its twice-lived time is 01:30.
        (NEW_YORK, date(2026, 11, 1), "01:30", utc("2026-11-01 05:30"), utc("2026-11-01 06:30"),
         "2026-11-01 01:30 EDT"),
    ],
    ids=["Berlin", "New York"],
)
def test_a_slot_in_the_autumn_overlap_is_served_once_at_the_first_of_the_two(tz, day, at, first, second,
                                                                             expect_wall) -> None:
    cadence = parse_cadence(f"daily at {at}")
    # The two instants both read as that wall-clock time.
    assert local(f"{day} {at}", tz, fold=0).astimezone(UTC) == first
    assert local(f"{day} {at}", tz, fold=1).astimezone(UTC) == second
    assert wall(first, tz)[:16] == wall(second, tz)[:16] == f"{day} {at}"

    slot = slot_on(day, cadence, tz)
    assert slot == first
    assert wall(slot, tz) == expect_wall
    yesterday = slot_on(day - timedelta(days=1), cadence, tz)
    assert due_slot(first, yesterday, cadence, tz) == (first, first)
    assert due_slot(second, first, cadence, tz) == (None, None)  # the second one serves nothing
    assert latest_slot(second, cadence, tz) == first
    assert next_slot(first, cadence, tz) == slot_on(day + timedelta(days=1), cadence, tz)


def test_in_new_york_0230_on_the_autumn_day_happens_once_and_is_the_slot() -> None:
    cadence = parse_cadence("daily at 02:30")
    slot = slot_on(date(2026, 11, 1), cadence, NEW_YORK)
    assert (slot, wall(slot, NEW_YORK)) == (utc("2026-11-01 07:30"), "2026-11-01 02:30 EST")
    assert due_slot(slot, utc("2026-10-31 06:30"), cadence, NEW_YORK) == (slot, slot)


@pytest.mark.parametrize(
    ("tz", "days", "expect"),
    [
        (BERLIN, [date(2026, 3, 28), date(2026, 3, 29)], ["2026-03-28 07:00", "2026-03-29 06:00"]),
        (BERLIN, [date(2026, 10, 24), date(2026, 10, 25)], ["2026-10-24 06:00", "2026-10-25 07:00"]),
        (NEW_YORK, [date(2026, 3, 7), date(2026, 3, 8)], ["2026-03-07 13:00", "2026-03-08 12:00"]),
        (NEW_YORK, [date(2026, 10, 31), date(2026, 11, 1)], ["2026-10-31 12:00", "2026-11-01 13:00"]),
    ],
    ids=["Berlin spring", "Berlin autumn", "New York spring", "New York autumn"],
)
def test_an_0800_slot_stays_at_0800_local_across_the_change_and_moves_in_utc(tz, days, expect) -> None:
    cadence = parse_cadence("daily at 08:00")
    slots = [slot_on(day, cadence, tz) for day in days]
    assert slots == [utc(e) for e in expect]
    assert [s.astimezone(tz).strftime("%H:%M") for s in slots] == ["08:00", "08:00"]


def served_by_the_minute(cadence: Cadence, tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Tick a clock once a minute from ``start`` to ``end``, as ``syndicate run`` from cron
    would, keeping the recorded slot; return (slot served, when) for each slot served."""
    last = None
    served = []
    now = start
    while now < end:
        slot, record = due_slot(now, last, cadence, tz)
        if record is not None:
            assert last is None or record > last, "the recorded slot only moves forward"
            last = record
        if slot is not None:
            served.append((slot, now))
        now += timedelta(minutes=1)
    return served


@pytest.mark.parametrize("at", ["02:30", "01:30", "08:00", "00:00", "23:59", "03:00", "02:00"])
@pytest.mark.parametrize(
    ("tz", "windows"),
    [
        (BERLIN, [(date(2026, 3, 27), date(2026, 3, 31)), (date(2026, 10, 23), date(2026, 10, 27))]),
        (NEW_YORK, [(date(2026, 3, 6), date(2026, 3, 10)), (date(2026, 10, 30), date(2026, 11, 3))]),
    ],
    ids=["Berlin", "New York"],
)
def test_a_minute_by_minute_clock_over_both_changes_serves_one_slot_a_day(tz, windows, at: str) -> None:
    cadence = parse_cadence(f"daily at {at}")
    for first_day, last_day in windows:
        # From a minute before the first day (its first call only records the day before).
        start = datetime.combine(first_day, time(0, 0), tz).astimezone(UTC) - timedelta(minutes=1)
        end = datetime.combine(last_day, time(0, 0), tz).astimezone(UTC)
        served = served_by_the_minute(cadence, tz, start, end)
        days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days)]
        # One a local day, each the day's slot, served the minute it came, never twice.
        assert [slot.astimezone(tz).date() for slot, _ in served] == days
        assert [slot for slot, _ in served] == [slot_on(day, cadence, tz) for day in days]
        assert all(when == slot for slot, when in served)
        assert len({slot for slot, _ in served}) == len(served)


# -- month ends, weekdays ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cadence", "month", "expect_day"),
    [
        ("monthly on 31 at 09:00", (2026, 1), 31),
        ("monthly on 31 at 09:00", (2026, 2), 28),
        ("monthly on 31 at 09:00", (2026, 4), 30),
        ("monthly on 31 at 09:00", (2026, 6), 30),
        ("monthly on 31 at 09:00", (2028, 2), 29),
        ("monthly on 30 at 09:00", (2026, 2), 28),
        ("monthly on 29 at 09:00", (2028, 2), 29),  # leap year
        ("monthly on 29 at 09:00", (2027, 2), 28),
        ("monthly on 29 at 09:00", (2027, 3), 29),
        ("monthly on 1 at 09:00", (2026, 3), 1),
        ("monthly on 1 at 09:00", (2026, 10), 1),
        ("monthly on 15 at 09:00", (2026, 2), 15),
    ],
)
def test_a_monthly_slot_on_a_day_the_month_lacks_falls_on_its_last_day(cadence: str, month, expect_day: int) -> None:
    parsed = parse_cadence(cadence)
    year, number = month
    days = [date(year, number, d) for d in range(1, 32) if _valid(year, number, d)]
    slots = {day: slot_on(day, parsed, BERLIN) for day in days}
    assert [day.day for day, slot in slots.items() if slot is not None] == [expect_day]
    slot = slots[date(year, number, expect_day)]
    assert slot.astimezone(BERLIN).replace(tzinfo=None) == datetime(year, number, expect_day, 9, 0)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("now", "expect_latest", "expect_next"),
    [
        (local("2026-04-15 12:00", BERLIN), "2026-03-31 09:00", "2026-04-30 09:00"),
        (local("2026-04-30 08:59", BERLIN), "2026-03-31 09:00", "2026-04-30 09:00"),
        (local("2026-04-30 09:00", BERLIN), "2026-04-30 09:00", "2026-05-31 09:00"),
        (local("2026-02-28 09:01", BERLIN), "2026-02-28 09:00", "2026-03-31 09:00"),
        (local("2026-01-31 08:00", BERLIN), "2025-12-31 09:00", "2026-01-31 09:00"),
    ],
)
def test_latest_and_next_monthly_slot_on_31_walk_over_short_months(now, expect_latest, expect_next) -> None:
    cadence = parse_cadence("monthly on 31 at 09:00")
    assert latest_slot(now, cadence, BERLIN) == local(expect_latest, BERLIN)
    assert next_slot(now, cadence, BERLIN) == local(expect_next, BERLIN)


@pytest.mark.parametrize(
    ("text", "weekday_name"),
    [("weekly on mon at 08:00", "Monday"), ("weekly on wednesday at 08:00", "Wednesday"),
     ("weekly on sun at 08:00", "Sunday")],
)
def test_a_weekly_slot_falls_on_its_weekday_only(text: str, weekday_name: str) -> None:
    cadence = parse_cadence(text)
    days = [date(2026, 11, 23) + timedelta(days=n) for n in range(14)]  # two weeks from a Monday
    slots = [slot_on(day, cadence, BERLIN) for day in days]
    found = [s for s in slots if s is not None]
    assert len(found) == 2
    assert {s.astimezone(BERLIN).strftime("%A %H:%M") for s in found} == {f"{weekday_name} 08:00"}
    assert found[1] - found[0] == timedelta(days=7)


@pytest.mark.parametrize(
    ("now", "expect_latest", "expect_next"),
    [
        # Monday 2026-11-30, 08:00 CET = 07:00 UTC.
        (utc("2026-11-30 06:59:59"), "2026-11-23 07:00", "2026-11-30 07:00"),
        (utc("2026-11-30 07:00:00"), "2026-11-30 07:00", "2026-12-07 07:00"),
        (utc("2026-11-30 07:00:01"), "2026-11-30 07:00", "2026-12-07 07:00"),
        (utc("2026-12-06 23:59:59"), "2026-11-30 07:00", "2026-12-07 07:00"),
    ],
    ids=["just before", "exactly at", "just after", "the Sunday after"],
)
def test_latest_and_next_weekly_slot_around_the_slot_minute(now, expect_latest, expect_next) -> None:
    cadence = parse_cadence("weekly on monday at 08:00")
    assert latest_slot(now, cadence, BERLIN) == utc(expect_latest)
    assert next_slot(now, cadence, BERLIN) == utc(expect_next)


def test_latest_and_next_slot_read_the_clock_in_any_zone_the_same() -> None:
    cadence = parse_cadence("daily at 08:00")
    moment = utc("2026-11-30 06:30")
    for zone in (UTC, BERLIN, NEW_YORK, ZoneInfo("Asia/Tokyo")):
        assert latest_slot(moment.astimezone(zone), cadence, BERLIN) == utc("2026-11-29 07:00")
        assert next_slot(moment.astimezone(zone), cadence, BERLIN) == utc("2026-11-30 07:00")


# -- what due_slot serves -------------------------------------------------------------------

DAILY = parse_cadence("daily at 08:00")
SLOT = utc("2026-11-30 07:00")  # 08:00 in Berlin
YESTERDAY = utc("2026-11-29 07:00")


def test_the_first_call_records_the_latest_slot_without_serving_it() -> None:
    assert due_slot(utc("2026-11-30 12:00"), None, DAILY, BERLIN) == (None, SLOT)
    assert due_slot(utc("2026-11-30 06:00"), None, DAILY, BERLIN) == (None, YESTERDAY)
    # Then the next slot is the first one served.
    assert due_slot(utc("2026-11-30 07:00"), YESTERDAY, DAILY, BERLIN) == (SLOT, SLOT)


def test_a_slot_already_served_is_not_served_again() -> None:
    assert due_slot(utc("2026-11-30 07:00"), YESTERDAY, DAILY, BERLIN) == (SLOT, SLOT)
    assert due_slot(utc("2026-11-30 07:00"), SLOT, DAILY, BERLIN) == (None, None)
    assert due_slot(utc("2026-11-30 07:01"), SLOT, DAILY, BERLIN) == (None, None)
    assert due_slot(utc("2026-11-30 23:59"), SLOT, DAILY, BERLIN) == (None, None)


@pytest.mark.parametrize("back", [timedelta(minutes=1), timedelta(hours=1), timedelta(hours=2), timedelta(days=1)])
def test_a_clock_that_jumps_back_serves_nothing_and_records_nothing(back: timedelta) -> None:
    # Less than a period back: the stored slot is the very next one, and counts as served.
    now = utc("2026-11-30 07:30")
    assert due_slot(now, YESTERDAY, DAILY, BERLIN) == (SLOT, SLOT)
    assert due_slot(now - back, SLOT, DAILY, BERLIN) == (None, None)  # the record does not move back
    # When the clock comes back to the present, the slot is still served.
    assert due_slot(now, SLOT, DAILY, BERLIN) == (None, None)
    assert due_slot(now + timedelta(days=1), SLOT, DAILY, BERLIN) == (SLOT + timedelta(days=1),) * 2


def test_a_clock_that_jumps_forward_serves_the_latest_slot_once() -> None:
    now = utc("2026-11-30 07:30")
    later = now + timedelta(days=3, hours=2)
    latest = utc("2026-12-03 07:00")
    assert due_slot(later, SLOT, DAILY, BERLIN) == (latest, latest)
    assert due_slot(later, latest, DAILY, BERLIN) == (None, None)
    assert due_slot(later + timedelta(minutes=1), latest, DAILY, BERLIN) == (None, None)


def test_a_machine_off_for_a_week_gets_one_catch_up_slot_the_latest() -> None:
    last = utc("2026-11-22 07:00")  # served eight days before
    now = utc("2026-11-30 12:00")  # 13:00 in Berlin: five hours after today's slot
    assert due_slot(now, last, DAILY, BERLIN, catch_up=True) == (SLOT, SLOT)
    assert due_slot(now, SLOT, DAILY, BERLIN, catch_up=True) == (None, None)


def test_without_catch_up_a_slot_missed_by_more_than_the_grace_is_recorded_not_served() -> None:
    last = utc("2026-11-22 07:00")
    now = utc("2026-11-30 12:00")
    assert due_slot(now, last, DAILY, BERLIN, catch_up=False) == (None, SLOT)
    assert due_slot(now, SLOT, DAILY, BERLIN, catch_up=False) == (None, None)
    # The next slot is served as usual.
    assert due_slot(utc("2026-12-01 07:00"), SLOT, DAILY, BERLIN, catch_up=False) == (
        utc("2026-12-01 07:00"), utc("2026-12-01 07:00"))


@pytest.mark.parametrize(
    ("now", "served"),
    [
        (utc("2026-11-30 07:00"), True),
        (utc("2026-11-30 07:59"), True),
        (utc("2026-11-30 08:00"), True),  # exactly one hour late: still within the grace
        (utc("2026-11-30 08:00:01"), False),
        (utc("2026-11-30 20:00"), False),
    ],
)
def test_without_catch_up_a_slot_late_by_less_than_the_grace_is_served(now: datetime, served: bool) -> None:
    assert due_slot(now, YESTERDAY, DAILY, BERLIN, catch_up=False) == ((SLOT if served else None), SLOT)
    assert due_slot(now, YESTERDAY, DAILY, BERLIN, catch_up=True) == (SLOT, SLOT)


def test_the_grace_can_be_given() -> None:
    now = utc("2026-11-30 07:10")
    assert due_slot(now, YESTERDAY, DAILY, BERLIN, catch_up=False, grace=timedelta(minutes=5)) == (None, SLOT)
    assert due_slot(now, YESTERDAY, DAILY, BERLIN, catch_up=False, grace=timedelta(minutes=15)) == (SLOT, SLOT)


@pytest.mark.parametrize("text", ["manual", "on publish"])
def test_manual_and_on_publish_never_have_a_slot(text: str) -> None:
    cadence = parse_cadence(text)
    assert not cadence.timed
    now = utc("2026-11-30 07:00")
    assert slot_on(now.date(), cadence, BERLIN) is None
    assert latest_slot(now, cadence, BERLIN) is None
    assert next_slot(now, cadence, BERLIN) is None
    assert due_slot(now, None, cadence, BERLIN) == (None, None)
    assert due_slot(now, YESTERDAY, cadence, BERLIN) == (None, None)


def test_a_week_of_cron_every_minute_with_a_weekly_cadence_serves_one_slot() -> None:
    cadence = parse_cadence("weekly on mon at 08:00")
    start = utc("2026-11-26 00:00")  # a Thursday
    served = served_by_the_minute(cadence, BERLIN, start, start + timedelta(days=14))
    assert [(wall(slot, BERLIN), when) for slot, when in served] == [
        ("2026-11-30 08:00 CET", utc("2026-11-30 07:00")),
        ("2026-12-07 08:00 CET", utc("2026-12-07 07:00")),
    ]


# -- a clock that was wrong -------------------------------------------------------------------

def test_a_slot_stored_by_a_clock_ten_days_ahead_restarts_the_schedule_from_now() -> None:
    ahead = utc("2026-12-10 07:00")  # a pass with the clock ten days fast served this
    now = utc("2026-11-30 12:00")  # the clock is right again
    assert decide(now, ahead, DAILY, BERLIN) == Decision(None, SLOT, ahead=ahead, reset=True)
    assert upcoming_slot(now, ahead, DAILY, BERLIN) == utc("2026-12-01 07:00")  # what status says
    # Recorded, the schedule goes on as usual: no more warning, the next slot is served.
    assert decide(now, SLOT, DAILY, BERLIN) == Decision(None, None)
    assert due_slot(utc("2026-12-01 07:00"), SLOT, DAILY, BERLIN) == (utc("2026-12-01 07:00"),) * 2


def test_a_stored_slot_a_few_minutes_ahead_is_no_clock_error() -> None:
    assert decide(utc("2026-11-30 06:56"), SLOT, DAILY, BERLIN) == Decision(None, None)
    assert decide(utc("2026-11-30 06:54"), SLOT, DAILY, BERLIN) == Decision(None, None, ahead=SLOT)


@pytest.mark.parametrize("back", [timedelta(hours=2), timedelta(hours=23)])
def test_a_clock_stepped_back_less_than_a_period_counts_the_stored_slot_as_served(back: timedelta) -> None:
    served = utc("2026-11-30 07:00:30")
    now = served - back
    assert decide(now, SLOT, DAILY, BERLIN) == Decision(None, None, ahead=SLOT)
    assert upcoming_slot(now, SLOT, DAILY, BERLIN) == utc("2026-12-01 07:00")
    # The clock passing 08:00 again does not serve it twice.
    for later in (timedelta(hours=1), back, back + timedelta(minutes=30)):
        assert due_slot(now + later, SLOT, DAILY, BERLIN) == (None, None)


def test_a_weekly_slot_stored_by_a_clock_a_day_ahead_counts_and_one_two_weeks_ahead_restarts() -> None:
    weekly = parse_cadence("weekly on monday at 08:00")
    monday = utc("2026-11-30 07:00")
    sunday = utc("2026-11-29 07:00")
    assert decide(sunday, monday, weekly, BERLIN) == Decision(None, None, ahead=monday)
    assert upcoming_slot(sunday, monday, weekly, BERLIN) == utc("2026-12-07 07:00")
    far = utc("2026-12-14 07:00")
    assert decide(sunday, far, weekly, BERLIN) == Decision(None, utc("2026-11-23 07:00"), ahead=far, reset=True)
    assert upcoming_slot(sunday, far, weekly, BERLIN) == monday


# -- quiet hours ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("", None),
        ("  ", None),
        ("22:00-07:00", QuietHours(time(22, 0), time(7, 0))),
        (" 22:00 - 7:00 ", QuietHours(time(22, 0), time(7, 0))),
        ("12:30\u201314:00", QuietHours(time(12, 30), time(14, 0))),
        ("00:00-06:00", QuietHours(time(0, 0), time(6, 0))),
    ],
)
def test_parse_quiet_hours_reads_a_window_that_may_cross_midnight(text: str, expect: QuietHours | None) -> None:
    assert parse_quiet_hours(text) == expect


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("22:00", "'22:00' is not a time window. Write it like \"22:00-07:00\" (site time zone), or \"\" for none."),
        ("22-7", "'22-7' is not a time window. Write it like \"22:00-07:00\" (site time zone), or \"\" for none."),
        ("24:00-07:00",
         "'24:00-07:00' is not a time window. Write it like \"22:00-07:00\" (site time zone), or \"\" for none."),
        ("22:00-07:60",
         "'22:00-07:60' is not a time window. Write it like \"22:00-07:00\" (site time zone), or \"\" for none."),
        ("07:00-07:00", "'07:00-07:00' starts and ends at the same time. Write the window like \"22:00-07:00\", "
                        "or \"\" for none."),
    ],
)
def test_parse_quiet_hours_refuses_a_bad_window_and_says_how_to_write_one(text: str, expect: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_quiet_hours(text)
    assert str(err.value) == expect


NIGHT = QuietHours(time(22, 0), time(7, 0))


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (local("2026-11-30 21:59", BERLIN), None),
        (local("2026-11-30 22:00", BERLIN), local("2026-12-01 07:00", BERLIN)),
        (local("2026-11-30 23:59", BERLIN), local("2026-12-01 07:00", BERLIN)),
        (local("2026-12-01 00:30", BERLIN), local("2026-12-01 07:00", BERLIN)),
        (local("2026-12-01 06:59", BERLIN), local("2026-12-01 07:00", BERLIN)),
        (local("2026-12-01 07:00", BERLIN), None),
        (local("2026-12-01 12:00", BERLIN), None),
        # The nights the clocks change: the window ends at 07:00 on the wall clock all the same.
        (local("2026-03-28 23:00", BERLIN), local("2026-03-29 07:00", BERLIN)),  # a night of 8 hours
        (local("2026-10-25 02:30", BERLIN, fold=1), local("2026-10-25 07:00", BERLIN)),  # of 10 hours
    ],
)
def test_quiet_until_is_the_end_of_the_window_on_the_sites_wall_clock(now: datetime, until: datetime | None) -> None:
    assert quiet_until(now.astimezone(UTC), NIGHT, BERLIN) == (until.astimezone(UTC) if until else None)


def test_a_same_day_window_and_no_window() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0))
    assert quiet_until(local("2026-12-01 13:00", BERLIN).astimezone(UTC), lunch, BERLIN) == \
        local("2026-12-01 14:00", BERLIN).astimezone(UTC)
    assert quiet_until(local("2026-12-01 23:00", BERLIN).astimezone(UTC), lunch, BERLIN) is None
    assert quiet_until(utc("2026-12-01 23:00"), None, BERLIN) is None


def test_quiet_hours_hold_a_catch_up_until_they_end_but_not_a_slot_on_time() -> None:
    late = parse_cadence("daily at 21:30")
    slot = local("2026-11-30 21:30", BERLIN).astimezone(UTC)
    before = local("2026-11-29 21:30", BERLIN).astimezone(UTC)
    on_time = local("2026-11-30 22:15", BERLIN).astimezone(UTC)  # 45 minutes late, inside the window
    assert decide(on_time, before, late, BERLIN, quiet=NIGHT) == Decision(slot, slot)
    # The machine was off: back at 23:00, the catch-up waits for 07:00, and goes then.
    back = local("2026-11-30 23:00", BERLIN).astimezone(UTC)
    morning = local("2026-12-01 07:00", BERLIN).astimezone(UTC)
    assert decide(back, before, late, BERLIN, quiet=NIGHT) == Decision(None, None, held_until=morning)
    assert decide(morning, before, late, BERLIN, quiet=NIGHT) == Decision(slot, slot)
    # Without catch_up it is skipped, quiet hours or not.
    assert decide(back, before, late, BERLIN, quiet=NIGHT, catch_up=False) == Decision(None, slot)


def test_send_due_sends_at_its_time_and_holds_a_late_one_in_quiet_hours() -> None:
    at = local("2026-12-02 08:00", BERLIN).astimezone(UTC)
    hour = timedelta(hours=1)
    assert send_due(at - timedelta(seconds=1), at, quiet=NIGHT, tz=BERLIN) == (False, None)
    assert send_due(at, at, quiet=NIGHT, tz=BERLIN) == (True, None)
    assert send_due(at + 5 * hour, at, quiet=NIGHT, tz=BERLIN) == (True, None)  # late, not in quiet hours
    night = local("2026-12-02 23:00", BERLIN).astimezone(UTC)
    morning = local("2026-12-03 07:00", BERLIN).astimezone(UTC)
    assert send_due(night, at, quiet=NIGHT, tz=BERLIN) == (False, morning)
    assert send_due(night, at, quiet=None, tz=BERLIN) == (True, None)
    # Set for a time inside quiet hours, it goes then: only a late one waits.
    at_night = local("2026-12-02 23:30", BERLIN).astimezone(UTC)
    assert send_due(at_night + timedelta(minutes=30), at_night, quiet=NIGHT, tz=BERLIN) == (True, None)
    assert send_due(at_night + 2 * hour, at_night, grace=hour, quiet=NIGHT, tz=BERLIN) == (False, morning)
