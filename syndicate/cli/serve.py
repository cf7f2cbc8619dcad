"""``syndicate serve``."""

from __future__ import annotations

import click

from .common import Context


@click.command()
@click.option("--host", help="Address to listen on. Default: [server] host (127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on. Default: [server] port (8080).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the feeds, the newsletter archive and the subscribe pages over HTTP.

    Feeds go out from memory with ETag and Last-Modified, so readers that poll get
    304 Not Modified until a feed changes. /subscribe takes sign-ups (confirmed by
    email), /unsubscribe?token=… leaves with one click. Set [site] base_url to the
    address people reach this server at.
    """
    from ..web import serve as run_server

    run_server(obj.config, host=host, port=port)
