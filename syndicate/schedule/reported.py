"""Problems said once: a pass of ``run`` or ``schedule`` reports a broken article once per change of it.

Cron runs a pass every minute and ``schedule`` several; a broken article would otherwise be
reported by each of them. A pass remembers (in the state database) what it reported, each
problem keyed by its text and the content of the file it names, and reports only what is
new: an article fixed and broken again, or broken another way, or edited while still broken,
is reported again. ``syndicate build`` and ``check`` still show every problem, every time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import Problem
from ..state import Store

_KEY = "run.reported"


def problem_key(problem: Problem) -> str:
    """The problem's text and level, and the content of the file it names (if it names one)."""
    digest = hashlib.sha256(f"{problem.level}\0{problem}".encode())
    try:
        digest.update(Path(problem.path).read_bytes())
    except OSError:  # not a file ("newsletter", a template), or gone since
        pass
    return digest.hexdigest()


def new_problems(store: Store, articles: list[Problem], others: list[Problem]) -> list[Problem]:
    """The problems to report now: those of ``articles`` (every problem the build found, each pass
    sees them all) not reported before, and ``others`` (an issue's, which come once with it).

    Remembers ``articles``, and only them: a problem that went away is said again if it comes back.
    """
    said = set(store.get(_KEY, []))
    current = {problem_key(p): p for p in articles}
    fresh: dict[str, Problem] = {}
    for problem in [*articles, *others]:
        key = problem_key(problem)
        if key not in said and key not in fresh:
            fresh[key] = problem
    if set(current) != said:
        with store.transaction():
            store.set(_KEY, sorted(current))
    return list(fresh.values())
