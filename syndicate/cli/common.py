"""What the commands share: the root context, error reporting, options, the progress bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from importlib import import_module
from typing import Any

import click

from ..config import Config, load_config
from ..errors import SyndicateError


class Context:
    """Holds the options of the root command; reads the config once, when first needed."""

    def __init__(self, config_path: str | None, debug: bool) -> None:
        self.config_path = config_path
        self.debug = debug
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


class Group(click.Group):
    """Turns a SyndicateError into 'Error: …' on stderr and its exit code (``--debug``: traceback).

    ``lazy`` names commands by where they are (name → ``module:attribute``, relative to this
    package), imported when the command is run or listed: ``syndicate build`` does not load
    the web server, the send or the worker fleet.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            self.add_command(getattr(import_module(module, __package__), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SyndicateError as err:
            if isinstance(ctx.obj, Context) and ctx.obj.debug:
                raise
            for line in str(err).splitlines():
                click.echo(click.style("Error: ", fg="red", bold=True) + line, err=True)
            ctx.exit(err.exit_code)


def parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if not value:
        from ..schedule import utc_now  # the clock (a test's, with SYNDICATE_TEST_CLOCK)

        return utc_now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date-time. Use e.g. 2025-01-31T08:00:00+01:00.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def wall_clock() -> datetime:
    """The real time, which --now may not pass for the commands that write live output."""
    return datetime.now(timezone.utc)


def parse_past_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    """--now for the commands that write what is live: not later than the clock, so that no
    embargoed article reaches output/ (check, which writes nothing, previews any time)."""
    now = parse_now(ctx, param, value)
    if value and now > wall_clock() + FUTURE_TOLERANCE:
        raise click.BadParameter(
            f"{now.isoformat()} is in the future: this command writes the live output/, where articles "
            f"scheduled until then would be published early. To see what would be published, run: "
            f"syndicate check --now {value}", param_hint="'--now'")
    return now


FUTURE_TOLERANCE = timedelta(minutes=1)  # a clock a little behind another machine's is no embargo break

now_option = click.option(
    "--now", callback=parse_now, envvar="SYNDICATE_NOW", metavar="DATETIME",
    help="Act as if it were this time (ISO 8601): preview scheduled articles. Default: the clock.",
)
past_now_option = click.option(
    "--now", callback=parse_past_now, envvar="SYNDICATE_NOW", metavar="DATETIME",
    help="Build as if it were this time (ISO 8601), not later than now: an earlier time holds back what "
         "was published since. Default: the clock. ('check --now' previews a later time.)",
)


strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors: leave such articles out.")


quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print only problems (for cron).")


def print_problems(report: Any) -> None:
    for problem in report.problems:
        label = click.style(f"{problem.level}: ", fg="red" if problem.level == "error" else "yellow")
        click.echo(label + str(problem), err=True)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class ProgressBar:
    """A rich progress bar on stderr that appears only once the work has taken a second."""

    LABELS = {"read": "Reading articles", "render": "Rendering", "write": "Writing feeds", "send": "Sending"}

    def __init__(self, enabled: bool, delay: float = 1.0) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.delay = delay
        self.started = time.monotonic()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.monotonic() - self.started < self.delay:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self.progress.start()
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(self.LABELS.get(stage, stage), total=total, rate="")
        task = self.tasks[stage]
        speed = self.progress.tasks[task].speed if task < len(self.progress.tasks) else None
        self.progress.update(task, completed=done, total=total, rate=f"{speed:,.0f}/s" if speed else "")

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
