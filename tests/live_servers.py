"""Real servers for the tests, each in a process of its own: ``syndicate serve`` and SMTP.

``Serve`` runs ``syndicate serve`` (uvicorn) in a site folder on a free port of 127.0.0.1.
``SmtpServer`` runs tests/smtp_server.py, a scriptable aiosmtpd server that keeps every
message it accepts as ``<folder>/<recipient>/<n>.eml``; ``Mailbox`` is the same as a
context manager. They return once the port listens, and stop the process with SIGTERM
(and wait for it), so no test leaves one running.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

#: ``syndicate serve`` as a process of its own (the installed entry point may be another Python's).
SERVE_COMMAND = [sys.executable, "-c", "from syndicate.cli import main; main()", "serve"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def end_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10) -> int:
    """Send ``sig`` (if the process still runs), wait up to ``timeout`` seconds, then SIGKILL;
    returns its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> bool:
    """True once 127.0.0.1:``port`` accepts connections; False if ``process`` ends or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)


class _Process:
    """A child process with its output in a log file, stopped with SIGTERM."""

    name = "process"

    def __init__(self, command: list[str], *, cwd: Path, port: int, log: Path) -> None:
        self.command = command
        self.cwd = cwd
        self.port = port
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.returncode: int | None = None
        self.pid = 0

    def __enter__(self) -> Any:
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.process = subprocess.Popen(self.command, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        if not wait_until_listening(self.port, self.process):
            self.stop()
            raise RuntimeError(f"{self.name} did not start on port {self.port}; its output:\n" + self.output())
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None:
            self.returncode = end_process(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


class Serve(_Process):
    """``syndicate serve --port PORT`` in ``site`` (it reads syndicate.toml from there)."""

    name = "syndicate serve"

    def __init__(self, site: Path, port: int | None = None) -> None:
        port = port or free_port()
        super().__init__([*SERVE_COMMAND, "--port", str(port)], cwd=site, port=port,
                         log=site.parent / f"serve-{port}.log")
        self.url = f"http://127.0.0.1:{port}/"

    def stopped_cleanly(self) -> bool:
        """uvicorn finished its shutdown (it then ends by re-raising SIGTERM, hence -15)."""
        return (self.returncode in (0, -signal.SIGTERM)
                and self.output().endswith(f"Finished server process [{self.pid}]\n"))


#: The scriptable aiosmtpd server (tests/smtp_server.py), run as a process of its own.
SERVER_SCRIPT = Path(__file__).parent / "smtp_server.py"


class SmtpServer:
    """tests/smtp_server.py in a child process, and what it received, read from its folder."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, **behaviour: Any) -> SmtpServer:
        """Start the server (see tests/smtp_server.py for ``behaviour``); return once it listens."""
        assert self.process is None, "the server is running already"
        self.starts += 1
        config = self.folder.parent / f"smtp-{self.starts}.json"
        config.write_text(json.dumps(behaviour), encoding="utf-8")
        with open(self.folder.parent / f"smtp-{self.starts}.err", "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER_SCRIPT), "--port", str(self.port), "--folder", str(self.folder),
                 "--config", str(config)], stdout=subprocess.DEVNULL, stderr=err)
        if not wait_until_listening(self.port, self.process):
            self.stop()
            problem = (self.folder.parent / f"smtp-{self.starts}.err").read_text()
            raise RuntimeError(f"the SMTP server did not start on port {self.port}:\n{problem}")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        end_process(self.process)
        self.process = None

    def copies(self) -> Counter[str]:
        """How many messages each recipient got."""
        if not self.folder.is_dir():
            return Counter()
        return Counter({box.name: n for box in self.folder.iterdir()
                        if box.is_dir() and (n := len(list(box.glob("*.eml"))))})

    def messages(self, recipient: str) -> list[bytes]:
        """The messages ``recipient`` got, in the order they arrived."""
        files = sorted((self.folder / recipient).glob("*.eml"), key=lambda p: int(p.stem))
        return [f.read_bytes() for f in files]

    def log(self, kind: str | None = None) -> list[str]:
        """The server's log lines (``kind``: only those starting with it), ``conn=`` left off."""
        path = self.folder / "log.txt"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [line.rsplit(" conn=", 1)[0] for line in lines if kind is None or line.startswith(kind + " ")]

    def connections(self) -> Counter[int]:
        """How many messages were accepted on each connection."""
        path = self.folder / "log.txt"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return Counter(int(line.rsplit("conn=", 1)[1]) for line in lines
                       if line.startswith("DATA ") and " 250 " in line)

    def subjects(self, recipient: str) -> list[str]:
        import email.parser
        import email.policy

        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        files = sorted((self.folder / recipient).glob("*.eml"), key=lambda p: int(p.stem))
        return [str(parser.parsebytes(f.read_bytes())["Subject"]) for f in files]


class Mailbox(SmtpServer):
    """The SMTP server as a context manager: started on entry, stopped on exit."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        super().__init__(folder, port or free_port())

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def received(self) -> list[bytes]:
        """Every message accepted so far, whoever it was for, in the order they arrived."""
        files = sorted(self.folder.glob("*/*.eml"), key=lambda p: int(p.stem)) if self.folder.is_dir() else []
        return [f.read_bytes() for f in files]

    def wait_for(self, count: int, timeout: float = 30) -> list[bytes]:
        """The messages, once there are at least ``count`` of them."""
        deadline = time.monotonic() + timeout
        while len(found := self.received()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the mailbox has {len(found)} messages, not {count}, after {timeout} s; "
                                     f"its log: {self.log()}")
            time.sleep(0.05)
        return found
