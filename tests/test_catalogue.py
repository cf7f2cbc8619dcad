"""A build after a few files changed, on a site without article pages, reads only those files
and plans the feeds from the catalogue the last build left (``feeds.catalogue``): what it writes
and says is byte for byte what a build that reads every file writes and says, through a long run
of random changes of every kind (dates, tags and their spellings, drafts, scheduled and expired
articles, duplicates, broken files, deletions, additions, issues made), with feeds short enough
that their reserves run out."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.content import cache
from syndicate.feeds import catalogue

from .test_incremental import tree, without_cache

TAGS = ["Python", "python", "Café", "cafe", "rust", "go", "web", "ops"]
NOW = "2026-06-01T12:00:00Z"
SEEDS = [1, 2, 3]


def article(n: int, rng: random.Random, **fields: str) -> str:
    tags = ", ".join(f'"{t}"' for t in rng.sample(TAGS, rng.randint(0, 3)))
    day = fields.pop("date", f"2026-{rng.randint(1, 5):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z")
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return (f"---\ntitle: \"Article {n}\"\nslug: a-{n}\ndate: {day}\ntags: [{tags}]\n{extra}---\n\n"
            f"Body of {n}, version {rng.random()}.\n")


def build(site: Path, monkeypatch: pytest.MonkeyPatch, now: str = NOW) -> str:
    monkeypatch.chdir(site)
    result = CliRunner().invoke(main, ["build", "--now", now])
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "syndicate.toml").write_text(
        '[site]\ntitle = "Small"\nbase_url = "https://small.example/"\npages = false\n'
        "[feeds]\nlimit = 3\n[newsletter]\nmax_articles = 2\n")
    rng = random.Random(7)
    for n in range(40):
        (site / "content" / f"a-{n:02d}.md").write_text(article(n, rng))
    return site


def change(site: Path, rng: random.Random, step: int) -> str:
    """One random change to the content (or an issue made); says which."""
    content = site / "content"
    for duplicate in content.glob("dup-*.md"):  # the duplicate of the step before goes
        duplicate.unlink()
    files = sorted(content.glob("*.md"))
    target = rng.choice(files)
    n = 100 + step
    kind = rng.choice(["edit", "redate", "retag", "delete", "add", "draft", "future", "expired", "expires later",
                       "duplicate", "broken", "newest", "touch", "two at once", "issue",
                       "expires before its time"])
    if kind == "edit":
        target.write_text(target.read_text() + "\nOne more line.\n")
    elif kind == "redate":
        text = target.read_text().split("\n")
        text[3] = f"date: 2026-0{rng.randint(1, 5)}-{rng.randint(10, 28)}T08:00:00Z"
        target.write_text("\n".join(text))
    elif kind == "retag":
        text = target.read_text().split("\n")
        text[4] = f"tags: [{', '.join(repr(t) for t in rng.sample(TAGS, rng.randint(0, 3)))}]"
        target.write_text("\n".join(text))
    elif kind == "delete":
        target.unlink()
    elif kind == "add":
        (content / f"b-{n}.md").write_text(article(n, rng))
    elif kind == "draft":
        target.write_text(target.read_text().replace("---\n\n", "draft: true\n---\n\n", 1))
    elif kind == "future":
        (content / f"b-{n}.md").write_text(article(n, rng, date="2026-06-01T12:30:00Z"))
    elif kind == "expired":
        target.write_text(target.read_text().replace("---\n\n", "expiryDate: 2026-05-31T00:00:00Z\n---\n\n", 1))
    elif kind == "expires before its time":  # scheduled, then held back as expired before it is out
        (content / f"b-{n}.md").write_text(article(n, rng, date="2026-06-01T12:40:00Z",
                                                   expiryDate="2026-06-01T12:35:00Z"))
    elif kind == "expires later":
        target.write_text(target.read_text().replace("---\n\n", "expiryDate: 2026-06-01T13:00:00Z\n---\n\n", 1))
    elif kind == "duplicate":  # another file with the slug of this one: one is left out, until it goes
        slug = target.read_text().split("\n")[2].removeprefix("slug: ")
        (content / f"dup-{n}.md").write_text(article(n, rng).replace(f"slug: a-{n}", f"slug: {slug}"))
    elif kind == "broken":
        target.write_text("---\ntitle: [unclosed\n---\nbody\n")
    elif kind == "newest":
        (content / f"b-{n}.md").write_text(article(n, rng, date="2026-05-31T23:00:00Z"))
    elif kind == "touch":
        target.touch()
    elif kind == "two at once":
        target.write_text(target.read_text() + "\nEdited.\n")
        (content / f"b-{n}.md").write_text(article(n, rng))
    elif kind == "issue":
        result = CliRunner().invoke(main, ["newsletter", "--now", "2026-06-01T12:10:00Z"])
        assert result.exit_code in (0, 1), result.output
    return kind


@pytest.mark.parametrize("seed", SEEDS)
def test_builds_from_the_catalogue_write_what_builds_reading_everything_write(
        small_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    monkeypatch.setattr(catalogue, "RESERVE", 2)  # so that the lists run short, and are filled again
    followed = []
    real_update = catalogue.update

    def update(*args: object, **kwargs: object) -> catalogue.Catalogue | None:
        made = real_update(*args, **kwargs)  # type: ignore[arg-type]
        followed.append(made is not None)
        return made

    monkeypatch.setattr(catalogue, "update", update)
    rng = random.Random(seed)
    build(small_site, monkeypatch)
    for step in range(30):
        monkeypatch.chdir(small_site)
        kind = change(small_site, rng, step)
        copy = without_cache(small_site, tmp_path)
        now = f"2026-06-01T12:{20 + step:02d}:00Z"
        said, fresh = build(small_site, monkeypatch, now), build(copy, monkeypatch, now)
        if "Nothing changed" not in said:  # (the copy, which forgot its last build, always builds)
            assert said == fresh, f"step {step}: {kind}"
        assert tree(small_site / "output") == tree(copy / "output"), f"step {step}: {kind}"
    assert sum(followed) >= 20, followed  # most changes are followed, not read again in full


def test_a_build_after_one_edit_loads_only_the_kept_parses_its_feeds_need(
        small_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(small_site, monkeypatch)
    loaded = []
    real_load = cache.load
    monkeypatch.setattr(cache, "load", lambda *a: loaded.append(a) or real_load(*a))
    path = small_site / "content" / "a-05.md"
    path.write_text(path.read_text() + "\nEdited.\n")
    output = build(small_site, monkeypatch, "2026-06-01T13:00:00Z")
    assert "Read 40 article files" in output
    assert len(loaded) < 40 / 2, len(loaded)  # the edited file is read; of the 39 others, only a feed's


def test_a_build_at_an_earlier_now_reads_everything(small_site: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    build(small_site, monkeypatch, "2026-06-01T13:00:00Z")
    (small_site / "content" / "b-1.md").write_text(article(1, random.Random(1), date="2026-06-01T12:30:00Z"))
    copy = without_cache(small_site, tmp_path)
    earlier = "2026-06-01T12:00:00Z"  # the new article is not out yet at this time
    assert build(small_site, monkeypatch, earlier) == build(copy, monkeypatch, earlier)
    assert tree(small_site / "output") == tree(copy / "output")


def same_as_reading_everything(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: str) -> str:
    """The build's summary, which is that of a build that reads every file (and so are its files)."""
    copy = without_cache(site, tmp_path)
    said = build(site, monkeypatch, now)
    assert said == build(copy, monkeypatch, now)
    assert tree(site / "output") == tree(copy / "output")
    return said


