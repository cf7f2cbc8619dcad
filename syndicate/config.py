"""Read ``syndicate.toml`` into frozen dataclasses, checked up front.

Every key has a default, so a site builds with no file at all. Every problem in a
file is reported at once, naming the file, the line and the key, so that a typo can
never pass silently. Relative paths are taken from the directory holding the file
(or the working directory when there is no file).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import keyword
import math
import os
import re
import textwrap
import tomllib
import zoneinfo
from datetime import datetime, timedelta
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .errors import ConfigError

CONFIG_NAME = "syndicate.toml"

#: The environment variable that overrides ``[state] url``.
DATABASE_URL_ENV = "SYNDICATE_DATABASE_URL"


def mask_url(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``: for messages, logs and ``status``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()


def database_url_problem(url: str) -> str | None:
    """None if ``url`` names a PostgreSQL database, else what is wrong with it and the fix."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in ("postgresql", "postgres"):
        return ("which is not a PostgreSQL URL. Write it like 'postgresql://user@host:5432/dbname', "
                "or leave it empty for SQLite at [state] path.")
    try:
        urlsplit(url).port
    except ValueError:
        return "whose port is not a number. Write it like 'postgresql://user@host:5432/dbname'."
    return None


def _key(default: Any, doc: str) -> Any:
    """A config key: its default and the one line the README shows for it."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class SiteConfig:
    title: str = _key("Syndicate Sample Site", "The site's name: feed titles, the newsletter's sender name.")
    base_url: str = _key("https://example.com/",
                         "Absolute http(s) URL the site is served from; every link is built from it.")
    description: str = _key("Articles, feeds and a newsletter, built by syndicate.",
                            "One line about the site: the feeds' subtitle.")
    language: str = _key("en", "Language tag of the content (BCP 47), e.g. `en`, `fr-CA`.")
    timezone: str = _key("UTC", "IANA time zone for dates written without an offset, e.g. `Europe/Berlin`.")
    author_name: str = _key("", "Default author of every article that names none (empty: the site title).")
    author_email: str = _key("", "That author's e-mail address (optional; in the Atom feed's `<author>`).")
    pages: bool | str = _key("auto", "Write a page for every article at its permalink, and tag pages: `true`, `false`, "
                                     "or `\"auto\"`: true unless `[content] import` names the tool that builds "
                                     "the site's pages.")

    @property
    def home_url(self) -> str:
        """``base_url`` with exactly one trailing slash: the home page, and the root of every link."""
        return self.base_url.rstrip("/") + "/"


@dataclass(frozen=True)
class ContentConfig:
    dir: str = _key("content", "Folder of articles (`*.md`, `*.markdown`, `*.txt`, `*.html`, `*.rst`), searched recursively.")
    permalink: str = _key("", "Article URL path under `base_url`, with fields like `{year}` `{month}` `{slug}` (see "
                              "*Links*); empty: the `import` tool's default, else `/{year}/{month}/{slug}/`.")
    import_: str = _key("", "The tool the posts come from, whose keys and URL rules they follow: `hugo`, `jekyll`, "
                            "`pelican`, `zola` (empty: syndicate's own). See *Moving a site over*.")


@dataclass(frozen=True)
class OutputConfig:
    dir: str = _key("output", "Folder the feeds are written into (disposable: rebuilt from content).")


@dataclass(frozen=True)
class StateConfig:
    path: str = _key("syndicate.db", "SQLite database of what was built and seen. Keep it: it is not output.")
    url: str = _key("", "A PostgreSQL database to keep the state in instead, `postgresql://user@host/dbname` "
                        "(needs `syndicate[scale]`; `SYNDICATE_DATABASE_URL` overrides it, so that a password "
                        "stays out of the file). Empty: SQLite at `path`.")


@dataclass(frozen=True)
class FeedsConfig:
    limit: int = _key(20, "Newest articles per feed; `0` puts every article in.")
    full_content: bool = _key(True, "Put the whole article in the feeds; `false` puts only the summary.")
    tag_feeds: bool = _key(True, "Also write a feed per tag under `feeds/tags/<tag>/`.")
    id: str = _key("tag", "A new article's id, kept for good once given: `tag` (a `tag:` URI of the host, date "
                          "and file name) or `url` (its first URL, as jekyll-feed and Hugo use).")


@dataclass(frozen=True)
class NewsletterConfig:
    mode: str = _key("digest", "`digest`: one issue of the new articles; `per_article`: one issue per new article "
                               "(always, with `[schedule] newsletter = \"on publish\"`).")
    max_articles: int = _key(10, "Most articles in one digest issue (the newest; the rest wait for the next issue).")
    subject: str = _key("{{ lead.title }}",
                        "The subject line, a jinja2 template; it can use `site`, `issue.number`, `issue.date`, "
                        "`lead` and `articles`. Non-ASCII is fine. The default leaves out the site title: it is "
                        "the sender's name already.")
    preheader: str = _key("", "The inbox preview text (empty: the lead article's summary).")
    full_content: bool = _key(False,
                              "Whole articles in the email; `false` sends each article's summary with a button to "
                              "read it.")
    templates_dir: str = _key("", "A folder of your own templates, looked up before the packaged ones (empty: none).")
    postal_address: str = _key("", "Your postal address, shown in every email's footer (CAN-SPAM asks for one).")
    sender: str = _key("",
                       "The From address, `Name <address>` (empty: the site title at `newsletter@` the site's domain).")
    max_from_sources: int = _key(10, "Most entries of `[[sources]]` in one digest issue, under \"What's new from the "
                                     "sites you follow\" (the newest; the rest wait for the next issue).")


@dataclass(frozen=True)
class DeliveryConfig:
    transport: str = _key("file",
                          "'file' writes each message as an .eml file into output/outbox/<issue>/; 'smtp' sends it.")
    host: str = _key("localhost", "SMTP server.")
    port: int = _key(587, "SMTP port (587 with starttls, 465 with ssl, 25 with none).")
    security: str = _key("starttls", "'starttls', 'ssl' (TLS from the start) or 'none'.")
    username_env: str = _key("SYNDICATE_SMTP_USER",
                             "Environment variable holding the SMTP user name (none set: no login).")
    password_env: str = _key("SYNDICATE_SMTP_PASSWORD", "Environment variable holding the SMTP password.")
    concurrency: int = _key(1, "SMTP connections used at once.")
    rate: float = _key(0, "Most messages per second, over all connections (0: no limit).")
    max_per_connection: int = _key(1000, "Messages sent over one connection before it is renewed.")
    max_attempts: int = _key(5, "Tries for a message the server defers (4xx) before it counts as failed.")
    retry_delay: float = _key(2, "Seconds before the first retry of a deferred message; doubled for each next one.")
    bounce_after: int = _key(1, "Hard failures (5xx) after which a subscriber is marked bounced.")
    timeout: float = _key(30, "Seconds to wait for the SMTP server before giving up on a connection.")
    workers: str = _key("in-process", "'in-process' sends from the `syndicate send` process; 'celery' queues the "
                                      "send for a fleet of `syndicate worker` processes (the `scale` extra).")
    broker: str = _key("", "The Celery broker of the fleet, `redis://host:6379/0` (empty: none; "
                           "$SYNDICATE_BROKER_URL, if set, is used instead, so a password stays out of this file).")
    queue: str = _key("syndicate", "The broker queue the fleet's batches go to (`syndicate worker --queues`).")
    batch_size: int = _key(500, "Subscribers in one batch (one task) of a fleet send.")
    claim_lease: float = _key(300, "Seconds a worker's claim on a batch lasts unrenewed: a batch whose worker "
                                   "died is sent on by another once it ends.")


@dataclass(frozen=True)
class ScheduleConfig:
    feeds_every: str = _key("15m", "How often 'syndicate schedule' rebuilds the feeds: \"30s\", \"15m\", \"1h\".")
    newsletter: str = _key("manual", "When an issue goes out: \"daily at 08:00\", \"weekly on monday at 08:00\", "
                                     "\"monthly on 1 at 09:00\", \"on publish\" or \"manual\" (site time zone).")
    catch_up: bool = _key(True, "After a slot missed by more than `catch_up_within` (machine off), send one "
                                "catch-up issue; false skips it.")
    catch_up_within: str = _key("1h", "How late a slot (or a `send --at`) may go and still count as on time: "
                                      "\"30m\", \"1h\", \"6h\". Later, it is a catch-up.")
    quiet_hours: str = _key("", "A daily window, like \"22:00-07:00\" (site time zone), in which a catch-up, "
                                "an \"on publish\" issue and a late `send --at` wait for its end (empty: none).")


@dataclass(frozen=True)
class ServerConfig:
    host: str = _key("127.0.0.1", "Address 'syndicate serve' listens on (0.0.0.0: every interface).")
    port: int = _key(8080, "Port 'syndicate serve' listens on.")
    cache_max_age: int = _key(300, "Seconds feed readers and proxies may keep a feed before asking again.")
    token_ttl_days: int = _key(7, "Days a subscription's confirmation link works.")
    subscribe_rate: int = _key(10, "Subscribe requests allowed per client address per hour (counted in the broker's "
                                   "Redis by every `serve` process when `[delivery] broker` is set).")


@dataclass(frozen=True)
class FetchConfig:
    every: str = _key("1h", "Least time between two fetches of one `[[sources]]` feed: \"30m\", \"1h\", \"1d\". A "
                            "longer `Cache-Control: max-age` or `Retry-After` from its server is honoured (up to 7 days).")
    timeout: float = _key(20, "Seconds one whole fetch may take (connecting, redirects, the body): a server that "
                              "trickles its answer is cut off then.")
    max_bytes: int = _key(5_000_000, "Largest feed read, in bytes (after gzip): a larger answer is cut off and reported.")
    max_redirects: int = _key(5, "Redirects followed in one fetch; a loop is reported as one.")
    max_age: str = _key("7d", "A source's entries dated longer ago than this when first seen are left out (\"30d\"; "
                              "\"0\": none are), so that adding a source does not mail its archive.")
    user_agent: str = _key("", "The User-Agent sent (empty: `syndicate/<version> (+<base_url>)`, so that a site's "
                               "owner can tell who fetches).")


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` table: a feed of another site that the newsletter (and, with
    ``republish``, the feeds) take entries from. Its ``url`` is its identity."""

    url: str = _key("", "The feed's address (RSS, Atom or JSON Feed), http or https. Required; a source is known by "
                        "it.")
    name: str = _key("", "The name readers see it by, in the newsletter and the feeds (empty: the URL's host name).")
    tags: tuple[str, ...] = _key((), "Tags given to every entry of it (in the feeds, with `republish`).")
    full_content: bool = _key(False, "Keep each entry's whole content; `false` keeps its summary and a \"Read on "
                                     "<name>\" link.")
    max_age: str = _key("", "As `[fetch] max_age`, for this source (empty: that one).")
    every: str = _key("", "As `[fetch] every`, for this source (empty: that one).")
    republish: bool = _key(False, "Also put its entries in the site's own feeds, each crediting and linking the "
                                  "original (ask its author first). `false`: the newsletter only.")


