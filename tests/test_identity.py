"""An article's id is given once and kept: through a change of base_url, permalink, file name,
a move, and for a scraped article with no date, its first-seen time likewise."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from syndicate.cli import main

from .conftest import write

NOW = ["--now", "2026-11-28T12:00:00Z"]
LATER = ["--now", "2026-11-29T12:00:00Z"]


def run(runner: CliRunner, *args: str, now: list[str] = NOW) -> Result:
    result = runner.invoke(main, [*args, *now])
    assert result.exit_code == 0, result.output
    return result


def items(site: Path) -> dict[str, dict]:
    """The main JSON feed's items, by title."""
    feed = json.loads((site / "output" / "feeds" / "feed.json").read_text(encoding="utf-8"))
    return {item["title"]: item for item in feed["items"]}


def set_config(site: Path, old: str, new: str) -> None:
    path = site / "syndicate.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_new_base_url_changes_the_links_but_no_id_and_mails_nothing_again(runner: CliRunner, site: Path) -> None:
    run(runner, "build")
    first = run(runner, "newsletter")
    assert first.stdout.startswith("Created issue #1")
    before = items(site)
    set_config(site, 'base_url = "https://blog.example.org/"', 'base_url = "https://news.example.net/blog/"')
    run(runner, "build")
    after = items(site)
    assert set(after) == set(before)
    for title, item in after.items():
        assert item["id"] == before[title]["id"]
        assert item["url"].startswith("https://news.example.net/blog/")
    again = run(runner, "newsletter")
    assert again.stdout == "Nothing new since issue #1: no issue created.\n"


def test_a_new_permalink_keeps_every_id(runner: CliRunner, site: Path) -> None:
    run(runner, "build")
    before = items(site)
    with (site / "syndicate.toml").open("a", encoding="utf-8") as f:
        f.write('\n[content]\npermalink = "/posts/{slug}.html"\n')
    run(runner, "build")
    after = items(site)
    assert {t: i["id"] for t, i in after.items()} == {t: i["id"] for t, i in before.items()}
    assert all(i["url"].endswith(".html") for i in after.values())


def test_without_the_state_database_ids_are_derived_anew(runner: CliRunner, site: Path) -> None:
    run(runner, "build")
    set_config(site, 'base_url = "https://blog.example.org/"', 'base_url = "https://news.example.net/"')
    (site / "syndicate.db").unlink()
    run(runner, "build")
    ids = sorted(i["id"] for i in items(site).values())
    # All but the one whose front matter sets its id.
    assert [i.split(",")[0] for i in ids] == ["tag:news.example.net"] * 4 + ["urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b"]


def test_url_ids_are_the_first_url_and_stay_after_a_permalink_change(runner: CliRunner, site: Path) -> None:
    with (site / "syndicate.toml").open("a", encoding="utf-8") as f:
        f.write('id = "url"\n')  # the file ends in [feeds]
    run(runner, "build")
    first = items(site)
    plain = {t: i for t, i in first.items() if not i["id"].startswith("urn:uuid:")}  # one sets its id
    # Every article without an id of its own is known by its URL, as jekyll-feed and Hugo do.
    assert len(plain) == 4 and all(i["id"] == i["url"] for i in plain.values())
    rss = (site / "output" / "feeds" / "rss.xml").read_text(encoding="utf-8")
    some = next(iter(plain.values()))
    assert f'<guid isPermaLink="true">{some["url"]}</guid>' in rss
    with (site / "syndicate.toml").open("a", encoding="utf-8") as f:
        f.write('\n[content]\npermalink = "/{slug}/"\n')
    run(runner, "build")
    for title, item in items(site).items():
        assert item["id"] == first[title]["id"]
        if title in plain:
            assert item["url"] != item["id"]


def test_a_bad_id_style_names_the_key(runner: CliRunner, site: Path) -> None:
    with (site / "syndicate.toml").open("a", encoding="utf-8") as f:
        f.write('id = "guid"\n')
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 2
    assert "syndicate.toml, line 13: 'feeds.id' is 'guid'; use 'tag' or 'url'." in result.stderr


