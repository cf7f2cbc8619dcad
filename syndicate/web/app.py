"""``syndicate serve``: the feeds and archive for readers, and subscribe / confirm / unsubscribe.

The built files under ``output/feeds`` and ``output/newsletters`` are served from
memory with conditional GET (see ``web.static``). The pages (Starlette) are a home page,
a subscribe form (double opt-in: a confirmation email with a signed link that
expires), and one-click unsubscribe (RFC 8058: a POST of ``List-Unsubscribe=One-Click``
to the link in the email unsubscribes at once). Every link is built from
[site] base_url. The subscribe answer is the same whether the address was new,
pending or active, so that nobody can find out who is subscribed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..config import Config
from ..errors import CannotStartError
from ..tokens import Signer, load_secret
from .pages import Pages
from .signup import SignUp
from .static import SECURITY_HEADERS, FileCache, serve_file
from .unsubscribe import Unsubscribe


#: The paths Starlette answers, never a file: the pages that read or change subscriptions.
DYNAMIC = ("/subscribe", "/confirm", "/unsubscribe")


def create_app(config: Config) -> App:
    """The ASGI application: public files straight from memory, everything else through Starlette."""
    return App(config)


class App:
    """``syndicate serve``'s ASGI application. Its lifespan's end (the server stopping) waits for
    the confirmation emails being sent, and drops those still waiting (people may ask again)."""

    def __init__(self, config: Config) -> None:
        self.files = FileCache(config.output_dir, pages=config.writes_pages)
        self.max_age = config.server.cache_max_age
        pages = Pages(config)
        signer = Signer(load_secret(config))
        self.signup = SignUp(pages, signer)

        @contextlib.asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[None]:
            yield
            await run_in_threadpool(self.signup.close)

        async def not_found(request: Any, exc: Exception) -> Response:
            return pages.not_found()

        self.starlette = Starlette(lifespan=lifespan, exception_handlers={404: not_found}, routes=[
            Route("/", pages.home),
            Route("/subscribe", self.signup.subscribe, methods=["GET", "POST"]),
            Route("/confirm", self.signup.confirm, methods=["GET", "POST"]),
            Route("/unsubscribe", Unsubscribe(pages, signer).page, methods=["GET", "POST"]),
            Route("/newsletters", lambda r: RedirectResponse(config.site.home_url + "newsletters/", 301)),
        ])
        # No redirect of '/confirm/' to '/confirm': Starlette builds it from the Host header,
        # which a client chooses (an open redirect). Every link syndicate makes is exact.
        self.starlette.router.redirect_slashes = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # The built files first (the site's pages too, the home page among them, when the build
        # writes them); a path they do not have goes on to the pages, whose 404 is a page.
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"] not in DYNAMIC:
            file = self.files.get(scope.get("raw_path") or scope["path"].encode(), scope["path"])
            if file is not None:
                await serve_file(scope, send, file, max_age=self.max_age)
                return

        async def send_secure(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.starlette(scope, receive, send_secure if scope["type"] == "http" else send)

    def wait_for_mail(self, timeout: float = 30) -> bool:
        """Wait until no confirmation email is waiting or being sent; False if time ran out."""
        return self.signup.wait_idle(timeout)


def _check_port(host: str, port: int) -> None:
    """:raises CannotStartError: the address cannot be listened on (in use, or not this machine's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise CannotStartError(f"cannot listen on {host!r}: {err.strerror}. Check --host or [server] host.") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            busy = err.errno == errno.EADDRINUSE
            why = "another program is using it" if busy else err.strerror
            raise CannotStartError(f"cannot listen on {host}:{port}: {why}. "
                                   + ("Stop that program, or choose another --port." if busy
                                      else "Check --host and --port.")) from None


def base_url_warning(base_url: str, host: str, port: int) -> str | None:
    """What is wrong when ``base_url`` is not where the server can be reached, or None.

    Every link of a page or an email, and the subscribe form's target, is built from
    ``base_url``. A public address is taken to be a proxy in front of the server; the
    sample's address (example.com, .org, .net and their subdomains), or a local one that
    is not this server (another port, https, which it does not speak, or a path under
    which it answers nothing), means the links lead elsewhere.
    """
    parts = urlsplit(base_url)
    name = (parts.hostname or "").rstrip(".")
    listening = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    local = name in ("localhost", "::1", "0.0.0.0") or name.endswith(".localhost") or name.startswith("127.")
    if not name or any(name == d or name.endswith("." + d) for d in ("example.com", "example.org", "example.net")):
        why = "the sample address"
    elif local and parts.scheme == "https":
        why = "https, which syndicate serve does not speak: a proxy in front of it does"
    elif local and (parts.port or 80) != port:
        why = "another port"
    elif local and parts.path not in ("", "/"):
        why = "a path under which this server answers nothing"
    else:
        return None
    return (f"[site] base_url is {base_url} ({why}), but this server listens at {listening}: the links in "
            "pages and emails, and the subscribe form, lead there instead. Set base_url to the address "
            f"people reach this server at (to try it here: base_url = \"http://localhost:{port}/\").")


#: How ``serve`` tells its worker processes which configuration to load ("" for the defaults).
CONFIG_ENV = "SYNDICATE_SERVE_CONFIG"


def app_from_env() -> App:
    """The application of one of ``serve``'s worker processes (uvicorn's factory, run in each)."""
    from ..config import load_config

    return create_app(load_config(os.environ[CONFIG_ENV] or None))


def serve(config: Config, *, host: str | None = None, port: int | None = None, workers: int = 1) -> None:
    """Run the server in the foreground (uvicorn) until stopped.

    With ``workers`` above 1, uvicorn starts that many processes on the one socket, each
    loading the configuration again (from the same file) and keeping its own file cache,
    sign-up rate limit and confirmation-email threads.
    """
    import uvicorn

    host, port = host or config.server.host, port or config.server.port
    _check_port(host, port)
    app = create_app(config)  # in this process first: a problem is one error, not one a worker
    warning = base_url_warning(config.site.home_url, host, port)
    if warning:
        print(f"Warning: {warning}", file=sys.stderr)
    options = dict(host=host, port=port, log_level=os.environ.get("SYNDICATE_LOG_LEVEL", "info"),
                   proxy_headers=True, server_header=False)
    if workers == 1:
        uvicorn.run(app, **options)
        return
    app.signup.close()
    os.environ[CONFIG_ENV] = str(config.source.resolve()) if config.source else ""
    uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=workers, **options)
