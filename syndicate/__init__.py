"""syndicate: a content store → RSS, Atom and JSON feeds, and email newsletters.

Its names are loaded when first used (see ``syndicate._lazy``).
"""

__version__ = "0.1.0"

from ._lazy import lazy_names as _lazy_names

_MODULES = {
    "Config": "config", "load_config": "config", "load_articles": "content.load", "Article": "content.model",
    "Author": "content.model", "parse_article": "content.parse", "render_html": "content.render",
    "sanitize_html": "content.render", "summarize": "content.render", "scan_content": "content.scan",
    "ConfigError": "errors", "ContentError": "errors", "Problem": "errors", "StoreError": "errors",
    "SyndicateError": "errors", "BuildReport": "feeds.build", "build_site": "feeds.build",
    "check_site": "feeds.make", "build_feeds": "feeds.formats", "plan_feeds": "feeds.plan",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
