"""Plain-text files, the shape of a scraped news article: optional ``Key: value`` lines, the title on
the first other line, then paragraphs; trailing page residue dropped.
"""

from __future__ import annotations

import re
from typing import Any

from .model import FRONT_MATTER_KEYS

_TEXT_HEADER = re.compile(r"([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$")


_RESIDUE = re.compile(
    r"(\d+\s+)?comments?|advertisement|advertising|share( this( article| story)?)?|"
    r"share on \w+|tweet|related( articles| stories| content)?|read more|more stories|"
    r"recommended( for you)?|you may also like|most (read|popular)|sign up( for .*)?|"
    r"subscribe( to .*)?|follow us( on .*)?|newsletter|sponsored( content)?|"
    r"(click|tap) here( to .*)?|continue reading|back to top",
    re.I,
)


def split_text(text: str) -> tuple[dict[str, Any], dict[str, int], str]:
    """Headers, their lines, and the body (paragraphs joined by blank lines) of a .txt file."""
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    where: dict[str, int] = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        m = _TEXT_HEADER.match(line)
        if not line:
            i += 1
        elif m and m.group(1).lower() in FRONT_MATTER_KEYS and m.group(1).lower() != "title":
            key = m.group(1).lower()
            meta[key] = m.group(2).strip()
            where[key] = i + 1
            i += 1
        else:
            break
    if i < len(lines):
        meta["title"] = lines[i].strip()
        where["title"] = i + 1
    if "draft" in meta:
        meta["draft"] = meta["draft"].lower() in ("true", "yes", "1")
    rest = [line.strip() for line in lines[i + 1 :]]
    rest = [line for line in rest if not re.fullmatch(r"advertisement|sponsored", line, re.I)]
    while rest and (not rest[-1] or _RESIDUE.fullmatch(rest[-1].rstrip(".:!…"))):
        rest.pop()
    return meta, where, "\n\n".join(_paragraphs(rest))


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; so does a line break, unless the text is hard-wrapped.

    A line counts as wrapped (continued on the next) when it is long and does not end
    a sentence: scraped text puts each paragraph on one line, e-mail-style text wraps
    near 72 columns mid-sentence.
    """
    out: list[str] = []
    joining = False
    for line in lines:
        if not line:
            joining = False
            continue
        if joining:
            out[-1] += " " + line
        else:
            out.append(line)
        joining = len(line) >= 50 and not line.endswith((".", "!", "?", ":", '"', "”", "’", "'", ")"))
    return out
