"""A fast reader for the simple YAML front matter nearly every article has, for speed only.

Even with libyaml, PyYAML spends ~30 us on a typical front matter (its constructor is Python),
a quarter of reading an article in a feeds-only build. Most front matter is ``key: scalar``
lines, one-line ``[a, b]`` lists and ``- item`` lists; :func:`load_simple` reads exactly those
(in ~9 us) and returns what PyYAML's loader returns for them, the scalars typed by the loader's
own resolvers, and ``None`` for anything else or anything it is not certain of, so that PyYAML
reads it (and reports its errors).
"""

from __future__ import annotations

import re
from typing import Any

_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")
_ITEM_LINE = re.compile(r"( *)- +(.*)")
#: What PyYAML refuses or reads as a line break or a byte-order mark; and tabs, to stay simple: the
#: controls but the line feed, C1, the line and paragraph separators, surrogates, the BOM, U+FFFE
#: and U+FFFF. Named, not as the complement of what is allowed: that class takes 7 ms to compile.
_UNSURE_CHARS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
#: A plain scalar starting with one of these is left to PyYAML (but ``-`` then a letter or digit).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_PLAIN = re.compile(r"[^,\[\]{}#:'\"]*")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"[-+]?[0-9]{1,15}\.[0-9]{1,15}")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t"}
_STR = "tag:yaml.org,2002:str"


