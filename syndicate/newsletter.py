"""Newsletter issues: which articles go into the next issue, and the issue rendered.

Pure functions: :func:`plan_issues` decides from the published articles and the ids
already covered by earlier issues; :func:`render_issue` renders an issue with jinja2
and inlines its CSS once, leaving per-subscriber placeholders in (see
``personalize``). Recording issues is the store's job, writing files the build's.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .config import Config
from .content import Article
from .errors import Problem
from .feeds import NO_ENTRY_DATE, home_url, newest_first
from .inline import inline_css
from .personalize import placeholders
from .render import html_to_text, render_html, summarize, truncate_words
from .store import Issue
from .templating import render_string, render_template

GMAIL_CLIP_BYTES = 102_000  # Gmail hides the rest of a message whose HTML is larger
PREHEADER_WORDS = 25

#: What stands in for the per-subscriber values where there is no subscriber (previews).
PREVIEW_VALUES = {"unsubscribe_url": "", "email": "reader@example.com", "name": "Reader"}


@dataclass(frozen=True)
class IssuePlan:
    """An issue to make: its number, its date and its articles (lead first)."""

    number: int
    date: datetime
    articles: tuple[Article, ...]


def plan_issues(
    articles: Sequence[Article],
    covered: Collection[str],
    *,
    config: Config,
    next_number: int,
    now: datetime,
    first: bool,
    since: datetime | None = None,
    covered_digests: Collection[str] = (),
) -> tuple[list[IssuePlan], list[str]]:
    """The issues to make now, and the ids of articles to mark covered without sending.

    New articles are the published ones no issue has covered, whatever their date
    (an old post added today was never sent); an article whose content hash is in
    ``covered_digests`` is a covered one renamed, and is not new. ``digest`` puts the newest
    ``max_articles`` in one issue (the rest wait for the next); ``per_article`` makes
    one issue per article, oldest first. The backlog found by the very first issue is
    not mailed: it takes the newest articles and the older ones are marked covered.
    ``since`` marks everything dated before it covered instead.
    """
    settings = config.newsletter
    new = [a for a in newest_first(articles) if a.id not in covered and a.digest not in covered_digests]
    backlog: list[Article] = []
    if since is not None:
        backlog = [a for a in new if a.date < since]
        new = [a for a in new if a.date >= since]
    elif first:
        keep = settings.max_articles if settings.mode == "digest" else 1
        new, backlog = new[:keep], new[keep:]
    if settings.mode == "digest":
        plans = [IssuePlan(next_number, now, tuple(new[: settings.max_articles]))] if new else []
    else:
        plans = [IssuePlan(next_number + i, now, (a,)) for i, a in enumerate(reversed(new))]
    return plans, [a.id for a in backlog]


def render_issue(plan: IssuePlan, config: Config, env: jinja2.Environment, *,
                 nonce: str) -> tuple[Issue, list[Problem]]:
    """Render ``plan``: subject, preheader, the inlined email HTML, the text part, the web
    page; and the warnings about it (too big for Gmail, images without alt text).

    :raises TemplateError: a template or the subject template is broken; nothing is lost,
        since nothing has been recorded yet.
    """
    settings = config.newsletter
    views = [_article_view(a) for a in plan.articles]
    lead = views[0]
    context: dict[str, Any] = {
        "site": _site_view(config),
        "issue": {"number": plan.number, "date": plan.date, "subject": "", "preheader": ""},
        "articles": views,
        "lead": lead,
        "full_content": settings.full_content,
        "archive_url": archive_url(config),
        "postal_address": settings.postal_address,
        "feeds": feed_links(config),
    }
    subject = " ".join(render_string(env, settings.subject, context, what="[newsletter] subject").split())
    preheader = settings.preheader or truncate_words(lead["summary"], PREHEADER_WORDS)
    context["issue"] = {**context["issue"], "subject": subject, "preheader": preheader}
    marks = placeholders(nonce)
    email = {**context, "web": False, "web_url": issue_url(config, plan.number),
             "unsubscribe_url": marks["unsubscribe_url"],
             "subscriber": {"email": marks["email"], "name": marks["name"]}}
    web = {**context, "web": True, "web_url": "", "unsubscribe_url": "",
           "subscriber": {"email": "", "name": ""}}
    html = inline_css(render_template(env, "newsletter.html.j2", email))
    issue = Issue(
        number=plan.number,
        date=plan.date,
        subject=subject,
        preheader=preheader,
        article_ids=tuple(a.id for a in plan.articles),
        nonce=nonce,
        html=html,
        text=render_template(env, "newsletter.txt.j2", email),
        web_html=render_template(env, "newsletter.html.j2", web),
    )
    return issue, issue_problems(issue, plan, config.content_shown)


# No alt attribute, or an empty one: Markdown's ![](x.png) gives alt="".
_IMG_WITHOUT_ALT = re.compile(r"""<img\b(?![^>]*\balt=(?!""|''))[^>]*>""", re.I)


def issue_problems(issue: Issue, plan: IssuePlan, shown: str = "content") -> list[Problem]:
    """Warnings about an issue: too big for Gmail, images without alt text."""
    problems = []
    size = len(issue.personalizers()[0].fill(PREVIEW_VALUES).encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        problems.append(Problem(
            f"newsletter issue #{issue.number}",
            f"its HTML is {size / 1000:.0f} KB; Gmail clips messages over 102 KB, hiding the end "
            "and the unsubscribe link. Lower [newsletter] max_articles, or set full_content = false.",
            level="warning"))
    for article in plan.articles:
        for img in _IMG_WITHOUT_ALT.findall(render_html(article)):
            src = re.search(r'src="([^"]*)"', img)
            problems.append(Problem(
                f"{shown}/{article.path}",
                f"an image has no alt text ({src.group(1) if src else img}): readers whose mail "
                "client hides images, and screen readers, see nothing. Add one: ![what it shows](…).",
                level="warning"))
    return problems


def issue_url(config: Config, number: int) -> str:
    return f"{archive_url(config)}{number}/"


def archive_url(config: Config) -> str:
    return home_url(config.site) + "newsletters/"


def archive_feed_url(config: Config) -> str:
    return archive_url(config) + "feed.xml"


def feed_links(config: Config) -> list[dict[str, str]]:
    """The feeds a web page announces with <link rel="alternate"> (autodiscovery)."""
    base = home_url(config.site)
    title = config.site.title
    return [
        {"type": "application/rss+xml", "title": f"{title} (RSS)", "url": f"{base}feeds/rss.xml"},
        {"type": "application/atom+xml", "title": f"{title} (Atom)", "url": f"{base}feeds/atom.xml"},
        {"type": "application/feed+json", "title": f"{title} (JSON Feed)", "url": f"{base}feeds/feed.json"},
        {"type": "application/atom+xml", "title": f"{title}: newsletter archive",
         "url": archive_feed_url(config)},
    ]


def _site_view(config: Config) -> dict[str, str]:
    site = config.site
    return {"title": site.title, "base_url": home_url(site), "description": site.description,
            "language": site.language}


_IMG_WITHOUT_WIDTH = re.compile(r"<img\b(?![^>]*\bwidth=)", re.I)
CONTENT_WIDTH = 552  # the 600px column less its padding


def _article_view(article: Article) -> dict[str, Any]:
    html = render_html(article)
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "summary": summarize(article, html),
        # Outlook on Windows sizes an image by its width attribute, never by CSS.
        "html": _IMG_WITHOUT_WIDTH.sub(f'<img width="{CONTENT_WIDTH}"', html),
        "text": html_to_text(html, page_url=article.url),
        "image": article.image,
        "image_alt": article.title,
        "authors": [a.name for a in article.authors],
        "tags": list(article.tags),
        "date": article.date,
    }


# -- files: the archive, each issue's folder, the preview ------------------------------------

def preview_values(config: Config) -> dict[str, str]:
    """What fills the per-subscriber placeholders of a copy nobody receives."""
    return {**PREVIEW_VALUES, "unsubscribe_url": home_url(config.site) + "unsubscribe?token=preview"}


def issue_files(issue: Issue, folder: str, config: Config) -> dict[str, bytes]:
    """An issue's folder: the email as a subscriber sees it, its text part, its web page."""
    html, text = issue.personalizers()
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
        "site": _site_view(config),
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
    fg.updated(max((i.date for i in issues), default=NO_ENTRY_DATE))
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
