"""The content store: files under ``content/`` → :class:`Article`.

Two formats are read. Markdown (``*.md``) starts with YAML front matter between
``---`` lines. Plain text (``*.txt``) is the shape of a scraped news article: optional
``Key: value`` lines, the title on the first other line, then paragraphs.

:func:`parse_article` is pure (bytes in, Article out, or a :class:`ContentError`
naming the line and field). :func:`load_articles` walks the folder, collects one
:class:`Problem` per broken file and keeps going, then drops drafts and articles
whose time has not come.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date as date_type
from datetime import datetime, tzinfo
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import yaml

from ._parallel import map_batches
from .errors import ContentError, Problem

EXTENSIONS = (".md", ".markdown", ".txt")
FRONT_MATTER_KEYS = (
    "title", "date", "updated", "id", "slug", "author", "authors", "tags", "summary", "image", "draft",
)


@dataclass(frozen=True)
class Author:
    name: str
    email: str = ""
    url: str = ""


@dataclass(frozen=True)
class Article:
    """One published (or publishable) article. Immutable; the body is kept as written."""

    id: str
    slug: str
    title: str
    date: datetime
    updated: datetime
    url: str
    path: str
    format: str  # "markdown" or "text"
    source: bytes = field(repr=False)  # the body as written, UTF-8 (compact for 10,000s of articles)
    authors: tuple[Author, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    image: str | None = None
    draft: bool = False
    digest: str = ""

    @property
    def body(self) -> str:
        """The body as written: Markdown, or paragraphs separated by blank lines for text."""
        return clean_text(self.source.decode("utf-8"))


@dataclass(frozen=True)
class SourceFile:
    """A file of the content store as the scan saw it (the cache key, never a date)."""

    path: str
    rel: str
    mtime_ns: int
    size: int


@dataclass
class LoadResult:
    """What :func:`load_articles` found: the published articles and everything else."""

    articles: list[Article]
    files: list[SourceFile]
    drafts: list[Article] = field(default_factory=list)
    scheduled: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def seen(self) -> list[Article]:
        """Every article read without error: published, drafts and scheduled."""
        return self.articles + self.drafts + self.scheduled


@dataclass(frozen=True)
class SiteContext:
    """What parsing needs from the config: where URLs point and the default zone."""

    base_url: str
    permalink: str
    tz: tzinfo

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"


# -- scanning ---------------------------------------------------------------------------

def scan_content(content_dir: Path) -> list[SourceFile]:
    """Every article file under ``content_dir``, sorted by path, hidden files skipped."""
    found: list[SourceFile] = []
    root = str(content_dir)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        # The folder's path below the root, once (not per file: 10,000 relpath calls cost 0.1 s).
        prefix = "" if dirpath == root else os.path.relpath(dirpath, root).replace(os.sep, "/") + "/"
        for name in filenames:
            if name.startswith(".") or not name.endswith(EXTENSIONS):
                continue
            full = os.path.join(dirpath, name)
            st = os.stat(full)
            found.append(SourceFile(full, prefix + name, st.st_mtime_ns, st.st_size))
    found.sort(key=lambda f: f.rel)
    return found


def load_articles(
    files: Iterable[SourceFile],
    site: SiteContext,
    *,
    now: datetime,
    display_root: str = "content",
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Read and check every file; broken ones become problems, the rest articles.

    Articles with ``draft: true`` and those dated after ``now`` are set aside, not
    published. Two files with one id, or one URL, are both named; the first by
    path is kept.
    """
    files = list(files)
    result = LoadResult(articles=[], files=files)
    by_id: dict[str, str] = {}
    by_url: dict[str, str] = {}
    done = 0
    for batch in map_batches(_read_batch, files, site, display_root):
        for source, article, problems in batch:
            result.problems.extend(problems)
            if article is not None:
                _admit(article, source, result, by_id, by_url, display_root, now)
        done += len(batch)
        if on_progress:
            on_progress(done)
    return result


