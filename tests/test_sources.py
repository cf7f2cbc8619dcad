"""[[sources]]: fetching other sites' feeds from a real local HTTP server, politely, and what a
build, the newsletter and the feeds make of them; every hostile feed a case file of
tests/data/sources/ (its header says what it is and what is expected)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

from syndicate.config import Config, load_config
from syndicate.content.render import render_html
from syndicate.feeds.build import build_site
from syndicate.newsletter.make import make_newsletter
from syndicate.sources import fetch_sources, source_content
from syndicate.state import open_store

from .conftest import DATA, NOW
from .feed_server import FeedServer, read_case

CASES = sorted((DATA / "sources").glob("*.http"))

RSS = (DATA / "sources" / "rss.http").read_bytes().partition(b"\n\n")[2]

#: The bounds every test fetches with: short, so that the slow cases take a second or two.
FETCH = '[fetch]\ntimeout = 1.5\nmax_bytes = 200000\nmax_redirects = 3\n'


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def with_sources(site: Path, *tables: dict[str, object], fetch: str = FETCH) -> Config:
    """The test site's config with ``[fetch]`` and a ``[[sources]]`` table for each of ``tables``."""
    text = (DATA / "site" / "syndicate.toml").read_text(encoding="utf-8") + "\n" + fetch
    for table in tables:
        text += "\n[[sources]]\n"
        for key, value in table.items():
            if isinstance(value, bool):
                text += f"{key} = {'true' if value else 'false'}\n"
            elif isinstance(value, (list, tuple)):
                text += f"{key} = [" + ", ".join(f'"{v}"' for v in value) + "]\n"
            else:
                text += f'{key} = "{value}"\n'
    (site / "syndicate.toml").write_text(text, encoding="utf-8")
    return load_config(site / "syndicate.toml")


def fetch_now(config: Config, now: datetime = NOW, **options: object):  # noqa: ANN201
    with open_store(config) as store:
        report = fetch_sources(config, store, now=now, **options)  # type: ignore[arg-type]
        return report, source_content(config, store), store.source_states()


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_case_file_gives_what_it_says(path: Path, site: Path, feeds: FeedServer) -> None:
    case = read_case(path)
    feeds.add_case("/feed", case)
    url = feeds.url("/feed")
    config = with_sources(site, {"url": url, "name": "case"})
    started = time.monotonic()
    report, content, states = fetch_now(config, force=True)
    took = time.monotonic() - started
    problems = [str(p) for p in report.problems + content.problems]
    expected = [p.replace("{url}", url) for p in case.all("Expect-Problem") if p != "none"]
    assert problems == expected, f"{path.name}: {case.get('Description')}"
    assert len(content.newsletter) == int(case.get("Expect-Entries")), path.name
    assert [s.status for s in states.values()] == [case.get("Expect-Status")], path.name
    assert took < float(case.get("Expect-Seconds", "2.5")), f"{path.name} took {took:.1f} s"
    shown = "\n".join(f"{a.title}\n{a.url}\n{render_html(a)}\n{a.summary}" for a in content.newsletter)
    for text in case.all("Expect-Present"):
        assert text in shown, (path.name, text)
    for text in case.all("Expect-Absent"):
        assert text.lower() not in shown.lower(), (path.name, text)
    if case.get("Expect-Date"):
        assert [a.date.isoformat() for a in content.newsletter] == [case.get("Expect-Date")]


def test_the_second_fetch_is_a_conditional_get_answered_304_and_changes_nothing(
        site: Path, feeds: FeedServer) -> None:
    feeds.add("/etag", RSS, content_type="application/rss+xml", headers={"ETag": '"v1"'})
    feeds.add("/date", RSS, content_type="application/rss+xml",
              headers={"Last-Modified": "Fri, 27 Nov 2026 09:00:00 GMT"})
    config = with_sources(site, {"url": feeds.url("/etag"), "name": "By ETag"},
                          {"url": feeds.url("/date"), "name": "By date"})
    first, content, _ = fetch_now(config)
    assert (first.asked, first.new_entries) == (2, 6)
    again, same, states = fetch_now(config, NOW + timedelta(hours=1))
    assert (again.asked, again.not_modified, again.new_entries) == (2, 2, 0)
    assert sorted((r.path, r.status, r.if_none_match, r.if_modified_since) for r in feeds.log[2:]) == [
        ("/date", 304, None, "Fri, 27 Nov 2026 09:00:00 GMT"), ("/etag", 304, '"v1"', None)]
    assert same.key == content.key
    assert {s.last_result for s in states.values()} == {"not modified"}


