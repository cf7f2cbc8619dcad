"""The characters a feed can carry: UTF-8 checked, line ends normalised, XML-illegal ones dropped."""

from __future__ import annotations

import re

from ..errors import ContentError

# XML 1.0 cannot carry these; a feed would be unreadable. Tab, LF and CR stay.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def normalize_bytes(data: bytes) -> bytes:
    """Check the bytes are UTF-8; drop a BOM; make every line end a plain LF."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ContentError(
            f"is not UTF-8 text (byte 0x{data[err.start]:02x}). Save the file as UTF-8.", line=line
        ) from err
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def clean_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (C0/C1 controls but tab and
    newlines, U+FFFE, U+FFFF): dropped rather than let one character break a feed."""
    return _ILLEGAL.sub("", text)
