"""The subscriber list: ``syndicate subscribers add|import|list|export|unsubscribe|remove``.

Everything goes through the command, on a copy of tests/data/site, and is read back
from the state database with :class:`Store`. Addresses are checked by email-validator
without DNS, so no test reaches the network. Error texts are written out in full: they
are what a publisher reads.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from click.testing import CliRunner, Result

from syndicate.cli import main
from syndicate.config import Config
from syndicate.state import Store, Subscriber, open_store

from .conftest import DATA, NOW, write

NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
SECRET = re.compile(r"[0-9a-f]{32}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")

#: Every test runs with the state in SQLite, then in PostgreSQL (see conftest's ``backend``).
pytestmark = pytest.mark.usefixtures("backend")
#: For the tests of what is checked before the state is reached (addresses, names, files), and of a
#: second site's state (a new file): SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


# -- helpers ---------------------------------------------------------------------------------

def subscribers(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["subscribers", *args])


def import_csv(runner: CliRunner, site: Path, data: str | bytes, name: str = "people.csv") -> Result:
    """Write ``data`` to ``name`` in the site folder (the cwd) and import it."""
    write(site / name, data)
    return subscribers(runner, "import", name)


def everyone(config: Config) -> list[Subscriber]:
    with open_store(config) as store:
        return list(store.subscribers())


def listed(config: Config) -> list[tuple[str, str, str]]:
    """(email, name, status) of every subscriber, in the order they were added."""
    return [(s.email, s.name, s.status) for s in everyone(config)]


def one(config: Config, email: str) -> Subscriber:
    with open_store(config) as store:
        found = store.subscriber(email)
    assert found is not None, f"{email} is not stored"
    return found


def summary(added: int, skipped: int, invalid: int, name: str = "people.csv") -> str:
    """The last line of an import, written out by hand for the counts of a test."""
    return (f"Imported {added} subscriber{'s' if added != 1 else ''} from {name}; skipped {skipped} "
            f"already on the list (or repeated in the file); {invalid} invalid row{'s' if invalid != 1 else ''}.\n")


# -- add -------------------------------------------------------------------------------------

def test_add_stores_an_active_subscriber_and_says_so(runner: CliRunner, config: Config) -> None:
    result = subscribers(runner, "add", "ann@example.org", "--name", "Ann Smith")
    assert (result.exit_code, result.output) == (0, "Added ann@example.org.\n")
    ann = one(config, "ann@example.org")
    assert (ann.email, ann.name, ann.status, ann.source, ann.bounces) == (
        "ann@example.org", "Ann Smith", "active", "cli", 0)
    assert STAMP.fullmatch(ann.created_at) and ann.confirmed_at == ann.created_at
    assert ann.unsubscribed_at is None


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("not-an-address", "An email address must have an @-sign."),
        ("", "An email address must have an @-sign."),
        ("ann@@example.org", "The part after the @-sign contains invalid characters: '@'."),
        ("ann@example..org", "An email address cannot have two periods in a row."),
        (".ann@example.org", "An email address cannot start with a period."),
        ("ann @example.org", "The email address contains invalid characters before the @-sign: SPACE."),
        ("ann@localhost", "The part after the @-sign is not valid. It should have a period."),
        ("ann@-example.org", "An email address cannot have a hyphen immediately after the @-sign."),
        ('"ann"@example.org', "Quoting the part before the @-sign is not allowed here."),
        # A local part with non-ASCII letters needs SMTPUTF8, which most servers lack.
        ("jörg@example.org", "Internationalized characters before the @-sign are not supported: 'ö'."),
        ("ann@example.org\r\nBcc: x@evil.example",
         "The part after the @-sign contains invalid characters: ':', '@', SPACE, U+000A, U+000D."),
    ],
    ids=["no-at", "empty", "two-ats", "two-periods", "leading-period", "space", "no-dot-in-domain",
         "domain-hyphen", "quoted-local-part", "non-ascii-local-part", "crlf-injection"],
)
def test_add_refuses_a_bad_address_as_a_usage_error_naming_it_and_the_reason(
        runner: CliRunner, config: Config, address: str, reason: str) -> None:
    result = subscribers(runner, "add", address)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for 'EMAIL': {address!r} is not an email address: {reason}")
    assert listed(config) == []


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ann@example.org", "ann@example.org"),
        ("Ann@Example.COM", "Ann@example.com"),  # the domain is lower-cased, the local part kept
        ("  ann@example.org \n", "ann@example.org"),
        ("bob@BÜCHER.example", "bob@xn--bcher-kva.example"),  # an IDN domain is stored as punycode
        ("carl@münchen.de", "carl@xn--mnchen-3ya.de"),
        ("a&b+news@example.org", "a&b+news@example.org"),
    ],
)
def test_add_stores_the_address_normalised(runner: CliRunner, config: Config, typed: str, stored: str) -> None:
    result = subscribers(runner, "add", typed)
    assert (result.exit_code, result.output) == (0, f"Added {stored}.\n")
    assert [s.email for s in everyone(config)] == [stored]


def test_an_address_is_unique_whatever_its_case(runner: CliRunner, config: Config) -> None:
    assert subscribers(runner, "add", "Ann@Example.com", "--name", "Ann").exit_code == 0
    before = everyone(config)
    for again in ("ann@example.com", "ANN@EXAMPLE.COM", "Ann@example.com"):
        result = subscribers(runner, "add", again, "--name", "Someone Else")
        assert (result.exit_code, result.output) == (
            0, "Ann@example.com is already on the list (active); nothing changed.\n")
    assert everyone(config) == before


def test_adding_an_unsubscribed_address_again_changes_nothing(runner: CliRunner, config: Config) -> None:
    subscribers(runner, "add", "ann@example.org")
    subscribers(runner, "unsubscribe", "ann@example.org")
    before = everyone(config)
    result = subscribers(runner, "add", "ANN@example.org")
    assert (result.exit_code, result.output) == (
        0, "ann@example.org is already on the list (unsubscribed); nothing changed.\n")
    assert everyone(config) == before


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Ann\r\nBcc: x@evil.example", "Ann Bcc: x@evil.example"),
        ("Ann\nSmith", "Ann Smith"),
        ("Ann\rSmith", "Ann Smith"),
        ("  Ann \t Smith  ", "Ann Smith"),
        ("Ann\u2028Smith\x85Jr", "Ann Smith Jr"),  # Unicode line breaks too
        ("x" * 250, "x" * 200),  # at most 200 characters
    ],
    ids=["crlf-bcc", "lf", "cr", "spaces-and-tab", "unicode-line-breaks", "too-long"],
)
def test_add_stores_the_name_on_one_line(runner: CliRunner, config: Config, name: str, stored: str) -> None:
    assert subscribers(runner, "add", "ann@example.org", "--name", name).exit_code == 0
    assert one(config, "ann@example.org").name == stored


def test_every_subscriber_gets_a_secret_of_128_bits_unlike_anyone_elses(
        runner: CliRunner, site: Path, config: Config) -> None:
    subscribers(runner, "add", "ann@example.org")
    subscribers(runner, "add", "bob@example.org")
    import_csv(runner, site, "".join(f"user{i}@example.org\n" for i in range(200)))
    secrets = [s.secret for s in everyone(config)]
    assert len(secrets) == 202
    assert all(SECRET.fullmatch(s) for s in secrets)  # 32 hex digits = 128 bits
    assert len(set(secrets)) == len(secrets)


# -- import: reading the file ------------------------------------------------------------------

@SQLITE_ONLY
@pytest.mark.parametrize(
    ("data", "expect"),
    [
        ("email,name\nann@example.org,Ann\nbob@example.org,Bob\n",
         [("ann@example.org", "Ann"), ("bob@example.org", "Bob")]),
        ("Name,E-mail\nAnn,ann@example.org\nBob,bob@example.org\n",
         [("ann@example.org", "Ann"), ("bob@example.org", "Bob")]),
        ("Full Name,Email Address,Joined\nAnn,ann@example.org,2020\n", [("ann@example.org", "Ann")]),
        ("EMAIL\nann@example.org\nbob@example.org\n", [("ann@example.org", ""), ("bob@example.org", "")]),
        # No header: the first column with an '@' is the address, the next one the name.
        ("17,ann@example.org,Ann\n18,bob@example.org,Bob\n",
         [("ann@example.org", "Ann"), ("bob@example.org", "Bob")]),
        ("ann@example.org,Ann\nbob@example.org,Bob\n", [("ann@example.org", "Ann"), ("bob@example.org", "Bob")]),
        ("ann@example.org\nbob@example.org\n", [("ann@example.org", ""), ("bob@example.org", "")]),
        ("email;name\nann@example.org;Smith, Ann\nbob@example.org;Bob\n",
         [("ann@example.org", "Smith, Ann"), ("bob@example.org", "Bob")]),
        ("email\tname\nann@example.org\tAnn\nbob@example.org\tBob\n",
         [("ann@example.org", "Ann"), ("bob@example.org", "Bob")]),
        (b"\xef\xbb\xbfemail,name\r\nann@example.org,Ann\r\nbob@example.org,Zo\xc3\xab\r\n",
         [("ann@example.org", "Ann"), ("bob@example.org", "Zoë")]),
        ('email,name\n"ann@example.org","Smith, ""Ann"""\n"bob@example.org","Bob\nJr"\n',
         [("ann@example.org", 'Smith, "Ann"'), ("bob@example.org", "Bob Jr")]),
        ("email,name\n\n  ANN@EXAMPLE.ORG  ,  Ann  \n,\n\nbob@BÜCHER.example,Bob\n",
         [("ANN@example.org", "Ann"), ("bob@xn--bcher-kva.example", "Bob")]),
    ],
    ids=["email,name", "Name,E-mail", "Full Name,Email Address", "email-only-header",
         "no-header-address-in-2nd-column", "no-header-address-first", "no-header-one-column",
         "semicolons", "tabs", "utf8-bom-and-crlf", "quoted-fields", "blank-lines-and-normalising"],
)
def test_import_finds_the_address_and_name_columns(
        runner: CliRunner, site: Path, config: Config, data: str | bytes, expect: list[tuple[str, str]]) -> None:
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", summary(len(expect), 0, 0))
    assert [(email, name) for email, name, _ in listed(config)] == expect
    assert all(s.status == "active" and s.source == "import:people.csv" for s in everyone(config))