def test_a_source_is_not_fetched_again_before_its_interval_and_cache_control_may_ask_for_longer(
        site: Path, feeds: FeedServer) -> None:
    feeds.add("/short", RSS, content_type="application/rss+xml")
    feeds.add("/long", RSS, content_type="application/rss+xml", headers={"Cache-Control": "max-age=10800"})
    config = with_sources(site, {"url": feeds.url("/short"), "name": "Short", "every": "30m"},
                          {"url": feeds.url("/long"), "name": "Long", "every": "30m"})
    fetch_now(config)
    assert fetch_now(config, NOW + timedelta(minutes=29))[0].asked == 0
    assert [r[0] for r in fetch_now(config, NOW + timedelta(minutes=30))[0].results] == ["Short"]
    _, _, states = fetch_now(config, NOW + timedelta(hours=3))
    assert sorted(s.next_fetch_at - NOW for s in states.values()) == [timedelta(hours=3, minutes=30),
                                                                       timedelta(hours=6)]


def test_retry_after_is_honoured_and_failures_back_off(site: Path, feeds: FeedServer) -> None:
    feeds.add("/busy", "slow down", status=429, headers={"Retry-After": "Sat, 28 Nov 2026 17:00:00 GMT"})
    feeds.add("/down", "oops", status=503)
    config = with_sources(site, {"url": feeds.url("/busy"), "name": "Busy"},
                          {"url": feeds.url("/down"), "name": "Down"})
    waits = []
    for hours in (0, 1, 3, 7):
        _, _, states = fetch_now(config, NOW + timedelta(hours=hours))
        waits.append({s.url.rsplit("/", 1)[1]: s.next_fetch_at - NOW for s in states.values()})
    assert [w["busy"] for w in waits] == [timedelta(hours=5)] * 3 + [timedelta(hours=8)]
    # 503 without Retry-After: every (1 h), doubled for each failure in a row.
    assert [w["down"] for w in waits] == [timedelta(hours=1), timedelta(hours=3), timedelta(hours=7),
                                          timedelta(hours=15)]


def test_a_410_disables_the_source_until_it_is_fetched_by_name(site: Path, feeds: FeedServer) -> None:
    feeds.add("/gone", "gone", status=410)
    config = with_sources(site, {"url": feeds.url("/gone"), "name": "Gone"})
    fetch_now(config)
    assert fetch_now(config, NOW + timedelta(days=30))[0].asked == 0
    feeds.add("/gone", RSS, content_type="application/rss+xml")
    report, content, states = fetch_now(config, NOW + timedelta(days=30), names=["Gone"])
    assert (report.asked, [s.status for s in states.values()], content.problems) == (1, ["ok"], [])


def test_a_permanent_redirect_is_followed_and_kept_and_the_entries_keep_their_identity(
        site: Path, feeds: FeedServer) -> None:
    feeds.add("/old", behaviour="redirect /new")
    feeds.add("/new", RSS, content_type="application/rss+xml", headers={"ETag": '"n"'})
    config = with_sources(site, {"url": feeds.url("/old"), "name": "Moved"})
    _, content, states = fetch_now(config)
    assert [s.moved_to for s in states.values()] == [feeds.url("/new")]
    feeds.add("/new", RSS.replace(b"Ferry timetable", b"Ferry timetable (updated)"),
              content_type="application/rss+xml")
    _, again, _ = fetch_now(config, NOW + timedelta(hours=2))
    assert [r.path for r in feeds.log] == ["/old", "/new", "/new"]
    assert [a.id for a in again.newsletter] == [a.id for a in content.newsletter]
    assert "Ferry timetable (updated) for the winter" in [a.title for a in again.newsletter]


