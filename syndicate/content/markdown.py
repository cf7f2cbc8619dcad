"""Markdown files: YAML front matter between ``---`` lines, then the body."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import ContentError
from .chars import clean_text
from .limits import MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH, check_expansion


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML, but dates stay strings: they are parsed here, with clear errors."""

_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
    if end.start() > MAX_FRONT_MATTER_BYTES:
        raise ContentError(f"front matter is {end.start() / 1024:,.0f} KB; the limit is "
                           f"{MAX_FRONT_MATTER_BYTES // 1024} KB. Keep the body below the closing '---'.", line=1)
    block = clean_text(data[4 : end.start()].decode("utf-8"))
    try:
        meta = yaml.load(block, Loader=_Loader) if block.strip() else {}
    except ValueError as err:  # an integer of thousands of digits (Python's int limit), say
        raise ContentError(f"front matter has a value YAML cannot read ({err}). Quote it.", line=1) from None
    except RecursionError:
        raise ContentError(f"front matter nests lists or mappings more than {MAX_FRONT_MATTER_DEPTH} deep.",
                           line=1) from None
    except yaml.YAMLError as err:
        # An unclosed quote or bracket is reported where it opened (YAML notices it lines
        # later); any other mistake where the parser tripped over it.
        context = getattr(err, "context", None) or ""
        unclosed = context.startswith(("while scanning a quoted", "while parsing a flow"))
        mark = getattr(err, "context_mark" if unclosed else "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own bound on [[[[…]]]]
            raise ContentError(f"front matter nests lists or mappings more than {MAX_FRONT_MATTER_DEPTH} deep.",
                               line=line) from err
        where = f" ({context} started on this line)" if unclosed else ""
        raise ContentError(
            f"front matter is not valid YAML: {problem}{where}. Quote values that hold ':' or '#'.",
            line=line) from err
    if not isinstance(meta, dict):
        raise ContentError("front matter must be 'key: value' lines.", line=2)
    check_expansion(meta)
    body_start = data.find(b"\n", end.end())
    body = data[body_start + 1 :] if body_start != -1 else b""
    return {str(k): v for k, v in meta.items()}, block, body
