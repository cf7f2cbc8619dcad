"""The one network step of ``[[sources]]``: a conditional GET of a feed, bounded in time and size.

Written on the standard library's ``http.client``, because a feed fetcher must bound the *whole*
fetch: every read and write of the socket is given only the time left before the deadline
(``[fetch] timeout``), so a server that trickles its headers or its body a byte at a time is cut
off when the time is up, not after each byte's own timeout (which a client with per-read
timeouts would wait for, for hours). The body is read as it comes and decompressed with a limit,
so that a huge body or a gzip bomb is cut off at ``[fetch] max_bytes`` without being held.
Redirects are followed by hand, at most ``[fetch] max_redirects``, a loop named as one.
Proxies are taken from the environment (``https_proxy``, ``http_proxy``, ``no_proxy``), never
for a loopback address.
"""

from __future__ import annotations

import base64
import http.client
import io
import socket
import ssl
import time
import urllib.request
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from .. import __version__
from ..errors import FetchError

#: What a feed reader asks for: the feed types first, any XML or JSON next, anything at all last.
FEED_ACCEPT = ("application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")

REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchSettings:
    """The bounds of one fetch (``[fetch]``): seconds for all of it, bytes of body, redirects."""

    timeout: float = 20
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = f"syndicate/{__version__}"


@dataclass(frozen=True)
class Response:
    """What a fetch got: the status, its headers (names in lower case), the body (only for a
    200), the URL it came from after redirects, and where permanent redirects (301, 308, and
    no temporary one) moved the feed to ('' if they did not)."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    url: str
    moved_to: str = ""


def fetch(url: str, *, settings: FetchSettings, etag: str = "", last_modified: str = "",
          accept: str = FEED_ACCEPT) -> Response:
    """GET ``url``, conditionally (``If-None-Match: etag``, ``If-Modified-Since: last_modified``).

    Any status is returned (a 304 or a 500 alike) but a redirect, which is followed.

    :raises FetchError: the reason, in a few words: cannot connect, too slow, too big, a
        redirect loop, an answer that is not HTTP.
    """
    deadline = _Deadline(settings.timeout)
    headers = {"User-Agent": settings.user_agent, "Accept": accept, "Accept-Encoding": "gzip"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    visited = [url]
    permanent = True
    current = url
    for _ in range(settings.max_redirects + 1):
        connection, response = _request(current, headers, deadline)
        try:
            status = response.status
            if status not in REDIRECTS:
                body = _read_body(response, settings.max_bytes, deadline) if status == 200 else b""
                found = {k.lower(): v for k, v in response.getheaders()}
                moved = current if permanent and current != url else ""
                return Response(status, response.reason, found, body, current, moved)
            location = (response.getheader("location") or "").strip()
        finally:
            response.close()
            connection.close()
        if not location:
            raise FetchError(f"answered {status} {response.reason} (a redirect) but said to where")
        target = urljoin(current, location)
        if urlsplit(target).scheme not in ("http", "https"):
            raise FetchError(f"redirects to {target!r}, which is not an http(s) address")
        if target in visited:
            loop = visited[visited.index(target):] + [target]
            raise FetchError("redirects in a loop: " + " → ".join(loop))
        permanent = permanent and status in (301, 308)
        visited.append(target)
        current = target
    raise FetchError(f"redirects more than {settings.max_redirects} times ({visited[0]} → … → {visited[-1]}); "
                     "[fetch] max_redirects sets how many are followed")


class _Deadline:
    """The moment a fetch must be over; ``left()`` is the time to it, or raises TimeoutError."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch's time is up")
        return left


class _DeadlineReader(io.RawIOBase):
    """The socket as ``http.client`` reads it: each read given only the time left."""

    def __init__(self, owner: _DeadlineSocket) -> None:
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        sock = self._owner.sock
        sock.settimeout(self._owner.deadline.left())
        return sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._owner.release()


