"""``syndicate subscribers …``: the subscriber list, kept in the state database."""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from ..delivery.addresses import STATUSES, clean_name, normalize_address, read_csv
from ..errors import SyndicateError
from ..state import Store
from .common import plural


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _known_address(value: str) -> str:
    """The address as stored, if it is a valid one; else as typed (it may still be on the list)."""
    try:
        return normalize_address(value)
    except ValueError:
        return value.strip()


def _address(value: str) -> str:
    try:
        return normalize_address(value)
    except ValueError as err:
        raise click.BadParameter(f"{value!r} is not an email address: {err}", param_hint="'EMAIL'") from None


@click.group()
def subscribers() -> None:
    """Add, import, list, export and remove subscribers.

    Subscribers live in the state database ([state] path). Addresses are checked
    (no DNS look-up) and unique whatever their case. An address that unsubscribed
    or bounced is never made active again by an import.
    """


@subscribers.command()
@click.argument("email")
@click.option("--name", default="", help="The subscriber's name, for the greeting and the To: header.")
@click.pass_obj
def add(obj: Any, email: str, name: str) -> None:
    """Add one subscriber (active at once: you vouch for their consent)."""
    address = _address(email)
    with Store(obj.config.state_path) as store, store.transaction():
        added = store.add_subscriber(address, clean_name(name), source="cli", now=_now())
        existing = None if added else store.subscriber(address)
    if added:
        click.echo(f"Added {address}.")
    else:
        click.echo(f"{existing.email} is already on the list ({existing.status}); nothing changed.")


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_(obj: Any, file: Path) -> None:
    """Import subscribers from a CSV file (columns: email, and optionally name and status).

    A header row is recognised by an 'email' column; without one, the first column
    with an '@' is the address and the next one the name. Each bad row is reported
    with its line number and the rest are imported; addresses already on the list
    are skipped, whatever their status.
    """
    try:
        rows = list(read_csv(file))
    except ValueError as err:
        raise SyndicateError(str(err)) from None
    good = [r for r in rows if not r.error]
    seen: dict[str, tuple[str, str, str]] = {}
    for row in good:
        seen.setdefault(row.email.lower(), (row.email, row.name, row.status))
    with Store(obj.config.state_path) as store, store.transaction():
        added = store.import_subscribers(seen.values(), source=f"import:{file.name}", now=_now())
    for row in rows:
        if row.error:
            click.echo(click.style("error: ", fg="red") + f"{file}, line {row.line}: {row.error}", err=True)
    invalid = len(rows) - len(good)
    skipped = len(good) - added
    click.echo(f"Imported {plural(added, 'subscriber')} from {file}; skipped {skipped} "
               f"already on the list (or repeated in the file); {plural(invalid, 'invalid row')}.")
    sys.exit(1 if invalid else 0)


@subscribers.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.pass_obj
def list_(obj: Any, status: str | None) -> None:
    """List subscribers: email, name, status, when they subscribed."""
    with Store(obj.config.state_path) as store:
        count = 0
        for sub in store.subscribers(status):
            click.echo(f"{sub.email}\t{sub.name}\t{sub.status}\t{sub.created_at}")
            count += 1
    click.echo(f"{plural(count, 'subscriber')}.", err=True)


@subscribers.command()
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.pass_obj
def export(obj: Any, status: str | None) -> None:
    """Write the subscribers as CSV to standard output (import reads it back)."""
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at", "source"])
    with Store(obj.config.state_path) as store:
        for s in store.subscribers(status):
            out.writerow([s.email, s.name, s.status, s.created_at, s.confirmed_at or "",
                          s.unsubscribed_at or "", s.source])


@subscribers.command()
@click.argument("email")
@click.pass_obj
def unsubscribe(obj: Any, email: str) -> None:
    """Mark a subscriber unsubscribed: they get nothing more, and an import cannot undo it."""
    with Store(obj.config.state_path) as store, store.transaction():
        changed = store.set_status(_known_address(email), "unsubscribed", _now())
    if not changed:
        raise SyndicateError(f"{email} is not on the list.")
    click.echo(f"Unsubscribed {email.strip()}.")


@subscribers.command()
@click.argument("email")
@click.pass_obj
def remove(obj: Any, email: str) -> None:
    """Delete a subscriber and their delivery records (to forget them on request).

    To stop mail but remember the address (so an import cannot add it back), use
    'unsubscribe' instead.
    """
    with Store(obj.config.state_path) as store, store.transaction():
        removed = store.remove_subscriber(_known_address(email))
    if not removed:
        raise SyndicateError(f"{email} is not on the list.")
    click.echo(f"Removed {email.strip()}.")
