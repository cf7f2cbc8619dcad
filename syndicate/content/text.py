"""Plain-text files, the shape of a scraped news article.

- optional ``Key: value`` header lines (the front-matter keys, and the labels news sites print:
  ``Published:``, ``Updated:``, ``By:``);
- the title on the first other line;
- right under it, any byline (``By Jane Doe and John Roe``) and date lines (``Published: 14 Dec
  2025``, ``Updated: 14 Dec 2025 10:32 GMT``, or a bare ``14 December 2025``);
- then paragraphs: one a line, or hard-wrapped (joined back), captions and credits kept apart;
- page residue dropped wherever a line of it stands alone: ``Advertisement``, share, comment and
  newsletter prompts, and ``Related articles``/``Read more``/``More from …`` with the headlines
  under them.
"""

from __future__ import annotations

import re
from datetime import timezone
from typing import Any

from ..errors import ContentError
from .dates import parse_date
from .model import FRONT_MATTER_KEYS

_TEXT_HEADER = re.compile(r"([A-Za-z][A-Za-z ]{0,40}?)[ \t]*:\s*(.*)$")

#: A byline, date or residue line is short; longer lines are text (and no regex runs on them).
_SHORT = 200

#: More paragraphs than this is no article (a scraper's runaway output).
MAX_PARAGRAPHS = 20_000

#: The labels news pages print, as the key they give (a date label only when a date follows).
_LABELS = {
    "published": "date", "posted": "date", "first published": "date", "published on": "date",
    "updated": "updated", "last updated": "updated", "modified": "updated", "last modified": "updated",
    "updated on": "updated", "by": "author", "byline": "author", "written by": "author",
}

_DATE_LINE = re.compile(r"(?P<label>published|posted|first published|(?:last )?updated|(?:last )?modified)"
                        r"(?: on)?\s*:?\s+(?P<value>.+)", re.I)

_BYLINE = re.compile(r"(?:by|written by)\s*:?\s+(?P<names>\S.*)", re.I)

#: Words that make a byline part a role or a newsroom, not a name ("Jane Doe, Political Editor").
_ROLES = re.compile(r"\b(?:correspondent|editor|reporter|writer|staff|journalist|contributor|columnist|"
                    r"news|desk|agency|press|times|post|daily|bureau|online)\b", re.I)

_NAME_WORD = re.compile(r"(?:[A-Z][\w'’.-]*|de|da|di|del|der|van|von|le|la|al|bin|ibn|du|dos|y)$")

#: Whole lines of page residue, compared without final punctuation, in any case.
_RESIDUE = re.compile(
    r"(?:\d+\s+)?comments?|(?:view|show|read|see|load|leave a|post a|add a) comments?|"
    r"join the (?:conversation|discussion)|"
    r"advertisement(?:\s*[-–—:]\s*scroll to continue(?: with content)?)?|advertising|"
    r"scroll to continue(?: with content)?|sponsored(?: content)?|"
    r"share(?: this(?: article| story| page| post)?)?|share on \w+|share via \w+|tweet|copy link|"
    r"(?:sign up|subscribe)(?: (?:for|to) (?:our|the) [\w ]*newsletters?[\w ]*)?|newsletters?|"
    r"get (?:our|the) [\w ]*newsletter[\w ]*|follow us(?: on \w+)?|"
    r"(?:click|tap) here(?: to (?:read|see|view|continue|subscribe)[\w ]*)?|continue reading|back to top|"
    r"read more(?::.*)?|read next(?::.*)?",
    re.I,
)

#: Headings of a residue block: they and the headlines under them are dropped.
_RESIDUE_HEADING = re.compile(
    r"related(?: articles| stories| content| coverage| topics| links| reading)?|read more|more from .{1,60}|"
    r"more (?:stories|news|on this story|to explore)|recommended(?: for you| reading)?|you may also like|"
    r"you might also like|most (?:read|popular|viewed)|top stories|trending(?: now)?|also read|see also",
    re.I,
)

#: A caption or credit, kept as a paragraph of its own.
_CAPTION = re.compile(r"(?:photo(?:graph)?|image|picture|pic|caption|credit|illustration|video)s?"
                      r"(?: credit)?\s*:\s*\S", re.I)

_SENTENCE_END = (".", "!", "?", ":", '"', "”", "’", "'", ")", "…")


def split_text(text: str) -> tuple[dict[str, Any], dict[str, int], str]:
    """Headers, their lines, and the body (paragraphs joined by blank lines) of a .txt file."""
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    where: dict[str, int] = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
        elif _header(line, i + 1, meta, where) or _dateline(line, i + 1, meta, where):
            i += 1
        else:
            break
    if i < len(lines):
        meta["title"] = lines[i].strip()
        where["title"] = i + 1
        i += 1
    # The byline and date lines right under the title (a few at most, blank lines between).
    j = i
    while j < len(lines) and j < i + 8:
        line = lines[j].strip()
        if line and not _dateline(line, j + 1, meta, where):
            break
        j += 1
        if line:
            i = j
    if "draft" in meta:
        meta["draft"] = meta["draft"].lower() in ("true", "yes", "1")
    paragraphs = _paragraphs(_drop_residue(lines[i:]))
    if len(paragraphs) > MAX_PARAGRAPHS:
        raise ContentError(f"has {len(paragraphs):,} paragraphs; a scraped article may have at most "
                           f"{MAX_PARAGRAPHS:,}. Is it one article?")
    return meta, where, "\n\n".join(paragraphs)


