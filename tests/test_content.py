"""The content store: files → Article, and the problems reported for broken ones.

Most cases are files under tests/data/content/, one case per file, each saying what
it is and what it must give (see :func:`read_case`):

* ``invalid/*``: ``Expect:`` is the exact problem line, without the file name
  (``line 5: 'date' is ...``); an optional ``Xfail:`` marks a known bug.
* ``valid/*``: ``Expect:`` is a JSON object of field values (see :func:`facts`).

They are parsed with :data:`SITE`: base URL https://example.org/, the default
permalink /{year}/{month}/{slug}/ and the zone Europe/Berlin.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import zoneinfo
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.content.identity import slugify
from syndicate.content.load import load_articles, read_content
from syndicate.content.model import Article, LoadResult, SiteContext
from syndicate.content.parse import parse_article
from syndicate.content.render import render_html, summarize
from syndicate.content.scan import scan_content
from syndicate.errors import ContentError, Problem

from .conftest import write

CASES = Path(__file__).parent / "data" / "content"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SITE = SiteContext(base_url="https://example.org/", permalink="/{year}/{month}/{slug}/", tz=BERLIN)
UTC_SITE = dataclasses.replace(SITE, tz=timezone.utc)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
NOW_ARG = ["--now", NOW.isoformat()]


# -- the case files ---------------------------------------------------------------------

_CASE_KEYS = ("Description", "Site", "Expect", "Xfail")


def read_case(path: Path) -> dict[str, str]:
    """The ``Description``/``Expect``/``Xfail`` lines of a case file.

    They are YAML comments at the top of the front matter, or an HTML comment opening
    the file, or (for text files, which have room for neither) a sidecar file
    ``NAME.expect``. An indented line continues the value above it.
    """
    sidecar = path.with_name(path.name + ".expect")
    if sidecar.exists():
        lines = sidecar.read_text(encoding="utf-8").splitlines()
    else:
        lines = path.read_bytes().decode("utf-8-sig", errors="replace").splitlines()
        if lines and lines[0].strip() in ("---", "+++"):
            head = []
            for line in lines[1:]:
                if not line.startswith("#"):
                    break
                head.append(line[1:])
            lines = head
        elif lines and lines[0].startswith("<!--"):
            lines = lines[1 : next(i for i, line in enumerate(lines) if "-->" in line)]
        else:
            lines = []
    fields: dict[str, str] = {}
    key = None
    for line in lines:
        m = re.match(rf"\s*({'|'.join(_CASE_KEYS)}):\s*(.*)$", line)
        if m:
            key = m.group(1)
            fields[key] = m.group(2).strip()
        elif key and line.strip():
            fields[key] += " " + line.strip()
    return fields


def case_params(folder: Path) -> list:
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".md", ".txt", ".html", ".rst"))
    params = []
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        reason = read_case(path).get("Xfail")
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(path, rel, id=rel, marks=marks))
    return params


def problem_line(err: ContentError) -> str:
    """The problem as the case files state it: the reported line, without the file name."""
    return f"line {err.line}: {err}" if err.line is not None else str(err)


def facts(article: Article, warnings: list[ContentError]) -> dict:
    """Everything a valid case's ``Expect`` may name, as JSON-like values."""
    return {
        "title": article.title,
        "slug": article.slug,
        "id": article.id,
        "url": article.url,
        "date": article.date.isoformat(),
        "updated": article.updated.isoformat(),
        "tags": list(article.tags),
        "authors": [a.name for a in article.authors],
        "emails": [a.email for a in article.authors],
        "summary": summarize(article),
        "body": article.body,
        "html": render_html(article),
        "paragraphs": article.body.split("\n\n"),
        "draft": article.draft,
        "publish_at": article.publish_at.isoformat() if article.publish_at else None,
        "expires_at": article.expires_at.isoformat() if article.expires_at else None,
        "image": article.image,
        "format": article.format,
        "undated": article.undated,
        "warnings": [problem_line(w) for w in warnings],
    }


