"""Feeds end to end: tests/data/site → output/feeds/**, read back the way feed readers read them.

feedparser and lxml read what ``build_site`` writes. Every expected value below is written
out by hand from the articles in tests/data/site/content/ (not computed by the package), so
that a test fails when the package changes what it publishes, not only when it crashes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.config import load_config
from syndicate.content.model import SiteContext
from syndicate.content.parse import parse_article
from syndicate.errors import ContentError
from syndicate.feeds.build import BuildReport, build_site
from syndicate.feeds.formats import build_feeds
from syndicate.feeds.plan import plan_feeds

DATA = Path(__file__).parent / "data"
EXPECTED_DIR = DATA / "expected"

HOME = "https://blog.example.org/"
SITE_TITLE = "Test Site & Friends"
SITE_DESCRIPTION = 'A site for the tests: <escaping> & "quotes".'
FORMATS = ("rss.xml", "atom.xml", "feed.json")
MEDIA_TYPES = {"rss.xml": "application/rss+xml", "atom.xml": "application/atom+xml"}
ATOM = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM, "content": "http://purl.org/rss/1.0/modules/content/",
      "dc": "http://purl.org/dc/elements/1.1/"}

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))

ESCAPING_TITLE = "AT&T x < y > z \"quoted\" 'single' ]]> end"
ESCAPING_SUMMARY = "Summary with & and < and > and ]]> kept exactly."
ESCAPING_TEXT = 'Text with & and < and > and ]]> and "quotes" in it.'
# Emoji (with a zero-width joiner), Japanese, Hebrew and Arabic, as in 2026-01-05-escaping.md.
WORLD_TEXT = (
    "Emoji \U0001f680\U0001f469\u200d\U0001f4bb, CJK \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8, "
    "right-to-left: \u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd and "
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645."
)

#: The published articles of tests/data/site, newest first, as a feed reader should see them.
ARTICLES: dict[str, dict[str, Any]] = {
    "news-story": {
        "title": "Council approves new ferry: a plain-text article",
        "url": "https://blog.example.org/2026/04/news-story/",
        "id": "tag:blog.example.org,2026-04-01:news-story",
        "published": datetime(2026, 4, 1, 16, 45, tzinfo=CEST),
        "updated": datetime(2026, 4, 1, 16, 45, tzinfo=CEST),
        "summary": "The harbour council voted on Tuesday evening to replace the old ferry.",
        "html": [
            "<p>The harbour council voted on Tuesday evening to replace the old ferry.</p>\n"
            "<p>The new boat will carry 180 passengers.</p>\n"
            '<p>"It is quieter," said the chair. It costs \u20ac2.4 million.</p>',
        ],
        "tags": ["news", "local"],
        "authors": [{"name": "Maria Costa"}],
        "image": None,
    },
    "features": {
        "title": "Markdown features",
        "url": "https://blog.example.org/2026/03/features/",
        "id": "urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b",
        "published": datetime(2026, 3, 10, 9, 30, tzinfo=CET),
        "updated": datetime(2026, 3, 12, 18, 0, tzinfo=CET),
        "summary": "First paragraph with a footnote.",
        "html": [
            '<p>First paragraph with a footnote.<sup class="footnote-ref"><a '
            'href="https://blog.example.org/2026/03/features/#fn-1" id="fnref-1">1</a></sup></p>',
            '<th align="right">b</th>',
            '<p><del>struck</del> and <a href="https://autolink.example.com/">'
            "https://autolink.example.com/</a> and</p>",
            '<li>\u2611 done</li>',  # a task list's box is a character: no unlabelled control
            '<pre><code class="language-python">if a &lt; b and c &gt; d:\n    print("&amp;")\n</code></pre>',
            '<li id="fn-1">',
        ],
        "tags": ["markdown", "caf\u00e9"],
        "authors": [{"name": "L\u00e9a Dubois", "url": "https://blog.example.org/about/lea/"},
                    {"name": "Kenji Watanabe"}],
        "image": "https://blog.example.org/2026/03/features/images/cover.jpg",
    },
    "unsafe": {
        "title": "Unsafe HTML is sanitized",
        "url": "https://blog.example.org/2026/02/unsafe/",
        "id": "tag:blog.example.org,2026-02-01:unsafe",
        "published": datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc),
        "updated": datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc),
        "summary": "Handlers go.",
        "html": [
            "<p>Handlers go.</p>",
            "<a>a javascript link</a>",
            '<img src="https://blog.example.org/2026/02/unsafe/x.png" alt="An image">',
            '<a href="https://blog.example.org/2026/02/other/">relative link</a>',
        ],
        "tags": ["security"],
        "authors": [{"name": "Test Author"}],  # the site's author: the article names none
        "image": None,
    },
    "control": {
        "title": "Controlchars dropped",
        "url": "https://blog.example.org/2026/01/control/",
        "id": "tag:blog.example.org,2026-01-06:control",
        "published": datetime(2026, 1, 6, 0, 0, tzinfo=CET),  # a bare date, in Europe/Berlin
        "updated": datetime(2026, 1, 6, 0, 0, tzinfo=CET),
        "summary": "Bell and form feed and null go away.",
        "html": ["<p>Bell and form feed and null go away.</p>"],
        "tags": ["escaping"],
        "authors": [{"name": "Test Author"}],
        "image": None,
    },
    "escaping": {
        "title": ESCAPING_TITLE,
        "url": "https://blog.example.org/2026/01/escaping/",
        "id": "tag:blog.example.org,2026-01-05:escaping",
        "published": datetime(2026, 1, 5, 10, 0, tzinfo=CET),
        "updated": datetime(2026, 1, 5, 10, 0, tzinfo=CET),
        "summary": ESCAPING_SUMMARY,
        "html": [
            '<p>Text with &amp; and &lt; and &gt; and ]]&gt; and "quotes" in it.</p>\n'
            f"<p>{WORLD_TEXT}</p>",
        ],
        "tags": ["escaping", "c++", "caf\u00e9"],
        "authors": [{"name": "Ana & Ben"}],
        "image": None,
    },
}
ORDER = list(ARTICLES)  # newest first
FUTURE_URL = "https://blog.example.org/2027/01/future/"  # 2027-01-01-future.md, once published
URL_TO_SLUG = {a["url"]: slug for slug, a in ARTICLES.items()} | {FUTURE_URL: "future"}

#: Tag folder → the articles it holds, newest first. Tags that slug alike are one feed.
TAG_FEEDS = {
    "c-plus-plus": ("c++", ["escaping"]),
    "cafe": ("caf\u00e9", ["features", "escaping"]),
    "escaping": ("escaping", ["control", "escaping"]),
    "local": ("local", ["news-story"]),
    "markdown": ("markdown", ["features"]),
    "news": ("news", ["news-story"]),
    "security": ("security", ["unsafe"]),
}
ALL_FOLDERS = ["feeds"] + [f"feeds/tags/{slug}" for slug in TAG_FEEDS]

RFC_822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
# XML 1.0 forbids C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF; DEL and the C1
# controls are legal but discouraged (XML 1.0 section 2.2), and syndicate drops them too.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


# -- helpers ------------------------------------------------------------------------------

def build(site: Path, now: datetime) -> BuildReport:
    """Load the site's syndicate.toml and build it; the build must report no problem."""
    report = build_site(load_config(site / "syndicate.toml"), now=now)
    assert report.problems == []
    return report