def _header(line: str, number: int, meta: dict[str, Any], where: dict[str, int]) -> bool:
    """Read a ``Key: value`` header line into ``meta``; False if it is not one."""
    m = _TEXT_HEADER.match(line)
    if not m:
        return False
    key = m.group(1).lower()
    if key == "published" and m.group(2).strip().lower() in ("true", "false", "yes", "no"):
        pass  # Jekyll's publish flag, not a date
    elif key in _LABELS or key == "title" or key not in FRONT_MATTER_KEYS:
        return False  # labels are read by _dateline; "Title: …" is a title
    meta[key] = m.group(2).strip()
    where[key] = number
    return True


def _dateline(line: str, number: int, meta: dict[str, Any], where: dict[str, int]) -> bool:
    """Read a byline or date line (``By Jane Doe | Published 14 Dec 2025``) into ``meta``;
    False (and ``meta`` untouched) unless every part of it is one."""
    if len(line) > _SHORT:
        return False
    found: dict[str, Any] = {}
    parts = re.split(r"\s+[|·•]\s+", line) if "|" in line or "·" in line or "•" in line else [line]
    for part in parts:
        part = part.strip().rstrip(".")
        byline = _BYLINE.fullmatch(part)
        dated = _DATE_LINE.fullmatch(part)
        if dated and _is_date(dated["value"]):
            found[_LABELS[" ".join(dated["label"].lower().split())]] = dated["value"]
        elif byline and (names := _names(byline["names"])):
            found.setdefault("authors", names)
            for rest in byline["names"].split(","):
                if _is_date(rest.strip()):
                    found.setdefault("date", rest.strip())
        elif _is_date(part):
            found.setdefault("date", part)
        else:
            return False
    for key, value in found.items():
        if key == "authors" and ("author" in meta or "authors" in meta):
            continue
        meta.setdefault(key, value)
        where.setdefault(key, number)
    return True


def _is_date(text: str) -> bool:
    return bool(re.search(r"\d", text)) and parse_date(text, timezone.utc) is not None


def _names(text: str) -> list[str]:
    """The authors a byline names (``Jane Doe, John Roe and Ann Poe``); empty if it reads as prose."""
    text = re.split(r"\s+in\s+[A-Z]", text, maxsplit=1)[0]  # "By Jane Doe in London"
    names = []
    for part in re.split(r",\s*|\s+(?:and|&)\s+", text.strip()):
        words = part.split()
        if not words or _ROLES.search(part) or _is_date(part):
            continue
        if len(words) > 5 or not all(_NAME_WORD.match(word) for word in words):
            return []
        names.append(" ".join(words))
    return names


def _drop_residue(lines: list[str]) -> list[str]:
    """The lines without page residue: lone residue lines anywhere, and residue headings with the
    headlines (short lines that do not end a sentence) under them."""
    out: list[str] = []
    under_heading = False
    for raw in lines:
        line = raw.strip()
        bare = line.rstrip(".:!…").strip() if len(line) <= _SHORT else ""
        if not line:
            if not under_heading:
                out.append("")
        elif bare and _RESIDUE_HEADING.fullmatch(bare):
            under_heading = True
        elif under_heading and len(line) < 120 and not line.endswith("."):
            pass  # a headline under "Related articles"
        elif bare and (_RESIDUE.fullmatch(bare) or _credit(line)):
            under_heading = False
        else:
            under_heading = False
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _credit(line: str) -> bool:
    """A bare photo credit (``Image: Getty Images``): a caption with nothing to say without its image."""
    return bool(_CAPTION.match(line)) and len(line.split(":", 1)[1].split()) <= 4 and not line.endswith(".")


def lead(body: str) -> str:
    """The first paragraph of a text body that reads as prose (ends a sentence), passing over
    captions; else the first paragraph."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    return next((p for p in paragraphs if p.rstrip().endswith(_SENTENCE_END) and not _CAPTION.match(p)),
                paragraphs[0] if paragraphs else "")


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; so does a line break, unless the text is hard-wrapped.

    Text counts as hard-wrapped (e-mail style, near 72 columns) when no line is much longer than
    that; then a long line that does not end a sentence is continued on the next. Scraped text
    puts each paragraph on one line, so it is never joined; nor is a caption.
    """
    wrapped = max((len(line) for line in lines), default=0) <= 100
    out: list[str] = []
    joining = False
    for line in lines:
        if not line:
            joining = False
            continue
        caption = bool(_CAPTION.match(line))
        if joining and not caption:
            out[-1] += " " + line
        else:
            out.append(line)
        joining = wrapped and not caption and len(line) >= 50 and not line.endswith(_SENTENCE_END)
    return out