SECTIONS: dict[str, type] = {
    "site": SiteConfig,
    "content": ContentConfig,
    "output": OutputConfig,
    "state": StateConfig,
    "feeds": FeedsConfig,
    "newsletter": NewsletterConfig,
    "delivery": DeliveryConfig,
    "schedule": ScheduleConfig,
    "server": ServerConfig,
    "fetch": FetchConfig,
}


@dataclass(frozen=True)
class Config:
    """The whole configuration. ``root`` is where relative paths start from."""

    root: Path = Path(".")
    source: Path | None = None
    site: SiteConfig = field(default_factory=SiteConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    state: StateConfig = field(default_factory=StateConfig)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    newsletter: NewsletterConfig = field(default_factory=NewsletterConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    sources: tuple[SourceConfig, ...] = ()

    @property
    def templates_dir(self) -> Path | None:
        return self.root / self.newsletter.templates_dir if self.newsletter.templates_dir else None

    @property
    def sender_parts(self) -> tuple[str, str]:
        """(display name, address) of the From: [newsletter] sender, or the site title at
        newsletter@<the site's domain>. Headers are made from these parts, never from the raw text."""
        if self.newsletter.sender:
            return split_sender(self.newsletter.sender)
        host = urlsplit(self.site.base_url).hostname or "localhost"
        return self.site.title, f"newsletter@{host}"

    @property
    def sender(self) -> str:
        """The From header's value, its display name quoted where it needs to be."""
        from email.utils import formataddr  # here: email.utils loads socket, random and more at every start

        return formataddr(self.sender_parts)

    @property
    def sender_address(self) -> str:
        return self.sender_parts[1]

    @property
    def writes_pages(self) -> bool:
        """Whether the build writes article and tag pages: [site] pages, where "auto" is true
        unless the articles come from a tool (``[content] import``) whose own build makes them."""
        return self.site.pages is True or (self.site.pages == "auto" and not self.content.import_)

    @property
    def content_dir(self) -> Path:
        return self.root / self.content.dir

    @property
    def content_shown(self) -> str:
        """The content folder as the user would type it, for messages (relative if below cwd)."""
        rel = os.path.relpath(self.content_dir)
        return rel if not rel.startswith("..") else str(self.content_dir.resolve())

    @property
    def output_dir(self) -> Path:
        return self.root / self.output.dir

    @property
    def state_path(self) -> Path:
        return self.root / self.state.path

    @property
    def state_url(self) -> str:
        """The PostgreSQL URL the state is kept at (``SYNDICATE_DATABASE_URL``, else ``[state] url``),
        or "" for SQLite at :attr:`state_path`.

        :raises ConfigError: the variable holds something else than a PostgreSQL URL.
        """
        env = os.environ.get(DATABASE_URL_ENV, "").strip()
        if env and (problem := database_url_problem(env)):
            raise ConfigError(f"{DATABASE_URL_ENV} is {mask_url(env)!r}, {problem}")
        return env or self.state.url.strip()

    @property
    def per_article(self) -> bool:
        """One issue per new article: [newsletter] mode = "per_article", and always with [schedule]
        newsletter = "on publish", whose promise that is (whatever the mode says)."""
        return self.newsletter.mode == "per_article" or " ".join(self.schedule.newsletter.lower().split()) == \
            "on publish"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.site.timezone)


def load_config(path: str | Path | None = None, *, cwd: str | Path = ".") -> Config:
    """Read the configuration.

    With ``path``, that file must exist. Without it, ``syndicate.toml`` in ``cwd``
    is read if it is there, else the defaults are used.

    :raises ConfigError: listing every problem, each naming the file and key.
    """
    if path is None:
        candidate = Path(cwd) / CONFIG_NAME
        if not candidate.is_file():
            return Config(root=Path(cwd))
        path = candidate
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: no such config file. Check the path given to --config.") from err
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror}).") from err
    except UnicodeDecodeError as err:
        line = err.object[: err.start].count(b"\n") + 1
        raise ConfigError(f"{path}, line {line}: not UTF-8 text (byte {err.start}). Save it as UTF-8.") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}.") from err
    return config_from_dict(data, source=path, text=text)


