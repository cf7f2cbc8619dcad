#!/usr/bin/env python3
"""Time the newsletter: creating an issue (whole process) and personalizing it per subscriber.

Usage:
    python bench/newsletter.py [--sizes 10,1000,10000] [--repeat 3] [--workdir /tmp/syndicate-bench]
                               [--corpus-script ../shared/bench/make_corpus.py] [--subscribers 200000]

1. `syndicate newsletter` as a whole process on a site of N articles (make_corpus.py), the
   first issue of 10 articles: read the content store, plan, render with jinja2, inline the
   CSS with premailer, record, write the archive.                 target: <= 1.5 s
2. From that rendered issue, the final HTML and text of one subscriber (placeholders
   filled, values escaped), in a loop on one core.                target: >= 50,000 per second

A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from syndicate.newsletter.personalize import personalizers

from common import DEFAULT_CORPUS_SCRIPT, HERE, corpus, syndicate, timed


def whole_process(site: Path) -> tuple[float, int]:
    return timed(syndicate("newsletter", "--now", "2026-11-28T12:00:00Z"), site)


def personalize_rate(site: Path, subscribers: int) -> tuple[float, int]:
    sys.path.insert(0, str(HERE.parent))
    from syndicate.state import Store

    with Store(site / "syndicate.db") as store:
        issue = store.issues()[-1]
    html, text = personalizers(issue)
    start = time.perf_counter()
    size = 0
    for n in range(subscribers):
        values = {"unsubscribe_url": f"https://example.com/unsubscribe?token={n:032x}",
                  "email": f"reader{n}@example.com", "name": f"Reader & {n}"}
        size = len(html.fill(values)) + len(text.fill(values))
    return subscribers / (time.perf_counter() - start), size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10,1000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/syndicate-bench")
    ap.add_argument("--corpus-script", default=str(DEFAULT_CORPUS_SCRIPT))
    ap.add_argument("--subscribers", type=int, default=200_000)
    opts = ap.parse_args()
    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)

    print(f"{'articles':>8} {'syndicate newsletter (s)':>25} {'peak MB':>8}")
    site = None
    for n in [int(s) for s in opts.sizes.split(",")]:
        articles = corpus(work, n, opts.corpus_script)
        site = work / f"newsletter-{n}"
        site.mkdir(exist_ok=True)
        (site / "syndicate.toml").write_text(f'[content]\ndir = "{articles}"\n[newsletter]\nmax_articles = 10\n')
        best, peak = float("inf"), 0
        for _ in range(opts.repeat):
            shutil.rmtree(site / "output", ignore_errors=True)
            for p in site.glob("syndicate.db*"):
                p.unlink()
            seconds, mb = whole_process(site)
            best, peak = min(best, seconds), max(peak, mb)
        print(f"{n:>8} {best:>25.2f} {peak:>8}", flush=True)
    if site is not None:
        rate, size = personalize_rate(site, opts.subscribers)
        print(f"personalize: {rate:,.0f} subscribers/s on one core (HTML + text, {size / 1000:.0f} KB each)")


if __name__ == "__main__":
    main()
