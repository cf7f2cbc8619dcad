"""Articles → issues: planning, templates, CSS inlining, per-subscriber placeholders, the archive.

Each name is imported from its module when first asked for, so that a command pays at
start-up only for the modules it uses.
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "archive_files": "archive", "issue_files": "archive", "NewsletterReport": "make", "make_newsletter": "make",
    "Personalizer": "personalize", "personalizers": "personalize", "IssuePlan": "plan", "plan_issues": "plan",
    "render_issue": "render",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
