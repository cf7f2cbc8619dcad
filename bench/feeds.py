#!/usr/bin/env python3
"""Time `syndicate build` as a whole process on synthetic corpora, and print the figures.

Usage:
    python bench/feeds.py [--sizes 1000,10000,50000] [--repeat 3] [--workdir /tmp/syndicate-bench]
                          [--corpus-script ../shared/bench/make_corpus.py] [--skip-tag-limit0-above 10000]

For each size it makes the corpus once (make_corpus.py, the corpus the speed targets were
measured on) and measures, from a cold state (no output/, no syndicate.db):

    full      limit = 20, tag feeds on, no pages ([site] pages = false)  target at 10k: <= 2 s, <= 300 MB
    idle      the same build again, nothing changed              target at 10k: <= 0.5 s, writes nothing
    pages     the default config: full, plus a page per article, tag pages and the home page
    edit-one  pages, again after one article changed (one article page made again)
    pages-idle  pages, again with nothing changed (10,000 more files to look at)
    all-main  limit = 0, tag feeds off (3 files, every article), no pages  target at 10k: <= 5 s, <= 1 GB
    all-tags  limit = 0, tag feeds on (every article in every tag feed too), no pages

Each figure is the best wall time of --repeat runs and the peak RSS of the process (and of
its worker processes, if larger). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import DEFAULT_CORPUS_SCRIPT, corpus, reset, syndicate, timed

CASES = {
    "full": "[feeds]\nlimit = 20\ntag_feeds = true\n[site]\npages = false\n",
    "pages": "[feeds]\nlimit = 20\ntag_feeds = true\n",
    "all-main": "[feeds]\nlimit = 0\ntag_feeds = false\n[site]\npages = false\n",
    "all-tags": "[feeds]\nlimit = 0\ntag_feeds = true\n[site]\npages = false\n",
}


def run(site: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one `syndicate build` in ``site``."""
    return timed(syndicate("build", "--quiet"), site)


def output_size(site: Path) -> int:
    return sum(p.stat().st_size for p in (site / "output").rglob("*") if p.is_file()) // (1024 * 1024)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/syndicate-bench")
    ap.add_argument("--corpus-script", default=str(DEFAULT_CORPUS_SCRIPT))
    ap.add_argument("--skip-tag-limit0-above", type=int, default=10000,
                    help="all-tags writes ~75 KB per article; skip it above this size")
    opts = ap.parse_args()
    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)

    print(f"{'articles':>8} {'case':<9} {'seconds':>8} {'peak MB':>8} {'output MB':>9}")
    for n in [int(s) for s in opts.sizes.split(",")]:
        articles = corpus(work, n, opts.corpus_script)
        for case, feeds in CASES.items():
            if case == "all-tags" and n > opts.skip_tag_limit0_above:
                continue
            site = work / f"site-{n}-{case}"
            site.mkdir(exist_ok=True)
            (site / "syndicate.toml").write_text(f'[content]\ndir = "{articles}"\n{feeds}')
            best, peak = float("inf"), 0
            for _ in range(opts.repeat):
                reset(site)
                seconds, mb = run(site)
                best, peak = min(best, seconds), max(peak, mb)
            print(f"{n:>8} {case:<9} {best:>8.2f} {peak:>8} {output_size(site):>9}", flush=True)
            if case == "pages":
                edited = sorted(articles.rglob("*.md"))[0]
                original = edited.read_bytes()
                edits = []
                try:
                    for i in range(opts.repeat):
                        edited.write_bytes(original + f"\n\nEdited {i}.\n".encode())
                        edits.append(run(site))
                finally:
                    edited.write_bytes(original)
                print(f"{n:>8} {'edit-one':<9} {min(s for s, _ in edits):>8.2f} {max(m for _, m in edits):>8}",
                      flush=True)
                run(site)
                idle = [run(site) for _ in range(opts.repeat)]
                print(f"{n:>8} {'pages-idle':<9} {min(s for s, _ in idle):>8.2f} {max(m for _, m in idle):>8}",
                      flush=True)
            if case == "full":
                mtimes = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
                idle = [run(site) for _ in range(opts.repeat)]
                same = all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
                print(f"{n:>8} {'idle':<9} {min(s for s, _ in idle):>8.2f} {max(m for _, m in idle):>8} "
                      f"{'(no file rewritten)' if same else '(FILES REWRITTEN)':>9}", flush=True)


if __name__ == "__main__":
    main()
