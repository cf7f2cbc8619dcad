"""reStructuredText articles (``.rst``), as Pelican reads them: the document's title, its field
list (``:date:``, ``:tags:``, ``:slug:``…) as the front matter, the rest as the body. Pure.

docutils reads them with every way out of the file shut: no ``include``, no ``raw`` (nor its
``:file:``/``:url:``), no image embedded from a file (``:loading: embed``), no configuration
files, no messages on the terminal. docutils was not written for hostile input, so a file is
also bounded: in size, in nested substitutions (which expand exponentially), and in time.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ..errors import ContentError
from .limits import TookTooLong, time_limit

#: docutils takes about 5 s a megabyte, far more on some constructs; a Pelican post is some 10 KB.
MAX_RST_BYTES = 64 * 1024
#: The time docutils may take on one file (where a timer can be set: the main thread).
MAX_RST_SECONDS = 5.0

#: A substitution definition (``.. |name| replace:: …``), whose text may go on in indented lines.
_SUBSTITUTION = re.compile(r"\.\.[ \t]+\|[^|\n]+\|[ \t]+\S+::(.*)")

_SETTINGS = {
    "file_insertion_enabled": False, "raw_enabled": False, "_disable_config": True, "report_level": 5,
    "halt_level": 5, "input_encoding": "unicode", "syntax_highlight": "none", "embed_stylesheet": False,
    "doctitle_xform": True, "initial_header_level": 2, "traceback": True, "footnote_references": "superscript",
    "image_loading": "link",
}


def read_rst(text: str) -> tuple[dict[str, Any], str]:
    """The title and the field list's fields as front-matter keys, and the body as HTML (not yet
    sanitized)."""
    size = len(text.encode("utf-8"))
    if size > MAX_RST_BYTES:
        raise ContentError(f"is {size // 1024} KB of reStructuredText; such an article may be at most "
                           f"{MAX_RST_BYTES // 1024} KB (docutils is slow on more). Split it, or write it in Markdown.")
    if _nested_substitution(text):
        raise ContentError("has a substitution that refers to another (|a| replace:: |b|), which docutils expands "
                           "without bound. Write the text out.")
    try:
        with time_limit(MAX_RST_SECONDS):
            meta, html = _publish(text)
    except RecursionError:
        raise ContentError("nests its blocks too deep to read. Indent less.") from None
    except TookTooLong:
        raise ContentError(f"took docutils more than {MAX_RST_SECONDS:g} s to read, so it was left out. Simplify "
                           "it, or write it in Markdown.") from None
    return meta, html


def _nested_substitution(text: str) -> bool:
    """Whether a substitution's text (on its line or the indented ones under it) refers to another
    substitution: each level can double the text, so 30 lines would make a billion copies."""
    if "|" not in text:
        return False
    inside = False
    for line in text.split("\n"):
        definition = _SUBSTITUTION.match(line)
        if definition:
            inside, line = True, definition.group(1)
        elif inside and not line[:1].isspace() and line.strip():
            inside = False
        if inside and re.search(r"\|[^|\s][^|]*\|", line):
            return True
    return False


def _publish(text: str) -> tuple[dict[str, Any], str]:
    from docutils import io as docutils_io
    from docutils import nodes
    from docutils.core import publish_doctree, publish_parts
    from docutils.readers import doctree

    tree = publish_doctree(text, settings_overrides={**_SETTINGS, "warning_stream": io.StringIO()})
    meta: dict[str, Any] = {}
    if tree.get("title"):
        meta["title"] = tree["title"]
    for info in tree.findall(nodes.docinfo):
        for item in info.children:
            if isinstance(item, nodes.field):
                meta[item[0].astext().strip().lower()] = item[1].astext().strip()
            elif isinstance(item, nodes.authors):
                meta["authors"] = [author.astext().strip() for author in item.children]
            else:  # :date:, :author:, :status:, … (docutils' own bibliographic fields)
                meta[item.tagname] = item.astext().strip()
        info.parent.remove(info)
    for image in tree.findall(nodes.image):
        image.attributes.pop("loading", None)  # "embed" would read the file it names, anywhere
    parts = publish_parts(tree, source_class=docutils_io.DocTreeInput, reader=doctree.Reader(parser="null"),
                          writer="html5", settings_overrides={**_SETTINGS, "warning_stream": io.StringIO()})
    return meta, parts["fragment"]
