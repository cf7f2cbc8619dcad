"""The state: the one seam to the database. SQL is spoken only in this package."""

from .migrations import MIGRATIONS
from .records import STATUSES, Issue, Lease, SourceEntry, SourceState, Subscriber
from .store import Store

__all__ = ["Issue", "Lease", "MIGRATIONS", "STATUSES", "SourceEntry", "SourceState", "Store", "Subscriber"]