def config_from_dict(data: dict[str, Any], *, source: Path | None = None, text: str = "") -> Config:
    """Check ``data`` (parsed TOML) against the known keys and build a :class:`Config`."""
    name = str(source) if source else "config"
    problems: list[str] = []
    sections: dict[str, Any] = {}
    sources: tuple[SourceConfig, ...] = ()
    for section, value in data.items():
        where = _where(name, text, section, None)
        if section == "sources":
            sources = _sources(value, name, text, problems)
            continue
        if section not in SECTIONS:
            problems.append(f"{where}: unknown section [{section}].{_suggest(section, SECTIONS)}")
            continue
        if not isinstance(value, dict):
            problems.append(f"{where}: '{section}' must be a table, written [{section}].")
            continue
        sections[section] = _section(SECTIONS[section], section, value, name, text, problems)
    if not problems:
        _check_values(sections.get("site") or SiteConfig(), sections.get("content") or ContentConfig(),
                      name, text, problems)
        _check_newsletter(sections.get("newsletter") or NewsletterConfig(), source, name, text, problems)
        _check_delivery(sections.get("delivery") or DeliveryConfig(), name, text, problems)
        _check_schedule(sections.get("schedule") or ScheduleConfig(), name, text, problems)
        _check_ranges(sections, name, text, problems)
        _check_choices(sections, name, text, problems)
        _check_text(sections.get("site") or SiteConfig(), sections.get("newsletter") or NewsletterConfig(),
                    name, text, problems)
        _check_sender(sections.get("newsletter") or NewsletterConfig(), name, text, problems)
        _check_paths(source.parent if source else Path("."), sections, name, text, problems)
        _check_fetch(sections.get("fetch") or FetchConfig(), name, text, problems)
        _check_state_url(sections.get("state") or StateConfig(), name, text, problems)
    if problems:
        raise ConfigError(problems)
    root = source.parent if source else Path(".")
    return Config(root=root, source=source, sources=sources, **sections)


