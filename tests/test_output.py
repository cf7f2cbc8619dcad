"""The writer: files stay inside output/, are replaced atomically, and only when changed."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from syndicate.errors import SyndicateError
from syndicate.output import Writer


def test_a_new_file_is_written_and_counted_as_changed(tmp_path: Path) -> None:
    writer = Writer(tmp_path / "out")
    assert writer.write("feeds/rss.xml", b"<rss/>") is True
    assert (tmp_path / "out" / "feeds" / "rss.xml").read_bytes() == b"<rss/>"
    assert writer.changed == ["feeds/rss.xml"]
    assert writer.written == {"feeds/rss.xml": 6}


def test_parts_are_written_one_after_another(tmp_path: Path) -> None:
    Writer(tmp_path).write("a.txt", [b"one ", b"two ", b"three"])
    assert (tmp_path / "a.txt").read_bytes() == b"one two three"


def test_the_same_bytes_are_not_rewritten_and_the_mtime_stays(tmp_path: Path) -> None:
    Writer(tmp_path).write("a.xml", b"same bytes")
    target = tmp_path / "a.xml"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    writer = Writer(tmp_path)
    assert writer.write("a.xml", [b"same ", b"bytes"]) is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert writer.changed == []


def test_changed_bytes_of_the_same_size_are_rewritten(tmp_path: Path) -> None:
    Writer(tmp_path).write("a.xml", b"aaaa")
    assert Writer(tmp_path).write("a.xml", b"aaab") is True
    assert (tmp_path / "a.xml").read_bytes() == b"aaab"


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    writer = Writer(tmp_path)
    writer.write("feeds/a.xml", b"x")
    writer.write("feeds/b.xml", b"y")
    assert sorted(p.name for p in (tmp_path / "feeds").iterdir()) == ["a.xml", "b.xml"]


def test_a_path_written_twice_in_one_build_is_refused(tmp_path: Path) -> None:
    writer = Writer(tmp_path)
    writer.write("feeds/tags/c/rss.xml", b"1")
    with pytest.raises(SyndicateError, match="feeds/tags/c/rss.xml would be written twice in one build."):
        writer.write("feeds/tags/c/rss.xml", b"2")


@pytest.mark.parametrize("rel", ["../escape.xml", "feeds/../../escape.xml", "/etc/escape.xml"])
def test_a_path_outside_the_output_folder_is_refused(tmp_path: Path, rel: str) -> None:
    writer = Writer(tmp_path / "out")
    with pytest.raises(SyndicateError, match="outside"):
        writer.write(rel, b"x")
    assert not (tmp_path / "escape.xml").exists()


def test_a_sibling_folder_with_the_same_prefix_is_outside(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(SyndicateError, match="outside"):
        Writer(tmp_path / "out").write("../out_sibling/x.xml", b"x")


def test_a_symlink_out_of_the_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "feeds").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SyndicateError, match="outside"):
        Writer(tmp_path / "out").write("feeds/rss.xml", b"x")
    assert not (tmp_path / "elsewhere" / "rss.xml").exists()


def test_stale_files_of_an_earlier_build_are_removed_with_their_empty_folders(tmp_path: Path) -> None:
    first = Writer(tmp_path)
    first.write("feeds/rss.xml", b"1")
    first.write("feeds/tags/old/rss.xml", b"1")
    (tmp_path / "mine.html").write_text("a file syndicate did not write")
    second = Writer(tmp_path)
    second.write("feeds/rss.xml", b"1")
    assert second.remove_stale(first.written) == ["feeds/tags/old/rss.xml"]
    assert not (tmp_path / "feeds" / "tags").exists()
    assert (tmp_path / "mine.html").exists()
    assert (tmp_path / "feeds" / "rss.xml").exists()


def test_an_output_folder_that_cannot_be_written_is_one_clear_line_from_the_command(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from syndicate.cli import main

    from .conftest import DATA

    site = tmp_path / "site"
    shutil.copytree(DATA / "site", site)
    (site / "output").mkdir()
    (site / "output" / "feeds").write_text("a file where the feeds folder goes")
    result = CliRunner().invoke(main, ["--config", str(site / "syndicate.toml"), "build", "--now",
                                       "2026-11-28T12:00:00Z"])
    assert isinstance(result.exception, SystemExit), result.exception  # not a NotADirectoryError traceback
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert re.fullmatch(re.escape(f"Error: cannot write {site}/output/feeds/") + r"\S+ \((File exists|Not a "
                        r"directory)\)\. " + re.escape(f"Check that the output folder {site}/output can be written "
                                                       "to and that the disk has room; the files written before "
                                                       "are whole."), line), line


@pytest.mark.parametrize("stream_above", [10**9, 5], ids=["held", "streamed"])
def test_parts_made_as_they_are_read_are_written_only_when_they_differ(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream_above: int) -> None:
    """A file given as a generator of parts (a feed of every article, hundreds of MB) is written as
    it comes past STREAM_ABOVE bytes, compared with the file on disk on the way: the same bytes
    leave the file (and its mtime) as it was; a change anywhere, or a shorter or longer file, replaces it."""
    import syndicate.output as output

    monkeypatch.setattr(output, "STREAM_ABOVE", stream_above)
    target = tmp_path / "feed.xml"
    parts = [b"<feed>", b"<entry>1</entry>", b"<entry>2</entry>", b"</feed>"]
    assert Writer(tmp_path).write("feed.xml", iter(parts)) is True
    assert target.read_bytes() == b"".join(parts)
    os.utime(target, ns=(1, 1))
    writer = Writer(tmp_path)
    assert writer.write("feed.xml", iter(parts)) is False
    assert target.stat().st_mtime_ns == 1 and writer.written == {"feed.xml": len(b"".join(parts))}
    for changed in ([*parts[:2], b"<entry>3</entry>", parts[3]], parts[:3], [*parts, b"\n"]):
        assert Writer(tmp_path).write("feed.xml", iter(changed)) is True
        assert target.read_bytes() == b"".join(changed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.xml"]  # no temporary file left


def test_a_link_in_a_folder_already_written_to_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    writer = Writer(tmp_path / "out")
    writer.write("posts/a/index.html", b"1")  # the folder is resolved once, here
    (tmp_path / "out" / "posts" / "a" / "b.html").symlink_to(tmp_path / "elsewhere" / "b.html")
    with pytest.raises(SyndicateError, match="outside"):
        writer.write("posts/a/b.html", b"2")
    (tmp_path / "out" / "linked").symlink_to(tmp_path / "elsewhere")
    for rel in ("linked/one.html", "linked/two.html"):  # refused every time, not once
        with pytest.raises(SyndicateError, match="outside"):
            writer.write(rel, b"3")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_folder_replaced_by_a_link_during_a_build_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    writer = Writer(tmp_path / "out")
    writer.write("a/b/x.html", b"1")
    (tmp_path / "out" / "a" / "b" / "x.html").unlink()
    (tmp_path / "out" / "a" / "b").rmdir()
    (tmp_path / "out" / "a" / "b").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SyndicateError, match="outside"):
        writer.write("a/b/y.html", b"2")
    shutil.rmtree(tmp_path / "out" / "a")
    (tmp_path / "out" / "a").symlink_to(tmp_path / "elsewhere")  # a folder further up
    (tmp_path / "elsewhere" / "b").mkdir()
    with pytest.raises(SyndicateError, match="outside"):
        writer.write("a/b/z.html", b"3")
    with pytest.raises(SyndicateError, match="outside"):
        writer.write("/x.html", b"4")
    assert sorted(p.name for p in (tmp_path / "elsewhere").rglob("*")) == ["b"]
