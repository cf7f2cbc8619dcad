"""Articles → issues: planning, templates, CSS inlining, per-subscriber placeholders, the archive."""

from .archive import archive_files, issue_files
from .make import NewsletterReport, make_newsletter
from .personalize import Personalizer, personalizers
from .plan import IssuePlan, plan_issues
from .render import render_issue

__all__ = ["IssuePlan", "NewsletterReport", "Personalizer", "archive_files", "issue_files", "make_newsletter",
           "personalizers", "plan_issues", "render_issue"]
