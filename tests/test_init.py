"""``syndicate init`` and ``syndicate new``: a new site and a new article, through the command."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import sys
import time
import tomllib
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import Config, iter_keys, load_config, toml_value

from .conftest import write

NOW = ["--now", "2026-12-01T09:30:00Z"]
SITE = ["--title", "Harbour Notes", "--base-url", "https://notes.example.org/", "--timezone", "Europe/Berlin"]


def init(runner: CliRunner, *args: str) -> object:
    return runner.invoke(main, ["init", *args, *NOW])


def test_init_makes_a_site_with_every_setting_an_example_article_templates_and_a_gitignore(
        runner: CliRunner, tmp_path: Path) -> None:
    result = init(runner, "blog", *SITE)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "Wrote blog/syndicate.toml\nWrote blog/content/2026-12-01-hello-world.md\nWrote blog/templates/README.md\n"
        "Wrote blog/.gitignore\n\nA new site, “Harbour Notes”, in blog. Next:\n  cd blog\n"
        "  syndicate new \"My first article\"\n  syndicate build\n")
    site = Path("blog")
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*")) == [
        ".gitignore", "content", "content/2026-12-01-hello-world.md", "syndicate.toml", "templates",
        "templates/README.md"]
    assert (site / ".gitignore").read_text() == (
        "/output/\n/syndicate.db\n/syndicate.db-*\n/syndicate.db.secret\n/syndicate.db.lock\n")
    assert "`newsletter.html.j2`" in (site / "templates" / "README.md").read_text()
    article = (site / "content" / "2026-12-01-hello-world.md").read_text()
    assert article.startswith("---\ntitle: Hello, world\ndate: 2026-12-01T10:29:00+01:00\n")


def test_the_config_init_writes_holds_every_key_with_its_meaning_and_default_and_loads_as_written(
        runner: CliRunner) -> None:
    init(runner, "blog", *SITE)
    text = Path("blog/syndicate.toml").read_text(encoding="utf-8")
    for section, key, default, doc in iter_keys():
        block = text.split(f"[{section}]\n", 1)[1].split("\n[", 1)[0]
        line = next(l for l in block.splitlines() if l.startswith(f"{key} = "))
        assert line.endswith(f"  # default: {toml_value(default)}"), line
        comment = " ".join(l[2:] for l in block.split(f"\n{key} = ")[0].split("\n") if l.startswith("# "))
        assert comment.endswith(doc), (key, comment)
    config = load_config("blog/syndicate.toml")
    assert (config.site.title, config.site.base_url, config.site.timezone) == (
        "Harbour Notes", "https://notes.example.org/", "Europe/Berlin")
    assert config.newsletter.templates_dir == "templates"
    defaults = Config()
    for section in ("content", "output", "state", "feeds", "delivery", "schedule", "server"):
        assert getattr(config, section) == getattr(defaults, section), section
    assert tomllib.loads(text)["site"]["description"] == defaults.site.description


@pytest.mark.parametrize(("args", "message"), [
    (["--base-url", "/blog/"], "Invalid value for '--base-url': 'site.base_url' is '/blog/', not an absolute "
                               "http(s) URL. Write it like 'https://example.com/'."),
    (["--timezone", "Europe/Berln"], "Invalid value for '--timezone': 'site.timezone' is 'Europe/Berln', not an "
                                     "IANA time zone such as 'Europe/Berlin' or 'UTC'. Did you mean 'Europe/Berlin'?"),
    (["--title", " "], "Invalid value for '--title': 'site.title' is empty. Give the site a name."),
])
def test_init_refuses_a_setting_it_cannot_use_and_writes_nothing(
        runner: CliRunner, args: list[str], message: str) -> None:
    result = init(runner, "blog", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert not Path("blog").exists()


def test_init_never_overwrites_a_file_and_says_which(runner: CliRunner) -> None:
    write(Path("blog/syndicate.toml"), "# mine\n")
    write(Path("blog/templates/README.md"), "mine too\n")
    result = init(runner, "blog", *SITE)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: blog/syndicate.toml, blog/templates/README.md already exist; nothing was "
                             "written. Move it away, or choose another folder or title.\n")
    assert Path("blog/syndicate.toml").read_text() == "# mine\n"
    assert not Path("blog/content").exists() and not Path("blog/.gitignore").exists()


def test_init_in_a_folder_with_a_gitignore_adds_only_the_lines_it_lacks(runner: CliRunner) -> None:
    write(Path(".gitignore"), "*.pyc\n/output/")
    result = init(runner, *SITE)
    assert result.exit_code == 0, result.output
    assert "in this folder. Next:\n  syndicate new" in result.stdout
    assert Path(".gitignore").read_text() == (
        "*.pyc\n/output/\n/syndicate.db\n/syndicate.db-*\n/syndicate.db.secret\n/syndicate.db.lock\n")


def test_init_without_a_terminal_takes_the_defaults_and_says_what_to_set(runner: CliRunner) -> None:
    result = init(runner, "blog")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Before you publish, set [site] base_url in syndicate.toml to your site's "
                                  "address.\n")
    config = load_config("blog/syndicate.toml")
    assert (config.site.title, config.site.base_url, config.site.timezone) == ("My Site", "https://example.com/", "UTC")


def _talk(args: list[str], answers: list[tuple[str, str]], cwd: Path) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, typing each answer after its prompt appears."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        os.chdir(cwd)
        os.execv(sys.executable, [sys.executable, "-c", "from syndicate.cli import main; main()", *args])
    seen = b""
    deadline = time.monotonic() + 30
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if pending and pending[0][0].encode() in seen.rsplit(b"\n", 1)[-1]:
            os.write(fd, pending.pop(0)[1].encode() + b"\r")
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:  # still waiting for an answer that never came
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace").replace("\r\n", "\n")


def test_init_on_a_terminal_asks_for_the_three_settings_and_asks_again_after_a_bad_answer(tmp_path: Path) -> None:
    code, screen = _talk(["init", "blog", *NOW], [
        ("The site's name [My Site]:", "Harbour Notes"),
        ("served from [https://example.com/]:", "notes.example.org"),
        ("served from [https://example.com/]:", "https://notes.example.org/"),
        ("Europe/Berlin) [UTC]:", ""),
    ], tmp_path)
    assert code == 0, screen
    assert "Error: 'site.base_url' is 'notes.example.org', not an absolute http(s) URL." in screen
    config = load_config(tmp_path / "blog" / "syndicate.toml")
    assert (config.site.title, config.site.base_url, config.site.timezone) == (
        "Harbour Notes", "https://notes.example.org/", "UTC")


def new(runner: CliRunner, *args: str) -> object:
    return runner.invoke(main, ["new", *args, *NOW])


def test_new_writes_a_dated_article_with_its_front_matter_and_prints_its_path(runner: CliRunner) -> None:
    init(runner, "blog", *SITE)
    os.chdir("blog")
    result = new(runner, 'Ferry "Aurora": a first trip', "--tags", "harbour, ferries,,")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "content/2026-12-01-ferry-aurora-a-first-trip.md\n"
    assert Path(result.stdout.strip()).read_text() == (
        '---\ntitle: "Ferry \\"Aurora\\": a first trip"\ndate: 2026-12-01T10:30:00+01:00\n'
        'tags: ["harbour", "ferries"]\n---\n\nWrite the article here, in Markdown.\n')


def test_new_refuses_to_overwrite_and_to_make_a_nameless_file(runner: CliRunner) -> None:
    init(runner, "blog", *SITE)
    os.chdir("blog")
    path = Path(new(runner, "Hello again").stdout.strip())
    path.write_text("edited\n")
    again = new(runner, "Hello again")
    assert (again.exit_code, again.stdout) == (2, "")
    assert again.stderr == ("Error: content/2026-12-01-hello-again.md already exists; nothing was written. "
                            "Move it away, or choose another folder or title.\n")
    assert path.read_text() == "edited\n"
    nameless = new(runner, "!!!")
    assert nameless.exit_code == 2
    assert "Invalid value for 'TITLE': '!!!' gives an empty file name. Use a title with letters or digits." in \
        " ".join(nameless.stderr.split())


def test_init_then_new_then_build_publishes_the_new_article_in_every_feed(runner: CliRunner) -> None:
    assert init(runner, "blog", *SITE).exit_code == 0
    os.chdir("blog")
    assert new(runner, "Ferry timetable", "--tags", "harbour").exit_code == 0
    assert new(runner, "Not yet", "--draft").exit_code == 0
    text = new(runner, "Scraped notes", "--txt", "--tags", "harbour, notes")
    assert Path(text.stdout.strip()).read_text().startswith(
        "Date: 2026-12-01T10:30:00+01:00\nTags: harbour, notes\n\nScraped notes\n\n")
    built = runner.invoke(main, ["build", "--now", "2026-12-01T09:31:00Z"])
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith("Read 4 article files: 3 published (1 draft held back);")
    assert built.stderr == ""
    items = json.loads(Path("output/feeds/feed.json").read_text())["items"]
    assert sorted(i["title"] for i in items) == ["Ferry timetable", "Hello, world", "Scraped notes"]
    for name in ("rss.xml", "atom.xml"):
        feed = feedparser.parse(Path("output/feeds") / name)
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert feed.feed.title == "Harbour Notes"
        assert sorted(e.title for e in feed.entries) == ["Ferry timetable", "Hello, world", "Scraped notes"]
        links = {e.title: e.link for e in feed.entries}
        assert links["Ferry timetable"] == "https://notes.example.org/2026/12/ferry-timetable/"
    harbour = feedparser.parse(Path("output/feeds/tags/harbour/atom.xml"))
    assert sorted(e.title for e in harbour.entries) == ["Ferry timetable", "Scraped notes"]
    check = runner.invoke(main, ["check", "--now", "2026-12-01T09:31:00Z"])
    assert check.exit_code == 0 and "no problems" in check.stdout


def test_new_puts_the_article_where_the_config_says_and_dates_it_in_the_sites_zone(runner: CliRunner) -> None:
    write(Path("syndicate.toml"), '[site]\ntimezone = "Pacific/Auckland"\n[content]\ndir = "posts"\n')
    result = runner.invoke(main, ["new", "Late night", "--now", "2026-12-01T12:30:00Z"])
    assert result.stdout == "posts/2026-12-02-late-night.md\n"
    assert "date: 2026-12-02T01:30:00+13:00\n" in Path("posts/2026-12-02-late-night.md").read_text()


def test_the_readme_configuration_table_is_the_one_the_code_documents() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = "\n".join(f"| `{s}.{k}` | `{toml_value(d)}` | {doc} |" for s, k, d, doc in iter_keys())
    assert table in readme
    assert re.search(r"^\| `\w+\.\w+` \|", readme.split(table)[1], re.M) is None
