"""A large site is read and rendered on every core: the result must be the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate import _parallel
from syndicate.config import load_config
from syndicate.feeds.build import build_site

from .conftest import NOW, write

N = 2_100  # over PARALLEL_MIN, so that the worker processes are used


def make_site(folder: Path) -> Path:
    write(folder / "syndicate.toml", '[site]\nbase_url = "https://big.example.org/"\n[feeds]\nlimit = 0\n')
    for i in range(N):
        write(folder / "content" / f"2026-01-{1 + i % 28:02d}-post-{i:05d}.md",
              f"---\ntitle: \"Post {i} & friends <{i % 7}>\"\ntags: [t{i % 5}, all]\n---\n\n"
              f"Paragraph **{i}** with a [link](../p{i}/) and 日本語 {'é' * (i % 3)}.\n")
    if N % 500 == 0:
        pytest.fail("N must leave a partial last batch")
    return folder


def outputs(folder: Path) -> dict[str, bytes]:
    out = folder / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_site_built_on_every_core_is_byte_identical_to_one_built_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert N >= _parallel.PARALLEL_MIN
    parallel = make_site(tmp_path / "parallel")
    report = build_site(load_config(parallel / "syndicate.toml"), now=NOW)
    assert (report.published, report.problems) == (N, [])

    serial = make_site(tmp_path / "serial")
    monkeypatch.setattr(_parallel, "PARALLEL_MIN", 10**9)
    assert build_site(load_config(serial / "syndicate.toml"), now=NOW).published == N

    a, b = outputs(parallel), outputs(serial)
    assert sorted(a) == sorted(b)
    assert all(a[path] == b[path] for path in a), [p for p in a if a[p] != b[p]][:5]
    assert b"Post 2099 &#x26; friends &#x3C;6&gt;" in a["feeds/rss.xml"]


def test_a_broken_article_among_many_is_reported_once_by_the_workers(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    write(site / "content" / "broken.md", "---\ntitle: Broken\ndate: 2026-13-01\n---\n")
    config = load_config(site / "syndicate.toml")
    report = build_site(config, now=NOW)
    assert report.published == N
    assert [str(p) for p in report.problems] == [
        f"{config.content_shown}/broken.md, line 3: 'date' is '2026-13-01', not a date. Use YYYY-MM-DD, "
        "or YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z."
    ]


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the worker processes")
def test_a_build_killed_with_sigkill_leaves_no_worker_running(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    site = make_site(tmp_path / "site")
    for i in range(N, 3 * N):  # more work, so that the workers are caught working
        write(site / "content" / f"2026-02-{1 + i % 28:02d}-more-{i:05d}.md", f"---\ntitle: More {i}\n---\n\nText.\n")
    build = subprocess.Popen([sys.executable, "-c", "from syndicate.cli import main; main()", "build", "-q"],
                             cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while not workers and build.poll() is None and time.monotonic() < deadline:
        workers = _children(build.pid)
    assert workers, "the build ended before its workers were seen"
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 10
    while (alive := {p for p in workers if _running(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive == set()
