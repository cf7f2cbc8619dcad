"""``syndicate init`` (a new site) and ``syndicate new`` (a new article)."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from .common import Context, now_option

#: The three settings ``init`` asks for, with what it suggests.
ASKED = (("title", "--title", "My Site", "The site's name"),
         ("base_url", "--base-url", "https://example.com/", "The address the site is served from"),
         ("timezone", "--timezone", "UTC", "Its time zone (IANA, e.g. Europe/Berlin)"))


def _site_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check one [site] setting as the config file would, so a bad one is refused before anything is written."""
    from ..config import config_from_dict

    if value is None:
        return None
    try:
        config_from_dict({"site": {param.name: value}})
    except ConfigError as err:
        raise click.BadParameter(err.message.split(": ", 1)[-1]) from None
    return value


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", callback=_site_value, help="The site's name (asked for if not given).")
@click.option("--base-url", "base_url", callback=_site_value,
              help="The absolute https address the site is served from, e.g. https://blog.example.org/.")
@click.option("--timezone", callback=_site_value, help="The site's IANA time zone, e.g. Europe/Berlin.")
@now_option
@click.pass_context
def init(ctx: click.Context, directory: Path, title: str | None, base_url: str | None, timezone: str | None,
         now: datetime) -> None:
    """Make a new site in DIRECTORY (default: this folder).

    Writes syndicate.toml with every setting (each with its meaning and default),
    content/ with an example article, templates/ with a note on overriding the
    packaged templates, and a .gitignore for output/ and the state database. Asks
    for the title, base URL and time zone unless they are given (or the input is not
    a terminal: then the defaults are used). Never overwrites a file.
    """
    from ..content import init_site

    given: dict[str, Any] = {"title": title, "base_url": base_url, "timezone": timezone}
    interactive = sys.stdin.isatty()
    for name, option, default, question in ASKED:
        if given[name] is None:
            given[name] = (click.prompt(question, default=default, value_proc=_asker(ctx, name))
                           if interactive else default)
    written = init_site(directory, now=now, **given)
    where = os.path.relpath(directory)
    for path in written:
        click.echo(f"Wrote {os.path.relpath(path)}")
    cd = "" if where == "." else f"cd {where}\n  "
    click.echo(f"\nA new site, “{given['title']}”, in {'this folder' if where == '.' else where}. Next:\n"
               f"  {cd}syndicate new \"My first article\"\n  syndicate build")
    if given["base_url"] == "https://example.com/":
        click.echo("Before you publish, set [site] base_url in syndicate.toml to your site's address.")


def _asker(ctx: click.Context, name: str) -> Any:
    param = next(p for p in init.params if p.name == name)
    return lambda value: _site_value(ctx, param, value)


@click.command()
@click.argument("title")
@click.option("--tags", default="", metavar="A,B", help="Tags, separated by commas.")
@click.option("--draft", is_flag=True, help="Mark it a draft: it is held back until you remove the line.")
@click.option("--txt", "text", is_flag=True, help="Write a plain-text article (.txt) instead of Markdown.")
@now_option
@click.pass_obj
def new(obj: Context, title: str, tags: str, draft: bool, text: bool, now: datetime) -> None:
    """Write a new article, content/YYYY-MM-DD-<slug>.md, dated now, and print its path.

    The front matter is filled in: the title, the date and time in the site's time
    zone, the tags, and 'draft: true' with --draft. An existing file is never
    overwritten.
    """
    from ..content import new_article

    try:
        path = new_article(obj.config, title, tags=tags.split(","), draft=draft, text=text, now=now)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'TITLE'") from None
    click.echo(os.path.relpath(path))
