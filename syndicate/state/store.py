"""The one interface to the state: :class:`Store`, each of its jobs in a module of its own."""

from __future__ import annotations

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

    Use as a context manager (``with Store(config.state_path) as store:``), or call
    :meth:`close`. Writes that belong together go in ``with store.transaction():``.
    """
