"""No file can stop the others: whatever one file's bytes, name, size, nesting or YAML, it costs a
bounded time and memory and gives one clear error naming it; the rest of the site builds, and
``check`` reports exactly what ``build`` does.

The cases are files under tests/data/content/hostile/ (each with a ``.expect`` beside it: its one
problem line, or ``published: TITLE``), and the ones git cannot hold, made here: a file name that is
not UTF-8, links out of the content folder, a FIFO, a file too big.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, write

HOSTILE = DATA / "content" / "hostile"
COMMAND = [sys.executable, "-c", "from syndicate.cli import main; main()"]
NOW = "2026-11-28T12:00:00Z"
GOOD = "2024-01-01-a-good-article.md"


def committed_cases() -> dict[str, str]:
    return {p.name: (HOSTILE / f"{p.name}.expect").read_text(encoding="utf-8").strip()
            for p in sorted(HOSTILE.iterdir()) if p.suffix == ".md"}


def make_site(root: Path) -> tuple[Path, list[str], list[str]]:
    """A site with a good article and every hostile case; (its folder, the errors build must give,
    the titles it must publish)."""
    content = root / "content"
    content.mkdir(parents=True)
    write(root / "syndicate.toml", '[site]\nbase_url = "https://hostile.example.org/"\n'
                                   '[newsletter]\nfull_content = true\nmax_articles = 50\n')
    write(content / GOOD, "---\ntitle: A good article\n---\nIt still publishes.\n")
    errors, titles = [], ["A good article"]
    for name, expect in committed_cases().items():
        shutil.copy(HOSTILE / name, content / name)
        for line in expect.splitlines():  # "published: <title>", or the error or warning it gives
            (titles.append(line.removeprefix("published: ")) if line.startswith("published: ")
             else errors.append(line))
    secret = root / "syndicate.db.secret"
    secret.write_text("the site's secret\n")
    (content / "2024-02-01-secret.md").symlink_to(secret)
    (content / "2024-02-02-passwd.md").symlink_to("/etc/passwd")
    (content / "2024-02-03-zero.md").symlink_to("/dev/zero")
    (content / "2024-02-04-inside.md").symlink_to(content / GOOD.replace("good", "linked"))
    write(content / GOOD.replace("good", "linked"), "---\ntitle: Linked inside\ndate: 2024-01-05\n---\nFine.\n")
    os.mkfifo(content / "2024-02-05-fifo.md")
    with open(content / "2024-02-06-huge.md", "wb") as fh:
        fh.write(b"---\ntitle: Huge\n---\n" + b"x" * (3 * 1024 * 1024))
    os.close(os.open(os.fsencode(content) + b"/2024-02-07-caf\xe9.md", os.O_CREAT | os.O_WRONLY, 0o644))
    titles += ["Linked inside", "Linked inside"]  # the file, and the link to it (a link inside is a file)
    errors += [
        f"error: content/2024-02-01-secret.md: is a symbolic link to {secret}, outside the content folder; only "
        "files inside it are read. It was not read.",
        "error: content/2024-02-02-passwd.md: is a symbolic link to /etc/passwd, outside the content folder; only "
        "files inside it are read. It was not read.",
        "error: content/2024-02-03-zero.md: is a symbolic link to /dev/zero, outside the content folder; only "
        "files inside it are read. It was not read.",
        "error: content/2024-02-05-fifo.md: is a FIFO, not a file; only regular files are read. It was not read.",
        "error: content/2024-02-06-huge.md: is 3.0 MB; an article may be at most 2 MB. It was not read.",
        "error: content/2024-02-07-caf\ufffd.md: its name is not UTF-8 text; rename it (only its letters are shown "
        "here). It was not read.",
    ]
    # The quotes and lists, whole in the email, make it big: said, as for any big issue.
    errors.append("warning: newsletter issue #1: its HTML is N KB; Gmail clips messages over 102 KB, hiding the "
                  "end and the unsubscribe link. Lower [newsletter] max_articles, or set full_content = false.")
    return root, sorted(errors), sorted(titles)


def syndicate(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The timeout is a bound, not a speed test: a file that hangs the build (a FIFO, a billion
    # laughs) would take it forever, and a slow machine takes seconds.
    return subprocess.run([*COMMAND, *args, "--now", NOW], cwd=site, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def problem_lines(stderr: str) -> list[str]:
    lines = (re.sub(r"its HTML is \d+ KB", "its HTML is N KB", line) for line in stderr.splitlines())
    return sorted(line for line in lines if line.startswith(("error: ", "warning: ")))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    return make_site(tmp_path_factory.mktemp("hostile"))


def test_each_hostile_file_is_one_clear_error_and_every_other_article_is_published(hostile_site) -> None:
    site, errors, titles = hostile_site
    built = syndicate(site, "build")
    assert built.returncode == 1, built.stderr
    assert problem_lines(built.stderr) == errors
    feed = json.loads((site / "output" / "feeds" / "feed.json").read_text(encoding="utf-8"))
    assert sorted(item["title"] for item in feed["items"]) == titles
    assert "the site's secret" not in (site / "output" / "feeds" / "feed.json").read_text(encoding="utf-8")
    root = [line for line in (site / "output" / "feeds" / "rss.xml").read_text(encoding="utf-8").splitlines()
            if "root:" in line]
    assert root == []  # nothing of /etc/passwd


def test_check_reports_exactly_what_build_reports(hostile_site) -> None:
    site, errors, _ = hostile_site
    checked = syndicate(site, "check")
    assert checked.returncode == 1
    assert problem_lines(checked.stderr) == errors


def test_deep_nesting_is_flattened_so_the_feed_and_the_whole_email_survive(hostile_site) -> None:
    site, _, _ = hostile_site
    syndicate(site, "build")
    feed = json.loads((site / "output" / "feeds" / "feed.json").read_text(encoding="utf-8"))
    deep = {item["title"]: item["content_html"] for item in feed["items"]}
    assert "The innermost words." in deep["Deep quotes"]
    assert deep["Deep quotes"].count("<blockquote>") == 32
    assert "level 199" in deep["Deep lists"] and "The last paragraph." in deep["Deep lists"]
    divs = deep["Self-closing divs"]
    assert "The words after them." in divs and divs.count("<div>") <= 32
    assert "Before  and  after, A and \U0001f600." in deep["Noncharacters"]  # what no feed may carry, left out
    email = (site / "output" / "newsletters" / "next" / "email.html").read_text(encoding="utf-8")
    for end in ("The last paragraph.", "The innermost words.", "unsubscribe?token=preview", "</html>"):
        assert end in email
