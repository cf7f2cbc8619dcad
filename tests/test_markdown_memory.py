"""Markdown is rendered by cmark-gfm as cmarkgfm renders it, without keeping what each rendering
allocated (cmarkgfm's own function never frees the parsed document nor the HTML: ~45 KB an article)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cmarkgfm
import pytest

from syndicate.content import render
from syndicate.content.cmark import markdown_to_html

DATA = Path(__file__).parent / "data"
HOSTILE = ["> " * 3000 + "deep", "[a](" * 2000, "|a|b|\n|-|-|\n" + "|x|y|\n" * 2000, "* " * 2000 + "x",
           "&#0; &#xD800; &#x110000;", "", "```\n" * 500, "<!-- " * 1000, "[^1]\n\n[^1]: " * 200]


def markdown_sources() -> list[str]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(DATA.rglob("*.md"))]
    assert len(texts) > 50
    return texts + HOSTILE


def outcome(fn: Callable[[], str]) -> str:
    try:
        return fn()
    except UnicodeDecodeError as err:  # a cmark-gfm bug some character references meet (see render.py)
        return f"raised {type(err).__name__}"


def test_the_html_is_what_cmarkgfm_itself_renders() -> None:
    for text in markdown_sources():
        expected = outcome(lambda: cmarkgfm.markdown_to_html_with_extensions(
            text, options=render._MD_OPTIONS, extensions=render._MD_EXTENSIONS))
        assert outcome(lambda: markdown_to_html(text, render._MD_OPTIONS, render._MD_EXTENSIONS)) == expected


def resident_kb() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * 4096 // 1024


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident size from /proc")
def test_rendering_thousands_of_articles_keeps_no_memory() -> None:
    article = (DATA / "site" / "content" / "2026-03-10-features.md").read_text(encoding="utf-8") * 20  # ~12 KB
    for _ in range(200):  # the allocator's arenas warmed up
        markdown_to_html(article, render._MD_OPTIONS, render._MD_EXTENSIONS)
    before = resident_kb()
    for _ in range(3000):
        markdown_to_html(article, render._MD_OPTIONS, render._MD_EXTENSIONS)
    grown = resident_kb() - before
    assert grown < 20_000, f"3,000 renderings kept {grown} KB (cmarkgfm's own function keeps ~150 MB)"
