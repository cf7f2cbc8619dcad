"""The newsletter email fits every screen: a full-content issue with the widest things an article
can hold (a long code line, a long URL, a wide table, a huge image) stays within a 375 px phone
and a 600 px window, in light and dark mode, and with its <style> block removed as some clients do
(the layout is fluid: it needs no media query). Measured in a real headless Chromium. Images keep
their own size up to the column; Outlook on Windows gets what it reads (its XML settings, ghost
table, exact line heights, the button's padding on its cell); the web version of an issue
invites its reader to subscribe; the confirmation email is of the same family."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.templating import template_env
from syndicate.web.signup import render_confirmation

from .conftest import write
from .test_browser import CHROMIUM, CHROMIUM_ARGS

LONG_LINE = "x = " + "a" * 200
LONG_URL = "https://example.org/" + "very-long-path-segment-" * 8 + "end"
TABLE = ("| " + " | ".join(f"Column {i}" for i in range(10)) + " |\n"
         + "|" + "---|" * 10 + "\n"
         + "| " + " | ".join(f"value-{i}-longer-text" for i in range(10)) + " |\n")
HOSTILE = f"""---
title: The widest article
date: 2026-11-20
---
A paragraph first.

```
{LONG_LINE}
```

A bare link: <{LONG_URL}>

{TABLE}
<img src="https://example.org/huge.png" width="2000" height="1000" alt="A huge image">

An icon <img src="https://example.org/icon.png" width="16" height="16" alt="icon"> in a line, a badge
![badge](https://example.org/badge.png) with no width, and a photo with none either:

![A photo](https://example.org/photo.png)
"""
POSTAL_ADDRESS = "Layout Ltd, 1 Quay Street, Port Town"


@pytest.fixture(scope="module")
def issue_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The next issue of a site whose one article is HOSTILE, built: output/newsletters/next/."""
    site = tmp_path_factory.mktemp("layout")
    write(site / "syndicate.toml", '[site]\nbase_url = "https://blog.example.org/"\ntitle = "Layout"\n'
                                   f'[newsletter]\nfull_content = true\npostal_address = "{POSTAL_ADDRESS}"\n')
    write(site / "content" / "2026-11-20-widest.md", HOSTILE)
    import os
    here = os.getcwd()
    os.chdir(site)
    try:
        result = CliRunner().invoke(main, ["build", "--now", "2026-11-28T12:00:00Z"])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return site / "output" / "newsletters" / "next"


@pytest.fixture(scope="module")
def email_html(issue_folder: Path) -> str:
    return (issue_folder / "email.html").read_text(encoding="utf-8")


def without_style(html: str) -> str:
    stripped = re.sub(r"<style\b.*?</style>", "", html, flags=re.S)
    assert "<style" not in stripped and "max-width" in stripped  # the inlined styles stay
    return stripped


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("style", ["kept", "removed"])
def test_the_widest_article_fits_the_screen_and_unsubscribe_stays_on_it(
        email_html: str, width: int, scheme: str, style: str) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    html = email_html if style == "kept" else without_style(email_html)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
            page.route("**/*", lambda route: route.abort())  # no network: images are boxes of their size
            page.set_content(html)
            document_width = page.evaluate("document.documentElement.scrollWidth")
            unsubscribe = page.get_by_role("link", name="Unsubscribe").bounding_box()
        finally:
            browser.close()
    assert document_width <= width
    assert unsubscribe is not None and unsubscribe["x"] >= 0 and unsubscribe["x"] + unsubscribe["width"] <= width


def contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two CSS rgb() colours."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


QUOTED = """---
title: Quoted
date: 2026-11-21
---
## A heading in the article

> A quotation.

| a | b |
|---|---|
| 1 | 2 |
"""


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_meets_wcag_aa_contrast_and_article_headings_sit_below_the_title(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    from playwright.sync_api import sync_playwright

    write(tmp_path / "syndicate.toml", '[site]\nbase_url = "https://blog.example.org/"\ntitle = "Contrast"\n'
                                       '[newsletter]\nfull_content = true\n')
    write(tmp_path / "content" / "2026-11-21-quoted.md", QUOTED)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["build", "--now", "2026-11-28T12:00:00Z"]).exit_code == 0
    html = (tmp_path / "output" / "newsletters" / "next" / "email.html").read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 600, "height": 800}, color_scheme=scheme)
            page.set_content(html)
            pairs = page.evaluate("""() => {
                const background = getComputedStyle(document.querySelector('.container')).backgroundColor;
                const texts = ['.site-title a', '.issue-line', '.issue-line a', '.article-title a', '.meta',
                               '.text p', '.text blockquote p', '.text h4', '.text td', '.footer', '.footer a'];
                return texts.filter(s => document.querySelector(s)).map(
                    s => [s, getComputedStyle(document.querySelector(s)).color, background]);
            }""")
            sizes = page.evaluate("""() => [getComputedStyle(document.querySelector('.article-title')).fontSize,
                                            getComputedStyle(document.querySelector('.text h4')).fontSize]""")
        finally:
            browser.close()
    assert len(pairs) >= 10
    low = {selector: round(contrast(fg, bg), 2) for selector, fg, bg in pairs if contrast(fg, bg) < 4.5}
    assert low == {}
    title_px, heading_px = (float(s.removesuffix("px")) for s in sizes)
    assert heading_px < title_px  # the article's "##" is an <h4>, smaller than the article's title


