"""``syndicate sources``: list, add (autodiscovery from a site's page), import and export OPML,
fetch; the list kept in syndicate.toml, whose other bytes are never touched. And the pure parts:
autodiscovery, OPML, durations and waits, the [[sources]] config checks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.sources import discover_feeds, parse_duration, read_opml, write_opml
from syndicate.sources.opml import OpmlError
from syndicate.sources.polite import cache_max_age, next_fetch, retry_after

from .conftest import DATA, NOW, write
from .feed_server import FeedServer
from .test_sources import FETCH, RSS

OPML = DATA / "opml"

PAGE = b"""<!DOCTYPE html><html><head><title>Harbour</title>
<base href="/news/">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Harbour News" href="feed.xml">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">
</head><body><p>Welcome</p></body></html>"""

# The commands fetch by the wall clock, and the sample feed's entries are of late November 2026: with
# the default max_age (7 days) they would age out of the tests. max_age has tests of its own.
CONFIG = ('# my site\n[site]\ntitle = "Mine"   # keep this comment\nbase_url = "https://mine.example/"\n' + FETCH
          + 'max_age = "0"\n')


@pytest.fixture
def feeds():  # noqa: ANN201
    with FeedServer() as server:
        yield server


def test_add_finds_the_feed_a_sites_page_announces_and_appends_it_leaving_the_file_as_it_was(
        runner: CliRunner, feeds: FeedServer) -> None:
    feeds.add("/", PAGE, content_type="text/html")
    feeds.add("/news/feed.xml", RSS, content_type="application/rss+xml")
    write(Path("syndicate.toml"), CONFIG.rstrip("\n"))  # no newline at the end: one is added
    result = runner.invoke(main, ["sources", "add", feeds.url("/"), "--tags", "sea, news"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Added 'Harbour News': {feeds.url('/news/feed.xml')}, found on {feeds.url('/')} "
                             "(3 entries now), to syndicate.toml.\n")
    assert Path("syndicate.toml").read_text() == CONFIG + (
        f'\n[[sources]]\nurl = "{feeds.url("/news/feed.xml")}"\nname = "Harbour News"\ntags = ["sea", "news"]\n')
    again = runner.invoke(main, ["sources", "add", feeds.url("/news/feed.xml")])
    assert again.stdout == f"{feeds.url('/news/feed.xml')} is already a source ('Harbour News'); nothing changed.\n"
    assert load_config("syndicate.toml").sources[0].tags == ("sea", "news")


def test_add_of_an_address_with_no_feed_writes_nothing_and_exits_1(runner: CliRunner, feeds: FeedServer) -> None:
    feeds.add("/", b"<!DOCTYPE html><html><head><title>x</title></head><body>no feed</body></html>",
              content_type="text/html")
    write(Path("syndicate.toml"), CONFIG)
    result = runner.invoke(main, ["sources", "add", feeds.url("/")])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {feeds.url('/')} is a web page that announces no feed (no <link rel=\"alternate\" "
                             "type=\"application/rss+xml\"> or Atom or JSON Feed one); give the feed's own address. "
                             "Nothing was added.\n")
    assert Path("syndicate.toml").read_text() == CONFIG
    bad = runner.invoke(main, ["sources", "add", "ftp://example.org/feed"])
    assert bad.exit_code == 2 and "'ftp://example.org/feed' is not an http(s) address" in bad.stderr


def test_add_without_a_config_file_makes_one_and_no_check_fetches_nothing(runner: CliRunner) -> None:
    result = runner.invoke(main, ["sources", "add", "https://feeds.example/rss", "--no-check", "--republish"])
    assert result.exit_code == 0, result.output
    assert Path("syndicate.toml").read_text() == (
        '[[sources]]\nurl = "https://feeds.example/rss"\nname = "feeds.example"\nrepublish = true\n')


def test_import_reads_folders_and_categories_as_tags_skips_known_feeds_and_reports_bad_outlines(
        runner: CliRunner) -> None:
    write(Path("syndicate.toml"), CONFIG + '\n[[sources]]\nurl = "https://known.example/feed"\nname = "Known"\n')
    before = Path("syndicate.toml").read_text()
    result = runner.invoke(main, ["sources", "import", str(OPML / "reader-export.opml")])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {OPML / 'reader-export.opml'}, line 12: the outline 'Broken' has xmlUrl "
                             "'javascript:alert(1)', not an http(s) address\n")
    assert result.stdout == (f"Imported 3 sources from {OPML / 'reader-export.opml'} to syndicate.toml; skipped 1 "
                             "already there; 1 invalid outline.\n")
    text = Path("syndicate.toml").read_text()
    assert text.startswith(before)
    sources = load_config("syndicate.toml").sources
    assert [(s.name, s.url, s.tags) for s in sources] == [
        ("Known", "https://known.example/feed", ()),
        ("Harbour News", "https://harbour.example/feed.xml", ("Sea",)),
        ("Tide Watch", "https://tides.example/feed.json", ("Sea", "Weather")),
        ("Known (2)", "https://other.example/atom.xml", ("Sea", "Deep", "friends")),
    ]


@pytest.mark.parametrize(("case", "message"), [
    ("billion-laughs.opml", "line 2: has a DOCTYPE, which OPML does not use (and which can hide an XML bomb); "
                            "remove it and import again."),
    ("not-opml.opml", "is not OPML: its root element is <rss>, not <opml>."),
    ("not-xml.opml", "line 3: is not well-formed XML (mismatched tag)."),
])
def test_import_refuses_a_file_that_is_no_safe_opml_and_writes_nothing(runner: CliRunner, case: str,
                                                                       message: str) -> None:
    write(Path("syndicate.toml"), CONFIG)
    result = runner.invoke(main, ["sources", "import", str(OPML / case)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {OPML / case}: {message}\n"
    assert Path("syndicate.toml").read_text() == CONFIG


def test_export_writes_opml_that_imports_back_to_the_same_sources(runner: CliRunner, tmp_path: Path) -> None:
    write(Path("syndicate.toml"), CONFIG + '\n[[sources]]\nurl = "https://a.example/feed"\nname = "A & B <co>"\n'
                                           'tags = ["sea", "x,y"]\n\n[[sources]]\nurl = "https://c.example/rss"\n')
    exported = runner.invoke(main, ["sources", "export"])
    assert exported.exit_code == 0
    assert exported.stdout_bytes == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n    <title>Mine: sources</title>\n'
        b'  </head>\n  <body>\n    <outline type="rss" text="A &amp; B &lt;co&gt;" title="A &amp; B &lt;co&gt;" '
        b'xmlUrl="https://a.example/feed" category="sea,x y"/>\n    <outline type="rss" text="c.example" '
        b'title="c.example" xmlUrl="https://c.example/rss"/>\n  </body>\n</opml>\n')
    feeds, invalid = read_opml(exported.stdout_bytes)
    assert ([(f.url, f.name, f.tags) for f in feeds], invalid) == (
        [("https://a.example/feed", "A & B <co>", ("sea", "x y")), ("https://c.example/rss", "c.example", ())], [])


def test_list_and_fetch_show_each_sources_state(runner: CliRunner, feeds: FeedServer) -> None:
    feeds.add("/rss", RSS, content_type="application/rss+xml", headers={"ETag": '"1"'})
    feeds.add("/gone", b"gone", status=410)
    write(Path("syndicate.toml"), CONFIG + f'\n[[sources]]\nurl = "{feeds.url("/rss")}"\nname = "Harbour"\n'
                                           f'\n[[sources]]\nurl = "{feeds.url("/gone")}"\nname = "Gone"\n')
    listed = runner.invoke(main, ["sources"])
    assert listed.stdout == (f"Harbour <{feeds.url('/rss')}>\n  new: not fetched yet (the next build or run fetches "
                             f"it)\nGone <{feeds.url('/gone')}>\n  new: not fetched yet (the next build or run "
                             "fetches it)\n")
    assert listed.stderr == "2 sources.\n"
    fetched = runner.invoke(main, ["sources", "fetch", "--", "Harbour"])
    assert (fetched.exit_code, fetched.stdout) == (0, "Harbour: 3 entries, 3 new\nFetched 1 source: 0 not modified, "
                                                      "0 failed, 3 new entries.\n")
    fetched = runner.invoke(main, ["sources", "fetch"])
    gone = ("answered 410 Gone: the feed is gone for good, so it is no longer fetched. Remove it from syndicate.toml, "
            "or run 'syndicate sources fetch \"Gone\"' to try it again")
    assert (fetched.exit_code, fetched.stdout) == (1, f"Harbour: not modified\nGone: {gone}\nFetched 2 sources: 1 not "
                                                      "modified, 1 failed, 0 new entries.\n")
    lines = runner.invoke(main, ["sources", "list"]).stdout.splitlines()
    assert lines[0] == f"Harbour <{feeds.url('/rss')}>"
    assert lines[1].startswith("  ok: fetched ") and lines[1].endswith("(not modified); 3 entries; next fetch after "
                                                                        + lines[1].split("after ")[1])
    assert lines[2:] == [f"Gone <{feeds.url('/gone')}>", lines[3], f"  {gone}"]
    assert lines[3].startswith("  disabled: fetched ") and lines[3].endswith("(gone); 0 entries")
    unknown = runner.invoke(main, ["sources", "fetch", "Nope"])
    assert unknown.exit_code == 2 and "no source is named 'Nope'; the sources are: 'Gone', 'Harbour'." in unknown.stderr


def test_discovery_resolves_against_the_base_keeps_the_pages_order_and_skips_what_is_no_feed() -> None:
    found = discover_feeds(PAGE, page_url="https://harbour.example/")
    assert [(f.url, f.title) for f in found] == [("https://harbour.example/news/feed.xml", "Harbour News"),
                                                 ("https://harbour.example/comments.xml", "Comments")]
    page = (b'<link rel="Alternate Feed" type="Application/Atom+XML; charset=utf-8" href="a.atom">'
            b'<link rel=alternate type=application/feed+json href=/f.json><link rel="alternate" type="text/html" '
            b'href="/fr/"><link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">')
    assert [f.url for f in discover_feeds(page, page_url="https://x.example/blog/")] == [
        "https://x.example/blog/a.atom", "https://x.example/f.json"]


def test_opml_nesting_is_bounded() -> None:
    deep = b"<opml><body>" + b"<outline text='x'>" * 60 + b"</outline>" * 60 + b"</body></opml>"
    with pytest.raises(OpmlError, match="nested more than 50 deep"):
        read_opml(deep)
    assert write_opml([], title="T") == (b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n'
                                         b'    <title>T</title>\n  </head>\n  <body>\n  </body>\n</opml>\n')


@pytest.mark.parametrize(("text", "expect"), [
    ("1h", timedelta(hours=1)), ("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90)),
    ("7d", timedelta(days=7)), ("2w", timedelta(days=14)), (" 30 M ", timedelta(minutes=30)),
])
def test_durations(text: str, expect: timedelta) -> None:
    assert parse_duration(text) == expect


@pytest.mark.parametrize("text", ["", "1", "h", "1y", "1h 2", "-1h", "0"])
def test_durations_that_are_none(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)
    assert parse_duration("0", allow_zero=True) == timedelta(0)


def test_waits_asked_for_by_the_server_are_honoured_up_to_a_week() -> None:
    now = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
    assert cache_max_age({"cache-control": "public, max-age=600"}) == timedelta(minutes=10)
    assert cache_max_age({"cache-control": "no-cache"}) is None
    assert retry_after({"retry-after": "120"}, now) == timedelta(minutes=2)
    assert retry_after({"retry-after": "Sat, 28 Nov 2026 13:00:00 GMT"}, now) == timedelta(hours=1)
    assert retry_after({"retry-after": "soon"}, now) is None
    hour = timedelta(hours=1)
    assert next_fetch(now, hour, asked=timedelta(minutes=5)) == now + hour
    assert next_fetch(now, hour, asked=timedelta(days=400)) == now + timedelta(days=7)
    assert [next_fetch(now, hour, failures=n) - now for n in (1, 2, 3, 6, 20)] == [
        hour, 2 * hour, 4 * hour, 24 * hour, 24 * hour]


@pytest.mark.parametrize(("toml", "expect"), [
    ('[[sources]]\nname = "x"\n', "line 1: [[sources]] number 1 has no url. Give the feed's address: "
                                  'url = "https://example.org/feed.xml".'),
    ('[[sources]]\nurl = "example.org/feed"\n', "line 2: 'url' of [[sources]] number 1 is 'example.org/feed', not an "
                                                "http(s) address. Write it like 'https://example.org/feed.xml'."),
    ('[[sources]]\nurl = "https://a.example/f"\nevery = "10s"\n',
     "line 3: 'every' of [[sources]] number 1 is '10s'; fetch a feed at most once a minute (\"1m\"), to be polite "
     "to its server."),
    ('[[sources]]\nurl = "https://a.example/f"\nmax_age = "a month"\n',
     "line 3: 'max_age' of [[sources]] number 1: 'a month' is not a duration. Write it like \"30m\", \"1h\" or "
     "\"7d\", or \"0\" for no limit."),
    ('[[sources]]\nurl = "https://a.example/f"\ntags = "a, b"\nrepublsh = true\n',
     "line 4: unknown key 'republsh' in [[sources]] number 1. Did you mean 'republish'?"),
    ('[[sources]]\nurl = "https://a.example/f"\n[[sources]]\nurl = "HTTPS://A.example/f"\n',
     "line 4: [[sources]] number 2 has the url of number 1 (HTTPS://A.example/f). Keep one of them."),
    ('[[sources]]\nurl = "https://a.example/f"\nname = "A"\n[[sources]]\nurl = "https://b.example/f"\nname = "a"\n',
     "line 6: [[sources]] number 2 has the name of number 1 ('a'). Give each source a name of its own."),
    ('[[sources]]\nurl = "https://a.example/f"\ntags = [1]\n',
     "line 3: 'tags' must be a list of tags, like [\"news\", \"harbour\"], not [1]."),
    ('sources = "https://a.example/f"\n', "line 1: 'sources' must be tables, each written [[sources]] with a "
                                          'url = "…" under it.'),
    ('[fetch]\nevery = "30s"\n', "line 2: 'fetch.every' is '30s'; fetch a feed at most once a minute (\"1m\"), to be "
                                 "polite to its server."),
    ('[fetch]\ntimeout = 0\n', "line 2: 'fetch.timeout' is 0; use a number from 1 to 600."),
])
def test_a_bad_source_or_fetch_setting_is_named_with_its_line(tmp_path: Path, toml: str, expect: str) -> None:
    path = write(tmp_path / "syndicate.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}, {expect}"]


def test_a_source_with_only_a_url_takes_its_host_as_name_and_the_fetch_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "syndicate.toml", '[[sources]]\nurl = "https://news.example/rss"\n'))
    [source] = config.sources
    assert (source.name, source.tags, source.full_content, source.republish) == ("news.example", (), False, False)
    assert (config.fetch.every, config.fetch.max_age, config.fetch.timeout) == ("1h", "7d", 20)


def test_the_readme_documents_every_key_of_a_source() -> None:
    import dataclasses

    from syndicate.config import SourceConfig

    from .conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(SourceConfig):
        assert f"| `{f.name}` |" in readme.split("### `[[sources]]`")[1], f.name
        assert f.metadata["doc"] in readme, f.name


def test_fetch_settings_reach_the_request(tmp_path: Path, feeds: FeedServer) -> None:
    from syndicate.sources.refresh import fetch_settings

    config = load_config(write(tmp_path / "syndicate.toml", '[fetch]\nuser_agent = "MyBot/2"\ntimeout = 3\n'))
    settings = fetch_settings(config)
    assert (settings.user_agent, settings.timeout, settings.max_bytes, settings.max_redirects) == (
        "MyBot/2", 3, 5_000_000, 5)
    assert NOW.tzinfo is not None
