"""An issue rendered: subject, preheader, the inlined email, its text part, its web page. Pure.

:func:`render_issue` renders a plan (``newsletter.plan``) with jinja2 and inlines its CSS
once, leaving per-subscriber placeholders in (see ``newsletter.personalize``). Recording
issues is the state's job, writing files ``newsletter.make``'s.
"""

from __future__ import annotations

import html as htmllib
import re
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..content.model import Article
from ..content.plaintext import html_to_text
from ..content.render import render_html, summarize, truncate_words
from ..errors import Problem, TemplateError
from ..state import Issue
from ..templating import render_string, render_template
from .inline import inline_css
from .links import archive_url, feed_links, issue_url, site_view
from .personalize import personalizers, placeholders
from .plan import IssuePlan

if TYPE_CHECKING:
    import jinja2  # the environments come from templating.template_env, which loads it

GMAIL_CLIP_BYTES = 102_000  # Gmail hides the rest of a message whose HTML is larger


PREHEADER_WORDS = 25


#: What stands in for the per-subscriber values where there is no subscriber (previews).
PREVIEW_VALUES = {"unsubscribe_url": "", "email": "reader@example.com", "name": "Reader"}


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
        "site": site_view(config),
        "issue": {"number": plan.number, "date": plan.date, "subject": "", "preheader": ""},
        "articles": views,
        "from_sources": [v for v in views if v["source"]],
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
    rendered = render_template(env, "newsletter.html.j2", email)
    if marks["unsubscribe_url"] not in rendered:
        raise TemplateError(f"newsletter issue #{plan.number}: the email has no unsubscribe link, so it was not "
                            "made: every newsletter must let its reader leave (CAN-SPAM, GDPR, RFC 8058). Put "
                            "{{ unsubscribe_url }} in a link in the template (the packaged _footer.html.j2 has one).")
    html = inline_css(rendered)
    _check_inlined(rendered, html, plan, marks["unsubscribe_url"], settings.postal_address)
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


def _check_inlined(rendered: str, inlined: str, plan: IssuePlan, unsubscribe: str, postal_address: str) -> None:
    """What the template rendered must all be in the email after its CSS is inlined: every
    article, the unsubscribe link, the postal address and the end of the document. (An
    inliner that cannot parse the HTML, nested too deep, say, may cut it short silently.)

    :raises TemplateError: naming what is missing; nothing has been recorded.
    """
    marks = [(f"the article {a.title!r}", htmllib.escape(a.url)) for a in plan.articles]
    marks += [("the unsubscribe link", unsubscribe), ("the postal address", htmllib.escape(postal_address)),
              ("the end of the email", "</html>")]
    lost = [what for what, mark in marks if mark and mark in rendered and mark not in inlined]
    if lost:
        listed = " and ".join([", ".join(lost[:-1]), lost[-1]] if len(lost) > 1 else lost)
        raise TemplateError(f"newsletter issue #{plan.number}: after its CSS was inlined, the email lacks "
                            f"{listed}: the inliner cut it short, so the issue was not made. Look for markup "
                            "nested very deep, in the template or the articles.")


# No alt attribute, or an empty one: Markdown's ![](x.png) gives alt="".
_IMG_WITHOUT_ALT = re.compile(r"""<img\b(?![^>]*\balt=(?!""|''))[^>]*>""", re.I)


def issue_problems(issue: Issue, plan: IssuePlan, shown: str = "content") -> list[Problem]:
    """Warnings about an issue: too big for Gmail, images without alt text."""
    problems = []
    size = len(personalizers(issue)[0].fill(PREVIEW_VALUES).encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        problems.append(Problem(
            f"newsletter issue #{issue.number}",
            f"its HTML is {size / 1000:.0f} KB; Gmail clips messages over 102 KB, hiding the end "
            "and the unsubscribe link. Lower [newsletter] max_articles, or set full_content = false.",
            level="warning"))
    for article in plan.articles:
        if article.origin:  # another site's entry: not the publisher's to fix
            continue
        for img in _IMG_WITHOUT_ALT.findall(render_html(article)):
            src = re.search(r'src="([^"]*)"', img)
            problems.append(Problem(
                f"{shown}/{article.path}",
                f"an image has no alt text ({src.group(1) if src else img}): readers whose mail "
                "client hides images, and screen readers, see nothing. Add one: ![what it shows](…).",
                level="warning"))
    return problems


CONTENT_WIDTH = 552  # the 600px column less its padding


_IMG = re.compile(r"<img\b[^>]*>", re.I)

_SIZE = re.compile(r'\s(width|height)="\s*(\d{1,6})(?:px)?\s*"', re.I)


def _fit_images(html: str) -> str:
    """Each image of an article sized for the column, whatever the mail client.

    Every client but Outlook on Windows reads the CSS: ``max-width:100%; height:auto`` (from
    newsletter.css) keeps an image within the column, and a small one at its own size. Outlook
    on Windows reads only the ``width`` attribute, so that is what this sets:

    - declared wider than the column (``width="2000"``): ``width="552"``, its height scaled to match;
    - declared no wider (an icon, ``width="16"``): kept as it is;
    - no width: ``width="552"`` for Outlook, which would show a big photo at its full size and
      widen the whole email, with ``style="width:auto"``, which every other client honours
      (Outlook does not read CSS widths on images): they show it at its own size, never
      stretched. So an icon without a width is stretched in Outlook alone; give it one.
    A width that is no plain number of pixels (``50%``) is left to the client.
    """
    if "<img" not in html and "<IMG" not in html:
        return html
    return _IMG.sub(_fit_image, html)


def _fit_image(match: re.Match[str]) -> str:
    tag = match.group(0)
    if re.search(r"\swidth=", tag, re.I) is None:
        return f'<img width="{CONTENT_WIDTH}" style="width:auto"{tag[4:]}'
    sizes = {name.lower(): int(value) for name, value in _SIZE.findall(tag)}
    width = sizes.get("width", 0)
    if width <= CONTENT_WIDTH:
        return tag
    scaled = {"width": CONTENT_WIDTH, "height": round(sizes.get("height", 0) * CONTENT_WIDTH / width)}
    return _SIZE.sub(lambda m: f' {m.group(1)}="{scaled[m.group(1).lower()]}"', tag)


_HEADING = re.compile(r"<(/?)h([1-6])\b", re.I)


def _demote_headings(html: str) -> str:
    """An article's own headings two ranks down (``<h1>`` → ``<h3>``, at most ``<h6>``): in the
    email the site is the ``<h1>`` and each article's title an ``<h2>``."""
    if "<h" not in html and "<H" not in html:
        return html
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}", html)


def _wrap_tables(html: str) -> str:
    """Each table of an article in a box of its own that scrolls sideways, so that a wide one
    never widens the email (on a phone, every line would be cut)."""
    if "<table" not in html:
        return html
    return html.replace("<table", '<div class="table-wrap"><table').replace("</table>", "</table></div>")


def _article_view(article: Article) -> dict[str, Any]:
    html = render_html(article)
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "summary": summarize(article, html),
        "html": _demote_headings(_wrap_tables(_fit_images(html))),
        "text": html_to_text(html, page_url=article.url),
        "image": article.image,
        "image_alt": article.title,
        # An entry of [[sources]] credited to its site alone names it once, as its source.
        "authors": [a.name for a in article.authors if not (article.origin and a.name == article.origin)],
        "tags": list(article.tags),
        "date": article.date,
        # An entry of [[sources]]: the site it came from, named and linked; None for a local article.
        "source": {"name": article.origin, "url": article.origin_url} if article.origin else None,
    }
