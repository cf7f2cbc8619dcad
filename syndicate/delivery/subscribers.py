"""The subscriber list as the ``subscribers`` commands keep it: add, import, list, export, leave, forget.

Every function opens the state for one job and closes it; importing reads the file as it
goes, and listing and exporting read the list as they go, so that a file or a list of any
length (a million subscribers) takes little memory.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..config import Config
from ..errors import SyndicateError
from ..state import Store, Subscriber, open_store
from .addresses import CsvRow, clean_name, normalize_address, read_csv, safe_cell

EXPORT_COLUMNS = ("email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at", "source")


def add_subscriber(config: Config, email: str, *, name: str = "", now: datetime) -> tuple[Subscriber, bool]:
    """Add an active subscriber (whoever adds them vouches for their consent).

    Returns the subscriber and whether they were added: an address already on the list,
    in any case and with any status, is left exactly as it is.
    """
    with open_store(config) as store, store.transaction():
        added = store.add_subscriber(email, clean_name(name), source="cli", now=now)
        return (added, True) if added else (store.subscriber(email), False)  # type: ignore[return-value]


@dataclass
class ImportReport:
    """What an import did: how many were added, skipped as known, and refused as invalid."""

    added: int = 0
    skipped: int = 0
    invalid: int = 0


#: Rows written per transaction: big enough that a commit costs nothing per row, small enough
#: that an import holds little in memory and never keeps the database locked for long.
IMPORT_BATCH = 10_000


def import_subscribers(config: Config, path: Path, *, now: datetime,
                       on_invalid: Callable[[CsvRow], None] | None = None) -> ImportReport:
    """Import a CSV file (read as :func:`~syndicate.delivery.read_csv` describes); addresses
    already on the list are skipped, whatever their status, so an import never makes anyone
    active again. Of an address repeated in the file, its first row is the one kept.

    The file is read as it goes and written in transactions of :data:`IMPORT_BATCH` rows, so
    that a file of any length takes little memory. Each refused row is handed to
    ``on_invalid`` as it is met. A file that is not UTF-8 is refused before anything is
    written; an import stopped half-way keeps the batches it wrote, and running it again
    adds the rest (the rows written are then skipped as already on the list).

    :raises SyndicateError: the file is not UTF-8 text.
    """
    rows = read_csv(path)
    try:
        first = next(rows, None)  # the whole file is checked to be UTF-8 before the first row
    except ValueError as err:
        raise SyndicateError(str(err)) from None
    report = ImportReport()
    source = f"import:{path.name}"
    with open_store(config) as store:
        batch: list[tuple[str, str, str]] = []
        for row in itertools.chain([first] if first else [], rows):
            if row.error:
                report.invalid += 1
                if on_invalid is not None:
                    on_invalid(row)
                continue
            batch.append((row.email, row.name, row.status))
            if len(batch) >= IMPORT_BATCH:
                report.added += _write_batch(store, batch, source, now)
                report.skipped += len(batch)
                batch = []
        if batch:
            report.added += _write_batch(store, batch, source, now)
            report.skipped += len(batch)
    report.skipped -= report.added
    return report


def _write_batch(store: Store, batch: list[tuple[str, str, str]], source: str, now: datetime) -> int:
    with store.transaction():
        return store.import_subscribers(batch, source=source, now=now)


def list_subscribers(config: Config, status: str | None = None) -> Iterator[Subscriber]:
    """Every subscriber (with ``status``), by id, read from the state as the caller goes."""
    with open_store(config) as store:
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
    with open_store(config) as store, store.transaction():
        return store.set_status(_as_stored(email), "unsubscribed", now)


def remove_subscriber(config: Config, email: str) -> bool:
    """Forget a subscriber and their delivery records; False if the address is not on the list."""
    with open_store(config) as store, store.transaction():
        return store.remove_subscriber(_as_stored(email))


def _as_stored(value: str) -> str:
    """The address as stored, if it is a valid one; else as typed (it may still be on the list)."""
    try:
        return normalize_address(value)
    except ValueError:
        return value.strip()
