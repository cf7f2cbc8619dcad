"""The site's own pages: a page for every article at its permalink, tag pages and a home page,
written like the feeds (byte-stable, only when changed), served by ``syndicate serve`` with
conditional GET, and a styled 404 for every other address."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import httpx
import lxml.html
import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.content.load import read_content
from syndicate.content.cache import article_key
from syndicate.feeds.pages import build_pages, listing_keys, page_path, plan_pages
from syndicate.web.app import base_url_warning

from .conftest import write
from .live_servers import Serve
from .test_browser import CHROMIUM, CHROMIUM_ARGS

NOW = ["--now", "2026-11-28T12:00:00Z"]
BASE = "https://blog.example.org/"
PUBLISHED = [  # the test site's published articles' pages
    "2026/01/escaping/index.html", "2026/01/control/index.html", "2026/02/unsafe/index.html",
    "2026/03/features/index.html", "2026/04/news-story/index.html",
]


def build(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, ["build", *NOW, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def set_site(site: Path, line: str, section: str = "site") -> None:
    toml = site / "syndicate.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1) if f"[{section}]\n" in text \
        else text + f"\n[{section}]\n{line}\n"
    toml.write_text(text, encoding="utf-8")


def tree(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


# -- what the build writes ---------------------------------------------------------------------

def test_every_published_article_gets_a_page_with_the_feeds_html(runner: CliRunner, site: Path) -> None:
    build(runner)
    out = site / "output"
    items = {i["url"]: i for i in json.loads((out / "feeds" / "feed.json").read_text())["items"]}
    pages = {str(p.relative_to(out)) for p in out.rglob("index.html")
             if not str(p.relative_to(out)).startswith(("feeds/", "newsletters/", "tags/"))}
    assert pages == {*PUBLISHED, "index.html"}  # no page for the draft nor the scheduled article
    for rel in PUBLISHED:
        url = BASE + rel.removesuffix("index.html")
        page = tree(out / rel)
        html = (out / rel).read_text(encoding="utf-8")
        assert page.get("lang") == "en"
        assert page.findtext(".//h1") == items[url]["title"]
        assert items[url]["content_html"] in html  # the same sanitized HTML as the feeds
        assert page.xpath("//link[@rel='canonical']/@href") == [url]
        assert page.xpath("//link[@rel='alternate']/@href")[:3] == [
            f"{BASE}feeds/rss.xml", f"{BASE}feeds/atom.xml", f"{BASE}feeds/feed.json"]
        assert f"{BASE}subscribe" in page.xpath("//a/@href")
        assert page.xpath("//time/@datetime") == [items[url]["date_published"]]
    unsafe = (out / "2026/02/unsafe/index.html").read_text(encoding="utf-8")
    assert "<script" not in unsafe.lower() and "onerror" not in unsafe.lower()


def test_the_tag_pages_list_their_articles_and_announce_their_feeds(runner: CliRunner, site: Path) -> None:
    build(runner)
    out = site / "output"
    cafe = tree(out / "tags" / "cafe" / "index.html")  # "café", slugged as its feeds are
    assert [a.get("href") for a in cafe.xpath("//ol[@class='articles']//h2/a")] == [
        f"{BASE}2026/03/features/", f"{BASE}2026/01/escaping/"]  # newest first
    assert cafe.findtext(".//h1") == "Tagged “café”"
    assert f"{BASE}feeds/tags/cafe/atom.xml" in cafe.xpath("//link[@rel='alternate']/@href")
    # Each article's tags link to their pages, and every tag page is in the index.
    article = tree(out / "2026/02/unsafe/index.html")
    assert f"{BASE}tags/security/" in article.xpath("//ul[@class='tags']//a/@href")
    index = tree(out / "tags" / "index.html")
    listed = {a.get("href") for a in index.xpath("//ul[@class='tag-list']//a")}
    assert listed == {f"{BASE}tags/{p.parent.name}/" for p in (out / "tags").glob("*/index.html")}
    home = tree(out / "index.html")
    assert len(home.xpath("//ol[@class='articles']/li")) == len(PUBLISHED)


def test_pages_are_byte_stable_and_written_only_when_they_change(runner: CliRunner, site: Path) -> None:
    build(runner)
    out = site / "output"
    first = {rel: (out / rel).read_bytes() for rel in PUBLISHED}
    before = mtimes(out)
    (site / "syndicate.db").unlink()  # a build from scratch: the same bytes, nothing rewritten
    build(runner)
    assert {rel: (out / rel).read_bytes() for rel in PUBLISHED} == first
    assert mtimes(out) == before


def test_only_the_pages_that_changed_are_made_again(runner: CliRunner, site: Path) -> None:
    config = load_config(site / "syndicate.toml")
    pages, _ = plan_pages(read_content(config, now=datetime(2026, 11, 28, tzinfo=timezone.utc)).articles, config)
    keys = {a.id: article_key(a) for a in pages.values()}
    assert len(set(keys.values())) == len(pages)
    files = build_pages(pages, config, unchanged=set(list(pages)[1:]))
    made = {rel for rel in files if not rel.startswith("tags/") and rel != "index.html"}
    assert made == {"2026/04/news-story/index.html"}  # the newest; the tag and home pages always

    build(runner)
    page = site / "output" / "2026/03/features/index.html"
    whole = page.read_bytes()
    page.unlink()  # a page lost by hand is written again, though nothing else changed
    assert "(1 file changed)" in build(runner)
    assert page.read_bytes() == whole


def test_a_listing_page_is_made_again_only_when_what_it_lists_changed(runner: CliRunner, site: Path) -> None:
    config = load_config(site / "syndicate.toml")
    now = datetime(2026, 11, 28, tzinfo=timezone.utc)

    def listings() -> tuple[dict, dict[str, str]]:
        pages, _ = plan_pages(read_content(config, now=now).articles, config)
        return pages, listing_keys(pages, {a.id: article_key(a) for a in pages.values()})

    pages, before = listings()
    assert set(before) == {"index.html", "tags/index.html", *(f"tags/{slug}/index.html" for slug in (
        "c-plus-plus", "cafe", "escaping", "local", "markdown", "news", "security"))}
    story = site / "content" / "2026-02-01-unsafe.md"  # tagged "security" alone
    story.write_text(story.read_text(encoding="utf-8").replace("title:", "title: Retitled", 1), encoding="utf-8")
    pages, after = listings()
    changed = {rel for rel in before if after.get(rel) != before[rel]}
    assert changed == {"tags/security/index.html", "index.html"}  # its tag's page and the home page; not the
    # page of tags (the names and counts are the same), nor the pages of the tags it is not in

    files = build_pages(pages, config, unchanged=set(pages) | (set(after) - changed))
    assert set(files) == changed
    assert b"Retitled" in files["tags/security/index.html"]

    build(runner)
    page = site / "output" / "tags" / "news" / "index.html"
    whole = page.read_bytes()
    page.unlink()  # a tag page lost by hand is written again, though nothing it lists changed
    assert "(1 file changed)" in build(runner)
    assert page.read_bytes() == whole


def test_a_deleted_article_loses_its_page(runner: CliRunner, site: Path) -> None:
    build(runner)
    (site / "content" / "2026-02-01-unsafe.md").unlink()
    build(runner)
    assert not (site / "output" / "2026" / "02").exists()
    assert not (site / "output" / "tags" / "security").exists()


@pytest.mark.parametrize(("settings", "written"), [
    ([], True),
    (['pages = false'], False),
    (['[content]\nimport = "hugo"'], False),  # "auto": Hugo builds the pages itself
    (['pages = true', '[content]\nimport = "hugo"'], True),
])
def test_pages_setting_and_its_auto_rule(runner: CliRunner, site: Path, settings: list[str], written: bool) -> None:
    for line in settings:
        if line.startswith("[content]"):
            set_site(site, line.split("\n", 1)[1], "content")
        else:
            set_site(site, line)
    build(runner)
    assert (site / "output" / "index.html").is_file() is written
    assert (site / "output" / "tags").is_dir() is written
    assert (site / "output" / "feeds" / "rss.xml").is_file()


def test_an_article_whose_url_cannot_have_a_page_is_a_warning_and_stays_in_the_feeds(
        runner: CliRunner, site: Path) -> None:
    set_site(site, 'permalink = "/{slug}/"', "content")
    write(site / "content" / "2026-06-01-feeds.md", "---\ntitle: About our feeds\nslug: feeds\ndate: 2026-06-01\n---\n\nHi.\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0, result.output
    assert ("2026-06-01-feeds.md: its URL https://blog.example.org/feeds/ is the home page, in a part of the site "
            "syndicate makes itself (feeds, newsletters, outbox, tags, index.html, subscribe, confirm, unsubscribe), "
            "or has a part starting with '.', so it gets no page of its own (it is in the feeds).") in " ".join(
                result.output.split())
    assert "About our feeds" in (site / "output" / "feeds" / "rss.xml").read_text()
    assert not (site / "output" / "feeds" / "index.html").exists()


def test_two_urls_of_one_page_file_give_it_to_the_newer_article(runner: CliRunner, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "syndicate.toml", f'[site]\nbase_url = "{BASE}"\npages = true\n[content]\nimport = "jekyll"\n')
    write(tmp_path / "content" / "posts" / "2026-06-01-old.md", "---\ntitle: Old\npermalink: /about/\n---\n\nOld.\n")
    write(tmp_path / "content" / "posts" / "2026-06-02-new.md",
          "---\ntitle: New\npermalink: /about/index.html\n---\n\nNew.\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0, result.output
    assert (f"2026-06-01-old.md: its URL {BASE}about/ is also the URL of posts/2026-06-02-new.md, so it gets no "
            "page of its own") in result.output.replace("\n", " ")
    assert "<h1>New</h1>" in (tmp_path / "output" / "about" / "index.html").read_text()
    rss = (tmp_path / "output" / "feeds" / "rss.xml").read_text()
    assert "<title>Old</title>" in rss and "<title>New</title>" in rss


@pytest.mark.parametrize(("url", "rel"), [
    (f"{BASE}2026/03/ferry/", "2026/03/ferry/index.html"),
    (f"{BASE}2026/ferry.html", "2026/ferry.html"),
    (f"{BASE}notes/ferry", "notes/ferry/index.html"),
    (f"{BASE}caf%C3%A9/", "café/index.html"),  # the file has the name a server decodes the URL to
    (f"{BASE}a%20b/?q=1#top", "a b/index.html"),
    (BASE, None),
    (f"{BASE}index.html", None),
    (f"{BASE}../etc/passwd/", None),
    (f"{BASE}%2e%2e/%2E%2E/x/", None),
    (f"{BASE}a/../../x/", None),
    (f"{BASE}.git/config/", None),
    (f"{BASE}a/.ssh/", None),
    (f"{BASE}a//b/", None),
    (f"{BASE}a%5c..%5cb/", None),
    (f"{BASE}a%00/", None),
    (f"{BASE}feeds/rss.xml", None),
    (f"{BASE}outbox/1/", None),
    (f"{BASE}newsletters/1/", None),
    (f"{BASE}tags/x/", None),
    ("https://elsewhere.example.net/a/", None),
    ("https://blog.example.org.evil.example/a/", None),
])
def test_where_an_articles_page_goes_and_where_it_never_does(url: str, rel: str | None) -> None:
    assert page_path(url, BASE) == rel


def test_hostile_urls_from_front_matter_get_no_page_and_write_nothing_outside(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "syndicate.toml", f'[site]\nbase_url = "{BASE}"\npages = true\n[content]\nimport = "jekyll"\n')
    evil = ["/../../escaped/", "/%2e%2e/%2e%2e/escaped2/", "/outbox/1/", "/.well-known/x/", "/feeds/rss.xml"]
    for n, permalink in enumerate(evil):
        write(tmp_path / "content" / "posts" / f"2026-06-0{n + 1}-evil.md",
              f"---\ntitle: Evil {n} <script>alert(1)</script>\npermalink: {permalink}\n---\n\nText.\n")
    write(tmp_path / "content" / "posts" / "2026-06-09-fine.md",
          "---\ntitle: \"Fine <b>bold</b> & 'quoted'\"\npermalink: /fine/\n---\n\n<script>x()</script>Text.\n")
    result = runner.invoke(main, ["build", *NOW])
    assert "Traceback" not in result.output
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert not [p for p in written if p.startswith(("escaped", "output/escaped", "output/outbox", "output/.well"))]
    assert (tmp_path / "output" / "feeds" / "rss.xml").read_text().startswith("<?xml")
    fine = (tmp_path / "output" / "fine" / "index.html").read_text()
    assert "<script" not in fine and "<b>bold</b>" not in fine
    assert "Fine bold &amp; &#39;quoted&#39;" in fine


@pytest.mark.parametrize("slug", ["index.html", "subscribe"])  # the home page's file; an address serve answers
def test_a_slug_that_is_one_of_syndicates_own_paths_gets_no_page(runner: CliRunner, site: Path, slug: str) -> None:
    set_site(site, 'permalink = "/{slug}/"', "content")
    write(site / "content" / "2026-06-01-x.md", f"---\ntitle: X\nslug: {slug}\ndate: 2026-06-01\n---\n\nx\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0, result.output
    assert f"its URL {BASE}{slug}/ is the home page, in a part of the site" in result.output
    assert (site / "output" / "index.html").is_file() and not (site / "output" / slug / "index.html").exists()


def test_a_page_file_where_another_needs_a_folder_is_a_warning_not_a_crash(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "syndicate.toml", f'[site]\nbase_url = "{BASE}"\npages = true\n[content]\nimport = "jekyll"\n')
    write(tmp_path / "content" / "posts" / "2026-06-01-a.md", "---\ntitle: A\npermalink: /a.html/b/\n---\n\nA.\n")
    write(tmp_path / "content" / "posts" / "2026-06-02-b.md", "---\ntitle: B\npermalink: /a.html\n---\n\nB.\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0, result.output
    assert ("2026-06-01-a.md: its URL https://blog.example.org/a.html/b/ needs a file where the page of "
            "posts/2026-06-02-b.md needs a folder") in " ".join(result.output.split())
    assert "<h1>B</h1>" in (tmp_path / "output" / "a.html").read_text()


def test_pages_turned_off_and_on_again_are_all_written_again(runner: CliRunner, site: Path) -> None:
    build(runner)
    toml = site / "syndicate.toml"
    original = toml.read_text()
    set_site(site, "pages = false")
    build(runner)
    assert not (site / "output" / "2026").exists()
    toml.write_text(original)
    out = build(runner)
    assert "14 pages" in out
    assert all((site / "output" / rel).is_file() for rel in PUBLISHED)


def test_a_change_to_an_included_template_in_a_sub_folder_rewrites_the_pages(runner: CliRunner, site: Path) -> None:
    set_site(site, 'templates_dir = "templates"', "newsletter")
    write(site / "templates" / "parts" / "foot.html.j2", "FOOT-ONE")
    write(site / "templates" / "article.html.j2", "{% extends 'page.html.j2' %}{% block main %}{{ article.title }} "
                                                  "{% include 'parts/foot.html.j2' %}{% endblock %}")
    build(runner)
    page = site / "output" / "2026/03/features/index.html"
    assert "FOOT-ONE" in page.read_text()
    write(site / "templates" / "parts" / "foot.html.j2", "FOOT-TWO")
    build(runner)
    assert "FOOT-TWO" in page.read_text()


def test_a_broken_page_template_keeps_the_last_pages_and_the_feeds_go_on(runner: CliRunner, site: Path) -> None:
    build(runner)
    page = (site / "output" / "2026/03/features/index.html").read_bytes()
    set_site(site, 'templates_dir = "templates"', "newsletter")
    write(site / "templates" / "article.html.j2", "{% extends 'page.html.j2' %}{% block main %}{{ nope }}{% endblock %}")
    write(site / "content" / "2026-06-01-new.md", "---\ntitle: Newer\ndate: 2026-06-01\n---\n\nNew.\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 1
    assert "article.html.j2, line 1: 'nope' is undefined." in result.output
    assert (site / "output" / "2026/03/features/index.html").read_bytes() == page
    assert "Newer" in (site / "output" / "feeds" / "rss.xml").read_text()


def test_check_reports_what_build_would_warn_about(runner: CliRunner, site: Path) -> None:
    set_site(site, 'permalink = "/{slug}/"', "content")
    write(site / "content" / "2026-06-01-tags.md", "---\ntitle: Tags\nslug: tags\ndate: 2026-06-01\n---\n\nHi.\n")
    result = runner.invoke(main, ["check", *NOW])
    assert "2026-06-01-tags.md: its URL https://blog.example.org/tags/ is the home page, in a part" in result.output
    assert not (site / "output").exists()


# -- serving them --------------------------------------------------------------------------------

def test_serve_serves_the_pages_with_conditional_get_and_a_styled_404(runner: CliRunner, site: Path) -> None:
    set_site(site, 'permalink = "/notes/{slug}"', "content")  # no slash: served at the URL as written
    build(runner)
    out = site / "output"
    write(out / "outbox" / "1" / "index.html", "personal links")
    with Serve(site) as server, httpx.Client(base_url=server.url) as http:
        response = http.get("/notes/features")
        assert response.status_code == 200
        assert response.content == (out / "notes" / "features" / "index.html").read_bytes()
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        again = http.get("/notes/features", headers={"if-none-match": response.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")
        assert http.get("/tags/news/").status_code == 200
        home = http.get("/")
        assert home.content == (out / "index.html").read_bytes()
        for missing in ("/notes/nothing", "/outbox/1/", "/outbox/1/index.html", "/feeds/none.xml", "/.hidden"):
            lost = http.get(missing)
            assert lost.status_code == 404, missing
            page = lxml.html.fromstring(lost.content)
            assert page.get("lang") == "en" and page.findtext(".//h1") == "Page not found", missing
            assert BASE in page.xpath("//a/@href"), missing  # a way home
            assert b"personal links" not in lost.content
        assert http.head("/notes/nothing").status_code == 404


def test_serve_warns_when_base_url_leads_elsewhere(site: Path) -> None:
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text().replace(BASE, "https://example.com/"))
    with Serve(site) as server:
        pass
    assert (f"Warning: [site] base_url is https://example.com/ (the sample address), but this server listens at "
            f"http://127.0.0.1:{server.port}/") in server.output()


@pytest.mark.parametrize(("base_url", "port", "warned"), [
    ("https://example.com/", 8080, True),
    ("http://localhost:8000/", 8080, True),
    ("http://127.0.0.1:8080/", 8080, False),
    ("http://localhost/", 80, False),
    ("https://notes.example.org/", 8080, True),  # a subdomain of the sample's domain
    ("https://www.example.com/", 8080, True),
    ("https://localhost:8080/", 8080, True),  # serve speaks http
    ("http://localhost:8080/blog/", 8080, True),  # it answers nothing under /blog/
    ("http://127.0.1.1:8000/", 8080, True),
    ("https://notes.harbour.example/", 8080, False),  # a public address: a proxy in front
    ("https://blog.example.com.au/", 8080, False),
])
def test_the_base_url_warning_rule(base_url: str, port: int, warned: bool) -> None:
    assert (base_url_warning(base_url, "127.0.0.1", port) is not None) is warned


# -- in a browser ----------------------------------------------------------------------------------

WIDE = """---
title: A wide article
date: 2026-06-01
tags: [wide]
---
```
x = {line}
```

