"""Sanitized article HTML → plain text, for the text part of an email. A pure function.

The text keeps the structure a reader needs (headings, numbered and nested lists, quotes,
code, tables, links as ``text (url)``), in one linear pass however deep the HTML nests.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from html.parser import HTMLParser

#: Elements that end the text before them: each starts a block of its own.
_BLOCKS = frozenset({"p", "div", "section", "article", "aside", "header", "footer", "main", "nav", "address",
                     "figure", "figcaption", "details", "summary", "dl", "dt", "dd", "blockquote", "pre", "ul",
                     "ol", "li", "table", "caption", "tr", "hr", "h1", "h2", "h3", "h4", "h5", "h6"})

MAX_TEXT_NESTING = 10  # quotes and lists shown inside one another; deeper ones are shown at this depth
MIN_TEXT_WIDTH = 30  # however deep the nesting, a line keeps room for this many characters
_BREAK = "\x00"  # a <br> in the text of a block, until the block is wrapped


class _Box:
    """An open quote, list item or definition: what the first and the other lines in it start with."""

    __slots__ = ("tag", "first", "rest", "used")

    def __init__(self, tag: str, first: str) -> None:
        self.tag, self.first, self.used = tag, first, False
        self.rest = first if tag == "blockquote" else " " * len(first)


class _List:
    """An open list: its next number (None for bullets), how many items so far, where it sits."""

    __slots__ = ("number", "items", "depth", "nested")

    def __init__(self, number: int | None, depth: int, nested: bool) -> None:
        self.number, self.items, self.depth, self.nested = number, 0, depth, nested


class _Table:
    """The rows of a table being read: cell texts, whether each row is all headings, and the
    columns aligned right."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.heads: list[bool] = []
        self.right: set[int] = set()
        self.in_cell = False


