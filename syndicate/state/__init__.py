"""The state: the one seam to the database. SQL is spoken only in this package.

Its names are loaded when first used (see ``syndicate._lazy``).
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "copy_state": "copy", "DatabaseLock": "locks", "MIGRATIONS": "migrations", "STATUSES": "records",
    "Issue": "records", "Lease": "records", "SourceEntry": "records", "SourceState": "records",
    "Subscriber": "records", "Store": "store", "has_state": "store", "open_store": "store",
    "state_name": "store",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