def test_a_moved_file_keeps_its_id_and_a_new_file_at_its_old_path_gets_its_own(
        runner: CliRunner, site: Path) -> None:
    run(runner, "build")
    content = site / "content"
    old = content / "2026-02-01-unsafe.md"
    moved = content / "archive" / "2026-02-01-unsafe-markup.md"
    moved.parent.mkdir()
    old_id = next(i["id"] for i in items(site).values() if i["url"].endswith("/unsafe/"))
    old.rename(moved)
    write(old, "---\ntitle: A new post where the old one was\ndate: 2026-02-01\n---\nNew words.\n")
    run(runner, "build")
    now = items(site)
    assert now["A new post where the old one was"]["id"] != old_id
    assert [i["url"] for i in now.values() if i["id"] == old_id] == ["https://blog.example.org/2026/02/unsafe-markup/"]


REFERENCE = ("Harbour council approves new electric ferry\n"
             "The harbour council voted 7 to 2 on Tuesday evening to replace the 1987 diesel ferry.\n"
             "The new boat will carry 180 passengers and 24 bicycles.\n"
             "COMMENTS\n")


def test_a_scraped_article_with_no_date_is_published_at_the_time_first_seen(
        runner: CliRunner, site: Path) -> None:
    write(site / "content" / "scraped" / "ferry.txt", REFERENCE)
    first = run(runner, "build")
    assert first.stderr == (
        "warning: content/scraped/ferry.txt: has no date, so it is published with the time syndicate first "
        "saw it (2026-11-28 12:00 UTC), kept in the state database. To pin it, add a first line "
        "'Date: 2026-11-28' above the title.\n")
    item = items(site)["Harbour council approves new electric ferry"]
    assert item["date_published"] == "2026-11-28T12:00:00+00:00"
    assert item["content_html"].count("<p>") == 2 and "COMMENTS" not in item["content_html"]

    # A day later, renamed: the same date and id, and no warning (it was said once).
    (site / "content" / "scraped" / "ferry.txt").rename(site / "content" / "scraped" / "electric-ferry.txt")
    later = run(runner, "build", now=LATER)
    assert later.stderr == ""
    again = items(site)["Harbour council approves new electric ferry"]
    assert again["date_published"] == item["date_published"] and again["id"] == item["id"]
    with sqlite3.connect(site / "syndicate.db") as db:
        rows = dict(db.execute("SELECT path, first_seen FROM article WHERE path LIKE 'scraped/%'"))
    assert rows == {"scraped/ferry.txt": "2026-11-28T12:00:00+00:00",
                    "scraped/electric-ferry.txt": "2026-11-28T12:00:00+00:00"}


def test_check_says_what_the_build_would_date_an_undated_article(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "ferry.txt", REFERENCE)
    result = runner.invoke(main, ["check", *NOW])
    assert result.exit_code == 0
    assert "content/ferry.txt: has no date, so it is published with the time" in result.stderr


def test_a_post_dated_only_to_the_day_it_is_first_seen_is_published_at_that_moment(
        runner: CliRunner, site: Path) -> None:
    """Two posts of one day, dated by their file names: each gets the moment syndicate first saw
    it, so the feed's times are as accurate as it knows them (RFC 4287 3.3; the W3C validator's
    DuplicateUpdated), and that moment is kept. A post first seen on a later day stays at midnight."""
    write(site / "content" / "2026-11-28-morning.md", "---\ntitle: Morning\n---\nFirst.\n")
    write(site / "content" / "2026-11-20-older.md", "---\ntitle: Older\n---\nA week old.\n")
    run(runner, "build")
    write(site / "content" / "2026-11-28-evening.md", "---\ntitle: Evening\ndate: 2026-11-28\n---\nSecond.\n")
    run(runner, "build", now=["--now", "2026-11-28T17:30:00Z"])
    run(runner, "build", now=LATER)  # rebuilt the next day: nothing moves
    got = items(site)
    # The site's zone is Europe/Berlin (UTC+1 in November).
    assert got["Morning"]["date_published"] == "2026-11-28T13:00:00+01:00"
    assert got["Evening"]["date_published"] == "2026-11-28T18:30:00+01:00"
    assert got["Older"]["date_published"] == "2026-11-20T00:00:00+01:00"
    atom = (site / "output" / "feeds" / "atom.xml").read_text(encoding="utf-8")
    assert "<updated>2026-11-28T13:00:00+01:00</updated>" in atom
    assert "<updated>2026-11-28T18:30:00+01:00</updated>" in atom