class _TextWriter(HTMLParser):
    """Sanitized article HTML → lines of plain text that keep its structure (see :func:`html_to_text`).

    One pass, and every step is linear: the marks of at most :data:`MAX_TEXT_NESTING` quotes and
    lists start a line, and closing a tag pops only what it opened."""

    def __init__(self, page_url: str, width: int) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.width = width
        self.lines: list[str] = []
        self.current: list[str] = []  # the text of the block being read
        self.boxes: list[_Box] = []
        self.open: Counter[str] = Counter()  # tags of the open boxes
        self.lists: list[_List] = []
        self.links: list[tuple[str | None, int]] = []  # open links: href, where their text starts
        self.heading = 0
        self.pre: list[str] | None = None  # the text of a code block being read
        self.pre_depth = 0
        self.table: _Table | None = None
        self.table_depth = 0
        self.tight = False  # the next block follows the one before without a blank line

    # -- tags --

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self.table_depth += 1
            if self.table is None:
                self.flush()
                self.table = _Table()
            return
        if self.table is not None:  # a cell holds a line of text: its blocks are words in it
            if tag in ("tr", "td", "th") and self.table_depth == 1:
                self._start_cell(tag, attributes)
            elif tag in _BLOCKS or tag == "br":
                self.current.append(" ")
            else:
                self._inline(tag, attributes)
            return
        if self.pre is not None:
            self.pre_depth += tag == "pre"
            if tag == "br":
                self.pre.append("\n")
            return
        if tag in _BLOCKS:
            self.flush()
        if tag == "pre":
            self.pre, self.pre_depth = [], 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = int(tag[1])
        elif tag in ("ul", "ol"):
            start = attributes.get("start") or "1"
            number = int(start) if tag == "ol" and start.lstrip("-").isdigit() and len(start) < 10 else 1
            self.lists.append(_List(number if tag == "ol" else None, len(self.boxes),
                                    bool(self.boxes) and self.boxes[-1].tag == "li"))
        elif tag == "li":
            self._start_item()
        elif tag in ("blockquote", "dd"):
            self._push(_Box(tag, "> " if tag == "blockquote" else "   "))
            self.tight = self.tight or tag == "dd"  # a definition goes right under its term
        elif tag == "hr" or (tag == "section" and "footnotes" in (attributes.get("class") or "")):
            self.emit(["* * *"])
        else:
            self._inline(tag, attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.table_depth:
            self.table_depth -= 1
            if self.table_depth == 0:
                self._write_table()
            return
        if self.table is not None:
            if tag in ("td", "th") and self.table_depth == 1:
                self._end_cell()
            elif tag == "a":
                self._end_link()
            elif tag in _BLOCKS:
                self.current.append(" ")
            return
        if self.pre is not None:
            if tag == "pre":
                self.pre_depth -= 1
                if self.pre_depth == 0:
                    self._write_pre()
            return
        if tag == "a":
            self._end_link()
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self._pop_to(self.lists.pop().depth)
            self.tight = False
        elif tag in ("li", "blockquote", "dd"):
            self.flush()
            if self.open[tag]:  # else a stray end tag: nothing to close
                while self.boxes[-1].tag != tag:
                    self._pop_to(len(self.boxes) - 1)
                self._pop_to(len(self.boxes) - 1)
        elif tag in _BLOCKS:
            self.flush()
            self.heading = 0

    def handle_data(self, data: str) -> None:
        if self.pre is not None and self.table is None:
            self.pre.append(data)
        else:
            self.current.append(data.replace(_BREAK, ""))

    def _inline(self, tag: str, attributes: dict[str, str | None]) -> None:
        if tag == "a":
            self.links = [*self.links[-31:], (attributes.get("href"), len(self.current))]
        elif tag == "br":
            self.current.append(_BREAK)
        elif tag == "img" and attributes.get("alt"):
            self.current.append(f"[{attributes['alt']}]")
        elif tag == "input" and attributes.get("type") == "checkbox":  # a task list's box
            self.current.append("[x] " if "checked" in attributes else "[ ] ")

    def _end_link(self) -> None:
        """A link is shown as 'text (url)': once when its text is its URL, not at all when it
        leads to a place on the page itself (a footnote: '[1]')."""
        if not self.links:
            return
        href, start = self.links.pop()
        text = " ".join("".join(self.current[start:]).replace(_BREAK, " ").split())
        if not href:
            return
        if href.startswith("#") or (self.page_url and href.startswith(self.page_url + "#")):
            if text.isdigit():
                self.current[start:] = [f"[{text}]"]
            elif text in ("↩", "↩\ufe0e"):  # a footnote's way back
                del self.current[start:]
            return
        if not href.startswith(("http:", "https:", "mailto:")):
            return
        shown = href[len("mailto:"):] if href.startswith("mailto:") and "?" not in href else href
        if shown in text or text == shown.split("://", 1)[-1].rstrip("/"):
            return
        self.current.append(f" ({shown})")

    # -- lists and quotes --

    def _start_item(self) -> None:
        if not self.lists:  # an item outside any list
            self.lists.append(_List(None, len(self.boxes), False))
        at = self.lists[-1]
        self._pop_to(at.depth)  # the item before, left open, ends here
        marker = "- " if at.number is None else f"{at.number}. "
        if at.number is not None:
            at.number += 1
        at.items += 1
        self._push(_Box("li", marker))
        self.tight = at.items > 1 or at.nested

    def _push(self, box: _Box) -> None:
        self.boxes.append(box)
        self.open[box.tag] += 1

    def _pop_to(self, depth: int) -> None:
        """Close the boxes past ``depth``; an item that held nothing still shows its number."""
        while len(self.boxes) > depth:
            self.flush()
            box = self.boxes[-1]
            if box.tag == "li" and not box.used:
                self.emit([""])
            self.boxes.pop()
            self.open[box.tag] -= 1
        while self.lists and self.lists[-1].depth > len(self.boxes):
            self.lists.pop()

    # -- tables --

    def _start_cell(self, tag: str, attributes: dict[str, str | None]) -> None:
        table = self.table
        assert table is not None
        self._end_cell()
        if tag == "tr" or not table.rows:
            table.rows.append([])
            table.heads.append(True)
        if tag == "tr":
            return
        table.heads[-1] = table.heads[-1] and tag == "th"
        if attributes.get("align") == "right":
            table.right.add(len(table.rows[-1]))
        self.current, table.in_cell = [], True

    def _end_cell(self) -> None:
        table = self.table
        if table is not None and table.in_cell:
            table.rows[-1].append(" ".join("".join(self.current).replace(_BREAK, " ").split()))
            table.in_cell = False
        self.current = []

    def _write_table(self) -> None:
        self._end_cell()
        table, self.table = self.table, None
        if table is not None:
            lines = _table_lines(table, max(self.width - self._indent(), MIN_TEXT_WIDTH))
            if lines:
                self.emit(lines)

    # -- writing --

    def _write_pre(self) -> None:
        text = "".join(self.pre or []).replace("\r\n", "\n")
        self.pre = None
        text = text.removeprefix("\n")  # as HTML drops it
        if text.strip():
            self.emit(text.rstrip("\n").split("\n"))

    def flush(self) -> None:
        """End the block of text being read: wrap it (each <br> starts a line) and write it."""
        if not self.current:
            return
        text = "".join(self.current)
        self.current = []
        self.links = [(href, 0) for href, _ in self.links]  # a link left open goes on in the next block
        width = max(self.width - self._indent(), MIN_TEXT_WIDTH)
        lines = [line for part in text.split(_BREAK) if part.strip()
                 for line in textwrap.wrap(" ".join(part.split()), width, break_long_words=False,
                                           break_on_hyphens=False)]
        if lines and self.heading:
            lines.append(("=" if self.heading <= 2 else "-") * max(len(line) for line in lines))
        if lines:
            self.emit(lines)

    def emit(self, lines: list[str]) -> None:
        """Write a block's lines, each after the marks of the quotes and items it is in, and a
        blank line before it unless it is tight against the one before."""
        if self.lines and not self.tight:
            self.lines.append("".join(b.rest for b in self.boxes[:MAX_TEXT_NESTING] if b.used).rstrip())
        self.tight = False
        for line in lines:
            prefix = self._prefix()
            self.lines.append(prefix + line if line else prefix.rstrip())

    def _prefix(self) -> str:
        boxes = self.boxes
        prefix = "".join(b.rest if b.used else b.first for b in boxes[:MAX_TEXT_NESTING])
        if len(boxes) > MAX_TEXT_NESTING and not boxes[-1].used and boxes[-1].tag == "li":
            prefix += boxes[-1].first  # deeper than shown: no more indent, but still its number
        for box in reversed(boxes):  # the boxes used form a run from the outermost: stop at the first
            if box.used:
                break
            box.used = True
        return prefix

    def _indent(self) -> int:
        return sum(len(b.first) for b in self.boxes[:MAX_TEXT_NESTING])

    def finish(self) -> list[str]:
        self.close()
        if self.table is not None:
            self.table_depth = 0
            self._write_table()
        if self.pre is not None:
            self._write_pre()
        self.flush()
        return self.lines


def _table_lines(table: _Table, width: int) -> list[str]:
    """A table as columns lined up, when they fit in ``width``; else each row as 'heading:
    value' lines (or its cells one a line, in a table without a heading row), a blank line
    between rows."""
    kept = [(row, head) for row, head in zip(table.rows, table.heads) if any(row)]
    if not kept:
        return []
    columns = max(len(row) for row, _ in kept)
    rows = [row + [""] * (columns - len(row)) for row, _ in kept]
    header = kept[0][1] and len(rows) > 1
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    if sum(widths) + 2 * (columns - 1) <= width:
        lines = ["  ".join(cell.rjust(w) if i in table.right else cell.ljust(w)
                           for i, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
        if header:
            lines.insert(1, "  ".join("-" * w for w in widths))
        return lines
    labels = rows[0] if header else [""] * columns
    lines = []
    for row in rows[1:] if header else rows:
        if lines:
            lines.append("")
        for label, cell in zip(labels, row):
            if cell:
                lines += textwrap.wrap(f"{label}: {cell}" if label else cell, width, subsequent_indent="  ",
                                       break_long_words=False, break_on_hyphens=False)
    return lines


def html_to_text(html: str, *, page_url: str = "", width: int = 72) -> str:
    """Plain text of (sanitized) article HTML for an email's text part, wrapped at ``width``.

    It keeps the structure a reader needs: headings underlined (``=`` for the first two ranks,
    ``-`` below); lists as ``- `` or ``1.`` items (numbered from ``<ol start>``), each nested
    list 2 or 3 columns further in; quotes after ``> ``; code blocks line for line, never
    re-wrapped; a table as columns lined up when it fits, else as ``heading: value`` lines;
    a link as ``text (url)``, its URL once when the text is the URL, and none for a place on the
    page itself (``page_url#...``: a footnote is ``[1]``). Linear in the size of ``html``,
    however deep it nests (past :data:`MAX_TEXT_NESTING`, lines are indented no further).
    """
    writer = _TextWriter(page_url, width)
    writer.feed(html)
    return "\n".join(writer.finish())
