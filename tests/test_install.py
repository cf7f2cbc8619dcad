"""The install: every module imports, every command answers --help, every import is declared,
and a test run leaves the checkout as it found it.

These run in whatever environment the suite runs in (CI: a fresh virtual environment), so a
dependency that is used but not declared fails here on any machine, not only on a new one.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import re
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

import syndicate
from syndicate.cli import main

from .conftest import REPO


def all_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(syndicate.__path__, "syndicate.")
                  if not m.name.endswith(".__main__"))  # __main__ runs the command


def all_commands(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command, as click lists them (the root's are loaded when asked for)."""
    found = [path]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += all_commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


# Each module is imported alone, in a process forked from a fresh interpreter that has imported
# nothing of syndicate: a module that only imports because another one of ours ran first fails
# here. The interpreter has imported the libraries syndicate uses before it forks (their import
# is not what is tested), so each child imports only syndicate's own modules: one interpreter
# forked ~120 times instead of ~120 interpreters started and importing everything (40 s).
LIBRARIES = ["click", "jinja2", "feedgen.feed", "lxml.etree", "lxml.html", "premailer", "cmarkgfm", "nh3", "yaml",
             "rich.progress", "email_validator", "starlette.applications", "uvicorn", "feedparser", "docutils.core",
             "multipart", "smtplib", "sqlite3", "email.message", "zoneinfo", "http.client", "urllib.request"]
IMPORT_EACH_ALONE = """
import json, os, sys, traceback
for library in %r:
    try:
        __import__(library)
    except ImportError:
        pass
assert not any(name == "syndicate" or name.startswith("syndicate.") for name in sys.modules)
failures = {}
""" % (LIBRARIES,) + """for module in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            __import__(module)
        except BaseException:
            os.write(write, traceback.format_exc().encode())
            os._exit(1)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        error = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failures[module] = error or f"exit status {status}"
print(json.dumps(failures))
"""


@pytest.fixture(scope="module")
def import_failures() -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", IMPORT_EACH_ALONE, *all_modules()], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("module", all_modules())
def test_every_module_of_the_package_imports(module: str, import_failures: dict[str, str]) -> None:
    assert module not in import_failures, import_failures.get(module)


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "syndicate")
def test_every_command_answers_help_from_the_installed_script(command: tuple[str, ...], tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("syndicate")
    assert script.exists(), f"the console script is not installed beside {sys.executable}"
    result = subprocess.run([str(script), *command, "--help"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Usage: syndicate {' '.join(command)}".rstrip())


def test_the_commands_include_the_ones_the_readme_documents() -> None:
    names = {" ".join(c) for c in all_commands()}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `syndicate ([a-z ]+?)(?: [A-Z\[].*?)?` \|", readme, re.M))
    assert documented, "the README's command table was not found"
    assert documented <= names


def _imports(folder: Path) -> set[str]:
    """Top-level names of the third-party modules imported anywhere under ``folder``."""
    import ast

    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    local = {p.stem for p in folder.rglob("*.py")} | {"syndicate", "tests"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def _declared(extra: str | None) -> set[str]:
    """The distributions syndicate declares: its dependencies, or those of one extra."""
    wanted = set()
    for requirement in importlib.metadata.requires("syndicate") or []:
        name, _, marker = requirement.partition(";")
        in_extra = re.search(r"extra\s*==\s*['\"](\w+)['\"]", marker)
        if (in_extra.group(1) if in_extra else None) == extra:
            wanted.add(re.split(r"[\s\[<>=!~(]", name.strip(), maxsplit=1)[0].lower().replace("_", "-"))
    return wanted


def _distribution(module: str) -> set[str]:
    dists = importlib.metadata.packages_distributions().get(module, [])
    return {d.lower().replace("_", "-") for d in dists}


@pytest.mark.parametrize(("folder", "extras"), [("syndicate", ("pages", "scale")), ("tests", ("test", "pages", "scale"))])
def test_every_import_is_a_declared_dependency(folder: str, extras: tuple[str, ...]) -> None:
    """The package may import what its optional extras declare: 'pages' (syndicate/content/page.py
    imports it only when a web page is read, and says how to install it otherwise) and 'scale'
    (PostgreSQL, Celery and Redis, imported only when the settings ask for them)."""
    declared = _declared(None).union(*(_declared(extra) for extra in extras))
    missing = {m: _distribution(m) for m in _imports(REPO / folder) if not _distribution(m) & declared}
    where = f"[project] dependencies or the extras {', '.join(extras)}"
    assert not missing, f"imported under {folder}/ but not declared in {where} of pyproject.toml: {missing}"


def test_every_package_folder_is_listed_in_pyproject_so_that_pip_install_dot_installs_it() -> None:
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "syndicate").rglob("__init__.py")}
    assert folders <= listed


def test_pip_check_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


GUARD_CONFTEST = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from tests.checkout_guard import CheckoutGuard

def pytest_configure(config):
    config.pluginmanager.register(CheckoutGuard(config.rootpath), "checkout-guard")
"""


@pytest.mark.parametrize(("test", "ret", "reported"), [
    ("def test_ok(tmp_path):\n    (tmp_path / 'syndicate.db').write_text('')\n", 0, None),
    ("def test_db():\n    open('syndicate.db', 'w').close()\n", 1, "state file syndicate.db"),
    ("def test_file():\n    open('notes.txt', 'w').close()\n", 1, "?? notes.txt"),
    ("def test_edit():\n    open('kept.txt', 'a').write('more')\n", 1, " M kept.txt"),
])
def test_a_run_that_leaves_files_in_the_checkout_fails_naming_them(
        pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory, test: str, ret: int,
        reported: str | None) -> None:
    subprocess.run(["git", "init", "-q", str(pytester.path)], check=True)
    pytester.makeconftest(GUARD_CONFTEST)
    (pytester.path / "kept.txt").write_text("kept\n")
    (pytester.path / ".gitignore").write_text("__pycache__/\n*.db\n.pytest_cache/\n")
    subprocess.run(["git", "-C", str(pytester.path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(pytester.path), "-c", "user.name=t", "-c", "user.email=t@example.org",
                    "commit", "-qm", "start"], check=True)
    pytester.makepyfile(test_it=test)
    subprocess.run(["git", "-C", str(pytester.path), "add", "test_it.py"], check=True)
    basetemp = tmp_path_factory.mktemp("inner")  # the inner run's tmp_path, outside its checkout
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--basetemp={basetemp}")
    assert result.ret == ret, result.stdout.str()
    if reported:
        result.stdout.fnmatch_lines(["*the tests left files in the checkout*", f"*{reported}*"])
    else:
        assert "left files" not in result.stdout.str()
