"""The archive's files: each issue's folder, the index page and its Atom feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config import Config
from ..state import Issue
from ..templating import render_template
from .links import archive_feed_url, archive_url, feed_links, issue_url, site_view
from .personalize import personalizers
from .render import PREVIEW_VALUES

if TYPE_CHECKING:
    import jinja2  # the environments come from templating.template_env, which loads it

#: The updated time of the archive feed before the first issue: fixed (no clock in a feed), and
#: after 1990, which the W3C validator calls the earliest plausible date.
NO_ISSUE_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def preview_values(config: Config) -> dict[str, str]:
    """What fills the per-subscriber placeholders of a copy nobody receives."""
    return {**PREVIEW_VALUES, "unsubscribe_url": config.site.home_url + "unsubscribe?token=preview"}


def issue_files(issue: Issue, folder: str, config: Config) -> dict[str, bytes]:
    """An issue's folder: the email as a subscriber sees it, its text part, its web page."""
    html, text = personalizers(issue)
    values = preview_values(config)
    return {
        f"{folder}/email.html": html.fill(values).encode("utf-8"),
        f"{folder}/email.txt": text.fill(values).encode("utf-8"),
        f"{folder}/index.html": issue.web_html.encode("utf-8"),
    }


def archive_files(issues: Sequence[Issue], config: Config, env: jinja2.Environment) -> dict[str, bytes]:
    """newsletters/index.html (every issue), newsletters/feed.xml (Atom), and each issue's folder."""
    files: dict[str, bytes] = {}
    for issue in issues:
        files.update(issue_files(issue, f"newsletters/{issue.number}", config))
    newest_first_issues = sorted(issues, key=lambda i: i.number, reverse=True)
    page = render_template(env, "archive.html.j2", {
        "site": site_view(config),
        "issues": [{"number": i.number, "subject": i.subject, "date": i.date, "articles": i.article_ids,
                    "web_url": issue_url(config, i.number)} for i in newest_first_issues],
        "feeds": feed_links(config),
        "archive_feed_url": archive_feed_url(config),
    })
    files["newsletters/index.html"] = page.encode("utf-8")
    files["newsletters/feed.xml"] = archive_feed(newest_first_issues, config)
    return files


def archive_feed(issues: Sequence[Issue], config: Config) -> bytes:
    """An Atom feed of the issues, newest first, so that people can follow the newsletter."""
    from feedgen.feed import FeedGenerator

    site = config.site
    url = archive_feed_url(config)
    fg = FeedGenerator()
    fg.id(url)
    fg.title(f"{site.title}: newsletter")
    fg.subtitle(f"Every issue of the {site.title} newsletter.")
    fg.language(site.language)
    fg.generator("syndicate")
    fg.author({"name": site.author_name or site.title, **({"email": site.author_email} if site.author_email else {})})
    fg.link(href=url, rel="self", type="application/atom+xml")
    fg.link(href=archive_url(config), rel="alternate", type="text/html")
    fg.updated(max((i.date for i in issues), default=NO_ISSUE_DATE))
    host = urlsplit(site.base_url).hostname
    for issue in issues:
        fe = fg.add_entry(order="append")
        fe.id(f"tag:{host},{issue.date:%Y-%m-%d}:newsletter-{issue.number}")
        fe.title(issue.subject)
        fe.link(href=issue_url(config, issue.number))
        fe.published(issue.date)
        fe.updated(issue.date)
        fe.summary(issue.preheader)
    return fg.atom_str(pretty=True)
