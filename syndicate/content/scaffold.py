"""New sites and new articles: what ``syndicate init`` and ``syndicate new`` write.

Neither ever overwrites a file: every path is checked before anything is written, and
each file is created exclusively, so a file that appears meanwhile is not replaced either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import CONFIG_NAME, Config, config_file_text, config_from_dict
from ..errors import AlreadyExistsError
from ..templating import packaged_templates
from .identity import slugify

#: What a new site's .gitignore keeps out of version control: the output (made again by
#: every build) and the state database with its secret (private: never publish them).
GITIGNORE_LINES = ("/output/", "/syndicate.db", "/syndicate.db-*", "/syndicate.db.secret", "/syndicate.db.lock")

TEMPLATES_NOTE = """\
# Your templates

A file here is used instead of the packaged template of the same name; every template
you do not put here still comes from syndicate. To change one, copy it from the list
below (it is in syndicate's own `templates/` folder, or `syndicate/templates/` where it is
installed) and edit the copy. `[newsletter] templates_dir` in `syndicate.toml` points here.

{names}

Templates are jinja2, with autoescaping for HTML and strict variables: a misspelled
variable is an error naming the template, the line and the name. The README's
Templates section lists the variables each template can use.
"""

EXAMPLE_ARTICLE = """\
---
title: Hello, world
date: {date}
tags: [news]
summary: {summary}
---

This is an article: a Markdown file in `content/`, with a few lines of front matter
on top. Edit it, or delete it, and write your own:

    syndicate new "My first real article" --tags news

Then `syndicate build` writes the feeds to `output/feeds/` (RSS, Atom and JSON Feed)
and a preview of the next newsletter to `output/newsletters/next/`.

An article with `draft: true`, or dated in the future, is held back until it is ready.
"""


def init_site(folder: Path, *, title: str, base_url: str, timezone: str, now: datetime) -> list[Path]:
    """Make a new site in ``folder`` (created if needed): its ``syndicate.toml`` with every key,
    ``content/`` with one example article, ``templates/`` with a note on overriding, and a
    ``.gitignore`` (an existing one gets only the lines it lacks).

    Returns the files written or changed.

    :raises ConfigError: the title, base URL or time zone cannot be used; nothing is written.
    :raises AlreadyExistsError: one of the files is already there; nothing is written.
    """
    site = {"title": title, "base_url": base_url, "timezone": timezone}
    config_from_dict({"site": site})  # checked before any file is made
    text = config_file_text({**{("site", k): v for k, v in site.items()}, ("newsletter", "templates_dir"): "templates"})
    # A minute before now, on the minute: an article written next with `syndicate new` is always
    # newer, so that no two entries share an updated time (Atom readers tell entries apart by it).
    day = (now.astimezone(ZoneInfo(timezone)) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    names = sorted(p.name for p in packaged_templates().iterdir() if p.suffix in (".j2", ".css"))
    files = {
        CONFIG_NAME: text,
        f"content/{day:%Y-%m-%d}-hello-world.md": EXAMPLE_ARTICLE.format(
            date=day.isoformat(), summary=json.dumps(f"The first article of {title}.", ensure_ascii=False)),
        "templates/README.md": TEMPLATES_NOTE.format(names="\n".join(f"- `{n}`" for n in names)),
    }
    written = write_new_files(folder, files)
    gitignore = folder / ".gitignore"
    if _add_lines(gitignore, GITIGNORE_LINES):
        written.append(gitignore)
    return written


def new_article(config: Config, title: str, *, tags: Sequence[str] = (), draft: bool = False,
                text: bool = False, now: datetime) -> Path:
    """Write ``content/YYYY-MM-DD-<slug>.md`` (``.txt`` with ``text``) dated ``now`` in the site's
    time zone, with its front matter (or header lines) filled in; returns its path.

    :raises ValueError: the title is empty, or gives an empty slug.
    :raises AlreadyExistsError: the file is already there (it is left as it is).
    """
    title = " ".join(title.split())
    slug = slugify(title)
    if not slug:
        raise ValueError(f"{title!r} gives an empty file name. Use a title with letters or digits.")
    date = now.astimezone(config.tz).replace(microsecond=0)
    name = f"{date:%Y-%m-%d}-{slug}.{'txt' if text else 'md'}"
    tags = [t for t in (" ".join(t.split()) for t in tags) if t]
    if text:
        head = [f"Date: {date.isoformat()}"] + ([f"Tags: {', '.join(tags)}"] if tags else [])
        head += ["Draft: true"] if draft else []
        body = "\n".join([*head, "", title, "", "Write the article here, a paragraph on each line.", ""])
    else:
        head = [f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {date.isoformat()}"]
        head += [f"tags: {json.dumps(tags, ensure_ascii=False)}"] if tags else []
        head += ["draft: true"] if draft else []
        body = "\n".join(["---", *head, "---", "", "Write the article here, in Markdown.", ""])
    folder = config.content_dir
    write_new_files(folder, {name: body}, shown=config.content_shown)
    return folder / name


def write_new_files(folder: Path, files: dict[str, str], *, shown: str | None = None) -> list[Path]:
    """Create each file (path under ``folder`` → text); none if any of them exists already."""
    shown = shown if shown is not None else str(folder)
    taken = [rel for rel in files if (folder / rel).exists()]
    if taken:
        listed = ", ".join(f"{shown}/{rel}" if shown not in ("", ".") else rel for rel in taken)
        raise AlreadyExistsError(f"{listed} already {'exists' if len(taken) == 1 else 'exist'}; nothing was "
                                 "written. Move it away, or choose another folder or title.", paths=taken)
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as fh:  # "x": never replaces a file
                fh.write(text)
        except FileExistsError as err:
            raise AlreadyExistsError(f"{shown}/{rel} appeared while it was being written; it was left as it "
                                     "is.", paths=[rel]) from err
        written.append(path)
    return written


def _add_lines(path: Path, lines: Sequence[str]) -> bool:
    """Append to ``path`` the lines it lacks (creating it); True if it changed."""
    existing = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [line for line in lines if line not in existing]
    if not missing:
        return False
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        if existing and not path.read_text(encoding="utf-8").endswith("\n"):
            fh.write("\n")
        fh.write("".join(f"{line}\n" for line in missing))
    return True
