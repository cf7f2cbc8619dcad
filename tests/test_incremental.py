"""A build reads and parses only the article files that changed (the parses of the others are
kept in the state database), and what it writes is byte for byte what the same build would
write reading every file again: after an edit, an addition, a deletion, a rename, a config
or template change, and a later ``--now``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.content import cache
from syndicate.content.load import read_content
from syndicate.state import Store

from .conftest import write

NOW = "2026-11-28T12:00:00Z"


def build(site: Path, monkeypatch: pytest.MonkeyPatch, now: str = NOW) -> str:
    monkeypatch.chdir(site)
    result = CliRunner().invoke(main, ["build", "--now", now])
    assert result.exit_code in (0, 1), result.output
    return result.output


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def second_build(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that reads everything again (a file touched), now that every file's first sighting
    is known: the one whose parses are kept."""
    os.utime(site / "content" / "2026-01-05-escaping.md")
    build(site, monkeypatch, "2026-11-28T13:00:00Z")


def kept_parses(site: Path) -> int:
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        return store.db.execute("SELECT count(*) FROM parsed").fetchone()[0]


def without_cache(site: Path, tmp_path: Path) -> Path:
    """A copy of the site and its state, with everything kept to spare work forgotten (the parses,
    the feed entries, the catalogue, the records of the feeds, pages, archive and preview written): every file is
    read again and everything made again. What stays is what a build cannot make again: when
    each file was first seen, the ids given, the issues."""
    copy = tmp_path / "uncached"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(site, copy, symlinks=True)
    with Store(load_config(copy / "syndicate.toml").state_path) as store:
        store.db.execute("DELETE FROM parsed")
        store.db.execute("DELETE FROM entry")
        store.db.execute("DELETE FROM catalogue")
        store.db.execute("DELETE FROM meta WHERE key IN ('feeds', 'pages', 'archive', 'preview', 'build')")
        store.db.commit()
    return copy


def edit(site: Path) -> None:
    story = site / "content" / "2026-04-01-news-story.txt"
    story.write_text(story.read_text().replace("180 passengers", "200 passengers"))


def add(site: Path) -> None:
    write(site / "content" / "2026-11-01-added.md", "---\ntitle: Added later\ndate: 2026-11-01T09:00:00Z\n"
                                                    "tags: [news]\n---\n\nNew.\n")


def delete(site: Path) -> None:
    (site / "content" / "2026-02-01-unsafe.md").unlink()


def rename(site: Path) -> None:
    (site / "content" / "2026-03-10-features.md").rename(site / "content" / "2026-03-10-features-moved.md")


def retitle_site(site: Path) -> None:
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text().replace('title = "Test Site & Friends"', 'title = "Renamed Site"'))


def new_template(site: Path) -> None:
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[newsletter]\ntemplates_dir = "templates"\n')
    write(site / "templates" / "article.html.j2", "{% extends 'page.html.j2' %}{% block main %}<h1>{{ article.title }}"
                                                  "</h1>{{ article.html | safe }}{% endblock %}")


def undated(site: Path) -> None:
    write(site / "content" / "scraped.txt", "A scraped story\n\nIts first paragraph, with no date at all.\n")


def issue_made(site: Path) -> None:
    result = CliRunner().invoke(main, ["newsletter", "--now", "2026-11-28T15:00:00Z"])
    assert result.exit_code == 0, result.output


def old_article_edited(site: Path) -> None:  # in no preview: the next issue takes the newest
    story = site / "content" / "2026-01-06-control.md"
    story.write_bytes(story.read_bytes() + b"\nOne more line.\n")


def summaries_only(site: Path) -> None:  # every entry made again, without the article's HTML
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text().replace("[feeds]\n", "[feeds]\nfull_content = false\n"))


def retagged(site: Path) -> None:  # a tag's only article leaves it: its feeds go
    path = site / "content" / "2026-02-01-unsafe.md"
    path.write_text(path.read_text().replace("tags: [security]", "tags: [markdown]"))


def feed_file_lost(site: Path) -> None:  # a file of a feed no article changed, deleted from output/
    (site / "output" / "feeds" / "tags" / "markdown" / "atom.xml").unlink()


CHANGES: dict[str, Callable[[Path], None]] = {
    "edit": edit, "add": add, "delete": delete, "rename": rename, "site title": retitle_site,
    "template": new_template, "undated file": undated, "issue made": issue_made,
    "old article edited": old_article_edited, "summaries only": summaries_only, "retagged": retagged,
    "feed file lost": feed_file_lost,
}


def no_pages(site: Path) -> None:
    """The site without article pages: its builds after a few files changed read only those
    (from the catalogue the last build left), not even the kept parses of the others."""
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text().replace('language = "en"\n', 'language = "en"\npages = false\n'))


