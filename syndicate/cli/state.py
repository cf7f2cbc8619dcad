"""``syndicate state …``: the state database itself (moving a SQLite state into PostgreSQL)."""

from __future__ import annotations

import click

from ..errors import CannotStartError
from .common import Context, plural


@click.group()
def state() -> None:
    """The state database: what the builds saw, the issues, subscribers and ledger.

    It is SQLite at [state] path unless [state] url (or SYNDICATE_DATABASE_URL) names a
    PostgreSQL database, which needs pip install 'syndicate[scale]'.
    """


@state.command()
@click.option("--to", "url", metavar="URL",
              help="The PostgreSQL database to copy into, postgresql://user@host/dbname (default: [state] url "
                   "or SYNDICATE_DATABASE_URL). It must be empty, or hold this very state already.")
@click.pass_obj
def migrate(obj: Context, url: str | None) -> None:
    """Copy the SQLite state ([state] path) whole into PostgreSQL, and check the copy.

    Everything is copied in one transaction, ids and the site's secret (so that links
    already sent keep working) too; then each table's rows and checksum are printed, as
    counted again on both sides. A second run finds the same state there and copies
    nothing. A database holding another state is refused. The SQLite file is left as it
    is: set [state] url (or SYNDICATE_DATABASE_URL) to use the copy.

    Exit codes: 0 copied (or nothing to copy); 1 the copy did not check out (nothing is
    kept); 2 no SQLite state, no target, or a target holding another state.
    """
    from ..config import database_url_problem, mask_url
    from ..state import copy_state
    from ..tokens import kept_secret

    config = obj.config
    url = url or config.state_url
    if not url:
        raise click.UsageError("give the PostgreSQL database to copy into: --to postgresql://user@host/dbname.")
    if problem := database_url_problem(url):
        raise click.BadParameter(f"{mask_url(url)!r}, {problem}", param_hint="'--to'")
    if not config.state_path.is_file():
        raise CannotStartError(f"there is no SQLite state at {config.state_path} to copy ([state] path).")
    secret = kept_secret(config)
    report = copy_state(config.state_path, url, secret=secret.decode("ascii") if secret else None)
    width = max(len(t.name) for t in report.tables)
    if not report.copied:
        click.echo(f"{report.target} already holds this state (every table's rows and checksum are the same); "
                   "nothing to copy.")
        return
    click.echo(f"Copied {config.state_path} into {report.target}:")
    for table in report.tables:
        click.echo(f"  {table.name:<{width}}  {plural(table.rows, 'row'):>12}  checksum {table.checksum}")
    click.echo("Checked: every table has the same rows and checksum in both. To use it, set [state] url "
               "(or SYNDICATE_DATABASE_URL).")