# -- images keep their own size --------------------------------------------------------------------

def png(width: int, height: int) -> bytes:
    """A grey PNG of that many pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = zlib.compress((b"\x00" + b"\x80\x80\x80" * width) * height)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


# The files behind HOSTILE's images, at their own (natural) sizes: a 64px icon shown at 16px (for
# screens of high density), a 20px badge and a 1200px photo with no width in the HTML.
IMAGES = {"huge.png": (2000, 1000), "icon.png": (64, 64), "badge.png": (20, 20), "photo.png": (1200, 600)}


def test_outlook_gets_a_width_attribute_no_wider_than_the_column(email_html: str) -> None:
    images = {i.get("alt"): i for i in lxml.html.document_fromstring(email_html).xpath("//img")}
    assert (images["A huge image"].get("width"), images["A huge image"].get("height")) == ("552", "276")
    assert (images["icon"].get("width"), images["icon"].get("height")) == ("16", "16")  # its own
    for alt in ("badge", "A photo"):  # no width: 552 for Outlook, which reads no CSS width on images…
        assert images[alt].get("width") == "552" and images[alt].get("height") is None
        assert "width:auto" in images[alt].get("style")  # … and its own size for every other client
    for image in images.values():
        assert "max-width:100%" in image.get("style") and "height:auto" in image.get("style")


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("style", ["kept", "removed"])
def test_small_images_keep_their_size_and_big_ones_fit_the_column(email_html: str, width: int, style: str) -> None:
    from playwright.sync_api import sync_playwright

    html = email_html if style == "kept" else without_style(email_html)
    files = {name: png(*size) for name, size in IMAGES.items()}

    def serve(route: Any) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        if route.request.url.startswith("https://example.org/") and name in files:
            route.fulfill(status=200, content_type="image/png", body=files[name])
        else:
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.route("**/*", serve)
            page.set_content(html)
            sizes = page.evaluate("""() => {
                const text = document.querySelector('.text');
                const shown = {};
                for (const img of text.querySelectorAll('img')) {
                    shown[img.alt] = [img.getBoundingClientRect().width, img.naturalWidth];
                }
                return {column: text.clientWidth, shown};
            }""")
        finally:
            browser.close()
    column, shown = sizes["column"], sizes["shown"]
    assert [natural for _, natural in shown.values()] == [2000, 64, 20, 1200]  # all loaded
    assert shown["icon"][0] == 16  # its declared width, not the file's 64
    assert shown["badge"][0] == 20  # no width declared: its own, not stretched to the column
    assert 0 < shown["A huge image"][0] <= min(column, 552)
    assert shown["A photo"][0] == column  # no width declared, wider than the column: the column
    assert column <= width


# -- Outlook on Windows ---------------------------------------------------------------------------

OFFICE_SETTINGS = ("<!--[if mso]><xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch>"
                   "</o:OfficeDocumentSettings></xml><![endif]-->")


def test_outlook_keeps_its_settings_ghost_table_and_exact_line_heights_after_inlining(
        issue_folder: Path, email_html: str) -> None:
    html_tag = re.search(r"<html\b[^>]*>", email_html).group(0)
    assert 'xmlns:v="urn:schemas-microsoft-com:vml"' in html_tag
    assert 'xmlns:o="urn:schemas-microsoft-com:office:office"' in html_tag
    head = email_html.split("</head>", 1)[0]
    assert OFFICE_SETTINGS in head  # the conditional comment, whole, through premailer
    assert "<!--[if mso]><style>.font { font-family: Arial, sans-serif !important; }</style><![endif]-->" in head
    assert ('<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" '
            'align="center"><tr><td><![endif]-->') in email_html
    assert "<!--[if mso]></td></tr></table><![endif]-->" in email_html
    styles = re.findall(r'style="([^"]*)"', email_html) + re.findall(r"style='([^']*)'", email_html)
    with_line_height = [s for s in styles if re.search(r"(^|[; ])line-height:", s)]
    assert len(with_line_height) >= 8
    assert [s for s in with_line_height if not re.search(r"mso-line-height-rule: ?exactly; ?line-height:", s)] == []
    # The web version is a page for browsers: none of Outlook's XML.
    web = (issue_folder / "index.html").read_text(encoding="utf-8")
    assert "xmlns:v" not in web and "OfficeDocumentSettings" not in web


def test_the_button_has_its_padding_on_the_cell_for_outlook_and_on_the_link_for_the_rest(email_html: str) -> None:
    page = lxml.html.document_fromstring(email_html)
    cells = page.xpath('//td[contains(@class, "button-cell")]')
    assert cells
    for cell in cells:
        [link] = cell.xpath("a")
        padding = re.search(r"(?:^|; )padding:([^;]+)", link.get("style")).group(1)
        assert f"mso-padding-alt:{padding}" in cell.get("style")  # Outlook ignores padding on a link
        assert "display:inline-block" in link.get("style")  # the whole button is the link elsewhere
        assert cell.get("bgcolor") == "#2563eb"


# -- the web version ---------------------------------------------------------------------------------

def test_the_web_version_invites_its_reader_to_subscribe_and_the_email_says_why_it_came(
        issue_folder: Path, email_html: str) -> None:
    web = (issue_folder / "index.html").read_text(encoding="utf-8")
    footer = lxml.html.document_fromstring(web).xpath('//td[contains(@class, "footer")]')[0]
    assert " ".join(footer.text_content().split()) == (
        "This is issue #1 of the Layout newsletter. Subscribe to get the next ones by email. "
        "Past issues · Layout")
    links = {a.text_content(): a.get("href") for a in footer.iter("a")}
    assert links == {"Subscribe": "https://blog.example.org/subscribe",
                     "Past issues": "https://blog.example.org/newsletters/", "Layout": "https://blog.example.org/"}
    assert "because you subscribed" not in web and "receiving" not in web
    assert "unsubscribe" not in web.lower() and POSTAL_ADDRESS not in web
    # The email keeps why it came, the way out, and who sent it.
    email = lxml.html.document_fromstring(email_html).xpath('//td[contains(@class, "footer")]')[0]
    text = " ".join(email.text_content().split())
    assert text.startswith("You are receiving Layout because you subscribed as ")
    assert POSTAL_ADDRESS in text
    assert [a.text_content() for a in email.iter("a")] == ["Past issues", "Unsubscribe"]


# -- the confirmation email ------------------------------------------------------------------------------

CONFIRM_URL = "https://blog.example.org/confirm?token=f1.0123abcd.signature-part_x"


@pytest.fixture(scope="module")
def confirmation() -> tuple[str, str]:
    context = {"site": {"title": "Ferry News", "language": "en-GB", "base_url": "https://blog.example.org/"},
               "email": "reader@example.org", "days": 7, "confirm_url": CONFIRM_URL}
    return render_confirmation(template_env(), context)


def test_the_confirmation_email_is_of_the_newsletters_family(confirmation: tuple[str, str]) -> None:
    text, html = confirmation
    page = lxml.html.document_fromstring(html)
    assert page.get("lang") == "en-GB"
    metas = {m.get("name"): m.get("content") for m in page.xpath("//meta[@name]")}
    assert metas["viewport"] == "width=device-width, initial-scale=1"
    assert metas["color-scheme"] == "light dark"
    styles = "".join(s.text for s in page.xpath("//style"))
    assert "@media (prefers-color-scheme: dark)" in styles and ".button-link" not in styles  # inlined
    container = page.xpath('//table[contains(@class, "container")]')[0]
    assert "max-width:600px" in container.get("style") and container.get("width") == "100%"
    assert OFFICE_SETTINGS in html and '<!--[if mso]><table role="presentation" width="600"' in html
    [cell] = page.xpath('//td[contains(@class, "button-cell")]')
    assert "mso-padding-alt:10px 18px" in cell.get("style")
    assert [(a.get("href"), a.text_content()) for a in cell.iter("a")] == [(CONFIRM_URL, "Confirm my subscription →")]
    assert CONFIRM_URL in text and "The link works for 7 days." in " ".join(text.split())  # its text part


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("style", ["kept", "removed"])
def test_the_confirmation_email_fits_a_phone_with_readable_text(
        confirmation: tuple[str, str], scheme: str, style: str) -> None:
    from playwright.sync_api import sync_playwright

    html = confirmation[1] if style == "kept" else without_style(confirmation[1])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, color_scheme=scheme)
            page.route("**/*", lambda route: route.abort())
            page.set_content(html)
            document_width = page.evaluate("document.documentElement.scrollWidth")
            button = page.get_by_role("link", name="Confirm my subscription").bounding_box()
            pairs = page.evaluate("""() => {
                const colour = s => getComputedStyle(document.querySelector(s));
                const page = colour('.container').backgroundColor;
                return [['.site-title a', colour('.site-title a').color, page],
                        ['.text p', colour('.text p').color, page],
                        ['.meta', colour('.meta').color, page],
                        ['.button-link', colour('.button-link').color, colour('.button-cell').backgroundColor]];
            }""")
        finally:
            browser.close()
    assert document_width <= 375
    assert button is not None and button["x"] >= 0 and button["x"] + button["width"] <= 375
    assert button["height"] >= 40  # the padded link: a finger's worth
    low = {selector: round(contrast(fg, bg), 2) for selector, fg, bg in pairs if contrast(fg, bg) < 4.5}
    assert low == {}
