"""Files → articles: scanning the content store, its formats, dates, identity, rendering, sanitizing."""

from .dates import parse_date
from .identity import slugify
from .load import load_articles, read_content, site_context
from .model import Article, Author, LoadResult, SiteContext, SourceFile, newest_first
from .parse import parse_article
from .plaintext import html_to_text
from .render import render_html, sanitize_html, summarize
from .scaffold import init_site, new_article
from .scan import scan_content

__all__ = [
    "Article", "Author", "LoadResult", "SiteContext", "SourceFile", "html_to_text", "init_site", "load_articles",
    "new_article", "newest_first", "parse_article", "parse_date", "read_content", "render_html", "sanitize_html",
    "scan_content", "site_context", "slugify", "summarize",
]
