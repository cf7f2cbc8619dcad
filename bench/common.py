"""What the benchmark scripts share: the corpus, the command, a timed whole process. Not a test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS_SCRIPT = HERE.parent.parent / "shared" / "bench" / "make_corpus.py"


def corpus(work: Path, n: int, script: str | Path = DEFAULT_CORPUS_SCRIPT) -> Path:
    """``work/corpus-N``: N articles made by make_corpus.py (the corpus the speed figures were
    measured on), made once and kept for later runs."""
    folder = work / f"corpus-{n}"
    if not folder.is_dir():
        subprocess.run([sys.executable, str(script), str(folder), "-n", str(n)], check=True,
                       stdout=subprocess.DEVNULL)
    return folder


def syndicate(*args: str) -> list[str]:
    """The command line of ``syndicate ARGS``: the installed entry point, else this Python's."""
    exe = shutil.which("syndicate")
    return [exe, *args] if exe else [sys.executable, "-c", "from syndicate.cli import main; main()", *args]


def timed(args: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB, of the process or of its largest waited-for child) of one
    run of ``args`` in ``cwd``; exit codes 0 and 1 (problems reported) are a run."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(args[:3])} failed in {cwd} (exit {code})")
    return elapsed, usage.ru_maxrss // 1024


def reset(site: Path, *folders: str) -> None:
    """A cold state for ``site``: no output/ (nor ``folders``), no syndicate.db.

    The old folders are moved aside, into ``TRASH`` beside the site, not deleted: on ext4 new
    files are made several times slower for minutes after thousands were deleted (the inode
    allocator passes over the recently deleted ones), which would time the deletion, not the
    build. :func:`empty_trash` deletes them once the timing is done."""
    trash = site.parent / TRASH
    trash.mkdir(exist_ok=True)
    for name in ("output", *folders):
        if (site / name).exists():
            (site / name).rename(trash / f"{site.name}-{name}-{time.monotonic_ns()}")
    for p in site.glob("syndicate.db*"):
        p.unlink()


TRASH = ".bench-trash"


def empty_trash(work: Path) -> None:
    """Delete what :func:`reset` moved aside."""
    shutil.rmtree(work / TRASH, ignore_errors=True)