@pytest.mark.parametrize(("path", "rel"), case_params(CASES / "invalid"))
def test_each_broken_file_gives_its_one_line_problem(path: Path, rel: str) -> None:
    case = read_case(path)
    assert case.get("Description") and case.get("Expect"), f"{rel}: say Description: and Expect:"
    with pytest.raises(ContentError) as info:
        parse_article(rel, path.read_bytes(), SITE)
    assert problem_line(info.value) == case["Expect"]
    shown = str(Problem.from_error(info.value, f"content/{rel}"))
    assert shown.startswith(f"content/{rel}")
    assert "\n" not in shown


@pytest.mark.parametrize(("path", "rel"), case_params(CASES / "valid"))
def test_each_valid_file_parses_to_its_expected_fields(path: Path, rel: str) -> None:
    case = read_case(path)
    assert case.get("Description") and case.get("Expect"), f"{rel}: say Description: and Expect:"
    expected = {"warnings": [], **json.loads(case["Expect"])}
    article, warnings = parse_article(rel, path.read_bytes(), SITE, seen_at=NOW)  # NOW: the time first seen
    got = facts(article, warnings)
    assert set(expected) <= set(got), f"{rel}: unknown fields in Expect"
    assert {key: got[key] for key in expected} == expected


@pytest.mark.parametrize(("path", "rel"), case_params(CASES / "import"))
def test_each_tool_s_file_gives_what_that_tool_publishes(path: Path, rel: str) -> None:
    """``import/*``: as ``valid/*``, parsed with ``[content] import`` and the settings in ``Site:``
    (SiteContext fields: dialect, permalink, id_style)."""
    case = read_case(path)
    assert case.get("Description") and case.get("Expect") and case.get("Site"), f"{rel}: say Description:, Site:, Expect:"
    site = dataclasses.replace(SITE, **{"permalink": "", **json.loads(case["Site"])})
    expected = {"warnings": [], **json.loads(case["Expect"])}
    article, warnings = parse_article(rel, path.read_bytes(), site, seen_at=NOW)
    got = facts(article, warnings)
    assert set(expected) <= set(got), f"{rel}: unknown fields in Expect"
    assert {key: got[key] for key in expected} == expected


def test_the_case_folders_still_hold_every_required_case() -> None:
    invalid = {p.name for p in (CASES / "invalid").iterdir()}
    valid = {p.relative_to(CASES / "valid").as_posix() for p in (CASES / "valid").rglob("*")}
    assert {"yaml-bad-indentation.md", "no-title.md", "title-typo-tittle.md", "date-month-13.md",
            "updated-not-a-date.md", "no-date.md", "latin1-not-utf8.md", "no-front-matter.md",
            "front-matter-not-closed.md", "front-matter-is-a-list.md", "draft-maybe.md",
            "tags-mapping.md", "empty.txt", "only-headers.txt"} <= invalid
    assert {"hello-bundle/index.md", "bom-and-crlf.md", "2026-04-01-scraped-news.txt"} <= valid


# -- helpers for folders of articles ----------------------------------------------------

def article(title: str, date: str | None = "2024-05-01", *, body: str | None = None, **keys: str) -> str:
    """A small Markdown article; ``keys`` are extra front matter lines, written as given."""
    lines = [f"title: {title}"] + ([f"date: {date}"] if date else [])
    lines += [f"{key}: {value}" for key, value in keys.items()]
    body = f"The body of {title}.\n" if body is None else body
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def make_content(root: Path, files: dict[str, str | bytes]) -> Path:
    content = root / "content"
    for rel, text in files.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return content


def load(content: Path, now: datetime = NOW, site: SiteContext = SITE) -> LoadResult:
    return load_articles(scan_content(content), site, now=now, display_root="content")


def make_site(root: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str | bytes]) -> Path:
    """A site folder (config + content) that is the working directory."""
    (root / "syndicate.toml").write_text('[site]\nbase_url = "https://example.org/"\n', encoding="utf-8")
    make_content(root, files)
    monkeypatch.chdir(root)
    return root


def titles(articles: list[Article]) -> list[str]:
    return sorted(a.title for a in articles)


# -- warnings: likely typos -------------------------------------------------------------

TYPO_FILES = {
    "good.md": article("Good"),
    "typo.md": article("Typo", summery="What I meant as the summary."),
}
TYPO_LINE = "content/typo.md, line 4: unknown key 'summery'. Did you mean 'summary'?"


