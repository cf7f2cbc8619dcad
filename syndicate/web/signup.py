"""Subscribing: the form, double opt-in by email, and the confirmation link (confirmed by a POST
from its page: opening the link, as mail scanners do, changes nothing).

The answer to a sign-up is the same whether the address was new, pending or active,
and the work is done after it is sent, so that neither its words nor its timing tell
anyone who is subscribed.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..delivery.addresses import clean_name, normalize_address
from ..delivery.message import Outgoing
from ..delivery.transport import make_transport
from ..errors import DeliveryError, SyndicateError
from ..newsletter.inline import inline_css
from ..state import Subscriber, open_store
from ..templating import render_template
from ..tokens import BadToken, Signer
from .links import confirm, read_link
from .pages import Pages
from .ratelimit import make_rate_limit

if TYPE_CHECKING:
    import jinja2  # the environments come from templating.template_env, which loads it

log = logging.getLogger("syndicate.web")
MAX_EMAIL = 254
MAILERS = 2  # confirmation emails sent at once
QUEUE = 100  # confirmations waiting, at most; past that a sign-up gets no email (and may ask again)


class SignUp:
    """``/subscribe`` (GET the form, POST it) and ``/confirm?token=…``."""

    def __init__(self, pages: Pages, signer: Signer) -> None:
        self.pages = pages
        self.config = pages.config
        self.signer = signer
        self.limit = make_rate_limit(self.config)
        self.mailers = ThreadPoolExecutor(max_workers=MAILERS, thread_name_prefix="confirmation")
        self.waiting = threading.BoundedSemaphore(QUEUE)

    async def subscribe(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):  # only a POST counts against the limit
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
        # After the answer, in the background: its timing must not tell a new address from a known one.
        self._start_subscription(address, clean_name(name))
        return self._check_inbox()

    async def confirm(self, request: Request) -> Response:
        """GET (or HEAD: a mail scanner fetching the link) shows one button; its POST confirms."""
        token = request.query_params.get("token", "")
        try:
            subscriber = await run_in_threadpool(read_link, self.config, self.signer, token, "confirm")
        except BadToken as err:
            return self.pages.bad_link(err)
        status = subscriber.status
        if status == "pending" and request.method == "POST":
            status = await run_in_threadpool(confirm, self.config, subscriber)
        if status == "pending":
            return self.pages.render("confirm.html.j2", email=subscriber.email,
                                     action=f"{self.pages.form_base}confirm?token={token}")
        if status == "active":
            return self.pages.notice(f"Welcome to {self.config.site.title}",
                                     f"{subscriber.email} is subscribed: the next newsletter will be in your inbox.",
                                     "Every newsletter has a link at the bottom to unsubscribe with one click.")
        return self.pages.bad_link(BadToken(  # unsubscribed or bounced since: an old link changes nothing
            "this address left the list after this link was sent. To subscribe again, use the subscribe page: "
            "a new link will be sent."))

    def _form(self, email: str = "", name: str = "", error: str = "", status: int = 200) -> HTMLResponse:
        csrf = self.signer.make("form", 0, expires=datetime.now(timezone.utc) + timedelta(hours=12))
        return self.pages.render("subscribe.html.j2", status, email=email, name=name, error=error, csrf=csrf)

    def _check_inbox(self) -> HTMLResponse:
        return self.pages.notice("Check your inbox",
                                 "If that address can subscribe, a message is on its way to it with a link to "
                                 "confirm. Nothing will be sent until you click it.")

    def _start_subscription(self, email: str, name: str) -> None:
        """Record a pending subscriber and mail the confirmation link, unless already active:
        off the request's path, at most ``MAILERS`` at once and ``QUEUE`` waiting, so a slow
        SMTP server cannot hold up the other pages. The answer was the same whatever happens."""
        if not self.waiting.acquire(blocking=False):
            log.error("too many confirmations are waiting for the SMTP server; %s was not sent one "
                      "(they can ask again)", email)
            return
        try:
            self.mailers.submit(self._confirmation, email, name).add_done_callback(lambda _: self.waiting.release())
        except RuntimeError:  # the server is shutting down
            self.waiting.release()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every confirmation queued so far is sent (or failed); False on time-out."""
        deadline = time.monotonic() + timeout
        taken = 0
        try:  # all of the semaphore's places free means nothing waits and nothing is sent
            while taken < QUEUE:
                if not self.waiting.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    return False
                taken += 1
            return True
        finally:
            for _ in range(taken):
                self.waiting.release()

    def close(self) -> None:
        """Finish the confirmations being sent; drop those still waiting."""
        self.mailers.shutdown(wait=True, cancel_futures=True)
        self.limit.close()

    def _confirmation(self, email: str, name: str) -> None:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        with open_store(self.config) as store, store.transaction():
            subscriber = store.request_confirmation(email, name, source="web", now=now)
        if subscriber is None:  # active, or bounced: nothing to send
            return
        try:
            self._send_confirmation(subscriber, now)
        except (DeliveryError, SyndicateError) as err:
            log.error("could not send the confirmation to subscriber %s: %s", subscriber.id, err)

    def _send_confirmation(self, subscriber: Subscriber, now: datetime) -> None:
        days = self.config.server.token_ttl_days
        email, subscriber_id = subscriber.email, subscriber.id
        token = self.signer.make("confirm", subscriber_id, binding=subscriber.confirm_nonce or "",
                                 expires=now + timedelta(days=days))
        site = self.config.site
        context = {"site": {"title": site.title, "language": site.language, "base_url": site.home_url},
                   "email": email, "days": days, "confirm_url": f"{self.pages.base}confirm?token={token}"}
        msg = EmailMessage(policy=SMTP)
        msg["From"] = self.config.sender
        msg["To"] = email
        msg["Subject"] = f"Confirm your subscription to {site.title}"
        msg["Date"] = format_datetime(now)
        sender = self.config.sender_address
        msg["Message-ID"] = make_msgid("confirm", domain=sender.rsplit("@", 1)[-1])
        msg["Auto-Submitted"] = "auto-generated"
        text, html = render_confirmation(self.pages.env, context)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        transport = make_transport(self.config, "confirm")
        try:
            transport.send(Outgoing(sender, email, msg["Message-ID"], msg.as_bytes()), key=f"{subscriber_id:09d}")
        finally:
            transport.close()


def render_confirmation(env: jinja2.Environment, context: dict[str, Any]) -> tuple[str, str]:
    """The confirmation email's plain-text and HTML parts, the HTML's CSS inlined as the
    newsletter's is (``context``: ``site``, ``email``, ``days``, ``confirm_url``)."""
    text = render_template(env, "confirm_email.txt.j2", context)
    return text, inline_css(render_template(env, "confirm_email.html.j2", context))
