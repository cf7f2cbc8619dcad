"""Jinja2 for the newsletter and web pages: the user's templates first, then ours.

Autoescape is on for every ``*.html*`` template; ``StrictUndefined`` makes a misspelled
variable an error. Any template error becomes a :class:`TemplateError` that names the
template file, the line and what is wrong, instead of a jinja traceback.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import syndicate

from .errors import TemplateError

if TYPE_CHECKING:
    import jinja2

WRAP = 72


def packaged_templates() -> Path:
    """The templates shipped with syndicate (installed with the package, or the checkout's)."""
    package = Path(syndicate.__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "newsletter.html.j2").is_file():
            return candidate
    raise TemplateError("the packaged templates are missing; reinstall syndicate.")


def templates_state(templates_dir: Path | None) -> str:
    """The user's templates (sub-folders too) and the packaged ones, as paths, times and sizes:
    what changes when a template does."""
    parts = []
    for folder in filter(None, [templates_dir, packaged_templates()]):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            st = path.stat()
            parts.append(f"\0{path}\0{st.st_mtime_ns}\0{st.st_size}")
    return "".join(parts)


def template_env(templates_dir: Path | None = None) -> jinja2.Environment:
    """An environment that looks in ``templates_dir`` first, then in the packaged templates."""
    import jinja2  # here: a build that renders nothing (nothing changed) does not load it

    dirs = [str(templates_dir)] if templates_dir else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*dirs, str(packaged_templates())]),
        autoescape=lambda name: name is not None and ".html" in name,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    env.filters["wrap"] = wrap_text
    return env


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render template ``name``; a template problem raises TemplateError naming file and line."""
    import jinja2  # loaded already: the env is one of template_env's

    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(f"{_where(err.filename or err.name, err.lineno)}: {_sentence(err.message)} "
                            "Fix the template's syntax.") from err
    except jinja2.TemplateNotFound as err:
        raise TemplateError(f"template {err.name!r} not found in {', '.join(env.loader.searchpath)}.") from err  # type: ignore[union-attr]
    except jinja2.UndefinedError as err:
        filename, line = _template_frame(err)
        raise TemplateError(f"{_where(filename or name, line)}: {_sentence(err.message)} Check the "
                            "name; the variables a template can use are listed in the README.") from err


def render_string(env: jinja2.Environment, source: str, context: dict[str, Any], *, what: str) -> str:
    """Render a template given as a string (a config value such as the subject)."""
    import jinja2  # loaded already: the env is one of template_env's

    try:
        return env.from_string(source).render(context)
    except jinja2.TemplateError as err:
        raise TemplateError(f"{what} {source!r}: {_sentence(err.message)}") from err


def format_date(value: datetime) -> str:
    """'2 October 2026': the same on every platform and locale."""
    return f"{value.day} {value:%B %Y}"


def wrap_text(text: str, width: int = WRAP) -> str:
    """Wrap each paragraph at ``width`` columns, never breaking a URL or a long word."""
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) if line.strip() else ""
        for line in str(text).split("\n")
    )


def _sentence(message: str | None) -> str:
    """``message`` ending with exactly one full stop."""
    return (message or "unknown template error").rstrip(". ") + "."


def _where(filename: str | None, line: int | None) -> str:
    return f"{filename}, line {line}" if line else str(filename)


def _template_frame(err: BaseException) -> tuple[str | None, int | None]:
    """The innermost template frame of a traceback: jinja maps it to the template's file and line."""
    found: tuple[str | None, int | None] = (None, None)
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or "<template>" in filename:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