def test_a_likely_typo_is_one_warning_and_the_article_is_still_published(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, TYPO_FILES))
    assert titles(result.articles) == ["Good", "Typo"]
    assert [(str(p), p.level) for p in result.problems] == [(TYPO_LINE, "warning")]


def test_with_strict_a_likely_typo_is_an_error_and_its_article_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path, monkeypatch, TYPO_FILES)
    result = read_content(load_config(site / "syndicate.toml"), now=NOW, strict=True)
    assert titles(result.articles) == ["Good"]
    assert [(str(p), p.level) for p in result.problems] == [(TYPO_LINE, "error")]


def test_check_prints_the_typo_as_a_warning_and_exits_0_and_with_strict_as_an_error_exiting_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path, monkeypatch, TYPO_FILES)
    runner = CliRunner()
    lenient = runner.invoke(main, ["check", *NOW_ARG])
    assert lenient.exit_code == 0, lenient.output
    assert lenient.stderr.splitlines() == [f"warning: {TYPO_LINE}"]
    assert "2 would be published" in lenient.stdout
    strict = runner.invoke(main, ["check", "--strict", *NOW_ARG])
    assert strict.exit_code == 1, strict.output
    assert strict.stderr.splitlines() == [f"error: {TYPO_LINE}"]
    assert "1 would be published" in strict.stdout


def test_an_unknown_key_with_no_close_known_key_is_ignored_silently(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, {"jekyll.md": article("Jekyll", layout="post", permalink="/x/")}))
    assert titles(result.articles) == ["Jekyll"]
    assert result.problems == []


# -- duplicates -------------------------------------------------------------------------

def test_two_files_with_one_id_are_one_problem_naming_both_and_the_first_is_kept(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, {
        "b.md": article("Second by path", id="urn:example:1"),
        "a.md": article("First by path", id="urn:example:1"),
    }))
    assert titles(result.articles) == ["First by path"]
    assert [str(p) for p in result.problems] == [
        "content/b.md: has the id 'urn:example:1', already used by content/a.md. "
        "Give one of them its own 'id' or 'slug'; this one was left out."
    ]


def test_two_files_with_one_url_are_one_problem_naming_both(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, {
        "2024-05-01-post.md": article("May the first", date=None),
        "2024-05-20-post.md": article("May the twentieth", date=None),
    }))
    assert titles(result.articles) == ["May the first"]
    assert [str(p) for p in result.problems] == [
        "content/2024-05-20-post.md: has the slug 'post' and URL https://example.org/2024/05/post/, "
        "already used by content/2024-05-01-post.md. Set another 'slug'; this one was left out."
    ]


def test_one_slug_in_two_months_is_two_urls_and_no_problem(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, {
        "2024-05-01-post.md": article("May", date=None),
        "2024-06-01-post.md": article("June", date=None),
    }))
    assert titles(result.articles) == ["June", "May"]
    assert result.problems == []


# -- one broken article among good ones -------------------------------------------------

GOOD_AND_BAD = {
    **{f"2024-05-0{n}-good-{n}.md": article(f"Good {n}", date=None, tags="[harbour]") for n in range(1, 6)},
    "notes/plain.txt": "Date: 2024-05-06\n\nA plain good one\nIt is fine.\n",
    "bad.md": "---\ntitle: Bad\ndate: 2024-13-01\n---\nNever published.\n",
}
BAD_LINE = ("content/bad.md, line 3: 'date' is '2024-13-01', not a date. Use YYYY-MM-DD, "
            "or YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.")


def test_one_broken_article_is_one_problem_and_every_good_one_is_published(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, GOOD_AND_BAD))
    assert titles(result.articles) == ["A plain good one", "Good 1", "Good 2", "Good 3", "Good 4", "Good 5"]
    assert [(str(p), p.level, p.line) for p in result.problems] == [(BAD_LINE, "error", 3)]
    assert len(result.files) == 7


