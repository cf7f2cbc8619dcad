"""Run a pure function over batches of work, on every core when the work is large.

Rendering and parsing 10,000 articles is CPU-bound Python and C; a process per core
roughly halves it on a 2-core machine. Workers are forked, so they start at once
with the code loaded; small jobs stay in this process, where a pool would cost more
than it saves.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
PARALLEL_MIN = 2000  # fewer items than this run in this process
MAX_WORKERS = 4


def die_with_parent(parent: int) -> None:
    """In a worker: be killed when the parent dies, even by SIGKILL (which runs no clean-up), so
    that a killed build leaves no workers behind. Linux's PR_SET_PDEATHSIG; elsewhere, a thread
    that watches the parent."""
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before the call
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def map_batches(
    fn: Callable[..., R],
    items: Sequence[T],
    *args: Any,
    batch_size: int = 500,
    min_items: int = PARALLEL_MIN,
) -> Iterator[R]:
    """``fn(batch, *args)`` for each batch of ``items``, in order; in worker processes if large."""
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    workers = min(len(batches), os.cpu_count() or 1, MAX_WORKERS)
    if len(items) < min_items or workers < 2 or not hasattr(os, "fork"):
        for batch in batches:
            yield fn(batch, *args)
        return
    import multiprocessing  # here: most builds (one article changed) run in this process alone
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.map(fn, batches, *(repeat(a) for a in args))
