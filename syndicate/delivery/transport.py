"""Where messages go: a folder of .eml files, or an SMTP server. One small interface.

A transport is ``send(outgoing) -> reply`` and ``close()``. ``send`` raises
:class:`DeliveryError`: ``permanent`` for a 5xx answer (do not retry; it counts toward
a bounce), otherwise transient (4xx, a dropped connection: retry later). Another
transport (an ESP's HTTP API, a queue) is one more class with these two methods.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import socket
import ssl
from pathlib import Path
from typing import Protocol

from ..config import Config, DeliveryConfig
from ..errors import DeliveryError
from .message import Outgoing


class Transport(Protocol):
    #: Whether sending a message again (the same ``key``) only repeats the first send, never
    #: makes a second copy: then a send may record its outcomes a page at a time (see
    #: ``send.Sender``), since a crash that loses some makes the resume repeat them harmlessly.
    idempotent: bool

    def send(self, message: Outgoing, *, key: str) -> str:
        """Deliver one message; return the server's reply. ``key`` names it uniquely."""

    def close(self) -> None: ...


class FileTransport:
    """Writes each message to ``<folder>/<key>.eml``: the whole flow with no server.

    Each file is written under a temporary name and renamed into place, so a reader of the
    outbox never sees half a message; writing again replaces the file, so a resumed send
    never makes a second copy. The folder is resolved once, not once a message: at a
    million messages the path checks cost more than the writes.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DeliveryError(f"cannot make the outbox folder {folder} ({err.strerror}). Check that "
                                "[output] dir is a folder you can write to.", fatal=True) from err
        self._root = os.path.realpath(folder)
        self._shown = str(folder)  # in the replies, as the settings name it

    idempotent = True  # the same key is the same file, replaced

    def send(self, message: Outgoing, *, key: str) -> str:
        name = f"{key}.eml"
        if key.startswith(".") or os.path.basename(name) != name or (os.altsep and os.altsep in name):
            raise DeliveryError(f"refusing to write {name!r}: it is not a file name in {self.folder}.", fatal=True)
        target = os.path.join(self._root, name)
        tmp = os.path.join(self._root, f".{name}.tmp")  # one writer per key: the send's lease sees to it
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                try:
                    _write_all(fd, message.data)
                finally:
                    os.close(fd)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as err:
            raise DeliveryError(f"cannot write {self.folder / name} ({err.strerror}).", fatal=True) from err
        return f"written to {os.path.join(self._shown, name)}"

    def close(self) -> None:
        pass


def _write_all(fd: int, data: bytes) -> None:
    """``data`` written to ``fd`` in full (one call, almost always: a file object would cost more)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class SmtpTransport:
    """One SMTP connection, reused for many messages and renewed when needed.

    The connection is renewed after ``max_per_connection`` messages and whenever the
    server drops it. ``local_hostname`` is given to smtplib, which would otherwise look
    the machine's name up in DNS on every connection.
    """

    idempotent = False  # a message sent again is a second copy in the inbox

    def __init__(self, settings: DeliveryConfig, *, username: str | None, password: str | None) -> None:
        self.settings = settings
        self.username = username
        self.password = password
        self.smtp: smtplib.SMTP | None = None
        self.sent_on_connection = 0
        self.local_hostname = socket.gethostname() or "localhost"

    def connect(self) -> None:
        """Open the connection (and log in). Connection and login failures are fatal:
        nothing could be sent, and retrying each message would not help."""
        s = self.settings
        where = f"{s.host}:{s.port}"
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, local_hostname=self.local_hostname,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout, local_hostname=self.local_hostname)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as err:
            if smtp is not None:
                smtp.close()
            raise _connect_error(err, where, s) from err
        self.smtp = smtp
        self.sent_on_connection = 0

    def send(self, message: Outgoing, *, key: str) -> str:
        if self.smtp is None or self.sent_on_connection >= self.settings.max_per_connection:
            self.close()
            self.connect()
        smtp = self.smtp
        assert smtp is not None
        try:
            smtp.ehlo_or_helo_if_needed()
            code, reply = _envelope(smtp, "mail", "FROM", message.sender)
            if code != 250:
                self._refused(code, reply, sender=message.sender)
            code, reply = _envelope(smtp, "rcpt", "TO", message.recipient)
            if code not in (250, 251):
                self._refused(code, reply)
            code, reply = _data(smtp, message.data)
            if code != 250:  # _data raises for the DATA command, but returns the final reply
                self._refused(code, reply)
        except smtplib.SMTPResponseException as err:
            self._refused(err.smtp_code, err.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError) as err:
            self._drop()
            raise DeliveryError(f"connection lost ({err or type(err).__name__})") from err
        except smtplib.SMTPException as err:
            self._drop()
            raise DeliveryError(str(err)) from err
        self.sent_on_connection += 1
        return f"{code} {_text(reply)}"

    def _refused(self, code: int, reply: bytes | str, *, sender: str | None = None) -> None:
        """The server said no: 5xx is permanent, anything else is worth another try. A 5xx to
        MAIL FROM refuses us, not the recipient: it stops the send (no one is bounced)."""
        if code == 421 or code == -1:  # the server is closing the connection
            self._drop()
        elif self.smtp is not None:
            try:
                self.smtp.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
        if sender is not None and 500 <= code < 600:
            raise DeliveryError(f"the SMTP server {self.settings.host}:{self.settings.port} refused the sender "
                                f"{sender} ({code} {_text(reply)}). Check [newsletter] sender and the login "
                                "([delivery] username_env).", fatal=True)
        raise DeliveryError(f"{code} {_text(reply)}", permanent=500 <= code < 600)

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._drop()


