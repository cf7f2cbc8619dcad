"""``syndicate serve``: the built files from memory with conditional GET, and the sign-up pages.

Its names are loaded when first used (see ``syndicate._lazy``).
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "create_app": "app", "serve": "app", "print_config": "proxy_configs",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
