"""Other sites' feeds (``[[sources]]``) → entries for the newsletter and, with ``republish``, the feeds:
fetching (the one network step), reading, identity at first sight, autodiscovery, OPML.

Each name is imported from its module when first asked for, so that a build with no
``[[sources]]`` does not pay for the HTTP client and feedparser at start-up. (The fetch itself
is ``sources.fetch.fetch``: the package's ``fetch`` is that module.)
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "FoundFeed": "discover", "discover_feeds": "discover", "entry_articles": "entries", "merge_entries": "entries",
    "FetchSettings": "fetch", "Response": "fetch",
    "AddResult": "manage", "ImportReport": "manage", "SourceRow": "manage", "add_source": "manage",
    "append_sources": "manage", "config_path": "manage", "export_opml": "manage", "import_opml": "manage",
    "list_sources": "manage", "ParsedFeed": "model", "RemoteEntry": "model", "OpmlFeed": "opml",
    "read_opml": "opml", "write_opml": "opml", "parse_feed": "parse", "next_fetch": "polite",
    "parse_duration": "polite", "FetchReport": "refresh", "SourceContent": "refresh", "fetch_sources": "refresh",
    "label": "refresh", "source_content": "refresh",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
