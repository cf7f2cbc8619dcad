"""Subscriber addresses: checked and normalised, and read from CSV files.

Addresses are checked with email-validator, without DNS look-ups (an import must not
wait on the network). The domain is normalised (lower case, IDNA); an address whose
local part needs SMTPUTF8 is refused, because most servers cannot deliver to it.
"""

from __future__ import annotations

import csv
import io
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
    """The rows of a subscriber CSV file, each checked.

    A header row is recognised by a column called ``email`` (or ``e-mail``, ``email
    address``…) and then ``name`` and ``status`` are looked up by their headers (so that
    an export imports back with unsubscribed people still unsubscribed); without one, the
    first column holding an '@' is the address and the next column the name.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (byte {err.start}). Save it as UTF-8 CSV.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    email_col, name_col, status_col = None, None, None
    for row in reader:
        line = reader.line_num
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
        raw = restore_cell(cells[email_col]) if email_col < len(cells) else ""
        name = restore_cell(cells[name_col]) if name_col is not None and name_col < len(cells) else ""
        if not raw:
            yield CsvRow(line, error="no email address.")
            continue
        status = (cells[status_col].lower() if status_col is not None and status_col < len(cells) else "") or "active"
        if status not in STATUSES:
            yield CsvRow(line, error=f"status {status!r} is not one of {', '.join(STATUSES)}.")
            continue
        try:
            yield CsvRow(line, normalize_address(raw), clean_name(name), status)
        except ValueError as err:
            yield CsvRow(line, error=f"{raw!r}: {err}")
