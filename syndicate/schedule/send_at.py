"""Sending at a time: ``syndicate send --at``, ``--list`` and ``--cancel``.

The time is stored with the issue in the state database (UTC), so it survives restarts;
``run`` and ``schedule`` send the issue at their first pass from then on (a machine that was
off sends it at its first pass after, held by quiet hours when that is late), through the
same send as ``syndicate send``: one sender per issue, resumable from the ledger.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

from ..config import Config
from ..delivery.send import pick_issue
from ..errors import CannotStartError
from ..state import Issue, Store, open_store
from .due import parse_interval, parse_quiet_hours, send_due
from .run import local_time

#: A time this little in the past is "now": the seconds it took to type the command.
PAST_TOLERANCE = timedelta(minutes=1)

_WHEN = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?(\s*(Z|[+-]\d{2}:?\d{2}))?", re.IGNORECASE)


def parse_send_time(text: str, tz: tzinfo, zone_name: str) -> datetime:
    """'2026-12-02 08:00' (the site's zone) or with an offset ('…+01:00', '…Z') → that instant, UTC.

    :raises ValueError: it is not such a date and time (the message says how to write one).
    """
    spoken = text.strip()
    moment = None
    if _WHEN.fullmatch(spoken):
        try:
            iso = re.sub(r"\s*([zZ]|[+-]\d{2}:?\d{2})$", r"\1", spoken).upper().replace("Z", "+00:00")
            moment = datetime.fromisoformat(re.sub(r"([ T])(\d):", r"\g<1>0\2:", iso))
        except ValueError:
            moment = None
    if moment is None:
        raise ValueError(f"{text!r} is not a date and time. Write it like \"2026-12-02 08:00\" (in the site's time "
                         f"zone, {zone_name}) or with an offset, \"2026-12-02 08:00+01:00\".")
    if moment.tzinfo is None:  # a wall-clock time: one that does not exist (spring forward) reads an hour later
        moment = moment.replace(tzinfo=tz, fold=0)
    try:
        return moment.astimezone(timezone.utc).replace(microsecond=0)
    except OverflowError:  # at the very edge of the calendar (0001-01-01, 9999-12-31 with an offset)
        raise ValueError(f"{text!r} is not a date and time a newsletter can go at. Write one like \"2026-12-02 "
                         f"08:00\".") from None


def set_send_time(config: Config, number: int | None, at: datetime, *, now: datetime) -> tuple[Issue, datetime | None]:
    """Set issue ``number`` (the newest by default) to be sent at ``at``; (the issue, the time it
    was set for before, if any).

    :raises CannotStartError: no such issue, its send has begun, or ``at`` is in the past.
    """
    with open_store(config) as store:
        issue = pick_issue(store, number)
        _check_not_begun(store, issue)
        if at < now - PAST_TOLERANCE:
            raise CannotStartError(f"{local_time(config, at)} is in the past. To send issue #{issue.number} now: "
                                   f"syndicate send {issue.number}")
        before = store.send_at(issue.number)
        with store.transaction():
            store.set_send_at(issue.number, at)
    return issue, before


def cancel_send_time(config: Config, number: int) -> tuple[Issue, datetime]:
    """Take issue ``number`` off the schedule; it then waits for ``syndicate send``. (The issue, its time.)

    :raises CannotStartError: no such issue, it is not set for a time, or its send has begun.
    """
    with open_store(config) as store:
        issue = pick_issue(store, number)
        at = store.send_at(issue.number)
        if at is None:
            raise CannotStartError(f"issue #{issue.number} is not set to go at a time (syndicate send --list shows "
                                   "those that are).")
        _check_not_begun(store, issue)
        with store.transaction():
            store.set_send_at(issue.number, None)
    return issue, at


def send_time_lines(config: Config, *, now: datetime) -> list[str]:
    """What ``syndicate send --list`` prints: each issue set for a time whose send is not finished."""
    grace = parse_interval(config.schedule.catch_up_within)
    quiet = parse_quiet_hours(config.schedule.quiet_hours)
    with open_store(config) as store:
        lines = []
        for number, subject, at, begun in store.scheduled_sends():
            if begun:
                counts = store.delivery_counts(number)
                left = counts.get("queued", 0) + counts.get("deferred", 0)
                state = f"its send began: {counts.get('sent', 0)} sent, {left} still to go"
            elif at <= now:
                go, held = send_due(now, at, grace=grace, quiet=quiet, tz=config.tz)
                state = ("due: the next syndicate run or schedule sends it" if go else
                         f"late, and held by quiet hours ({quiet}): it goes at {local_time(config, held)}")
            else:
                state = "waiting"
            lines.append(f"#{number} “{subject}” at {local_time(config, at)} ({state}).")
    return lines or ["No issue is set to go at a time. Set one with: syndicate send ISSUE --at \"YYYY-MM-DD HH:MM\""]


def _check_not_begun(store: Store, issue: Issue) -> None:
    if store.send_started(issue.number):
        counts = store.delivery_counts(issue.number)
        if counts.get("queued", 0) + counts.get("deferred", 0):
            raise CannotStartError(f"the send of issue #{issue.number} has begun; 'syndicate send {issue.number}' "
                                   "goes on with it.")
        raise CannotStartError(f"issue #{issue.number} was sent already ({counts.get('sent', 0)} sent).")
