"""The subscriber list as the ``subscribers`` commands keep it: add, import, list, export, leave, forget.

Every function opens the state for one job and closes it; listing and exporting read the
list as they go, so a list of any length takes little memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..config import Config
from ..errors import SyndicateError
from ..state import Store, Subscriber
from .addresses import CsvRow, clean_name, normalize_address, read_csv, safe_cell

EXPORT_COLUMNS = ("email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at", "source")


def add_subscriber(config: Config, email: str, *, name: str = "", now: datetime) -> tuple[Subscriber, bool]:
    """Add an active subscriber (whoever adds them vouches for their consent).

    Returns the subscriber and whether they were added: an address already on the list,
    in any case and with any status, is left exactly as it is.
    """
    with Store(config.state_path) as store, store.transaction():
        added = store.add_subscriber(email, clean_name(name), source="cli", now=now)
        return (added, True) if added else (store.subscriber(email), False)  # type: ignore[return-value]


@dataclass
class ImportReport:
    """What an import did: how many were added, skipped as known, and the rows refused."""

    added: int = 0
    skipped: int = 0
    invalid: list[CsvRow] = field(default_factory=list)


def import_subscribers(config: Config, path: Path, *, now: datetime) -> ImportReport:
    """Import a CSV file (see :func:`read_csv`); addresses already on the list are skipped,
    whatever their status, so an import never makes anyone active again."""
    try:
        rows = list(read_csv(path))
    except ValueError as err:
        raise SyndicateError(str(err)) from None
    report = ImportReport(invalid=[r for r in rows if r.error])
    seen: dict[str, tuple[str, str, str]] = {}
    for row in rows:
        if not row.error:
            seen.setdefault(row.email.lower(), (row.email, row.name, row.status))
    with Store(config.state_path) as store, store.transaction():
        report.added = store.import_subscribers(seen.values(), source=f"import:{path.name}", now=now)
    report.skipped = len(rows) - len(report.invalid) - report.added
    return report


def list_subscribers(config: Config, status: str | None = None) -> Iterator[Subscriber]:
    """Every subscriber (with ``status``), by id, read from the state as the caller goes."""
    with Store(config.state_path) as store:
        yield from store.subscribers(status)


def export_subscribers(config: Config, out: TextIO, status: str | None = None) -> int:
    """Write the list to ``out`` as CSV with a header row, which :func:`import_subscribers` reads
    back; returns how many rows were written. A cell a spreadsheet would run as a formula
    (``=HYPERLINK(…)`` typed into the sign-up form) gets a ``'`` before it; the import takes
    it off again."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for s in list_subscribers(config, status):
        writer.writerow([safe_cell(cell) for cell in (s.email, s.name, s.status, s.created_at, s.confirmed_at or "",
                                                      s.unsubscribed_at or "", s.source)])
        count += 1
    return count


def unsubscribe(config: Config, email: str, *, now: datetime) -> bool:
    """Mark a subscriber unsubscribed; False if the address is not on the list."""
    with Store(config.state_path) as store, store.transaction():
        return store.set_status(_as_stored(email), "unsubscribed", now)


def remove_subscriber(config: Config, email: str) -> bool:
    """Forget a subscriber and their delivery records; False if the address is not on the list."""
    with Store(config.state_path) as store, store.transaction():
        return store.remove_subscriber(_as_stored(email))


def _as_stored(value: str) -> str:
    """The address as stored, if it is a valid one; else as typed (it may still be on the list)."""
    try:
        return normalize_address(value)
    except ValueError:
        return value.strip()
