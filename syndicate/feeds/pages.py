"""Articles → the site's own pages: one per article at its permalink, one per tag, and the home page.

Written when syndicate is the whole site (:attr:`Config.writes_pages`), so that every link
in a feed or an email lands on a page. A page carries the same sanitized HTML as the feeds,
announces the feeds for autodiscovery and links to the subscribe page. Nothing on a page
comes from the clock, so the same articles give the same bytes (and no file is rewritten).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from .._parallel import map_batches
from ..config import Config
from ..content.identity import slugify
from ..content.model import Article, newest_first
from ..content.render import render_html, summarize
from ..errors import Problem
from ..newsletter.links import archive_url, feed_links, site_view
from ..templating import render_template, template_env
from .formats import feed_url
from .plan import by_tag

if TYPE_CHECKING:
    import jinja2  # the environments come from templating.template_env, which loads it

#: The first parts of a path that are not an article's: syndicate's own folders and files (a
#: page there would replace a feed, an issue, a message or the home page) and the addresses
#: ``syndicate serve`` answers itself (a page there could never be seen).
RESERVED = ("feeds", "newsletters", "outbox", "tags", "index.html", "subscribe", "confirm", "unsubscribe")

HOME_ARTICLES = 20


@dataclass(frozen=True)
class _Page:
    id: str
    rel: str
    data: bytes
    summary: str


def page_path(url: str, home_url: str) -> str | None:
    """The file under the output folder that serves ``url``, or None when no page can be there.

    ``/2026/03/ferry/`` → ``2026/03/ferry/index.html``; ``/2026/ferry.html`` stays as it is;
    ``/notes/ferry`` (no slash, no extension) → ``notes/ferry/index.html``, which a static
    server and ``syndicate serve`` both serve at that URL.
    """
    if not url.startswith(home_url):
        return None
    rel = url[len(home_url):]
    if _PLAIN.fullmatch(rel):  # as quote() writes a path: the whole of it is the path (no urlsplit, 10,000 times)
        rel = unquote(rel)
    else:
        rel = unquote(urlsplit(rel).path)
    parts = rel.split("/")
    if not rel or rel.startswith("/") or parts[0] in RESERVED or "\\" in rel or "\0" in rel \
            or any(p in ("", ".", "..") or p.startswith(".") for p in parts[:-1]) or parts[-1].startswith("."):
        return None
    if rel.endswith("/"):
        return rel + "index.html"
    return rel if rel.endswith((".html", ".htm")) else rel + "/index.html"


_PLAIN = re.compile(r"[\w\-./~!$&'()*+,;=@%]*", re.ASCII)  # no scheme's ':', no '?' or '#', no space


def _folders(rel: str) -> list[str]:
    """``a/b/index.html`` → ``["a", "a/b"]``: the folders a file needs."""
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def tag_url(config: Config, slug: str) -> str:
    return f"{config.site.home_url}tags/{quote(slug, safe='-._~')}/"


def plan_pages(articles: Sequence[Article], config: Config) -> tuple[dict[str, Article], list[Problem]]:
    """The articles that get a page, by the page's path under the output folder, newest first
    (see :func:`page_path`), and a warning for each that cannot: its URL is
    outside ``base_url``, in a part of the site syndicate makes itself, or its page's file is the
    same as a newer article's (``/a/`` and ``/a/index.html``), or a folder of it (``/a.html``
    and ``/a.html/b/``)."""
    home = config.site.home_url
    problems: list[Problem] = []
    paths: dict[str, Article] = {}
    folders: dict[str, Article] = {}  # every folder a page is in, and the first article that needs it
    for article in newest_first(articles):
        rel = page_path(article.url, home)
        above = _folders(rel) if rel is not None else []
        clash = None if rel is None else paths.get(rel) or folders.get(rel) or next(
            (paths[f] for f in above if f in paths), None)
        if rel is not None and clash is None:
            paths[rel] = article
            for folder in above:
                folders.setdefault(folder, article)
            continue
        if clash is not None:
            why = (f"is also the URL of {clash.path}" if rel in paths else
                   f"needs a file where the page of {clash.path} needs a folder, or the other way round")
        elif not article.url.startswith(home):
            why = f"is not under [site] base_url {home}"
        else:
            why = ("is the home page, in a part of the site syndicate makes itself (" + ", ".join(RESERVED)
                   + "), or has a part starting with '.'")
        problems.append(Problem(article.path, f"its URL {article.url} {why}, so it gets no page of its own "
                                              "(it is in the feeds). Give it another slug or permalink.",
                                level="warning"))
    return paths, problems


def listing_keys(pages: Mapping[str, Article], article_keys: Mapping[str, str]) -> dict[str, str]:
    """What each page that lists articles is made from, as a hash, by its path: each tag's page
    (the tag and its articles), the page of tags (their names and counts) and the home page (its
    articles); ``article_keys``: each article's :func:`~syndicate.content.cache.article_key`, by
    id. With the settings and templates unchanged, the same key means the same page."""
    articles = list(pages.values())
    by_slug, names = by_tag(articles)
    keys = {f"tags/{slug}/index.html": _hash(slug, names[slug], *(article_keys[a.id] for a in listed))
            for slug, listed in by_slug.items()}
    if by_slug:
        keys["tags/index.html"] = _hash(*(f"{slug}\0{names[slug]}\0{len(by_slug[slug])}" for slug in sorted(by_slug)))
    keys["index.html"] = _hash(*(article_keys[a.id] for a in articles[:HOME_ARTICLES]))
    return keys


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def build_pages(pages: Mapping[str, Article], config: Config, *, unchanged: Set[str] = frozenset()
                ) -> dict[str, bytes]:
    """The pages of the site, path under the output folder → bytes, for the articles that
    :func:`plan_pages` gives a page (by path, newest first): each article's page, the tag pages,
    the page of tags and the home page; but those whose path is in ``unchanged`` (the page on
    disk is current: see :func:`listing_keys`).

    :raises TemplateError: a page template is broken.
    """
    _ENVS.clear()  # templates read afresh on every build (one added since the last is seen)
    files: dict[str, bytes] = {}
    summaries: dict[str, str] = {}
    todo = [(rel, a) for rel, a in pages.items() if rel not in unchanged]
    for batch in map_batches(_article_pages, todo, config):
        for page in batch:
            files[page.rel] = page.data
            summaries[page.id] = page.summary
    articles = list(pages.values())
    env = _env(config.templates_dir)
    files.update(_tag_pages(articles, config, env, unchanged))
    if "index.html" not in unchanged:
        files["index.html"] = _render(env, "home.html.j2", config, articles=[
            _listed(a, summaries.get(a.id) or summarize(a)) for a in articles[:HOME_ARTICLES]])
    return files


def _article_pages(batch: Sequence[tuple[str, Article]], config: Config) -> list[_Page]:
    """Render each article's page at its path (in a worker process for a large site)."""
    env = _env(config.templates_dir)
    out = []
    for rel, article in batch:
        html = render_html(article)
        summary = summarize(article, html)
        data = _render(env, "article.html.j2", config, article={
            "title": article.title, "url": article.url, "date": article.date, "updated": article.updated,
            "authors": [a.name for a in article.authors], "summary": summary, "html": html,
            "image": article.image,
            "tags": [{"name": t, "url": tag_url(config, slugify(t))} for t in article.tags],
        })
        out.append(_Page(article.id, rel, data, summary))
    return out


