"""Markdown files: front matter, then the body. The front matter is in one of the forms the
static site generators write, tried in order, each recognised by how it starts:

- YAML between ``---`` lines (Jekyll, Hugo, most others);
- TOML between ``+++`` lines (Hugo, Zola), read with ``tomllib``;
- JSON, an object starting on the first line (Hugo);
- ``Key: value`` lines up to the first blank line (Pelican, MultiMarkdown).

Blank lines and a byte-order mark before it are fine. A front matter that cannot be read
is an error naming the form it looked like, what is wrong, and the line.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import yaml

from ..errors import ContentError
from .chars import clean_text
from .frontmatter import load_simple
from .limits import MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH, check_expansion


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML, but dates stay strings: they are parsed here, with clear errors."""

_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_FENCE = re.compile(rb"^(?:---|\.\.\.)[ \t]*$", re.M)


def split_front_matter(data: bytes) -> tuple[dict[str, Any], str, bytes, int]:
    """The front matter (parsed), its text (for line numbers), the body's bytes, and the line of
    the file on which the front matter's text starts."""
    stripped = data.lstrip(b" \t\n")
    skipped = data[: len(data) - len(stripped)].count(b"\n")
    for starts, split, first in _FORMS:
        if starts(stripped):
            try:
                meta, block, body = split(stripped)
            except ContentError as err:
                if err.line is not None:
                    err.line += skipped
                raise
            check_expansion(meta)
            return {str(k): v for k, v in meta.items()}, block, body, first + skipped
    raise ContentError(
        "has no front matter. Start the file with a line '---', then 'title: ...' and "
        "'date: ...', then another '---' (or use TOML between '+++' lines, or 'Title: ...' lines).",
        line=1 + skipped)


