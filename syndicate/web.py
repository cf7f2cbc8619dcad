"""``syndicate serve``: the feeds and archive for readers, and subscribe / confirm / unsubscribe.

The built files under ``output/feeds`` and ``output/newsletters`` are served from
memory with conditional GET (see ``static``). The pages (Starlette) are a home page,
a subscribe form (double opt-in: a confirmation email with a signed link that
expires), and one-click unsubscribe (RFC 8058: a POST of ``List-Unsubscribe=One-Click``
to the link in the email unsubscribes at once). Every link is built from
[site] base_url. The subscribe answer is the same whether the address was new,
pending or active, so that nobody can find out who is subscribed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .config import Config
from .errors import DeliveryError, SyndicateError
from .feeds import home_url
from .message import Outgoing
from .newsletter import archive_url, feed_links
from .static import SECURITY_HEADERS, FileCache, serve_file
from .store import Store
from .subscribers import clean_name, normalize_address
from .templating import render_template, template_env
from .tokens import BadToken, Signer, load_secret
from .transport import make_transport

log = logging.getLogger("syndicate.web")
MAX_EMAIL = 254


def create_app(config: Config) -> Any:
    """The ASGI application: public files straight from memory, everything else through Starlette."""
    files = FileCache(config.output_dir)
    pages = _Pages(config)
    starlette = Starlette(routes=[
        Route("/", pages.home),
        Route("/subscribe", pages.subscribe, methods=["GET", "POST"]),
        Route("/confirm", pages.confirm),
        Route("/unsubscribe", pages.unsubscribe, methods=["GET", "POST"]),
        Route("/newsletters", lambda r: RedirectResponse(home_url(config.site) + "newsletters/", 301)),
    ])
    max_age = config.server.cache_max_age

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"].startswith(
                ("/feeds/", "/newsletters/")):
            file = files.get(scope.get("raw_path") or scope["path"].encode(), scope["path"])
            if file is not None:
                await serve_file(scope, send, file, max_age=max_age)
                return
            await _send_not_found(send)
            return

        async def send_secure(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await starlette(scope, receive, send_secure if scope["type"] == "http" else send)

    return app


async def _send_not_found(send: Any) -> None:
    body = b"Not found.\n"
    await send({"type": "http.response.start", "status": 404, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class _RateLimit:
    """At most ``per_hour`` hits per client address in any hour (kept in memory)."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self.hits: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            hits = self.hits[client]
            while hits and now - hits[0] > 3600:
                hits.popleft()
            if len(hits) >= self.per_hour:
                return False
            hits.append(now)
            return True