# What smtplib does for every message, without its generic work on what a send has made sure of
# already: addresses are plain (validated when they were added) and the message is CRLF bytes.
# At ~1,000 messages a second that work was a tenth of the send.
_PLAIN_ADDRESS = re.compile(r"[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-\[\]:]+")
_LINE_STARTING_WITH_A_DOT = re.compile(rb"(?m)^\.")


def _envelope(smtp: smtplib.SMTP, command: str, prefix: str, address: str) -> tuple[int, bytes]:
    """``MAIL FROM:<address>`` or ``RCPT TO:<address>``: smtplib's ``mail``/``rcpt`` without its
    address parsing, for a plain address (anything else goes through smtplib's own)."""
    if not _PLAIN_ADDRESS.fullmatch(address):
        return smtp.mail(address) if command == "mail" else smtp.rcpt(address)
    smtp.putcmd(command, f"{prefix}:<{address}>")
    return smtp.getreply()


def _data(smtp: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """smtplib's ``data`` for CRLF bytes: lines starting with '.' are doubled (RFC 5321 4.5.2),
    looked for with one search first, as a message seldom has one.

    :raises smtplib.SMTPDataError: the server did not take the DATA command.
    """
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    if data.startswith(b".") or b"\n." in data:
        data = _LINE_STARTING_WITH_A_DOT.sub(b"..", data)
    smtp.send(data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n"))
    return smtp.getreply()


def _connect_error(err: BaseException, where: str, s: DeliveryConfig) -> DeliveryError:
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"the SMTP server {where} refused the login ({err.smtp_code} {_text(err.smtp_error)}). "
                             f"Check the user and password in ${s.username_env} and ${s.password_env}.", fatal=True)
    if isinstance(err, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"the SMTP server {where} does not offer STARTTLS. Set [delivery] security = "
                             "\"ssl\" or \"none\".", fatal=True)
    return DeliveryError(f"cannot connect to the SMTP server {where} ({err}). Check [delivery] host, port and "
                         "security, and that the server is running.", fatal=True)


def make_transport(config: Config, issue_number: int | str) -> Transport:
    """The transport [delivery] configures; credentials come from the environment only."""
    settings = config.delivery
    if settings.transport == "file":
        return FileTransport(config.output_dir / "outbox" / str(issue_number))
    return SmtpTransport(settings, username=os.environ.get(settings.username_env) or None,
                         password=os.environ.get(settings.password_env))


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())
