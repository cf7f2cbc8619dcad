"""The state: the one seam to the database. SQL is spoken only in this package."""

from .migrations import MIGRATIONS
from .records import STATUSES, Issue, Lease, Subscriber
from .store import Store

__all__ = ["Issue", "Lease", "MIGRATIONS", "STATUSES", "Store", "Subscriber"]
