"""A package's names imported from their modules when first asked for (PEP 562), so that
importing the package costs only what is used: a command pays at start-up only for the
modules it uses (``syndicate build`` with nothing changed loads no template engine, no
Markdown renderer, no feed generator)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: each name in ``modules`` (name → its module, relative
    to the package) is imported when first asked for, then kept in the package's ``namespace``."""

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{modules[name]}", package), name)
        namespace[name] = value
        return value

    return __getattr__
