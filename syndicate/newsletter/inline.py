"""Inline the newsletter's CSS into ``style=""`` attributes with premailer, once per issue.

premailer's defaults would break a responsive email, so: ``strip_important=False``
(the @media rules it keeps in ``<style>`` must keep ``!important`` to beat the inlined
values on phones and in dark mode), ``allow_network=False`` (never fetch a stylesheet),
and cssutils' warnings about properties it does not know (``mso-hide``) stay out of the
user's terminal.
"""

from __future__ import annotations

import logging

_LOG = logging.getLogger("syndicate.inline")


_LOG.addHandler(logging.NullHandler())


_LOG.propagate = False


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules copied into ``style`` attributes; @media rules kept."""
    import premailer  # imported here: it pulls in cssutils, which only the newsletter needs

    return premailer.Premailer(
        html,
        strip_important=False,
        allow_network=False,
        allow_loading_external_files=False,
        keep_style_tags=False,
        remove_classes=False,
        disable_validation=True,
        # premailer copies CSS width/height into attributes: width="100%" height="auto" on an
        # image undoes the pixel width Outlook on Windows needs. The template sets those.
        disable_basic_attributes=["width", "height"],
        cssutils_logging_handler=logging.NullHandler(),
        cssutils_logging_level=logging.CRITICAL,
    ).transform(pretty_print=False)
