"""The email one subscriber gets: MIME structure, headers, bodies, and safety.

Issues are made with ``syndicate newsletter`` on a copy of tests/data/site, read back
from the state database, and turned into bytes with :class:`MessageFactory`. Every
message is parsed back with the standard library's modern parser
(``policy=email.policy.default``), the way a mail client reads it. The last part
runs ``syndicate send --test`` and ``--dry-run``, which must record nothing.
"""

from __future__ import annotations

import base64
import quopri
import dataclasses
import email
import email.policy
import json
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from syndicate.cli import main
from syndicate.config import Config, load_config
from syndicate.delivery.message import MessageFactory, Outgoing
from syndicate.newsletter.personalize import personalizers
from syndicate.state import Issue, Subscriber, open_store
from syndicate.tokens import Signer

from .conftest import DATA, NOW

NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
SENDER = "Test Site & Friends <newsletter@blog.example.org>"
SUBJECT = "Council approves new ferry: a plain-text article"
SECRET = "0123456789abcdef0123456789abcdef"
SIGNER = Signer(b"a site secret for the tests")


def unsubscribe_url(subscriber_id: int, secret: str = SECRET) -> str:
    """The subscriber's own link: its token is bound to their secret."""
    token = SIGNER.make("unsubscribe", subscriber_id, binding=secret)
    return f"https://blog.example.org/unsubscribe?token={token}"


UNSUBSCRIBE = unsubscribe_url(7)


@pytest.fixture(autouse=True)
def _site_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every factory here, and `syndicate send`, signs with SIGNER's secret."""
    monkeypatch.setenv("SYNDICATE_SECRET", "a site secret for the tests")
HEADERS = ["From", "Subject", "List-Id", "MIME-Version", "Content-Type", "To", "Date", "Message-ID",
           "List-Unsubscribe", "List-Unsubscribe-Post"]
EVIL_NAME = "Ann\r\nBcc: x@evil.example\r\nX-Injected: yes"


# -- helpers ---------------------------------------------------------------------------------

def make_issue(runner: CliRunner, site: Path, **newsletter: Any) -> tuple[Issue, Config]:
    """Configure [newsletter], run ``syndicate newsletter``, and return the new issue and the config."""
    if newsletter:
        lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in newsletter.items())
        with open(site / "syndicate.toml", "a", encoding="utf-8") as fh:
            fh.write(f"\n[newsletter]\n{lines}")
    result = runner.invoke(main, ["newsletter", *NOW_ARGS])
    assert result.exit_code == 0, result.output
    config = load_config(site / "syndicate.toml")
    with open_store(config) as store:
        return store.issues()[-1], config


@pytest.fixture
def issue(runner: CliRunner, site: Path) -> Issue:
    return make_issue(runner, site)[0]


@pytest.fixture
def factory(issue: Issue, config: Config) -> MessageFactory:
    return MessageFactory(issue, config, signer=SIGNER)


def subscriber(id: int = 7, email: str = "ann@example.org", name: str = "Ann Smith",
               secret: str = SECRET) -> Subscriber:
    return Subscriber(id, email, name, "active", "2026-11-01T00:00:00+00:00", None, None, "test", secret, 0)


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg.defects == [] and all(p.defects == [] for p in msg.walk())
    return msg