def test_without_a_header_an_address_after_the_name_is_still_found(
        runner: CliRunner, site: Path, config: Config) -> None:
    # The documented rule takes the column *after* the address as the name, so a name
    # before it is not used; the addresses must all be there all the same.
    result = import_csv(runner, site, "Ann,ann@example.org\nBob,bob@example.org\n")
    assert (result.exit_code, result.stdout) == (0, summary(2, 0, 0))
    assert [s.email for s in everyone(config)] == ["ann@example.org", "bob@example.org"]


def test_each_invalid_row_is_reported_with_its_line_and_the_rest_are_imported(
        runner: CliRunner, site: Path, config: Config) -> None:
    data = ("email,name\n"
            "ann@example.org,Ann\n"            # 2
            "not-an-address,Nobody\n"          # 3
            ",No Address\n"                    # 4
            "jörg@example.org,Jörg\n"          # 5
            "\n"                               # 6: blank, skipped silently
            "bob@example.org,Bob\n"            # 7
            "carl@localhost,Carl\n")           # 8
    result = import_csv(runner, site, data)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: people.csv, line 3: 'not-an-address': An email address must have an @-sign.\n"
        "error: people.csv, line 4: no email address.\n"
        "error: people.csv, line 5: 'jörg@example.org': Internationalized characters before the @-sign "
        "are not supported: 'ö'.\n"
        "error: people.csv, line 8: 'carl@localhost': The part after the @-sign is not valid. "
        "It should have a period.\n")
    assert result.stdout == summary(2, 0, 4)
    assert listed(config) == [("ann@example.org", "Ann", "active"), ("bob@example.org", "Bob", "active")]

