"""Per-subscriber values in a rendered issue: placeholders in, values out, fast.

An issue is rendered and its CSS inlined once. The values that differ per subscriber
(the unsubscribe link, the address, the name) go in as placeholders: ``%%`` + a
random per-issue nonce + the field name. They are plain ASCII that HTML parsing,
premailer and autoescaping leave alone, also inside ``href``; and since article
content is written before the nonce exists, no article can forge one.

A :class:`Personalizer` splits a rendered part at its placeholders once; filling it
for a subscriber is then a single ``str.join`` (hundreds of thousands per second).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from ..state import Issue

#: The per-subscriber fields a template can use, and the context name of each.
FIELDS = ("unsubscribe_url", "email", "name")


def new_nonce() -> str:
    """A fresh random nonce for one issue's placeholders."""
    return secrets.token_hex(8)


def placeholder(nonce: str, field: str) -> str:
    return f"%%{nonce}-{field}%%"


def placeholders(nonce: str) -> dict[str, str]:
    """Every field's placeholder for ``nonce``."""
    return {field: placeholder(nonce, field) for field in FIELDS}


@dataclass(frozen=True)
class Personalizer:
    """A rendered part (HTML or text) split at its placeholders, ready to fill."""

    segments: tuple[str, ...]  # literal text at even indexes, field names at odd ones
    escape: bool

    @classmethod
    def compile(cls, rendered: str, nonce: str, *, escape: bool) -> Personalizer:
        """Split ``rendered`` at ``nonce``'s placeholders; ``escape`` HTML-escapes values."""
        pattern = re.compile("%%" + re.escape(nonce) + "-(" + "|".join(FIELDS) + ")%%")
        return cls(tuple(pattern.split(rendered)), escape)

    @property
    def fields(self) -> set[str]:
        return set(self.segments[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        """The part for one subscriber. Every field used must be in ``values``."""
        parts = list(self.segments)
        for i in range(1, len(parts), 2):
            value = values[parts[i]]
            parts[i] = html.escape(value) if self.escape else value
        return "".join(parts)


def personalizers(issue: Issue) -> tuple[Personalizer, Personalizer]:
    """An issue's (HTML, text) parts, each compiled once and ready to fill for one subscriber."""
    return (Personalizer.compile(issue.html, issue.nonce, escape=True),
            Personalizer.compile(issue.text, issue.nonce, escape=False))