def parts(msg: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    text, html = msg.iter_parts()
    return text, html  # type: ignore[return-value]


def filled(issue: Issue, sub: Subscriber, name: str | None = None) -> tuple[str, str]:
    """The issue's (HTML, text) with ``sub``'s values in: what the message must carry."""
    values = {"unsubscribe_url": unsubscribe_url(sub.id, sub.secret),
              "email": sub.email, "name": sub.name if name is None else name}
    html, text = personalizers(issue)
    return html.fill(values), text.fill(values)


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def assert_well_formed(data: bytes) -> None:
    """CRLF line ends only, no line over 998 octets (RFC 5322 2.1.1), 7-bit only."""
    assert b"\n" not in data.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in data.replace(b"\r\n", b""), "a bare CR"
    assert data.endswith(b"\r\n")
    longest = max(len(line) for line in data.split(b"\r\n"))
    assert longest <= 998, f"a line of {longest} octets"
    assert data.isascii()


# -- structure and bodies ------------------------------------------------------------------------

def test_a_message_is_multipart_alternative_with_text_then_html_both_utf8(factory: MessageFactory) -> None:
    msg = parse(factory.build(subscriber(), NOW).data)
    assert msg.get_content_type() == "multipart/alternative"
    text, html = parts(msg)
    assert [p.get_content_type() for p in (text, html)] == ["text/plain", "text/html"]
    assert [p.get_content_charset() for p in (text, html)] == ["utf-8", "utf-8"]
    assert [p["Content-Transfer-Encoding"] for p in (text, html)] == ["quoted-printable", "quoted-printable"]


def test_the_html_part_is_the_issues_html_with_the_subscribers_values_filled(
        issue: Issue, factory: MessageFactory) -> None:
    sub = subscriber(name="Zoë Ö'Brien")
    html = parts(parse(factory.build(sub, NOW).data))[1].get_content().replace("\r\n", "\n")
    assert html == filled(issue, sub)[0]
    assert f'href="{UNSUBSCRIBE}"' in html
    assert "%%" not in html


def test_the_text_part_is_the_issues_text_with_the_subscribers_values_filled(
        issue: Issue, factory: MessageFactory) -> None:
    sub = subscriber()
    text = parts(parse(factory.build(sub, NOW).data))[0].get_content()
    assert text.replace("\r\n", "\n") == filled(issue, sub)[1]
    assert f"Unsubscribe: {UNSUBSCRIBE}" in text
    assert "%%" not in text


def test_every_subscriber_gets_their_own_unsubscribe_link(issue: Issue, factory: MessageFactory) -> None:
    for sub in (subscriber(1, "ann@example.org", secret="a" * 32), subscriber(2, "bob@example.org", secret="b" * 32)):
        msg = parse(factory.build(sub, NOW).data)
        url = unsubscribe_url(sub.id, sub.secret)
        assert msg["List-Unsubscribe"].startswith(f"<{url}>, ")
        assert all(url in p.get_content() for p in parts(msg))
        for other in (unsubscribe_url(2 if sub.id == 1 else 1, sub.secret), unsubscribe_url(sub.id, SECRET)):
            assert other not in msg.as_string()  # another's id, or the same id bound to another secret


# -- headers -----------------------------------------------------------------------------------

def test_the_headers_of_a_message(factory: MessageFactory) -> None:
    out = factory.build(subscriber(), NOW)
    msg = parse(out.data)
    assert list(msg.keys()) == HEADERS
    assert str(msg["From"]) == SENDER
    assert msg["To"] == "Ann Smith <ann@example.org>"
    assert msg["Subject"] == SUBJECT
    assert msg["Date"] == "Sat, 28 Nov 2026 12:00:00 +0000" and msg["Date"].datetime == NOW
    assert msg["Message-ID"] == out.message_id
    assert msg["MIME-Version"] == "1.0"
    assert msg["List-Id"] == "Test Site & Friends <newsletter.blog.example.org>"
    assert msg["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:newsletter@blog.example.org?subject=unsubscribe>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # RFC 8058


def test_the_envelope_is_the_sender_and_the_subscribers_address(factory: MessageFactory) -> None:
    out = factory.build(subscriber(email="bob@example.org"), NOW)
    assert isinstance(out, Outgoing)
    assert (out.sender, out.recipient) == ("newsletter@blog.example.org", "bob@example.org")


def test_the_configured_sender_is_the_from_and_the_unsubscribe_mailto(
        runner: CliRunner, site: Path) -> None:
    issue, config = make_issue(runner, site, sender="Ann Editor <editor@news.example.net>")
    out = MessageFactory(issue, config).build(subscriber(), NOW)
    msg = parse(out.data)
    assert msg["From"] == "Ann Editor <editor@news.example.net>"
    assert out.sender == "editor@news.example.net"
    assert msg["List-Unsubscribe"].endswith(", <mailto:editor@news.example.net?subject=unsubscribe>")
    assert out.message_id.endswith("@news.example.net>")


def test_a_subscriber_without_a_name_gets_a_bare_address_in_to(factory: MessageFactory) -> None:
    assert parse(factory.build(subscriber(name=""), NOW).data)["To"] == "ann@example.org"


@pytest.mark.parametrize(
    "name",
    ["Zoë Ö'Brien", "山田 太郎", 'Smith, "Ann" (home)', "Ann <ann@evil.example>",
     # Names that are themselves encoded words: shown as typed, not as what they decode to.
     "=?utf-8?b?U3VwcG9ydCBUZWFt?=", "=?UTF-8?Q?Your_bank?= <security@bank.example>", "a =?x?q?y?= b"],
)
def test_a_name_comes_back_exactly_from_the_to_header(factory: MessageFactory, name: str) -> None:
    data = factory.build(subscriber(name=name), NOW).data
    to = parse(data)["To"]
    assert [(a.display_name, a.addr_spec) for a in to.addresses] == [(name, "ann@example.org")]
    assert_well_formed(data)


def test_the_message_id_is_unique_per_issue_and_subscriber_and_the_same_on_a_retry(
        issue: Issue, config: Config, factory: MessageFactory) -> None:
    first = factory.build(subscriber(1), NOW).message_id
    assert re.fullmatch(r"<issue1\.1\.[0-9a-f]{16}@blog\.example\.org>", first)
    # Built again (a retry later, even by another process), the same subscriber gets the same id.
    assert factory.build(subscriber(1), NOW + timedelta(hours=3)).message_id == first
    assert MessageFactory(issue, config).build(subscriber(1), NOW).message_id == first
    assert MessageFactory(issue, config, subject_prefix="[Test] ").message_id(1) == first
    # Anyone else, or another issue, gets another one.
    ids = {factory.message_id(n) for n in range(1, 1001)}
    assert len(ids) == 1000
    issue2 = dataclasses.replace(issue, number=2, nonce="fedcba9876543210")
    assert MessageFactory(issue2, config).message_id(1) not in ids


def test_a_non_ascii_subject_is_rfc2047_encoded_and_decodes_back_exactly(
        runner: CliRunner, site: Path) -> None:
    issue, config = make_issue(runner, site, subject="Été à Tōkyō — 日本のニュース #{{ issue.number }}: {{ lead.title }}")
    subject = "Été à Tōkyō — 日本のニュース #1: Council approves new ferry: a plain-text article"
    assert issue.subject == subject
    data = MessageFactory(issue, config).build(subscriber(), NOW).data
    head = header_block(data)
    assert head.isascii() and b"=?utf-8?" in head
    assert "日本".encode() not in data and "Été".encode() not in data
    assert parse(data)["Subject"] == subject
    assert_well_formed(data)


def test_a_long_subject_is_folded_and_decodes_back_exactly(issue: Issue, config: Config) -> None:
    subject = "Ünïcode and words " * 60
    data = MessageFactory(dataclasses.replace(issue, subject=subject.strip()), config).build(subscriber(), NOW).data
    assert parse(data)["Subject"] == subject.strip()
    assert_well_formed(data)


def test_a_long_subject_starting_with_a_bracket_decodes_back_exactly(issue: Issue, config: Config) -> None:
    data = MessageFactory(issue, config, subject_prefix="[Test] ").build(subscriber(), NOW).data
    assert parse(data)["Subject"] == f"[Test] {SUBJECT}"


# -- header injection and line limits -----------------------------------------------------------

def test_a_name_with_crlf_and_bcc_adds_no_header(factory: MessageFactory) -> None:
    data = factory.build(subscriber(name=EVIL_NAME), NOW).data
    msg = parse(data)
    assert list(msg.keys()) == HEADERS
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert msg["To"].addresses[0].display_name == "Ann Bcc: x@evil.example X-Injected: yes"
    assert msg["To"].addresses[0].addr_spec == "ann@example.org"
    assert b"\r\nBcc:" not in data and b"\nX-Injected" not in data
    assert_well_formed(data)


def test_a_subject_from_config_with_crlf_and_bcc_adds_no_header(runner: CliRunner, site: Path) -> None:
    issue, config = make_issue(runner, site, subject="Hello\r\nBcc: x@evil.example\nX-Injected: yes")
    assert issue.subject == "Hello Bcc: x@evil.example X-Injected: yes"
    data = MessageFactory(issue, config).build(subscriber(), NOW).data
    msg = parse(data)
    assert list(msg.keys()) == HEADERS
    assert msg["Subject"] == "Hello Bcc: x@evil.example X-Injected: yes"
    assert_well_formed(data)


def test_a_subject_with_crlf_given_straight_to_the_factory_is_refused_not_sent(
        issue: Issue, config: Config) -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        MessageFactory(dataclasses.replace(issue, subject="Hi\r\nBcc: x@evil.example"), config)


@pytest.mark.parametrize(
    "name",
    ["", "Ann", EVIL_NAME, "x" * 5000, "Zoë " * 60, "日本" * 100, "Ann\u2028Bcc: x@evil.example"],
    ids=["empty", "short", "crlf-bcc", "very-long-ascii", "long-latin", "long-cjk", "unicode-line-separator"],
)
def test_every_line_ends_crlf_and_none_is_over_998_octets(factory: MessageFactory, name: str) -> None:
    data = factory.build(subscriber(name=name), NOW).data
    assert_well_formed(data)
    assert list(parse(data).keys()) == HEADERS


def test_a_long_name_of_emoji_keeps_every_line_within_998_octets(factory: MessageFactory) -> None:
    assert_well_formed(factory.build(subscriber(name="😀" * 200), NOW).data)


def test_control_characters_in_a_name_never_reach_the_to_header(factory: MessageFactory) -> None:
    head = header_block(factory.build(subscriber(name="Ann\x00\x1b[31mSmith"), NOW).data)
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", head)


# -- escaping in the HTML part ------------------------------------------------------------------

def test_a_name_is_escaped_wherever_a_users_template_puts_it_in_the_html(runner: CliRunner, site: Path) -> None:
    issue, config = make_issue(runner, site, templates_dir=str(DATA / "templates" / "footer-with-name"))
    sub = subscriber(email="a&b@example.org", name="<script>alert(1)</script>")
    msg = parse(MessageFactory(issue, config).build(sub, NOW).data)
    text, html = (p.get_content().replace("\r\n", "\n") for p in parts(msg))
    assert html == filled(issue, sub)[0]
    assert "<script>" not in html
    assert "Thanks for reading, &lt;script&gt;alert(1)&lt;/script&gt;!" in html
    assert 'href="mailto:a&amp;b@example.org" title="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "Your address: a&amp;b@example.org" in html
    assert "a&b@example.org." in text  # the text part is not HTML: nothing to escape
    to = msg["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("<script>alert(1)</script>", "a&b@example.org")


def test_the_packaged_footer_escapes_the_address(factory: MessageFactory) -> None:
    html = parts(parse(factory.build(subscriber(email="a&b@example.org"), NOW).data))[1].get_content()
    assert "because you subscribed as a&amp;b@example.org." in html
    assert "a&b@" not in html


def test_the_html_part_is_quoted_printable_in_lines_of_76(factory: MessageFactory) -> None:
    data = factory.build(subscriber(), NOW).data
    body = data.split(b'text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
                      1)[1].rsplit(b"\r\n--", 1)[0]
    lines = body.split(b"\r\n")
    assert all(len(line) <= 76 for line in lines)
    assert quopri.decodestring(body).decode("utf-8").startswith("<!DOCTYPE html>")
    assert len(body) < len(base64.encodebytes(quopri.decodestring(body)))  # smaller than base64 would be


# -- syndicate send --test and --dry-run ---------------------------------------------------------

def send(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["send", *args])


def add(runner: CliRunner, *emails: str) -> None:
    for address in emails:
        assert runner.invoke(main, ["subscribers", "add", address]).exit_code == 0


def test_send_test_writes_one_message_marked_test_and_records_nothing(
        runner: CliRunner, site: Path, config: Config, issue: Issue) -> None:
    add(runner, "ann@example.org", "bob@example.org")
    result = send(runner, "--test", "Tester@Example.ORG")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("Sent a test copy to Tester@Example.ORG via output/outbox/: "
                             "written to output/outbox/test/test-1.eml\n")
    outbox = site / "output" / "outbox"
    assert sorted(p.relative_to(outbox).as_posix() for p in outbox.rglob("*")) == ["test", "test/test-1.eml"]
    data = (outbox / "test" / "test-1.eml").read_bytes()
    assert_well_formed(data)
    msg = parse(data)
    # lstrip: see the xfail test_a_long_subject_starting_with_a_bracket_decodes_back_exactly.
    assert msg["Subject"].lstrip() == f"[Test] {SUBJECT}"
    assert msg["To"] == "Tester@example.org"
    assert parts(msg)[1].get_content().replace("\r\n", "\n") == filled(issue, subscriber(0, "Tester@example.org", "", "test-preview"))[0]
    with open_store(config) as store:
        assert store.delivery_counts(1) == {}
        assert [s.email for s in store.subscribers()] == ["ann@example.org", "bob@example.org"]


def test_send_test_again_replaces_the_test_copy(runner: CliRunner, site: Path, issue: Issue) -> None:
    assert send(runner, "--test", "t@example.org").exit_code == 0
    assert send(runner, "--test", "t@example.org").exit_code == 0
    assert [p.name for p in (site / "output" / "outbox" / "test").iterdir()] == ["test-1.eml"]


def test_send_test_without_an_issue_says_how_to_make_one(runner: CliRunner, site: Path) -> None:
    result = send(runner, "--test", "t@example.org")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: there is no issue to send yet. Create one with: syndicate newsletter\n"


def test_send_test_refuses_a_bad_address_as_a_usage_error(runner: CliRunner, site: Path, issue: Issue) -> None:
    result = send(runner, "--test", "not-an-address")
    assert result.exit_code == 2
    assert "'not-an-address'" in result.stderr
    assert "An email address must have an @-sign." in result.stderr
    assert not (site / "output" / "outbox").exists()


def test_dry_run_says_how_many_would_get_the_issue_and_records_nothing(
        runner: CliRunner, site: Path, config: Config, issue: Issue) -> None:
    add(runner, "ann@example.org", "bob@example.org", "carl@example.org")
    runner.invoke(main, ["subscribers", "unsubscribe", "bob@example.org"])
    result = send(runner, "--dry-run")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (f"Would send issue #1 “{SUBJECT}” to 2 subscribers via output/outbox/ "
                             "(0 sent already). Nothing was sent.\n")
    assert not (site / "output" / "outbox").exists()
    with open_store(config) as store:
        assert store.delivery_counts(1) == {}


def test_dry_run_counts_one_subscriber_in_the_singular_and_none_after_a_send(
        runner: CliRunner, site: Path, config: Config, issue: Issue) -> None:
    add(runner, "ann@example.org")
    assert send(runner, "--dry-run").stdout == (
        f"Would send issue #1 “{SUBJECT}” to 1 subscriber via output/outbox/ (0 sent already). Nothing was sent.\n")
    assert send(runner, "-q").exit_code == 0
    with open_store(config) as store:
        assert store.delivery_counts(1) == {"sent": 1}
    assert send(runner, "--dry-run").stdout == (
        f"Would send issue #1 “{SUBJECT}” to 0 subscribers via output/outbox/ (1 sent already). Nothing was sent.\n")
    with open_store(config) as store:
        assert store.delivery_counts(1) == {"sent": 1}


def test_a_sent_message_is_the_factorys_message_for_that_subscriber(
        runner: CliRunner, site: Path, config: Config, issue: Issue) -> None:
    runner.invoke(main, ["subscribers", "add", "ann@example.org", "--name", "Ann\r\nBcc: x@evil.example"])
    assert send(runner, "-q").exit_code == 0
    (path,) = (site / "output" / "outbox" / "1").iterdir()
    data = path.read_bytes()
    assert_well_formed(data)
    msg = parse(data)
    with open_store(config) as store:
        ann = store.subscriber("ann@example.org")
    assert ann is not None
    assert list(msg.keys()) == HEADERS
    assert msg["To"] == '"Ann Bcc: x@evil.example" <ann@example.org>'
    assert msg["Message-ID"] == MessageFactory(issue, config).message_id(ann.id)
    assert parts(msg)[1].get_content().replace("\r\n", "\n") == filled(issue, ann)[0]
    assert isinstance(msg["Date"].datetime, datetime)


@pytest.mark.parametrize(("title", "sender"), [
    ("Harbour, Notes", ""),
    ("Evil <attacker@evil.example>, X", ""),
    ("Notes (beta", ""),
    ("Site", "A, B <news@blog.example.org>"),
    ("Site", '"A, B" <news@blog.example.org>'),
])
def test_the_from_header_envelope_and_mailto_are_made_from_the_validated_parts(
        runner: CliRunner, site: Path, title: str, sender: str) -> None:
    text = (site / "syndicate.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^title = .*$', f"title = {json.dumps(title)}", text, count=1)
    if sender:
        text += f"\n[newsletter]\nsender = {json.dumps(sender)}\n"
    (site / "syndicate.toml").write_text(text, encoding="utf-8")
    config = load_config(site / "syndicate.toml")
    expected_name = title if not sender else "A, B"
    expected_address = "newsletter@blog.example.org" if not sender else "news@blog.example.org"
    runner.invoke(main, ["newsletter", "--now", "2026-11-28T12:00:00Z"])
    runner.invoke(main, ["subscribers", "add", "ann@example.org"])
    assert send(runner, "-q").exit_code == 0
    (path,) = (site / "output" / "outbox" / "1").iterdir()
    msg = parse(path.read_bytes())
    [author] = msg["From"].addresses
    assert (author.display_name, author.addr_spec) == (expected_name, expected_address)
    assert msg["Message-ID"].endswith(f"@{expected_address.split('@')[1]}>")
    assert msg["List-Unsubscribe"].endswith(f", <mailto:{expected_address}?subject=unsubscribe>")
    assert config.sender_address == expected_address