@SQLITE_ONLY
def test_a_line_number_counts_the_lines_of_a_quoted_multiline_name(runner: CliRunner, site: Path) -> None:
    result = import_csv(runner, site, 'email,name\nann@example.org,"Ann\nSmith"\nbad,Bad\n')
    assert result.exit_code == 1
    assert result.stderr == "error: people.csv, line 4: 'bad': An email address must have an @-sign.\n"


def test_a_file_of_only_invalid_rows_imports_nothing_and_exits_1(
        runner: CliRunner, site: Path, config: Config) -> None:
    result = import_csv(runner, site, "email\nnope\n")
    assert (result.exit_code, result.stdout) == (1, summary(0, 0, 1))
    assert result.stderr == "error: people.csv, line 2: 'nope': An email address must have an @-sign.\n"
    assert listed(config) == []

@SQLITE_ONLY
def test_a_file_that_is_not_utf8_is_refused_with_a_clear_error(
        runner: CliRunner, site: Path, config: Config) -> None:
    result = import_csv(runner, site, "email,name\nann@example.org,Zoë\n".encode("latin-1"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: people.csv is not UTF-8 text (byte 29). Save it as UTF-8 CSV.\n"
    assert listed(config) == []


@SQLITE_ONLY
@pytest.mark.parametrize("data", ["", "\n\n", "email,name\n"], ids=["empty", "blank-lines", "header-only"])
def test_an_empty_file_imports_nothing(runner: CliRunner, site: Path, config: Config, data: str) -> None:
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stdout, result.stderr) == (0, summary(0, 0, 0), "")
    assert listed(config) == []

@SQLITE_ONLY
def test_a_missing_file_is_a_usage_error(runner: CliRunner, site: Path) -> None:
    result = subscribers(runner, "import", "missing.csv")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: Invalid value for 'FILE': File 'missing.csv' does not exist."


# -- import: duplicates and statuses --------------------------------------------------------------

def test_duplicates_in_the_file_and_on_the_list_are_skipped_and_counted(
        runner: CliRunner, site: Path, config: Config) -> None:
    subscribers(runner, "add", "ann@example.org", "--name", "Ann")
    data = ("email,name\n"
            "ANN@example.org,Ann Again\n"  # on the list already, in another case
            "bob@example.org,Bob\n"
            "Bob@Example.org,Bob Twice\n"  # repeated in the file
            "bob@example.org,Bob Thrice\n"
            "carl@example.org,Carl\n")
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", summary(2, 3, 0))
    # The first spelling in the file wins, and what was on the list is left alone.
    assert listed(config) == [("ann@example.org", "Ann", "active"), ("bob@example.org", "Bob", "active"),
                              ("carl@example.org", "Carl", "active")]
    assert one(config, "ann@example.org").source == "cli"


def test_importing_the_same_file_twice_adds_nothing_the_second_time(
        runner: CliRunner, site: Path, config: Config) -> None:
    data = "email,name\nann@example.org,Ann\nbob@example.org,Bob\n"
    assert import_csv(runner, site, data).stdout == summary(2, 0, 0)
    before = everyone(config)
    result = import_csv(runner, site, data)
    assert (result.exit_code, result.stdout) == (0, summary(0, 2, 0))
    assert everyone(config) == before


@pytest.mark.parametrize("how", ["unsubscribed", "bounced"])
def test_an_import_never_makes_an_unsubscribed_or_bounced_address_active_again(
        runner: CliRunner, site: Path, config: Config, how: str) -> None:
    subscribers(runner, "add", "ann@example.org", "--name", "Ann")
    subscribers(runner, "add", "bob@example.org", "--name", "Bob")
    if how == "unsubscribed":
        assert subscribers(runner, "unsubscribe", "ann@example.org").exit_code == 0
    else:
        with open_store(config) as store, store.transaction():
            assert store.set_status("ann@example.org", "bounced", NOW)
    before = one(config, "ann@example.org")
    assert before.status == how
    result = import_csv(runner, site, "email,name\nAnn@Example.ORG,Ann New\nann@example.org,Ann\n")
    assert (result.exit_code, result.stdout) == (0, summary(0, 2, 0))
    assert one(config, "ann@example.org") == before  # status, dates, name, secret: all as they were
    assert [s.email for s in everyone(config) if s.status == "active"] == ["bob@example.org"]


def test_ten_thousand_rows_are_imported(runner: CliRunner, site: Path, config: Config) -> None:
    rows = "".join(f"user{i}@example.org,User {i}\n" for i in range(10_000))
    result = import_csv(runner, site, "email,name\n" + rows + "USER0@example.org,Again\n")
    assert (result.exit_code, result.stdout) == (0, summary(10_000, 1, 0))
    with open_store(config) as store:
        assert store.subscriber_counts() == {"active": 10_000}
        assert store.subscriber("user9999@example.org").name == "User 9999"
        assert len({s.secret for s in store.subscribers()}) == 10_000


# -- list and export ---------------------------------------------------------------------------

def add_three(runner: CliRunner) -> None:
    """ann (active), bob (unsubscribed), carl (active)."""
    subscribers(runner, "add", "ann@example.org", "--name", "Ann")
    subscribers(runner, "add", "bob@example.org", "--name", "Bob")
    subscribers(runner, "add", "carl@example.org")
    subscribers(runner, "unsubscribe", "bob@example.org")


def test_list_prints_every_subscriber_and_the_count(runner: CliRunner, config: Config) -> None:
    add_three(runner)
    result = subscribers(runner, "list")
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[:3] for row in rows] == [["ann@example.org", "Ann", "active"],
                                         ["bob@example.org", "Bob", "unsubscribed"],
                                         ["carl@example.org", "", "active"]]
    assert [row[3] for row in rows] == [s.created_at for s in everyone(config)]
    assert result.stderr == "3 subscribers.\n"


