"""The list of sources, kept in ``syndicate.toml``: listing, adding (with autodiscovery), OPML in and out.

The list lives in the config file, as ``[[sources]]`` tables, so that it is read, versioned and
edited like every other setting. ``add`` and ``import`` append tables at the end of the file and
leave every byte before them as it was (comments, order, spacing); the new text is checked by
loading it before the file is replaced (atomically), so a failed add changes nothing.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..config import CONFIG_NAME, Config, SourceConfig, config_from_dict, source_key, toml_value
from ..errors import ConfigError, FetchError
from ..state import SourceState, has_state, open_store
from .discover import discover_feeds
from .fetch import fetch
from .opml import OpmlFeed, read_opml, write_opml
from .parse import looks_like_html, parse_feed
from .refresh import fetch_settings, state_of


@dataclass(frozen=True)
class SourceRow:
    """A configured source and what the state knows of it (None: never fetched)."""

    source: SourceConfig
    state: SourceState | None


@dataclass(frozen=True)
class AddResult:
    source: SourceConfig
    added: bool  # False: it was a source already (nothing written)
    found_on: str = ""  # the page whose <link rel="alternate"> named the feed, if it was found so
    entries: int = 0  # entries the feed has now


@dataclass
class ImportReport:
    added: list[SourceConfig] = field(default_factory=list)
    skipped: int = 0  # already sources (or repeated in the file)
    invalid: list[str] = field(default_factory=list)


def config_path(config: Config) -> Path:
    """The file ``add`` and ``import`` write to: the one read, else ``syndicate.toml`` in its folder."""
    return config.source or config.root / CONFIG_NAME


def list_sources(config: Config) -> list[SourceRow]:
    """Every configured source with its state, in the config's order (reads the state, if there is one)."""
    states: dict[str, SourceState] = {}
    if has_state(config):
        with open_store(config) as store:
            states = store.source_states()
    return [SourceRow(s, state_of(s, states)) for s in config.sources]


def add_source(config: Config, url: str, *, name: str = "", tags: tuple[str, ...] = (), republish: bool = False,
               full_content: bool = False, check: bool = True) -> AddResult:
    """Add the feed at ``url`` to the config file; a site's page is fine too: its feed is found by
    autodiscovery. With ``check`` (the default) the feed is fetched and read first, and named by
    its own title unless ``name`` is given.

    :raises FetchError: the address gives no feed that can be read (nothing is written).
    :raises ConfigError: the config file cannot take the new table (nothing is written).
    """
    found_on, entries, title = "", 0, ""
    if check:
        url, found_on, title, entries = _find_feed(config, url)
    existing = {source_key(s.url): s for s in config.sources}
    if source_key(url) in existing:
        return AddResult(existing[source_key(url)], added=False, found_on=found_on, entries=entries)
    name = _unique_name(" ".join((name or title or urlsplit(url).hostname or url).split()), config.sources)
    source = SourceConfig(url=url, name=name, tags=tuple(tags), full_content=full_content, republish=republish)
    append_sources(config, [source])
    return AddResult(source, added=True, found_on=found_on, entries=entries)


def _find_feed(config: Config, url: str) -> tuple[str, str, str, int]:
    """(feed URL, page it was found on or '', the feed's title, its entry count)."""
    settings = fetch_settings(config)
    response = fetch(url, settings=settings)
    if response.status != 200:
        raise FetchError(f"answered {response.status} {response.reason}".rstrip())
    content_type = response.headers.get("content-type", "")
    if not looks_like_html(response.body, content_type):
        feed = parse_feed(response.body, url=response.url, content_type=content_type)
        return response.moved_to or url, "", feed.title, len(feed.entries)
    candidates = discover_feeds(response.body, page_url=response.url)
    if not candidates:
        raise FetchError("is a web page that announces no feed (no <link rel=\"alternate\" "
                         "type=\"application/rss+xml\"> or Atom or JSON Feed one); give the feed's own address")
    reasons = []
    for candidate in candidates[:5]:
        try:
            found = fetch(candidate.url, settings=settings)
            if found.status != 200:
                raise FetchError(f"answered {found.status} {found.reason}".rstrip())
            feed = parse_feed(found.body, url=found.url, content_type=found.headers.get("content-type", ""))
        except FetchError as err:
            reasons.append(f"{candidate.url} {err.message}")
            continue
        return found.moved_to or candidate.url, response.url, feed.title, len(feed.entries)
    raise FetchError(f"announces {len(candidates)} feed(s), and none could be read: {reasons[0]}")


def _unique_name(name: str, sources: tuple[SourceConfig, ...] | list[SourceConfig]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… if a source has it already (in any case)."""
    taken = {s.name.casefold() for s in sources}
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def import_opml(config: Config, path: Path) -> ImportReport:
    """Add every feed of an OPML file that is not a source yet (folders and categories as tags).

    :raises ConfigError: the file cannot be read, or is not OPML (nothing is written).
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror}).") from err
    try:
        feeds, invalid = read_opml(data)
    except ValueError as err:
        raise ConfigError(f"{path}: {err}.") from err
    report = ImportReport(invalid=[f"{path}, {line}" for line in invalid])
    known = {source_key(s.url) for s in config.sources}
    names: list[SourceConfig] = list(config.sources)
    for feed in feeds:
        if source_key(feed.url) in known:
            report.skipped += 1
            continue
        known.add(source_key(feed.url))
        source = _from_opml(feed, names)
        names.append(source)
        report.added.append(source)
    if report.added:
        append_sources(config, report.added)
    return report


def _from_opml(feed: OpmlFeed, sources: list[SourceConfig]) -> SourceConfig:
    name = "".join(c for c in feed.name if c.isprintable()) or urlsplit(feed.url).hostname or feed.url
    return SourceConfig(url=feed.url, name=_unique_name(name, sources), tags=feed.tags)


def export_opml(config: Config) -> bytes:
    """The sources as an OPML 2.0 file, with each one's home page when a fetch has read it."""
    homes = {row.source.url: row.state.home for row in list_sources(config) if row.state and row.state.home}
    return write_opml(config.sources, title=f"{config.site.title}: sources", homes=homes)


def source_table(source: SourceConfig) -> str:
    """A ``[[sources]]`` table for ``source``, with only the keys that are not defaults."""
    lines = ["[[sources]]", f"url = {toml_value(source.url)}", f"name = {toml_value(source.name)}"]
    if source.tags:
        lines.append("tags = [" + ", ".join(toml_value(t) for t in source.tags) + "]")
    for key in ("full_content", "republish"):
        if getattr(source, key):
            lines.append(f"{key} = true")
    for key in ("max_age", "every"):
        if getattr(source, key):
            lines.append(f"{key} = {toml_value(getattr(source, key))}")
    return "\n".join(lines) + "\n"


def append_sources(config: Config, sources: list[SourceConfig]) -> Path:
    """Append a ``[[sources]]`` table for each of ``sources`` to the config file (made if there is
    none), every byte before them kept. The new file is loaded first: if it would not load, the
    error is raised and nothing is written."""
    path = config_path(config)
    try:
        old = path.read_bytes() if path.exists() else b""
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror}).") from err
    sep = b"" if not old else b"\n" if old.endswith(b"\n") else b"\n\n"
    new = old + sep + "\n".join(source_table(s) for s in sources).encode("utf-8")
    try:
        config_from_dict(tomllib.loads(new.decode("utf-8")), source=path, text=new.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: the sources cannot be added to it ({err}); add them by hand.") from err
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(new)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
