"""``syndicate subscribers import`` of a file of any length: read as it goes, written in batches.

The batch size is made tiny here so that a few rows cross several batch boundaries; what a
test checks is what a publisher sees whatever the size of the file: no one lost, no one made
active again, each refused row named with its line, duplicates counted. The one slow test
imports 200,000 rows in a process of its own and bounds its peak memory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import Config
from syndicate.delivery import addresses
from syndicate.delivery import subscribers as mailing_list
from syndicate.state import open_store

from .conftest import NOW, write


@pytest.fixture(autouse=True)
def _tiny_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailing_list, "IMPORT_BATCH", 3)


def import_csv(runner: CliRunner, site: Path, data: str | bytes, name: str = "people.csv"):  # noqa: ANN201
    write(site / name, data)
    return runner.invoke(main, ["subscribers", "import", name])


def listed(config: Config) -> list[tuple[str, str, str]]:
    with open_store(config) as store:
        return [(s.email, s.name, s.status) for s in store.subscribers()]


def test_duplicates_across_batches_are_skipped_and_the_first_spelling_wins(
        runner: CliRunner, site: Path, config: Config) -> None:
    data = "email,name\n" + "".join(f"r{i}@example.org,R {i}\n" for i in range(7)) + \
        "R1@EXAMPLE.org,Again\nr6@example.org,Again\nr7@example.org,R 7\n"
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("Imported 8 subscribers from people.csv; skipped 2 already on the list "
                             "(or repeated in the file); 0 invalid rows.\n")
    assert listed(config) == [(f"r{i}@example.org", f"R {i}", "active") for i in range(8)]


def test_invalid_rows_in_every_batch_are_reported_in_order_with_their_lines(
        runner: CliRunner, site: Path, config: Config) -> None:
    data = "email\n" + "".join(f"r{i}@example.org\nbad{i}\n" for i in range(5))
    result = import_csv(runner, site, data)
    assert result.exit_code == 1
    assert result.stderr == "".join(
        f"error: people.csv, line {3 + 2 * i}: 'bad{i}': An email address must have an @-sign.\n" for i in range(5))
    assert result.stdout.endswith("Imported 5 subscribers from people.csv; skipped 0 already on the list "
                                  "(or repeated in the file); 5 invalid rows.\n")
    assert len(listed(config)) == 5


def test_an_unsubscribed_address_in_a_later_batch_stays_unsubscribed(
        runner: CliRunner, site: Path, config: Config) -> None:
    with open_store(config) as store, store.transaction():
        store.add_subscriber("late@example.org", "Late", now=NOW)
        assert store.set_status("late@example.org", "unsubscribed", NOW)
        before = store.subscriber("late@example.org")
    data = "email\n" + "".join(f"r{i}@example.org\n" for i in range(7)) + "LATE@example.org\n"
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stdout) == (0, "Imported 7 subscribers from people.csv; skipped 1 already "
                                                    "on the list (or repeated in the file); 0 invalid rows.\n")
    with open_store(config) as store:
        assert store.subscriber("late@example.org") == before
        assert store.subscriber_counts() == {"active": 7, "unsubscribed": 1}


def test_a_file_not_utf8_near_its_end_is_refused_before_anything_is_imported(
        runner: CliRunner, site: Path, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    good = "email\n" + "".join(f"r{i}@example.org\n" for i in range(50))
    data = good.encode() + "zoë@example.org\n".encode("latin-1")
    monkeypatch.setattr(addresses.check_utf8, "__defaults__", (16,))  # many chunks, the bad one last
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: people.csv is not UTF-8 text (byte {len(good) + 2}). Save it as UTF-8 CSV.\n"
    assert listed(config) == []


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7])
def test_a_character_cut_by_a_chunk_boundary_is_still_utf8(tmp_path: Path, chunk: int) -> None:
    path = write(tmp_path / "people.csv", "\ufeffemail,name\nzoe@example.org,Zoë Ōtsuka 🐈\n".encode())
    addresses.check_utf8(path, chunk)  # raises if not


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_an_import_of_200_000_rows_takes_little_memory(tmp_path: Path) -> None:
    # The old import held the file, every row and every address at once: ~130 MB at this size,
    # growing with it. Read as it goes, the process stays near its size at start-up.
    (tmp_path / "syndicate.toml").write_text("")
    with open(tmp_path / "people.csv", "w") as fh:
        fh.write("email,name\n")
        fh.writelines(f"reader{i}@example{i % 97}.org,Reader {i}\n" for i in range(200_000))
    # The peak is read from /proc in the child itself (VmHWM, reset by exec): the ru_maxrss that
    # wait4 reports starts at the size of the forking process, here pytest's.
    code = ("import atexit\n"
            "def peak():\n"
            "    with open('/proc/self/status') as f, open('peak.txt', 'w') as out:\n"
            "        out.write(next(l.split()[1] for l in f if l.startswith('VmHWM:')))\n"
            "atexit.register(peak)\n"
            "from syndicate.cli import main; main()\n")
    proc = subprocess.run([sys.executable, "-c", code, "subscribers", "import", "people.csv"], cwd=tmp_path,
                          capture_output=True, check=False)
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert proc.stdout.startswith(b"Imported 200000 subscribers from people.csv; skipped 0")
    peak_kb = int((tmp_path / "peak.txt").read_text())
    assert peak_kb < 90 * 1024, f"peak RSS {peak_kb // 1024} MB"
