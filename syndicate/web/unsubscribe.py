"""Leaving: ``/unsubscribe?token=…`` shows a button (GET) and unsubscribes on a POST, which is
also RFC 8058's one-click unsubscribe (``List-Unsubscribe=One-Click`` from the mail client)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..tokens import BadToken, Signer
from .pages import Pages
from .status import email_of, set_status


class Unsubscribe:
    def __init__(self, pages: Pages, signer: Signer) -> None:
        self.pages = pages
        self.config = pages.config
        self.signer = signer

    async def page(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber_id = self.signer.read(token, "unsubscribe")
        except BadToken as err:
            return self.pages.bad_link(err)
        if request.method == "GET":
            email = await run_in_threadpool(email_of, self.config, subscriber_id)
            return self.pages.render("unsubscribe.html.j2", email=email or "This address",
                                     action=f"{self.pages.base}unsubscribe?token={token}")
        await run_in_threadpool(set_status, self.config, subscriber_id, "unsubscribed")
        return self.pages.notice("You are unsubscribed",
                                 f"You will get no more newsletters from {self.config.site.title}.",
                                 "Changed your mind? You can subscribe again at any time.")
