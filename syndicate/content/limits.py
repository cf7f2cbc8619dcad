"""The bounds on what one file may cost, so that no file can stop (or starve) the build of the others.

Every step after these checks is linear in the file's size: a file too big, front matter
that YAML aliases blow up, or markup nested too deep is refused or flattened here, with
a message naming the file, and the rest of the site builds. The README lists the bounds.
"""

from __future__ import annotations

import re
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import ContentError

MAX_FILE_BYTES = 2 * 1024 * 1024  # an article file, as read
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_FRONT_MATTER_VALUES = 10_000  # values in the front matter once YAML aliases are expanded
MAX_FRONT_MATTER_DEPTH = 20  # lists and mappings inside one another
MAX_HTML_DEPTH = 32  # elements inside one another in an article's HTML; deeper ones are flattened

# Elements that hold nothing, so never nest.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})
# A tag holds no "<": so an unclosed "<a " costs a scan to the next "<", not to the end.
# The formatting elements of HTML's parsing rules (the "list of active formatting elements").
_FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt",
                         "u"})
#: Formatting elements with attributes past this many lose their attributes (see flatten_nesting).
MAX_FORMATTING_WITH_ATTRIBUTES = 32
_FORMATTING_ATTRIBUTES = re.compile(r"<(b|big|code|em|font|i|nobr|s|small|strike|strong|tt|u)\s[^<>]*>", re.I)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*>")


def check_expansion(meta: Any) -> None:
    """Refuse front matter that is too big or too deep once its YAML aliases are expanded (the
    "billion laughs": a few lines of anchors and aliases that stand for billions of values).

    :raises ContentError: naming the limit.
    """
    if isinstance(meta, dict) and len(meta) < 100 and all(
            not isinstance(v, (dict, list, tuple)) or (isinstance(v, list) and len(v) < 100 and not any(
                isinstance(x, (dict, list, tuple)) for x in v)) for v in meta.values()):
        return  # the usual front matter: a few scalars and short flat lists, far inside both bounds
    budget = MAX_FRONT_MATTER_VALUES
    stack: list[tuple[Any, int]] = [(meta, 0)]
    while stack:
        value, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise ContentError(f"front matter holds more than {MAX_FRONT_MATTER_VALUES:,} values once its YAML "
                               "aliases (*name) are expanded. Write the values out, without aliases.", line=1)
        if depth > MAX_FRONT_MATTER_DEPTH:
            raise ContentError(f"front matter nests lists or mappings more than {MAX_FRONT_MATTER_DEPTH} deep.",
                               line=1)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value)
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)


def flatten_nesting(html: str, max_depth: int = MAX_HTML_DEPTH) -> str:
    """``html`` with the tags of elements nested deeper than ``max_depth`` left out (their text
    stays). Linear in the length: 50,000 nested quotes cost no more than 50,000 words, and
    no inliner or feed reader meets markup deeper than it can parse."""
    if html.count("<") < max_depth or _within_bounds(html, max_depth):
        return html
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open elements: (name, kept)
    open_names: Counter[str] = Counter()
    kept = 0
    last = 0
    formatting_with_attributes = 0
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID:  # ("<div/>" is no void element: HTML opens a div, so it counts)
            continue
        keep = True
        if not closing and name in _FORMATTING and name != "a" and match.end() - match.start() > len(name) + 2:
            formatting_with_attributes += 1
        if not closing:
            keep = kept < max_depth
            stack.append((name, keep))
            open_names[name] += 1
            kept += keep
        elif open_names[name]:  # close everything opened since that element, as HTML does
            implied = []
            while True:
                top, was_kept = stack.pop()
                open_names[top] -= 1
                kept -= was_kept
                if top == name:
                    keep = was_kept
                    break
                if was_kept and top in _FORMATTING:
                    implied.append(top)
            if implied:
                # Close them in so many words: HTML keeps an unclosed <b> "active" and opens it
                # again in every block that follows, so 50 KB of them would make 40 MB.
                out.append(html[last:match.start()] + "".join(f"</{t}>" for t in implied))
                last = match.start()
        if not keep:
            out.append(html[last:match.start()])
            last = match.end()
    out.append(html[last:])
    flat = "".join(out)
    if formatting_with_attributes > MAX_FORMATTING_WITH_ATTRIBUTES:
        # HTML reopens every unclosed formatting element in each later block, but keeps at most
        # three alike (same name and attributes): without attributes, the copies stay bounded,
        # whatever hides a closing tag from this scan (a comment, an attribute value).
        flat = _FORMATTING_ATTRIBUTES.sub(r"<\1>", flat)
    return flat


_TAG_PARTS = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b([^<>]*)>")  # the tags of _TAG, as (/, name, rest)


def _within_bounds(html: str, max_depth: int) -> bool:
    """Whether :func:`flatten_nesting` would give ``html`` back as it is: nothing nested deeper than
    ``max_depth``, no formatting element closed by another's closing tag, few formatting elements
    with attributes. The same walk over the tags with none of the rewriting, some 5 times faster:
    almost every article is within bounds."""
    stack: list[str] = []
    with_attributes = 0
    for closing, name, rest in _TAG_PARTS.findall(html):
        name = name.lower()
        if name in _VOID:
            continue
        if not closing:
            if len(stack) == max_depth:
                return False
            stack.append(name)
            if rest and name in _FORMATTING and name != "a":
                with_attributes += 1
        elif name in stack:
            while (top := stack.pop()) != name:
                if top in _FORMATTING:  # closed implicitly: flatten_nesting writes its closing tag
                    return False
    return with_attributes <= MAX_FORMATTING_WITH_ATTRIBUTES


class TookTooLong(BaseException):
    """A library reading one file ran past its time (see :func:`time_limit`). A BaseException,
    as KeyboardInterrupt is, so that the library's own ``except Exception`` cannot swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TookTooLong` inside the block once ``seconds`` have passed: a bound on
    libraries not written for hostile input (docutils, trafilatura). It needs the main thread,
    where signals arrive (a build's, or a worker process's); elsewhere the block is not timed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise TookTooLong

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
