"""The fast reader of simple YAML front matter reads what PyYAML reads, or declines."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.content import markdown
from syndicate.content.chars import clean_text, normalize_bytes
from syndicate.content.frontmatter import _UNSURE_CHARS, load_simple
from syndicate.errors import ContentError

DATA = Path(__file__).parent / "data"


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``True == 1`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (list(map(type, a)) == list(map(type, b)) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def pyyaml(block: str) -> Any:
    try:
        return yaml.load(block, Loader=markdown._Loader)
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        return err


def check(block: str) -> Any:
    """The fast reading, after checking it against PyYAML's: equal, or declined."""
    fast = load_simple(block, markdown._Loader)
    if fast is not None:
        want = pyyaml(block)
        assert same(fast, want), f"fast path read {fast!r}, PyYAML {want!r}, for:\n{block}"
    return fast


def yaml_blocks() -> list[Path]:
    found = []
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.read_bytes().lstrip(b" \t\n").startswith(b"---"):
            found.append(path)
    return found


def block_of(path: Path) -> str | None:
    data = path.read_bytes().lstrip(b" \t\n")
    end = markdown._FENCE.search(data, 4)
    if end is None:
        return None
    try:
        return clean_text(data[4 : end.start()].decode("utf-8"))
    except UnicodeDecodeError:
        return None


@pytest.mark.parametrize("path", yaml_blocks(), ids=lambda p: str(p.relative_to(DATA)))
def test_fast_path_reads_every_test_file_as_pyyaml_does(path: Path) -> None:
    block = block_of(path)
    if block is not None:
        check(block)


@pytest.mark.parametrize("path", yaml_blocks(), ids=lambda p: str(p.relative_to(DATA)))
def test_split_front_matter_is_the_same_with_and_without_the_fast_path(path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def split() -> Any:
        try:  # as parse_article calls it
            return markdown.split_front_matter(normalize_bytes(path.read_bytes()))
        except ContentError as err:
            return ("error", str(err), err.line)

    fast = split()
    monkeypatch.setattr(markdown, "load_simple", lambda block, loader: None)
    assert same(fast, split())


def test_fast_path_reads_most_test_files() -> None:
    blocks = [b for b in map(block_of, yaml_blocks()) if b is not None]
    read = sum(1 for b in blocks if check(b) is not None)
    assert read >= len(blocks) * 3 // 4, f"the fast path read only {read} of {len(blocks)}"


CORPUS_LIKE = """title: "You that Container: Now & \\"Two\\" 🚀"
slug: post-000000
date: 2016-02-09T10:53:05-04:00
author: "Tomás O'Brien"
tags: ["benchmarks", "rss", "c++", "日本語"]
summary: "a < b"
"""


@pytest.mark.parametrize(("block", "expected"), [
    (CORPUS_LIKE, {"title": 'You that Container: Now & "Two" 🚀', "slug": "post-000000",
                   "date": "2016-02-09T10:53:05-04:00", "author": "Tomás O'Brien",
                   "tags": ["benchmarks", "rss", "c++", "日本語"], "summary": "a < b"}),
    ("date: 2026-01-05\n", {"date": "2026-01-05"}),  # dates stay strings: parsed later, with clear errors
    ("date: 2026-01-05 10:00:00 +01:00\n", {"date": "2026-01-05 10:00:00 +01:00"}),
    ("draft: yes\nb: Off\nc: TRUE\nd: false\n", {"draft": True, "b": False, "c": True, "d": False}),
    ("a: ~\nb: null\nc:\nd: Null\n", {"a": None, "b": None, "c": None, "d": None}),
    ("n: 42\nm: -7\nf: 1.5\nz: 0\n", {"n": 42, "m": -7, "f": 1.5, "z": 0}),
    ("v: 1e5\nw: 1.2.3\nx: y\n", {"v": "1e5", "w": "1.2.3", "x": "y"}),  # YAML 1.1: no float without a dot
    ("n: 0o17\n", {"n": "0o17"}),  # YAML 1.1's octal is 017
    ("title: it's a [b] {c}, d\n", {"title": "it's a [b] {c}, d"}),
    ("title: 'it''s'\n", {"title": "it's"}),
    ('title: "tab\\there \\u00e9 \\\\ \\/"\n', {"title": "tab\there é \\ /"}),
    ("url: https://example.com/a#b\n", {"url": "https://example.com/a#b"}),
    ("tags: []\n", {"tags": []}),
    ("tags: [a, 'b c', \"d\", 1, yes]\n", {"tags": ["a", "b c", "d", 1, True]}),
    ("tags:\n- a\n- b\nx: 1\n", {"tags": ["a", "b"], "x": 1}),
    ("tags:\n  - a\n  - 'b'\n\n# a comment\nx: 1\n", {"tags": ["a", "b"], "x": 1}),
    ("a: 1\na: 2\n", {"a": 2}),
])
def test_fast_path_reads_simple_front_matter(block: str, expected: dict[str, Any]) -> None:
    assert same(check(block), expected)


@pytest.mark.parametrize("block", [
    "n: 1_000\n", "n: 017\n", "n: 0x1f\n", "n: 1:30\n", "f: .inf\n", "f: .NaN\n",
    "f: 1.0e+5\n", "n: 123456789012345678901234567890\n", "x: =\n", "<<: x\n",
    "yes: 1\n", "on: 1\n", "null: 1\n", "1: x\n", '"quoted key": x\n', "key : x\n",
    "t: a: b\n", "t: a:\n", "t: a # comment\n", "t: 'a' # comment\n", "t: [a] # comment\n",
    "t: |\n  text\n", "t: >\n  text\n", "t: &a x\nu: *a\n", "t: !!str 1\n", "t: @x\n", "t: `x`\n",
    "t: - a\n", "t: ? a\n", "t: %x\n", "t:\n  nested: map\n", "t: one\n  two\n", "  t: indented\n",
    "t: [a, b,]\n", "t: [a, [b]]\n", "t: [a: b]\n", "t: {a: b}\n", "t: [a,\n  b]\n", "t: [it's]\n",
    "t:\n-\n", "t:\n- a\n  - b\n", "t:\n  - a\n- b\n", "t:\n- a: b\n", "t:\n- [a]\n",
    't: "unclosed\n', "t: 'unclosed\n", 't: "\\x41"\n', 't: "\\ud83d\\ude80"\n', 't: "a" b\n',
    "t: a\tb\n", "t:\ta\n", "t: a\u2028b\n", "t: a\x85b\n", "t: \ufeffa\n", "%YAML 1.1\n---\nt: a\n",
    "--- t\n", "# only a comment\n", "\n", "just text\n", "- a\n- b\n",
])
def test_fast_path_declines_what_it_is_not_sure_of(block: str) -> None:
    assert load_simple(block, markdown._Loader) is None


# Property tests: documents made of the simple forms, with scalars full of what YAML treats specially.
_TRICKY = ["yes", "No", "on", "OFF", "true", "null", "~", "", "0", "-0", "+1", "01", "0o7", "0x1F", "1_0",
           "1.5", "-2.0", "1e3", ".5", ".inf", "-.Inf", ".nan", "1:20", "2026-01-05", "2026-01-05T10:00:00Z",
           "=", "<<", "-", "?", ":", "a: b", "a #b", "a#b", "[a]", "{a}", "'q'", '"q"', "&x", "*x", "!t", "|",
           ">", "%", "@", "`", "c++", "日本語", "🚀", "a\\b", "\t", "é"]
_chars = st.sampled_from(list("abcXYZ019 -_.:#,[]{}'\"\\&*!|>%@`?+~=<\té日🚀\u2028\x85/"))
_plain = st.one_of(st.sampled_from(_TRICKY), st.text(_chars, min_size=1, max_size=12))
_key = st.one_of(st.sampled_from(["title", "date", "tags", "yes", "on", "null", "a-b", "_x", "T1"]),
                 st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True))


