"""Article bodies → safe HTML with absolute links, and plain-text summaries. Pure functions.

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
import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

from .content import Article, clean_text

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS | {"input", "section", "picture", "source"})
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "source": {"src", "type", "media"},
    "input": {"type", "checked", "disabled"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_MD_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
_MD_EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]

SUMMARY_WORDS = 60


def render_html(article: Article) -> str:
    """The article's body as sanitized HTML whose links are all absolute."""
    if article.format == "text":
        raw = "".join(f"<p>{htmllib.escape(p, quote=False)}</p>\n" for p in article.body.split("\n\n") if p)
    else:
        raw = cmarkgfm.markdown_to_html_with_extensions(
            article.body, options=_MD_OPTIONS, extensions=_MD_EXTENSIONS
        )
    return sanitize_html(raw, base_url=article.url)


def sanitize_html(raw: str, *, base_url: str) -> str:
    """Strip everything not allowed and resolve relative URLs against ``base_url``."""
    # A character reference such as &#1; renders to a character XML cannot carry.
    return clean_text(nh3.clean(
        raw,
        tags=_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=_SCHEMES,
        url_relative=("rewrite_with_base", base_url),
        link_rel=None,
        strip_comments=True,
    ))


_TAGS = set(ALLOWED_TAGS)
_SCHEMES = set(URL_SCHEMES)


_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_TAG = re.compile(r"<[^>]+>")
_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.S)


def summarize(article: Article, html: str | None = None, *, words: int = SUMMARY_WORDS) -> str:
    """The front matter ``summary``, else the first paragraph as plain text, cut near ``words``."""
    if article.summary:
        return article.summary
    if article.format == "text":
        first = next((p for p in article.body.split("\n\n") if p.strip()), "")
    else:
        html = render_html(article) if html is None else html
        first = ""
        for m in _PARAGRAPH.finditer(html):
            first = htmllib.unescape(_TAG.sub("", _FOOTNOTE_REF.sub("", m.group(1)))).strip()
            if first:
                break
    return truncate_words(" ".join(first.split()), words)


def truncate_words(text: str, words: int) -> str:
    """Cut ``text`` at a word boundary after ``words`` words, marking the cut with '…'."""
    parts = text.split(" ")
    if len(parts) <= words:
        return text
    return " ".join(parts[:words]).rstrip(",;:-–—") + "…"
