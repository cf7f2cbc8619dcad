"""The characters a feed can carry: UTF-8 checked, line ends normalised, XML-illegal ones dropped."""

from __future__ import annotations

import html
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


#: The inline elements titles are written with; anything else in angle brackets is text.
_TAG = re.compile(r"</?(?:a|abbr|b|big|bdi|bdo|br|cite|code|del|dfn|em|font|i|img|ins|kbd|mark|q|s|samp|small|"
                  r"span|strike|strong|sub|sup|time|tt|u|var|wbr)(?:\s[^<>]*)?/?>", re.I)
_REFERENCE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def plain_text(text: str) -> str:
    """A title or summary written in HTML (``RailsConf: <strike>65%</strike> 80% sold``,
    ``Justin&#160;Gehtland``) as the plain text it shows, as jekyll-feed's ``strip_html`` makes it;
    text with no tag or character reference (``Ruby & Rails``, ``a < b``) is left as it is."""
    if "<" in text and _TAG.search(text):
        text = _TAG.sub("", text)
    elif "&" not in text or not _REFERENCE.search(text):
        return text
    return " ".join(clean_text(html.unescape(text)).split())