def test_build_with_one_broken_article_exits_1_prints_its_problem_and_writes_the_other_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path, monkeypatch, GOOD_AND_BAD)
    result = CliRunner().invoke(main, ["build", *NOW_ARG])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"error: {BAD_LINE}"]
    feed = json.loads((site / "output" / "feeds" / "feed.json").read_text(encoding="utf-8"))
    assert sorted(item["title"] for item in feed["items"]) == [
        "A plain good one", "Good 1", "Good 2", "Good 3", "Good 4", "Good 5"]
    for name in ("rss.xml", "atom.xml"):
        text = (site / "output" / "feeds" / name).read_text(encoding="utf-8")
        assert "Good 5" in text and "Bad" not in text
    assert (site / "output" / "feeds" / "tags" / "harbour" / "rss.xml").is_file()


# -- drafts and scheduled articles ------------------------------------------------------

def test_a_draft_is_held_back_and_not_published(tmp_path: Path) -> None:
    result = load(make_content(tmp_path, {"draft.md": article("Draft", draft="true"),
                                          "done.md": article("Done")}))
    assert titles(result.articles) == ["Done"]
    assert titles(result.drafts) == ["Draft"]
    assert result.scheduled == [] and result.problems == []


def test_an_article_dated_after_now_is_scheduled_until_now_passes_its_date(tmp_path: Path) -> None:
    content = make_content(tmp_path, {"future.md": article("Future", date="2026-12-01T09:00:00+01:00"),
                                      "past.md": article("Past")})
    before = load(content, now=datetime(2026, 12, 1, 7, 59, 59, tzinfo=timezone.utc))
    assert titles(before.articles) == ["Past"]
    assert titles(before.scheduled) == ["Future"]
    due = load(content, now=datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    assert titles(due.articles) == ["Future", "Past"]
    assert due.scheduled == []


# -- dates ------------------------------------------------------------------------------

def test_a_naive_date_time_is_in_the_site_timezone_and_an_offset_is_kept() -> None:
    naive = article("Naive", date="2024-05-01T10:00:00").encode()
    in_berlin, _ = parse_article("naive.md", naive, SITE)
    in_utc, _ = parse_article("naive.md", naive, UTC_SITE)
    assert in_berlin.date.isoformat() == "2024-05-01T10:00:00+02:00"
    assert in_utc.date.isoformat() == "2024-05-01T10:00:00+00:00"
    assert in_utc.date - in_berlin.date == timedelta(hours=2)
    offset = article("Offset", date="2024-05-01T10:00:00-04:00").encode()
    for site in (SITE, UTC_SITE):
        assert parse_article("offset.md", offset, site)[0].date.isoformat() == "2024-05-01T10:00:00-04:00"


def test_a_file_name_date_is_midnight_in_the_site_timezone() -> None:
    data = article("Named", date=None).encode()
    parsed, _ = parse_article("2024-05-01-my-post.md", data, SITE)
    assert parsed.date == datetime(2024, 5, 1, tzinfo=BERLIN)
    assert parsed.date.isoformat() == "2024-05-01T00:00:00+02:00"
    assert parsed.slug == "my-post"


def test_the_file_modification_time_never_gives_the_date(tmp_path: Path) -> None:
    content = make_content(tmp_path, {
        "front-matter.md": article("Front matter", date="2024-05-01T10:00:00+02:00"),
        "2024-05-02-file-name.md": article("File name", date=None),
        "undated.md": article("Undated", date=None),
    })
    before = {a.title: a.date for a in load(content).articles}
    for path, when in zip(sorted(content.iterdir()), (978_307_200, 1_900_000_000, 1_234_567_890)):
        os.utime(path, (when, when))
    result = load(content)
    assert {a.title: a.date for a in result.articles} == before == {
        "Front matter": datetime(2024, 5, 1, 10, tzinfo=BERLIN),
        "File name": datetime(2024, 5, 2, tzinfo=BERLIN),
    }
    assert [str(p) for p in result.problems] == [
        "content/undated.md: has no 'date'. Add 'date: YYYY-MM-DD' (or a date-time with an offset), "
        "or start the file name with the date, like 2024-05-01-my-post.md."
    ]


# -- line ends and byte order marks -----------------------------------------------------

MD = article("Line ends", tags="[a, b]", body="First paragraph.\n\nSecond paragraph,\nwith a soft break.\n")
TXT = "Date: 2024-05-01\nAuthor: Jane Doe\n\nLine ends\nFirst paragraph.\nAdvertisement\nSecond paragraph.\nCOMMENTS\n"


@pytest.mark.parametrize("name, text", [("line-ends.md", MD), ("line-ends.txt", TXT)])
@pytest.mark.parametrize("variant", ["crlf", "cr", "bom", "bom+crlf"])
def test_crlf_line_ends_and_a_bom_parse_exactly_like_lf(name: str, text: str, variant: str) -> None:
    data = text.encode("utf-8")
    if "crlf" in variant:
        data = data.replace(b"\n", b"\r\n")
    if variant == "cr":
        data = data.replace(b"\n", b"\r")
    if "bom" in variant:
        data = b"\xef\xbb\xbf" + data
    lf, lf_warnings = parse_article(name, text.encode("utf-8"), SITE)
    other, other_warnings = parse_article(name, data, SITE)
    assert other_warnings == lf_warnings == []
    assert dataclasses.replace(other, digest="") == dataclasses.replace(lf, digest="")
    assert "\r" not in other.body and "\ufeff" not in other.title


def test_a_bom_before_a_missing_front_matter_is_not_counted_as_text() -> None:
    with pytest.raises(ContentError) as info:
        parse_article("x.md", b"\xef\xbb\xbfJust a line of text\n", SITE)
    assert info.value.line == 1
    assert str(info.value).startswith("has no front matter.")


# -- slugs ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "slug"), [
    ("Hello World", "hello-world"),
    ("Café", "cafe"),
    ("Crème brûlée à la carte", "creme-brulee-a-la-carte"),
    ("C++", "c-plus-plus"),
    ("C#", "c-sharp"),
    ("Rock & Roll", "rock-and-roll"),
    ("Hello, World!!!", "hello-world"),
    ("  --spaces__and--dashes--  ", "spaces-and-dashes"),
    ("What’s new? (2024 edition)", "what-s-new-2024-edition"),
    ("日本語", "日本語"),
    ("中文 标题", "中文-标题"),
    ("Москва", "москва"),
    ("ﬁnal ①", "final-1"),
    ("!!!", ""),
    ("x" * 100, "x" * 80),
    ("a " * 40 + "b", ("a-" * 40)[:79]),
])
def test_slugify_folds_accents_keeps_other_letters_and_collapses_punctuation(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(("text", "slug"), [("ガイド", "ガイド"), ("한국어", "한국어")])
def test_slugify_keeps_japanese_voiced_kana_and_korean_syllables_as_written(text: str, slug: str) -> None:
    assert slugify(text) == slug


# -- summaries --------------------------------------------------------------------------

HUNDRED_WORDS = " ".join(f"w{n}," if n == 60 else f"w{n}" for n in range(1, 101)) + "."


@pytest.mark.parametrize(("name", "data"), [
    ("long.md", article("Long", body=f"{HUNDRED_WORDS}\n\nSecond.\n")),
    ("long.txt", f"Date: 2024-05-01\nLong\n{HUNDRED_WORDS}\nSecond.\n"),
])
def test_a_long_first_paragraph_is_cut_after_60_words_with_an_ellipsis(name: str, data: str) -> None:
    parsed, _ = parse_article(name, data.encode(), SITE)
    assert parsed.summary is None
    assert summarize(parsed) == " ".join(f"w{n}" for n in range(1, 61)) + "…"


@pytest.mark.parametrize(("name", "data"), [
    ("short.md", article("Short", body="A *short* first paragraph.\n\nSecond.\n")),
    ("short.txt", "Date: 2024-05-01\nShort\nA short first paragraph.\nSecond.\n"),
])
def test_a_short_first_paragraph_is_the_whole_summary(name: str, data: str) -> None:
    parsed, _ = parse_article(name, data.encode(), SITE)
    assert summarize(parsed) == "A short first paragraph."


def test_a_summary_in_the_front_matter_wins_over_the_first_paragraph() -> None:
    data = article("Own summary", summary="'Mine: not the first paragraph.'", body=HUNDRED_WORDS)
    parsed, _ = parse_article("own.md", data.encode(), SITE)
    assert parsed.summary == "Mine: not the first paragraph."
    assert summarize(parsed) == "Mine: not the first paragraph."


def test_publish_and_expiry_dates_hold_an_article_back_and_take_it_out_on_time(tmp_path: Path) -> None:
    for name, head in {
        "2024-01-01-embargoed.md": "publishDate: 2024-06-01T08:00:00Z",
        "2024-01-02-expired.md": "expiryDate: 2024-03-01",
        "2024-01-03-expires-later.md": "expirydate: 2024-09-01",
        "2024-01-04-plain.md": "",
    }.items():
        write(tmp_path / name, f"---\ntitle: {name[11:-3]}\n{head}\n---\nText.\n")
    at = datetime(2024, 4, 1, tzinfo=timezone.utc)
    result = load_articles(scan_content(tmp_path), SITE, now=at)
    assert sorted(a.slug for a in result.articles) == ["expires-later", "plain"]
    assert [a.slug for a in result.scheduled] == ["embargoed"]
    assert [a.slug for a in result.expired] == ["expired"]
    assert result.problems == []
    later = load_articles(scan_content(tmp_path), SITE, now=datetime(2024, 10, 1, tzinfo=timezone.utc))
    assert sorted(a.slug for a in later.articles) == ["embargoed", "plain"]
    assert sorted(a.slug for a in later.expired) == ["expired", "expires-later"]


def test_files_and_folders_starting_with_a_dot_or_an_underscore_are_skipped(tmp_path: Path) -> None:
    for rel in ("post.md", "_index.md", "news/_index.md", "news/item.md", ".hidden.md", "_drafts/a.md",
                ".git/x.md", "notes.txt", "image.png"):
        write(tmp_path / rel, "---\ntitle: x\n---\n")
    assert [f.rel for f in scan_content(tmp_path)] == ["news/item.md", "notes.txt", "post.md"]


# -- scraped web pages ---------------------------------------------------------------------

def test_a_scraped_page_keeps_the_article_and_drops_the_page() -> None:
    article, _ = parse_article("news/ferry.html", (CASES / "valid" / "page-news-article.html").read_bytes(), SITE)
    html = render_html(article)
    assert html.count("<p>") == 6 and "<blockquote>" in html  # five paragraphs and the image
    assert '<a href="https://council.example.org/tender">tender</a>' in html
    # Links and images are relative to where the page was (its canonical URL), not to this site.
    assert '<p><img src="https://news.example.org/images/ferry.jpg"' in html  # in a block of its own
    assert "<h1>" not in html  # the title is not said twice
    for page_chrome in ("cookies", "Sport", "Related articles", "Ferry timetable", "Sign up", "Subscribe",
                        "All rights reserved", "Privacy", "dataLayer", "track()", "font-family"):
        assert page_chrome not in html


def test_inline_code_in_a_scraped_page_stays_inline() -> None:
    data = (CASES / "valid" / "page-jekyll-4-0-0-released.html").read_bytes()
    html = render_html(parse_article("page.html", data, SITE)[0])
    assert "Disk caching is disabled for <code>safe</code> mode" in html
    assert "<pre>safe</pre>" not in html


def test_a_scraped_page_without_the_page_extractor_installed_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # what an uninstalled module looks like to import
    with pytest.raises(ContentError, match=r"pip install 'syndicate\[pages\]'"):
        parse_article("page.html", (CASES / "valid" / "page-no-date.html").read_bytes(), SITE, seen_at=NOW)
    # A Hugo content file in HTML (front matter first) needs no extractor.
    article, _ = parse_article("post.html", b"---\ntitle: Hugo HTML\ndate: 2024-05-01\n---\n<p>Hi.</p>\n", SITE)
    assert article.title == "Hugo HTML"


def test_an_undated_scraped_page_keeps_its_first_seen_date_across_builds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "syndicate.toml", '[site]\nbase_url = "https://example.org/"\n')
    page = tmp_path / "content" / "lifeboat.html"
    page.parent.mkdir()
    page.write_bytes((CASES / "valid" / "page-no-date.html").read_bytes())
    runner = CliRunner()
    first = runner.invoke(main, ["build", *NOW_ARG], catch_exceptions=False)
    assert first.exit_code == 0
    assert ('content/lifeboat.html: has no date, so it is published with the time syndicate first saw it '
            '(2026-11-28 12:00 UTC), kept in the state database. To pin it, add '
            '<meta property="article:published_time" content="2026-11-28"> to its head.') in first.stderr
    later = (NOW + timedelta(days=3)).isoformat()
    page.rename(tmp_path / "content" / "lifeboat-rescue.html")
    again = runner.invoke(main, ["build", "--now", later], catch_exceptions=False)
    assert (again.exit_code, again.stderr) == (0, "")
    item = json.loads((tmp_path / "output" / "feeds" / "feed.json").read_text())["items"][0]
    assert item["title"] == "Lifeboat crew praised after night rescue"
    assert item["date_published"] == "2026-11-28T12:00:00+00:00"


