"""``syndicate serve``: the built files from memory with conditional GET, and the sign-up pages."""

from .app import create_app, serve

__all__ = ["create_app", "serve"]
