"""Links that go into a feed (an image, an author's page, an article's own URL): made absolute and
percent-encoded into valid URIs (RFC 3986), or refused. Pure."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

# What RFC 3986 lets stand in a path, query and fragment (and "%", kept when it starts an escape).
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BadURL(ValueError):
    """A link that cannot be made a valid http(s) URI; the message says why, in words."""


def web_url(value: str, base: str) -> str:
    """``value`` resolved against ``base`` and percent-encoded: ``images/harbour at dawn.jpg`` →
    ``https://example.com/2025/12/story/images/harbour%20at%20dawn.jpg``.

    :raises BadURL: it is not an http(s) link once resolved (``javascript:``, ``data:``, ``mailto:``),
        or its host is not one.
    """
    value = " ".join(value.split())
    try:
        joined = urljoin(base, value)
        parts = urlsplit(joined)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:  # "http://[::1", an IPv6 address not closed
        raise BadURL("is not a URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadURL(f"is a {parts.scheme or 'relative'}: link, not an http(s) one")
    host = parts.hostname or ""
    if not host or any(c.isspace() or c in "<>\"{}|\\^`" for c in host):
        raise BadURL("has no host name")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise BadURL("has a host name that cannot be written in a URL") from None
    netloc = host if ":" not in host else f"[{host}]"
    if parts.username:
        raise BadURL("has a user name in it")
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme.lower(), netloc, _encode(parts.path or "/", _PATH_SAFE),
                       _encode(parts.query, _QUERY_SAFE), _encode(parts.fragment, _QUERY_SAFE)))


def _encode(text: str, safe: str) -> str:
    return _BAD_ESCAPE.sub("%25", quote(text, safe=safe))
