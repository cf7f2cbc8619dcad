"""``syndicate check --email``: the newsletter email against caniemail.com's support data.

The command runs on sites made in tmp folders (the packaged templates, a user's templates
folder, an issue already made); the pure parts (:func:`lint_email`, the feature detectors, the
client names) on small HTML written here; the snapshot and the script that refreshes it on
the shipped files and on a fake npm tarball. The expected support values are caniemail's
(2.0.2), read off its pages by hand: display:flex and position are not supported in Outlook
on Windows, position not in Gmail; @media is not supported in Outlook on Windows.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import io
import json
import tarfile
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndicate.cli import main
from syndicate.newsletter import caniemail
from syndicate.newsletter.caniemail import (
    DEFAULT_CLIENTS,
    load_caniemail,
    property_features,
    resolve_clients,
    selector_features,
)
from syndicate.newsletter.lint import GRACEFUL, MAX_CHECKED_CHARS, Finding, lint_email
from syndicate.newsletter.render import GMAIL_CLIP_BYTES

from .conftest import REPO, write

NOW = ["--now", "2026-11-28T12:00:00Z"]
DATA = load_caniemail()
UNSUBSCRIBE = "https://news.example.org/unsubscribe?token=preview"

ARTICLE = """---
title: Hello, subscribers
date: 2026-11-20
---
A first paragraph, with [a link](https://example.org/page).

![A harbour at dawn](https://example.org/harbour.jpg)

A last paragraph.
"""

#: A user's own newsletter.html.j2: nothing but what Apple Mail on macOS supports, and {{ extra }}.
MINIMAL_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ issue.subject }}</title></head>
<body>
<table role="presentation" width="100%"><tr><td>
{% for article in articles %}<h2><a href="{{ article.url }}">{{ article.title }}</a></h2>{% endfor %}
EXTRA
<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
<p>{{ postal_address }}</p>
</td></tr></table>
</body></html>
"""


def make_site(root: Path, *, postal_address: str = "1 Harbour Road, Springfield", full_content: bool = True,
              templates: dict[str, str] | None = None) -> Path:
    """A site with one article (a link, an image with alt text) and, if given, its own templates."""
    newsletter = f"postal_address = {json.dumps(postal_address)}\nfull_content = {str(full_content).lower()}\n"
    if templates:
        newsletter += 'templates_dir = "my-templates"\n'
        for name, text in templates.items():
            write(root / "my-templates" / name, text)
    write(root / "syndicate.toml", '[site]\ntitle = "Harbour News"\nbase_url = "https://news.example.org/"\n'
                                   f"[newsletter]\n{newsletter}")
    write(root / "content" / "2026-11-20-hello.md", ARTICLE)
    return root


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_site(tmp_path)


def check_email(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["check", "--email", *args, *NOW])


def lines(result: Result, level: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"{level}: ")]


def lint(html: str, clients: str = "outlook/windows", **kwargs: object) -> list[Finding]:
    options = {"postal_address": "1 Harbour Road", "unsubscribe_url": UNSUBSCRIBE, **kwargs}
    return lint_email(html, data=DATA, clients=resolve_clients([clients], DATA), **options)  # type: ignore[arg-type]


def email(body: str, head: str = "") -> str:
    """A small email that passes for Outlook on Windows but for what ``body`` and ``head`` add."""
    return (f"<html><head>{head}</head><table><tr><td>{body}<a href=\"{UNSUBSCRIBE}\">Unsubscribe</a> "
            "1 Harbour Road</td></tr></table></html>")


# -- the command -------------------------------------------------------------------------------

@pytest.mark.parametrize("full_content", [True, False], ids=["full-content", "summaries"])
def test_the_packaged_templates_use_no_feature_a_default_client_lacks_outside_an_enhancement_block(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_content: bool) -> None:
    monkeypatch.chdir(make_site(tmp_path, full_content=full_content))
    result = check_email(runner)
    errors = lines(result, "error")
    assert errors == [], "the packaged templates use what a default client lacks:\n" + "\n".join(errors)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Checking the email of issue #1 (the next one) as a build writes it to "
                                    "output/newsletters/next/email.html (the lines are that file's), for 12 "
                                    "clients by caniemail 2.0.2 (data of 2026-05-13): Gmail Desktop Webmail, "
                                    "Gmail iOS, ")
    assert result.stdout.splitlines()[-1].startswith("Checked the email of issue #1, ")
    assert not (tmp_path / "syndicate.db").exists() and not (tmp_path / "output").exists()  # writes nothing


