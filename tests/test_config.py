"""syndicate.toml: defaults, every key checked, every problem named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import Config, iter_keys, load_config
from syndicate.errors import ConfigError

from .conftest import REPO, write


def test_no_config_file_gives_the_defaults_that_build_the_sample(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.source is None
    assert config.site.base_url == "https://example.com/"
    assert config.content.dir == "content"
    assert config.content.permalink == ""  # the import tool's default, else /{year}/{month}/{slug}/
    assert config.output.dir == "output"
    assert config.state.path == "syndicate.db"
    assert (config.feeds.limit, config.feeds.full_content, config.feeds.tag_feeds) == (20, True, True)


def test_syndicate_toml_in_the_working_folder_is_read(tmp_path: Path) -> None:
    write(tmp_path / "syndicate.toml", '[site]\ntitle = "Mine"\n[feeds]\nlimit = 5\n')
    config = load_config(cwd=tmp_path)
    assert config.site.title == "Mine"
    assert config.feeds.limit == 5
    assert config.source == tmp_path / "syndicate.toml"


def test_relative_paths_start_at_the_config_files_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "conf" / "site.toml", '[content]\ndir = "articles"\n[state]\npath = "var/s.db"\n')
    config = load_config(path)
    assert config.content_dir == tmp_path / "conf" / "articles"
    assert config.state_path == tmp_path / "conf" / "var" / "s.db"
    assert config.output_dir == tmp_path / "conf" / "output"


@pytest.mark.parametrize(
    ("toml", "expect"),
    [
        ('[site]\ntittle = "x"\n',
         "line 2: unknown key 'tittle' in [site]. Did you mean 'title'?"),
        ('[feed]\nlimit = 3\n',
         "line 1: unknown section [feed]. Did you mean 'feeds'?"),
        ('[feeds]\nlimit = "20"\n',
         "line 2: 'feeds.limit' must be a whole number, not '20'."),
        ('[feeds]\nfull_content = "yes"\n',
         "line 2: 'feeds.full_content' must be true or false, not 'yes'."),
        ('[site]\ntitle = 3\n',
         "line 2: 'site.title' must be a string in quotes, not 3."),
        ('[site]\nbase_url = "example.com"\n',
         "line 2: 'site.base_url' is 'example.com', not an absolute http(s) URL. "
         "Write it like 'https://example.com/'."),
        ('[site]\nbase_url = "ftp://example.com/"\n',
         "line 2: 'site.base_url' is 'ftp://example.com/', not an absolute http(s) URL. "
         "Write it like 'https://example.com/'."),
        ('[site]\ntimezone = "Europe/Berln"\n',
         "line 2: 'site.timezone' is 'Europe/Berln', not an IANA time zone such as "
         "'Europe/Berlin' or 'UTC'. Did you mean 'Europe/Berlin'?"),
        ('[content]\npermalink = "/{year}/{name}/"\n',
         "line 2: 'content.permalink' is '/{year}/{name}/'; use the fields {year} {month} {day} "
         "{slug} {id} {section} {path} (see the README, Links), with {slug} or {id} in it so that every "
         "article gets its own URL."),
        ('[content]\npermalink = "/:year/:month/"\n',
         "line 2: 'content.permalink' is '/:year/:month/'; use the fields {year} {month} {day} "
         "{slug} {id} {section} {path} (see the README, Links), with {slug} or {id} in it so that every "
         "article gets its own URL."),
        ('[content]\nimport = "wordpress"\n',
         "line 2: 'content.import' is 'wordpress'; use '' or 'hugo' or 'jekyll' or 'pelican' or 'zola'."),
        ('site = "x"\n',
         "'site' must be a table, written [site]."),
    ],
)
def test_a_bad_key_is_an_error_naming_the_file_line_and_key(tmp_path: Path, toml: str, expect: str) -> None:
    path = write(tmp_path / "syndicate.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}, {expect}" if expect.startswith("line") else f"{path}: {expect}"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path / "syndicate.toml", '[site]\ntittle = "x"\n\n[feeds]\nlimit = "many"\ntags = true\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [p.split(": ", 1)[0] for p in info.value.problems] == [
        f"{path}, line 2", f"{path}, line 5", f"{path}, line 6"]


def test_invalid_toml_names_the_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path / "syndicate.toml", "[site]\ntitle = \n")
    with pytest.raises(ConfigError, match=r"syndicate.toml: not valid TOML: Invalid value \(at line 2, column 9\)"):
        load_config(path)


def test_a_missing_config_file_given_by_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file. Check the path given to --config."):
        load_config(tmp_path / "nope.toml")


def test_a_config_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "syndicate.toml", b'[site]\ntitle = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"syndicate.toml, line 2: not UTF-8 text \(byte 19\)"):
        load_config(path)


def test_config_errors_exit_2_with_the_message(tmp_path: Path, runner, monkeypatch) -> None:
    from syndicate.cli import main

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "syndicate.toml", '[site]\nbase_url = "/relative/"\n')
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 2
    assert "Error: " in result.stderr
    assert "syndicate.toml, line 2: 'site.base_url' is '/relative/'" in result.stderr
    assert not (tmp_path / "output").exists()


def test_the_readme_documents_every_key_with_its_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for section, key, default, _doc in iter_keys():
        row = f"| `{section}.{key}` | `{_toml(default)}` |"
        assert row in readme, f"README.md lacks the row for {section}.{key}: {row}"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(AttributeError):
        config.site.title = "x"  # type: ignore[misc]


HOSTILE = Path(__file__).parent / "data" / "config" / "hostile"


@pytest.mark.parametrize("case", sorted(p.name for p in HOSTILE.glob("*.toml")))
def test_a_hostile_value_is_refused_at_load_time_naming_the_line_and_key(tmp_path: Path, case: str) -> None:
    text = (HOSTILE / case).read_text(encoding="utf-8")
    expect = text.splitlines()[0].removeprefix("# Expect: ").replace("{root}", str(tmp_path.resolve()))
    path = write(tmp_path / "syndicate.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}, {expect}" if expect.startswith("line ") else f"{path}: {expect}"]



@pytest.mark.parametrize("text", ["plain", "Café «quotes» \"and\" \\back\\", "line\nbreak\ttab", "DEL\x7fhere",
                                  "\x00\x1f control"])
def test_a_value_written_into_syndicate_toml_reads_back_as_it_was(text: str) -> None:
    """What ``sources add`` and ``import`` append (a feed's title may hold anything) is valid TOML
    that reads back as the same string: DEL too, which a JSON string leaves bare and TOML refuses."""
    import tomllib

    from syndicate.config import toml_value

    assert tomllib.loads(f"key = {toml_value(text)}") == {"key": text}
