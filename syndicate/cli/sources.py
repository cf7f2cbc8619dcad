"""``syndicate sources …``: the feeds of other sites the newsletter follows (``[[sources]]`` in syndicate.toml)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone, tzinfo
from pathlib import Path

import click

from ..errors import FetchError
from .common import Context, plural


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _tags(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    return tuple(t for t in (part.strip() for part in value.split(",")) if t)


@click.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """List, add, import and export the sites the newsletter follows.

    Sources are [[sources]] tables in syndicate.toml (url, name, tags, full_content,
    republish, max_age, every): 'add' and 'import' append tables to the file and leave
    the rest of it byte for byte as it was. 'syndicate build' and 'syndicate run' fetch
    each source when its interval ([fetch] every) has passed. With no command: 'list'.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_)


@sources.command("list")
@click.pass_obj
def list_(obj: Context) -> None:
    """Each source: name and URL, status, last fetch, entries kept, next fetch."""
    from ..sources import list_sources

    config = obj.config
    rows = list_sources(config)
    for row in rows:
        click.echo(f"{row.source.name} <{row.source.url}>")
        state = row.state
        if state is None or state.fetched_at is None:
            click.echo("  new: not fetched yet (the next build or run fetches it)")
            continue
        line = f"  {state.status}: fetched {_when(state.fetched_at, config.tz)} ({state.last_result})"
        line += f"; {_entries(state.entries)}"
        if state.next_fetch_at is not None:
            line += f"; next fetch after {_when(state.next_fetch_at, config.tz)}"
        click.echo(line)
        if state.message:
            click.echo(f"  {state.message}")
        if state.moved_to:
            click.echo(f"  moved for good to {state.moved_to} (fetched there)")
    click.echo(f"{plural(len(rows), 'source')}.", err=True)


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _when(moment: datetime, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M %Z}"


@sources.command()
@click.argument("url")
@click.option("--name", default="", help="The name readers see it by (default: the feed's own title).")
@click.option("--tags", default="", callback=_tags, help="Tags for its entries, separated by commas.")
@click.option("--republish", is_flag=True,
              help="Also put its entries in the site's own feeds, crediting the original (ask its author first).")
@click.option("--full-content", is_flag=True, help="Keep each entry's whole content, not only its summary.")
@click.option("--no-check", is_flag=True, help="Add the URL as given, without fetching it (it must be the feed's).")
@click.pass_obj
def add(obj: Context, url: str, name: str, tags: tuple[str, ...], republish: bool, full_content: bool,
        no_check: bool) -> None:
    """Add the feed at URL, or the feed a site's page at URL announces (autodiscovery).

    The address is fetched first: a feed (RSS, Atom or JSON Feed) is added as it is; a web
    page is searched for <link rel="alternate"> feeds, and the first that can be read is
    added. Exits 1, adding nothing, when no feed is found.
    """
    from urllib.parse import urlsplit

    from ..sources import add_source, config_path

    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) address. Write it like https://example.org/.",
                                 param_hint="'URL'")
    config = obj.config
    try:
        result = add_source(config, url, name=name, tags=tags, republish=republish, full_content=full_content,
                            check=not no_check)
    except FetchError as err:
        click.echo(click.style("error: ", fg="red") + f"{url} {err.message}. Nothing was added.", err=True)
        sys.exit(1)
    source = result.source
    if not result.added:
        click.echo(f"{source.url} is already a source ({source.name!r}); nothing changed.")
        return
    found = f", found on {result.found_on}" if result.found_on else ""
    count = f" ({_entries(result.entries)} now)" if not no_check else ""
    click.echo(f"Added {source.name!r}: {source.url}{found}{count}, to {config_path(config)}.")


@sources.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_(obj: Context, file: Path) -> None:
    """Add the feeds of an OPML file (a feed reader's export); folders become tags.

    Feeds that are sources already are skipped. Nothing is fetched: the next build or
    run fetches them. An outline with no usable address is reported with its line, and
    the others are added (exit code 1).
    """
    from ..sources import config_path, import_opml

    config = obj.config
    report = import_opml(config, file)
    for line in report.invalid:
        click.echo(click.style("error: ", fg="red") + line, err=True)
    where = f" to {config_path(config)}" if report.added else ""
    click.echo(f"Imported {plural(len(report.added), 'source')} from {file}{where}; skipped {report.skipped} "
               f"already there; {plural(len(report.invalid), 'invalid outline')}.")
    sys.exit(1 if report.invalid else 0)


@sources.command()
@click.pass_obj
def export(obj: Context) -> None:
    """Write the sources as an OPML 2.0 file to standard output (feed readers import it)."""
    from ..sources import export_opml

    sys.stdout.buffer.write(export_opml(obj.config))
    sys.stdout.flush()


@sources.command()
@click.argument("names", nargs=-1)
@click.pass_obj
def fetch(obj: Context, names: tuple[str, ...]) -> None:
    """Fetch sources now, whatever their interval: those NAMES, or all (a disabled one too).

    Records what each gave, as a build would; the next build uses it. Exits 1 if one failed.
    """
    from ..sources import fetch_sources
    from ..state import open_store

    config = obj.config
    known = {s.name for s in config.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        listed = ", ".join(repr(n) for n in sorted(known)) or "none"
        raise click.BadParameter(f"no source is named {unknown[0]!r}; the sources are: {listed}.",
                                 param_hint="'NAMES'")
    with open_store(config) as store:
        report = fetch_sources(config, store, now=_now(), names=names or None, force=True)
    for name, result in report.results:
        click.echo(f"{name}: {result}")
    for problem in report.problems:
        click.echo(click.style("warning: ", fg="yellow") + str(problem), err=True)
    click.echo(f"Fetched {plural(report.asked, 'source')}: {report.not_modified} not modified, {report.failed} "
               f"failed, {report.new_entries} new {'entry' if report.new_entries == 1 else 'entries'}.")
    sys.exit(1 if report.failed else 0)
