"""Newsletter issues: which articles go in, the command, the email as subscribers get it.

The planning rules are checked on hand-made articles (pure function, no I/O); the rest
runs ``syndicate newsletter`` and ``syndicate build`` on a copy of tests/data/site and reads
back what they record (the state database) and write (output/newsletters/). Expected
values are written out by hand from tests/data/site/content/.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner, Result

from syndicate.cli import main
from syndicate.config import Config, NewsletterConfig, load_config
from syndicate.content.model import Article
from syndicate.errors import StoreError
from syndicate.newsletter.make import make_newsletter
from syndicate.newsletter.personalize import Personalizer, personalizers
from syndicate.newsletter.plan import plan_issues
from syndicate.newsletter.render import PREVIEW_VALUES
from syndicate.state import Issue, Store

from .conftest import DATA, NOW, site_store, write

NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
SITE_TITLE = "Test Site & Friends"

# The published articles of tests/data/site, newest first (the draft and the 2027 one are not).
NEWS = "tag:blog.example.org,2026-04-01:news-story"
FEATURES = "urn:uuid:0f6e3a52-8a8e-4d7e-9a3b-2d4c1e5f6a7b"
UNSAFE = "tag:blog.example.org,2026-02-01:unsafe"
CONTROL = "tag:blog.example.org,2026-01-06:control"
ESCAPING = "tag:blog.example.org,2026-01-05:escaping"
PUBLISHED = (NEWS, FEATURES, UNSAFE, CONTROL, ESCAPING)
URLS = (
    "https://blog.example.org/2026/04/news-story/",
    "https://blog.example.org/2026/03/features/",
    "https://blog.example.org/2026/02/unsafe/",
    "https://blog.example.org/2026/01/control/",
    "https://blog.example.org/2026/01/escaping/",
)
LEAD_TITLE = "Council approves new ferry: a plain-text article"
SUBJECT = LEAD_TITLE  # the From name is the site title: the subject does not repeat it
CREATED_1 = f"Created issue #1 (5 articles): “{SUBJECT}” in output/newsletters/1/.\n"

VALUES = {"unsubscribe_url": "https://blog.example.org/unsubscribe?token=t0k&list=main",
          "email": "a&b@example.org", "name": "<script>alert(1)</script>"}


# -- helpers ---------------------------------------------------------------------------------

def configure(site: Path, **settings: Any) -> None:
    """Add a [newsletter] table to the site's syndicate.toml (JSON scalars are TOML too)."""
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
        fh.write(f"\n[newsletter]\n{lines}")


def newsletter(runner: CliRunner, *args: str, now: list[str] = NOW_ARGS) -> Result:
    return runner.invoke(main, ["newsletter", *args, *now])


def build(runner: CliRunner, now: list[str] = NOW_ARGS) -> Result:
    return runner.invoke(main, ["build", *now])


def recorded(site: Path) -> tuple[list[Issue], set[str]]:
    """The issues in the state database, and every covered article id."""
    with site_store(site) as store:
        return store.issues(), store.covered_ids()


def issue_rows(site: Path) -> set[tuple[str, int | None]]:
    """issue_article as it is: (article id, issue number or None for the backlog); article_id
    is its primary key, so a set loses nothing."""
    db = sqlite3.connect(site / "syndicate.db")
    try:
        rows = db.execute("SELECT article_id, issue_number FROM issue_article").fetchall()
    finally:
        db.close()
    assert len(rows) == len({r[0] for r in rows})
    return set(rows)


def make_issue(site: Path, **settings: Any) -> Issue:
    """Configure the site, create issue #1 through the library, and return it as recorded."""
    if settings:
        configure(site, **settings)
    report = make_newsletter(load_config(site / "syndicate.toml"), now=NOW)
    assert [i.number for i in report.created] == [1]
    issues, _ = recorded(site)
    assert issues == report.created  # stored exactly as rendered
    return issues[0]


def doc(html: str) -> Any:
    return lxml.html.document_fromstring(html)


def text_lines_over_72(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > 72 and "http" not in line]


def article(slug: str, date: datetime) -> Article:
    """A published article as load_articles makes it (only what planning reads matters)."""
    return Article(id=f"tag:x.org,{date:%Y-%m-%d}:{slug}", slug=slug, title=slug.title(), date=date,
                   updated=date, url=f"https://x.org/{slug}/", path=f"{slug}.md", format="markdown",
                   source=b"Body.")


def config_with(**settings: Any) -> Config:
    return Config(newsletter=NewsletterConfig(**settings))


DAY0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
TWELVE = [article(f"post-{n:02d}", DAY0 + timedelta(days=n)) for n in range(12)]  # post-11 newest


def ids(articles: Any) -> list[str]:
    return [a.id for a in articles]


# -- 1. planning -------------------------------------------------------------------------------

