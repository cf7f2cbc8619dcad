"""The package's layout keeps its promises: a folder per stage, each naming its public functions,
SQL only in ``state/``, commands that call stages by their public names."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import syndicate

PACKAGE = Path(syndicate.__file__).parent
STAGES = ("content", "feeds", "newsletter", "delivery", "state", "schedule", "web", "cli", "sources")
# Upper-case keywords at the start of a string (or of an f-string's first part): how this code writes SQL.
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b")


def sources(folder: Path = PACKAGE) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_the_package_has_a_folder_for_each_stage_of_the_flow() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders >= set(STAGES)
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "_lazy.py", "_parallel.py", "config.py", "errors.py", "output.py",
                     "templating.py", "tokens.py"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_names_its_public_functions_and_nothing_else(stage: str) -> None:
    module = importlib.import_module(f"syndicate.{stage}")
    names = module.__all__
    assert names == sorted(set(names))
    for name in names:
        assert hasattr(module, name), name
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, type(module))}
    assert public == set(names)


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.lineno, n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_sql_is_spoken_only_in_the_state_package() -> None:
    outside = [p for p in sources() if p.parent.name != "state"]
    found = [f"{p.relative_to(PACKAGE)}:{line}: {text[:40]!r}" for p in outside for line, text in _strings(p)
             if SQL.match(text)]
    imports = [str(p.relative_to(PACKAGE)) for p in outside if re.search(r"^\s*import sqlite3", p.read_text(), re.M)]
    assert (found, imports) == ([], [])


def test_the_sql_check_would_see_a_query() -> None:
    assert SQL.match("SELECT id FROM subscriber") and SQL.match("\n  INSERT OR IGNORE INTO x VALUES (1)")
    assert not SQL.match("Select the articles from the list.") and not SQL.match("Delete files an earlier build")


def test_commands_call_other_stages_only_by_their_public_names() -> None:
    deep = []
    for path in sources(PACKAGE / "cli"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module and "." in node.module:
                deep.append(f"{path.name}:{node.lineno}: from ..{node.module}")
    assert deep == []
