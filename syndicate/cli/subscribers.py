"""``syndicate subscribers …``: the subscriber list, kept in the state database."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import SyndicateError
from ..state import STATUSES
from .common import Context, plural

if TYPE_CHECKING:
    from ..delivery import CsvRow


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _address(value: str) -> str:
    from ..delivery import normalize_address

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
def add(obj: Context, email: str, name: str) -> None:
    """Add one subscriber (active at once: you vouch for their consent)."""
    from ..delivery import subscribers as mailing_list

    subscriber, added = mailing_list.add_subscriber(obj.config, _address(email), name=name, now=_now())
    if added:
        click.echo(f"Added {subscriber.email}.")
    else:
        click.echo(f"{subscriber.email} is already on the list ({subscriber.status}); nothing changed.")


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_(obj: Context, file: Path) -> None:
    """Import subscribers from a CSV file (columns: email, and optionally name and status).

    A header row is recognised by an 'email' column; without one, the first column
    with an '@' is the address and the next one the name. Each bad row is reported
    with its line number and the rest are imported; addresses already on the list
    are skipped, whatever their status.
    """
    from ..delivery import subscribers as mailing_list

    def refused(row: CsvRow) -> None:  # as it is met: a file of any length is never held in memory
        click.echo(click.style("error: ", fg="red") + f"{file}, line {row.line}: {row.error}", err=True)

    report = mailing_list.import_subscribers(obj.config, file, now=_now(), on_invalid=refused)
    click.echo(f"Imported {plural(report.added, 'subscriber')} from {file}; skipped {report.skipped} "
               f"already on the list (or repeated in the file); {plural(report.invalid, 'invalid row')}.")
    sys.exit(1 if report.invalid else 0)


@subscribers.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.pass_obj
def list_(obj: Context, status: str | None) -> None:
    """List subscribers: email, name, status, when they subscribed."""
    from ..delivery import subscribers as mailing_list

    count = 0
    for sub in mailing_list.list_subscribers(obj.config, status):
        click.echo(f"{sub.email}\t{sub.name}\t{sub.status}\t{sub.created_at}")
        count += 1
    click.echo(f"{plural(count, 'subscriber')}.", err=True)


@subscribers.command()
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.pass_obj
def export(obj: Context, status: str | None) -> None:
    """Write the subscribers as CSV to standard output (import reads it back)."""
    from ..delivery import subscribers as mailing_list

    mailing_list.export_subscribers(obj.config, sys.stdout, status)


@subscribers.command()
@click.argument("email")
@click.pass_obj
def unsubscribe(obj: Context, email: str) -> None:
    """Mark a subscriber unsubscribed: they get nothing more, and an import cannot undo it."""
    from ..delivery import subscribers as mailing_list

    if not mailing_list.unsubscribe(obj.config, email, now=_now()):
        raise SyndicateError(f"{email} is not on the list.")
    click.echo(f"Unsubscribed {email.strip()}.")


@subscribers.command()
@click.argument("email")
@click.pass_obj
def remove(obj: Context, email: str) -> None:
    """Delete a subscriber and their delivery records (to forget them on request).

    To stop mail but remember the address (so an import cannot add it back), use
    'unsubscribe' instead.
    """
    from ..delivery import subscribers as mailing_list

    if not mailing_list.remove_subscriber(obj.config, email):
        raise SyndicateError(f"{email} is not on the list.")
    click.echo(f"Removed {email.strip()}.")
