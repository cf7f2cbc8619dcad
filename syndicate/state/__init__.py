"""The state: the one seam to the database. SQL is spoken only in this package."""

from .copy import copy_state
from .locks import DatabaseLock
from .migrations import MIGRATIONS
from .records import STATUSES, Issue, Lease, SourceEntry, SourceState, Subscriber
from .store import Store, has_state, open_store, state_name

__all__ = ["DatabaseLock", "Issue", "Lease", "MIGRATIONS", "STATUSES", "SourceEntry", "SourceState", "Store",
           "Subscriber", "copy_state", "has_state", "open_store", "state_name"]
