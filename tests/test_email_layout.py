"""The newsletter email fits every screen: a full-content issue with the widest things an article
can hold (a long code line, a long URL, a wide table, a huge image) stays within a 375 px phone
and a 600 px window, in light and dark mode, and with its <style> block removed as some clients do
(the layout is fluid: it needs no media query). Measured in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main

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

An icon <img src="https://example.org/icon.png" width="16" height="16" alt="icon"> in a line.
"""


@pytest.fixture(scope="module")
def email_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    site = tmp_path_factory.mktemp("layout")
    write(site / "syndicate.toml", '[site]\nbase_url = "https://blog.example.org/"\ntitle = "Layout"\n'
                                   '[newsletter]\nfull_content = true\n')
    write(site / "content" / "2026-11-20-widest.md", HOSTILE)
    import os
    here = os.getcwd()
    os.chdir(site)
    try:
        result = CliRunner().invoke(main, ["build", "--now", "2026-11-28T12:00:00Z"])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return (site / "output" / "newsletters" / "next" / "email.html").read_text(encoding="utf-8")


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