@pytest.mark.parametrize("pages", [True, False], ids=["pages", "no pages"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_build_after_a_change_writes_what_a_build_reading_every_file_writes(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, pages: bool) -> None:
    if not pages:
        no_pages(site)
    undated(site) if change != "undated file" else None
    build(site, monkeypatch)
    second_build(site, monkeypatch)
    assert kept_parses(site) > 0
    CHANGES[change](site)
    copy = without_cache(site, tmp_path)
    later = "2026-11-29T08:00:00Z"
    cached_output = build(site, monkeypatch, later)
    fresh_output = build(copy, monkeypatch, later)
    assert cached_output == fresh_output
    assert tree(site / "output") == tree(copy / "output")


def test_only_the_changed_file_is_parsed_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(site, monkeypatch)
    second_build(site, monkeypatch)
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        before = dict(store.db.execute("SELECT path, key FROM parsed"))
    edit(site)
    delete(site)
    build(site, monkeypatch, "2026-11-28T14:00:00Z")
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        after = dict(store.db.execute("SELECT path, key FROM parsed"))
    assert "2026-02-01-unsafe.md" in before and "2026-02-01-unsafe.md" not in after  # gone with its file
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {"2026-04-01-news-story.txt"}


def test_an_unchanged_file_is_not_read_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown by a kept parse altered behind the build's back: the next build uses it as it is (with
    the kept entries forgotten, so that its entries are made again, from the kept head and the body
    read from the file)."""
    build(site, monkeypatch)
    second_build(site, monkeypatch)
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        [head] = store.db.execute("SELECT head FROM parsed WHERE path = '2026-03-10-features.md'").fetchone()
        store.db.execute("UPDATE parsed SET head = ? WHERE path = '2026-03-10-features.md'",
                         (head.replace('"Markdown features"', '"Kept parse"', 1),))
        store.db.execute("DELETE FROM entry")
        store.db.commit()
    edit(site)  # another file: the build runs, and reads only that one
    build(site, monkeypatch, "2026-11-28T14:00:00Z")
    rss = (site / "output" / "feeds" / "rss.xml").read_text()
    assert "<title>Kept parse</title>" in rss and "Markdown features" not in rss
    assert "First paragraph with a footnote." in rss and "struck" in rss  # its body, read from the file


def test_an_unchanged_articles_feed_entries_are_not_made_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown by a kept entry altered behind the build's back: a build after another article changed
    splices it in as it is; once its own article changes, it is made again."""
    build(site, monkeypatch)
    second_build(site, monkeypatch)
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        [rss] = store.db.execute("SELECT rss FROM entry WHERE id = 'urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b'"
                                 ).fetchone()
        assert b"<title>Markdown features</title>" in rss
        store.db.execute("UPDATE entry SET rss = ? WHERE id = 'urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b'",
                         (rss.replace(b"<title>Markdown features</title>", b"<title>Kept entry</title>"),))
        store.db.commit()
    edit(site)
    build(site, monkeypatch, "2026-11-28T14:00:00Z")
    feed = site / "output" / "feeds" / "rss.xml"
    assert "<title>Kept entry</title>" in feed.read_text()
    features = site / "content" / "2026-03-10-features.md"
    features.write_bytes(features.read_bytes() + b"\nOne more line.\n")
    build(site, monkeypatch, "2026-11-28T15:00:00Z")
    assert "<title>Kept entry</title>" not in feed.read_text()
    assert "<title>Markdown features</title>" in feed.read_text()


def test_the_newsletter_preview_is_not_rendered_again_when_its_articles_did_not_change(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown by the kept preview's record altered behind the build's back: the next build reports
    what the record says instead of rendering the preview again."""
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[newsletter]\nmax_articles = 2\n")  # the two newest: the old article is in none
    build(site, monkeypatch)
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        record = store.get("preview")
        assert record["preview"] == [1, 2]
        store.set("preview", {**record, "problems": [
            {"path": "newsletter", "message": "from the kept preview", "line": None, "level": "warning"}]})
    add(site)  # a new article: in the next issue, so the preview is made again
    assert "from the kept preview" not in build(site, monkeypatch)
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        record = store.get("preview")
        store.set("preview", {**record, "problems": [
            {"path": "newsletter", "message": "from the kept preview", "line": None, "level": "warning"}]})
    old_article_edited(site)  # not in the next issue (it takes the newest): the preview is kept
    assert "from the kept preview" in build(site, monkeypatch)


def test_a_kept_parse_is_the_article_as_read_even_to_its_dates_time_zones(site: Path) -> None:
    """Every field, the dates' zones included (a template may show "CET", or count days across
    a change to summer time): a kept Europe/Berlin date is not a bare +01:00 offset."""
    config = load_config(site / "syndicate.toml")
    articles = read_content(config, now=datetime(2026, 11, 28, tzinfo=timezone.utc)).seen
    assert any(isinstance(a.date.tzinfo, ZoneInfo) for a in articles)
    for article in articles:
        again, problems = cache.load(cache.dump(article, [])[0])
        assert (repr(again), problems) == (repr(article), [])
        assert again.date.strftime("%Z") == article.date.strftime("%Z")


def test_a_moved_content_folder_names_the_files_where_they_are_now(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(site / "content" / "2026-06-01-warn.md", "---\ntitle: Warn\ndate: 2026-06-01T10:00:00Z\n---\n\n"
                                                   "Hello ![](pic.png)\n")
    build(site, monkeypatch)
    second_build(site, monkeypatch)
    (site / "content").rename(site / "posts")
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[content]\ndir = "posts"\n')
    output = build(site, monkeypatch, "2026-11-28T14:00:00Z")
    assert "posts/2026-06-01-warn.md: an image has no alt text" in output
    assert "content/2026-06-01-warn.md" not in output


def test_a_damaged_kept_parse_is_read_again_from_its_file(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(site, monkeypatch)
    second_build(site, monkeypatch)
    with Store(load_config(site / "syndicate.toml").state_path) as store:
        store.db.execute("UPDATE parsed SET head = '{\"article\": 1}' WHERE path = '2026-03-10-features.md'")
        store.db.commit()
    edit(site)
    output = build(site, monkeypatch, "2026-11-28T14:00:00Z")
    assert "Traceback" not in output
    assert "<title>Markdown features</title>" in (site / "output" / "feeds" / "rss.xml").read_text()