def test_a_digest_takes_the_newest_new_articles_up_to_max_and_the_rest_wait() -> None:
    config = config_with(max_articles=10)
    plans, backlog = plan_issues(TWELVE, set(), config=config, next_number=4, now=NOW, first=False)
    assert [(p.number, p.date) for p in plans] == [(4, NOW)]
    assert ids(plans[0].articles) == ids(reversed(TWELVE[2:]))  # post-11 … post-02, lead first
    assert backlog == []
    # The two left out are the next issue, not a backlog.
    plans, backlog = plan_issues(TWELVE, set(ids(TWELVE[2:])), config=config, next_number=5, now=NOW,
                                 first=False)
    assert [(p.number, ids(p.articles)) for p in plans] == [(5, [TWELVE[1].id, TWELVE[0].id])]
    assert backlog == []


def test_per_article_mode_makes_one_issue_per_new_article_oldest_first_numbered_on() -> None:
    config = config_with(mode="per_article")
    plans, backlog = plan_issues(TWELVE, set(ids(TWELVE[:9])), config=config, next_number=7, now=NOW,
                                 first=False)
    assert [(p.number, ids(p.articles)) for p in plans] == [
        (7, [TWELVE[9].id]), (8, [TWELVE[10].id]), (9, [TWELVE[11].id])]
    assert backlog == []


@pytest.mark.parametrize(("mode", "keep"), [("digest", 3), ("per_article", 1)])
def test_the_first_issue_takes_only_the_newest_and_sets_the_backlog_aside(mode: str, keep: int) -> None:
    plans, backlog = plan_issues(TWELVE, set(), config=config_with(mode=mode, max_articles=3),
                                 next_number=1, now=NOW, first=True)
    assert [(p.number, ids(p.articles)) for p in plans] == [(1, ids(reversed(TWELVE[-keep:])))]
    assert set(backlog) == set(ids(TWELVE[:-keep]))


def test_since_sets_aside_what_is_dated_before_it_instead_of_the_first_issue_rule() -> None:
    since = TWELVE[7].date
    plans, backlog = plan_issues(TWELVE, set(), config=config_with(max_articles=3), next_number=1,
                                 now=NOW, first=True, since=since)
    # Dated on or after `since`: post-07 … post-11; three go now, two wait for the next issue.
    assert [(p.number, ids(p.articles)) for p in plans] == [(1, ids(reversed(TWELVE[9:])))]
    assert set(backlog) == set(ids(TWELVE[:7]))


def test_a_never_covered_article_goes_into_the_next_issue_whatever_its_date() -> None:
    old = article("written-long-ago", datetime(2019, 5, 1, tzinfo=timezone.utc))
    plans, backlog = plan_issues([*TWELVE, old], set(ids(TWELVE)), config=config_with(), next_number=2,
                                 now=NOW, first=False)
    assert [(p.number, ids(p.articles)) for p in plans] == [(2, [old.id])]
    assert backlog == []


def test_with_nothing_new_there_is_no_issue_and_no_backlog() -> None:
    for mode in ("digest", "per_article"):
        assert plan_issues(TWELVE, set(ids(TWELVE)), config=config_with(mode=mode), next_number=3,
                           now=NOW, first=False) == ([], [])


# -- 2. the command ------------------------------------------------------------------------------

def test_newsletter_creates_issue_1_and_its_folder_archive_and_feed(runner: CliRunner, site: Path) -> None:
    result = newsletter(runner)
    assert (result.exit_code, result.stdout, result.stderr) == (0, CREATED_1, "")
    issues, covered = recorded(site)
    assert [(i.number, i.date, i.subject, i.article_ids) for i in issues] == [(1, NOW, SUBJECT, PUBLISHED)]
    assert covered == set(PUBLISHED)  # neither the draft nor the 2027 article
    out = site / "output" / "newsletters"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "1/email.html", "1/email.txt", "1/index.html", "feed.xml", "index.html"]
    archive = (out / "index.html").read_text()
    assert (f'<a href="https://blog.example.org/newsletters/1/">#1: {LEAD_TITLE}</a>'
            '<span class="when">28 November 2026 · 5 articles</span>') in archive
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo
    assert [(e.title, e.link) for e in feed.entries] == [(SUBJECT, "https://blog.example.org/newsletters/1/")]


def test_a_scheduled_article_goes_into_the_first_issue_after_its_time_and_a_draft_never(
        runner: CliRunner, site: Path, wall_clock) -> None:
    newsletter(runner)
    wall_clock("2027-01-02T00:00:00Z")
    result = newsletter(runner, now=["--now", "2027-01-02T00:00:00Z"])
    assert result.stdout == ("Created issue #2 (1 article): “From the future” in "
                             "output/newsletters/2/.\n")
    future = "tag:blog.example.org,2027-01-01:future"
    assert [(i.number, i.article_ids) for i in recorded(site)[0]] == [(1, PUBLISHED), (2, (future,))]
    assert "tag:blog.example.org,2026-05-01:draft" not in recorded(site)[1]


