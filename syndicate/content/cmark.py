"""Markdown to HTML with cmark-gfm (through cmarkgfm), freeing what each rendering allocates.

cmarkgfm's ``markdown_to_html_with_extensions`` (2025.10.22 and before) frees the parser but
never the document it parsed nor the HTML string it rendered: some 45 KB an article, so that
rendering 10,000 articles held 450 MB that nothing could give back. This calls the same C
functions in the same order through cmarkgfm's own bindings, and then frees both, with the
library's ``cmark_node_free`` and the C library's ``free`` (cmark's default allocator is
malloc's). Where those symbols cannot be found, cmarkgfm's own function is used as it is.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence

import cmarkgfm
from cmarkgfm import _cmark


def _freeing_functions() -> tuple[Callable[[int], None], Callable[[int], None]] | None:
    try:
        library = ctypes.CDLL(_cmark.__file__)  # the module already loaded: the same handle
        node_free, free = library.cmark_node_free, ctypes.CDLL(None).free
    except (OSError, AttributeError):
        return None
    node_free.argtypes = free.argtypes = [ctypes.c_void_p]
    node_free.restype = free.restype = None
    return node_free, free


_FREE = _freeing_functions()


def markdown_to_html(text: str, options: int, extensions: Sequence[str]) -> str:
    """``text`` as HTML, as ``cmarkgfm.markdown_to_html_with_extensions`` renders it."""
    if _FREE is None:
        return cmarkgfm.markdown_to_html_with_extensions(text, options=options, extensions=list(extensions))
    node_free, free = _FREE
    ffi, lib = _cmark.ffi, _cmark.lib
    lib.cmark_gfm_core_extensions_ensure_registered()
    parser = lib.cmark_parser_new(options)
    try:
        for name in extensions:
            extension = lib.cmark_find_syntax_extension(name.encode())
            if extension == ffi.NULL:
                raise ValueError(f"unknown cmark-gfm extension {name}")
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        data = text.encode("utf-8")
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)  # the caller's to free (the parser keeps a new, empty one)
        try:
            html = lib.cmark_render_html(root, options, lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return ffi.string(html).decode("utf-8")
            finally:
                free(int(ffi.cast("uintptr_t", html)))
        finally:
            node_free(int(ffi.cast("uintptr_t", root)))
    finally:
        lib.cmark_parser_free(parser)
