"""The CSS inliner loaded ahead on another core (newsletter.inline.loaded_ahead): the same pages
as inlining here, the work done here whenever that process fails or is gone, nothing left
running. Each case runs in a fresh interpreter: in this one, premailer is loaded already, and
then nothing is started ahead."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                                reason="loaded ahead only on Linux with two cores or more")

PAGE = ("<html><head><style>p { color: #123456 } @media (max-width: 600px) { p { color: red !important } }"
        "</style></head><body><p>Hello</p><a href='https://example.org/'>link</a></body></html>")


def run(code: str) -> dict:
    """Run ``code`` (which sets ``out``, a dict) in a fresh interpreter; its ``out``."""
    prelude = ("import json, os, sys\nfrom syndicate.newsletter import inline\n"
               f"PAGE = {PAGE!r}\nout = {{}}\n")
    done = subprocess.run([sys.executable, "-c", prelude + code + "\nprint(json.dumps(out))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def here() -> str:
    """PAGE inlined in this process, without a process ahead."""
    return run("out['page'] = inline.inline_css(PAGE)")["page"]


def test_a_page_inlined_ahead_is_the_page_inlined_here_and_premailer_stays_out_of_this_process(here: str) -> None:
    out = run("""
with inline.loaded_ahead() as start:
    start()
    ahead = inline._ahead
    out['first'] = inline.inline_css(PAGE)
    out['second'] = inline.inline_css(PAGE)
    out['used'] = ahead is not None and ahead.state == 'ready'
    out['pid'] = ahead.process.pid if ahead else None
out['loaded_here'] = 'premailer' in sys.modules
out['after'] = inline._ahead is None
try:
    os.kill(out['pid'], 0)
    out['alive'] = True
except (ProcessLookupError, TypeError):
    out['alive'] = False
""")
    assert 'style="color:#123456"' in here and "!important" in here  # inlined, and the @media rule kept
    assert out["first"] == out["second"] == here
    assert out["used"] and not out["loaded_here"]
    assert out["after"] and not out["alive"]


def test_a_process_ahead_that_is_gone_leaves_the_work_to_this_one(here: str) -> None:
    out = run("""
import signal
with inline.loaded_ahead() as start:
    start()
    os.kill(inline._ahead.process.pid, signal.SIGKILL)
    inline._ahead.process.join()
    out['page'] = inline.inline_css(PAGE)
    out['again'] = inline.inline_css(PAGE)
out['loaded_here'] = 'premailer' in sys.modules
""")
    assert out["page"] == out["again"] == here
    assert out["loaded_here"]


def test_what_premailer_raises_ahead_is_raised_here_and_the_next_page_still_goes_ahead(here: str) -> None:
    out = run("""
with inline.loaded_ahead() as start:
    start()
    try:
        inline.inline_css(b"not text")
    except Exception as err:
        out['raised'] = type(err).__name__
    out['state'] = inline._ahead.state
    out['page'] = inline.inline_css(PAGE)
""")
    try:
        import premailer

        premailer.Premailer(b"not text").transform()
    except Exception as err:  # noqa: BLE001 - what premailer raises in this process
        expected = type(err).__name__
    assert out["raised"] == expected
    assert out["state"] == "ready"  # one failed page is not the process failing: it is not waited for again
    assert out["page"] == here


def test_a_handler_that_ignores_sigterm_does_not_keep_the_process_alive(here: str) -> None:
    # syndicate schedule's SIGTERM handler only sets a flag; the process, forked with it, must end anyway
    out = run("""
import signal
signal.signal(signal.SIGTERM, lambda *_: None)
with inline.loaded_ahead() as start:
    start()
    out['page'] = inline.inline_css(PAGE)
    process = inline._ahead.process
out['alive'] = process.is_alive()
""")
    assert out == {"page": here, "alive": False}


def test_a_process_that_never_gets_ready_is_given_up_on_and_killed(here: str) -> None:
    out = run("""
import signal, time

def stuck(*args):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)

inline._serve = stuck
with inline.loaded_ahead() as start:
    start()
    out['page'] = inline.inline_css(PAGE)
    out['state'] = inline._ahead.state
    process = inline._ahead.process
out['alive'] = process.is_alive()
""")
    assert out == {"page": here, "state": "gone", "alive": False}


def test_a_fork_that_fails_leaves_the_work_to_this_process(here: str) -> None:
    out = run("""
def no_fork():
    raise BlockingIOError(11, "Resource temporarily unavailable")

os.fork = no_fork
with inline.loaded_ahead() as start:
    start()
    out['started'] = inline._ahead is not None
    out['page'] = inline.inline_css(PAGE)
""")
    assert out == {"started": False, "page": here}


def test_nothing_is_started_with_one_core_another_thread_or_premailer_loaded() -> None:
    out = run("""
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
with inline.loaded_ahead() as start:
    start()
    out['one_core'] = inline._ahead is None
os.sched_setaffinity(0, set(range(os.cpu_count())))
import threading
waiting = threading.Event()
other = threading.Thread(target=waiting.wait)
other.start()
with inline.loaded_ahead() as start:
    start()
    out['thread'] = inline._ahead is None
waiting.set()
other.join()
import premailer
with inline.loaded_ahead() as start:
    start()
    out['loaded'] = inline._ahead is None
""")
    assert out == {"one_core": True, "thread": True, "loaded": True}


def test_a_build_starts_it_when_it_makes_feed_entries_again_and_not_otherwise(site) -> None:
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("limit = 20\n", "limit = 1\ntag_feeds = false\n", 1),
                    encoding="utf-8")
    assert "limit = 1\n" in toml.read_text(encoding="utf-8")  # the main feed alone, of the newest article

    def build(change: str | None = None) -> dict:
        """A build in a fresh interpreter after ``change`` (an article file given one more line):
        whether it started the process, and whether it loaded premailer itself."""
        return run(f"""
from pathlib import Path
from click.testing import CliRunner
from syndicate.cli import main

os.chdir({str(site)!r})
if {change!r}:
    path = Path("content") / {change!r}
    path.write_bytes(path.read_bytes() + b"\\n\\nOne more line.\\n")
started = []
real = inline._Ahead.__init__

def counted(self):
    started.append(1)
    real(self)

inline._Ahead.__init__ = counted
result = CliRunner().invoke(main, ["build", "--quiet", "--now", "2026-11-28T12:00:00Z"])
assert result.exit_code in (0, 1), result.output
out['started'] = len(started)
out['loaded_here'] = 'premailer' in sys.modules
""")

    assert build() == {"started": 1, "loaded_here": False}  # cold: every entry made
    # In no feed, but in the preview (no issue made yet): made again here, without the process.
    assert build("2026-01-05-escaping.md") == {"started": 0, "loaded_here": True}
    assert build("2026-04-01-news-story.txt") == {"started": 1, "loaded_here": False}  # the main feed's
    assert build() == {"started": 0, "loaded_here": False}  # nothing changed: nothing made, nothing loaded
