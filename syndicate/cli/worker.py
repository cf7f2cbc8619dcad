"""``syndicate worker``."""

from __future__ import annotations

import sys

import click

from .common import Context


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Batches sent at once: threads of this one process, each with its own SMTP connection(s).")
@click.option("-Q", "--queues", metavar="NAMES",
              help="The broker queues to take batches from, comma-separated. Default: [delivery] queue.")
@click.option("--loglevel", type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
              default="info", show_default=True, help="How much to log (to stderr).")
@click.pass_obj
def worker(obj: Context, concurrency: int, queues: str | None, loglevel: str) -> None:
    """Send the batches that 'syndicate send' queues for the fleet ([delivery] workers = "celery").

    A Celery worker of syndicate's own task, in one process: run one per core, on as many
    machines as share the state database and the broker ([delivery] broker, or
    $SYNDICATE_BROKER_URL). Each batch is claimed in the ledger before anything is sent,
    so a worker may be killed at any moment: another sends on from what it left (at most
    the messages it had in flight are sent twice). It also queues again, every few seconds,
    whatever the ledger says is left: batches of dead workers, deferred messages that are
    due, tasks a restarted broker lost. SIGTERM finishes the batches under way, then exits.
    """
    from ..delivery import run_worker

    names = [q.strip() for q in (queues or obj.config.delivery.queue).split(",") if q.strip()]
    sys.exit(run_worker(obj.config, concurrency=concurrency, queues=names, loglevel=loglevel))
