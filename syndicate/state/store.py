"""The one interface to the state: :class:`Store`, each of its jobs in a module of its own."""

from __future__ import annotations

from ..config import Config, mask_url
from .articles import ArticleRecords
from .fleet import FleetRecords
from .issues import IssueRecords
from .leases import LeaseRecords
from .ledger import LedgerRecords
from .sources import SourceRecords
from .subscribers import SubscriberRecords


class Store(ArticleRecords, IssueRecords, SubscriberRecords, LedgerRecords, LeaseRecords, SourceRecords,
            FleetRecords):
    """An open state database: everything the other stages ask of it, and nothing else.

    Open a site's with :func:`open_store`; use as a context manager (``with open_store(config) as
    store:``), or call :meth:`close`. Writes that belong together go in ``with store.transaction():``.
    """


def open_store(config: Config) -> Store:
    """The site's state: in PostgreSQL at ``config.state_url`` when one is set, else SQLite at
    ``config.state_path``; made or migrated to the current schema on opening.

    :raises StoreError: it cannot be opened (the message names it, never a password).
    :raises ConfigError: ``SYNDICATE_DATABASE_URL`` is not a PostgreSQL URL.
    """
    return Store(config.state_url or config.state_path)


def has_state(config: Config) -> bool:
    """Whether the site has a state to read without making one: a SQLite file that exists, or any
    PostgreSQL database (opening it makes the tables)."""
    return bool(config.state_url) or config.state_path.is_file()


def state_name(config: Config) -> str:
    """Where the state is, for messages: the SQLite file, or the PostgreSQL URL, its password masked."""
    return mask_url(config.state_url) if config.state_url else str(config.state_path)
