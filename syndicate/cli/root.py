"""The root ``syndicate`` group: its options, and the context every command reads its config from."""

from __future__ import annotations

import click

from .. import __version__
from .common import Context, Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="syndicate")
@click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False), envvar="SYNDICATE_CONFIG",
    help="Config file to read. Default: ./syndicate.toml if present, else built-in defaults.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, debug: bool) -> None:
    """Build RSS, Atom and JSON feeds (and newsletters) from a folder of articles.

    Articles are Markdown files with YAML front matter, or plain-text files, under
    content/. Output goes to output/. Settings come from syndicate.toml; with no such
    file the defaults build the sample site. Start with:

        syndicate build

    Then: 'syndicate newsletter' makes an issue, 'syndicate subscribers' keeps the
    list, 'syndicate send' mails it, 'syndicate serve' serves the feeds and the
    sign-up pages, and 'syndicate run' or 'syndicate schedule' does it all on time.
    """
    ctx.obj = Context(config_path, debug)

