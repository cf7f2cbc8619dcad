"""What every page shares (the site's templates, a notice, a bad link, the 404), and the home page."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..config import Config
from ..newsletter.links import archive_url, feed_links
from ..templating import render_template, template_env
from ..tokens import BadToken


class Pages:
    """Renders the site's page templates; serves the home page (the newest articles)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = template_env(config.templates_dir)
        self.base = config.site.home_url
        # Forms post to a path on this server, never to base_url's host: the pages' CSP allows
        # only 'self', so a form aimed at another address (the sample's) would fail silently.
        self.form_base = urlsplit(self.base).path
        self._home: tuple[tuple[int, int], list[dict[str, Any]]] | None = None

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        site = self.config.site
        html = render_template(self.env, template, {
            "site": {"title": site.title, "base_url": self.base, "description": site.description,
                     "language": site.language},
            "feeds": feed_links(self.config), "archive_url": archive_url(self.config), "form_base": self.form_base,
            **context})
        return HTMLResponse(html, status, headers={"cache-control": "no-store"})

    def notice(self, heading: str, *paragraphs: str, status: int = 200) -> HTMLResponse:
        return self.render("notice.html.j2", status, heading=heading, paragraphs=list(paragraphs))

    def not_found(self) -> HTMLResponse:
        return self.render("404.html.j2", 404)

    def bad_link(self, err: BadToken) -> HTMLResponse:
        return self.notice("This link does not work", f"Sorry: {err.message}",
                           "Links in our emails work as they are: check that the whole link was opened. "
                           "You can always subscribe again from the subscribe page.", status=400)

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
