"""reStructuredText articles (``.rst``), as Pelican reads them: the document's title, its field
list (``:date:``, ``:tags:``, ``:slug:``…) as the front matter, the rest as the body. Pure.

docutils reads them with every way out of the file shut: no ``include``, no ``raw`` (nor its
``:file:``/``:url:``), no configuration files, no messages on the terminal.
"""

from __future__ import annotations

import io
from typing import Any

from ..errors import ContentError

#: docutils takes about 5 s a megabyte; a Pelican post is some 10 KB.
MAX_RST_BYTES = 256 * 1024

_SETTINGS = {
    "file_insertion_enabled": False, "raw_enabled": False, "_disable_config": True, "report_level": 5,
    "halt_level": 5, "input_encoding": "unicode", "syntax_highlight": "none", "embed_stylesheet": False,
    "doctitle_xform": True, "initial_header_level": 2, "traceback": True, "footnote_references": "superscript",
}


def read_rst(text: str) -> tuple[dict[str, Any], str]:
    """The title and the field list's fields as front-matter keys, and the body as HTML (not yet
    sanitized)."""
    from docutils import io as docutils_io
    from docutils import nodes
    from docutils.core import publish_doctree, publish_parts
    from docutils.readers import doctree

    size = len(text.encode("utf-8"))
    if size > MAX_RST_BYTES:
        raise ContentError(f"is {size // 1024} KB of reStructuredText; such an article may be at most "
                           f"{MAX_RST_BYTES // 1024} KB (docutils is slow on more). Split it, or write it in Markdown.")
    try:
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
        parts = publish_parts(tree, source_class=docutils_io.DocTreeInput, reader=doctree.Reader(parser="null"),
                              writer="html5", settings_overrides={**_SETTINGS, "warning_stream": io.StringIO()})
    except RecursionError:
        raise ContentError("nests its blocks too deep to read. Indent less.") from None
    return meta, parts["fragment"]