@pytest.mark.parametrize(
    ("status", "emails", "count"),
    [
        ("active", ["ann@example.org", "carl@example.org"], "2 subscribers.\n"),
        ("unsubscribed", ["bob@example.org"], "1 subscriber.\n"),
        ("bounced", [], "0 subscribers.\n"),
    ],
)
def test_list_status_shows_only_that_status(runner: CliRunner, status: str, emails: list[str], count: str) -> None:
    add_three(runner)
    result = subscribers(runner, "list", "--status", status)
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == emails
    assert (result.exit_code, result.stderr) == (0, count)

@SQLITE_ONLY
def test_list_refuses_an_unknown_status(runner: CliRunner) -> None:
    result = subscribers(runner, "list", "--status", "gone")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--status': 'gone' is not one of 'pending', 'active', 'unsubscribed', 'bounced'.")


def test_export_writes_csv_with_a_header_to_stdout(runner: CliRunner, config: Config) -> None:
    add_three(runner)
    result = subscribers(runner, "export")
    assert result.exit_code == 0
    ann, bob, carl = everyone(config)
    assert result.stdout == (
        "email,name,status,created_at,confirmed_at,unsubscribed_at,source\n"
        f"ann@example.org,Ann,active,{ann.created_at},{ann.confirmed_at},,cli\n"
        f"bob@example.org,Bob,unsubscribed,{bob.created_at},{bob.confirmed_at},{bob.unsubscribed_at},cli\n"
        f"carl@example.org,,active,{carl.created_at},{carl.confirmed_at},,cli\n")
    assert subscribers(runner, "export", "--status", "unsubscribed").stdout.splitlines()[1:] == [
        f"bob@example.org,Bob,unsubscribed,{bob.created_at},{bob.confirmed_at},{bob.unsubscribed_at},cli"]