def configure(site: Path, **feeds: object) -> None:
    """Rewrite the site's syndicate.toml: the test site's [site] table and these [feeds] keys."""
    original = (DATA / "site" / "syndicate.toml").read_text(encoding="utf-8")
    head = original.split("[feeds]")[0]
    lines = [f"{key} = {json.dumps(value)}" for key, value in feeds.items()]
    (site / "syndicate.toml").write_text(head + "[feeds]\n" + "\n".join(lines) + "\n", encoding="utf-8")


def output(site: Path, folder: str = "feeds", name: str = "rss.xml") -> bytes:
    return (site / "output" / folder / name).read_bytes()


def output_files(site: Path, under: str = "feeds") -> dict[str, bytes]:
    """Every file under output/``under`` (all of output/ for ""), by its path under output/."""
    root = site / "output"
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / under).rglob("*")) if p.is_file()}


def read(data: bytes) -> feedparser.FeedParserDict:
    """What a feed reader gets, without feedparser's own cleaning (we test ours, not its)."""
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def xml(data: bytes) -> lxml.etree._Element:
    return lxml.etree.fromstring(data, lxml.etree.XMLParser(resolve_entities=False, no_network=True))


def utc(struct: Any) -> datetime:
    """A feedparser ``*_parsed`` value (a UTC struct_time) as an aware datetime."""
    return datetime(*struct[:6], tzinfo=timezone.utc)


def exact_time(text: str, expected: datetime, parse: Any) -> None:
    """The written time is the expected instant, written in the article's own offset."""
    written = parse(text)
    assert written == expected and written.utcoffset() == expected.utcoffset(), text


def expected_slugs(folder: str) -> list[str]:
    """The articles a feed folder holds at the fixed clock, newest first."""
    return TAG_FEEDS[folder.rsplit("/", 1)[1]][1] if "/tags/" in folder else ORDER


def slugs_of(data: bytes, name: str) -> list[str]:
    """The articles of one feed file, in file order, by their slug in ARTICLES."""
    if name == "feed.json":
        return [URL_TO_SLUG[item["url"]] for item in json.loads(data)["items"]]
    return [URL_TO_SLUG[entry.link] for entry in read(data).entries]


def html_fields(data: bytes, name: str) -> list[tuple[str, str]]:
    """Every HTML-bearing value of one feed file, parsed out of it: (where, html)."""
    found = []
    if name == "feed.json":
        for item in json.loads(data)["items"]:
            found += [(f"{item['url']} {key}", item[key]) for key in ("content_html", "summary") if key in item]
    elif name == "rss.xml":
        for item in xml(data).iter("item"):
            found.append((f"{item.findtext('link')} description", item.findtext("description")))
            content = item.findtext("content:encoded", namespaces=NS)
            if content is not None:
                found.append((f"{item.findtext('link')} content:encoded", content))
    else:
        for entry in xml(data).iterfind("atom:entry", NS):
            link = entry.find("atom:link", NS).get("href")
            for tag in ("content", "summary"):
                value = entry.findtext(f"atom:{tag}", namespaces=NS)
                if value is not None:
                    found.append((f"{link} {tag}", value))
    return found


def fragment(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html or "<span></span>", create_parent="div")


def text_of(html: str) -> str:
    return fragment(html).text_content()


@pytest.fixture
def built(site: Path, now: datetime) -> Path:
    """The test site, built once at the fixed clock; the folder holding output/."""
    build(site, now)
    return site


# -- 1. every field of every entry, read by feedparser ---------------------------------------

