"""``syndicate serve``: the built files from memory with conditional GET, and the sign-up pages.

Each name is imported from its module when first asked for, so that a command pays at
start-up only for the modules it uses.
"""

from .._lazy import lazy_names as _lazy_names

_MODULES = {
    "create_app": "app", "serve": "app", "print_config": "proxy_configs",
}

__all__ = sorted(_MODULES)


__getattr__ = _lazy_names(__name__, _MODULES, globals())
