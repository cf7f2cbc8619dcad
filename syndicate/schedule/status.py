"""``syndicate status``: the last build, the last issue, what is due next."""

from __future__ import annotations

from datetime import datetime

from ..config import Config
from ..state import Store
from .due import next_slot, parse_cadence


def status_lines(config: Config, *, now: datetime) -> list[str]:
    """What ``syndicate status`` prints: the last build, the last issue, what is due next."""
    tz = config.tz
    lines = []

    def local(value: str | datetime | None) -> str:
        if value is None:
            return "never"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    with Store(config.state_path) as store:
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
        unsent = store.unsent_issues()
        if unsent:
            how = ")."
            if len(unsent) > 1:
                how = (" sends them, oldest first)." if config.newsletter.mode == "per_article"
                       else " ISSUE sends one; without ISSUE, the newest).")
            lines.append(f"Not sent yet: {', '.join(f'#{n}' for n in unsent)} (syndicate send{how}")
        cadence = parse_cadence(config.schedule.newsletter)
        if cadence.timed:
            upcoming = next_slot(now, cadence, tz)
            lines.append(f"Next newsletter: {local(upcoming)} ({cadence}, {config.site.timezone}).")
        else:
            lines.append(f"Next newsletter: {cadence}" + (" (syndicate newsletter, then syndicate send)."
                                                         if cadence.kind == "manual" else "."))
        counts = store.subscriber_counts()
        lines.append("Subscribers: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none") + ".")
        ran = store.get("run.at")
        lines.append(f"Last run: {local(ran)}; feeds every {config.schedule.feeds_every}.")
    return lines
