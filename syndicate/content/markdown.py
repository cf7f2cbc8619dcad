"""Markdown files: YAML front matter between ``---`` lines, then the body."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import ContentError
from .chars import clean_text


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML, but dates stay strings: they are parsed here, with clear errors."""


_FENCE = re.compile(rb"^(?:---|\.\.\.)[ \t]*$", re.M)


def split_front_matter(data: bytes) -> tuple[dict[str, Any], str, bytes]:
    """The front matter (parsed), its text (for line numbers) and the body's bytes."""
    if not re.match(rb"---[ \t]*\n", data):
        raise ContentError(
            "has no front matter. Start the file with a line '---', then 'title: ...' and "
            "'date: ...', then another '---'.", line=1)
    end = _FENCE.search(data, 4)
    if end is None:
        raise ContentError("front matter is not closed. Add a line '---' after the last key.", line=1)
    block = clean_text(data[4 : end.start()].decode("utf-8"))
    try:
        meta = yaml.load(block, Loader=_Loader) if block.strip() else {}
    except yaml.YAMLError as err:
        # An unclosed quote or bracket is reported where it opened (YAML notices it lines
        # later); any other mistake where the parser tripped over it.
        context = getattr(err, "context", None) or ""
        unclosed = context.startswith(("while scanning a quoted", "while parsing a flow"))
        mark = getattr(err, "context_mark" if unclosed else "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        where = f" ({context} started on this line)" if unclosed else ""
        raise ContentError(
            f"front matter is not valid YAML: {problem}{where}. Quote values that hold ':' or '#'.",
            line=line) from err
    if not isinstance(meta, dict):
        raise ContentError("front matter must be 'key: value' lines.", line=2)
    body_start = data.find(b"\n", end.end())
    body = data[body_start + 1 :] if body_start != -1 else b""
    return {str(k): v for k, v in meta.items()}, block, body