def _read_batch(files: list[SourceFile], site: SiteContext, display_root: str,
                ) -> list[tuple[SourceFile, Article | None, list[Problem]]]:
    """Read and parse each file: its article (None if broken) and its problems."""
    out: list[tuple[SourceFile, Article | None, list[Problem]]] = []
    for source in files:
        shown = f"{display_root}/{source.rel}"
        try:
            with open(source.path, "rb") as fh:
                data = fh.read()
            article, warnings = parse_article(source.rel, data, site)
        except ContentError as err:
            out.append((source, None, [Problem.from_error(err, shown)]))
        except OSError as err:
            out.append((source, None, [Problem(shown, f"cannot be read ({err.strerror}).")]))
        else:
            out.append((source, article, [Problem.from_error(w, shown, "warning") for w in warnings]))
    return out


def _admit(article: Article, source: SourceFile, result: LoadResult, by_id: dict[str, str],
           by_url: dict[str, str], display_root: str, now: datetime) -> None:
    """Sort a parsed article into published, draft or scheduled, unless its id or URL is taken."""
    shown = f"{display_root}/{source.rel}"
    if article.id in by_id:
        result.problems.append(Problem(
            shown, f"has the id {article.id!r}, already used by {display_root}/{by_id[article.id]}. "
            "Give one of them its own 'id' or 'slug'; this one was left out."))
        return
    if article.url in by_url:
        result.problems.append(Problem(
            shown, f"has the slug {article.slug!r} and URL {article.url}, already used by "
            f"{display_root}/{by_url[article.url]}. Set another 'slug'; this one was left out."))
        return
    by_id[article.id] = source.rel
    by_url[article.url] = source.rel
    if article.draft:
        result.drafts.append(article)
    elif article.date > now:
        result.scheduled.append(article)
    else:
        result.articles.append(article)


# -- parsing ----------------------------------------------------------------------------

def parse_article(rel_path: str, data: bytes, site: SiteContext) -> tuple[Article, list[ContentError]]:
    """Parse one file's bytes into an Article and the warnings found on the way.

    :param rel_path: the path under the content folder, posix-style; it gives the
        format, and the date and slug when the file does not.
    :raises ContentError: the file cannot be published; the message says why and how
        to fix it.
    """
    digest = hashlib.sha256(data).hexdigest()
    data = _normalize(data)
    if rel_path.endswith(".txt"):
        meta, block, body = _split_text(clean_text(data.decode("utf-8")))
        source = body.encode("utf-8")
        fmt = "text"
    else:
        meta, block, source = _split_front_matter(data)
        fmt = "markdown"
    lines = _KeyLines(block)
    typos = {
        hint: ContentError(f"unknown key {key!r}. Did you mean {hint!r}?", line=lines.get(key), field=key)
        for key, hint in _typos(meta)
    }
    warnings = list(typos.values())
    fields = _Fields(meta, lines, typos)
    title = fields.text("title")
    if not title:
        raise fields.missing("title", "Add a line 'title: ...' to the front matter."
                             if fmt == "markdown" else "The first line of the file is the title.")
    name_date, name_slug = _from_file_name(rel_path)
    date = fields.date("date", site.tz)
    if date is None:
        if name_date is None:
            raise fields.missing(
                "date", "Add 'date: YYYY-MM-DD' (or a date-time with an offset), "
                "or start the file name with the date, like 2024-05-01-my-post.md.")
        date = datetime.combine(name_date, datetime.min.time(), site.tz)
    updated = fields.date("updated", site.tz) or date
    if updated < date:
        updated = date
    slug = slugify(fields.text("slug") or name_slug or title)
    if not slug:
        raise fields.bad("slug", "gives an empty slug. Set 'slug' to letters and digits.")
    # The id never comes from the title, so that a retitled article keeps it.
    id_name = slugify(fields.text("slug") or name_slug or _file_stem(rel_path)) or slug
    raw_id = fields.text("id")
    url = _article_url(site, date, slug, raw_id)
    article = Article(
        id=_article_id(site, date, id_name, raw_id),
        slug=slug,
        title=title,
        date=date,
        updated=updated,
        url=url,
        path=rel_path,
        format=fmt,
        source=source,
        authors=fields.authors(),
        tags=fields.tags(),
        summary=fields.text("summary") or None,
        image=urljoin(url, fields.text("image")) if fields.text("image") else None,
        draft=fields.flag("draft"),
        digest=digest,
    )
    return article, warnings