class _Resolvers:
    """A loader's implicit resolvers, and the tags they gave."""

    def __init__(self, table: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> None:
        self.table = table
        self.cache: dict[str, str] = {}


_RESOLVERS: dict[Any, _Resolvers] = {}


class _Unsure(Exception):
    """The front matter is not in the simple form: PyYAML reads it."""


def load_simple(block: str, loader: Any) -> dict[str, Any] | None:
    """``block`` read as ``yaml.load(block, Loader=loader)`` would, or ``None`` when it is not
    one of the simple forms (PyYAML then reads it). ``loader`` gives the implicit resolvers
    (read once: change them before the first call)."""
    if _UNSURE_CHARS.search(block):
        return None
    resolvers = _RESOLVERS.get(loader)
    if resolvers is None:
        resolvers = _RESOLVERS[loader] = _Resolvers(loader.yaml_implicit_resolvers)
    try:
        return _load(block.split("\n"), resolvers)
    except _Unsure:
        return None


def _load(lines: list[str], resolvers: _Resolvers) -> dict[str, Any] | None:
    meta: dict[str, Any] = {}
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        i += 1
        if not line or line[0] == "#" or not line.strip():  # a comment, a blank line
            continue
        match = _KEY_LINE.fullmatch(line)
        if match is None:
            raise _Unsure
        key, value = match.group(1), match.group(2)
        if (resolvers.cache.get(key) or _resolve(key, resolvers)) != _STR:  # `yes:`, `on:` are no string keys
            raise _Unsure
        value = value.rstrip(" ") if value else ""
        if value:
            if value[0] == '"' and value[-1] == '"' and value.count('"') == 2 and "\\" not in value:
                meta[key] = value[1:-1]  # the usual "text", read here for speed
            elif value[0] == "[":
                meta[key] = _flow_list(value, resolvers)
            else:
                meta[key] = _scalar(value, resolvers, flow=False)
            continue
        items: list[Any] = []
        indent = None
        while i < count:
            item = _ITEM_LINE.fullmatch(lines[i])
            if item is None or (indent is not None and item.group(1) != indent):
                break
            indent = item.group(1)
            text = item.group(2).rstrip(" ")
            if not text:
                raise _Unsure
            items.append(_scalar(text, resolvers, flow=False))
            i += 1
        if indent is None:
            if i < count and lines[i][:1] == " ":  # a nested mapping, or a value on the next line
                raise _Unsure
            meta[key] = None
        else:
            meta[key] = items
    return meta or None


def _flow_list(value: str, resolvers: _Resolvers) -> list[Any]:
    """A one-line ``[a, "b", 'c']`` of scalars."""
    if value[-1] != "]":
        raise _Unsure
    inner = value[1:-1].strip(" ")
    if not inner:
        return []
    items = []
    pos, end = 0, len(inner)
    while True:
        while pos < end and inner[pos] == " ":
            pos += 1
        if pos < end and inner[pos] in "\"'":
            text, pos = _quoted(inner, pos)
            items.append(text)
        else:
            match = _FLOW_PLAIN.match(inner, pos)
            assert match is not None  # it matches the empty string
            text = match.group().rstrip(" ")
            if not text:
                raise _Unsure
            items.append(_scalar(text, resolvers, flow=True))
            pos = match.end()
        while pos < end and inner[pos] == " ":
            pos += 1
        if pos == end:
            return items
        if inner[pos] != ",":
            raise _Unsure
        pos += 1
        if pos == end or not inner[pos:].strip(" "):  # a trailing comma
            raise _Unsure


def _scalar(text: str, resolvers: _Resolvers, *, flow: bool) -> Any:
    """One scalar, ``text`` stripped: quoted, or plain and typed as the loader types it."""
    first = text[0]
    if first in "\"'":
        value, end = _quoted(text, 0)
        if end != len(text):
            raise _Unsure
        return value
    if first in _INDICATORS and (first != "-" or len(text) < 2 or not text[1].isalnum()):
        raise _Unsure
    if not flow and (": " in text or " #" in text or text[-1] == ":"):
        raise _Unsure
    tag = _resolve(text, resolvers)
    if tag == _STR:
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("yes", "true", "on")
    if tag == "tag:yaml.org,2002:int" and _INT.fullmatch(text):
        return int(text)
    if tag == "tag:yaml.org,2002:float" and _FLOAT.fullmatch(text):
        return float(text)
    raise _Unsure  # 0o17, 1_000, 1:30, .inf, `=`, `<<`, a timestamp: PyYAML knows best


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The string quoted at ``text[start]`` and the index after its closing quote."""
    quote = text[start]
    close = text.find(quote, start + 1)
    if close != -1 and text[close + 1 : close + 2] != quote and (quote == "'" or "\\" not in text[start:close]):
        return text[start + 1 : close], close + 1  # no escape: the usual case
    out = []
    pos = start + 1
    end = len(text)
    while True:
        close = text.find(quote, pos)
        if quote == '"':
            slash = text.find("\\", pos, close if close != -1 else end)
            if slash != -1:
                out.append(text[pos:slash])
                escaped = text[slash + 1 : slash + 2]
                if escaped == "u":
                    digits = text[slash + 2 : slash + 6]
                    if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                        raise _Unsure
                    code = int(digits, 16)
                    if 0xD800 <= code <= 0xDFFF or code < 0x20 or 0x7F <= code < 0xA0:
                        raise _Unsure
                    out.append(chr(code))
                    pos = slash + 6
                elif escaped in _ESCAPES:
                    out.append(_ESCAPES[escaped])
                    pos = slash + 2
                else:
                    raise _Unsure
                continue
        if close == -1:
            raise _Unsure
        if quote == "'" and text[close + 1 : close + 2] == "'":
            out.append(text[pos : close + 1])
            pos = close + 2
            continue
        out.append(text[pos:close])
        return "".join(out), close + 1


def _resolve(value: str, resolvers: _Resolvers) -> str:
    """The tag the loader gives a plain scalar (PyYAML's ``BaseResolver.resolve``), remembered:
    keys and tags come again and again."""
    known = resolvers.cache.get(value)
    if known is not None:
        return known
    tag = _tag(value, resolvers.table)
    if len(resolvers.cache) < 4096 and len(value) < 64:
        resolvers.cache[value] = tag
    return tag


def _tag(value: str, table: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> str:
    tag = _STR
    for candidate, regexp in table.get(value[0] if value else "", []) + table.get(None, []):
        if regexp.match(value):
            tag = candidate
            break
    return tag