@SQLITE_ONLY
def test_an_export_imported_into_a_fresh_database_gives_the_same_addresses_and_names(
        runner: CliRunner, site: Path, config: Config) -> None:
    import_csv(runner, site, "email,name\n"
               "ann@example.org,\"Smith, \"\"Ann\"\"\"\n"
               "zoe@BÜCHER.example,Zoë Ö'Brien\n"
               "a&b@example.org,a;b\n"
               "plain@example.org,\n")
    subscribers(runner, "add", "line@example.org", "--name", "Two\nLines")
    before = [(s.email, s.name) for s in everyone(config)]
    exported = subscribers(runner, "export")
    assert exported.exit_code == 0
    write(site / "export.csv", exported.stdout)
    for path in site.glob("syndicate.db*"):
        path.unlink()
    result = subscribers(runner, "import", "export.csv")
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", summary(5, 0, 0, "export.csv"))
    assert [(s.email, s.name) for s in everyone(config)] == before


@SQLITE_ONLY
def test_an_export_imported_into_a_fresh_database_keeps_unsubscribed_people_unsubscribed(
        runner: CliRunner, site: Path, config: Config) -> None:
    add_three(runner)
    write(site / "export.csv", subscribers(runner, "export").stdout)
    for path in site.glob("syndicate.db*"):
        path.unlink()
    subscribers(runner, "import", "export.csv")
    assert one(config, "bob@example.org").status == "unsubscribed"


