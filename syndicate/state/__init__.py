"""The state: the one seam to the database. SQL is spoken only in this package."""

from .migrations import MIGRATIONS
from .records import Issue, Subscriber
from .store import Store

__all__ = ["MIGRATIONS", "Issue", "Store", "Subscriber"]