class _Pages:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = template_env(config.templates_dir)
        self.signer = Signer(load_secret(config))
        self.limit = _RateLimit(config.server.subscribe_rate)
        self.base = home_url(config.site)
        self._home: tuple[tuple[int, int], list[dict[str, Any]]] | None = None

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        site = self.config.site
        html = render_template(self.env, template, {
            "site": {"title": site.title, "base_url": self.base, "description": site.description,
                     "language": site.language},
            "feeds": feed_links(self.config), "archive_url": archive_url(self.config), **context})
        return HTMLResponse(html, status, headers={"cache-control": "no-store"})

    def notice(self, heading: str, *paragraphs: str, status: int = 200) -> HTMLResponse:
        return self.render("notice.html.j2", status, heading=heading, paragraphs=list(paragraphs))

    # -- home ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return self.render("home.html.j2", articles=self._recent())

    def _recent(self) -> list[dict[str, Any]]:
        """The newest articles, from the built JSON feed (read again when it changes)."""
        path = self.config.output_dir / "feeds" / "feed.json"
        try:
            st = path.stat()
        except OSError:
            return []
        key = (st.st_mtime_ns, st.st_size)
        if self._home is None or self._home[0] != key:
            items = json.loads(path.read_bytes()).get("items", [])
            articles = [{"title": i["title"], "url": i["url"], "summary": i.get("summary", ""),
                         "date": datetime.fromisoformat(i["date_published"])} for i in items[:20]]
            self._home = (key, articles)
        return self._home[1]

    # -- subscribe, confirm ----------------------------------------------------------

    async def subscribe(self, request: Request) -> Response:
        if request.method == "GET":
            return self._form()
        client = request.client.host if request.client else "?"
        if not self.limit.allow(client):
            busy = self.notice("Too many requests",
                               "This address has asked to subscribe too often. Try again in an hour.", status=429)
            busy.headers["retry-after"] = "3600"
            return busy
        form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        email = str(form.get("email", "")).strip()
        name = str(form.get("name", ""))
        try:
            self.signer.read(str(form.get("csrf", "")), "form")
        except BadToken:
            return self._form(email, name, "The form had expired. Please send it again.", status=400)
        if len(email) > MAX_EMAIL or len(name) > 200:
            return self._form("", "", "That is too long for an address or a name.", status=400)
        if form.get("website"):  # the honeypot: a person never fills it in
            return self._check_inbox()
        try:
            address = normalize_address(email)
        except ValueError as err:
            return self._form(email, name, f"That is not an email address: {err}", status=400)
        # After the answer is sent: its timing must not tell a new address from a known one.
        answer = self._check_inbox()
        answer.background = BackgroundTask(self._start_subscription, address, clean_name(name))
        return answer

    def _form(self, email: str = "", name: str = "", error: str = "", status: int = 200) -> HTMLResponse:
        csrf = self.signer.make("form", 0, expires=datetime.now(timezone.utc) + timedelta(hours=12))
        return self.render("subscribe.html.j2", status, email=email, name=name, error=error, csrf=csrf)

    def _check_inbox(self) -> HTMLResponse:
        return self.notice("Check your inbox",
                           "If that address can subscribe, a message is on its way to it with a link to "
                           "confirm. Nothing will be sent until you click it.")

    def _start_subscription(self, email: str, name: str) -> None:
        """Record a pending subscriber and mail the confirmation link, unless already active.
        The same answer is given whatever happens here."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        with Store(self.config.state_path) as store, store.transaction():
            existing = store.subscriber(email)
            if existing is None:
                subscriber = store.add_subscriber(email, name, status="pending", source="web", now=now)
            elif existing.status in ("pending", "unsubscribed"):  # they ask (again): confirm first
                store.set_status(email, "pending", now)
                subscriber = existing
            else:  # active, or bounced: nothing to send
                return
        if subscriber is None:
            return
        try:
            self._send_confirmation(subscriber.id, email, now)
        except (DeliveryError, SyndicateError) as err:
            log.error("could not send the confirmation to subscriber %s: %s", subscriber.id, err)

    def _send_confirmation(self, subscriber_id: int, email: str, now: datetime) -> None:
        days = self.config.server.token_ttl_days
        token = self.signer.make("confirm", subscriber_id, expires=now + timedelta(days=days))
        site = self.config.site
        context = {"site": {"title": site.title, "language": site.language}, "email": email, "days": days,
                   "confirm_url": f"{self.base}confirm?token={token}"}
        msg = EmailMessage(policy=SMTP)
        msg["From"] = self.config.sender
        msg["To"] = email
        msg["Subject"] = f"Confirm your subscription to {site.title}"
        msg["Date"] = format_datetime(now)
        sender = parseaddr(self.config.sender)[1]
        msg["Message-ID"] = make_msgid("confirm", domain=sender.rsplit("@", 1)[-1])
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(render_template(self.env, "confirm_email.txt.j2", context))
        msg.add_alternative(render_template(self.env, "confirm_email.html.j2", context), subtype="html")
        transport = make_transport(self.config, "confirm")
        try:
            transport.send(Outgoing(sender, email, msg["Message-ID"], msg.as_bytes()), key=f"{subscriber_id:09d}")
        finally:
            transport.close()

    async def confirm(self, request: Request) -> Response:
        try:
            subscriber_id = self.signer.read(request.query_params.get("token", ""), "confirm")
        except BadToken as err:
            return self._bad_link(err)
        email = await run_in_threadpool(self._set_status, subscriber_id, "active")
        if email is None:
            return self._bad_link(BadToken("this subscription no longer exists."))
        return self.notice(f"Welcome to {self.config.site.title}",
                           f"{email} is subscribed: the next newsletter will be in your inbox.",
                           "Every newsletter has a link at the bottom to unsubscribe with one click.")

    # -- unsubscribe -----------------------------------------------------------------

    async def unsubscribe(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber_id = self.signer.read(token, "unsubscribe")
        except BadToken as err:
            return self._bad_link(err)
        if request.method == "GET":
            email = await run_in_threadpool(self._email_of, subscriber_id)
            return self.render("unsubscribe.html.j2", email=email or "This address",
                               action=f"{self.base}unsubscribe?token={token}")
        await run_in_threadpool(self._set_status, subscriber_id, "unsubscribed")
        return self.notice("You are unsubscribed",
                           f"You will get no more newsletters from {self.config.site.title}.",
                           "Changed your mind? You can subscribe again at any time.")

    def _email_of(self, subscriber_id: int) -> str | None:
        with Store(self.config.state_path) as store:
            subscriber = store.subscriber_by_id(subscriber_id)
        return subscriber.email if subscriber else None

    def _set_status(self, subscriber_id: int, status: str) -> str | None:
        """Set a subscriber's status by id; their address, or None if they are gone."""
        email = self._email_of(subscriber_id)
        if email is None:
            return None
        with Store(self.config.state_path) as store, store.transaction():
            current = store.subscriber(email)
            bounced = status == "active" and current is not None and current.status == "bounced"
            if current is not None and not bounced and current.status != status:
                store.set_status(email, status, datetime.now(timezone.utc).replace(microsecond=0))
        return email

    def _bad_link(self, err: BadToken) -> HTMLResponse:
        return self.notice("This link does not work", f"Sorry: {err.message}",
                           "Links in our emails work as they are: check that the whole link was opened. "
                           "You can always subscribe again from the subscribe page.", status=400)


def serve(config: Config, *, host: str | None = None, port: int | None = None) -> None:
    """Run the server in the foreground (uvicorn, one worker) until stopped."""
    import uvicorn

    uvicorn.run(create_app(config), host=host or config.server.host, port=port or config.server.port,
                log_level=os.environ.get("SYNDICATE_LOG_LEVEL", "info"), proxy_headers=True,
                server_header=False)
