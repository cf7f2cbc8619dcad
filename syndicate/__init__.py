"""syndicate: a content store → RSS, Atom and JSON feeds, and email newsletters."""

__version__ = "0.1.0"

from .config import Config, load_config
from .content.load import load_articles
from .content.model import Article, Author
from .content.parse import parse_article
from .content.render import render_html, sanitize_html, summarize
from .content.scan import scan_content
from .errors import ConfigError, ContentError, Problem, StoreError, SyndicateError
from .feeds.build import BuildReport, build_site, check_site
from .feeds.formats import build_feeds
from .feeds.plan import plan_feeds

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
