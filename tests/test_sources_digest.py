"""The whole way: three feeds served over local HTTP (RSS, Atom, JSON Feed) and the local content
store make one digest issue, sent over SMTP (aiosmtpd in its own process), that names and links
each source; a later run fetches again, gets 304s, and makes no issue."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import lxml.html
from click.testing import CliRunner

from syndicate.schedule.run import run_once

from .conftest import DATA, NOW, site_store
from .feed_server import FeedServer
from .live_servers import Mailbox
from .test_delivery import configure, subscribe
from .test_sources import with_sources


def body(case: str) -> bytes:
    return (DATA / "sources" / f"{case}.http").read_bytes().partition(b"\n\n")[2]


SOURCES = {  # name: (case file, media type, ETag, the home page the feed gives)
    "Harbour News": ("rss", "application/rss+xml", '"h1"', "https://harbour.example/"),
    "Lighthouse Keepers": ("atom", "application/atom+xml", '"l1"', "https://lighthouse.example/"),
    "Tide Watch": ("json-feed", "application/feed+json", '"t1"', "https://tides.example/"),
}


def test_a_digest_of_three_feeds_and_the_local_articles_is_sent_naming_each_source_and_a_refetch_makes_none(
        site: Path, runner: CliRunner, tmp_path: Path) -> None:
    with FeedServer() as feeds, Mailbox(tmp_path / "received") as mailbox:
        for name, (case, media, etag, _) in SOURCES.items():
            feeds.add(f"/{case}", body(case), content_type=media, headers={"ETag": etag})
        with_sources(site, *({"url": feeds.url(f"/{case}"), "name": name} for name, (case, *_) in SOURCES.items()))
        configure(site, mailbox.port)
        with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
            fh.write('\n[schedule]\nnewsletter = "daily at 12:50"\n')  # ten minutes before NOW (13:00 in Berlin): a digest
        subscribe(runner, site, ["ann@example.com"])
        from syndicate.config import load_config

        config = load_config(site / "syndicate.toml")

        before = run_once(config, clock=lambda: NOW - timedelta(minutes=20))  # fetches; the slot is still to come
        assert before.created == [] and before.problems == []
        first = run_once(config, clock=lambda: NOW)  # the 12:50 slot has come: the digest is made and sent
        assert [i.number for i in first.created] == [1] and first.problems == []
        assert [(s.sent, s.failed) for s in first.sends] == [(1, 0)]
        [raw] = mailbox.wait_for(1)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        page = lxml.html.fromstring(html)

        # The local articles first, then the sources' entries under their heading.
        assert "Council approves new ferry: a plain-text article" in text
        heading = page.xpath("//h2[@class='sources-title']")[0].text_content()
        assert heading == "What’s new from the sites you follow"
        entries = page.xpath("//h2[@class='sources-title']/following::h3[@class='article-title']")
        assert [e.text_content() for e in entries] == [
            "Ferry timetable for the winter", "Lighthouse open day", "Tide tables for December",
            "New pier lights", "The lamp is fixed", "Spring tide warning", "Fish market moves"]
        for name, (*_, home) in SOURCES.items():
            credits = page.xpath(f"//p[@class='meta']/a[@href='{home}']")
            assert credits and {a.text_content() for a in credits} == {name}, name
            assert f"From {name} ({home})" in text
            assert f"Read on {name}: " in text
        first_entry = entries[0].xpath("following::p[@class='read-on'][1]/a")[0]
        assert (first_entry.get("href"), first_entry.text_content()) == (
            "https://harbour.example/2026/11/winter-timetable", "Read on Harbour News →")
        # A relative item url is resolved against the feed's own address.
        assert f"Read on Tide Watch: {feeds.url('/2026/11/26/spring')}" in text

        with site_store(site) as store:
            [issue] = store.issues()
        assert sum(":sources/" in i for i in issue.article_ids) == 7

        # An hour and a half later every source is due again: three conditional GETs, three 304s.
        feeds.log.clear()
        again = run_once(config, clock=lambda: NOW + timedelta(minutes=90))
        assert sorted((r.path, r.status, r.if_none_match) for r in feeds.log) == [
            ("/atom", 304, '"l1"'), ("/json-feed", 304, '"t1"'), ("/rss", 304, '"h1"')]
        assert again.created == [] and again.problems == [] and again.build is not None
        assert (again.build.sources_fetched, again.build.sources_not_modified) == (3, 3)
        # (That build still wrote what issue #1 changed: the archive, no preview left.) The next has nothing to do.
        third = run_once(config, clock=lambda: NOW + timedelta(minutes=180))
        assert third.build is not None and third.build.up_to_date and not third.did_something
        assert third.created == [] and len(feeds.log) == 6
        assert len(mailbox.received()) == 1
        with site_store(site) as store:
            assert store.issue_numbers() == [1]
