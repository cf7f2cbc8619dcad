"""The rules of the tools a site may come from (``[content] import``): how each makes a slug and a
URL, splits tags, and which ids its feeds give, so that posts copied over publish as they did.

Pure data and small functions; :mod:`.parse` applies them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from .identity import slugify

#: The permalink fields, for ``[content] permalink`` and a post's own ``permalink``.
PERMALINK_FIELDS = frozenset({
    "year", "month", "day", "i_month", "i_day", "y_day", "short_year", "hour", "minute", "second",
    "slug", "title", "id", "filename", "section", "path", "categories", "output_ext", "date",
})

#: Jekyll's named permalink styles.
_JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}

#: The tools' own field names for the same things.
_RENAMED = {"sections": "path", "contentbasename": "filename", "slugorfilename": "slug", "slugorcontentbasename": "slug"}

_COLON_FIELD = re.compile(r":([a-z_]+)")


def permalink_pattern(raw: str, *, literal_braces: bool = False) -> str:
    """A permalink as written (``/{year}/{slug}/``, Jekyll's and Hugo's ``/:year/:title/``, a Jekyll
    style like ``pretty``, Pelican's ``{date:%Y}``) → a :meth:`str.format` pattern of
    :data:`PERMALINK_FIELDS`. With ``literal_braces`` (a post's own Jekyll ``permalink``, which
    only knows ``:fields``), a brace is a brace."""
    raw = _JEKYLL_STYLES.get(raw, raw)
    if literal_braces:
        raw = raw.replace("{", "{{").replace("}", "}}")
    elif "{" in raw:
        return raw
    return _COLON_FIELD.sub(lambda m: "{" + _RENAMED.get(m.group(1), m.group(1)) + "}", raw)


def _pretty(text: str) -> str:
    """Jekyll's ``slugify(mode: "pretty", cased: true)``: runs of anything but letters, digits and
    ``._~!$&'()+,;=@`` become one ``-``, none at either end; case kept."""
    return re.sub(r"[^\w.~!$&'()+,;=@]+", "-", text).strip("-")


def _pelican(text: str) -> str:
    """Pelican's ``slugify``: accents dropped, anything but letters, digits, ``-`` and spaces
    removed (so ``0.9`` gives ``09``), spaces and dashes to one ``-``, lower case."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s-]", "", text).strip()
    return re.sub(r"[-\s]+", "-", text).lower()


def _hugo(text: str) -> str:
    """Hugo's URL path of a name: spaces to ``-``, lower case (``disablePathToLower`` unset)."""
    return re.sub(r"\s+", "-", text.strip()).lower()


_URL_SAFE = re.compile(r"[\w.~-]+")


def verbatim(slug: str) -> str:
    """A slug the file sets is kept as written when it is already URL-safe (``1.0-Timeline``)."""
    return slug if _URL_SAFE.fullmatch(slug) else slugify(slug)


@dataclass(frozen=True)
class Dialect:
    """One tool's rules. ``syndicate``'s own are :data:`NATIVE`."""

    name: str
    permalink: str  # the tool's default URL path, as a str.format pattern
    file_slug: Callable[[str], str]  # a file name (without date and extension) → the slug
    slug_key: Callable[[str], str] = verbatim  # the front matter ``slug`` → the slug
    slug_from_title: bool = False  # Pelican: no Slug → the title's slug, not the file name's
    tag_separator: str = r"\s*,\s*"  # how a string of tags is split
    url_key: str = ""  # the key that sets a post's whole URL path: Hugo url, Jekyll permalink, Zola path
    lower_case_urls: bool = False  # Hugo lowercases every URL path
    own_zone_urls: bool = False  # Hugo fills a permalink's date in the date's own offset, not the site's zone

    def feed_id(self, style: str, url: str, slug: str, host: str, local: datetime) -> str | None:
        """The id this tool's feeds give a post (``style`` is ``[feeds] id``, ``local`` its date in the
        site's zone); None: syndicate's own."""
        path = urlsplit(url).path
        if self.name == "jekyll" and style == "url":  # jekyll-feed: the post's id, made absolute
            return url[: len(url) - len(path)] + path.rstrip("/").rsplit("/", 1)[0] + "/" + slug
        if self.name == "pelican" and style == "tag":  # feedgenerator's get_tag_uri
            return f"tag:{host},{local:%Y-%m-%d}:{path}"
        return None


NATIVE = Dialect("", "/{year}/{month}/{slug}/", slugify)

DIALECTS = {
    "": NATIVE,
    "hugo": Dialect("hugo", "/{path}/{slug}/", _hugo, slug_key=_hugo, url_key="url", lower_case_urls=True,
                    own_zone_urls=True),
    "jekyll": Dialect("jekyll", "/{categories}/{year}/{month}/{day}/{slug}{output_ext}", _pretty, slug_key=_pretty,
                      tag_separator=r"\s+", url_key="permalink"),
    "pelican": Dialect("pelican", "/{slug}.html", _pelican, slug_key=lambda s: s, slug_from_title=True),
    "zola": Dialect("zola", "/{path}/{slug}/", slugify, slug_key=slugify, url_key="path"),
}