@pytest.mark.slow
def test_restructuredtext_that_could_run_away_is_one_clear_error() -> None:
    """docutils was not written for hostile input: a file is bounded in size, depth, nested
    substitutions (each level doubles the text) and time, and never reads another file."""
    head = "Title\n=====\n\n:date: 2024-05-01\n\n"
    deep = head + "".join("  " * i + "- x\n\n" for i in range(220))
    with pytest.raises(ContentError, match="nests its blocks too deep to read"):
        parse_article("deep.rst", deep.encode(), SITE)
    big = head + "A paragraph of words.\n\n" * 4000
    with pytest.raises(ContentError, match=r"is 89 KB of reStructuredText; such an article may be at most 64 KB"):
        parse_article("big.rst", big.encode(), SITE)
    laughs = head + "x |a0| y\n\n" + "".join(f".. |a{i}| replace:: |a{i + 1}| |a{i + 1}|\n" for i in range(30))
    with pytest.raises(ContentError, match=r"has a substitution that refers to another"):
        parse_article("laughs.rst", laughs.encode(), SITE)
    on_the_next_line = head + "x |a0| y\n\n" + "".join(
        f".. |a{i}| replace::\n   |a{i + 1}| |a{i + 1}|\n" for i in range(30))
    with pytest.raises(ContentError, match=r"has a substitution that refers to another"):
        parse_article("laughs.rst", on_the_next_line.encode(), SITE)
    fine = head + "x |logo| and |name| y\n\n.. |logo| image:: logo.png\n.. |name| replace:: Rust | the language\n"
    assert parse_article("fine.rst", fine.encode(), SITE)[0].title == "Title"
    # docutils rescans a paragraph for each unclosed reference: minutes for 60 KB of them.
    slow = head + "\n".join("`a <" * 2000 for _ in range(8))
    with pytest.raises(ContentError, match=r"took docutils more than 5 s to read, so it was left out"):
        parse_article("slow.rst", slow.encode(), SITE)


