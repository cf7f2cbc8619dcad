"""The plain-text part of an email keeps the structure of the HTML: numbered and nested lists,
tables, links as ``text (url)``, quotes, code blocks, headings.

The cases are files, one per case, in tests/data/text/: each is the HTML of an article body,
opening with a comment that says what it shows (``Description:``, and ``Page:`` for the page
URL when the case needs one) and ending with the text expected (``<!-- Expect: … -->``). The
same conversion is then checked through a built issue's ``email.txt``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.content.plaintext import html_to_text

from .conftest import DATA, write

CASES = sorted((DATA / "text").glob("*.html"))
NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]


def read_case(path: Path) -> tuple[str, str, str, str]:
    """(description, page URL, HTML, expected text) of a case file."""
    source = path.read_text(encoding="utf-8")
    header, rest = source.split("-->\n", 1)
    html, expected = rest.rsplit("<!-- Expect:\n", 1)
    description = " ".join(header.split("Description:", 1)[1].split("Page:")[0].split("Expect:")[0].split())
    page = re.search(r"Page: (\S+)", header)
    return description, page.group(1) if page else "", html, expected.removesuffix("-->\n").rstrip("\n")


def test_there_are_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_text_of_each_case_is_the_one_it_expects(path: Path) -> None:
    description, page, html, expected = read_case(path)
    assert html_to_text(html, page_url=page) == expected, f"{path.name}: {description}"


def test_every_line_fits_in_the_width_but_code_and_unbreakable_words() -> None:
    for path in CASES:
        _, page, html, _ = read_case(path)
        text = html_to_text(html, page_url=page, width=72)
        code = "".join(re.findall(r"<pre>(.*?)</pre>", html, re.S))
        long = [line for line in text.splitlines() if len(line) > 72]
        assert all(" " not in line.strip() or line.strip() in code.replace("&lt;", "<").replace("&gt;", ">")
                   for line in long), (path.name, long)


def test_a_narrower_width_wraps_every_block_to_it() -> None:
    html = ("<p>" + "word " * 40 + "</p><ul><li>" + "item " * 30 + "<ul><li>" + "deep " * 30 + "</li></ul></li></ul>"
            "<blockquote><p>" + "quote " * 30 + "</p></blockquote>")
    text = html_to_text(html, width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "\n  - deep deep" in text and "\n    deep deep" in text  # lined up under the item's first word


def test_deep_nesting_is_indented_only_so_far_and_stays_linear() -> None:
    """Quotes and lists past what a text line can show are indented no further: the output
    grows with the input, not with the input times its depth."""
    depth = 5000
    quotes = "<blockquote><p>x</p>" * depth + "</blockquote>" * depth
    lists = "<ul><li>item" * depth + "</li></ul>" * depth
    for html in (quotes, lists):
        started = time.perf_counter()
        text = html_to_text(html)
        assert time.perf_counter() - started < 5
        lines = text.splitlines()
        assert len(text) < 4 * len(html)
        assert max(len(line) for line in lines) <= 30
        assert lines[-1].lstrip("> -") in ("x", "item")  # the innermost text is still there
    assert html_to_text(lists).splitlines()[:3] == ["- item", "  - item", "    - item"]


def test_a_huge_table_and_many_unclosed_links_stay_linear() -> None:
    table = "<table>" + "<tr><td>cell</td><td>value</td></tr>" * 20_000 + "</table>"
    links = '<a href="https://example.org/">x<p>y</p>' * 20_000
    for html in (table, links):
        started = time.perf_counter()
        text = html_to_text(html)
        assert time.perf_counter() - started < 5
        assert 0 < len(text) < len(html)


# -- through a built issue -------------------------------------------------------------------

ARTICLE = """---
title: The new timetable
date: 2026-11-20
---
From Monday, the ferry runs as follows.

## Steps

3. Buy a ticket:
   - online
   - at the quay
4. Board.

| Crossing | Departs |
|---|---|
| Harbour – Island | 08:00 |

> The chair said it is quieter.

```
timetable --from harbour --to island --every 60min --starting 08:00 --until 20:00
```

See [the fares](https://example.org/fares) or <https://example.org/>.
"""

EXPECTED = """From Monday, the ferry runs as follows.

Steps
=====

3. Buy a ticket:
   - online
   - at the quay
4. Board.

Crossing          Departs
----------------  -------
Harbour – Island  08:00

> The chair said it is quieter.

timetable --from harbour --to island --every 60min --starting 08:00 --until 20:00

See the fares (https://example.org/fares) or https://example.org/.
"""


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site of one full-content article, built: its next issue is in output/newsletters/next/."""
    write(tmp_path / "syndicate.toml", '[site]\nbase_url = "https://blog.example.org/"\ntitle = "Ferry News"\n'
                                       '[newsletter]\nfull_content = true\n')
    write(tmp_path / "content" / "2026-11-20-timetable.md", ARTICLE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", *NOW_ARGS])
    assert result.exit_code == 0, result.output
    return tmp_path / "output" / "newsletters" / "next"


def test_a_built_issues_text_part_keeps_the_articles_structure(built: Path) -> None:
    text = (built / "email.txt").read_text(encoding="utf-8")
    assert EXPECTED in text
    assert "Read it: https://blog.example.org/2026/11/timetable/\n" in text
    assert re.search(r"<[A-Za-z/!][^>]*>", text) is None


def test_the_summary_text_part_is_unchanged_without_full_content(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "syndicate.toml", '[site]\nbase_url = "https://blog.example.org/"\ntitle = "Ferry News"\n')
    write(tmp_path / "content" / "2026-11-20-timetable.md", ARTICLE)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["build", *NOW_ARGS]).exit_code == 0
    text = (tmp_path / "output" / "newsletters" / "next" / "email.txt").read_text(encoding="utf-8")
    assert "From Monday, the ferry runs as follows.\n\nRead it: " in text
    assert "Crossing" not in text
