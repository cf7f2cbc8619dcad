"""The bodies of a message are encoded mostly once per issue: the result must be exactly the
bytes of encoding each whole body for each subscriber, and read back as such.

:class:`MessageFactory` encodes the part of each body before its first placeholder once (whole
lines of the HTML and of the text, both in quoted-printable) and only
the rest per subscriber. These tests compare that with the plain way, and parse it back.
"""

from __future__ import annotations

import binascii
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.delivery.addresses import clean_name
from syndicate.delivery.message import MessageFactory, _qp_lead, _quoted_printable
from syndicate.newsletter.personalize import Personalizer, placeholder
from syndicate.state import Issue

from .conftest import NOW
from .test_message import _site_secret, factory, filled, issue, parse, parts, subscriber  # noqa: F401 - fixtures

NONCE = "00112233aabbccdd"
NAMES = ["", "Ann Smith", "Zoë Ö'Brien", "=?utf-8?b?QW5u?=", "x" * 300, "Ann\r\nBcc: x@evil.example",
         "日本語の名前" * 20, " spaces around ", "🎉" * 50]


def whole_encoding(the_issue: Issue, name: str) -> tuple[bytes, bytes]:
    """(quoted-printable of the whole HTML, of the whole text), the plain way."""
    html, text = filled(the_issue, subscriber(name=name), clean_name(name))
    return tuple(binascii.b2a_qp(body.encode("utf-8"), istext=True).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                 for body in (html, text))


@pytest.mark.parametrize("name", NAMES)
def test_the_bodies_are_the_bytes_of_encoding_each_whole_body(factory: MessageFactory, issue: Issue,  # noqa: F811
                                                              name: str) -> None:
    data = factory.build(subscriber(name=name), NOW).data
    html, text = whole_encoding(issue, name)
    assert b'text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + text + b"\r\n--" in data
    assert b'text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + html + b"\r\n--" in data


@pytest.mark.parametrize("name", NAMES)
def test_both_parts_read_back_and_every_body_line_is_at_most_76_characters(factory: MessageFactory,  # noqa: F811
                                                                         issue: Issue, name: str) -> None:  # noqa: F811
    data = factory.build(subscriber(name=name), NOW).data
    msg = parse(data)
    text, html = parts(msg)
    want_html, want_text = filled(issue, subscriber(name=name), clean_name(name))
    assert html.get_content().replace("\r\n", "\n") == want_html
    assert text.get_content().replace("\r\n", "\n") == want_text
    body = data.split(b"\r\n\r\n", 1)[1]
    assert all(len(line) <= 76 for line in body.split(b"\r\n")), "a body line over 76 + CRLF"
    assert binascii.a2b_qp(html.get_payload()).replace(b"\r\n", b"\n") == want_html.encode("utf-8")


def test_the_date_header_follows_the_clock_second_by_second(factory: MessageFactory) -> None:  # noqa: F811
    dates = [parse(factory.build(subscriber(), NOW + timedelta(seconds=s)).data)["Date"].datetime
             for s in (0, 0.4, 1, 61)]
    assert dates == [NOW, NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=61)]


# Literal text around the placeholders: lines of any length, spaces and tabs before a line end,
# dots at the start of a line, '=' and non-ASCII: what quoted-printable treats specially.
TEXT = st.text(st.sampled_from("ab .\t=\n\nÿé€🎉<>&\"'x"), max_size=300)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4), st.lists(TEXT, min_size=3, max_size=3))
def test_encoding_the_lead_once_gives_the_bytes_of_the_whole(literals: list[str], values: list[str]) -> None:
    fields = ["name", "email", "unsubscribe_url"]
    rendered = "".join(lit + (placeholder(NONCE, fields[i % 3]) if i < len(literals) - 1 else "")
                       for i, lit in enumerate(literals))
    filling = dict(zip(fields, values, strict=True))
    for escape in (True, False):
        part = Personalizer.compile(rendered, NONCE, escape=escape)
        whole = part.fill(filling)
        lines, rest, text_left = _qp_lead(part)
        assert lines + _quoted_printable(text_left + rest.fill(filling)) == _quoted_printable(whole)