def test_running_again_with_nothing_new_creates_nothing(runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    before = issue_rows(site)
    result = newsletter(runner)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "Nothing new since issue #1: no issue created.\n", "")
    assert issue_rows(site) == before
    assert [i.number for i in recorded(site)[0]] == [1]


def test_an_article_added_later_with_an_old_date_is_the_whole_next_issue(runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    write(site / "content" / "2025-03-01-late.md", "---\ntitle: Late\ndate: 2025-03-01\n---\n\nFound in a drawer.\n")
    result = newsletter(runner)
    assert result.stdout == "Created issue #2 (1 article): “Late” in output/newsletters/2/.\n"
    late = "tag:blog.example.org,2025-03-01:late"
    assert [(i.number, i.article_ids) for i in recorded(site)[0]] == [(1, PUBLISHED), (2, (late,))]
    # Each article is in exactly one issue.
    assert issue_rows(site) == {*((a, 1) for a in PUBLISHED), (late, 2)}
    assert (site / "output" / "newsletters" / "2" / "email.html").is_file()


def test_the_first_issue_sets_the_older_articles_aside_and_says_so(runner: CliRunner, site: Path) -> None:
    configure(site, max_articles=2)
    result = newsletter(runner)
    assert result.stdout == (
        f"Created issue #1 (2 articles): “{SUBJECT}” in output/newsletters/1/.\n"
        "Set aside 3 older articles as already covered: a backlog is not mailed. "
        "Use --since DATE to start elsewhere.\n")
    assert issue_rows(site) == {(CONTROL, None), (ESCAPING, None), (UNSAFE, None), (FEATURES, 1), (NEWS, 1)}


def test_per_article_mode_creates_one_issue_per_new_article_oldest_first(runner: CliRunner, site: Path) -> None:
    configure(site, mode="per_article")
    first = newsletter(runner)
    assert first.stdout.startswith(f"Created issue #1 (1 article): “{SUBJECT}” in output/newsletters/1/.\n"
                                   "Set aside 4 older articles")
    write(site / "content" / "2026-06-01-june.md", "---\ntitle: June\ndate: 2026-06-01\n---\n\nJune.\n")
    write(site / "content" / "2026-07-01-july.md", "---\ntitle: July\ndate: 2026-07-01\n---\n\nJuly.\n")
    result = newsletter(runner)
    assert result.stdout == (
        "Created issue #2 (1 article): “June” in output/newsletters/2/.\n"
        "Created issue #3 (1 article): “July” in output/newsletters/3/.\n")


def test_since_takes_the_articles_dated_on_or_after_it(runner: CliRunner, site: Path) -> None:
    result = newsletter(runner, "--since", "2026-02-01")
    assert result.stdout.startswith("Created issue #1 (3 articles)")
    assert issue_rows(site) == {(CONTROL, None), (ESCAPING, None), (FEATURES, 1), (NEWS, 1), (UNSAFE, 1)}


def test_since_counts_the_day_in_the_site_time_zone(runner: CliRunner, site: Path) -> None:
    newsletter(runner, "--since", "2026-01-06")
    assert (CONTROL, 1) in issue_rows(site)


def test_a_renamed_article_file_is_not_mailed_again(runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    content = site / "content"
    (content / "2026-01-06-control.md").rename(content / "2026-01-06-control-characters.md")
    result = newsletter(runner)
    assert result.stdout == "Nothing new since issue #1: no issue created.\n"


def test_build_removes_the_preview_once_its_articles_are_in_an_issue(runner: CliRunner, site: Path) -> None:
    build(runner)
    assert (site / "output" / "newsletters" / "next" / "email.html").is_file()
    newsletter(runner)
    result = build(runner)
    assert result.exit_code == 0
    assert not (site / "output" / "newsletters" / "next").exists()
    assert (site / "output" / "newsletters" / "1" / "email.html").is_file()


def test_build_removes_a_preview_written_by_newsletter_preview_too(runner: CliRunner, site: Path) -> None:
    newsletter(runner, "--preview")
    newsletter(runner)
    build(runner)
    assert not (site / "output" / "newsletters" / "next").exists()


def test_build_writes_the_archive_again_from_the_database(runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    out = site / "output" / "newsletters"
    sent = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shutil.rmtree(site / "output")
    # The issue is stored as rendered: a later change to an article does not change it.
    path = site / "content" / "2026-04-01-news-story.txt"
    path.write_text(path.read_text().replace("Council approves", "Council rejects"))
    assert build(runner).exit_code == 0
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == sent


def test_the_archive_is_made_again_only_when_an_issue_the_settings_or_a_file_changed(
        runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    out = site / "output" / "newsletters"

    def archive() -> dict[str, tuple[int, bytes]]:
        return {p.relative_to(out).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
                for p in out.rglob("*") if p.is_file() and "next" not in p.parts}

    assert build(runner).exit_code == 0
    first = archive()
    assert {"index.html", "feed.xml", "1/email.html"} <= first.keys()
    path = site / "content" / "2026-04-01-news-story.txt"  # an article edited: the archive stands as it was
    path.write_text(path.read_text().replace("Council approves", "Council rejects"))
    assert build(runner).exit_code == 0
    assert archive() == first
    (out / "index.html").write_text("damaged")  # a file not as the build left it is written again
    assert build(runner).exit_code == 0
    assert archive()["index.html"][1] == first["index.html"][1]
    write(site / "content" / "2026-11-27-later.md", "---\ntitle: Later news\n---\nMore.\n")
    assert newsletter(runner).exit_code == 0  # a new issue: in the archive's page and feed
    assert build(runner).exit_code == 0
    after = archive()
    assert "2/email.html" in after and b"Later news" in after["index.html"][1] + after["feed.xml"][1]
    toml = site / "syndicate.toml"  # a setting the archive shows
    toml.write_text(toml.read_text().replace('title = "Test Site & Friends"', 'title = "Renamed Site"'))
    assert build(runner).exit_code == 0
    assert b"Renamed Site" in archive()["index.html"][1]


def test_newsletter_run_again_writes_files_lost_after_the_issue_was_recorded(runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    email = (site / "output" / "newsletters" / "1" / "email.html").read_bytes()
    shutil.rmtree(site / "output")  # as if killed between the commit and writing the files
    result = newsletter(runner)
    assert result.stdout == "Nothing new since issue #1: no issue created.\n"
    assert (site / "output" / "newsletters" / "1" / "email.html").read_bytes() == email
    assert (site / "output" / "newsletters" / "feed.xml").is_file()


# -- 3. broken templates record nothing -----------------------------------------------------------

@pytest.mark.parametrize(("case", "expect"), [
    ("undefined-variable", ("Error: my-templates/newsletter.html.j2, line 5: 'issue_title' is undefined. "
                            "Check the name; the variables a template can use are listed in the README.\n")),
    ("syntax-error", ("Error: my-templates/newsletter.html.j2, line 5: unexpected '}'. "
                      "Fix the template's syntax.\n")),
    ("nested-too-deep", ("Error: newsletter issue #1: after its CSS was inlined, the email lacks the article "
                         "'Council approves new ferry: a plain-text article', the article 'Markdown features', "
                         "the article 'Unsafe HTML is sanitized', the article 'Controlchars dropped', the article "
                         "'AT&T x < y > z \"quoted\" \\'single\\' ]]> end' and the unsubscribe link: the inliner "
                         "cut it short, so the issue was not made. Look for markup nested very deep, in the "
                         "template or the articles.\n")),
])
def test_a_broken_template_is_named_with_its_line_and_nothing_is_recorded(
        runner: CliRunner, site: Path, case: str, expect: str) -> None:
    shutil.copytree(DATA / "templates" / case, site / "my-templates")
    configure(site, templates_dir="my-templates")
    result = newsletter(runner)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", expect)
    assert recorded(site) == ([], set())
    assert not (site / "output" / "newsletters").exists()
    # Fixed (here: the user's copy removed), the same command makes issue #1 normally.
    (site / "my-templates" / "newsletter.html.j2").unlink()
    again = newsletter(runner)
    assert (again.exit_code, again.stdout) == (0, CREATED_1)
    assert [i.article_ids for i in recorded(site)[0]] == [PUBLISHED]


def test_a_syntax_error_message_ends_its_sentence_once(runner: CliRunner, site: Path) -> None:
    shutil.copytree(DATA / "templates" / "unclosed-block", site / "my-templates")
    configure(site, templates_dir="my-templates")
    result = newsletter(runner)
    assert result.stderr == (
        "Error: my-templates/newsletter.html.j2, line 5: Unexpected end of template. Jinja was looking "
        "for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be "
        "closed is 'if'. Fix the template's syntax.\n")


def test_a_broken_subject_template_is_named_and_nothing_is_recorded(runner: CliRunner, site: Path) -> None:
    configure(site, subject="{{ lead.titel }}")
    result = newsletter(runner)
    assert (result.exit_code, result.stderr) == (
        1, "Error: [newsletter] subject '{{ lead.titel }}': 'dict object' has no attribute 'titel'.\n")
    assert recorded(site) == ([], set())


def test_an_interrupted_recording_keeps_nothing_of_the_issue(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(site, max_articles=2)

    def killed(self: Store, ids: Any, now: datetime) -> None:
        raise KeyboardInterrupt  # between recording the issue and setting the backlog aside

    monkeypatch.setattr(Store, "cover", killed)
    with pytest.raises(KeyboardInterrupt):
        make_newsletter(load_config(site / "syndicate.toml"), now=NOW)
    assert recorded(site) == ([], set())
    monkeypatch.undo()
    report = make_newsletter(load_config(site / "syndicate.toml"), now=NOW)
    assert [(i.number, i.article_ids) for i in report.created] == [(1, (NEWS, FEATURES))]
    assert report.covered == 3


def test_a_user_template_replaces_only_the_template_of_its_name(site: Path) -> None:
    issue = make_issue(site, templates_dir=str(DATA / "templates" / "footer-with-name"))
    html, text = personalizers(issue)
    filled = html.fill(VALUES)
    assert "Thanks for reading, &lt;script&gt;alert(1)&lt;/script&gt;!" in filled  # the user's footer
    assert "Past issues" not in filled  # … instead of the packaged one
    assert 'class="container"' in filled and "Read the article →" in filled  # the rest is packaged
    assert "Past issues: https://blog.example.org/newsletters/" in text.fill(VALUES)


# -- 4. subject and preheader --------------------------------------------------------------------

def test_the_subject_is_the_lead_title_by_default(site: Path) -> None:
    issue = make_issue(site)
    assert issue.subject == SUBJECT  # not HTML-escaped: a subject is not HTML
    assert f"<title>{LEAD_TITLE}</title>" in issue.html


def test_a_custom_subject_template_is_used_and_non_ascii_is_fine(runner: CliRunner, site: Path) -> None:
    configure(site, subject="{{ site.title }} #{{ issue.number }} — {{ lead.title }} ✉ café")
    result = newsletter(runner)
    subject = f"{SITE_TITLE} #1 — {LEAD_TITLE} ✉ café"
    assert result.stdout == f"Created issue #1 (5 articles): “{subject}” in output/newsletters/1/.\n"
    assert recorded(site)[0][0].subject == subject


def test_a_subject_template_that_renders_line_breaks_gives_one_line(site: Path) -> None:
    issue = make_issue(site, subject="{{ site.title }}\r\n#{{ issue.number }}\n\n{{ lead.title }}\r")
    assert issue.subject == f"{SITE_TITLE} #1 {LEAD_TITLE}"


def test_the_preheader_is_the_lead_summary_cut_at_25_words(site: Path) -> None:
    words = [f"word{n}" for n in range(1, 41)]
    write(site / "content" / "2026-10-01-lead.md",
          f"---\ntitle: Lead\ndate: 2026-10-01\nsummary: \"{' '.join(words)}\"\n---\n\nBody.\n")
    issue = make_issue(site)
    assert issue.preheader == " ".join(words[:25]) + "…"


def test_the_preheader_setting_overrides_the_summary(site: Path) -> None:
    issue = make_issue(site, preheader="Five stories & a ferry")
    assert issue.preheader == "Five stories & a ferry"
    assert '">Five stories &amp; a ferry\u200c\xa0' in issue.html  # escaped, then the zwnj padding
    assert doc(issue.html).body[0].text_content().startswith("Five stories & a ferry\u200c")
    # Padding longer than any inbox preview (Gmail shows up to about 140 characters), so that a
    # short preheader never lets the body's text in after it.
    assert doc(issue.html).body[0].text_content().count("\u200c\xa0") * 2 >= 150


# -- 5. the email HTML ------------------------------------------------------------------------------

def test_the_css_is_inlined_and_only_the_media_rules_stay_in_style_with_important(site: Path) -> None:
    issue = make_issue(site)
    page = doc(personalizers(issue)[0].fill(VALUES))
    container = page.xpath('//table[contains(@class, "container")]')[0]
    assert container.get("style") == ("width:100%; max-width:600px; table-layout:fixed; background-color:#fff; "
                                      "border-radius:8px")  # fluid: no media query needed
    assert page.xpath('//h1[@class="site-title"]')[0].get("style") == (
        "margin:0; font-size:22px; mso-line-height-rule:exactly; line-height:28px; font-weight:bold; color:#111827")
    assert "padding:10px 18px" in page.xpath('//a[contains(@class, "button-link")]')[0].get("style")
    styles = "".join(s.text for s in page.xpath("//style"))
    assert "@media only screen and (max-width: 620px)" in styles
    assert "@media (prefers-color-scheme: dark)" in styles
    assert "width: 100% !important" in styles
    assert "background-color: #1f2937 !important" in styles
    assert ".lead-image" not in styles and ".button-link" not in styles  # inlined, not kept


def test_the_hidden_preheader_is_the_first_thing_in_the_body(site: Path) -> None:
    issue = make_issue(site)
    body = doc(personalizers(issue)[0].fill(VALUES)).body
    assert not (body.text or "").strip()
    first = body[0]
    assert (first.tag, first.get("class")) == ("div", "preheader")
    assert "display: none" in first.get("style")
    assert first.text_content().startswith(
        "The harbour council voted on Tuesday evening to replace the old ferry.\u200c\xa0")


def test_every_image_has_width_and_alt_and_every_link_is_absolute(site: Path) -> None:
    issue = make_issue(site)
    page = doc(personalizers(issue)[0].fill(VALUES))
    images = page.xpath("//img")
    assert [(i.get("src"), i.get("alt")) for i in images] == [
        ("https://blog.example.org/2026/03/features/images/cover.jpg", "Markdown features")]
    assert all(i.get("width") for i in images)
    hrefs = [a.get("href") for a in page.xpath("//a")]
    assert hrefs and all(h.startswith("https://") for h in hrefs)


def test_the_lead_image_keeps_its_pixel_width_for_outlook(site: Path) -> None:
    issue = make_issue(site)
    image = doc(issue.html).xpath('//img[@class="lead-image"]')[0]
    assert (image.get("width"), image.get("height")) == ("552", None)


def test_full_content_emails_carry_no_script_handler_or_javascript_url(site: Path) -> None:
    issue = make_issue(site, full_content=True)
    html = personalizers(issue)[0].fill(VALUES)
    page = doc(html)
    assert "Handlers go." in html and "a javascript link" in html  # the unsafe article is in
    assert page.xpath("//script | //iframe") == []
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    handlers = [(e.tag, a) for e in page.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")]
    assert handlers == []
    links = [a.get("href") for a in page.xpath("//a[@href]")] + [i.get("src") for i in page.xpath("//img")]
    assert all(u.startswith("https://") for u in links), [u for u in links if not u.startswith("https://")]
    srcs = [i.get("src") for i in page.xpath("//img")]
    assert "https://blog.example.org/2026/02/unsafe/pics/a.png" in srcs  # relative, made absolute
    assert all(i.get("alt") for i in page.xpath("//img"))


def test_full_content_images_have_a_width_too(site: Path) -> None:
    issue = make_issue(site, full_content=True)
    assert all(i.get("width") for i in doc(issue.html).xpath("//img"))


# -- 6. placeholders ---------------------------------------------------------------------------------

def test_the_placeholders_survive_premailer_even_inside_attributes(site: Path) -> None:
    issue = make_issue(site, templates_dir=str(DATA / "templates" / "footer-with-name"))
    html, text = personalizers(issue)
    assert re.fullmatch(r"[0-9a-f]{16}", issue.nonce)
    assert html.fields == {"unsubscribe_url", "email", "name"}
    assert text.fields == {"unsubscribe_url", "email"}
    mark = f"%%{issue.nonce}-"
    assert f'href="{mark}unsubscribe_url%%"' in issue.html
    assert f'href="mailto:{mark}email%%" title="{mark}name%%"' in issue.html


def test_filled_values_are_escaped_in_the_html_part_and_not_in_the_text_part(site: Path) -> None:
    issue = make_issue(site, templates_dir=str(DATA / "templates" / "footer-with-name"))
    html, text = (p.fill(VALUES) for p in personalizers(issue))
    assert "%%" not in html and "%%" not in text
    assert "<script>" not in html
    assert "Thanks for reading, &lt;script&gt;alert(1)&lt;/script&gt;!" in html
    assert "Your address: a&amp;b@example.org" in html
    page = doc(html)
    assert page.xpath('//a[@class="unsubscribe"]')[0].get("href") == VALUES["unsubscribe_url"]
    reply = page.xpath('//a[@class="reply"]')[0]
    assert (reply.get("href"), reply.get("title")) == ("mailto:a&b@example.org", VALUES["name"])
    assert "a&b@example.org." in text
    assert text.rstrip("\n").endswith(f"Unsubscribe: {VALUES['unsubscribe_url']}")


def test_a_name_is_left_as_written_in_a_text_part() -> None:
    part = Personalizer.compile("Hi %%00ff-name%%, bye %%00ff-email%%", "00ff", escape=False)
    assert part.fill(VALUES) == "Hi <script>alert(1)</script>, bye a&b@example.org"
    html = Personalizer.compile("Hi %%00ff-name%%, bye %%00ff-email%%", "00ff", escape=True)
    assert html.fill(VALUES) == "Hi &lt;script&gt;alert(1)&lt;/script&gt;, bye a&amp;b@example.org"


def test_an_article_cannot_forge_a_placeholder(runner: CliRunner, site: Path) -> None:
    newsletter(runner)
    nonce_1 = recorded(site)[0][0].nonce
    # Even one who learnt issue #1's nonce cannot write a placeholder of the next issue.
    forged = ["%%0123456789abcdef-unsubscribe_url%%", f"%%{nonce_1}-unsubscribe_url%%", f"%%{nonce_1}-email%%"]
    write(site / "content" / "2026-10-01-forged.md",
          f"---\ntitle: Forged\ndate: 2026-10-01\n---\n\nClick {forged[0]} or {forged[1]} as {forged[2]}.\n")
    newsletter(runner)
    issue = recorded(site)[0][1]
    assert issue.nonce != nonce_1
    html, text = personalizers(issue)
    assert html.fields == {"unsubscribe_url", "email"}  # the template's own, once each
    assert len(html.segments) == 5
    filled_html, filled_text = html.fill(VALUES), text.fill(VALUES)
    for part in (filled_html, filled_text):
        assert all(f in part for f in forged), part
    assert filled_html.count("?token=t0k&amp;list=main") == 1  # the real link, once
    assert filled_text.count("?token=t0k&list=main") == 1


def test_the_web_version_has_no_placeholder_and_no_unsubscribe_link(site: Path) -> None:
    issue = make_issue(site)
    assert "%%" not in issue.web_html
    assert "unsubscribe" not in issue.web_html.lower()
    assert "View in your browser" not in issue.web_html
    assert ('<link rel="alternate" type="application/atom+xml" title="Test Site &amp; Friends: newsletter '
            'archive" href="https://blog.example.org/newsletters/feed.xml">') in issue.web_html


# -- 7. the plain-text part ---------------------------------------------------------------------------

def test_the_text_part_is_wrapped_links_every_article_and_ends_with_unsubscribe(site: Path) -> None:
    issue = make_issue(site)
    text = personalizers(issue)[1].fill(VALUES)
    assert text_lines_over_72(text) == []
    for url in URLS:
        assert f"Read it: {url}\n" in text
    assert [line for line in text.splitlines() if line.strip()][-1] == (
        f"Unsubscribe: {VALUES['unsubscribe_url']}")
    assert re.search(r"<[A-Za-z/!][^>]*>", text) is None
    assert f"{SITE_TITLE} · Issue #1 · 28 November 2026\n" in text


def test_a_full_content_text_part_has_no_html_and_is_wrapped(site: Path) -> None:
    issue = make_issue(site, full_content=True)
    text = personalizers(issue)[1].fill(VALUES)
    assert re.search(r"<[A-Za-z/!][^>]*>", text) is None
    assert "javascript:" not in text
    assert text_lines_over_72(text) == []


def test_a_long_site_title_and_author_list_are_wrapped_in_the_text_part(site: Path) -> None:
    text = (site / "syndicate.toml").read_text()
    (site / "syndicate.toml").write_text(text.replace(
        'title = "Test Site & Friends"', 'title = "The Quarterly Review of Harbour Ferries and Coastal Shipping"'))
    authors = "\n".join(f"  - Author Number {n}" for n in range(8))
    write(site / "content" / "2026-10-01-many.md", f"---\ntitle: Many\ndate: 2026-10-01\nauthors:\n{authors}\n---\n\nHi.\n")
    issue = make_issue(site)
    assert text_lines_over_72(personalizers(issue)[1].fill(VALUES)) == []


# -- 8. warnings ---------------------------------------------------------------------------------------

def test_an_issue_over_102_kb_is_created_with_a_warning(runner: CliRunner, site: Path) -> None:
    configure(site, full_content=True)
    body = "\n\n".join(f"Paragraph {n} says a few words about the ferry timetable." for n in range(1500))
    write(site / "content" / "2026-10-01-huge.md", f"---\ntitle: Huge\ndate: 2026-10-01\n---\n\n{body}\n")
    result = newsletter(runner)
    assert result.exit_code == 0
    assert result.stdout == "Created issue #1 (6 articles): “Huge” in output/newsletters/1/.\n"
    issue = recorded(site)[0][0]
    size = len(personalizers(issue)[0].fill(PREVIEW_VALUES).encode("utf-8"))
    assert size > 102_000
    assert result.stderr == (
        f"warning: newsletter issue #1: its HTML is {size / 1000:.0f} KB; Gmail clips messages over 102 KB, "
        "hiding the end and the unsubscribe link. Lower [newsletter] max_articles, or set full_content = false.\n")


def test_an_ordinary_issue_has_no_warning(runner: CliRunner, site: Path) -> None:
    configure(site, full_content=True)
    result = newsletter(runner)
    assert (result.exit_code, result.stderr) == (0, "")


ALT_WARNING = (": an image has no alt text (https://blog.example.org/2026/10/pictures/y.png): readers whose "
               "mail client hides images, and screen readers, see nothing. Add one: ![what it shows](…).\n")


def test_an_html_image_without_alt_is_warned_about_and_made_absolute(runner: CliRunner, site: Path) -> None:
    configure(site, full_content=True)
    write(site / "content" / "2026-10-01-pictures.md",
          "---\ntitle: Pictures\ndate: 2026-10-01\n---\n\nLook: <img src=\"y.png\">\n")
    result = newsletter(runner)
    assert result.exit_code == 0 and result.stdout.startswith("Created issue #1 (6 articles)")
    assert result.stderr.startswith("warning: ") and result.stderr.endswith(ALT_WARNING)
    assert "2026-10-01-pictures.md" in result.stderr
    assert re.search(r'<img [^>]*src="https://blog.example.org/2026/10/pictures/y.png"', recorded(site)[0][0].html)


def test_the_alt_warning_names_the_file_as_other_problems_do(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "2026-10-01-pictures.md",
          "---\ntitle: Pictures\ndate: 2026-10-01\n---\n\nLook: <img src=\"y.png\">\n")
    assert newsletter(runner).stderr == "warning: content/2026-10-01-pictures.md" + ALT_WARNING


def test_a_markdown_image_without_alt_text_is_warned_about(runner: CliRunner, site: Path) -> None:
    configure(site, full_content=True)
    write(site / "content" / "2026-10-01-pictures.md",
          "---\ntitle: Pictures\ndate: 2026-10-01\n---\n\nLook: ![](x.png)\n")
    result = newsletter(runner)
    assert "an image has no alt text (https://blog.example.org/2026/10/pictures/x.png)" in result.stderr


# -- 9. the preview ---------------------------------------------------------------------------------------

def test_build_writes_a_preview_of_the_next_issue_and_records_no_issue(runner: CliRunner, site: Path) -> None:
    result = build(runner)
    assert result.exit_code == 0
    assert "; next newsletter (issue #1, 5 articles) in output/newsletters/next/email.html; " in result.stdout
    nxt = site / "output" / "newsletters" / "next"
    assert sorted(p.name for p in nxt.iterdir()) == ["email.html", "email.txt", "index.html"]
    email = (nxt / "email.html").read_text()
    assert "%%" not in email and "%%" not in (nxt / "email.txt").read_text()
    assert f"<title>{LEAD_TITLE}</title>" in email
    assert "Issue #1 · 1 April 2026" in email  # dated by its newest article
    assert recorded(site) == ([], set())


def test_the_preview_is_the_same_bytes_whatever_the_clock(runner: CliRunner, site: Path, wall_clock) -> None:
    wall_clock("2026-12-16T00:00:00Z")
    nxt = site / "output" / "newsletters" / "next"
    build(runner)
    first = {p.name: p.read_bytes() for p in nxt.iterdir()}
    shutil.rmtree(site / "output")
    assert build(runner, ["--now", "2026-12-15T06:30:00Z"]).exit_code == 0
    assert {p.name: p.read_bytes() for p in nxt.iterdir()} == first


def test_newsletter_preview_writes_the_same_files_as_build_and_records_nothing(runner: CliRunner, site: Path) -> None:
    nxt = site / "output" / "newsletters" / "next"
    build(runner)
    from_build = {p.name: p.read_bytes() for p in nxt.iterdir()}
    shutil.rmtree(site / "output")
    result = newsletter(runner, "--preview")
    assert result.exit_code == 0
    assert result.stdout == (f"Preview of issue #1 (5 articles): “{SUBJECT}” in "
                             "output/newsletters/next/ (email.html, email.txt, index.html).\n")
    assert {p.name: p.read_bytes() for p in nxt.iterdir()} == from_build
    assert recorded(site) == ([], set())
    assert sorted(p.name for p in (site / "output" / "newsletters").iterdir()) == ["next"]


# -- 10. the store ------------------------------------------------------------------------------------------

def issue(number: int, *article_ids: str) -> Issue:
    return Issue(number, NOW, f"Issue {number}", "", tuple(article_ids), "00ff", "<p>h</p>", "t", "<p>w</p>")


def test_record_issue_refuses_an_article_already_in_an_issue_and_keeps_nothing_of_it(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        with store.transaction():
            store.record_issue(issue(1, "a", "b"), NOW)
            store.cover(["old"], NOW)
        for second in (issue(2, "c", "b"), issue(2, "d", "old"), issue(1, "e")):
            with pytest.raises(StoreError) as err, store.transaction():
                store.record_issue(second, NOW)
            assert err.value.message == (
                f"issue #{second.number} or one of its articles is already recorded (another run made "
                "an issue meanwhile). Run the command again.")
        assert store.issue_numbers() == [1]
        assert store.covered_ids() == {"a", "b", "old"}
        assert [(i.number, i.article_ids) for i in store.issues()] == [(1, ("a", "b"))]


def test_a_template_without_an_unsubscribe_link_makes_no_issue(runner: CliRunner, site: Path) -> None:
    shutil.copytree(REPO_TEMPLATES, site / "my-templates")
    footer = site / "my-templates" / "_footer.html.j2"
    footer.write_text(re.sub(r"\{% if unsubscribe_url %\}.*?\{% endif %\}", "", footer.read_text(), count=1))
    assert '{{ unsubscribe_url }}' not in footer.read_text()
    configure(site, templates_dir="my-templates")
    result = newsletter(runner)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("Error: newsletter issue #1: the email has no unsubscribe link, so it was not made: "
                             "every newsletter must let its reader leave (CAN-SPAM, GDPR, RFC 8058). Put "
                             "{{ unsubscribe_url }} in a link in the template (the packaged _footer.html.j2 has "
                             "one).\n")
    assert recorded(site) == ([], set())


REPO_TEMPLATES = DATA.parent.parent / "templates"