# XML 1.0 cannot carry these; a feed would be unreadable. Tab, LF and CR stay.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _normalize(data: bytes) -> bytes:
    """Check the bytes are UTF-8; drop a BOM; make every line end a plain LF."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ContentError(
            f"is not UTF-8 text (byte 0x{data[err.start]:02x}). Save the file as UTF-8.", line=line
        ) from err
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def clean_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (C0/C1 controls but tab and
    newlines, U+FFFE, U+FFFF): dropped rather than let one character break a feed."""
    return _ILLEGAL.sub("", text)


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML, but dates stay strings: they are parsed here, with clear errors."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_FENCE = re.compile(rb"^(?:---|\.\.\.)[ \t]*$", re.M)


def _split_front_matter(data: bytes) -> tuple[dict[str, Any], str, bytes]:
    """The front matter (parsed), its text (for line numbers) and the body's bytes."""
    if not re.match(rb"---[ \t]*\n", data):
        raise ContentError(
            "has no front matter. Start the file with a line '---', then 'title: ...' and "
            "'date: ...', then another '---'.", line=1)
    end = _FENCE.search(data, 4)
    if end is None:
        raise ContentError("front matter is not closed. Add a line '---' after the last key.", line=1)
    block = clean_text(data[4 : end.start()].decode("utf-8"))
    try:
        meta = yaml.load(block, Loader=_Loader) if block.strip() else {}
    except yaml.YAMLError as err:
        # An unclosed quote or bracket is reported where it opened (YAML notices it lines
        # later); any other mistake where the parser tripped over it.
        context = getattr(err, "context", None) or ""
        unclosed = context.startswith(("while scanning a quoted", "while parsing a flow"))
        mark = getattr(err, "context_mark" if unclosed else "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        where = f" ({context} started on this line)" if unclosed else ""
        raise ContentError(
            f"front matter is not valid YAML: {problem}{where}. Quote values that hold ':' or '#'.",
            line=line) from err
    if not isinstance(meta, dict):
        raise ContentError("front matter must be 'key: value' lines.", line=2)
    body_start = data.find(b"\n", end.end())
    body = data[body_start + 1 :] if body_start != -1 else b""
    return {str(k): v for k, v in meta.items()}, block, body


class _KeyLines:
    """The line of each front matter key, worked out only when a message needs one."""

    def __init__(self, block: str | dict[str, int]) -> None:
        self._block = block
        self._lines: dict[str, int] | None = block if isinstance(block, dict) else None

    def get(self, key: str) -> int | None:
        if self._lines is None:
            self._lines = {}
            for i, raw in enumerate(str(self._block).split("\n"), 2):
                m = re.match(r"([^\s:#][^:]*?)\s*:", raw)
                if m and m.group(1) not in self._lines:
                    self._lines[m.group(1)] = i
        return self._lines.get(key)


_TEXT_HEADER = re.compile(r"([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$")
_RESIDUE = re.compile(
    r"(\d+\s+)?comments?|advertisement|advertising|share( this( article| story)?)?|"
    r"share on \w+|tweet|related( articles| stories| content)?|read more|more stories|"
    r"recommended( for you)?|you may also like|most (read|popular)|sign up( for .*)?|"
    r"subscribe( to .*)?|follow us( on .*)?|newsletter|sponsored( content)?|"
    r"(click|tap) here( to .*)?|continue reading|back to top",
    re.I,
)


def _split_text(text: str) -> tuple[dict[str, Any], dict[str, int], str]:
    """Headers, their lines, and the body (paragraphs joined by blank lines) of a .txt file."""
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    where: dict[str, int] = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        m = _TEXT_HEADER.match(line)
        if not line:
            i += 1
        elif m and m.group(1).lower() in FRONT_MATTER_KEYS and m.group(1).lower() != "title":
            key = m.group(1).lower()
            meta[key] = m.group(2).strip()
            where[key] = i + 1
            i += 1
        else:
            break
    if i < len(lines):
        meta["title"] = lines[i].strip()
        where["title"] = i + 1
    if "draft" in meta:
        meta["draft"] = meta["draft"].lower() in ("true", "yes", "1")
    rest = [line.strip() for line in lines[i + 1 :]]
    rest = [line for line in rest if not re.fullmatch(r"advertisement|sponsored", line, re.I)]
    while rest and (not rest[-1] or _RESIDUE.fullmatch(rest[-1].rstrip(".:!…"))):
        rest.pop()
    return meta, where, "\n\n".join(_paragraphs(rest))


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; so does a line break, unless the text is hard-wrapped.

    A line counts as wrapped (continued on the next) when it is long and does not end
    a sentence: scraped text puts each paragraph on one line, e-mail-style text wraps
    near 72 columns mid-sentence.
    """
    out: list[str] = []
    joining = False
    for line in lines:
        if not line:
            joining = False
            continue
        if joining:
            out[-1] += " " + line
        else:
            out.append(line)
        joining = len(line) >= 50 and not line.endswith((".", "!", "?", ":", '"', "”", "’", "'", ")"))
    return out


def _file_stem(rel_path: str) -> str:
    """The file's name without extension; for ``index.md``, its folder's name."""
    p = Path(rel_path)
    return p.parent.name if p.stem == "index" and p.parent.name else p.stem


def _from_file_name(rel_path: str) -> tuple[date_type | None, str | None]:
    """The Jekyll convention: ``2024-05-01-my-post.md`` gives a date and a slug."""
    stem = _file_stem(rel_path)
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})-?(.*)$", stem)
    if m:
        try:
            day = date_type(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None, stem
        return day, m.group(4) or None
    return None, stem


def _typos(meta: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key in meta:
        if key in FRONT_MATTER_KEYS:
            continue
        close = difflib.get_close_matches(key.lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.75)
        if close and close[0] not in meta:
            found.append((key, close[0]))
    return found


class _Fields:
    """Typed access to front matter; a bad value raises a ContentError naming its line."""

    def __init__(self, meta: dict[str, Any], lines: _KeyLines, typos: dict[str, ContentError]):
        self.meta = meta
        self.lines = lines
        self.typos = typos  # intended key -> the warning about its misspelling

    def bad(self, key: str, message: str) -> ContentError:
        return ContentError(f"'{key}' {message}", line=self.lines.get(key), field=key)

    def missing(self, key: str, fix: str) -> ContentError:
        typo = self.typos.get(key)
        if typo is not None:
            return ContentError(f"has no '{key}': {typo.message}", line=typo.line, field=key)
        return ContentError(f"has no '{key}'. {fix}", line=self.lines.get(key), field=key)

    def text(self, key: str) -> str:
        value = self.meta.get(key)
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return " ".join(clean_text(str(value)).split())
        raise self.bad(key, f"must be text, not {_kind(value)}.")

    def flag(self, key: str) -> bool:
        value = self.meta.get(key, False)
        if not isinstance(value, bool):
            raise self.bad(key, f"must be true or false, not {value!r}.")
        return value

    def date(self, key: str, tz: tzinfo) -> datetime | None:
        value = self.meta.get(key)
        if value is None or value == "":
            return None
        parsed = parse_date(value, tz)
        if parsed is None:
            raise self.bad(key, f"is {str(value)!r}, not a date. Use YYYY-MM-DD, or "
                           "YYYY-MM-DDTHH:MM:SS with an offset like +02:00 or Z.")
        return parsed

    def tags(self) -> tuple[str, ...]:
        value = self.meta.get("tags")
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or any(isinstance(t, (dict, list)) for t in value):
            raise self.bad("tags", "must be a list, like 'tags: [python, feeds]'.")
        seen: dict[str, str] = {}
        for tag in value:
            name = " ".join(clean_text(str(tag)).split())
            if name and slugify(name) not in seen:
                seen[slugify(name)] = name
        return tuple(seen.values())

    def authors(self) -> tuple[Author, ...]:
        value = self.meta.get("authors", self.meta.get("author"))
        key = "authors" if "authors" in self.meta else "author"
        if value is None or value == "":
            return ()
        items = value if isinstance(value, list) else (
            value.split(",") if key == "authors" and isinstance(value, str) else [value])
        out = []
        for item in items:
            if isinstance(item, dict):
                name = " ".join(clean_text(str(item.get("name", ""))).split())
                author = Author(name, clean_text(str(item.get("email", ""))).strip(),
                                clean_text(str(item.get("url", ""))).strip())
            elif isinstance(item, str):
                name, email = parseaddr(item) if "<" in item else (item, "")
                author = Author(" ".join(clean_text(name).split()), email)
            else:
                raise self.bad(key, f"must be a name or a list of names, not {_kind(item)}.")
            if not author.name:
                raise self.bad(key, "has an author without a name.")
            out.append(author)
        return tuple(out)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), repr(value))


def parse_date(value: Any, tz: tzinfo) -> datetime | None:
    """ISO 8601 date or date-time; a value without an offset is in ``tz``. None if not a date."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date_type):
        parsed = datetime.combine(value, datetime.min.time())
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.replace(microsecond=0)


# "C++" and "C#" keep their meaning in a slug; a "+" or "#" not after a letter is punctuation.
_SLUG_WORDS = ((re.compile(r"(?<=\w)\++"), "plus"), (re.compile(r"(?<=\w)#"), "sharp"),
               (re.compile("&"), "and"), (re.compile("@"), "at"))


@functools.lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    """A lower-case, URL-safe name: Latin accents folded, other scripts kept as written.

    >>> slugify("Café & C++ 日本語")
    'cafe-and-c-plus-plus-日本語'
    """
    for pattern, word in _SLUG_WORDS:
        text = pattern.sub(lambda m, word=word: f" {word} " * len(m.group()), text)
    return re.sub(r"[\W_]+", "-", _fold(text).lower()).strip("-")[:80].rstrip("-")


def _fold(text: str) -> str:
    """'é' → 'e', 'ﬁ' → 'fi'; but 'ガ' and '한' stay whole (their marks are part of the letter)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base.isascii() else unicodedata.normalize("NFKC", ch))
    return "".join(out)


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _article_id(site: SiteContext, date: datetime, slug: str, raw_id: str) -> str:
    """Front matter ``id`` if it is a URI; else a tag: URI (RFC 4151) from host, date, name."""
    if raw_id and _URI.match(raw_id):
        return raw_id
    name = quote(raw_id or slug, safe="-._~!$&'()*+,;=:@/")
    return f"tag:{site.host},{date:%Y-%m-%d}:{name}"


def _article_url(site: SiteContext, date: datetime, slug: str, raw_id: str) -> str:
    local = date.astimezone(site.tz)
    path = site.permalink.format(
        year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}",
        slug=slug, id=slugify(raw_id) or slug,
    )
    return site.base_url.rstrip("/") + "/" + quote(path.lstrip("/"), safe="/-._~")
