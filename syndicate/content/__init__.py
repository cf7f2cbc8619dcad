"""Files → articles: scanning the content store, its formats, dates, identity, rendering, sanitizing.

Its names are loaded when first used (see ``syndicate._lazy``).
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "parse_date": "dates", "slugify": "identity", "load_articles": "load", "read_content": "load",
    "site_context": "load", "Article": "model", "Author": "model", "LoadResult": "model",
    "SiteContext": "model", "SourceFile": "model", "newest_first": "model", "parse_article": "parse",
    "html_to_text": "plaintext", "render_html": "render", "sanitize_html": "render", "summarize": "render",
    "init_site": "scaffold", "new_article": "scaffold", "scan_content": "scan",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