def test_an_rst_image_never_embeds_a_file_from_the_disk(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-7731\n")
    data = f"Title\n=====\n\n:date: 2024-05-01\n\n.. image:: {secret}#.svg\n   :loading: embed\n"
    article, _ = parse_article("leak.rst", data.encode(), SITE)
    assert "SECRET-7731" not in render_html(article) + summarize(article)


def test_unclosed_formatting_elements_do_not_multiply_the_html() -> None:
    data = (CASES / "hostile" / "2024-01-07-formatting-never-closed.md").read_bytes()
    article, _ = parse_article("2024-01-07-formatting-never-closed.md", data, SITE)
    assert len(render_html(article)) < 2 * len(data)  # it was 800 times as big
    # Closing tags this scan sees but HTML does not (in a comment, in an attribute) change nothing.
    for hidden in ("<!--</b>-->", "<i title='</b>'></i>"):
        body = "".join(f"<div><b class=c{i}>{hidden}</div>" for i in range(2000))
        article, _ = parse_article("2024-01-07-x.md", f"---\ntitle: T\n---\n<div>\n{body}\nx\n".encode(), SITE)
        assert len(render_html(article)) < 4 * len(body)


def test_a_jekyll_post_s_own_permalink_with_an_unknown_field_names_it() -> None:
    site = dataclasses.replace(SITE, dialect="jekyll", permalink="")
    data = b"---\ntitle: Unknown\npermalink: /:year/:nonsense/\n---\nBody.\n"
    with pytest.raises(ContentError, match=r"'permalink' uses :nonsense, which is no permalink field") as info:
        parse_article("2024-05-01-unknown.md", data, site)
    assert info.value.line == 3
