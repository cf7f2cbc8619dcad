"""Articles → issues: planning, templates, CSS inlining, per-subscriber placeholders, the archive.

Its names are loaded when first used (see ``syndicate._lazy``).
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "archive_files": "archive", "issue_files": "archive", "NewsletterReport": "make", "make_newsletter": "make",
    "Personalizer": "personalize", "personalizers": "personalize", "IssuePlan": "plan", "plan_issues": "plan",
    "render_issue": "render",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
