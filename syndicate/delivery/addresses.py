"""Subscriber addresses: checked and normalised, and read from CSV files.

Addresses are checked with email-validator, without DNS look-ups (an import must not
wait on the network). The domain is normalised (lower case, IDNA); an address whose
local part needs SMTPUTF8 is refused, because most servers cannot deliver to it.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from ..state import STATUSES

MAX_NAME = 200




_EMAIL_HEADERS = ("email", "e-mail", "email address", "e-mail address", "mail", "address")


_NAME_HEADERS = ("name", "full name", "fullname", "display name")


def normalize_address(text: str) -> str:
    """The address in the form it is stored and sent to.

    :raises ValueError: with the reason in plain words.
    """
    try:
        info = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as err:
        raise ValueError(str(err).rstrip(".") + ".") from None
    return info.ascii_email or info.normalized


def clean_name(name: str) -> str:
    """A display name on one line, without control characters (none can reach a header),
    at most 200 characters."""
    if name.isprintable():  # the usual name: nothing to take out (a space is printable)
        return " ".join(name.split())[:MAX_NAME]
    return " ".join("".join(c for c in name if c.isprintable() or c.isspace()).split())[:MAX_NAME]


#: What a spreadsheet takes for the start of a formula (CSV injection): a cell that begins with
#: one of these is written with a "'" before it, which spreadsheets show as text, and which
#: :func:`read_csv` takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` as a CSV cell that no spreadsheet runs as a formula (see FORMULA_STARTS)."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


def restore_cell(cell: str) -> str:
    """The value :func:`safe_cell` wrote ``cell`` for."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS) else cell


@dataclass(frozen=True)
class CsvRow:
    """One data row of a CSV file: its line, and the address and name, or why it is refused."""

    line: int
    email: str = ""
    name: str = ""
    status: str = "active"
    error: str = ""


def read_csv(path: Path) -> Iterator[CsvRow]:
    """The rows of a subscriber CSV file, each checked, read from the file a row at a time (a
    file of a million rows takes little memory).

    A header row is recognised by a column called ``email`` (or ``e-mail``, ``email
    address``…) and then ``name`` and ``status`` are looked up by their headers (so that
    an export imports back with unsubscribed people still unsubscribed); without one, the
    first column holding an '@' is the address and the next column the name. The whole file
    is checked to be UTF-8 before the first row is given.

    :raises ValueError: the file is not UTF-8 text (naming the byte).
    """
    check_utf8(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(fh, dialect)
        email_col, name_col, status_col = None, None, None
        for row in reader:
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if email_col is None:
                lowered = [c.lower() for c in cells]
                header = next((i for i, c in enumerate(lowered) if c in _EMAIL_HEADERS), None)
                if header is not None:
                    email_col = header
                    name_col = next((i for i, c in enumerate(lowered) if c in _NAME_HEADERS), None)
                    status_col = lowered.index("status") if "status" in lowered else None
                    continue
                email_col = next((i for i, c in enumerate(cells) if "@" in c), 0)
                name_col = email_col + 1
            yield _check_row(reader.line_num, cells, email_col, name_col, status_col)


def _check_row(line: int, cells: list[str], email_col: int, name_col: int | None,
               status_col: int | None) -> CsvRow:
    raw = restore_cell(cells[email_col]) if email_col < len(cells) else ""
    if not raw:
        return CsvRow(line, error="no email address.")
    name = restore_cell(cells[name_col]) if name_col is not None and name_col < len(cells) else ""
    status = (cells[status_col].lower() if status_col is not None and status_col < len(cells) else "") or "active"
    if status not in STATUSES:
        return CsvRow(line, error=f"status {status!r} is not one of {', '.join(STATUSES)}.")
    try:
        return CsvRow(line, normalize_address(raw), clean_name(name), status)
    except ValueError as err:
        return CsvRow(line, error=f"{raw!r}: {err}")


def check_utf8(path: Path, chunk_size: int = 1 << 20) -> None:
    """Read ``path`` through once to check that it is UTF-8, in chunks (not the whole file at
    once), so that a bad file is refused before any of it is imported.

    :raises ValueError: naming the byte (counted after a BOM) that is not UTF-8.
    """
    offset, pending = 0, b""
    with open(path, "rb") as fh:
        head = fh.read(len(codecs.BOM_UTF8))
        if head != codecs.BOM_UTF8:
            pending = head
        while True:
            chunk = fh.read(chunk_size)
            data = pending + chunk
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as err:
                if not chunk or err.reason != "unexpected end of data":
                    raise ValueError(f"{path} is not UTF-8 text (byte {offset + err.start}). "
                                     "Save it as UTF-8 CSV.") from None
                # A character cut in two by the chunk's end: check it with the next chunk.
                offset, pending = offset + err.start, data[err.start:]
                continue
            if not chunk:
                return
            offset, pending = offset + len(data), b""