def _section(cls: type, section: str, values: dict[str, Any], name: str, text: str,
             problems: list[str]) -> Any:
    known = {key_name(f.name): f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        where = _where(name, text, section, key)
        if key not in known:
            problems.append(f"{where}: unknown key '{key}' in [{section}].{_suggest(key, known)}")
            continue
        expected = known[key].type
        if not _is_type(value, expected):
            problems.append(
                f"{where}: '{section}.{key}' must be {_TYPE_WORDS[expected]}, not {value!r}."
            )
            continue
        kwargs[known[key].name] = value
    return cls(**kwargs)


def key_name(attr: str) -> str:
    """The TOML key of a config attribute: ``import_`` (``import`` is a Python word) is ``import``."""
    return attr.rstrip("_")


_TYPE_WORDS = {"str": "a string in quotes", "int": "a whole number", "bool": "true or false",
               "float": "a number", "bool | str": 'true, false or "auto"'}


def _is_type(value: Any, expected: str) -> bool:
    if expected == "bool | str":  # true, false or "auto"
        return isinstance(value, bool) or value == "auto"
    if expected == "bool":
        return isinstance(value, bool)
    if expected == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _check_values(site: SiteConfig, content: ContentConfig, name: str, text: str,
                  problems: list[str]) -> None:
    try:
        parts = urlsplit(site.base_url)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(
            f"{_where(name, text, 'site', 'base_url')}: 'site.base_url' is {site.base_url!r}, "
            "not an absolute http(s) URL. Write it like 'https://example.com/'."
        )
    elif parts.query or parts.fragment or "#" in site.base_url or "?" in site.base_url:
        problems.append(f"{_where(name, text, 'site', 'base_url')}: 'site.base_url' is {site.base_url!r}; it "
                        "may not have a '?query' or '#fragment': every link is built by adding to it.")
    if not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", site.language):
        problems.append(f"{_where(name, text, 'site', 'language')}: 'site.language' is {site.language!r}, not a "
                        "language tag. Write it like 'en', 'de' or 'fr-CA'.")
    try:
        zoneinfo.ZoneInfo(site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = _suggest(site.timezone, zoneinfo.available_timezones())
        problems.append(
            f"{_where(name, text, 'site', 'timezone')}: 'site.timezone' is {site.timezone!r}, "
            f"not an IANA time zone such as 'Europe/Berlin' or 'UTC'.{hint}"
        )
    if not site.title.strip():
        problems.append(f"{_where(name, text, 'site', 'title')}: 'site.title' is empty. Give the site a name.")
    from .content.dialects import PERMALINK_FIELDS, permalink_pattern

    pattern = permalink_pattern(content.permalink)
    fields = set(re.findall(r"{(\w*)[:}]", pattern))
    if content.permalink and (fields - PERMALINK_FIELDS or not fields & {"slug", "title", "id", "filename"}):
        problems.append(
            f"{_where(name, text, 'content', 'permalink')}: 'content.permalink' is "
            f"{content.permalink!r}; use the fields {{year}} {{month}} {{day}} {{slug}} {{id}} {{section}} {{path}} "
            "(see the README, Links), with {slug} or {id} in it so that every article gets its own URL."
        )
        return
    try:
        pattern.format(**{**dict.fromkeys(PERMALINK_FIELDS, "x"), "date": datetime(2026, 1, 2)})
    except (ValueError, KeyError, IndexError, AttributeError):
        problems.append(f"{_where(name, text, 'content', 'permalink')}: 'content.permalink' is "
                        f"{content.permalink!r}, which cannot be filled in: write each field as {{slug}}, and a "
                        "brace that is meant as one as {{ or }}.")


def _check_newsletter(news: NewsletterConfig, source: Path | None, name: str, text: str,
                      problems: list[str]) -> None:
    if news.mode not in ("digest", "per_article"):
        problems.append(f"{_where(name, text, 'newsletter', 'mode')}: 'newsletter.mode' is {news.mode!r}; "
                        "use 'digest' or 'per_article'.")
    if not _PLAIN_SUBJECT.fullmatch(news.subject):  # text and {{ names }} are valid: no need to load jinja2
        _check_subject(news.subject, name, text, problems)
    if news.templates_dir:
        folder = (source.parent if source else Path(".")) / news.templates_dir
        if not folder.is_dir():
            problems.append(f"{_where(name, text, 'newsletter', 'templates_dir')}: 'newsletter.templates_dir' "
                            f"is {news.templates_dir!r}, which is not a folder ({folder}).")


_PLAIN_SUBJECT = re.compile(r"(?:[^{}]|\{\{ *(?!(?:and|in|is|not|or|if|else)\b)[A-Za-z_][A-Za-z0-9_]*"
                            r"(?:\.[A-Za-z_][A-Za-z0-9_]*)* *\}\})*")


def _check_subject(subject: str, name: str, text: str, problems: list[str]) -> None:
    import jinja2  # here: most subjects are plain (see _PLAIN_SUBJECT), and jinja2 costs 25 ms to load

    try:
        jinja2.Environment().parse(subject)
    except jinja2.TemplateSyntaxError as err:
        problems.append(f"{_where(name, text, 'newsletter', 'subject')}: 'newsletter.subject' is {subject!r}, "
                        f"not a template jinja2 can read: {(err.message or '').rstrip('.')}.")


def _check_delivery(delivery: DeliveryConfig, name: str, text: str, problems: list[str]) -> None:
    if not re.fullmatch(r"[A-Za-z0-9._:\[\]-]+", delivery.host):
        problems.append(f"{_where(name, text, 'delivery', 'host')}: 'delivery.host' is {delivery.host!r}, not a "
                        "host name. Write it like 'smtp.example.com' or '127.0.0.1'.")
    for key in ("username_env", "password_env"):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", getattr(delivery, key)):
            problems.append(f"{_where(name, text, 'delivery', key)}: 'delivery.{key}' is "
                            f"{getattr(delivery, key)!r}, not the name of an environment variable.")
    if delivery.broker and urlsplit(delivery.broker).scheme not in ("redis", "rediss"):
        problems.append(f"{_where(name, text, 'delivery', 'broker')}: 'delivery.broker' is "
                        f"{mask_password(delivery.broker)!r}, not a Redis URL. Write it like 'redis://localhost:6379/0'.")
    if delivery.workers == "celery" and not (delivery.broker or os.environ.get(BROKER_ENV)):
        problems.append(f"{_where(name, text, 'delivery', 'workers')}: 'delivery.workers' is 'celery', but no "
                        f"broker is set. Set [delivery] broker = \"redis://localhost:6379/0\", or ${BROKER_ENV}.")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", delivery.queue):
        problems.append(f"{_where(name, text, 'delivery', 'queue')}: 'delivery.queue' is {delivery.queue!r}; use "
                        "letters, digits, '.', '_' and '-'.")


#: The environment variable that, when set, is the broker URL (over [delivery] broker).
BROKER_ENV = "SYNDICATE_BROKER_URL"


def broker_url(delivery: DeliveryConfig) -> str:
    """The fleet's broker: $SYNDICATE_BROKER_URL if set, else [delivery] broker."""
    return os.environ.get(BROKER_ENV) or delivery.broker


def mask_password(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``: for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return url.replace(parts.netloc, f"{netloc[0].split(':', 1)[0]}:***@{netloc[1]}", 1)


#: The keys that take one of a few words: (section, key) → the words.
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("feeds", "id"): ("tag", "url"),
    ("content", "import"): ("", "hugo", "jekyll", "pelican", "zola"),
    ("delivery", "transport"): ("file", "smtp"),
    ("delivery", "security"): ("starttls", "ssl", "none"),
    ("delivery", "workers"): ("in-process", "celery"),
}


def _check_choices(sections: dict[str, Any], name: str, text: str, problems: list[str]) -> None:
    for (section, key), allowed in CHOICES.items():
        value = getattr(sections.get(section) or SECTIONS[section](), key + "_" * keyword.iskeyword(key))
        if value not in allowed:
            problems.append(f"{_where(name, text, section, key)}: '{section}.{key}' is {value!r}; use "
                            + " or ".join(repr(a) for a in allowed) + ".")


#: The range of every number, (section, key) → (lowest, highest): checked at load time, so that a
#: value no send or server could use (nan, 1e308, a port of 70000) never reaches one.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("feeds", "limit"): (0, 1_000_000),
    ("newsletter", "max_articles"): (1, 1000),
    ("delivery", "port"): (1, 65535),
    ("delivery", "concurrency"): (1, 64),
    ("delivery", "rate"): (0, 100_000),
    ("delivery", "max_per_connection"): (1, 10_000_000),
    ("delivery", "max_attempts"): (1, 100),
    ("delivery", "retry_delay"): (0, 86_400),
    ("delivery", "bounce_after"): (1, 1000),
    ("delivery", "timeout"): (1, 3600),
    ("delivery", "batch_size"): (1, 100_000),
    ("delivery", "claim_lease"): (2, 86_400),
    ("server", "port"): (1, 65535),
    ("server", "cache_max_age"): (0, 31_536_000),
    ("server", "token_ttl_days"): (1, 365),
    ("server", "subscribe_rate"): (1, 1_000_000),
    ("newsletter", "max_from_sources"): (0, 1000),
    ("fetch", "timeout"): (1, 600),
    ("fetch", "max_bytes"): (10_000, 1_000_000_000),
    ("fetch", "max_redirects"): (0, 20),
}


def _check_ranges(sections: dict[str, Any], name: str, text: str, problems: list[str]) -> None:
    for (section, key), (low, high) in RANGES.items():
        value = getattr(sections.get(section) or SECTIONS[section](), key)
        if not math.isfinite(value) or not low <= value <= high:
            problems.append(f"{_where(name, text, section, key)}: '{section}.{key}' is {value!r}; use a number "
                            f"from {low:g} to {high:g}.")


def _check_text(site: SiteConfig, news: NewsletterConfig, name: str, text: str, problems: list[str]) -> None:
    """Values that end up in mail headers: one line each, and a base URL of ASCII only."""
    for section, key, value in (("site", "title", site.title), ("site", "description", site.description),
                                ("site", "author_name", site.author_name),
                                ("newsletter", "postal_address", news.postal_address)):
        if any(not c.isprintable() for c in value):
            problems.append(f"{_where(name, text, section, key)}: '{section}.{key}' holds a line break or a "
                            f"control character ({value!r}); write it on one line.")
    url = site.base_url
    if any(not c.isprintable() or c.isspace() for c in url):
        problems.append(f"{_where(name, text, 'site', 'base_url')}: 'site.base_url' holds a space or a control "
                        f"character ({url!r}); a URL has neither.")
    elif not url.isascii():
        parts = urlsplit(url)
        try:
            host = (parts.hostname or "").encode("idna").decode("ascii")
            ascii_url = parts._replace(netloc=host + (f":{parts.port}" if parts.port else ""),
                                       path=quote(parts.path, safe="/%")).geturl()
            hint = f" Write it as {ascii_url!r}."
        except (UnicodeError, ValueError):
            hint = ""
        problems.append(f"{_where(name, text, 'site', 'base_url')}: 'site.base_url' is {url!r}, which is not "
                        f"ASCII: links and mail headers need the ASCII form (IDNA for the host).{hint}")


_SENDER = re.compile(r"\s*(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>\s]+)>|(?P<bare>[^<>\s]+))\s*")


def split_sender(sender: str) -> tuple[str, str]:
    """'Name <address>' or a bare address → (name, address); ('', '') if it is neither."""
    match = _SENDER.fullmatch(sender)
    if match is None:
        return "", ""
    name = (match["name"] or "").strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"')
    return name, match["angle"] or match["bare"]


def _check_sender(news: NewsletterConfig, name: str, text: str, problems: list[str]) -> None:
    """[newsletter] sender is 'Name <address>' or a bare address, and the address is valid."""
    if not news.sender:
        return
    from email_validator import EmailNotValidError, validate_email

    where = f"{_where(name, text, 'newsletter', 'sender')}: 'newsletter.sender' is {news.sender!r}"
    _, address = split_sender(news.sender)
    if not address or any(not c.isprintable() for c in news.sender):
        problems.append(f"{where}, not an address. Write it like 'My Site <news@example.com>'.")
        return
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as err:
        problems.append(f"{where}: {address!r} is not an email address ({str(err).rstrip('.')}).")


def _check_paths(root: Path, sections: dict[str, Any], name: str, text: str, problems: list[str]) -> None:
    """The folders may not overlap: the output is published, so the state (and its secret) may
    not be in it; content inside the output, or the output inside the content, would read
    the build's own files as articles."""
    paths = {("content", "dir"): (sections.get("content") or ContentConfig()).dir,
             ("output", "dir"): (sections.get("output") or OutputConfig()).dir,
             ("state", "path"): (sections.get("state") or StateConfig()).path,
             ("newsletter", "templates_dir"): (sections.get("newsletter") or NewsletterConfig()).templates_dir}
    bad = False
    for (section, key), value in paths.items():
        if any(not c.isprintable() for c in value):
            problems.append(f"{_where(name, text, section, key)}: '{section}.{key}' holds a control character "
                            f"({value!r}); a path has none.")
            bad = True
    if bad:
        return
    state_path = paths[("state", "path")]
    if not state_path.strip() or (root / state_path).is_dir():
        problems.append(f"{_where(name, text, 'state', 'path')}: 'state.path' is {state_path!r}, which is not a "
                        "file name. Name the database file, e.g. path = \"syndicate.db\".")
        return

    content, output, state = ((root / paths[key]).resolve()
                              for key in (("content", "dir"), ("output", "dir"), ("state", "path")))

    def inside(path: Path, parent: Path) -> bool:
        return path == parent or parent in path.parents

    if inside(state, output) or inside(Path(f"{state}.secret"), output):
        problems.append(f"{_where(name, text, 'state', 'path')}: 'state.path' is inside the output folder "
                        f"({output}), which is published: the database and its secret would be served to "
                        "anyone. Keep it outside, e.g. path = \"syndicate.db\".")
    clash = "the build would read its own files as articles, and publish the content with them"
    if inside(output, content):
        same = "the same folder as" if output == content else "inside"
        problems.append(f"{_where(name, text, 'output', 'dir')}: 'output.dir' ({output}) is {same} the content "
                        f"folder ({content}): {clash}. Give each a folder of its own.")
    elif inside(content, output):
        problems.append(f"{_where(name, text, 'content', 'dir')}: 'content.dir' ({content}) is inside the output "
                        f"folder ({output}): {clash}. Give each a folder of its own.")


def _check_state_url(state: StateConfig, name: str, text: str, problems: list[str]) -> None:
    if state.url.strip() and (problem := database_url_problem(state.url.strip())):
        problems.append(f"{_where(name, text, 'state', 'url')}: 'state.url' is {mask_url(state.url)!r}, {problem}")


def _check_schedule(schedule: ScheduleConfig, name: str, text: str, problems: list[str]) -> None:
    from .schedule.due import parse_cadence, parse_interval, parse_quiet_hours

    for key, parse in (("feeds_every", parse_interval), ("newsletter", parse_cadence),
                       ("catch_up_within", parse_interval), ("quiet_hours", parse_quiet_hours)):
        try:
            parse(getattr(schedule, key))
        except ValueError as err:
            problems.append(f"{_where(name, text, 'schedule', key)}: 'schedule.{key}': {err}")


def _check_fetch(fetch: FetchConfig, name: str, text: str, problems: list[str]) -> None:
    from .sources.polite import parse_duration

    for key, zero in (("every", False), ("max_age", True)):
        try:
            wait = parse_duration(getattr(fetch, key), allow_zero=zero)
        except ValueError as err:
            problems.append(f"{_where(name, text, 'fetch', key)}: 'fetch.{key}': {err}")
            continue
        if key == "every" and wait < MIN_EVERY:
            problems.append(f"{_where(name, text, 'fetch', key)}: 'fetch.every' is {fetch.every!r}; fetch a "
                            "feed at most once a minute (\"1m\"), to be polite to its server.")
    if any(not c.isprintable() for c in fetch.user_agent):
        problems.append(f"{_where(name, text, 'fetch', 'user_agent')}: 'fetch.user_agent' holds a line break or a "
                        f"control character ({fetch.user_agent!r}); write it on one line.")


#: The shortest interval between two fetches of one feed.
MIN_EVERY = timedelta(minutes=1)


def _sources(value: Any, name: str, text: str, problems: list[str]) -> tuple[SourceConfig, ...]:
    """``[[sources]]``: each table checked (url, name, tags, the durations), names and URLs unique."""
    from .sources.polite import parse_duration

    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        line = next((i for i, row in enumerate(text.splitlines(), 1) if re.match(r"\s*sources\s*=", row)), None)
        problems.append(f"{name}{f', line {line}' if line else ''}: 'sources' must be tables, each written "
                        "[[sources]] with a url = \"…\" under it.")
        return ()
    known = {f.name: f for f in dataclasses.fields(SourceConfig)}
    found: list[SourceConfig] = []
    by_url: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for n, table in enumerate(value, 1):
        def where(key: str | None, n: int = n) -> str:
            return _source_where(name, text, n, key)
        bad = len(problems)
        kwargs: dict[str, Any] = {}
        for key, item in table.items():
            if key not in known:
                problems.append(f"{where(key)}: unknown key '{key}' in [[sources]] number {n}."
                                f"{_suggest(key, known)}")
            elif key == "tags":
                if isinstance(item, str):
                    item = [t for t in (p.strip() for p in item.split(",")) if t]
                if not isinstance(item, list) or not all(isinstance(t, str) and t.strip() for t in item):
                    problems.append(f"{where(key)}: 'tags' must be a list of tags, like [\"news\", \"harbour\"], "
                                    f"not {item!r}.")
                else:
                    kwargs[key] = tuple(t.strip() for t in item)
            elif not _is_type(item, known[key].type):
                problems.append(f"{where(key)}: '{key}' of [[sources]] number {n} must be "
                                f"{_TYPE_WORDS[known[key].type]}, not {item!r}.")
            else:
                kwargs[key] = item.strip() if isinstance(item, str) else item
        url = kwargs.get("url", "")
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises for a port that is not a number
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            valid = False
        if "url" not in table:
            problems.append(f"{where(None)}: [[sources]] number {n} has no url. Give the feed's address: "
                            "url = \"https://example.org/feed.xml\".")
        elif "url" in kwargs and (not valid or any(not c.isprintable() or c.isspace() for c in url)):
            problems.append(f"{where('url')}: 'url' of [[sources]] number {n} is {url!r}, not an http(s) address. "
                            "Write it like 'https://example.org/feed.xml'.")
        source_name = kwargs.get("name") or (parts.hostname or "" if valid else "")
        if any(not c.isprintable() for c in source_name):
            problems.append(f"{where('name')}: 'name' of [[sources]] number {n} holds a line break or a control "
                            f"character ({source_name!r}); write it on one line.")
        for key, zero in (("every", False), ("max_age", True)):
            if kwargs.get(key):
                try:
                    wait = parse_duration(kwargs[key], allow_zero=zero)
                except ValueError as err:
                    problems.append(f"{where(key)}: '{key}' of [[sources]] number {n}: {err}")
                    continue
                if key == "every" and wait < MIN_EVERY:
                    problems.append(f"{where(key)}: 'every' of [[sources]] number {n} is {kwargs[key]!r}; fetch "
                                    "a feed at most once a minute (\"1m\"), to be polite to its server.")
        if len(problems) > bad:
            continue
        key = source_key(url)
        if key in by_url:
            problems.append(f"{where('url')}: [[sources]] number {n} has the url of number {by_url[key]} "
                            f"({url}). Keep one of them.")
            continue
        if source_name.casefold() in by_name:
            problems.append(f"{where('name')}: [[sources]] number {n} has the name of number "
                            f"{by_name[source_name.casefold()]} ({source_name!r}). Give each source a name of its "
                            "own.")
            continue
        by_url[key], by_name[source_name.casefold()] = n, n
        found.append(SourceConfig(**{**kwargs, "name": source_name}))
    return tuple(found)


def source_key(url: str) -> str:
    """A source's URL as it identifies the source: scheme and host in lower case, no fragment, so
    that 'HTTPS://Example.org/feed' and 'https://example.org/feed' are one source."""
    parts = urlsplit(url.strip())
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment="").geturl()