def test_an_article_that_expires_before_its_time_comes_is_counted_expired_then(
        small_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write = (small_site / "content" / "later.md").write_text
    write("---\ntitle: Later\ndate: 2026-06-10T00:00:00Z\nexpiryDate: 2026-06-05T00:00:00Z\n---\n\nBody.\n")
    build(small_site, monkeypatch, "2026-06-01T12:00:00Z")
    edited = small_site / "content" / "a-01.md"
    edited.write_text(edited.read_text() + "\nEdited.\n")
    assert "1 expired" in same_as_reading_everything(small_site, tmp_path, monkeypatch, "2026-06-06T12:00:00Z")


def test_names_that_show_alike_are_two_files(small_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = bytes(small_site / "content")
    with open(content + b"/x\xff.md", "wb") as fh:
        fh.write(b"---\ntitle: X\n---\n")
    build(small_site, monkeypatch)
    with open(content + b"/x\xfe.md", "wb") as fh:  # shown as x\ufffd.md too
        fh.write(b"---\ntitle: X\n---\n")
    same_as_reading_everything(small_site, tmp_path, monkeypatch, "2026-06-01T12:10:00Z")


def test_a_covered_article_edited_frees_its_copy_for_the_next_issue(
        small_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = small_site / "content"
    same = "---\ntitle: Same\ndate: 2026-05-30T10:00:00Z\n---\n\nSame body.\n"
    (content / "same.md").write_text(same)
    build(small_site, monkeypatch)
    result = CliRunner().invoke(main, ["newsletter", "--now", "2026-06-01T12:01:00Z"])
    assert result.exit_code == 0, result.output
    build(small_site, monkeypatch, "2026-06-01T12:02:00Z")
    (content / "copy.md").write_text(same)  # its bytes are a covered article's: not new to the newsletter
    same_as_reading_everything(small_site, tmp_path, monkeypatch, "2026-06-01T12:03:00Z")
    (content / "same.md").write_text(same + "Edited.\n")  # now they are nobody's: the copy is new
    same_as_reading_everything(small_site, tmp_path, monkeypatch, "2026-06-01T12:04:00Z")
    (content / "old.md").write_text(article(99, random.Random(0), date="2026-04-01T10:00:00Z"))
    same_as_reading_everything(small_site, tmp_path, monkeypatch, "2026-06-01T12:05:00Z")