def test_a_user_css_with_flex_and_absolute_position_fails_naming_the_clients(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    css = (REPO / "templates" / "newsletter.css").read_text(encoding="utf-8")
    css += "\n.header { display: flex; }\n.footer { position: absolute; top: 0; }\n"
    monkeypatch.chdir(make_site(tmp_path, templates={"newsletter.css": css}))
    result = check_email(runner)
    assert result.exit_code == 1, result.output
    errors = lines(result, "error")
    flex = [e for e in errors if "display:flex (css-display-flex) is not supported by" in e]
    position = [e for e in errors if "position (css-position) is not supported by" in e]
    assert len(flex) == 1 and "Outlook Windows, Outlook Windows Mail" in flex[0], errors
    assert len(position) == 1 and "Gmail Desktop Webmail, Gmail iOS, Gmail Android" in position[0], errors
    assert "Outlook Windows" in position[0] and "https://www.caniemail.com/features/css-position/" in position[0]
    # inlined into the header's style="": the line of that element in email.html
    html = _built_email(runner, tmp_path)
    line = int(flex[0].split(":")[1].split()[1])
    assert 'class="header font"' in html.splitlines()[line - 1]


def _built_email(runner: CliRunner, site: Path) -> str:
    assert runner.invoke(main, ["build", *NOW]).exit_code == 0
    return (site / "output" / "newsletters" / "next" / "email.html").read_text(encoding="utf-8")


def test_a_user_template_is_checked_for_the_clients_picked_and_strict_fails_on_partial_support(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = MINIMAL_TEMPLATE.replace("EXTRA", '<div style="display: flex;">Side by side</div>')
    monkeypatch.chdir(make_site(tmp_path, templates={"newsletter.html.j2": template}))
    apple = check_email(runner, "--client", "apple-mail/macos")
    assert (apple.exit_code, lines(apple, "error"), lines(apple, "warning")) == (0, [], []), apple.output
    assert "for 1 client by caniemail 2.0.2 (data of 2026-05-13): Apple Mail macOS." in apple.stdout
    outlook = check_email(runner, "--client", "outlook/windows")
    assert outlook.exit_code == 1
    # line 5 of the email: the loop's {% endfor %} takes its line break (trim_blocks), so the <div> is on line 5
    assert [e for e in lines(outlook, "error") if "css-display-flex" in e] == [
        "error: line 5: display:flex (css-display-flex) is not supported by Outlook Windows "
        "(https://www.caniemail.com/features/css-display-flex/)"]
    # Gmail's apps support flex only partly: a warning, which fails with --strict alone
    gmail = check_email(runner, "--client", "gmail/ios")
    assert [w for w in lines(gmail, "warning") if "css-display-flex" in w] == [
        "warning: line 5: display:flex (css-display-flex) is only partly supported by Gmail iOS [1]. [1] Not "
        "supported with non Google accounts. (https://www.caniemail.com/features/css-display-flex/)"]
    assert gmail.exit_code == 0 and check_email(runner, "--client", "gmail/ios", "--strict").exit_code == 1


def test_clients_can_be_repeated_or_comma_separated_and_a_family_means_all_its_platforms(
        runner: CliRunner, site: Path) -> None:
    result = check_email(runner, "--client", "yahoo,apple-mail/ios", "--client", "outlook/windows")
    assert ("for 5 clients by caniemail 2.0.2 (data of 2026-05-13): Yahoo! Mail Android, Yahoo! Mail Desktop "
            "Webmail, Yahoo! Mail iOS, Apple Mail iOS, Outlook Windows.") in result.stdout


def test_an_unknown_client_is_a_usage_error_listing_the_valid_names(runner: CliRunner, site: Path) -> None:
    result = check_email(runner, "--client", "gmail,outlook/window")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert ("Error: Invalid value for '--client': 'outlook/window' is not a client caniemail has data on. Use a "
            "family, a family/platform, 'default' or 'all'; the clients are: aol/{android,desktop-webmail,ios}; "
            "apple-mail/{ios,macos};") in message
    assert "gmail/{android,desktop-webmail,ios,mobile-webmail};" in message
    assert "outlook/{android,ios,macos,outlook-com,windows,windows-mail};" in message


def test_issue_n_checks_an_issue_already_made(runner: CliRunner, site: Path) -> None:
    assert runner.invoke(main, ["newsletter", *NOW]).exit_code == 0
    result = check_email(runner, "--issue", "1", "--client", "apple-mail/macos")
    assert result.stdout.startswith("Checking the email of issue #1 as a build writes it to "
                                    "output/newsletters/1/email.html (the lines are that file's), ")
    assert result.exit_code == 0, result.output
    # the next issue is #2, and there is none: every article is in issue #1
    nothing = check_email(runner)
    assert nothing.exit_code == 2
    assert "Error: there is no next issue to check: no published article in content is left for one. Check a " \
           "made issue with --issue N." in " ".join(nothing.stderr.split())


def test_an_unknown_issue_number_is_a_clear_error(runner: CliRunner, site: Path) -> None:
    before = check_email(runner, "--issue", "7")
    assert before.exit_code == 2
    assert before.stderr == ("Error: there is no issue #7: no issue has been made yet (in syndicate.db). Leave out "
                             "--issue to check the next one.\n")
    runner.invoke(main, ["newsletter", *NOW])
    after = check_email(runner, "--issue", "7")
    assert (after.exit_code, after.stderr) == (2, "Error: there is no issue #7: the only issue made is #1 (in "
                                                  "syndicate.db). Leave out --issue to check the next one.\n")


def test_a_missing_postal_address_is_a_warning_naming_the_key(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_site(tmp_path, postal_address=""))
    result = check_email(runner, "--client", "apple-mail/macos")
    assert "warning: [newsletter] postal_address is empty: CAN-SPAM asks for the sender's postal address in " \
           "every email. Set it in syndicate.toml." in lines(result, "warning")
    assert result.exit_code == 0 and check_email(runner, "--client", "apple-mail/macos", "--strict").exit_code == 1


def test_issue_and_client_without_email_are_a_usage_error(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["check", "--issue", "1", *NOW])
    assert result.exit_code == 2
    assert "Error: --issue and --client go with --email: run e.g. 'syndicate check --email --issue 3'." in \
        result.stderr


def test_help_explains_the_email_check(runner: CliRunner) -> None:
    text = " ".join(runner.invoke(main, ["check", "--help"]).stdout.split())
    assert "With --email, checks the newsletter email instead" in text
    assert "caniemail.com's support data" in text
    assert "--client NAME With --email: a client to check for, as caniemail names it" in text
    assert "--issue N With --email: check issue N, one already made" in text


# -- the check, on small HTML --------------------------------------------------------------------

def test_a_clean_email_has_no_finding() -> None:
    assert lint(email("<p>Hello.</p>")) == []


def test_a_feature_inside_media_is_reported_as_inside_an_enhancement_block_and_does_not_fail() -> None:
    findings = lint(email('<p class="a">Hi</p>', head="<style>@media (max-width: 600px) { .a { display: flex; } }"
                                                      "</style>"))
    assert {f.level for f in findings} == {"info"}
    flex = next(f for f in findings if f.slug == "css-display-flex")
    assert (flex.level, flex.enhancement, flex.clients, flex.line) == ("info", "@media", ("Outlook Windows",), 1)
    assert str(flex).startswith("line 1, inside @media: display:flex (css-display-flex) is not supported by "
                                "Outlook Windows")
    # the at-rule and the <style> that holds only it are enhancements too
    assert {(f.slug, f.enhancement) for f in findings} >= {("css-at-media", "@media"),
                                                           ("html-style", "a <style> of @media rules only")}


def test_the_same_feature_outside_the_block_fails() -> None:
    findings = lint(email('<p class="a">Hi</p>', head="<style>.a { display: flex; }</style>"))
    flex = [f for f in findings if f.slug == "css-display-flex"]
    assert [(f.level, f.enhancement) for f in flex] == [("error", "")]


def test_a_feature_that_degrades_gracefully_is_info_saying_what_the_client_shows_and_a_layout_one_is_not(
        ) -> None:
    findings = lint(email('<p style="border-radius: 6px; position: absolute; float: left">Hi</p>', head=""))
    by_slug = {f.slug: f for f in findings}
    corners = by_slug["css-border-radius"]
    assert (corners.level, corners.graceful, corners.enhancement) == ("info", True, "")
    assert str(corners).startswith("line 1, degrades gracefully: border-radius (css-border-radius) is not "
                                   "supported by Outlook Windows")
    assert "they show square corners" in str(corners)
    assert by_slug["css-position"].level == "error" and not by_slug["css-position"].graceful
    assert not set(GRACEFUL) & {"css-position", "css-float", "css-display-flex", "css-display-grid"}


@pytest.mark.parametrize(("style", "failing"), [
    ("display:none", {("css-display-none", ("Gmail Mobile Webmail",))}),  # shown there: a second copy leaks
    ("max-height:0; overflow:hidden", {("css-max-height", ("Outlook Windows", "Outlook Windows Mail")),
                                       ("css-overflow", ("Outlook Windows", "Outlook Windows Mail"))}),
    ("display:none; max-height:0; overflow:hidden; opacity:0", set()),  # every client has one of the ways
    ("overflow:hidden", {("css-overflow", ("Outlook Windows", "Outlook Windows Mail"))}),
    ("overflow-x:auto", set()),  # a scrolling box: shown in full where it cannot scroll
])
def test_hiding_is_judged_by_whether_each_client_has_one_of_the_ways_used(style: str, failing: set) -> None:
    findings = lint(email(f'<div style="{style}">hidden</div>', head=""), "default")
    assert {(f.slug, f.clients) for f in findings if f.level == "error"} == failing
    for f in findings:
        if f.level == "error" and len(style.split(";")) > 1:
            assert "the element is not hidden there" in f.message


def test_what_an_mso_conditional_comment_holds_is_inside_an_enhancement_block() -> None:
    html = email('<!--[if mso]>\n<table role="presentation" width="600"><tr><td>\n<![endif]-->'
                 '<!--[if !mso]><!--><div style="display:flex">x</div><!--<![endif]-->',
                 head="")
    by_slug = {f.slug: f for f in lint(html, "outlook/windows-mail")}
    assert (by_slug["html-role"].level, by_slug["html-role"].enhancement) == ("info", "an MSO conditional comment")
    assert by_slug["html-role"].line == 2
    assert by_slug["css-display-flex"].level == "info"
    assert [f for f in by_slug.values() if f.level != "info"] == []


def test_an_http_link_and_an_image_without_alt_are_warnings() -> None:
    findings = lint(email('<a href="http://example.org/a">a</a> <a href="mailto:x@example.org">m</a>\n'
                          '<a href="#top">t</a><img src="https://example.org/a.png">'
                          '<img src="https://example.org/b.png" alt="">'
                          '<img src="https://example.org/c.png" alt="A harbour">'), "apple-mail/macos")
    assert [(f.level, f.slug, f.line, f.message) for f in findings if not f.slug.startswith(("html-", "css-"))] == [
        ("warning", "https-links", 1, "1 link is not https (http://example.org/a on line 1): mail clients warn "
                                      "of them, or block them. Use https:// addresses."),
        ("warning", "img-alt", 2, "2 images have no alt text (https://example.org/a.png on line 2, "
                                  "https://example.org/b.png on line 2): readers whose client hides images, and "
                                  "screen readers, see nothing. Add one: ![what it shows](…) in Markdown, "
                                  "alt=\"…\" in a template."),
    ]


def test_the_unsubscribe_link_need_not_be_https_and_its_absence_is_an_error() -> None:
    plain = "http://news.example.org/unsubscribe?t=1"
    assert lint(email("").replace(UNSUBSCRIBE, plain), unsubscribe_url=plain) == []
    missing = lint("<p>No way out. 1 Harbour Road</p>")
    assert [(f.level, f.slug) for f in missing] == [("error", "unsubscribe")]
    assert missing[0].message.startswith("the email has no unsubscribe link: every newsletter must let its reader "
                                         "leave")


def test_a_missing_or_unshown_postal_address_is_a_warning() -> None:
    assert [f.message for f in lint(email(""), postal_address="")] == [
        "[newsletter] postal_address is empty: CAN-SPAM asks for the sender's postal address in every email. "
        "Set it in syndicate.toml."]
    assert [f.slug for f in lint(email(""), postal_address="9 O'Brien Street")] == ["postal-address"]
    assert lint(email("9 O&#39;Brien\n  Street"), postal_address="9 O'Brien Street") == []


def test_an_email_over_gmails_clip_is_a_warning() -> None:
    big = email("<p>" + "word " * (GMAIL_CLIP_BYTES // 5) + "</p>")
    findings = lint(big)
    assert [(f.level, f.slug) for f in findings] == [("warning", "gmail-clip")]
    assert findings[0].message.startswith("the email's HTML is 102 KB; Gmail clips messages over 102 KB, hiding "
                                          "the end and the unsubscribe link.")


@pytest.mark.parametrize("hostile", [
    "<!--" * 500_000,  # unclosed comments: quadratic in Python 3.11's html.parser
    "<" * 1_500_000,
    '<a "' * 400_000,
    "<style>" + "[" * 1_000_000 + "{a:b}</style>",
    "<style>" + "@media screen {" * 100_000 + "</style>",
    "<style>a{b:\"" + "\\\"" * 500_000 + "}</style>",
    '<p style="' + "width:1px;" * 150_000 + '">',
    "<!--[if mso]>" * 100_000 + "<![endif]-->",
], ids=["comments", "lt", "quotes", "brackets", "media", "escapes", "style", "conditional"])
def test_a_hostile_email_is_checked_in_time_proportional_to_its_size(hostile: str) -> None:
    start = time.perf_counter()
    lint(hostile)
    assert time.perf_counter() - start < 10


def test_only_the_first_two_million_characters_of_a_huge_email_are_read() -> None:
    findings = lint(email("<p>x</p>" * (MAX_CHECKED_CHARS // 8 + 1)))
    assert [f.message for f in findings if f.slug == ""] == [
        f"the email is {MAX_CHECKED_CHARS + 8 + len(email('')) :,} characters long: only the first 2,000,000 were "
        "checked."]


# -- what caniemail calls things --------------------------------------------------------------

@pytest.mark.parametrize(("declaration", "expect"), [
    ("display: flex", ["css-display", "css-display-flex"]),
    ("display:inline-grid", ["css-display", "css-display-grid"]),
    ("position: absolute", ["css-position"]),
    ("max-width: 600px", ["css-max-width", "css-unit-px"]),
    ("border-top-left-radius: 4px", ["css-border-radius", "css-unit-px"]),
    ("border-left: 3px solid #d1d5db", ["css-border", "css-unit-px"]),
    ("margin-inline: 2rem", ["css-margin-inline-block", "css-unit-rem"]),
    ("width: calc(100% - 2px) !important", ["css-important", "css-width", "css-unit-calc", "css-unit-percent",
                                            "css-unit-px"]),
    ("background-image: url(x.png)", ["css-background-image"]),
    ("background: linear-gradient(#fff, rgba(0,0,0,.5))", ["css-background", "css-linear-gradient", "css-rgba"]),
    ("flex-direction: column", ["css-flex-direction"]),
    ("flex-direction: row", []),
    ("font-family: system-ui, sans-serif", ["css-sytem-ui"]),
    ("--brand: #2563eb", ["css-variables"]),
    ("color: var(--brand)", ["css-variables"]),
    ("color: #e5e7eb", []),
    ("mso-hide: all", []),
    ("-webkit-text-size-adjust: 100%", ["css-unit-percent"]),
    ("made-up-property: 1", []),
])
def test_a_declaration_maps_to_caniemails_slugs(declaration: str, expect: list[str]) -> None:
    name, _, value = declaration.partition(":")
    assert property_features(name, value, DATA) == expect


@pytest.mark.parametrize(("selector", "expect"), [
    (".text a", ["css-selector-descendant", "css-selector-class", "css-selector-type"]),
    ("ul > li + li ~ p", ["css-selector-child", "css-selector-adjacent-sibling", "css-selector-general-sibling",
                          "css-selector-type", "css-selector-type", "css-selector-type", "css-selector-type"]),
    ("a.button#go", ["css-selector-class", "css-selector-id", "css-selector-type", "css-selector-chaining"]),
    ("h1, h2", ["css-selector-grouping", "css-selector-type", "css-selector-type"]),
    ("a:hover", ["css-pseudo-class-hover", "css-selector-type"]),
    ("li::before", ["css-pseudo-element-before", "css-selector-type"]),
    ("p:first-line", ["css-pseudo-element-first-line", "css-selector-type"]),
    ("[href]", ["css-selector-attribute"]),
    ('a[href^="https:"]', ["css-selector-type", "css-selector-attribute", "css-selector-chaining"]),
    ("li:not(.a, .b)", ["css-pseudo-class-not", "css-selector-type"]),
    ("*", ["css-selector-universal"]),
])
def test_a_selector_maps_to_caniemails_slugs(selector: str, expect: list[str]) -> None:
    assert sorted(selector_features(selector)) == sorted(expect)


def test_every_slug_the_detectors_use_is_a_real_caniemail_feature() -> None:
    tables = [caniemail.ELEMENTS, caniemail.INPUTS, caniemail.ATTRIBUTES, caniemail.IMAGE_FORMATS,
              caniemail.AT_RULES, caniemail._DISPLAY, caniemail._FUNCTIONS, caniemail._KEYWORDS, caniemail._UNITS]
    slugs = {slug for table in tables for slug in table.values()}
    slugs |= {slug for _, slug in caniemail.MEDIA_FEATURES + caniemail._PROPERTY_FAMILIES}
    slugs |= {"html-comments", "html-doctype", "html-meta-color-scheme", "html-mailto-links", "html-anchor-links",
              "image-base64", "css-comments", "css-nesting", "css-flex-direction", "css-flex-wrap"}
    assert sorted(slugs - DATA.features.keys()) == []


def test_client_names_resolve_to_caniemails_clients() -> None:
    assert [c.key for c in resolve_clients([], DATA)] == list(DEFAULT_CLIENTS)
    assert [c.name for c in resolve_clients(["outlook/outlook-com, gmail/ios"], DATA)] == ["Outlook.com",
                                                                                         "Gmail iOS"]
    assert [c.key for c in resolve_clients(["Apple-Mail"], DATA)] == ["apple-mail/ios", "apple-mail/macos"]
    assert len(resolve_clients(["all"], DATA)) == len(DATA.clients) > 40
    with pytest.raises(ValueError, match=r"^'hotmail', 'gmail/web' are not clients caniemail has data on\."):
        resolve_clients(["hotmail", "gmail/web"], DATA)


# -- the snapshot, its licence, its packaging, its refresh ---------------------------------------

def test_the_snapshot_loads_and_has_its_licence_beside_it() -> None:
    assert DATA.version == "2.0.2"
    assert len(DATA.features) > 250 and {f.category for f in DATA.features.values()} == {"css", "html", "image"}
    flex = DATA.features["css-display-flex"]
    assert (flex.title, flex.url) == ("display:flex", "https://www.caniemail.com/features/css-display-flex/")
    assert flex.support["outlook/windows"].level == "n"
    assert (flex.support["gmail/ios"].level, flex.support["gmail/ios"].notes) == ("a", ("1",))
    assert flex.note_text("1") == "Not supported with non Google accounts."
    licence = caniemail.LICENCE.read_text(encoding="utf-8")
    assert caniemail.LICENCE.parent == caniemail.SNAPSHOT.parent
    assert licence.startswith("MIT License") and "Permission is hereby granted, free of charge" in licence
    assert "Copyright © Andrew Powell" in licence and "Copyright (c) 2019 Rémi Parmentier" in licence


def test_the_package_data_ships_the_snapshot_and_its_licence() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["syndicate.newsletter"]
    folder = REPO / "syndicate" / "newsletter"
    data_files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc"))
    assert data_files == ["caniemail-LICENSE.txt", "caniemail.json"]
    assert all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns) for name in data_files)


def _refresh_script():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("refresh_caniemail", REPO / "scripts" / "refresh_caniemail.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_shipped_snapshot_is_as_the_refresh_script_writes_it() -> None:
    script = _refresh_script()
    text = caniemail.SNAPSHOT.read_text(encoding="utf-8")
    assert script.dump(json.loads(text)) == text


def _fake_tarball(path: Path, support: str) -> Path:
    data = {"api_version": "1.0.4", "last_update_date": "2026-01-01", "nicenames": {
        "family": {"gmail": "Gmail"}, "platform": {"ios": "iOS", "android": "Android"}},
        "data": [{"slug": "css-x", "title": "x", "url": "https://www.caniemail.com/features/css-x/",
                  "category": "css", "notes": None, "notes_by_num": {"1": "A note."},
                  "stats": {"gmail": {"ios": {"2019": "y", "2024": support}, "android": {"2020": "u"}}}},
                 {"slug": "amp", "title": "AMP", "url": "", "category": "others", "notes": None,
                  "notes_by_num": None, "stats": {}}]}
    files = {"package/package.json": json.dumps({"name": "caniemail", "version": "9.9.9"}),
             "package/data/caniemail.json": json.dumps(data), "package/LICENSE": "MIT License\n"}
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return path


def test_the_refresh_script_writes_a_compact_deterministic_snapshot_and_says_what_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = _refresh_script()
    out = tmp_path / "out"
    out.mkdir()
    script.main(["--tarball", str(_fake_tarball(tmp_path / "a.tgz", "a #1")), "--output", str(out)])
    first = (out / "caniemail.json").read_bytes()
    snapshot = json.loads(first)
    assert snapshot["features"] == {"css-x": {"category": "css", "notes": {"1": "A note."},
                                              "support": {"gmail": {"ios": "a #1"}}, "title": "x",
                                              "url": "https://www.caniemail.com/features/css-x/"}}
    licence = (out / "caniemail-LICENSE.txt").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n\n---\n") and "Copyright (c) 2019 Rémi Parmentier" in licence
    assert "added: css-x" in capsys.readouterr().out
    script.main(["--tarball", str(tmp_path / "a.tgz"), "--output", str(out)])
    assert (out / "caniemail.json").read_bytes() == first
    assert capsys.readouterr().out == "caniemail 9.9.9 (data of 2026-01-01): 1 feature; nothing changed.\n"
    script.main(["--tarball", str(_fake_tarball(tmp_path / "b.tgz", "n")), "--output", str(out)])
    assert "css-x: gmail/ios a #1 -> n" in capsys.readouterr().out.splitlines()
    assert load_caniemail(out / "caniemail.json").features["css-x"].support["gmail/ios"].level == "n"