@st.composite
def _scalar_text(draw: Any) -> str:
    kind = draw(st.sampled_from(["plain", "double", "single", "raw-double", "raw-single"]))
    text = draw(_plain)
    if kind == "double":
        return json.dumps(text, ensure_ascii=draw(st.booleans()))
    if kind == "single":
        return "'" + text.replace("'", "''") + "'"
    if kind == "raw-double":
        return '"' + text + '"'
    if kind == "raw-single":
        return "'" + text + "'"
    return text


@st.composite
def _documents(draw: Any) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(_key)
        form = draw(st.sampled_from(["scalar", "flow", "block", "empty", "comment", "blank"]))
        if form == "scalar":
            lines.append(f"{key}: {draw(_scalar_text())}")
        elif form == "flow":
            items = draw(st.lists(_scalar_text(), max_size=4))
            lines.append(f"{key}: [{', '.join(items)}]")
        elif form == "block":
            indent = draw(st.sampled_from(["", "  "]))
            lines.append(f"{key}:")
            lines.extend(f"{indent}- {item}" for item in draw(st.lists(_scalar_text(), min_size=1, max_size=3)))
        elif form == "empty":
            lines.append(f"{key}:")
        elif form == "comment":
            lines.append("# " + draw(_plain))
        else:
            lines.append("")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, database=None)
@given(_documents())
def test_fast_path_agrees_with_pyyaml_on_generated_documents(block: str) -> None:
    check(block)


_safe_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                                   exclude_characters="\ufeff"), max_size=30)


@settings(max_examples=200, deadline=None, database=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True).filter(
    lambda k: k not in ("yes", "no", "on", "off", "true", "false", "null")), _safe_text, min_size=1, max_size=6),
    st.lists(_safe_text, max_size=5))
def test_fast_path_reads_json_quoted_strings_and_lists(meta: dict[str, str], tags: list[str]) -> None:
    block = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in meta.items())
    block += "tags_list: [" + ", ".join(json.dumps(t, ensure_ascii=False) for t in tags) + "]\n"
    assert same(check(block), {**meta, "tags_list": tags})


def test_the_characters_left_to_pyyaml_are_those_outside_what_it_reads_as_printable_text() -> None:
    # The class names what is left out; checked against the complement of what is allowed (the
    # printable set of PyYAML's reader, less tabs, CR, NEL and the line and paragraph separators).
    allowed = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
    differ = [hex(c) for c in range(0x110000) if bool(_UNSURE_CHARS.match(chr(c))) == bool(allowed.match(chr(c)))]
    assert differ == []
