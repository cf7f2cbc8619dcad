"""OPML, the list of feeds feed readers import and export. Pure: bytes in, feeds out, and back.

Read with the standard library's expat, which never fetches anything, and with any DOCTYPE
refused the moment the parser meets it (OPML needs none, and a DOCTYPE is where an XML bomb
declares its entities): nothing is expanded before it is refused. A file is at most
:data:`MAX_OPML` bytes. Folders (an ``outline`` holding others) become tags, as the
``category`` attribute does; written, each source is one ``outline`` with its tags in
``category``, which feed readers read as folders.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from ..config import SourceConfig

MAX_OPML = 5_000_000

MAX_DEPTH = 50


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of an OPML file: its address, its name, its folders and categories as tags."""

    url: str
    name: str
    tags: tuple[str, ...]
    home: str = ""
    line: int = 0


class OpmlError(ValueError):
    """The file is not OPML that can be read; the message says why (and the line, if there is one)."""


class _Refused(Exception):
    pass


def read_opml(data: bytes) -> tuple[list[OpmlFeed], list[str]]:
    """The feeds of an OPML file, and a line for each outline that names no usable feed.

    :raises OpmlError: too big, a DOCTYPE, not well-formed XML, or no ``<opml>`` root.
    """
    if len(data) > MAX_OPML:
        raise OpmlError(f"is {len(data):,} bytes; an OPML file may be at most {MAX_OPML:,}")
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    feeds: list[OpmlFeed] = []
    skipped: list[str] = []
    folders: list[str | None] = []  # for each open outline: its name if it is a folder, else None
    root: list[str] = []

    def refuse(*args: object) -> None:
        raise _Refused(f"line {parser.CurrentLineNumber}: has a DOCTYPE, which OPML does not use (and which can "
                       "hide an XML bomb); remove it and import again")

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(tag)
            if tag.lower() != "opml":
                raise _Refused(f"is not OPML: its root element is <{tag}>, not <opml>")
            return
        if tag != "outline":
            return
        if len(folders) >= MAX_DEPTH:
            raise _Refused(f"line {parser.CurrentLineNumber}: outlines are nested more than {MAX_DEPTH} deep")
        values = {k.lower(): v.strip() for k, v in attrs.items()}
        url = values.get("xmlurl", "")
        name = " ".join((values.get("title") or values.get("text") or "").split())
        if not url:
            folders.append(name or None)
            return
        folders.append(None)
        line = parser.CurrentLineNumber
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or not url.isprintable() or " " in url:
            skipped.append(f"line {line}: the outline {name or url!r} has xmlUrl {url!r}, not an http(s) address")
            return
        tags = [f for f in folders[:-1] if f]
        for category in values.get("category", "").split(","):
            tags += [part for part in category.strip().split("/") if part.strip()]
        unique = tuple(dict.fromkeys(" ".join(t.split()) for t in tags if t.strip()))
        feeds.append(OpmlFeed(url, name[:200], unique, values.get("htmlurl", ""), line))

    def end(tag: str) -> None:
        if tag == "outline" and folders:
            folders.pop()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Refused as err:
        raise OpmlError(str(err)) from None
    except xml.parsers.expat.ExpatError as err:
        raise OpmlError(f"line {err.lineno}: is not well-formed XML ({xml.parsers.expat.ErrorString(err.code)})"
                        ) from None
    return feeds, skipped


def write_opml(sources: Iterable[SourceConfig], *, title: str, homes: dict[str, str] | None = None) -> bytes:
    """An OPML 2.0 file of ``sources`` (in their order), each with its home page when ``homes``
    (by URL) knows it. The same sources give the same bytes: no date is written."""
    homes = homes or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
             f"    <title>{_text(title)}</title>", "  </head>", "  <body>"]
    for source in sources:
        attrs = [("type", "rss"), ("text", source.name), ("title", source.name), ("xmlUrl", source.url)]
        if homes.get(source.url):
            attrs.append(("htmlUrl", homes[source.url]))
        if source.tags:
            attrs.append(("category", ",".join(t.replace(",", " ") for t in source.tags)))
        lines.append("    <outline " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs) + "/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
