"""flatten_nesting: markup nested too deep is flattened, and HTML within the bounds comes back
as it is, which a quick walk over the tags decides (checked against the full flattening)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.content import limits
from syndicate.content.limits import MAX_HTML_DEPTH, flatten_nesting

TAGS = ["<b>", "</b>", "<i>", "</i>", "<div>", "</div>", "<p>", "</p>", '<a href="x">', "</a>", '<b class="x">',
        "<br>", '<img src="x">', "<blockquote>", "</blockquote>", "<B>", "</B>", "<em >", "<code/>", "</code>",
        "<li>", "</li>", "text", "<", ">", "<!-- <b> -->", "<b\n>", "<ul>", "</ul>"]


def fully_flattened(html: str, max_depth: int) -> str:
    """What the full walk gives, without the quick check."""
    quick = limits._within_bounds
    limits._within_bounds = lambda html, depth: False
    try:
        return flatten_nesting(html, max_depth)
    finally:
        limits._within_bounds = quick


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TAGS), max_size=120), st.sampled_from([2, 4, 8, MAX_HTML_DEPTH]))
def test_the_quick_check_gives_what_the_full_walk_gives(parts: list[str], depth: int) -> None:
    html = "".join(parts)
    assert flatten_nesting(html, depth) == fully_flattened(html, depth)


def test_html_within_the_bounds_comes_back_as_it_is() -> None:
    html = "<ul>" + "<li><p>item <b>bold</b> <a href=\"/x\">link</a></p></li>" * 50 + "</ul>"
    assert flatten_nesting(html) is html


@pytest.mark.parametrize(("html", "expect"), [
    ("<div>" * 40 + "deep" + "</div>" * 40, "<div>" * MAX_HTML_DEPTH + "deep" + "</div>" * MAX_HTML_DEPTH),
    ("<div><b>" * 20 + "x", ("<div><b>" * 20)[: len("<div><b>") * 16] + "x"),
    ("<p><b>bold</p><p>next</p>" + "<i></i>" * 20, "<p><b>bold</b></p><p>next</p>" + "<i></i>" * 20),
])
def test_what_is_out_of_bounds_is_flattened(html: str, expect: str) -> None:
    assert flatten_nesting(html) == expect
