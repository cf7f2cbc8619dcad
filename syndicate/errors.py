"""Exceptions raised by syndicate, all rooted at :class:`SyndicateError`.

::

    SyndicateError            anything syndicate reports in plain words
     ├── ConfigError          syndicate.toml is unreadable or holds a bad value (also ValueError)
     ├── ContentError         one article is broken; collected as a Problem (also ValueError)
     ├── TemplateError        a template has a syntax error or uses an unknown variable
     ├── DeliveryError        a message could not be sent (see ``permanent`` and ``fatal``)
     ├── StoreError           the state database cannot be opened or written
     ├── FetchError           a [[sources]] feed could not be fetched or read; collected as a Problem naming it
 ├── CannotStartError     what the command needs is not there (no content folder, no issue, a busy port)
     └── AlreadyExistsError   ``init`` or ``new`` would overwrite a file (also FileExistsError)

Exit codes (one place sets them: each error's ``exit_code``, which the CLI returns): 0 done;
1 done, but some work failed (a broken article, a message not sent); 2 the command could not
start (bad usage or configuration, or what it needs is missing: ConfigError, CannotStartError,
AlreadyExistsError, and a DeliveryError that is ``fatal``, raised before anything was sent).

A ``ContentError`` never stops a build: the loader turns it into a :class:`Problem`
and carries on with the other articles. The others stop the command, and the CLI
prints their message without a traceback (``--debug`` shows it).
"""

from __future__ import annotations

from dataclasses import dataclass


class SyndicateError(Exception):
    """The root of every error syndicate reports to its user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(SyndicateError, ValueError):
    """The configuration cannot be used. ``problems`` lists every bad key at once."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ContentError(SyndicateError, ValueError):
    """One article cannot be read. Carries where: ``path``, ``line`` and ``field``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.field = field


class TemplateError(SyndicateError):
    """A template cannot be rendered; the message names the template file and line."""


class DeliveryError(SyndicateError):
    """A message was not delivered.

    ``permanent``: the server refused it for good (5xx); do not retry, count a bounce.
    ``fatal``: nothing can be sent at all (cannot connect, login refused); stop the send.
    Otherwise the failure is transient (4xx, a dropped connection): retry later.
    """

    def __init__(self, message: str, *, permanent: bool = False, fatal: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.fatal = fatal

    @property  # type: ignore[override]
    def exit_code(self) -> int:
        return 2 if self.fatal else 1


class FetchError(SyndicateError):
    """A feed of ``[[sources]]`` (or a page ``sources add`` was given) could not be fetched or read.
    The message is the reason, in a few words ("answered 500 Internal Server Error"); it never
    stops a build: the source is reported with it, and the next fetch tries again."""


class CannotStartError(SyndicateError):
    """The command cannot start: something it needs is not there. Nothing was done."""

    exit_code = 2


class StoreError(SyndicateError):
    """The state database failed; nothing half-written is kept."""


class AlreadyExistsError(SyndicateError, FileExistsError):
    """A file that ``syndicate init`` or ``syndicate new`` would write is already there.
    Nothing was written: these commands never overwrite. ``paths`` names every such file."""

    exit_code = 2

    def __init__(self, message: str, *, paths: list[str]) -> None:
        super().__init__(message)
        self.paths = paths


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, reported in a line: where, what, and the fix.

    ``level`` is ``"error"`` (the article was left out) or ``"warning"`` (it was
    published anyway; ``--strict`` treats warnings as errors).
    """

    path: str
    message: str
    line: int | None = None
    level: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}, line {self.line}"
        return f"{where}: {self.message}"

    @classmethod
    def from_error(cls, err: ContentError, path: str, level: str = "error") -> Problem:
        return cls(path=err.path or path, message=err.message, line=err.line, level=level)
