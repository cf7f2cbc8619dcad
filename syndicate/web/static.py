"""Serve the built files (feeds, newsletter archive) to readers, from memory, with conditional GET.

Each file is read once per change (keyed by its mtime, size and inode) and kept with
its gzip form, a strong ETag (a hash of the bytes) and its Last-Modified (for a feed,
the feed's own updated time). A reader polling an unchanged feed gets a bodiless 304.
Only what is meant for the public is served: the folders ``feeds/`` and ``newsletters/``,
and, when the build writes the site's pages, the ``.html`` files elsewhere (an article at
``/2026/03/ferry/`` is ``2026/03/ferry/index.html``). Never the outbox, whose messages carry
personal links, nor a hidden file. A path that tries to leave them (``..``, an encoded
slash, a symlink out) is a 404.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

PUBLIC = ("feeds/", "newsletters/")

#: Never served, even with the site's pages: the file transport's messages (personal links).
PRIVATE = ("outbox",)


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; "
                                 b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


_TYPES = {".html": "text/html", ".txt": "text/plain", ".css": "text/css", ".json": "application/json"}


@dataclass(frozen=True)
class CachedFile:
    key: tuple[int, int, int]  # mtime_ns, size, inode
    body: bytes
    gzipped: bytes | None
    etag: str
    etag_gzip: str
    modified: float  # seconds since the epoch
    media_type: str


class FileCache:
    """The public files under ``root``, read once per change."""

    def __init__(self, root: Path, *, pages: bool = False) -> None:
        self.root = os.path.realpath(root)
        self.pages = pages
        self.files: dict[str, CachedFile] = {}

    def get(self, raw_path: bytes, path: str) -> CachedFile | None:
        """The file for a request path, or None (not found, not public, or not allowed)."""
        rel = _safe_relative(raw_path, path)
        if rel is None:
            return None
        if rel.endswith("/") or rel == "":
            rel += "index.html"
        if not rel.startswith(PUBLIC):
            first = rel.split("/", 1)[0]
            if not self.pages or f"{first}/" in PUBLIC:  # '/newsletters' is redirected to '/newsletters/'
                return None
            if not rel.endswith((".html", ".htm")):  # a page's URL without its slash: /notes/ferry
                rel += "/index.html"
        return self._read(rel)

    def _read(self, rel: str) -> CachedFile | None:
        # The resolved path must stay in the public folder it names: a symlink in feeds/
        # to the outbox (or anywhere else) is not followed out of it. And what it resolves to
        # is judged too: never the outbox, nor a hidden file (a build's temporary file).
        public = os.path.realpath(os.path.join(self.root, rel.split("/", 1)[0]))
        full = os.path.realpath(os.path.join(self.root, rel))
        if os.path.commonpath([self.root, public]) != self.root or os.path.commonpath([public, full]) != public:
            return None
        for path in (rel, os.path.relpath(full, self.root)):
            parts = path.split(os.sep if path is not rel else "/")
            if parts[0].lower() in PRIVATE or any(p.startswith(".") for p in parts):
                return None
        try:
            st = os.stat(full)
        except OSError:
            return None
        if not os.path.isfile(full):
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self.files.get(full)
        if cached is None or cached.key != key:
            cached = self.files[full] = _load(full, key, st.st_mtime)
        return cached


def _safe_relative(raw_path: bytes, path: str) -> str | None:
    lowered = raw_path.lower()
    if b"%2f" in lowered or b"%5c" in lowered or b"%00" in lowered or "\\" in path or "\0" in path:
        return None
    parts = path.split("/")
    if any(p in (".", "..") for p in parts):
        return None
    return path.lstrip("/")


def _load(full: str, key: tuple[int, int, int], mtime: float) -> CachedFile:
    with open(full, "rb") as fh:
        body = fh.read()
    digest = hashlib.sha256(body).hexdigest()[:32]
    media = _media_type(full, body)
    packed = gzip.compress(body, 6, mtime=0) if len(body) > 1024 and not media.startswith("image/") else None
    # Last-Modified is the feed's own updated time (the same from any build of the same
    # content). A backdated article changes a feed without moving it: readers that send
    # If-None-Match (all we know send it with If-Modified-Since, which it overrides) see it.
    return CachedFile(key, body, packed if packed and len(packed) < len(body) else None,
                      f'"{digest}"', f'"{digest}-gz"', _updated(body, media) or mtime, media)


def _media_type(full: str, body: bytes) -> str:
    name = os.path.basename(full)
    head = body[:600]
    if name.endswith(".xml"):
        kind = "application/atom+xml" if b"<feed" in head else "application/rss+xml" if b"<rss" in head \
            else "application/xml"
        return f"{kind}; charset=utf-8"
    if name == "feed.json":
        return "application/feed+json; charset=utf-8"
    kind = _TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("json") else kind


_RSS_DATE = re.compile(rb"<lastBuildDate>([^<]+)</lastBuildDate>")


_ATOM_DATE = re.compile(rb"<updated>([^<]+)</updated>")


def _updated(body: bytes, media: str) -> float | None:
    """A feed's own updated time (the newest article's), for Last-Modified."""
    try:
        if media.startswith("application/rss+xml"):
            m = _RSS_DATE.search(body, 0, 4096)
            return parsedate_to_datetime(m.group(1).decode()).timestamp() if m else None
        if media.startswith("application/atom+xml"):
            m = _ATOM_DATE.search(body, 0, 4096)
            return datetime.fromisoformat(m.group(1).decode()).timestamp() if m else None
        if media.startswith("application/feed+json"):
            items = json.loads(body).get("items", [])
            dates = [datetime.fromisoformat(i["date_modified"]).timestamp() for i in items if "date_modified" in i]
            return max(dates) if dates else None
    except (ValueError, TypeError, KeyError):
        return None
    return None


def accepts_gzip(header: bytes) -> bool:
    """Whether Accept-Encoding takes gzip: listed (or '*') without q=0."""
    for item in header.decode("latin-1").lower().split(","):
        name, _, params = item.partition(";")
        if name.strip() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def http_date(seconds: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(seconds), timezone.utc), usegmt=True)


def not_modified(headers: dict[bytes, bytes], file: CachedFile) -> bool:
    """If-None-Match first (a list, weak tags compared weakly), else If-Modified-Since."""
    match = headers.get(b"if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix(b"W/").decode("latin-1") for t in match.split(b",")}
        return "*" in tags or file.etag in tags or file.etag_gzip in tags
    since = headers.get(b"if-modified-since")
    if since is not None:
        try:
            return int(file.modified) <= parsedate_to_datetime(since.decode("latin-1")).timestamp()
        except (TypeError, ValueError):
            return False
    return False


async def serve_file(scope: dict[str, Any], send: Any, file: CachedFile, *, max_age: int) -> None:
    """Send ``file``: 304 if the client has it, gzip if it takes it, headers only for HEAD."""
    headers = dict(scope["headers"])
    use_gzip = file.gzipped is not None and accepts_gzip(headers.get(b"accept-encoding", b""))
    etag = file.etag_gzip if use_gzip else file.etag
    common = [
        (b"etag", etag.encode()),
        (b"last-modified", http_date(file.modified).encode()),
        (b"cache-control", f"public, max-age={max_age}".encode()),
        (b"vary", b"Accept-Encoding"),
        *SECURITY_HEADERS,
    ]
    if not_modified(headers, file):
        await send({"type": "http.response.start", "status": 304, "headers": common})
        await send({"type": "http.response.body", "body": b""})
        return
    body = file.gzipped if use_gzip else file.body
    extra = [(b"content-type", file.media_type.encode()), (b"content-length", str(len(body)).encode())]
    if use_gzip:
        extra.append((b"content-encoding", b"gzip"))
    await send({"type": "http.response.start", "status": 200, "headers": common + extra})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
