"""Articles → the bytes of RSS 2.0, Atom 1.0 and JSON Feed 1.1, and the build that writes them."""

from .build import BuildReport, build_site, check_site
from .formats import FORMATS, MEDIA_TYPES, build_feeds
from .plan import FeedSpec, plan_feeds

__all__ = ["BuildReport", "FORMATS", "FeedSpec", "MEDIA_TYPES", "build_feeds", "build_site", "check_site",
           "plan_feeds"]
