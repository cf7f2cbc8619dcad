"""Inline the newsletter's CSS into ``style=""`` attributes with premailer, once per issue.

premailer's defaults would break a responsive email, so: ``strip_important=False``
(the @media rules it keeps in ``<style>`` must keep ``!important`` to beat the inlined
values on phones and in dark mode), ``allow_network=False`` (never fetch a stylesheet),
and cssutils' warnings about properties it does not know (``mso-hide``) stay out of the
user's terminal.

premailer takes some 0.1 s to import (cssutils, requests) before its first page. A build
that makes feed entries again, and so probably its preview, starts that in a process of its
own on another core (:func:`loaded_ahead`) while it renders them and writes the feeds (a new
article in a 10,000-article site: 0.62 s → 0.56 s); :func:`inline_css` then hands its page to
that process, and does the work itself whenever the process is not there to take it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_LOG = logging.getLogger("syndicate.inline")


_LOG.addHandler(logging.NullHandler())


_LOG.propagate = False

READY_WITHIN = 1.0  # seconds the process loading premailer ahead may still take when its first page is ready
GONE_WITHIN = 1.0  # seconds it may take to end once its pipe is closed and it is asked to, before it is killed


class _Ahead:
    """A forked process that loads premailer, then inlines the pages sent to it, one at a time."""

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, theirs = ctx.Pipe()
        self.lock = threading.Lock()
        self.state = "loading"  # then "ready", or "gone" (given up on: never waited for again)
        self.process = ctx.Process(target=_serve, args=(theirs, self.conn, os.getpid()), daemon=True,
                                   name="syndicate-inline")
        # Ctrl-C held back until the process has set its own handling: a Ctrl-C that came in
        # between would print its traceback (here, it is delivered once unblocked).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.process.start()
        except BaseException:
            self.conn.close()
            theirs.close()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        theirs.close()

    def inline(self, html: str) -> str | None:
        """``html`` inlined; None if the process was not ready in time, is gone, or failed on
        this page (the caller then does the work itself, and so raises whatever premailer
        raises)."""
        with self.lock:
            try:
                if self.state == "loading":
                    ready = self.conn.poll(READY_WITHIN) and self.conn.recv() == "ready"
                    self.state = "ready" if ready else "gone"
                if self.state == "ready":
                    self.conn.send(html)
                    ok, inlined = self.conn.recv()
                    return inlined if ok else None
            except (OSError, EOFError, ValueError):
                self.state = "gone"
            return None

    def close(self) -> None:
        self.conn.close()  # it ends when it reads the end of the pipe; and it is told to, in case it is loading
        self.process.terminate()
        self.process.join(GONE_WITHIN)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


_ahead: _Ahead | None = None


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules copied into ``style`` attributes; @media rules kept."""
    ahead = _ahead
    if ahead is not None and (inlined := ahead.inline(html)) is not None:
        return inlined
    return _inline(html)


def _inline(html: str) -> str:
    import premailer  # imported here: it pulls in cssutils, which only the newsletter needs

    return premailer.Premailer(
        html,
        strip_important=False,
        allow_network=False,
        allow_loading_external_files=False,
        keep_style_tags=False,
        remove_classes=False,
        disable_validation=True,
        # premailer copies CSS width/height into attributes: width="100%" height="auto" on an
        # image undoes the pixel width Outlook on Windows needs. The template sets those.
        disable_basic_attributes=["width", "height"],
        cssutils_logging_handler=logging.NullHandler(),
        cssutils_logging_level=logging.CRITICAL,
    ).transform(pretty_print=False)


@contextmanager
def loaded_ahead() -> Iterator[Callable[[], None]]:
    """A block in which ``start()`` (what it gives) has premailer loaded in a forked process on
    another core, which :func:`inline_css` then hands its pages to, until the block ends. Only
    once, only on Linux (forking without exec is not safe on macOS), with two cores or more, from
    a process with no other thread (a fork copies the locks other threads hold), and with
    premailer not loaded here already; if the process cannot be started, nothing is."""
    global _ahead
    ours: _Ahead | None = None  # the process this block started, if it did

    def start() -> None:
        global _ahead
        nonlocal ours
        if (_ahead is not None or "premailer" in sys.modules or not sys.platform.startswith("linux")
                or _cores() < 2 or threading.active_count() > 1):
            return
        try:
            _ahead = ours = _Ahead()
        except OSError:  # no process to spare (a limit on processes, on memory, on open files): do without
            return

    try:
        yield start
    finally:
        if ours is not None:
            _ahead = None
            ours.close()


def _serve(conn: Any, theirs: Any, parent: int) -> None:
    """In the process started ahead: load premailer, say so, and inline each page sent until the
    pipe closes. Ctrl-C is the parent's to handle, SIGTERM ends it whatever the parent's handler
    for it (the scheduler's only sets a flag); any failure here, the parent's to redo."""
    from .._parallel import die_with_parent

    theirs.close()  # the parent's end, copied by the fork: with it open here, the pipe would never close
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    die_with_parent(parent)
    try:
        import premailer  # noqa: F401 - what this process is for

        conn.send("ready")
        while True:
            html = conn.recv()
            try:
                conn.send((True, _inline(html)))
            except Exception:  # noqa: BLE001 - the parent inlines it again, and reports what premailer raises
                conn.send((False, None))
    except (EOFError, OSError, ImportError):
        pass


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
