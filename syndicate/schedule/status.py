"""``syndicate status``: the last build, the last issue, what is due next."""

from __future__ import annotations

from datetime import datetime

from ..config import Config
from ..state import Store, open_store
from .due import clock_ahead, decide, latest_slot, parse_cadence, parse_interval, parse_quiet_hours, upcoming_slot
from .run import clock_warning, local_time


def status_lines(config: Config, *, now: datetime) -> list[str]:
    """What ``syndicate status`` prints: the last build, the last issue, what is due next."""
    tz = config.tz
    lines = []

    def local(value: str | datetime | None) -> str:
        if value is None:
            return "never"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    with open_store(config) as store:
        build = store.get("build")
        if build:
            r = build["report"]
            due = f"; next scheduled article {local(r['next_due'])}" if r.get("next_due") else ""
            lines.append(f"Feeds: last built {local(build.get('at'))}: {r['published']} articles published, "
                         f"{r['feeds']} feed files, {len(r['problems'])} problems{due}.")
        else:
            lines.append("Feeds: never built. Run: syndicate build")
        issues = store.issues()
        if issues:
            last = issues[-1]
            counts = store.delivery_counts(last.number)
            sent = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("sent", "queued", "deferred", "failed", "skipped"))
            lines.append(f"Newsletter: last issue #{last.number} “{last.subject}” on {local(last.date)}: "
                         f"{sent if counts else 'not sent yet'}.")
        else:
            lines.append("Newsletter: no issue yet.")
        if config.delivery.workers == "celery" or store.fleet_issues():
            lines += fleet_lines(config, store, now)
        unsent = store.unsent_issues()
        if unsent:
            how = ")."
            if len(unsent) > 1:
                how = (" sends them, oldest first)." if config.per_article
                       else " ISSUE sends one; without ISSUE, the newest).")
            lines.append(f"Not sent yet: {', '.join(f'#{n}' for n in unsent)} (syndicate send{how}")
        lines.append(f"Next newsletter: {next_newsletter(config, now, store)}.")
        last = store.get("schedule.last_slot")
        cadence = parse_cadence(config.schedule.newsletter)
        stored = datetime.fromisoformat(last) if last else None
        if cadence.timed and stored is not None and clock_ahead(now, stored):
            reset = decide(now, stored, cadence, tz).reset
            lines.append("Clock: " + clock_warning(config, now, stored, reset=reset))
        scheduled = store.scheduled_sends()
        if scheduled:
            lines.append("Scheduled: " + ", ".join(f"#{n} at {local(at)}" + (" (sending)" if begun else "")
                                                   for n, _, at, begun in scheduled) + ".")
        counts = store.subscriber_counts()
        lines.append("Subscribers: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none") + ".")
        ran = store.get("run.at")
        lines.append(f"Last run: {local(ran)}; feeds every {config.schedule.feeds_every}.")
    return lines


def next_newsletter(config: Config, now: datetime, store: Store) -> str:
    """When the next newsletter goes, as ``status`` and the scheduler's log say it: the slot the next
    pass will serve (the stored one counted as a pass counts it), or the cadence, with quiet hours."""
    cadence = parse_cadence(config.schedule.newsletter)
    quiet = parse_quiet_hours(config.schedule.quiet_hours)
    held = f"; quiet hours {quiet} hold a catch-up until they end" if quiet else ""
    if cadence.timed:
        last = store.get("schedule.last_slot")
        stored = datetime.fromisoformat(last) if last else None
        decision = decide(now, stored, cadence, config.tz, catch_up=config.schedule.catch_up,
                          grace=parse_interval(config.schedule.catch_up_within), quiet=quiet)
        upcoming = upcoming_slot(now, stored, cadence, config.tz)
        when = local_time(config, upcoming) if upcoming else "none"
        if decision.serve is not None:  # missed (the machine was off), or just come: the next pass's
            when = f"due now, the slot of {local_time(config, decision.serve)}, if articles are new since the last"
        elif decision.held_until is not None:
            when = (f"the catch-up for {local_time(config, latest_slot(now, cadence, config.tz) or now)}, held by "
                    f"quiet hours until {local_time(config, decision.held_until)}")
        return f"{when} ({cadence}, {config.site.timezone}{held})"
    if cadence.kind == "on publish":
        return "on publish (one issue per new article" + (f"; none in quiet hours, {quiet}" if quiet else "") + ")"
    return "manual (syndicate newsletter, then syndicate send)"


def fleet_lines(config: Config, store: Store, now: datetime) -> list[str]:
    """The worker fleet: each issue it is sending (or the last it sent), and the live workers."""
    from ..delivery import live_within

    progress = {n: store.fleet_progress(n, now) for n in store.fleet_issues()}
    busy = [n for n, c in progress.items() if c["queued"] + c["sending"] + c["deferred"]]
    lines = []
    for number in busy or list(progress)[-1:]:
        counts = progress[number]
        state = "sending" if number in busy else "done"
        lines.append(f"Fleet: issue #{number} {state}: " + ", ".join(
            f"{counts[k]} {k}" for k in ("queued", "sending", "sent", "deferred", "failed", "skipped")) + ".")
    workers = store.workers(seen_since=now - live_within(config))
    if not workers:
        lines.append("Workers: none live. Start one with: syndicate worker")
    else:
        lines.append(f"Workers: {len(workers)} live: " + "; ".join(
            f"{w.name} ({w.concurrency} threads, queues {w.queues}, up since {w.started_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"seen {max(0.0, (now - w.seen_at).total_seconds()):.0f} s ago)" for w in workers) + ".")
    return lines
