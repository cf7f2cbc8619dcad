"""Other sites' feeds (``[[sources]]``) → entries for the newsletter and, with ``republish``, the feeds:
fetching (the one network step), reading, identity at first sight, autodiscovery, OPML."""

from .discover import FoundFeed, discover_feeds
from .entries import entry_articles, merge_entries
from .fetch import FetchSettings, Response, fetch
from .manage import (
    AddResult,
    ImportReport,
    SourceRow,
    add_source,
    append_sources,
    config_path,
    export_opml,
    import_opml,
    list_sources,
)
from .model import ParsedFeed, RemoteEntry
from .opml import OpmlFeed, read_opml, write_opml
from .parse import parse_feed
from .polite import next_fetch, parse_duration
from .refresh import FetchReport, SourceContent, fetch_sources, label, source_content

__all__ = [
    "AddResult", "FetchReport", "FetchSettings", "FoundFeed", "ImportReport", "OpmlFeed", "ParsedFeed", "RemoteEntry",
    "Response", "SourceContent", "SourceRow", "add_source", "append_sources", "config_path", "discover_feeds",
    "entry_articles", "export_opml", "fetch", "fetch_sources", "import_opml", "label", "list_sources",
    "merge_entries", "next_fetch", "parse_duration", "parse_feed", "read_opml", "source_content", "write_opml",
]