def _split_yaml(data: bytes) -> tuple[dict[str, Any], str, bytes]:
    end = _FENCE.search(data, 4)
    if end is None:
        raise ContentError("front matter is not closed. Add a line '---' after the last key.", line=1)
    _check_size(end.start(), "---")
    block = clean_text(data[4 : end.start()].decode("utf-8"))
    try:
        meta = load_simple(block, _Loader)
        if meta is None:
            meta = yaml.load(block, Loader=_Loader) if block.strip() else {}
    except ValueError as err:  # an integer of thousands of digits (Python's int limit), say
        raise ContentError(f"front matter has a value YAML cannot read ({err}). Quote it.", line=1) from None
    except RecursionError:
        raise _too_deep("lists or mappings", line=1) from None
    except yaml.YAMLError as err:
        # An unclosed quote or bracket is reported where it opened (YAML notices it lines
        # later); any other mistake where the parser tripped over it.
        context = getattr(err, "context", None) or ""
        unclosed = context.startswith(("while scanning a quoted", "while parsing a flow"))
        mark = getattr(err, "context_mark" if unclosed else "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own bound on [[[[…]]]]
            raise _too_deep("lists or mappings", line=line) from err
        where = f" ({context} started on this line)" if unclosed else ""
        raise ContentError(
            f"front matter is not valid YAML: {problem}{where}. Quote values that hold ':' or '#'.",
            line=line) from err
    if not isinstance(meta, dict):
        raise ContentError("front matter must be 'key: value' lines.", line=2)
    return meta, block, _after(data, end.end())


_TOML_FENCE = re.compile(rb"^\+\+\+[ \t]*$", re.M)
_TOML_LINE = re.compile(r"at line (\d+), column \d+")


def _split_toml(data: bytes) -> tuple[dict[str, Any], str, bytes]:
    end = _TOML_FENCE.search(data, 4)
    if end is None:
        raise ContentError("TOML front matter is not closed. Add a line '+++' after the last key.", line=1)
    _check_size(end.start(), "+++")
    block = clean_text(data[4 : end.start()].decode("utf-8"))
    try:
        meta = tomllib.loads(block)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_LINE.search(str(err))
        problem = _TOML_LINE.sub("", str(err)).rstrip(" ()")
        raise ContentError(f"front matter is not valid TOML: {problem}.",
                           line=int(found.group(1)) + 1 if found else 1) from None
    except RecursionError:
        raise _too_deep("tables or arrays", line=1) from None
    return meta, block, _after(data, end.end())


def _split_json(data: bytes) -> tuple[dict[str, Any], str, bytes]:
    text = clean_text(data[: MAX_FRONT_MATTER_BYTES + 1].decode("utf-8", "ignore"))
    try:
        meta, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as err:
        if err.pos >= MAX_FRONT_MATTER_BYTES:
            _check_size(err.pos, "}")
        raise ContentError(f"front matter is not valid JSON: {err.msg}.", line=err.lineno) from None
    except RecursionError:
        raise _too_deep("objects or arrays", line=1) from None
    if not isinstance(meta, dict):
        raise ContentError("JSON front matter must be an object, '{ \"title\": ... }'.", line=1)
    consumed = len(text[:end].encode("utf-8"))
    return meta, text[1:end], _after(data, consumed).lstrip(b"\n")  # (a blank line after the object is usual)


# A word, a colon, a value: "Title: My post" (Pelican and MultiMarkdown metadata).
_META_LINE = re.compile(rb"([A-Za-z][A-Za-z0-9_ -]*?)[ \t]*:[ \t]*(.*)")


def _split_metadata(data: bytes) -> tuple[dict[str, Any], str, bytes]:
    head, blank, body = data.partition(b"\n\n")
    _check_size(len(head), "blank line")
    meta: dict[str, Any] = {}
    key = ""
    for raw in head.rstrip(b"\n").split(b"\n"):
        match = _META_LINE.fullmatch(raw)
        if match:
            key = match.group(1).decode("utf-8").strip().lower()
            meta[key] = clean_text(match.group(2).decode("utf-8")).strip()
        elif key and raw[:1] in (b" ", b"\t"):  # a value that goes on, indented
            meta[key] += " " + clean_text(raw.decode("utf-8")).strip()
        else:
            line = data[: data.index(raw)].count(b"\n") + 1 if raw else 1
            raise ContentError("front matter of 'Key: value' lines has a line that is neither (end the lines "
                               "with a blank line before the text).", line=line)
    if "draft" in meta:
        meta["draft"] = str(meta["draft"]).lower() in ("true", "yes", "1")
    return meta, clean_text(head.decode("utf-8")), body


def _after(data: bytes, end: int) -> bytes:
    """The body: what follows the line on which the front matter ends."""
    start = data.find(b"\n", end)
    return data[start + 1 :] if start != -1 else b""


def _too_deep(things: str, *, line: int | None) -> ContentError:
    return ContentError(f"front matter nests {things} more than {MAX_FRONT_MATTER_DEPTH} deep.", line=line)


def _check_size(size: int, closing: str) -> None:
    if size > MAX_FRONT_MATTER_BYTES:
        raise ContentError(f"front matter is {size / 1024:,.0f} KB; the limit is {MAX_FRONT_MATTER_BYTES // 1024} "
                           f"KB. Keep the body below the closing '{closing}'.", line=1)


def _looks_like_metadata(data: bytes) -> bool:
    match = _META_LINE.match(data[: data.find(b"\n")] if b"\n" in data else data)
    return bool(match) and match.group(1).strip().lower() in (b"title", b"date")


#: The forms, tried in order: (how it starts, how to read it, the line its text starts on).
_FORMS = (
    (lambda data: re.match(rb"---[ \t]*\n", data) is not None, _split_yaml, 2),
    (lambda data: re.match(rb"\+\+\+[ \t]*\n", data) is not None, _split_toml, 2),
    (lambda data: data[:1] == b"{", _split_json, 1),
    (_looks_like_metadata, _split_metadata, 1),
)