def test_export_quotes_what_csv_needs(runner: CliRunner, site: Path) -> None:
    import_csv(runner, site, 'email,name\nann@example.org,"Smith, ""Ann"""\n')
    row = next(iter(csv.DictReader(io.StringIO(subscribers(runner, "export").stdout))))
    assert (row["email"], row["name"], row["source"]) == ("ann@example.org", 'Smith, "Ann"', "import:people.csv")


@SQLITE_ONLY
def test_export_neutralizes_cells_a_spreadsheet_would_run_and_import_restores_them(
        runner: CliRunner, site: Path, config: Config, tmp_path: Path) -> None:
    source = (DATA / "subscribers" / "formula-cells.csv").read_text(encoding="utf-8")
    result = import_csv(runner, site, source)
    assert result.exit_code == 0, result.output
    stored = {s.email: s.name for s in everyone(config)}
    assert stored["eve@example.org"] == "=already quoted"  # a spreadsheet's own "'" is taken off too
    exported = subscribers(runner, "export").stdout
    for row in csv.DictReader(io.StringIO(exported)):  # every cell is text to a spreadsheet
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    rows = {row["email"]: row["name"] for row in csv.DictReader(io.StringIO(exported))}
    assert rows["ann@example.org"] == "'" + stored["ann@example.org"]
    assert rows["'=cmd@example.org"] == "Formula in the address"
    assert rows["eve@example.org"] == "'=already quoted"
    assert rows["fay@example.org"] == "O'Brien, plain"
    # Imported into another site, the export gives back exactly what was typed.
    other = tmp_path / "other"
    other.mkdir()
    write(other / "syndicate.toml", "")
    write(other / "export.csv", exported)
    again = runner.invoke(main, ["--config", str(other / "syndicate.toml"), "subscribers", "import",
                                 str(other / "export.csv")])
    assert again.exit_code == 0, again.output
    with Store(other / "syndicate.db") as store:
        assert {s.email: s.name for s in store.subscribers()} == stored


# -- unsubscribe and remove -----------------------------------------------------------------------