def test_rss_entries_carry_every_field_of_their_articles(built: Path) -> None:
    feed = read(output(built, name="rss.xml"))
    assert [e.link for e in feed.entries] == [a["url"] for a in ARTICLES.values()]
    for entry, expected in zip(feed.entries, ARTICLES.values()):
        assert entry.title == expected["title"]
        assert entry.title_detail.type == "text/plain"
        assert entry.id == expected["id"]
        assert entry.guidislink is False
        assert utc(entry.published_parsed) == expected["published"]
        exact_time(entry.published, expected["published"], parsedate_to_datetime)
        assert "updated" not in entry  # RSS 2.0 items have no modification date
        assert unescape(entry.summary) == expected["summary"]  # <description> is escaped HTML
        [content] = entry.content
        assert content.type == "text/html"
        for part in expected["html"]:
            assert part in content.value
        assert [t.term for t in entry.tags] == expected["tags"]
        assert [a.name for a in entry.authors] == [a["name"] for a in expected["authors"]]  # dc:creator
        if expected["image"]:
            assert entry.enclosures == [{"href": expected["image"], "type": "image/jpeg", "length": "0"}]
        else:
            assert entry.enclosures == []


def test_atom_entries_carry_every_field_of_their_articles(built: Path) -> None:
    feed = read(output(built, name="atom.xml"))
    assert [e.link for e in feed.entries] == [a["url"] for a in ARTICLES.values()]
    for entry, expected in zip(feed.entries, ARTICLES.values()):
        assert entry.title == expected["title"]
        assert entry.title_detail.type == "text/plain"
        assert entry.id == expected["id"]
        assert utc(entry.published_parsed) == expected["published"]
        assert utc(entry.updated_parsed) == expected["updated"]
        exact_time(entry.published, expected["published"], datetime.fromisoformat)
        exact_time(entry.updated, expected["updated"], datetime.fromisoformat)
        assert entry.summary == expected["summary"]
        assert entry.summary_detail.type == "text/plain"
        [content] = entry.content
        assert content.type == "text/html"
        for part in expected["html"]:
            assert part in content.value
        assert [t.term for t in entry.tags] == expected["tags"]
        assert [a.name for a in entry.authors] == [a["name"] for a in expected["authors"]]
        enclosures = [link for link in entry.links if link.rel == "enclosure"]
        if expected["image"]:
            assert enclosures == [{"rel": "enclosure", "href": expected["image"], "type": "image/jpeg"}]
        else:
            assert enclosures == []


def test_json_items_carry_every_field_of_their_articles(built: Path) -> None:
    items = json.loads(output(built, name="feed.json"))["items"]
    assert [i["url"] for i in items] == [a["url"] for a in ARTICLES.values()]
    for item, expected in zip(items, ARTICLES.values()):
        assert item["id"] == expected["id"]
        assert item["title"] == expected["title"]
        assert item["summary"] == expected["summary"]
        for part in expected["html"]:
            assert part in item["content_html"]
        assert "content_text" not in item
        exact_time(item["date_published"], expected["published"], datetime.fromisoformat)
        exact_time(item["date_modified"], expected["updated"], datetime.fromisoformat)
        assert item["tags"] == expected["tags"]
        assert item["authors"] == expected["authors"]
        assert item.get("image") == expected["image"]


@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_rss_channel_link_is_the_home_page_and_the_self_link_is_the_feed(built: Path, folder: str) -> None:
    feed = read(output(built, folder, "rss.xml")).feed
    assert feed.link == HOME
    assert [link.href for link in feed.links if link.rel == "self"] == [f"{HOME}{folder}/rss.xml"]
    assert feed.language == "en"


@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_atom_feed_alternate_link_is_the_home_page_and_the_self_link_is_the_feed(
    built: Path, folder: str
) -> None:
    feed = read(output(built, folder, "atom.xml")).feed
    assert feed.link == HOME
    assert [link.href for link in feed.links if link.rel == "self"] == [f"{HOME}{folder}/atom.xml"]
    assert feed.language == "en"


def test_feed_titles_and_descriptions_are_the_site_s_and_the_tag_s(built: Path) -> None:
    for folder in ALL_FOLDERS:
        tag = TAG_FEEDS[folder.rsplit("/", 1)[1]][0] if "/tags/" in folder else None
        title = f"{SITE_TITLE}: {tag}" if tag else SITE_TITLE
        description = (f"Articles tagged \u201c{tag}\u201d on {SITE_TITLE}." if tag else SITE_DESCRIPTION)
        rss = read(output(built, folder, "rss.xml")).feed
        atom = read(output(built, folder, "atom.xml")).feed
        doc = json.loads(output(built, folder, "feed.json"))
        assert (rss.title, atom.title, doc["title"]) == (title, title, title)
        assert (unescape(rss.subtitle), atom.subtitle, doc["description"]) == (description,) * 3


def test_feed_updated_is_the_newest_article_updated_time(built: Path) -> None:
    newest = datetime(2026, 4, 1, 16, 45, tzinfo=CEST)  # news-story, later than features' update
    rss = read(output(built, name="rss.xml")).feed
    atom = read(output(built, name="atom.xml")).feed
    assert utc(rss.updated_parsed) == newest  # lastBuildDate
    exact_time(rss.updated, newest, parsedate_to_datetime)
    exact_time(atom.updated, newest, datetime.fromisoformat)


