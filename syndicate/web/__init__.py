"""``syndicate serve``: the built files from memory with conditional GET, and the sign-up pages."""

from .app import create_app, serve
from .proxy_configs import print_config

__all__ = ["create_app", "print_config", "serve"]