def _tag_pages(articles: Sequence[Article], config: Config, env: jinja2.Environment,
               unchanged: Set[str]) -> Iterator[tuple[str, bytes]]:
    """``tags/<slug>/index.html`` for each tag (tags that slug alike are one), and ``tags/index.html``,
    but those in ``unchanged``. A tag's page lists titles and dates (a tag of thousands of
    articles stays a page to read)."""
    by_slug, names = by_tag(articles)
    for slug in sorted(by_slug):
        if f"tags/{slug}/index.html" in unchanged:
            continue
        folder = f"feeds/tags/{slug}"
        feeds = [{"type": "application/atom+xml", "title": f"{config.site.title}: {names[slug]} (Atom)",
                  "url": feed_url(config.site, folder, "atom.xml")},
                 {"type": "application/rss+xml", "title": f"{config.site.title}: {names[slug]} (RSS)",
                  "url": feed_url(config.site, folder, "rss.xml")}] if config.feeds.tag_feeds else []
        yield f"tags/{slug}/index.html", _render(env, "tag.html.j2", config, extra_feeds=feeds, tag={
            "name": names[slug], "url": tag_url(config, slug), "feeds": feeds,
            "articles": [_listed(a) for a in by_slug[slug]]})
    if by_slug and "tags/index.html" not in unchanged:
        yield "tags/index.html", _render(env, "tags.html.j2", config, tags=[
            {"name": names[s], "url": tag_url(config, s), "count": len(by_slug[s])}
            for s in sorted(by_slug, key=lambda s: names[s].casefold())])


def _listed(article: Article, summary: str = "") -> dict[str, Any]:
    return {"title": article.title, "url": article.url, "date": article.date, "summary": summary}


def _render(env: jinja2.Environment, template: str, config: Config, *, extra_feeds: Sequence[dict[str, str]] = (),
            **context: Any) -> bytes:
    return render_template(env, template, {
        "site": site_view(config), "feeds": [*extra_feeds, *feed_links(config)],
        "archive_url": archive_url(config), "tags_url": config.site.home_url + "tags/", **context}).encode("utf-8")


_ENVS: dict[Path | None, jinja2.Environment] = {}


def _env(templates_dir: Path | None) -> jinja2.Environment:
    """One template environment per build and process (a worker makes its own, once)."""
    key = templates_dir.resolve() if templates_dir else None  # a relative path is the cwd's
    if key not in _ENVS:
        _ENVS[key] = template_env(key)
    return _ENVS[key]