def test_feed_updated_follows_a_late_update_of_an_old_article_not_the_build_time(
    site: Path, now: datetime
) -> None:
    (site / "content" / "2025-12-01-old.md").write_text(
        "---\ntitle: Old but updated\ndate: 2025-12-01T09:00:00Z\nupdated: 2026-06-15T07:30:00Z\n---\n\nFixed.\n",
        encoding="utf-8")
    build(site, now)
    latest = datetime(2026, 6, 15, 7, 30, tzinfo=timezone.utc)
    rss, atom = read(output(site, name="rss.xml")), read(output(site, name="atom.xml"))
    assert utc(rss.feed.updated_parsed) == latest
    assert utc(atom.feed.updated_parsed) == latest
    # The old article keeps its place by date: last, with its own updated time.
    assert utc(atom.entries[-1].updated_parsed) == latest
    assert atom.entries[-1].title == "Old but updated"
    for rel, data in output_files(site).items():  # the build's own day appears nowhere
        assert b"2026-11-28" not in data and b"28 Nov 2026" not in data, rel


# -- 2. required elements, by the RSS 2.0 and Atom (RFC 4287) specs ---------------------------

@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_rss_has_the_elements_rss_2_0_requires(built: Path, folder: str) -> None:
    root = xml(output(built, folder, "rss.xml"))
    assert root.tag == "rss" and root.get("version") == "2.0"
    [channel] = root.findall("channel")
    assert channel.findtext("title").startswith(SITE_TITLE)
    assert channel.findtext("link") == HOME
    assert channel.findtext("description")
    [self_link] = channel.findall("atom:link", NS)
    assert self_link.attrib == {"href": f"{HOME}{folder}/rss.xml", "rel": "self", "type": "application/rss+xml"}
    items = channel.findall("item")
    expected = expected_slugs(folder)
    assert [URL_TO_SLUG[i.findtext("link")] for i in items] == expected
    for item, slug in zip(items, expected):
        article = ARTICLES[slug]
        assert item.findtext("title") == article["title"]
        assert item.findtext("link") == article["url"]
        [guid] = item.findall("guid")
        assert guid.get("isPermaLink") == "false" and guid.text == article["id"]
        pub_date = item.findtext("pubDate")
        assert RFC_822.fullmatch(pub_date), pub_date
        exact_time(pub_date, article["published"], parsedate_to_datetime)
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_atom_has_the_elements_rfc_4287_requires(built: Path, folder: str) -> None:
    root = xml(output(built, folder, "atom.xml"))
    assert root.tag == f"{{{ATOM}}}feed"
    assert root.findtext("atom:id", namespaces=NS) == f"{HOME}{folder}/atom.xml"
    assert root.findtext("atom:title", namespaces=NS).startswith(SITE_TITLE)
    assert RFC_3339.fullmatch(root.findtext("atom:updated", namespaces=NS))
    assert root.findtext("atom:author/atom:name", namespaces=NS) == "Test Author"
    links = {link.get("rel"): link.attrib for link in root.findall("atom:link", NS)}
    assert links == {
        "self": {"href": f"{HOME}{folder}/atom.xml", "rel": "self", "type": "application/atom+xml"},
        "alternate": {"href": HOME, "rel": "alternate", "type": "text/html"},
    }
    entries = root.findall("atom:entry", NS)
    expected = expected_slugs(folder)
    assert len(entries) == len(expected)
    for entry, slug in zip(entries, expected):
        article = ARTICLES[slug]
        assert entry.findtext("atom:id", namespaces=NS) == article["id"]
        assert entry.findtext("atom:title", namespaces=NS) == article["title"]
        for tag in ("updated", "published"):
            assert RFC_3339.fullmatch(entry.findtext(f"atom:{tag}", namespaces=NS))
        exact_time(entry.findtext("atom:updated", namespaces=NS), article["updated"], datetime.fromisoformat)
        exact_time(entry.findtext("atom:published", namespaces=NS), article["published"], datetime.fromisoformat)
        assert entry.findtext("atom:summary", namespaces=NS) == article["summary"]
        [content] = entry.findall("atom:content", NS)
        assert content.get("type") == "html"
        alternates = [link.get("href") for link in entry.findall("atom:link", NS)
                      if link.get("rel", "alternate") == "alternate"]
        assert alternates == [article["url"]]
    dates = [datetime.fromisoformat(e.findtext("atom:published", namespaces=NS)) for e in entries]
    assert dates == sorted(dates, reverse=True)


# -- 3. JSON Feed 1.1 ---------------------------------------------------------------------------

