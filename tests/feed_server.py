"""A real HTTP server on 127.0.0.1 that serves feeds to the tests, misbehaving on request.

``FeedServer`` runs ``http.server`` in a thread of the test (real sockets, a free port) and
serves routes added with :meth:`FeedServer.add` or :meth:`FeedServer.add_case` (a file of
``tests/data/sources/``: header lines, a blank line, the body). Every request is logged
(path, status answered, the conditional headers sent), so a test can check that a second
fetch was a conditional GET answered 304. Behaviours:

``trickle``          the headers at once, then the body a byte every 50 ms, without end
``trickle-headers``  the status line, then a header byte every 50 ms, without end
``stall``            accept the connection and say nothing
``huge N``           a body of N bytes (no Content-Length), written as fast as it is read
``gzip-bomb N``      ``Content-Encoding: gzip``: N zero bytes gzipped (a thousandth the size)
``redirect-loop``    /x → /x-again → /x, with 302s
``redirect TARGET``  a 301 to TARGET (a path on this server)
``cut-short``        a Content-Length twice the body's, then the connection closed after the body
``declare N``        a Content-Length of N, and the body as it is (a client that trusts the length reads nothing)

A route with an ``ETag`` or ``Last-Modified`` header answers 304 to a request that sends it back.
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    behaviour: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class Request:
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


@dataclass
class Case:
    """A file of tests/data/sources/: what to serve, and what the test expects of it."""

    name: str
    route: Route
    fields: dict[str, list[str]]

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, [default])[0]

    def all(self, key: str) -> list[str]:
        return self.fields.get(key, [])


def read_case(path: Path) -> Case:
    """``Key: value`` lines (``Header:``, ``Status:``, ``Behaviour:``, ``Expect-…:``), a blank line, the body."""
    data = path.read_bytes()
    head, _, body = data.partition(b"\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), []).append(value.strip())
    headers = [tuple(h.split(":", 1)) for h in fields.get("Header", [])]
    route = Route(body=body, status=int(fields.get("Status", ["200"])[0]),
                  headers=[(k.strip(), v.strip()) for k, v in headers], behaviour=fields.get("Behaviour", [""])[0])
    return Case(path.stem, route, fields)


class FeedServer:
    """Serve routes over real HTTP on 127.0.0.1 from a thread; a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self.stopping = threading.Event()
        self._bombs: dict[int, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server._answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", *, status: int = 200, content_type: str = "",
            headers: dict[str, str] | None = None, behaviour: str = "") -> Route:
        data = body.encode("utf-8") if isinstance(body, str) else body
        pairs = [("Content-Type", content_type)] if content_type else []
        route = Route(data, status, pairs + list((headers or {}).items()), behaviour)
        self.routes[path] = route
        return route

    def add_case(self, path: str, case: Case) -> Route:
        self.routes[path] = case.route
        if case.route.behaviour == "redirect-loop":
            self.routes[path + "-again"] = Route(status=302, headers=[("Location", path)])
            case.route.status, case.route.headers = 302, [("Location", path + "-again")]
        return case.route

    def requests(self, path: str | None = None) -> list[Request]:
        return [r for r in self.log if path is None or r.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        route = self.routes.get(handler.path.split("?")[0])
        if route is None:
            return self._send(handler, 404, [("Content-Type", "text/plain")], b"not found")
        kind, _, arg = route.behaviour.partition(" ")
        sent_etag = handler.headers.get("If-None-Match")
        sent_date = handler.headers.get("If-Modified-Since")
        etag, modified = route.header("ETag"), route.header("Last-Modified")
        status = route.status
        if status == 200 and ((etag and sent_etag == etag) or (modified and not etag and sent_date == modified)):
            status = 304
        self.log.append(Request(handler.path, status, sent_etag, sent_date, handler.headers.get("User-Agent")))
        if kind == "stall":
            self.stopping.wait(30)
            return
        if kind == "trickle-headers":
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._trickle(handler, b"X-Slow: " + b"z" * 100_000)
            return
        if kind == "redirect":
            return self._send(handler, 301, [("Location", arg)], b"")
        if status == 304:
            return self._send(handler, 304, [h for h in route.headers if h[0].lower() in ("etag", "cache-control")],
                              b"")
        if kind == "trickle":
            handler.send_response(status)
            for name, value in route.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(route.body) * 100))
            handler.end_headers()
            self._trickle(handler, route.body * 100)
            return
        if kind == "huge":
            handler.send_response(status)
            for name, value in route.headers:
                handler.send_header(name, value)
            handler.end_headers()
            block = (route.body or b"<item><title>x</title></item>\n") * 2000
            left = int(arg)
            try:
                while left > 0 and not self.stopping.is_set():
                    handler.wfile.write(block[:left])
                    left -= len(block)
            except OSError:
                pass
            return
        if kind in ("cut-short", "declare"):
            handler.send_response(status)
            for name, value in route.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", arg or str(2 * len(route.body)))
            handler.end_headers()
            handler.wfile.write(route.body)
            return
        if kind == "gzip-bomb":
            size = int(arg)
            if size not in self._bombs:
                self._bombs[size] = gzip.compress(b"\0" * size, compresslevel=9)
            return self._send(handler, status, [*route.headers, ("Content-Encoding", "gzip")], self._bombs[size])
        self._send(handler, status, route.headers, route.body)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        try:
            handler.send_response(status)
            for name, value in headers:
                handler.send_header(name, value)
            if status != 304:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:  # the client went away (it was right to)
            pass

    def _trickle(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        try:
            for i in range(len(data)):
                if self.stopping.is_set():
                    return
                handler.wfile.write(data[i:i + 1])
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass
