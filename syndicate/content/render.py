"""Article bodies → safe HTML with absolute links, and plain-text summaries. Pure functions.
(Their plain text for an email's text part is ``plaintext.html_to_text``.)

Markdown is CommonMark with GitHub's extensions (tables, strikethrough, autolinks,
task lists, footnotes), rendered by cmark-gfm. Raw HTML in an article is kept and
then sanitized with nh3 against :data:`ALLOWED_TAGS` and :data:`ALLOWED_ATTRIBUTES`:
no ``<script>``, ``<iframe>``, ``<style>``, ``on*`` handler or ``javascript:`` URL
reaches a feed or an email. Relative ``href`` and ``src`` are resolved against the
article's URL, since a feed reader has no page to resolve them against.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import replace

import nh3
from cmarkgfm.cmark import Options

from .chars import clean_text
from .cmark import markdown_to_html
from .limits import MAX_HTML_DEPTH, flatten_nesting
from .model import Article
from .plaintext import html_to_text
from .text import lead as text_lead

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS | {"section", "picture", "source"})

ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "source": {"src", "type", "media"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_MD_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES

_MD_EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]

#: A task list's box as cmark-gfm writes it. It becomes a character: a form control with no
#: label is a fault for screen readers, and Gmail and Outlook drop <input> altogether.
_TASK_BOX = re.compile(r'<input type="checkbox" (checked="" )?disabled="" />')

SUMMARY_WORDS = 60


# A character reference to no character a feed may carry (NUL, a surrogate, U+FFFE, U+FFFF,
# past U+10FFFF) is left out: cmark-gfm writes U+FFFE and U+FFFF as bytes that are not UTF-8
# (and fails), the others as U+FFFD, which feed validators flag.
_CHARACTER_REF = re.compile(r"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")


def _drop_bad_reference(match: re.Match[str]) -> str:
    digits = match.group(1)
    code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
    bad = code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF or code & 0xFFFE == 0xFFFE
    return "" if bad else match.group(0)


def render_html(article: Article) -> str:
    """The article's body as sanitized HTML whose links are all absolute, nested at most
    :data:`~syndicate.content.limits.MAX_HTML_DEPTH` deep."""
    if article.format == "text":
        raw = "".join(f"<p>{htmllib.escape(p, quote=False)}</p>\n" for p in article.body.split("\n\n") if p)
    elif article.format == "html":
        raw = _CHARACTER_REF.sub(_drop_bad_reference, article.body)
    else:
        body = _CHARACTER_REF.sub(_drop_bad_reference, article.body) if "&#" in article.body else article.body
        if body.count(">") > 1000:  # quotes in quotes past the depth kept: as deep as kept (cmark costs 500 MB a MB)
            body = _DEEP_QUOTE.sub("> " * MAX_HTML_DEPTH, body)
        try:
            raw = markdown_to_html(body, _MD_OPTIONS, _MD_EXTENSIONS)
        except UnicodeDecodeError:  # another such bug: show every character reference as written
            raw = markdown_to_html(body.replace("&#", "&amp;#"), _MD_OPTIONS, _MD_EXTENSIONS)
        if "<input" in raw:
            raw = _TASK_BOX.sub(lambda m: "\u2611" if m.group(1) else "\u2610", raw)
    return sanitize_html(raw, base_url=article.url)


def sanitize_html(raw: str, *, base_url: str) -> str:
    """Strip everything not allowed, flatten what is nested too deep, and resolve relative URLs
    against ``base_url``."""
    if "oscript" in raw or "OSCRIPT" in raw or "Script" in raw:  # <noscript>, in any case
        raw = _unwrap_noscript(raw)
    # A character reference such as &#1; renders to a character XML cannot carry.
    clean = clean_text(nh3.clean(
        flatten_nesting(raw),
        tags=_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=_SCHEMES,
        url_relative=("rewrite_with_base", base_url),
        link_rel=None,
        strip_comments=True,
    ))
    # An image with no source (a lazy loader's placeholder, a javascript: one removed) shows nothing.
    return _IMAGE_WITHOUT_SOURCE.sub("", clean) if "<img" in clean else clean

_TAGS = set(ALLOWED_TAGS)

_DEEP_QUOTE = re.compile(rf"^(?:[ \t]{{0,3}}>){{{MAX_HTML_DEPTH},}}[ \t]?", re.M)

_IMAGE_WITHOUT_SOURCE = re.compile(r"<img\b(?![^>]*\ssrc=)[^>]*>")

_NOSCRIPT_TAG = re.compile(r"<(/?)noscript\b[^>]{0,500}>", re.I)


def _unwrap_noscript(html: str) -> str:
    """A lazy-loading page's real image sits in ``<noscript>`` (the HTML parser would read it as
    text, since scripts run there): each outermost ``<noscript>`` gives its content when it holds
    an image, nothing otherwise ("please enable JavaScript"). Tags are paired in one pass."""
    out, at, opening, depth = [], 0, None, 0
    for tag in _NOSCRIPT_TAG.finditer(html):
        if not tag.group(1):
            depth += 1
            if depth == 1:
                opening = tag
        elif depth:
            depth -= 1
            if depth == 0 and opening is not None:
                inner = html[opening.end():tag.start()]
                out += [html[at:opening.start()], inner if _HAS_IMAGE.search(inner) else ""]
                at = tag.end()
    return "".join(out) + html[at:]


_HAS_IMAGE = re.compile(r"<(?:img|picture)\b", re.I)



_SCHEMES = set(URL_SCHEMES)

_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)

_TAG = re.compile(r"<[^>]+>")

_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.S)


def summarize(article: Article, html: str | None = None, *, words: int = SUMMARY_WORDS) -> str:
    """The front matter ``summary`` (or ``description``, ``excerpt``); else the part before
    ``<!--more-->`` (or the ``excerpt_separator``), else the first paragraph, as plain text cut near
    ``words``; a body with no paragraph gives its first block of text (a list item, a heading), and
    one with no text at all its first image's alt text, else the title: never blank."""
    if article.summary:
        return article.summary
    if article.format == "text":
        return truncate_words(" ".join(text_lead(article.body).split()), words)
    body = article.body
    cut = body.find(article.excerpt_separator) if article.excerpt_separator else -1
    if cut < 0 and "more" in body:
        m = _MORE.search(body)
        cut = m.start() if m else -1
    if cut > 0:
        lead = render_html(replace(article, source=body[:cut].encode("utf-8")))
        text = " ".join(htmllib.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", _FOOTNOTE_REF.sub("", lead)))).split())
        if text:
            return truncate_words(text, words * 3)  # the author's own cut: kept whole unless very long
    html = render_html(article) if html is None else html
    first = ""
    for m in _PARAGRAPH.finditer(html):
        first = htmllib.unescape(_TAG.sub("", _FOOTNOTE_REF.sub("", m.group(1)))).strip()
        if first:
            break
    if not first:  # no paragraph: a list, a heading, a table
        first = next((_LINE_MARKS.sub("", line) for line in html_to_text(html, page_url=article.url, width=10**6)
                      .splitlines() if _LINE_MARKS.sub("", line)), "")
    if first.startswith("[") and first.endswith("]") and _ALT.search(html):  # only an image: what it shows
        first = first[1:-1]
    first = first if first.strip() else article.title  # no text at all: the title, never blank
    return truncate_words(" ".join(first.split()), words)


_ALT = re.compile(r'<img\b[^>]*\balt="([^"]*)"')

# What html_to_text starts a line with (quotes, items, task boxes), or a line of nothing else
# (a heading's underline, a rule): not text to sum an article up with.
_LINE_MARKS = re.compile(r"^(?:[=*\s-]+$|(?:\s|>|-(?=\s|$)|\d+\.(?=\s|$)|\[[ x]\](?=\s))*)")


_MORE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)

_BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|h[1-6]|br|tr|td|th|blockquote|pre|figure|figcaption)\b[^>]*>")


def truncate_words(text: str, words: int) -> str:
    """Cut ``text`` at a word boundary after ``words`` words, marking the cut with '…'."""
    parts = text.split(" ")
    if len(parts) <= words:
        return text
    return " ".join(parts[:words]).rstrip(",;:-–—") + "…"