def _source_where(name: str, text: str, number: int, key: str | None) -> str:
    """``file, line N`` of the ``number``-th ``[[sources]]`` table, or of ``key`` in it."""
    if not text:
        return name
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*\[\[\s*sources\s*\]\]", line)]
    if len(starts) < number:
        return name
    start = starts[number - 1]
    if key is None:
        return f"{name}, line {start + 1}"
    for i in range(start + 1, len(lines)):
        if re.match(r"\s*\[", lines[i]):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
            return f"{name}, line {i + 1}"
    return f"{name}, line {start + 1}"


def _where(name: str, text: str, section: str, key: str | None) -> str:
    """``file, line N`` for a key, found in the raw text (tomllib gives no positions)."""
    if not text:
        return name
    lines = text.splitlines()
    start = 0
    for i, line in enumerate(lines):
        if re.match(rf"\s*\[\s*{re.escape(section)}\s*\]", line):
            if key is None:
                return f"{name}, line {i + 1}"
            start = i + 1
            break
    if key is not None:
        for i in range(start, len(lines)):
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
                return f"{name}, line {i + 1}"
    return name


def _suggest(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


def iter_keys() -> list[tuple[str, str, Any, str]]:
    """Every config key as (section, key, default, doc): the README's table comes from here."""
    rows = []
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            rows.append((section, key_name(f.name), f.default, f.metadata["doc"]))
    return rows


def toml_value(value: Any) -> str:
    """``value`` written as TOML (a basic string, a number, true or false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # A JSON string is a TOML basic string, but for DEL, which TOML does not allow unescaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return repr(value)


def config_file_text(values: dict[tuple[str, str], Any] | None = None) -> str:
    """A ``syndicate.toml`` holding every key, each with its meaning above it and its default beside it.

    ``values`` sets some keys, by (section, key); the others are written with their defaults,
    so the file reads as the full list of settings and loads exactly as written. Made from
    :func:`iter_keys`, like the README's table, so that the two cannot drift apart.
    """
    values = values or {}
    out = ["# syndicate.toml: the settings of this site. Every key is here; a key you delete takes",
           "# its default again. The README's Configuration section has the same list.", ""]
    section = None
    for sect, key, default, doc in iter_keys():
        if sect != section:
            out += ([""] if section else []) + [f"[{sect}]"]
            section = sect
        out += [f"# {line}" for line in textwrap.wrap(doc, 86)]
        out.append(f"{key} = {toml_value(values.get((sect, key), default))}  # default: {toml_value(default)}")
    out += ["", "# The feeds of other sites the newsletter follows (README: Sources): one table each, added by",
            "# 'syndicate sources add URL' or 'syndicate sources import FILE.opml', or written by hand:",
            "# [[sources]]", '# url = "https://example.org/feed.xml"', '# name = "Example"', '# tags = ["news"]']
    return "\n".join(out) + "\n"
