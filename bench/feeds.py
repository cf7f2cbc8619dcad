#!/usr/bin/env python3
"""Time `syndicate build` as a whole process on synthetic corpora, and print the figures.

Usage:
    python bench/feeds.py [--sizes 1000,10000,50000] [--repeat 3] [--workdir /tmp/syndicate-bench]
                          [--corpus-script ../shared/bench/make_corpus.py] [--skip-tag-limit0-above 10000]

For each size it makes the corpus once (make_corpus.py, the corpus the speed targets were
measured on) and measures, from a cold state (no output/, no syndicate.db):

    full      limit = 20, tag feeds on, no pages ([site] pages = false)  target at 10k: <= 150 MB
    idle      the same build again, nothing changed              writes nothing
    edit-one, add-one, delete-one
              the same build after one article was edited, added or deleted, with its ratio to
              the cold build (full) and to the idle one       target: <= 0.15 x cold, <= 2 x idle
    pages     the default config: full, plus a page per article, tag pages and the home page
    edit-one  pages, again after one article changed (one article page made again)
    pages-idle  pages, again with nothing changed (10,000 more files to look at)
    all-main  limit = 0, tag feeds off (3 files, every article), no pages  target at 50k: <= 400 MB
    all-tags  limit = 0, tag feeds on (every article in every tag feed too), no pages

Each figure is the best wall time of --repeat runs and the peak RSS of the process (and of
its worker processes, if larger). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import DEFAULT_CORPUS_SCRIPT, corpus, empty_trash, reset, syndicate, timed

CASES = {
    "full": "[feeds]\nlimit = 20\ntag_feeds = true\n[site]\npages = false\n",
    "pages": "[feeds]\nlimit = 20\ntag_feeds = true\n",
    "all-main": "[feeds]\nlimit = 0\ntag_feeds = false\n[site]\npages = false\n",
    "all-tags": "[feeds]\nlimit = 0\ntag_feeds = true\n[site]\npages = false\n",
}


def run(site: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one `syndicate build` in ``site``."""
    return timed(syndicate("build", "--quiet"), site)


def new_article(model: bytes, i: int) -> bytes:
    """A new article, the newest of the site (so in the main feed and in its tags' feeds), made from
    ``model`` with another slug and an hour-old date."""
    date = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = re.sub(rb"(?m)^slug: .*$", f"slug: bench-added-{i}".encode(), model, count=1)
    return re.sub(rb"(?m)^date: .*$", f"date: {date}".encode(), text, count=1)


def one_change(site: Path, articles: Path, repeat: int) -> list[tuple[str, float, int]]:
    """The best time and peak memory of a build after one article was edited, added, deleted;
    the content is put back (and built) after each."""
    edited = sorted(articles.rglob("*.md"))[0]
    original = edited.read_bytes()
    added = articles / "zz-added-by-bench.md"
    changes = {
        "edit-one": (lambda i: edited.write_bytes(original + f"\n\nEdited {i}.\n".encode()),
                     lambda: edited.write_bytes(original)),
        "add-one": (lambda i: added.write_bytes(new_article(original, i)), lambda: added.unlink(missing_ok=True)),
        "delete-one": (lambda i: edited.unlink(), lambda: edited.write_bytes(original)),
    }
    out = []
    for name, (change, undo) in changes.items():
        runs = []
        try:
            for i in range(repeat):
                change(i)
                runs.append(run(site))
                undo()
                run(site)
        finally:
            undo()
        out.append((name, min(s for s, _ in runs), max(m for _, m in runs)))
    return out


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
    try:
        measure(work, opts)
    finally:
        empty_trash(work)  # the outputs of the cold builds, moved aside by reset()


def measure(work: Path, opts: argparse.Namespace) -> None:
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
                cold = best
                run(site)  # the build after the first, which knows when each file was first seen
                mtimes = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
                idle = [run(site) for _ in range(opts.repeat)]
                same = all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
                idle_best = min(s for s, _ in idle)
                print(f"{n:>8} {'idle':<9} {idle_best:>8.2f} {max(m for _, m in idle):>8} "
                      f"{'(no file rewritten)' if same else '(FILES REWRITTEN)':>9}", flush=True)
                for change, seconds, mb in one_change(site, articles, opts.repeat):
                    print(f"{n:>8} {change:<9} {seconds:>8.2f} {mb:>8}  {seconds / cold:.2f} x cold, "
                          f"{seconds / idle_best:.2f} x idle", flush=True)


if __name__ == "__main__":
    main()
