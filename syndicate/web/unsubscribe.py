"""Leaving: ``/unsubscribe?token=…`` shows a button (GET, HEAD: nothing changes) and unsubscribes on
a POST, which is also RFC 8058's one-click unsubscribe (``List-Unsubscribe=One-Click``)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..tokens import BadToken, Signer
from .links import read_link, unsubscribe
from .pages import Pages


class Unsubscribe:
    def __init__(self, pages: Pages, signer: Signer) -> None:
        self.pages = pages
        self.config = pages.config
        self.signer = signer

    async def page(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber = await run_in_threadpool(read_link, self.config, self.signer, token, "unsubscribe")
        except BadToken as err:
            return self.pages.bad_link(err)
        if request.method in ("GET", "HEAD"):  # a look (a person, or a mail scanner) changes nothing
            return self.pages.render("unsubscribe.html.j2", email=subscriber.email,
                                     action=f"{self.pages.form_base}unsubscribe?token={token}")
        await run_in_threadpool(unsubscribe, self.config, subscriber)
        return self.pages.notice("You are unsubscribed",
                                 f"You will get no more newsletters from {self.config.site.title}.",
                                 "Changed your mind? You can subscribe again at any time.")
