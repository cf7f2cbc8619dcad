"""syndicate: a content store → RSS, Atom and JSON feeds, and email newsletters."""

__version__ = "0.1.0"

from .build import BuildReport, build_site, check_site
from .config import Config, load_config
from .content import Article, Author, load_articles, parse_article, scan_content
from .errors import ConfigError, ContentError, Problem, StoreError, SyndicateError
from .feeds import build_feeds, plan_feeds
from .render import render_html, sanitize_html, summarize

__all__ = [
    "Article",
    "Author",
    "BuildReport",
    "Config",
    "ConfigError",
    "ContentError",
    "Problem",
    "StoreError",
    "SyndicateError",
    "build_feeds",
    "build_site",
    "check_site",
    "load_articles",
    "load_config",
    "parse_article",
    "plan_feeds",
    "render_html",
    "sanitize_html",
    "scan_content",
    "summarize",
]
