#!/usr/bin/env python3
"""Time `syndicate run` when there is nothing to do, and the cost of an idle `syndicate schedule`.

Usage:
    python bench/run.py [--articles 10000] [--repeat 5] [--idle-seconds 60] [--workdir /tmp/syndicate-bench]

1. A site of N articles (make_corpus.py) with `newsletter = "daily at 08:00"`, built once;
   then `syndicate run --quiet` as a whole process, N times: the cost of the cron job
   every minute when nothing changed.                              target at 10k: <= 0.5 s
2. `syndicate schedule` on that site for --idle-seconds: CPU used (from /proc) and peak
   resident memory.                                                target: < 1% of a core, < 80 MB

A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from common import DEFAULT_CORPUS_SCRIPT, corpus
CLI = [sys.executable, "-c", "from syndicate.cli import main; main()"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("--workdir", default="/tmp/syndicate-bench")
    ap.add_argument("--corpus-script", default=str(DEFAULT_CORPUS_SCRIPT))
    opts = ap.parse_args()
    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)
    articles = corpus(work, opts.articles, opts.corpus_script)
    site = work / f"run-{opts.articles}"
    site.mkdir(exist_ok=True)
    (site / "syndicate.toml").write_text(
        f'[content]\ndir = "{articles}"\n[schedule]\nnewsletter = "daily at 08:00"\nfeeds_every = "15m"\n')
    subprocess.run([*CLI, "run", "--quiet"], cwd=site, check=False)

    times = []
    for _ in range(opts.repeat):
        start = time.perf_counter()
        subprocess.run([*CLI, "run", "--quiet"], cwd=site, check=False)
        times.append(time.perf_counter() - start)
    print(f"syndicate run, nothing to do, {opts.articles:,} articles: best {min(times):.2f} s, "
          f"median {sorted(times)[len(times) // 2]:.2f} s (whole process)")

    proc = subprocess.Popen([*CLI, "schedule"], cwd=site, stderr=subprocess.DEVNULL)
    time.sleep(5)  # let it start and do its first pass
    before = cpu_seconds(proc.pid)
    time.sleep(opts.idle_seconds)
    used = cpu_seconds(proc.pid) - before
    peak = peak_rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=10)
    print(f"syndicate schedule, idle {opts.idle_seconds} s: {100 * used / opts.idle_seconds:.2f}% of a core, "
          f"peak RSS {peak} MB; SIGTERM → exit {code}")


if __name__ == "__main__":
    main()
