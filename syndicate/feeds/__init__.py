"""Articles → the bytes of RSS 2.0, Atom 1.0 and JSON Feed 1.1, and the build that writes them.

Its names are loaded when first used (see ``syndicate._lazy``).
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "BuildReport": "build", "build_site": "build", "check_site": "make", "FORMATS": "formats",
    "MEDIA_TYPES": "formats", "build_feeds": "formats", "FeedSpec": "plan", "plan_feeds": "plan",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