def test_unsubscribe_sets_the_status_and_the_time(runner: CliRunner, config: Config) -> None:
    subscribers(runner, "add", "ann@example.org")
    subscribers(runner, "add", "bob@example.org")
    result = subscribers(runner, "unsubscribe", "ann@example.org")
    assert (result.exit_code, result.output) == (0, "Unsubscribed ann@example.org.\n")
    ann = one(config, "ann@example.org")
    assert ann.status == "unsubscribed"
    assert ann.unsubscribed_at is not None and STAMP.fullmatch(ann.unsubscribed_at)
    assert one(config, "bob@example.org").status == "active"


def test_unsubscribe_finds_the_address_whatever_its_case(runner: CliRunner, config: Config) -> None:
    subscribers(runner, "add", "Ann@example.org")
    result = subscribers(runner, "unsubscribe", " ann@EXAMPLE.org ")
    assert (result.exit_code, result.output) == (0, "Unsubscribed ann@EXAMPLE.org.\n")
    assert one(config, "ann@example.org").status == "unsubscribed"


@pytest.mark.parametrize("command", ["unsubscribe", "remove"])
def test_unsubscribe_and_remove_find_an_idn_address_typed_as_it_was_added(
        runner: CliRunner, config: Config, command: str) -> None:
    assert subscribers(runner, "add", "bob@BÜCHER.example").output == "Added bob@xn--bcher-kva.example.\n"
    result = subscribers(runner, command, "bob@BÜCHER.example")
    assert result.exit_code == 0


@pytest.mark.parametrize("command", ["unsubscribe", "remove"])
def test_unsubscribe_or_remove_of_an_unknown_address_is_an_error(
        runner: CliRunner, config: Config, command: str) -> None:
    subscribers(runner, "add", "ann@example.org")
    before = everyone(config)
    result = subscribers(runner, command, "nobody@example.org")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: nobody@example.org is not on the list.\n"
    assert everyone(config) == before


def test_remove_forgets_the_subscriber_and_their_deliveries(
        runner: CliRunner, config: Config) -> None:
    subscribers(runner, "add", "ann@example.org")
    subscribers(runner, "add", "bob@example.org")
    assert runner.invoke(main, ["newsletter", *NOW_ARGS]).exit_code == 0
    assert runner.invoke(main, ["send", "-q"]).exit_code == 0
    ann_id = one(config, "ann@example.org").id

    result = subscribers(runner, "remove", "ANN@example.org")
    assert (result.exit_code, result.output) == (0, "Removed ANN@example.org.\n")
    assert [s.email for s in everyone(config)] == ["bob@example.org"]
    with open_store(config) as store:
        rows = store.db.execute("SELECT subscriber_id, status FROM delivery ORDER BY subscriber_id").fetchall()
    assert ann_id not in [r[0] for r in rows]
    assert rows == [(one(config, "bob@example.org").id, "sent")]  # the others' records stay


def test_a_removed_address_can_be_added_again_as_a_new_subscriber(runner: CliRunner, config: Config) -> None:
    subscribers(runner, "add", "ann@example.org")
    old = one(config, "ann@example.org")
    subscribers(runner, "remove", "ann@example.org")
    assert subscribers(runner, "add", "ann@example.org").output == "Added ann@example.org.\n"
    new = one(config, "ann@example.org")
    assert (new.status, new.source, new.secret != old.secret) == ("active", "cli", True)


@SQLITE_ONLY
@given(st.text(alphabet=st.sampled_from("=+-@\t\r'ab ,\""), max_size=12))
def test_a_neutralized_cell_always_reads_back_as_it_was_and_never_starts_a_formula(value: str) -> None:
    from syndicate.delivery.addresses import FORMULA_STARTS, restore_cell, safe_cell

    assert restore_cell(safe_cell(value)) == value
    assert not safe_cell(value).startswith(FORMULA_STARTS)
