"""The `syndicate` command: summaries, exit codes, incremental builds, help."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate import __version__
from syndicate.cli import main

from .conftest import REPO, write

NOW = ["--now", "2026-11-28T12:00:00Z"]


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"syndicate, version {__version__}\n"


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        ([], "Build RSS, Atom and JSON feeds (and newsletters) from a folder of articles."),
        (["build"], "Build the feeds from the content folder into the output folder."),
        (["check"], "Check the config and every article; write nothing."),
    ],
)
def test_help_says_what_each_command_does(runner: CliRunner, args: list[str], expect: str) -> None:
    result = runner.invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert expect in result.output
    assert "-h, --help" in result.output


def test_help_works_even_with_a_broken_config(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "syndicate.toml", "this is not toml")
    assert runner.invoke(main, ["build", "--help"]).exit_code == 0


def test_build_prints_a_one_line_summary_and_writes_the_feeds(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Read 7 article files: 5 published (1 draft, 1 scheduled held back); "
        "wrote 24 feed files to output/feeds and 14 pages to output (43 files changed); next newsletter "
        "(issue #1, 5 articles) "
        "in output/newsletters/next/email.html; 0 problems.\n"
    )
    assert result.stderr == ""
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert (site / "output" / "feeds" / name).stat().st_size > 1000
        assert (site / "output" / "feeds" / "tags" / "news" / name).is_file()
    assert (site / "syndicate.db").is_file()


def test_a_second_build_with_nothing_changed_writes_nothing(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    before = mtimes(site / "output")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0
    assert result.stdout == "Nothing changed: 5 articles published, 24 feed files up to date in output/feeds; 0 problems.\n"
    assert mtimes(site / "output") == before


def test_a_changed_article_rewrites_only_the_feeds_that_carry_it(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    before = mtimes(site / "output")
    story = site / "content" / "2026-04-01-news-story.txt"
    story.write_text(story.read_text().replace("180 passengers", "200 passengers"))
    result = runner.invoke(main, ["build", *NOW])
    assert "(10 files changed)" in result.stdout  # 9 feed files and the article's page
    after = mtimes(site / "output")
    changed = sorted(p for p in after if after[p] != before[p])
    # The main, news and local feeds, three formats each, and the article's page. The newsletter
    # preview, the home page and the tag pages show the first paragraph only, which did not
    # change, so they are not rewritten.
    assert changed == sorted([
        *(f"feeds/{folder}{name}" for folder in ("", "tags/news/", "tags/local/")
          for name in ("rss.xml", "atom.xml", "feed.json")),
        "2026/04/news-story/index.html"])


def test_touching_a_file_without_changing_it_rewrites_nothing(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    before = mtimes(site / "output")
    os.utime(site / "content" / "2026-03-10-features.md")
    result = runner.invoke(main, ["build", *NOW])
    assert "(0 files changed)" in result.stdout
    assert mtimes(site / "output") == before


def test_a_deleted_output_folder_is_written_again(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    shutil.rmtree(site / "output")
    result = runner.invoke(main, ["build", *NOW])
    assert "(43 files changed)" in result.stdout
    assert (site / "output" / "feeds" / "rss.xml").is_file()


def test_a_scheduled_article_is_published_by_the_first_build_after_its_time(
        runner: CliRunner, site: Path, wall_clock) -> None:
    runner.invoke(main, ["build", *NOW])
    wall_clock("2027-01-01T00:00:01Z")
    assert "From the future" not in (site / "output" / "feeds" / "rss.xml").read_text()
    result = runner.invoke(main, ["build", "--now", "2027-01-01T00:00:01Z"])
    assert result.stdout.startswith("Read 7 article files: 6 published (1 draft held back);")
    assert "From the future" in (site / "output" / "feeds" / "rss.xml").read_text()


def test_a_build_where_every_article_fails_keeps_the_live_feeds(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    feeds = {p: p.read_bytes() for p in (site / "output" / "feeds").rglob("*") if p.is_file()}
    for path in (site / "content").rglob("*.*"):
        path.write_bytes(b"\xff broken by a bulk edit\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("error: content: no article could be published, so the feeds of the "
                                              "last build were kept as they are. Fix the errors above and build "
                                              "again.")
    assert {p: p.read_bytes() for p in (site / "output" / "feeds").rglob("*") if p.is_file()} == feeds
    # Once one article is right again, the feeds are built from what can be published.
    write(site / "content" / "2026-11-01-fixed.md", "---\ntitle: Fixed\n---\nBack.\n")
    again = runner.invoke(main, ["build", *NOW])
    assert "Fixed" in (site / "output" / "feeds" / "rss.xml").read_text()
    assert again.stdout.startswith("Read 8 article files: 1 published;")


def test_an_emptied_content_folder_keeps_the_live_feeds_unless_allowed(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    rss = (site / "output" / "feeds" / "rss.xml").read_bytes()
    moved = shutil.move(site / "content", site / "content-elsewhere")
    (site / "content").mkdir()  # a mount that did not come up
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: content: has no article, though the last build published 5, so its feeds were kept as they are. "
        "If you emptied it on purpose, run 'syndicate build --allow-empty'.")
    assert (site / "output" / "feeds" / "rss.xml").read_bytes() == rss
    emptied = runner.invoke(main, ["build", "--allow-empty", *NOW])
    assert emptied.exit_code == 0, emptied.output
    assert "<item>" not in (site / "output" / "feeds" / "rss.xml").read_text()
    assert moved


def test_an_article_past_its_expiry_date_leaves_the_feeds_at_the_next_build(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "2026-11-20-offer.md",
          "---\ntitle: Limited offer\nexpiryDate: 2026-11-29\n---\nSoon gone.\n")
    first = runner.invoke(main, ["build", *NOW])
    assert "Limited offer" in (site / "output" / "feeds" / "rss.xml").read_text()
    assert first.stdout.startswith("Read 8 article files: 6 published (1 draft, 1 scheduled held back);")
    after = runner.invoke(main, ["build", "--now", "2026-11-29T00:00:01Z"])  # not "nothing changed"
    assert after.stdout.startswith("Read 8 article files: 5 published (1 draft, 1 scheduled, 1 expired held back);")
    assert "Limited offer" not in (site / "output" / "feeds" / "rss.xml").read_text()


@pytest.mark.parametrize("command", ["build", "newsletter"])
def test_a_now_later_than_the_clock_is_refused_so_no_embargoed_article_goes_live(
        runner: CliRunner, site: Path, wall_clock, command: str) -> None:
    wall_clock("2026-12-31T00:00:00Z")
    result = runner.invoke(main, [command, "--now", "2027-01-01T00:00:01Z"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "Invalid value for '--now': 2027-01-01T00:00:01+00:00 is in the future: this command writes the live " \
           "output/, where articles scheduled until then would be published early. To see what would be " \
           "published, run: syndicate check --now 2027-01-01T00:00:01Z" in " ".join(result.stderr.split())
    assert not (site / "output").exists()
    check = runner.invoke(main, ["check", "--now", "2027-01-01T00:00:01Z"])  # a preview writes nothing
    assert check.exit_code == 0 and "6 would be published" in check.stdout
    assert not (site / "output").exists()
    # A plain build afterwards builds at the clock: the embargoed article is not published.
    plain = runner.invoke(main, ["build"])
    assert plain.exit_code == 0, plain.output
    assert "From the future" not in (site / "output" / "feeds" / "rss.xml").read_text()


def test_a_removed_tag_loses_its_feeds(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    assert (site / "output" / "feeds" / "tags" / "security").is_dir()
    unsafe = site / "content" / "2026-02-01-unsafe.md"
    unsafe.write_text(unsafe.read_text().replace("tags: [security]", "tags: [news]"))
    result = runner.invoke(main, ["build", *NOW])
    assert ", 4 removed)" in result.stdout  # its three feeds and its page
    assert not (site / "output" / "feeds" / "tags" / "security").exists()
    assert not (site / "output" / "tags" / "security").exists()


def test_quiet_prints_nothing_when_all_is_well(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["build", "--quiet", *NOW])
    assert result.exit_code == 0
    assert result.output == ""


def test_a_broken_article_is_reported_and_the_rest_is_built(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "broken.md", "---\ntitle: Broken\ndate: 2024-13-01\n---\nBody.\n")
    result = runner.invoke(main, ["build", "--quiet", *NOW])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: content/broken.md, line 3: 'date' is '2024-13-01', not a date. Use YYYY-MM-DD, "
        "or YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.\n"
    )
    assert "Markdown features" in (site / "output" / "feeds" / "rss.xml").read_text()
    # Still broken on the next run: cron keeps hearing about it.
    again = runner.invoke(main, ["build", *NOW])
    assert again.exit_code == 1
    assert "content/broken.md, line 3" in again.stderr
    assert again.stdout.startswith("Nothing changed")


def test_a_warning_does_not_fail_the_build_unless_strict(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "typo.md", "---\ntitle: Typo\ndate: 2026-06-01\nsummery: oops\n---\nBody.\n")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0
    assert result.stderr == "warning: content/typo.md, line 4: unknown key 'summery'. Did you mean 'summary'?\n"
    assert ">Typo<" in (site / "output" / "feeds" / "rss.xml").read_text()
    strict = runner.invoke(main, ["build", "--strict", *NOW])
    assert strict.exit_code == 1
    assert strict.stderr.startswith("error: content/typo.md, line 4: unknown key 'summery'.")
    assert ">Typo<" not in (site / "output" / "feeds" / "rss.xml").read_text()


def test_check_writes_nothing_and_reports_problems(runner: CliRunner, site: Path) -> None:
    write(site / "content" / "broken.md", "---\ntitle: [unclosed\n---\n")
    result = runner.invoke(main, ["check", *NOW])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: content/broken.md, line 2: front matter is not valid YAML: did not find expected ',' "
        "or ']' (while parsing a flow sequence started on this line). Quote values that hold ':' or '#'.\n")
    assert result.stdout == "Checked 8 article files: 5 would be published, 1 draft, 1 scheduled; 1 problem.\n"
    assert not (site / "output").exists()
    assert not (site / "syndicate.db").exists()


def test_check_of_a_clean_site_exits_0(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["check", *NOW])
    assert result.exit_code == 0
    assert result.stdout.endswith("; no problems.\n")


def test_a_missing_content_folder_is_a_clear_error(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: the content folder 'content' does not exist. Create it, or set "
                             "[content] dir in syndicate.toml.\n")


def test_a_bad_now_is_a_usage_error(runner: CliRunner, site: Path) -> None:
    result = runner.invoke(main, ["build", "--now", "tomorrow"])
    assert result.exit_code == 2
    assert "'tomorrow' is not a date-time. Use e.g. 2025-01-31T08:00:00+01:00." in result.stderr


def test_config_option_points_at_another_file(runner: CliRunner, site: Path) -> None:
    write(site / "other.toml", '[site]\ntitle = "Other"\nbase_url = "https://other.example/"\n[output]\ndir = "out2"\n')
    result = runner.invoke(main, ["--config", "other.toml", "build", *NOW])
    assert result.exit_code == 0
    assert "<title>Other</title>" in (site / "out2" / "feeds" / "rss.xml").read_text()


def test_the_sample_site_builds_out_of_the_box(tmp_path: Path) -> None:
    """The README's first command: the installed console script on the sample content."""
    shutil.copytree(REPO / "content", tmp_path / "content")
    exe = shutil.which("syndicate")
    cmd = [exe] if exe else [sys.executable, "-c", "from syndicate.cli import main; main()"]
    result = subprocess.run([*cmd, "build"], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "SYNDICATE_NOW": "2026-11-28T12:00:00Z"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Read 7 article files: 5 published (1 draft, 1 scheduled held back);")
    feeds = tmp_path / "output" / "feeds"
    assert {p.name for p in feeds.iterdir()} == {"rss.xml", "atom.xml", "feed.json", "tags"}
    rss = (feeds / "rss.xml").read_text()
    # The sample shows every feature: .txt and .md, CJK and emoji, an image, a code block.
    assert "Harbour council approves new electric ferry" in rss
    assert "東京の朝 🌅" in rss
    assert 'enclosure url="https://example.com/images/zurich-cafe.jpg"' in rss
    assert "language-python" in rss
    assert "Plans for the newsletter" not in rss and "Looking ahead to 2030" not in rss


def test_a_renamed_file_keeps_the_id_it_was_first_given(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    old = site / "content" / "2026-02-01-unsafe.md"
    old.rename(site / "content" / "2026-02-01-sanitized.md")
    checked = runner.invoke(main, ["check", *NOW])
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0 and checked.exit_code == 0
    assert result.stderr == checked.stderr == ""
    items = {i["url"]: i["id"] for i in json.loads((site / "output/feeds/feed.json").read_text())["items"]}
    # The link follows the new name; the id readers know it by does not.
    assert items["https://blog.example.org/2026/02/sanitized/"] == "tag:blog.example.org,2026-02-01:unsafe"


def test_a_renamed_file_that_keeps_its_id_is_no_problem(runner: CliRunner, site: Path) -> None:
    runner.invoke(main, ["build", *NOW])
    old = site / "content" / "2026-03-10-features.md"  # has an explicit id
    old.rename(site / "content" / "2026-03-10-markdown.md")
    result = runner.invoke(main, ["build", *NOW])
    assert result.exit_code == 0
    assert result.stderr == ""


def _modules_loaded_by(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    """Run ``syndicate ARGS`` in a fresh interpreter: its exit code, and the modules it loaded."""
    code = ("import sys\nfrom syndicate.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    code = e.code or 0\nprint('\\n'.join(sorted(sys.modules)), file=sys.stderr)\nsys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    return proc.returncode, set(proc.stderr.split())


RENDERING = {"jinja2", "feedgen", "lxml", "premailer", "cmarkgfm", "nh3", "yaml", "multiprocessing", "httpx",
             "syndicate.feeds.make", "syndicate.web", "syndicate.delivery"}


def test_a_build_with_nothing_changed_loads_none_of_the_rendering(site: Path) -> None:
    code, first = _modules_loaded_by(["build", "--quiet"], site)
    assert code == 0 and {"jinja2", "feedgen", "syndicate.feeds.make"} <= first  # the first build renders
    code, again = _modules_loaded_by(["build", "--quiet"], site)
    assert code == 0
    assert not any(m == name or m.startswith(name + ".") for m in again for name in RENDERING), \
        sorted(m for m in again if m.split(".")[0] in {n.split(".")[0] for n in RENDERING})


def test_every_command_is_listed_and_loads_when_asked_for(runner: CliRunner) -> None:
    listed = runner.invoke(main, ["--help"]).output
    for name in ("build", "check", "init", "new", "newsletter", "run", "schedule", "send", "serve", "sources",
                 "state", "status", "subscribers", "worker"):
        assert f"\n  {name} " in listed
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and result.output.startswith(f"Usage: main {name} [OPTIONS]")
