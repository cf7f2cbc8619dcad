#!/usr/bin/env python3
"""Time a cold `syndicate build` beside a cold `hugo` build of the same articles, and print the ratios.

Usage:
    python bench/vs_hugo.py [-n 10000] [--repeat 3] [--workdir /tmp/syndicate-vs-hugo]
                            [--corpus-script ../shared/bench/make_corpus.py] [--hugo hugo]

It makes the corpus once (make_corpus.py, reused if the folder exists), builds a Hugo site
around the same Markdown files (hard links under content/posts/, a minimal theme-less layout:
a page per article, the home page, tag pages, and RSS from Hugo's embedded template limited to
20 items), and times, interleaved, best of --repeat, each from a cold state:

    hugo      `hugo --quiet`, with no public/ nor resources/ (the full site)
    feeds     `syndicate build --quiet`, limit 20, tag feeds, [site] pages = false
    pages     the same with article and tag pages on

and prints the wall times, the peak RSS and the ratios feeds/hugo (target <= 0.10) and
pages/hugo (target <= 0.25). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

from common import DEFAULT_CORPUS_SCRIPT, corpus, empty_trash, reset, syndicate, timed

SYNDICATE_CASES = {
    "feeds": "[feeds]\nlimit = 20\ntag_feeds = true\n[site]\npages = false\n",
    "pages": "[feeds]\nlimit = 20\ntag_feeds = true\n[site]\npages = true\n",
}

# Theme-less layouts, close to what syndicate writes: an article page with its body, a list page
# (tag, tags, section) naming every article in it, the home page with the newest 20.
LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="{{ site.LanguageCode }}"><head><meta charset="utf-8">
<title>{{ block "title" . }}{{ .Title }} · {{ site.Title }}{{ end }}</title>
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">
{{ end }}</head><body><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.author }} · {{ . }}{{ end }}</p>
{{ .Content }}
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">#{{ .LinkTitle }}</a> {{ end }}</p>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ len .Pages }} articles.</p>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>
{{ end }}</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ site.Title }}</h1>
<ul>{{ range first 20 (where site.RegularPages "Type" "posts") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<p>{{ .Summary }}</p></li>{{ end }}</ul>{{ end }}
""",
}


def hugo_version(hugo: str) -> tuple[int, int, int]:
    out = subprocess.run([hugo, "version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"v(\d+)\.(\d+)\.(\d+)", out)
    if not found:
        raise SystemExit(f"cannot read the version in {out!r}")
    major, minor, patch = (int(g) for g in found.groups())
    return major, minor, patch


def hugo_config(version: tuple[int, int, int]) -> str:
    # `rssLimit` became `[services.rss] limit` in Hugo 0.114.
    new_limit = version >= (0, 114, 0)
    return (
        'baseURL = "https://example.com/"\n'
        'languageCode = "en"\n'
        'title = "Bench"\n'
        + ("" if new_limit else "rssLimit = 20\n")
        + 'disableKinds = ["sitemap", "robotsTXT", "404"]\n'
        "[taxonomies]\n"
        'tag = "tags"\n'
        "[permalinks]\n"
        'posts = "/:year/:month/:day/:slug/"\n'
        "[outputs]\n"
        'home = ["HTML", "RSS"]\n'
        'section = ["HTML", "RSS"]\n'
        'taxonomy = ["HTML"]\n'
        'term = ["HTML", "RSS"]\n'
        + ("[services.rss]\nlimit = 20\n" if new_limit else "")
    )


def make_hugo_site(site: Path, corpus: Path, hugo: str) -> None:
    """A Hugo site whose content/posts/ holds the corpus's files (hard links: the same bytes)."""
    posts = site / "content" / "posts"
    if not posts.is_dir() or len(os.listdir(posts)) != sum(1 for _ in corpus.glob("*.md")):
        shutil.rmtree(site / "content", ignore_errors=True)
        posts.mkdir(parents=True)
        for path in corpus.glob("*.md"):
            try:
                os.link(path, posts / path.name)
            except OSError:
                shutil.copyfile(path, posts / path.name)
    (site / "hugo.toml").unlink(missing_ok=True)
    (site / "config.toml").write_text(hugo_config(hugo_version(hugo)))
    for name, text in LAYOUTS.items():
        target = site / "layouts" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def run_hugo(site: Path, hugo: str) -> tuple[float, int]:
    reset(site, "public", "resources")
    return timed([hugo, "--quiet"], site)


def run_syndicate(site: Path) -> tuple[float, int]:
    reset(site)
    return timed(syndicate("build", "--quiet"), site)


def count_files(root: Path, suffix: str) -> int:
    return sum(1 for _ in root.rglob(f"*{suffix}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/syndicate-vs-hugo")
    ap.add_argument("--corpus-script", default=str(DEFAULT_CORPUS_SCRIPT))
    ap.add_argument("--hugo", default=shutil.which("hugo") or "hugo")
    opts = ap.parse_args()
    if not shutil.which(opts.hugo):
        raise SystemExit("hugo not found: `apt-get install -y hugo` (Debian's package), or pass --hugo PATH.")
    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)
    articles = corpus(work, opts.n, opts.corpus_script)

    hugo_site = work / f"hugo-{opts.n}"
    make_hugo_site(hugo_site, articles, opts.hugo)
    sites = {}
    for case, feeds in SYNDICATE_CASES.items():
        site = work / f"site-{opts.n}-{case}"
        site.mkdir(exist_ok=True)
        (site / "syndicate.toml").write_text(f'[content]\ndir = "{articles}"\n{feeds}')
        sites[case] = site

    best: dict[str, tuple[float, int]] = {}
    for _ in range(opts.repeat):  # interleaved, so that a burst of load hits all alike
        for name, go in (("hugo", lambda: run_hugo(hugo_site, opts.hugo)),
                         ("feeds", lambda: run_syndicate(sites["feeds"])),
                         ("pages", lambda: run_syndicate(sites["pages"]))):
            seconds, mb = go()
            old = best.get(name, (float("inf"), 0))
            best[name] = (min(old[0], seconds), max(old[1], mb))

    empty_trash(work)
    public = hugo_site / "public"
    version = ".".join(map(str, hugo_version(opts.hugo)))
    print(f"{opts.n} articles, best of {opts.repeat}, load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    print(f"hugo {version}: {count_files(public, '.html')} HTML files, {count_files(public, '.xml')} XML files")
    print(f"{'build':<34} {'seconds':>8} {'peak MB':>8} {'x hugo':>7} {'target':>7}")
    hugo_s, hugo_mb = best["hugo"]
    print(f"{'hugo (full site, 20-item RSS)':<34} {hugo_s:>8.2f} {hugo_mb:>8} {1:>7.2f}")
    for name, label, target in (("feeds", "syndicate feeds only (pages off)", 0.10),
                                ("pages", "syndicate with pages", 0.25)):
        seconds, mb = best[name]
        print(f"{label:<34} {seconds:>8.2f} {mb:>8} {seconds / hugo_s:>7.3f} {target:>7.2f}")


if __name__ == "__main__":
    main()