@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_json_feed_follows_json_feed_1_1(built: Path, folder: str) -> None:
    doc = json.loads(output(built, folder, "feed.json"))
    assert list(doc)[0] == "version"
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["home_page_url"] == HOME
    assert doc["feed_url"] == f"{HOME}{folder}/feed.json"
    assert doc["language"] == "en"
    assert doc["authors"] == [{"name": "Test Author"}]
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith(HOME)
        assert isinstance(item["title"], str) and isinstance(item["summary"], str)
        assert isinstance(item["content_html"], str)
        for key in ("date_published", "date_modified"):
            assert RFC_3339.fullmatch(item[key]), item[key]
            assert datetime.fromisoformat(item[key]).utcoffset() is not None
        assert item["authors"] and all(set(a) <= {"name", "url", "avatar"} and a["name"] for a in item["authors"])
        assert item["tags"] and all(isinstance(t, str) for t in item["tags"])
    ids = [item["id"] for item in doc["items"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_an_article_has_the_same_id_in_all_three_formats(built: Path, folder: str) -> None:
    rss = {e.link: e.id for e in read(output(built, folder, "rss.xml")).entries}
    atom = {e.link: e.id for e in read(output(built, folder, "atom.xml")).entries}
    items = {i["url"]: i["id"] for i in json.loads(output(built, folder, "feed.json"))["items"]}
    assert rss == atom == items == {ARTICLES[s]["url"]: ARTICLES[s]["id"] for s in expected_slugs(folder)}


# -- 4. text survives exactly --------------------------------------------------------------------

def test_markup_characters_emoji_cjk_and_right_to_left_text_survive_in_all_three_formats(built: Path) -> None:
    rss = read(output(built, name="rss.xml")).entries[-1]
    atom = read(output(built, name="atom.xml")).entries[-1]
    item = json.loads(output(built, name="feed.json"))["items"][-1]
    assert rss.title == atom.title == item["title"] == ESCAPING_TITLE
    assert unescape(rss.summary) == atom.summary == item["summary"] == ESCAPING_SUMMARY
    assert rss.author == atom.author == item["authors"][0]["name"] == "Ana & Ben"
    assert [t.term for t in rss.tags] == [t.term for t in atom.tags] == item["tags"] == ["escaping", "c++", "caf\u00e9"]
    for html in (rss.content[0].value, atom.content[0].value, item["content_html"]):
        assert text_of(html).strip() == f"{ESCAPING_TEXT}\n{WORLD_TEXT}"  # feedparser strips the ends


def test_xml_illegal_control_characters_are_dropped_and_every_feed_still_parses(built: Path) -> None:
    files = output_files(built)
    assert len(files) == 3 * len(ALL_FOLDERS)
    for rel, data in files.items():
        assert not XML_UNSAFE.search(data.decode("utf-8")), rel
        if rel.endswith(".json"):
            json.loads(data)
        else:
            xml(data)  # a strict XML parser, no recovery
            read(data)
    rss = read(output(built, name="rss.xml")).entries[-2]
    atom = read(output(built, name="atom.xml")).entries[-2]
    item = json.loads(output(built, name="feed.json"))["items"][-2]
    assert rss.title == atom.title == item["title"] == "Controlchars dropped"
    for html in (rss.content[0].value, atom.content[0].value, item["content_html"]):
        assert html.strip() == "<p>Bell and form feed and null go away.</p>"  # feedparser strips the ends


def test_a_control_character_written_as_a_yaml_escape_is_dropped_from_the_title(
    site: Path, now: datetime
) -> None:
    title = json.dumps("Bell\x07 and \x01 here")  # "Bell\u0007 and \u0001 here"
    (site / "content" / "2026-06-01-escaped.md").write_text(
        f"---\ntitle: {title}\n---\n\nBody.\n", encoding="utf-8")
    report = build(site, now)
    assert report.published == len(ARTICLES) + 1
    titles = [read(output(site, name=n)).entries[0].title for n in ("rss.xml", "atom.xml")]
    titles.append(json.loads(output(site, name="feed.json"))["items"][0]["title"])
    assert titles == ["Bell and here"] * 3


def test_a_character_reference_to_a_control_character_is_dropped_from_the_body(
    site: Path, now: datetime
) -> None:
    (site / "content" / "2026-06-01-refs.md").write_text(
        "---\ntitle: References\n---\n\nBell&#7; and &#x1; here.\n", encoding="utf-8")
    report = build(site, now)
    assert report.published == len(ARTICLES) + 1
    for name in ("rss.xml", "atom.xml"):
        read(output(site, name=name))
    item = json.loads(output(site, name="feed.json"))["items"][0]
    assert not XML_UNSAFE.search(item["content_html"])
    assert text_of(item["content_html"]).split() == ["Bell", "and", "here."]


@pytest.mark.parametrize("key", ["email", "url"])
def test_a_control_character_in_an_author_email_or_url_does_not_break_the_build(
    site: Path, now: datetime, key: str
) -> None:
    value = json.dumps({"email": "ana\x01@example.org", "url": "https://example.org/ana\x01/"}[key])
    (site / "content" / "2026-06-01-author.md").write_text(
        f"---\ntitle: Author escape\nauthors:\n  - name: Ana\n    {key}: {value}\n---\n\nBody.\n",
        encoding="utf-8")
    build_site(load_config(site / "syndicate.toml"), now=now)  # dropped or reported, but no crash
    new_url = "https://blog.example.org/2026/06/author/"
    for name in FORMATS:
        data = output(site, name=name)
        links = ([item["url"] for item in json.loads(data)["items"]] if name == "feed.json"
                 else [entry.link for entry in read(data).entries])
        assert {URL_TO_SLUG.get(link) for link in links if link != new_url} == set(ORDER)
        assert new_url in links
    for rel, data in output_files(site).items():
        assert not XML_UNSAFE.search(data.decode("utf-8")), rel


# -- 5. sanitized --------------------------------------------------------------------------------

HOSTILE = """---
title: More hostile HTML
date: 2026-02-02
---

[md js](javascript:alert(1)) [md JS](JaVaScRiPt:alert(1)) [entity](jav&#x61;script:alert(1))

<a href="&#106;avascript:alert(1)">decimal</a> <a href="jav&#x09;ascript:alert(1)">tab</a>
<svg onload="alert(1)"><circle/></svg> <img src="javascript:alert(1)"> <details open ontoggle="alert(1)">d</details>
<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">b</button></form>
<input onfocus="alert(1)" autofocus> <object data="x.swf"></object> <embed src="x.swf">
<div style="background:url(javascript:alert(1))">styled</div> <scr<script>ipt>alert(1)</script>
<math><mi xlink:href="javascript:alert(1)">m</mi></math> <a href="vbscript:msgbox(1)">vb</a>
"""


def assert_safe(html: str, where: str) -> None:
    lowered = html.lower()
    for needle in ("<script", "<iframe", "<style", "<object", "<embed", "<svg", "<form",
                   "onclick", "onerror", "onmouseover", "onload", "ontoggle", "onfocus",
                   "javascript:", "vbscript:"):
        assert needle not in lowered, f"{where}: {needle!r} in {html!r}"
    for el in fragment(html).iter():
        assert el.tag not in ("script", "iframe", "style", "object", "embed", "form"), where
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: {name}={value!r}"
            assert name.lower() not in ("style", "formaction", "action"), f"{where}: {name}={value!r}"
            assert "script:" not in re.sub(r"\s", "", value.lower()), f"{where}: {name}={value!r}"


def test_no_output_file_carries_a_script_a_handler_or_a_javascript_url(site: Path, now: datetime) -> None:
    (site / "content" / "2026-02-02-hostile.md").write_text(HOSTILE, encoding="utf-8")
    report = build_site(load_config(site / "syndicate.toml"), now=now)
    assert report.errors == [] and report.published == len(ARTICLES) + 1
    files = output_files(site)
    assert len(files) == 3 * len(ALL_FOLDERS)
    checked = 0
    for rel, data in files.items():
        fields = html_fields(data, rel.rsplit("/", 1)[1])
        assert fields, rel
        for where, html in fields:
            assert_safe(html, f"{rel} {where}")
            checked += 1
        # The same HTML as a feed reader gets it, after feedparser (with its own sanitizer off).
        if not rel.endswith(".json"):
            for entry in read(data).entries:
                for content in entry.get("content", []):
                    assert_safe(content.value, f"{rel} {entry.link} (feedparser)")
    assert checked >= 2 * 6 * 3
    items = {i["title"]: i for i in json.loads(files["feeds/feed.json"])["items"]}
    assert "<p>Handlers go.</p>" in items["Unsafe HTML is sanitized"]["content_html"]
    assert text_of(items["More hostile HTML"]["content_html"]).split()[:4] == ["md", "js", "md", "JS"]


# -- 6. absolute links -------------------------------------------------------------------------------

def test_every_href_and_src_in_every_feed_is_absolute(built: Path) -> None:
    seen = 0
    for rel, data in output_files(built).items():
        for where, html in html_fields(data, rel.rsplit("/", 1)[1]):
            for el in fragment(html).iter():
                for attr in ("href", "src"):
                    if attr in el.attrib:
                        parts = urlsplit(el.get(attr))
                        assert parts.scheme in ("http", "https") and parts.netloc, f"{rel} {where}: {el.get(attr)}"
                        seen += 1
    assert seen > 20


def test_relative_links_resolve_against_the_article_url(built: Path) -> None:
    article = "https://blog.example.org/2026/02/unsafe/"
    [item] = [i for i in json.loads(output(built, name="feed.json"))["items"] if i["url"] == article]
    root = fragment(item["content_html"])
    links = {a.text_content(): a.get("href") for a in root.iter("a")}
    assert links == {
        "a javascript link": None,
        "relative link": "https://blog.example.org/2026/02/other/",
        "root link": "https://blog.example.org/about/",
        "anchor": "https://blog.example.org/2026/02/unsafe/#part",
    }
    images = {img.get("alt"): img.get("src") for img in root.iter("img")}
    assert images == {
        "An image": "https://blog.example.org/2026/02/unsafe/x.png",
        "relative image": "https://blog.example.org/2026/02/unsafe/pics/a.png",
    }


# -- 7. drafts and the future -------------------------------------------------------------------------

def test_drafts_and_future_articles_are_in_no_feed(built: Path) -> None:
    for rel, data in output_files(built).items():
        text = data.decode("utf-8")
        for absent in ("A draft", "Not published", "From the future", "2027/01/future", "2027-01-01"):
            assert absent not in text, rel
    for name in FORMATS:
        assert slugs_of(output(built, "feeds/tags/news", name), name) == ["news-story"]


def test_a_future_article_is_published_once_its_time_has_come(built: Path) -> None:
    due = datetime(2027, 1, 1, 0, 0, tzinfo=timezone.utc)  # the article's own date: not after now
    report = build(built, due)
    assert not report.up_to_date and report.published == len(ARTICLES) + 1
    for name in FORMATS:
        assert slugs_of(output(built, name=name), name) == ["future", *ORDER]
        assert slugs_of(output(built, "feeds/tags/news", name), name) == ["future", "news-story"]
    assert read(output(built, name="atom.xml")).entries[0].id == "tag:blog.example.org,2027-01-01:future"


def test_a_draft_stays_out_whatever_the_date(site: Path) -> None:
    build(site, datetime(2030, 1, 1, tzinfo=timezone.utc))
    for rel, data in output_files(site).items():
        assert b"A draft" not in data, rel


# -- 8. limits, tags and summaries only ----------------------------------------------------------------

@pytest.mark.parametrize("limit", [1, 2, 0])
def test_limit_keeps_only_the_newest_articles_of_every_feed(site: Path, now: datetime, limit: int) -> None:
    configure(site, limit=limit)
    build(site, now)
    keep = limit or None
    for name in FORMATS:
        assert slugs_of(output(site, name=name), name) == ORDER[:keep]
        for slug, (_, articles) in TAG_FEEDS.items():
            assert slugs_of(output(site, f"feeds/tags/{slug}", name), name) == articles[:keep]


def test_there_is_one_tag_feed_per_tag_slug_holding_exactly_its_articles(built: Path) -> None:
    tags = built / "output" / "feeds" / "tags"
    assert sorted(p.name for p in tags.iterdir()) == sorted(TAG_FEEDS)
    for slug, (_, articles) in TAG_FEEDS.items():
        assert sorted(p.name for p in (tags / slug).iterdir()) == sorted(FORMATS)
        for name in FORMATS:
            assert slugs_of(output(built, f"feeds/tags/{slug}", name), name) == articles


def test_tag_feeds_false_writes_no_tag_feed(site: Path, now: datetime) -> None:
    configure(site, tag_feeds=False)
    report = build(site, now)
    assert sorted(output_files(site)) == ["feeds/atom.xml", "feeds/feed.json", "feeds/rss.xml"]
    assert report.feeds == 3


def test_turning_tag_feeds_off_removes_the_tag_feeds_of_an_earlier_build(built: Path, now: datetime) -> None:
    configure(built, tag_feeds=False)
    report = build(built, now)
    assert report.removed == 3 * len(TAG_FEEDS)
    assert not (built / "output" / "feeds" / "tags").exists()


def test_full_content_false_puts_only_the_summary_in_the_feeds(site: Path, now: datetime) -> None:
    configure(site, full_content=False)
    build(site, now)
    for folder in ALL_FOLDERS:
        rss = xml(output(site, folder, "rss.xml"))
        assert rss.findall(".//content:encoded", NS) == []
        assert [unescape(d) for d in rss.xpath("//item/description/text()")] == [
            ARTICLES[URL_TO_SLUG[link]]["summary"] for link in rss.xpath("//item/link/text()")]
        atom = xml(output(site, folder, "atom.xml"))
        assert atom.findall(".//atom:content", NS) == []
        assert len(atom.findall(".//atom:summary", NS)) == len(atom.findall("atom:entry", NS))
        for item in json.loads(output(site, folder, "feed.json"))["items"]:
            assert "content_html" not in item
            assert item["content_text"] == item["summary"] == ARTICLES[URL_TO_SLUG[item["url"]]]["summary"]


# -- 9. stable identity ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def site_context() -> SiteContext:
    config = load_config(DATA / "site" / "syndicate.toml")
    return SiteContext(base_url=config.site.base_url, permalink=config.content.permalink, tz=config.tz)


@pytest.mark.parametrize(("front_matter_id", "expected"), [
    ("urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b", "urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b"),
    ("https://old.example.com/posts/42", "https://old.example.com/posts/42"),
    ("tag:old.example.com,2019-01-01:hello", "tag:old.example.com,2019-01-01:hello"),
    ("legacy-42", "tag:blog.example.org,2026-06-01:legacy-42"),
    (None, "tag:blog.example.org,2026-06-01:my-post"),
])
def test_an_article_id_is_its_front_matter_id_if_a_uri_else_a_tag_uri(
    front_matter_id: str | None, expected: str
) -> None:
    line = f"id: {json.dumps(front_matter_id)}\n" if front_matter_id else ""
    source = f"---\ntitle: Anything at all\ndate: 2026-06-01T12:00:00Z\n{line}---\n\nBody.\n"
    article, warnings = parse_article("2026-06-01-my-post.md", source.encode(), site_context())
    assert warnings == []
    assert article.id == expected
    assert article.url == "https://blog.example.org/2026/06/my-post/"


@pytest.mark.parametrize("file_name", ["2026-02-01-unsafe.md", "2026-04-01-news-story.txt"])
def test_changing_the_title_keeps_the_id_and_the_url(built: Path, now: datetime, file_name: str) -> None:
    before = {e.id: e.link for e in read(output(built, name="atom.xml")).entries}
    path = built / "content" / file_name
    old_title = ARTICLES[file_name[11:].rsplit(".", 1)[0]]["title"]
    path.write_text(path.read_text(encoding="utf-8").replace(old_title, "A brand new title"), encoding="utf-8")
    build(built, now)
    entries = read(output(built, name="atom.xml")).entries
    assert {e.id: e.link for e in entries} == before
    assert "A brand new title" in [e.title for e in entries]
    assert old_title not in [e.title for e in entries]


def test_changing_the_title_of_an_article_named_only_by_its_date_keeps_its_id(site: Path, now: datetime) -> None:
    path = site / "content" / "2026-06-01.md"
    path.write_text("---\ntitle: First title\n---\n\nBody.\n", encoding="utf-8")
    build(site, now)
    [first] = [e.id for e in read(output(site, name="atom.xml")).entries if e.title == "First title"]
    path.write_text("---\ntitle: Second title\n---\n\nBody.\n", encoding="utf-8")
    build(site, now)
    [second] = [e.id for e in read(output(site, name="atom.xml")).entries if e.title == "Second title"]
    assert second == first == "tag:blog.example.org,2026-06-01:2026-06-01"  # from the file name


# -- 10. byte-stable and idempotent --------------------------------------------------------------------------

def test_two_builds_in_two_folders_at_two_times_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "site", tmp_path / "two" / "elsewhere"
    shutil.copytree(DATA / "site", first)
    shutil.copytree(DATA / "site", second)
    build(first, datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc))
    build(second, datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
    a, b = output_files(first, ""), output_files(second, "")
    assert len([rel for rel in a if rel.startswith("feeds/")]) == 3 * len(ALL_FOLDERS)
    assert a.keys() == b.keys()
    for rel in a:
        assert a[rel] == b[rel], rel


def test_a_second_build_is_up_to_date_and_touches_no_file(built: Path, now: datetime) -> None:
    files = sorted(p for p in (built / "output").rglob("*") if p.is_file())
    for path in files:  # an old mtime: any rewrite, however quick, would move it
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    report = build(built, now)
    assert report.up_to_date
    assert (report.written, report.removed, report.published) == (0, 0, len(ARTICLES))
    assert report.feeds == 3 * len(ALL_FOLDERS)
    assert [p.stat().st_mtime_ns for p in files] == [1_000_000_000_000_000_000] * len(files)


def test_a_touched_article_is_read_again_but_unchanged_files_are_not_rewritten(built: Path, now: datetime) -> None:
    files = sorted(p for p in (built / "output").rglob("*") if p.is_file())
    for path in files:
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    os.utime(built / "content" / "2026-02-01-unsafe.md", ns=(2_000_000_000_000_000_000,) * 2)
    report = build(built, now)
    assert not report.up_to_date
    assert report.written == 0
    assert [p.stat().st_mtime_ns for p in files] == [1_000_000_000_000_000_000] * len(files)


# -- 11. golden files ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_the_main_feeds_are_byte_for_byte_the_golden_files(built: Path, name: str) -> None:
    expected = (EXPECTED_DIR / name).read_bytes()
    assert output(built, name=name) == expected, (
        f"feeds/{name} differs from tests/data/expected/{name}. If the change is intended, "
        "run `python tests/regen_expected.py` and review the diff before committing it.")


# -- 12. any title and body -------------------------------------------------------------------------------------

_CHARACTERS = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.sampled_from("\x00\x01\x07\x08\x0b\x0c\x1b\x1c\x1f\x7f\x85\x9f\ufffe\uffff\t\n\r \xa0\u2028"
                    "&<>]\"'\\#:-*_`[](){}!|\u200f\u05e9\U0001f680"),
)


def yaml_quoted(text: str, *, raw_controls: bool) -> str:
    """``text`` as a JSON-quoted YAML string; with ``raw_controls`` the XML-unsafe characters
    are written as they are (as in 2026-01-06-control.md), else as JSON/YAML escapes."""
    if not raw_controls:
        return json.dumps(text, ensure_ascii=False)
    return '"' + "".join(
        ch if XML_UNSAFE.match(ch) else json.dumps(ch, ensure_ascii=False)[1:-1] for ch in text) + '"'


@lru_cache(maxsize=1)
def site_config():  # type: ignore[no-untyped-def]
    return load_config(DATA / "site" / "syndicate.toml")


# On a failure hypothesis imports libcst to suggest a patch, which warns on import: without
# this filter the report of a real failure becomes an INTERNALERROR under filterwarnings=error.
@pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
@settings(max_examples=50, deadline=None, database=None)
@given(
    title=st.text(_CHARACTERS, max_size=40),
    paragraphs=st.lists(st.text(_CHARACTERS, max_size=80), max_size=3),
    raw_controls=st.booleans(),
)
def test_any_title_and_body_build_feeds_that_parse_with_the_title_intact(
    title: str, paragraphs: list[str], raw_controls: bool
) -> None:
    source = (f"---\ntitle: {yaml_quoted(title, raw_controls=raw_controls)}\n---\n\n"
              + "\n\n".join(paragraphs) + "\n")
    expected = " ".join(XML_UNSAFE.sub("", title).split())
    if not expected:
        with pytest.raises(ContentError, match="has no 'title'"):
            parse_article("2026-06-01-any.md", source.encode("utf-8"), site_context())
        return
    article, _ = parse_article("2026-06-01-any.md", source.encode("utf-8"), site_context())
    config = site_config()
    files = {path: b"".join(parts) for path, parts in build_feeds(plan_feeds([article], config), config)}
    assert sorted(files) == ["feeds/atom.xml", "feeds/feed.json", "feeds/rss.xml"]
    for name, path in (("rss.xml", "channel/item/title"), ("atom.xml", "{http://www.w3.org/2005/Atom}entry/"
                                                            "{http://www.w3.org/2005/Atom}title")):
        [entry] = read(files[f"feeds/{name}"]).entries  # a real reader parses it
        assert entry.title  # (feedparser "repairs" text that looks double-encoded, 'Â¡' → '¡': not ours)
        # The exact text, as any XML parser reads it:
        assert lxml.etree.fromstring(files[f"feeds/{name}"]).find(path).text == expected
    [item] = json.loads(files["feeds/feed.json"])["items"]
    assert item["title"] == expected
    assert not XML_UNSAFE.search(item["content_html"] + item["summary"])


def test_a_replacement_character_the_article_quotes_reaches_every_reader_as_itself(
    site: Path, now: datetime
) -> None:
    """U+FFFD written on purpose ("the replacement character (\ufffd)") goes into the XML feeds'
    HTML (content, RSS description) as the reference &#xFFFD;, so the W3C validator does not take
    it for a decoding error (BadCharacters); readers show the same character in every format."""
    (site / "content" / "2026-06-01-fffd.md").write_text(
        "---\ntitle: Replacement\n---\n\nInvalid bytes become the replacement character (\ufffd).\n",
        encoding="utf-8")
    build(site, now)
    for name in ("rss.xml", "atom.xml"):
        raw = output(site, name=name).decode("utf-8")
        html_fields = re.findall(r"<(?:content:encoded|description|content)[^>]*>(.*?)</", raw, re.S)
        assert not [f for f in html_fields if "\ufffd" in f] and "#xFFFD;" in raw
        assert "character (\ufffd)." in unescape(read(raw.encode()).entries[0].content[0].value)  # as HTML shows it
    assert "character (\ufffd)." in json.loads(output(site, name="feed.json"))["items"][0]["content_html"]
