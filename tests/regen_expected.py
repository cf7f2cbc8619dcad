"""Rebuild tests/data/expected/ (the golden feeds) from tests/data/site at the tests' clock.

tests/test_feeds.py builds the test site and compares its main feeds (rss.xml, atom.xml,
feed.json) with these files byte for byte. Run this only on purpose, after a change that
is meant to change the feeds, and read the diff before committing it:

    python tests/regen_expected.py
    git diff tests/data/expected/

Regenerating to make that test pass, without reading the diff, hides exactly the
regressions it is there to catch.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from syndicate.config import load_config
from syndicate.feeds.build import build_site

sys.path.insert(0, str(Path(__file__).parent.parent))
from tests.conftest import DATA, NOW  # noqa: E402  (the one fixed clock and data folder of the tests)

EXPECTED = DATA / "expected"
FILES = ("rss.xml", "atom.xml", "feed.json")


def build_expected() -> dict[str, bytes]:
    """The main feeds of a fresh copy of tests/data/site, built at NOW."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(DATA / "site", site, ignore=shutil.ignore_patterns("output", "syndicate.db*"))
        report = build_site(load_config(site / "syndicate.toml"), now=NOW)
        if report.problems:
            raise SystemExit("the test site has problems:\n" + "\n".join(map(str, report.problems)))
        return {name: (site / "output" / "feeds" / name).read_bytes() for name in FILES}


def main() -> None:
    EXPECTED.mkdir(exist_ok=True)
    for name, data in build_expected().items():
        path = EXPECTED / name
        old = path.read_bytes() if path.exists() else None
        path.write_bytes(data)
        print(f"{path.relative_to(DATA.parent.parent)}: {'unchanged' if old == data else 'written'}")


if __name__ == "__main__":
    main()
