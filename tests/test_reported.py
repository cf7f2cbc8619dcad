"""A broken article is reported by ``run`` (and ``schedule``) once per change of its content: not by every
pass, not by every rebuild for another article, not again by the pass that makes an issue."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from syndicate.cli import main

from .conftest import write
from .test_scheduler import addresses, article, configure, issues, subscribe, without_the_future_article

BAD_DATE = ("error: content/broken.md, line 3: 'date' is '2026-13-01', not a date. Use YYYY-MM-DD, or "
            "YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.\n")


def run(runner: CliRunner) -> tuple[int, str]:
    result = runner.invoke(main, ["run", "--quiet"])
    return result.exit_code, result.stderr


def test_a_broken_article_is_reported_once_per_change_of_its_content(runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(2))
    assert run(runner) == (0, "")
    broken = write(site / "content" / "broken.md", "---\ntitle: Broken\ndate: 2026-13-01\n---\nBody.\n")
    assert run(runner) == (1, BAD_DATE)
    assert run(runner) == (0, "")
    # Another article: the feeds are rebuilt and an issue is made; the broken one is not said again.
    article(site, "2026-06-01-new.md", "New one", "2026-06-01")
    assert run(runner) == (0, "")
    assert issues(site)[-1] == (2, "New one", 1)
    # Edited, and still broken: said again, once.
    write(broken, "---\ntitle: Broken, edited\ndate: 2026-13-01\n---\nBody.\n")
    assert run(runner) == (1, BAD_DATE)
    assert run(runner) == (0, "")
    # Broken another way: said.
    write(broken, "---\ntitle: Broken\ndate: 2026-06-01\nsummery: typo\n---\nBody.\n")
    code, err = run(runner)
    assert err.startswith("warning: content/broken.md, line 4: unknown key 'summery'."), err
    assert run(runner) == (0, "")
    # Fixed, then broken as at first: said again.
    write(broken, "---\ntitle: Broken\ndate: 2026-06-01\n---\nBody.\n")
    assert run(runner) == (0, "")
    write(broken, "---\ntitle: Broken\ndate: 2026-13-01\n---\nBody.\n")
    assert run(runner) == (1, BAD_DATE)
    # `syndicate build` is how to look: it says it every time.
    assert runner.invoke(main, ["build", "--quiet"]).stderr == BAD_DATE


def test_a_broken_article_present_when_an_issue_is_made_is_reported_once_not_twice(
        runner: CliRunner, site: Path) -> None:
    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"})
    subscribe(site, addresses(2))
    write(site / "content" / "broken.md", "---\ntitle: Broken\ndate: 2026-13-01\n---\nBody.\n")
    assert run(runner) == (1, BAD_DATE)  # the first pass builds, and makes issue #1
    assert [n for n, _, _ in issues(site)] == [1]


def test_the_schedulers_two_jobs_say_a_broken_article_once_between_them(site: Path) -> None:
    """``schedule`` builds in its feeds job, then makes the issue in its newsletter job."""
    from syndicate.config import load_config
    from syndicate.schedule.run import run_once

    without_the_future_article(site)
    configure(site, schedule={"newsletter": "on publish"})
    config = load_config(site / "syndicate.toml")
    subscribe(site, addresses(2))
    write(site / "content" / "broken.md", "---\ntitle: Broken\ndate: 2026-13-01\n---\nBody.\n")
    feeds = run_once(config, newsletter=False)
    assert [str(p) for p in feeds.problems] == [BAD_DATE[len("error: "):-1]]
    news = run_once(config)
    assert [i.number for i in news.created] == [1] and news.problems == []
    article(site, "2026-06-01-new.md", "New one", "2026-06-01")
    assert run_once(config, newsletter=False).problems == [] and run_once(config).problems == []
