"""Issue × subscriber → the bytes of one email (RFC 5322, MIME, RFC 8058). Pure: no I/O.

What is the same for every subscriber (From, Subject, List-Id, the MIME skeleton) is
encoded once per issue with the standard ``email`` package, so that RFC 2047 and
folding are its work, not ours. Per subscriber only the To, Message-ID, Date and
List-Unsubscribe headers are made (with ``email.utils.formataddr``, never by pasting
user text into a header: names lose CR/LF first) and the two bodies filled and
encoded, both in quoted-printable UTF-8 (the HTML too: some 15% smaller than base64,
mostly ASCII as it is). Even the bodies are mostly encoded once: the part of each before
its first placeholder is the same for everyone, and quoted-printable encodes each line
on its own, so only the lines from the first placeholder on are encoded per subscriber,
and the bytes are those of encoding the whole body. That is what makes thousands of
messages a second on one core.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from ..config import Config
from ..newsletter.personalize import Personalizer, personalizers
from ..state import Issue, Subscriber
from ..tokens import HmacSha256, Signer, load_secret
from .addresses import clean_name


@dataclass(frozen=True)
class Outgoing:
    """One message ready for a transport."""

    sender: str  # envelope MAIL FROM (bounces come back here)
    recipient: str  # envelope RCPT TO
    message_id: str
    data: bytes


class MessageFactory:
    """Makes the messages of one issue, one subscriber at a time.

    :param subject_prefix: put before the subject (``"[Test] "`` for test sends).
    """

    def __init__(self, issue: Issue, config: Config, *, subject_prefix: str = "",
                 signer: Signer | None = None) -> None:
        self.issue = issue
        self.signer = signer or Signer(load_secret(config))
        self.html, self.text = personalizers(issue)
        self.unsubscribe_base = config.site.home_url + "unsubscribe?token="
        self.sender = config.sender_address
        self.domain = self.sender.rsplit("@", 1)[-1]
        self.list_host = f"newsletter.{urlsplit(config.site.base_url).hostname}"
        self.mailto = f"mailto:{self.sender}?subject=unsubscribe"
        self.boundary = f"=_syndicate_{issue.nonce}"
        self._mac = HmacSha256(issue.nonce.encode())
        self._head = self._shared_headers(config.sender, subject_prefix + issue.subject, config.site.title)
        boundary = self.boundary.encode("ascii")
        self._mailto_tail = b">, <" + self.mailto.encode("ascii") + b">\r\n"
        self._text_open, self._html_open = (
            b"\r\n--" + boundary + b"\r\nContent-Type: text/" + subtype + b'; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" for subtype in (b"plain", b"html"))
        self._close = b"\r\n--" + boundary + b"--\r\n"
        self._text_lead, self._text_rest, self._text_from = _qp_lead(self.text)
        self._html_lead, self._html_rest, self._html_from = _qp_lead(self.html)
        self._date: tuple[datetime | None, bytes] = (None, b"")

    def _shared_headers(self, sender: str, subject: str, title: str) -> bytes:
        # Fold only past 998 octets (RFC 5322's hard limit): an ASCII subject stays on one
        # line; RFC 2047 words still keep to 75 characters.
        msg = EmailMessage(policy=SMTP.clone(max_line_length=998))
        msg["From"] = sender
        msg["Subject"] = subject
        msg["List-Id"] = f"{title} <{self.list_host}>"
        msg["MIME-Version"] = "1.0"
        msg["Content-Type"] = f'multipart/alternative; boundary="{self.boundary}"'
        return msg.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n"

    def message_id(self, subscriber_id: int) -> str:
        """Unique per (issue, subscriber), the same on every retry, unguessable."""
        tag = self._mac.digest(str(subscriber_id).encode()).hex()[:16]
        return f"<issue{self.issue.number}.{subscriber_id}.{tag}@{self.domain}>"

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        """The subscriber's own one-click unsubscribe link: a signed token that never expires, bound
        to their secret (so it dies with them if they are removed)."""
        return self.unsubscribe_base + self.signer.make("unsubscribe", subscriber.id, binding=subscriber.secret)

    def build(self, subscriber: Subscriber, now: datetime) -> Outgoing:
        """The finished message for ``subscriber``, dated ``now``."""
        name = clean_name(subscriber.name)
        unsubscribe = self.unsubscribe_url(subscriber)
        values = {"unsubscribe_url": unsubscribe, "email": subscriber.email, "name": name}
        message_id = self.message_id(subscriber.id)
        text = self._text_from + self._text_rest.fill(values)
        html = self._html_from + self._html_rest.fill(values)
        data = b"".join((
            self._head,
            b"To: ", _address_header(name, subscriber.email), b"\r\n",
            b"Date: ", self._date_header(now), b"\r\n",
            b"Message-ID: ", message_id.encode("ascii"), b"\r\n",
            b"List-Unsubscribe: <", unsubscribe.encode("ascii"), self._mailto_tail,
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            self._text_open, self._text_lead, _quoted_printable(text),
            self._html_open, self._html_lead, _quoted_printable(html),
            self._close,
        ))
        return Outgoing(self.sender, subscriber.email, message_id, data)

    def _date_header(self, now: datetime) -> bytes:
        # The Date header has whole seconds: a send makes it once a second, not once a message.
        second = now.replace(microsecond=0)
        if self._date[0] != second:
            self._date = (second, format_datetime(second).encode("ascii"))
        return self._date[1]


def _address_header(name: str, address: str) -> bytes:
    """``Name <address>``: quoted if ASCII, else RFC 2047 words folded onto lines of their own.

    A name that itself looks like an encoded word (``=?utf-8?b?…?=``) is encoded too, so that a
    mail client shows what the subscriber typed, not what it would decode to.
    """
    if not name or (name.isascii() and "=?" not in name):
        return formataddr((name, address)).encode("ascii")
    words = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    return f"{words} <{address}>".encode("ascii")


def _quoted_printable(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _rest(part: Personalizer) -> Personalizer:
    """``part`` without its first literal: what is filled per subscriber."""
    return Personalizer(("",) + part.segments[1:], part.escape)


def _qp_lead(text: Personalizer) -> tuple[bytes, Personalizer, str]:
    """(the quoted-printable lines of a body's whole lines before its first placeholder, the
    part after it, the text left over before it). Quoted-printable encodes each line on its
    own, so these lines and those of the rest, joined, are the lines of the whole. (Not for a
    body with CRs: ``b2a_qp`` picks its line ends from the first one.)"""
    lead = text.segments[0]
    cut = 0 if "\r" in lead else lead.rfind("\n") + 1
    return _quoted_printable(lead[:cut]), _rest(text), lead[cut:]
