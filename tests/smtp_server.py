"""A real SMTP server for the delivery tests (aiosmtpd), run in its own process.

    python tests/smtp_server.py --port 2525 --folder received/ [--config behaviour.json]

Every message accepted is written, before the server answers 250, to
``<folder>/<recipient>/<n>.eml`` (its raw bytes; written to a temp file and renamed,
so a reader never sees half a message), where ``n`` counts the messages this server
accepted. Its reply is ``250 2.0.0 Ok: queued as <n>``, so a test can match a ledger
row to its file. ``<folder>/log.txt`` gets one line per event: ``AUTH ok|failed``,
``RCPT <address> <reply>``, ``DATA <address> <reply>``, ``DROP <address>``, each
ending with ``conn=<n>``, the connection it came on (numbered from 1).

The JSON config scripts how the server misbehaves (every key is optional; each can
also be given on the command line as ``--<key> VALUE``, VALUE in JSON):

``rcpt_first`` / ``rcpt_reply``  answer ``rcpt_reply`` (e.g. "451 4.3.0 Try later")
                                  to the first ``rcpt_first`` RCPT commands, then accept
``data_first`` / ``data_reply``  the same for the reply to the end of DATA
``refuse``                       {address: reply}: answer RCPT for it so, always
``refuse_data``                  {address: reply}: answer the end of DATA so, always
``drop_after``                   drop the connection once it has carried N messages
``drop_before_reply``            true: store the Nth message, then drop with no reply
                                  (the client cannot know it arrived); false: reply
                                  250, then drop
``drop_limit``                   drop at most this many times (0: no limit)
``user`` / ``password``          require AUTH (no TLS needed) with these credentials
``delay``                        seconds to wait at the end of each DATA before storing

A reply starting with 421 closes the connection after it is sent, as RFC 5321 says.
The process runs until SIGTERM or SIGINT, then stops the server and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

DEFAULTS: dict[str, Any] = {
    "rcpt_first": 0, "rcpt_reply": "451 4.3.0 Try again later",
    "data_first": 0, "data_reply": "451 4.3.0 Try again later",
    "refuse": {}, "refuse_data": {},
    "drop_after": 0, "drop_before_reply": False, "drop_limit": 0,
    "user": None, "password": None,
    "delay": 0.0,
}


class Handler:
    """Counts what it is asked, stores what it accepts, misbehaves as configured."""

    def __init__(self, folder: Path, behaviour: dict[str, Any]) -> None:
        self.folder = folder
        self.b = behaviour
        self.rcpt_calls = 0
        self.data_calls = 0
        self.accepted = 0
        self.drops = 0
        self.connections = 0
        self.log_file = open(folder / "log.txt", "a", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)

    def log(self, session: Session | None, line: str) -> None:
        if session is not None:
            line += f" conn={self._connection(session)}"
        self.log_file.write(line + "\n")
        self.log_file.flush()

    def _connection(self, session: Session) -> int:
        if not hasattr(session, "test_number"):
            self.connections += 1
            session.test_number = self.connections  # type: ignore[attr-defined]
            session.test_messages = 0  # type: ignore[attr-defined]
        return session.test_number  # type: ignore[attr-defined]

    def _close_after(self, server: SMTP, status: str) -> str:
        if status.startswith("421") and server.transport is not None:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return status

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        self.rcpt_calls += 1
        refused = self.b["refuse"].get(address.lower())
        if refused is None and self.rcpt_calls <= self.b["rcpt_first"]:
            refused = self.b["rcpt_reply"]
        if refused is not None:
            self.log(session, f"RCPT {address} {refused}")
            return self._close_after(server, refused)
        envelope.rcpt_tos.append(address)
        self.log(session, f"RCPT {address} 250")
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_calls += 1
        rcpts = [a.lower() for a in envelope.rcpt_tos]
        if self.b["delay"]:
            await asyncio.sleep(self.b["delay"])
        refused = next((self.b["refuse_data"][a] for a in rcpts if a in self.b["refuse_data"]), None)
        if refused is None and self.data_calls <= self.b["data_first"]:
            refused = self.b["data_reply"]
        if refused is not None:
            self.log(session, f"DATA {' '.join(rcpts)} {refused}")
            return self._close_after(server, refused)
        self.accepted += 1
        for rcpt in rcpts:
            box = self.folder / rcpt
            box.mkdir(exist_ok=True)
            temp = box / f".{self.accepted}.tmp"
            temp.write_bytes(envelope.original_content or b"")
            os.replace(temp, box / f"{self.accepted}.eml")
        reply = f"250 2.0.0 Ok: queued as {self.accepted}"
        self._connection(session)
        session.test_messages += 1  # type: ignore[attr-defined]
        limit = self.b["drop_limit"]
        if (self.b["drop_after"] and session.test_messages >= self.b["drop_after"]  # type: ignore[attr-defined]
                and (not limit or self.drops < limit)):
            self.drops += 1
            self.log(session, f"DROP {' '.join(rcpts)}")
            if self.b["drop_before_reply"]:
                server.transport.abort()  # the socket goes, the reply is never sent:
                await asyncio.Event().wait()  # aiosmtpd cancels this session when it sees the loss
            self.log(session, f"DATA {' '.join(rcpts)} {reply}")
            # close (not abort): the reply is flushed first, then the connection ends
            asyncio.get_running_loop().call_soon(server.transport.close)
            return reply
        self.log(session, f"DATA {' '.join(rcpts)} {reply}")
        return reply

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.b["user"]
              and auth_data.password.decode() == self.b["password"])
        self.log(session, f"AUTH {'ok' if ok else 'failed'}")
        return AuthResult(success=ok, handled=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--config", type=Path, help="JSON file with the behaviour keys")
    for key in DEFAULTS:
        parser.add_argument(f"--{key}", type=json.loads, metavar="JSON", default=argparse.SUPPRESS)
    args = vars(parser.parse_args(argv))
    # AUTH without TLS is what we want here; aiosmtpd warns about it (and its own deprecations)
    # as warnings and in its log. Errors still reach stderr.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    behaviour = dict(DEFAULTS)
    if args.get("config"):
        behaviour.update(json.loads(args["config"].read_text(encoding="utf-8")))
    behaviour.update({k: v for k, v in args.items() if k in DEFAULTS})
    unknown = set(behaviour) - set(DEFAULTS)
    if unknown:
        parser.error(f"unknown behaviour keys: {', '.join(sorted(unknown))}")
    behaviour["refuse"] = {k.lower(): v for k, v in behaviour["refuse"].items()}
    behaviour["refuse_data"] = {k.lower(): v for k, v in behaviour["refuse_data"].items()}

    folder: Path = args["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    handler = Handler(folder, behaviour)
    auth: dict[str, Any] = {}
    if behaviour["user"] is not None:
        auth = {"auth_required": True, "auth_require_tls": False, "authenticator": handler.authenticate}
    # Block the stop signals before the server thread starts, so that only sigwait sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(handler, hostname="127.0.0.1", port=args["port"],
                            server_hostname="smtp.test", **auth)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    handler.log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