def test_a_source_whose_address_is_changed_to_where_it_moved_keeps_its_entries_and_sends_none_again(
        site: Path, feeds: FeedServer) -> None:
    """``sources list`` says a source moved for good; a publisher who then writes the new address in
    syndicate.toml gets the same source, entries and all: nothing in an issue goes out again."""
    feeds.add("/old", behaviour="redirect /new")
    feeds.add("/new", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/old"), "name": "Moved"})
    build_site(config, now=NOW)
    [first] = make_newsletter(config, now=NOW).created
    assert sum(":sources/" in i for i in first.article_ids) == 3
    config = with_sources(site, {"url": feeds.url("/new"), "name": "Moved"})
    feeds.add("/new", RSS.replace(b"Ferry timetable", b"Ferry timetable (updated)"), content_type="application/rss+xml")
    build_site(config, now=NOW + timedelta(hours=2))
    assert make_newsletter(config, now=NOW + timedelta(hours=2)).created == []
    _, content, states = fetch_now(config, NOW + timedelta(hours=2))
    assert len(states) == 1 and len(content.newsletter) == 3


def test_two_sources_whose_entries_share_ids_do_not_collide(site: Path, feeds: FeedServer) -> None:
    feeds.add("/a", RSS, content_type="application/rss+xml")
    feeds.add("/b", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/a"), "name": "A"}, {"url": feeds.url("/b"), "name": "B"})
    _, content, _ = fetch_now(config)
    assert len({a.id for a in content.newsletter}) == 6
    assert sorted({a.origin for a in content.newsletter}) == ["A", "B"]


@pytest.mark.usefixtures("backend")
def test_an_entry_is_never_in_two_issues_however_its_feed_changes(site: Path, feeds: FeedServer) -> None:
    feeds.add("/feed", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Harbour News"})
    build_site(config, now=NOW)
    first = make_newsletter(config, now=NOW).created
    assert len(first) == 1
    remote = [i for i in first[0].article_ids if ":sources/" in i]
    assert len(remote) == 3
    # The site retitles and redates an entry, rewrites another, and adds a new one.
    changed = (RSS.replace(b"Ferry timetable for the winter", b"Winter ferry timetable (corrected)")
               .replace(b"Fri, 27 Nov 2026 09:00:00", b"Sat, 28 Nov 2026 13:00:00")
               .replace(b"The pier has new lights.", b"The pier has brighter lights.")
               .replace(b"<item>", b"<item><title>Quay closed</title><guid>harbour-104</guid>"
                        b"<pubDate>Sat, 28 Nov 2026 14:00:00 GMT</pubDate></item><item>", 1))
    feeds.add("/feed", changed, content_type="application/rss+xml")
    later = NOW + timedelta(hours=3)
    build_site(config, now=later)
    second = make_newsletter(config, now=later).created
    assert [[i for i in issue.article_ids if ":sources/" in i] for issue in second] == [
        [i for i in second[0].article_ids if i not in remote]]
    assert len(second[0].article_ids) == 1 and "Quay closed" in second[0].html
    build_site(config, now=later + timedelta(hours=2))
    assert make_newsletter(config, now=later + timedelta(hours=2)).created == []


def test_a_build_with_no_sources_opens_no_connection(site: Path, config: Config,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a build without [[sources]] opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    report = build_site(config, now=NOW)
    assert (report.published, report.source_entries, report.sources_fetched) == (5, 0, 0)


def test_builds_between_fetches_and_with_the_network_gone_write_the_same_bytes(
        site: Path, feeds: FeedServer) -> None:
    feeds.add("/feed", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Harbour News", "republish": True})
    build_site(config, now=NOW)
    output = {p: p.read_bytes() for p in sorted((site / "output").rglob("*")) if p.is_file()}
    assert build_site(config, now=NOW + timedelta(minutes=30)).up_to_date  # not due: nothing fetched
    feeds.__exit__()  # the network is gone: the next fetch fails, the entries stored stand
    report = build_site(config, now=NOW + timedelta(hours=2))
    assert (report.sources_fetched, report.sources_failed, report.written) == (1, 1, 0)
    assert [p.message for p in report.problems] == [
        f"refused the connection (nothing answers at 127.0.0.1:{feeds.port})."]
    assert {p: p.read_bytes() for p in sorted((site / "output").rglob("*")) if p.is_file()} == output


def test_a_source_down_is_reported_once_by_run_and_the_rest_still_builds(site: Path, feeds: FeedServer) -> None:
    from syndicate.schedule.run import run_once

    feeds.add("/good", RSS, content_type="application/rss+xml")
    feeds.add("/bad", "oops", status=500)
    config = with_sources(site, {"url": feeds.url("/good"), "name": "Good"},
                          {"url": feeds.url("/bad"), "name": "Bad"})
    said = []
    for hours in (0, 2, 5, 12):
        if hours == 12:
            feeds.add("/bad", RSS.replace(b"harbour-1", b"bad-1"), content_type="application/rss+xml")
        report = run_once(config, clock=lambda h=hours: NOW + timedelta(hours=h), newsletter=False)
        said.append([str(p) for p in report.problems])
        assert report.build is not None and report.build.published == 5
    bad = f"source 'Bad' ({feeds.url('/bad')}): answered 500 Internal Server Error."
    assert said == [[bad], [], [], []]
    assert len(feeds.requests("/bad")) == 4


def test_republished_entries_are_in_the_feeds_crediting_the_original_and_others_are_not(
        site: Path, feeds: FeedServer) -> None:
    feeds.add("/harbour", RSS, content_type="application/rss+xml")
    atom = (DATA / "sources" / "atom.http").read_bytes().partition(b"\n\n")[2]
    feeds.add("/lighthouse", atom, content_type="application/atom+xml")
    config = with_sources(site, {"url": feeds.url("/harbour"), "name": "Harbour News"},
                          {"url": feeds.url("/lighthouse"), "name": "Lighthouse Keepers", "republish": True,
                           "full_content": True, "tags": ["sea"]})
    build_site(config, now=NOW)
    feed = feedparser.parse((site / "output" / "feeds" / "atom.xml").read_bytes())
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert "Lighthouse open day" in titles and "Ferry timetable for the winter" not in titles
    entry = next(e for e in feed.entries if e.title == "Lighthouse open day")
    assert entry.link == "https://lighthouse.example/open-day"
    assert entry.author == "Ann Keeper"
    assert ('<p>Originally published on <a href="https://lighthouse.example/open-day">Lighthouse Keepers</a>.</p>'
            in entry.content[0].value)
    # A relative link in an Atom entry is relative to the feed's own address (RFC 4287, xml:base).
    assert f'src="{feeds.url("/img/tower.jpg")}"' in entry.content[0].value
    assert [t.term for t in entry.tags] == ["sea"]
    assert (site / "output" / "feeds" / "tags" / "sea" / "rss.xml").is_file()
    assert not list((site / "output").glob("**/open-day*"))  # no page of its own: it links the original


def test_a_summary_source_keeps_its_summary_and_a_full_content_one_its_whole_text(
        site: Path, feeds: FeedServer) -> None:
    atom = (DATA / "sources" / "atom.http").read_bytes().partition(b"\n\n")[2]
    feeds.add("/a", atom, content_type="application/atom+xml")
    feeds.add("/b", atom, content_type="application/atom+xml")
    config = with_sources(site, {"url": feeds.url("/a"), "name": "Summary"},
                          {"url": feeds.url("/b"), "name": "Whole", "full_content": True})
    _, content, _ = fetch_now(config)
    bodies = {(a.origin, a.title): render_html(a) for a in content.newsletter}
    assert bodies[("Summary", "Lighthouse open day")] == "<p>Come up the tower on Sunday.</p>\n"
    assert "tower.jpg" in bodies[("Whole", "Lighthouse open day")]
    assert bodies[("Summary", "The lamp is fixed")] == "<p>It shines again.</p>\n"


def test_per_article_issues_leave_the_sources_out(site: Path, feeds: FeedServer) -> None:
    feeds.add("/feed", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Harbour News"})
    text = (site / "syndicate.toml").read_text() + '\n[newsletter]\nmode = "per_article"\n'
    (site / "syndicate.toml").write_text(text)
    config = load_config(site / "syndicate.toml")
    build_site(config, now=NOW)
    made = make_newsletter(config, now=NOW).created
    assert made and all(":sources/" not in i for issue in made for i in issue.article_ids)


def test_the_fetch_sends_a_user_agent_naming_syndicate_and_the_site(site: Path, feeds: FeedServer) -> None:
    feeds.add("/feed", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Harbour News"})
    fetch_now(config)
    agent = feeds.log[0].user_agent or ""
    assert agent.startswith("syndicate/") and agent.endswith("(+https://blog.example.org/)")


def test_the_first_fetch_after_a_day_of_the_clock_is_dated_as_the_state_says(site: Path, feeds: FeedServer) -> None:
    """Undated entries that appear after the first fetch are new, and dated when first seen."""
    undated = (DATA / "sources" / "undated-first-fetch.http").read_bytes().partition(b"\n\n")[2]
    feeds.add("/feed", undated, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Undated"})
    assert fetch_now(config)[1].newsletter == []
    feeds.add("/feed", undated.replace(b"<item>", b"<item><title>Fresh</title><guid>u3</guid></item><item>", 1),
              content_type="application/rss+xml")
    later = NOW + timedelta(days=1)
    _, content, _ = fetch_now(config, later)
    assert [(a.title, a.date) for a in content.newsletter] == [("Fresh", later)]
    assert content.newsletter[0].date.tzinfo == timezone.utc


def test_a_digest_takes_at_most_max_from_sources_and_the_first_issue_sets_the_older_ones_aside(
        site: Path, feeds: FeedServer) -> None:
    feeds.add("/feed", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Harbour News"})
    text = (site / "syndicate.toml").read_text() + "\n[newsletter]\nmax_from_sources = 2\n"
    (site / "syndicate.toml").write_text(text)
    config = load_config(site / "syndicate.toml")
    build_site(config, now=NOW)
    [issue] = make_newsletter(config, now=NOW).created
    titles = [t for t in ("Ferry timetable for the winter", "New pier lights", "Fish market moves") if t in issue.html]
    assert titles == ["Ferry timetable for the winter", "New pier lights"]
    with open_store(config) as store:
        covered = store.covered_ids()
    assert sum(":sources/" in i for i in covered) == 3  # the third set aside by the first issue


def test_check_uses_the_stored_entries_and_fetches_nothing(site: Path, feeds: FeedServer, runner) -> None:  # noqa: ANN001
    from syndicate.cli import main
    from syndicate.feeds.make import check_site

    feeds.add("/feed", RSS, content_type="application/rss+xml")
    feeds.add("/bad", "oops", status=500)
    config = with_sources(site, {"url": feeds.url("/feed"), "name": "Harbour News", "republish": True},
                          {"url": feeds.url("/bad"), "name": "Bad"})
    built = runner.invoke(main, ["build", "--now", "2026-11-28T12:00:00Z"])
    assert built.exit_code == 0, built.output
    assert built.stdout.endswith("; 3 entries from 2 sources (2 fetched: 0 not modified, 1 failed); 1 problem.\n")
    assert built.stderr == f"warning: source 'Bad' ({feeds.url('/bad')}): answered 500 Internal Server Error.\n"
    asked = len(feeds.log)
    report = check_site(config, now=NOW + timedelta(days=1))
    assert (report.source_entries, [p.path for p in report.problems]) == (3, [f"source 'Bad' ({feeds.url('/bad')})"])
    assert len(feeds.log) == asked


def test_an_escaped_slash_in_a_sources_address_is_requested_as_written(site: Path, feeds: FeedServer) -> None:
    """``%2F`` is not ``/``: the path is sent with its escapes, not decoded into another resource's."""
    feeds.add("/a%2Fb/feed", RSS, content_type="application/rss+xml")
    config = with_sources(site, {"url": feeds.url("/a%2Fb/feed") + "?x=%2F", "name": "Escaped"})
    report, content, _ = fetch_now(config)
    assert [r.path for r in feeds.log] == ["/a%2Fb/feed?x=%2F"]
    assert report.problems == [] and len(content.newsletter) > 0
