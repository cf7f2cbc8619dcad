"""``syndicate serve``."""

from __future__ import annotations

import click

from .common import Context


@click.command()
@click.option("--host", help="Address to listen on. Default: [server] host (127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on. Default: [server] port (8080).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes serving on the one port; one per core uses them all.")
@click.option("--print-config", type=click.Choice(["nginx", "caddy"]), metavar="nginx|caddy",
              help="Print an nginx or Caddy configuration that serves output/ and passes the dynamic pages "
                   "to this server, and exit.")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, workers: int, print_config: str | None) -> None:
    """Serve the feeds, the newsletter archive and the subscribe pages over HTTP.

    Feeds go out from memory with ETag and Last-Modified, so readers that poll get
    304 Not Modified until a feed changes. /subscribe takes sign-ups (confirmed by
    email), /unsubscribe?token=… leaves with one click. Set [site] base_url to the
    address people reach this server at. At scale, put nginx or Caddy in front
    (--print-config) to serve the files, or use --workers.
    """
    if print_config:
        from ..web import print_config as show

        click.echo(show(obj.config, print_config, host=host, port=port), nl=False)
        return
    from ..web import serve as run_server

    run_server(obj.config, host=host, port=port, workers=workers)
