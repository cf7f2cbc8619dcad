"""A clock for the ``syndicate`` processes a test starts: ``SYNDICATE_TEST_CLOCK`` (syndicate/schedule/clock.py).

``FakeClock(folder, "2026-11-28 12:00")`` writes the file; a process started with ``clock.env``
reads it on every look at the clock, so the test moves the clock of a running process:
``clock.at("2026-11-29 07:00")`` or ``clock.step(hours=-2)`` sets the wall clock (UTC; it stands
still in between), ``clock.skip(60)`` moves the monotonic clock on by a minute (a wait the
scheduler would otherwise sit through). With no wall time, the processes read the real one.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path


class FakeClock:
    def __init__(self, folder: Path, utc: str | None = None) -> None:
        self.path = folder / "clock.json"
        self.now = _utc(utc) if utc else None
        self.skipped = 0.0
        self._write()

    @property
    def env(self) -> dict[str, str]:
        """The environment to start a process with: this one's, and the clock file."""
        return {**os.environ, "SYNDICATE_TEST_CLOCK": str(self.path)}

    def at(self, utc: str) -> FakeClock:
        self.now = _utc(utc)
        self._write()
        return self

    def step(self, **delta: float) -> FakeClock:
        """Step the wall clock by ``timedelta(**delta)`` (back, with a negative one)."""
        assert self.now is not None, "the clock reads the real time"
        self.now += timedelta(**delta)
        self._write()
        return self

    def skip(self, seconds: float) -> FakeClock:
        """Move the monotonic clock on: as if ``seconds`` had passed."""
        self.skipped += seconds
        self._write()
        return self

    def _write(self) -> None:
        data = {"monotonic": self.skipped}
        if self.now is not None:
            data["utc"] = self.now.isoformat()
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temp, self.path)  # a process never reads half a file


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
