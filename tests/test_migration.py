"""A site moved over from Hugo, Jekyll or Pelican keeps every reader's read state: syndicate's feed
holds the same entries, with the same ids and links, as the feed the old tool itself wrote.

Each folder under tests/data/old-feeds/ is a small site built by the real tool (its version, the
command and the config are in BUILT.txt and beside it): ``content/`` holds its posts, copied as a
user would, and ``feed.xml`` the feed the tool wrote. The posts cover each tool's rules (slugs,
own URLs, categories in the URL, drafts, future and expired posts, dates in the tool's forms).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from syndicate.cli import main

from .conftest import DATA, write

OLD = DATA / "old-feeds"

#: What each tool's user writes in syndicate.toml to move over: [content] import, and the id style
#: that tool's feeds use (Hugo and jekyll-feed: the URL; Pelican: a tag: URI).
SETTINGS = {
    "hugo": ("atom.xml", 'import = "hugo"', 'id = "url"'),
    "jekyll": ("atom.xml", 'import = "jekyll"', 'id = "url"'),
    "pelican": ("atom.xml", 'import = "pelican"', 'id = "tag"'),
}


def entries(path: Path) -> dict[str, dict]:
    """The feed's entries by id: link, title, and the moment published (UTC)."""
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.bozo_exception
    return {e.id: {"link": e.link, "title": e.title,
                   "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", e.published_parsed or e.updated_parsed)}
            for e in feed.entries}


@pytest.mark.parametrize("tool", sorted(SETTINGS))
def test_a_moved_site_s_feed_has_the_old_tool_s_entries_ids_and_links(
        tool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed_name, import_line, id_line = SETTINGS[tool]
    shutil.copytree(OLD / tool / "content", tmp_path / "content")
    write(tmp_path / "syndicate.toml",
          '[site]\nbase_url = "https://harbour.example.org/"\ntimezone = "Europe/London"\n'
          f"[content]\n{import_line}\n[feeds]\nlimit = 0\ntag_feeds = false\n{id_line}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--now", "2026-11-28T12:00:00Z"])
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    old = entries(OLD / tool / "feed.xml")
    new = entries(tmp_path / "output" / "feeds" / feed_name)
    assert len(old) >= 4
    assert {i: e["link"] for i, e in new.items()} == {i: e["link"] for i, e in old.items()}
    assert {i: e["title"] for i, e in new.items()} == {i: e["title"] for i, e in old.items()}
    assert {i: e["published"] for i, e in new.items()} == {i: e["published"] for i, e in old.items()}


def test_pelican_s_rss_feed_has_the_same_guids_as_its_atom_feed_and_syndicate_s() -> None:
    """Pelican writes one id per post in both its feeds (a tag: URI, isPermaLink false)."""
    assert entries(OLD / "pelican" / "feed-rss.xml").keys() == entries(OLD / "pelican" / "feed.xml").keys()