<{url}>

| {head} |
|{rule}
| {cells} |

<img src="https://example.org/huge.png" width="2000" height="1000" alt="A huge image">
""".format(line="a" * 200, url="https://example.org/" + "segment-" * 25,
           head=" | ".join(f"Column {i}" for i in range(10)), rule="---|" * 10,
           cells=" | ".join(f"value-{i}-longer-text" for i in range(10)))


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_article_page_with_the_widest_content_fits_a_phone(runner: CliRunner, site: Path, scheme: str) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    write(site / "content" / "2026-06-01-wide.md", WIDE)
    build(runner)
    page_file = site / "output" / "2026" / "06" / "wide" / "index.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, color_scheme=scheme)
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else route.abort())
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            box = page.locator("a", has_text="subscribe to the newsletter").bounding_box()
            assert box is not None and box["x"] + box["width"] <= 375
            colours = page.evaluate("[getComputedStyle(document.body).color, getComputedStyle(document.body)"
                                    ".backgroundColor]")
            assert colours == (["rgb(249, 250, 251)", "rgb(17, 24, 39)"] if scheme == "dark"
                               else ["rgb(17, 24, 39)", "rgb(255, 255, 255)"])
        finally:
            browser.close()


def test_the_sample_site_builds_its_pages_out_of_the_box(tmp_path: Path, runner: CliRunner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "content", tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    out = build(runner)
    assert "pages to output" in out
    assert (tmp_path / "output" / "index.html").is_file()


@pytest.mark.browser
def test_the_subscribe_form_works_on_a_server_whose_base_url_names_another_host(
        runner: CliRunner, site: Path) -> None:
    """With base_url left at a public address (or the sample's), the form still posts to the server
    that showed it: the page's CSP allows only 'self', and used to block the post without a word."""
    from playwright.sync_api import expect, sync_playwright

    build(runner)
    with Serve(site) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            blocked: list[str] = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{server.url}subscribe")
            page.get_by_label("Email address").fill("reader@example.org")
            page.get_by_role("button", name="Subscribe").click()
            expect(page.locator("h1")).to_have_text("Check your inbox", timeout=30_000)
            assert page.url == f"{server.url}subscribe" and blocked == []
        finally:
            browser.close()