class _DeadlineSocket:
    """A connected socket whose every send and read is bounded by the fetch's deadline. As a
    socket's own ``makefile`` does, it stays open while a reader made from it is (``http.client``
    closes the connection of a response that ends with it before reading the body)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self.sock = sock
        self.deadline = deadline
        self._readers = 0
        self._closing = False

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.left())
        self.sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def release(self) -> None:
        self._readers -= 1
        if self._closing and self._readers <= 0:
            self.sock.close()

    def close(self) -> None:
        self._closing = True
        if self._readers <= 0:
            self.sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _Bounded:
    """Mixed into the connections: connect within the time left, then bound every later step."""

    deadline: _Deadline
    sock: Any
    timeout: float | None

    def connect(self) -> None:
        self.timeout = self.deadline.left()
        super().connect()  # type: ignore[misc]
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _HTTPConnection(_Bounded, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Bounded, http.client.HTTPSConnection):
    pass


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _request(url: str, headers: dict[str, str], deadline: _Deadline,
             ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """Send one GET for ``url`` and read its status and headers."""
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (UnicodeError, ValueError) as err:
        raise FetchError(f"has an address that cannot be used ({url!r})") from err
    # Characters a URL may not hold are escaped; escapes already there (%2F is not /) are kept.
    target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~") + (
        "?" + quote(parts.query, safe="=&/:@!$'()*+,;-._~%") if parts.query else "")
    proxy = _proxy(parts.scheme, host)
    context = ssl.create_default_context() if parts.scheme == "https" else None
    extra: dict[str, str] = {}
    if proxy is None:
        connection: http.client.HTTPConnection = (
            _HTTPSConnection(host, port, context=context) if context else _HTTPConnection(host, port))
    else:
        proxy_parts = urlsplit(proxy)
        auth = {}
        if proxy_parts.username:
            pair = f"{unquote(proxy_parts.username)}:{unquote(proxy_parts.password or '')}".encode()
            auth = {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        proxy_port = proxy_parts.port or 8080
        if context:
            connection = _HTTPSConnection(proxy_parts.hostname or "", proxy_port, context=context)
            connection.set_tunnel(host, port, headers=auth)
        else:
            connection = _HTTPConnection(proxy_parts.hostname or "", proxy_port)
            target = f"http://{host}:{port}{target}"
            extra = auth
    connection.deadline = deadline  # type: ignore[attr-defined]
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in {**headers, **extra}.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection, connection.getresponse()
    except TimeoutError as err:
        connection.close()
        raise FetchError(f"did not answer within {deadline.seconds:g} s ([fetch] timeout)") from err
    except (OSError, http.client.HTTPException, ValueError) as err:
        connection.close()
        raise FetchError(_why(err, host, port)) from err


def _proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme``, unless ``host`` is loopback or in no_proxy."""
    if host in _LOOPBACK or host.startswith("127."):
        return None
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _why(err: BaseException, host: str, port: int) -> str:
    """A connection error as the few words a problem line gives."""
    if isinstance(err, socket.gaierror):
        return f"cannot be reached: the host name {host!r} was not found"
    if isinstance(err, ConnectionRefusedError):
        return f"refused the connection (nothing answers at {host}:{port})"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"has a TLS certificate that cannot be trusted ({err.verify_message})"
    if isinstance(err, ssl.SSLError):
        return f"failed the TLS handshake ({err.reason or err})"
    if isinstance(err, http.client.RemoteDisconnected):
        return "closed the connection without answering"
    if isinstance(err, http.client.HTTPException):
        return f"answered with something that is not HTTP ({type(err).__name__})"
    if isinstance(err, ValueError):
        return f"has an address that cannot be used ({err})"
    return f"cannot be reached ({getattr(err, 'strerror', None) or err})"


def _read_body(response: http.client.HTTPResponse, limit: int, deadline: _Deadline) -> bytes:
    """The body as it comes (each read within the deadline), gunzipped with a limit: past
    ``limit`` bytes (before or after decompression) it is cut off, never held whole."""
    too_big = f"sent more than {limit:,} bytes ([fetch] max_bytes); cut off there"
    length = response.getheader("content-length", "").strip()
    if length.isdigit() and int(length) > limit:
        raise FetchError(f"is {int(length):,} bytes, more than the {limit:,} of [fetch] max_bytes; not read")
    encoding = (response.getheader("content-encoding") or "identity").strip().lower()
    if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
        raise FetchError(f"sent its feed in the {encoding!r} encoding, which syndicate does not read (it asks for "
                         "gzip)")
    decoder = zlib.decompressobj(wbits=47) if encoding in ("gzip", "x-gzip", "deflate") else None
    out = bytearray()
    read = 0
    try:
        while chunk := response.read1(65536):
            read += len(chunk)
            if read > limit:
                raise FetchError(too_big)
            if decoder is None:
                out += chunk
            else:
                while chunk:
                    out += decoder.decompress(chunk, limit - len(out) + 1)
                    if len(out) > limit:
                        raise FetchError(too_big)
                    chunk = decoder.unconsumed_tail
        if response.length:  # the connection closed before the Content-Length it announced
            raise http.client.IncompleteRead(bytes(out), response.length)
        if decoder is not None:
            out += decoder.flush()
    except TimeoutError as err:
        raise FetchError(f"was still sending after {deadline.seconds:g} s ([fetch] timeout); cut off there") from err
    except zlib.error as err:
        raise FetchError(f"sent a body that is not the {encoding} it says ({err})") from err
    except http.client.IncompleteRead as err:
        raise FetchError("closed the connection before the end of its answer") from err
    except (OSError, http.client.HTTPException) as err:
        raise FetchError(f"broke off while sending ({getattr(err, 'strerror', None) or err})") from err
    if len(out) > limit:
        raise FetchError(too_big)
    return bytes(out)
