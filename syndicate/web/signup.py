"""Subscribing: the form, double opt-in by email, and the confirmation link.

The answer to a sign-up is the same whether the address was new, pending or active,
and the work is done after it is sent, so that neither its words nor its timing tell
anyone who is subscribed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..delivery.addresses import clean_name, normalize_address
from ..delivery.message import Outgoing
from ..delivery.transport import make_transport
from ..errors import DeliveryError, SyndicateError
from ..state import Store
from ..templating import render_template
from ..tokens import BadToken, Signer
from .pages import Pages
from .status import set_status

log = logging.getLogger("syndicate.web")
MAX_EMAIL = 254


class RateLimit:
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


class SignUp:
    """``/subscribe`` (GET the form, POST it) and ``/confirm?token=…``."""

    def __init__(self, pages: Pages, signer: Signer) -> None:
        self.pages = pages
        self.config = pages.config
        self.signer = signer
        self.limit = RateLimit(self.config.server.subscribe_rate)

    async def subscribe(self, request: Request) -> Response:
        if request.method == "GET":
            return self._form()
        client = request.client.host if request.client else "?"
        if not self.limit.allow(client):
            busy = self.pages.notice("Too many requests",
                                     "This address has asked to subscribe too often. Try again in an hour.",
                                     status=429)
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

    async def confirm(self, request: Request) -> Response:
        try:
            subscriber_id = self.signer.read(request.query_params.get("token", ""), "confirm")
        except BadToken as err:
            return self.pages.bad_link(err)
        email = await run_in_threadpool(set_status, self.config, subscriber_id, "active")
        if email is None:
            return self.pages.bad_link(BadToken("this subscription no longer exists."))
        return self.pages.notice(f"Welcome to {self.config.site.title}",
                                 f"{email} is subscribed: the next newsletter will be in your inbox.",
                                 "Every newsletter has a link at the bottom to unsubscribe with one click.")

    def _form(self, email: str = "", name: str = "", error: str = "", status: int = 200) -> HTMLResponse:
        csrf = self.signer.make("form", 0, expires=datetime.now(timezone.utc) + timedelta(hours=12))
        return self.pages.render("subscribe.html.j2", status, email=email, name=name, error=error, csrf=csrf)

    def _check_inbox(self) -> HTMLResponse:
        return self.pages.notice("Check your inbox",
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
                   "confirm_url": f"{self.pages.base}confirm?token={token}"}
        msg = EmailMessage(policy=SMTP)
        msg["From"] = self.config.sender
        msg["To"] = email
        msg["Subject"] = f"Confirm your subscription to {site.title}"
        msg["Date"] = format_datetime(now)
        sender = parseaddr(self.config.sender)[1]
        msg["Message-ID"] = make_msgid("confirm", domain=sender.rsplit("@", 1)[-1])
        msg["Auto-Submitted"] = "auto-generated"
        env = self.pages.env
        msg.set_content(render_template(env, "confirm_email.txt.j2", context))
        msg.add_alternative(render_template(env, "confirm_email.html.j2", context), subtype="html")
        transport = make_transport(self.config, "confirm")
        try:
            transport.send(Outgoing(sender, email, msg["Message-ID"], msg.as_bytes()), key=f"{subscriber_id:09d}")
        finally:
            transport.close()
