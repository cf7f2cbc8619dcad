"""A pytest plugin that fails the run if the tests left anything in the checkout.

At the start of the session it notes what ``git status`` says of the checkout (new
files git does not ignore, changed tracked files) and whether any state database is
in it; at the end it compares. A test that writes ``./syndicate.db``, or a feed into
the repository's own ``output/``, turns a green run red, naming the files.
Outside a git checkout (an unpacked sdist, say) it does nothing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

#: State files a test must never create in the checkout, even where git ignores them.
STATE_FILES = ("syndicate.db", "syndicate.db-wal", "syndicate.db-shm", "syndicate.db.secret",
               "syndicate.db.lock")


def checkout_state(root: Path) -> set[str] | None:
    """What git reports as changed or new under ``root``, plus any state file; None if not a checkout."""
    try:
        out = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    found = {line for line in out.stdout.splitlines() if line.strip()}
    for name in STATE_FILES:
        found.update(f"state file {p.relative_to(root)}" for p in root.rglob(name)
                     if ".git" not in p.parts)
    return found


class CheckoutGuard:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.before = checkout_state(root)
        self.left: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.before is None:
            return
        after = checkout_state(self.root)
        self.left = sorted((after or set()) - self.before)
        if self.left and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.left:
            terminalreporter.section("the tests left files in the checkout", red=True)
            for line in self.left:
                terminalreporter.line(f"  {line}")
            terminalreporter.line("A test must work in its own temporary folder (tmp_path, the 'site' "
                                  "fixture); this run fails until it does.")
