"""The email check, ``syndicate check --email``: which HTML and CSS features of an email the
reader's mail client lacks, by caniemail.com's data, and the faults every email must avoid.

:func:`lint_email` is pure: it reads the HTML and its CSS with two small scanners (regular
expressions that always match and never backtrack, so that a hostile template costs time in
proportion to its size), finds the features caniemail has a page for (a CSS property in a
``<style>`` or a ``style=""``, an at-rule, a selector, an element, an attribute, an image
format), and reports those a chosen client does not support, or supports only partly. A
feature inside a progressive-enhancement block (an ``@media`` or ``@supports`` rule, an MSO
conditional comment) is reported too, but is never a failure: a client that skips the block
loses only the enhancement; so is a feature of :data:`GRACEFUL`, which a client without it
ignores at no cost but looks (square corners, an unbroken URL). What caniemail has no page for (``color``, ``mso-hide``…) is
not reported. :func:`check_email` finds the email to check (the next issue's, or a made one's).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from ..config import Config
from ..content.load import read_content
from ..errors import CannotStartError
from ..state import Issue, has_state, open_store, state_name
from ..templating import template_env
from .archive import preview_values
from .caniemail import (
    AT_RULES,
    ATTRIBUTES,
    ELEMENTS,
    ENHANCING_AT_RULES,
    IMAGE_FORMATS,
    INPUTS,
    MEDIA_FEATURES,
    CanIEmail,
    Client,
    Feature,
    load_caniemail,
    property_features,
    resolve_clients,
    selector_features,
)
from ..sources import source_content
from .make import plan_next, render_preview
from .personalize import personalizers
from .plan import plan_issues
from .render import GMAIL_CLIP_BYTES

#: Only this much of an email is read: twenty times what Gmail shows, and a bigger one must not stall the check.
MAX_CHECKED_CHARS = 2_000_000

LEVELS = ("error", "warning", "info")  # info: inside an enhancement block, or graceful: never a failure

MSO = "an MSO conditional comment"
MEDIA_ONLY = "a <style> of @media rules only"

#: Features that only improve on what the email is without them, so a client that ignores one
#: shows the email as if it were not there: a hint, decoration, or wrapping and sizing that
#: make a long line or a wide table fit better. Listed, each with what that client shows
#: instead ("degrades gracefully"), never a failure. Nothing that hides content (display:none,
#: max-height, opacity: see LAYERED_HIDING), places it (position, float) or lays it out in
#: columns (flex, grid) is here: a client without those shows something else than was meant.
GRACEFUL: dict[str, str] = {
    "html-doctype": "the client's own document type (a table layout needs none)",
    "html-body": "the email in a <body> of their own (put backgrounds and fonts on a wrapper table)",
    "html-meta-color-scheme": "the client's own dark mode, if it has one",
    "html-role": "the tables without a role (screen readers announce layout tables as tables)",
    "html-semantics": "the element (<section>, <article>…) as a plain block",
    "css-border-radius": "square corners",
    "css-overflow-wrap": "a long word or URL unbroken: the line runs on, as it does without the rule",
    "css-word-break": "a long word or URL unbroken: the line runs on, as it does without the rule",
    "css-word-wrap": "a long word or URL unbroken: the line runs on, as it does without the rule",
    "css-white-space": "the default white-space: a <pre> keeps its lines unwrapped, as without the rule",
    "css-table-layout": "columns sized by their content, as without the rule",
    "css-height": "the height as a minimum height (Yahoo): for an image sized `auto`, the same",
}

#: The ways an element is hidden (a preheader, a copy for one client). An element hidden by
#: several at once is hidden in every client that has one of them: for it, the others are
#: fallbacks (inside "a layered hiding"); a client that has none of them is an error as ever.
LAYERED_HIDING = "a layered hiding"
#: ``overflow: auto`` (or ``scroll``): a box that scrolls where it can, and is shown in full where
#: it cannot, as it is without the rule (a wide table in its own box). Not ``hidden``, which hides.
SCROLLING = "a scrolling box, shown in full where it cannot scroll"
HIDING = {"css-display-none": ("display", "none"), "css-max-height": ("max-height", "0"),
          "css-opacity": ("opacity", "0"), "css-overflow": ("overflow", "hidden")}


@dataclass(frozen=True)
class Finding:
    """One line of the report: a feature some clients lack, or a fault of the email.

    ``level`` is "error" (a client does not support it; the check fails), "warning" (partly
    supported, or a fault such as an image without alt text; fails with ``--strict``) or
    "info" (inside ``enhancement``, a progressive-enhancement block: never a failure).
    """

    level: str
    message: str
    line: int | None = None
    slug: str = ""  # the caniemail feature, if it is one
    clients: tuple[str, ...] = ()  # the names of the clients concerned
    enhancement: str = ""  # the block it sits in: "@media", "@supports", MSO
    graceful: bool = False  # a feature in GRACEFUL: ignored by a client without it, at no cost but looks

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else ""
        if self.enhancement:
            where += (", " if where else "") + f"inside {self.enhancement}"
        elif self.graceful:
            where += (", " if where else "") + "degrades gracefully"
        return f"{where}: {self.message}" if where else self.message


def lint_email(html: str, *, data: CanIEmail, clients: Sequence[Client], postal_address: str = "",
               unsubscribe_url: str | None = None) -> list[Finding]:
    """Check the HTML of an email for ``clients``: the features they lack, then its size, its
    images' alt text, its links, its unsubscribe link and its postal address.

    ``unsubscribe_url`` is the unsubscribe link as it is in ``html`` (a URL or a placeholder):
    it must be there, and need not be https. Without it, any link whose address says "unsubscribe" will do.
    Returns the findings, errors first, each level in the order of the lines.
    """
    findings = _size_findings(html) + _postal_findings(html, postal_address)
    rest = ""
    if len(html) > MAX_CHECKED_CHARS:
        findings.append(Finding("warning", f"the email is {len(html):,} characters long: only the first "
                                f"{MAX_CHECKED_CHARS:,} were checked."))
        html, rest = html[:MAX_CHECKED_CHARS], html[MAX_CHECKED_CHARS:]
    scan = _Scan(data, unsubscribe_url)
    _scan_html(html, scan)
    if rest and unsubscribe_url and htmllib.escape(unsubscribe_url) in rest:
        scan.unsubscribe_seen = True  # in the part not read, most likely in a link
    for (slug, enhancement), (line, count) in scan.features.items():
        if slug in data.features:
            findings += _feature_findings(data.features[slug], clients, line, count, enhancement, data, scan.layers)
    findings += _image_findings(scan.bare_images)
    findings += _link_findings(scan)
    return sorted(findings, key=lambda f: (LEVELS.index(f.level), f.line or 0, f.slug))


# -- reading the HTML and the CSS ----------------------------------------------------------------

# Each always matches where the last one ended, and none can backtrack far: an unclosed comment,
# string or tag ends at the end (of the document, the line, the tag).
_HTML_TOKEN = re.compile(r"""<!--(.*?)(?:-->|\Z)|<![^>]*>?|<\?[^>]*>?"""
                         r"""|<(/?)([a-zA-Z][^\s/>]*)((?:"[^"]*"|'[^']*'|[^'">])*)>?|[^<]+|<""", re.S)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_RAW_TEXT = {tag: re.compile(rf"</{tag}\b[^>]*>?", re.I) for tag in ("style", "script", "title", "textarea")}
_CSS_TOKEN = re.compile(r"""/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?|[{};]|[^{};"'/]+|/""",
                        re.S)


@dataclass
class _Sample:
    """How many of something, and the first few (line, what) of them."""

    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, what: str) -> None:
        self.count += 1
        if len(self.first) < 3:
            self.first.append((line, what))


@dataclass
class _Scan:
    """What a scan found: each (feature, enhancement block) with its first line and its count; and
    the links and images the other checks need (a few of each, so a huge email costs no memory)."""

    data: CanIEmail
    unsubscribe_url: str | None
    features: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    layers: dict[str, set[str]] = field(default_factory=dict)  # a hiding feature → the others beside it
    insecure_links: _Sample = field(default_factory=_Sample)
    bare_images: _Sample = field(default_factory=_Sample)
    unsubscribe_seen: bool = False

    def add(self, slug: str, line: int, enhancement: str) -> None:
        if slug:
            self.features.setdefault((slug, enhancement), [line, 0])[1] += 1


def _scan_html(html: str, scan: _Scan, *, line: int = 1, enhancement: str = "") -> None:
    """Note the features, links and images of ``html``, whose first line is ``line``; all of it
    sits inside ``enhancement`` if that is given (the inside of an MSO conditional comment)."""
    pos, revealed = 0, ""  # revealed: inside <!--[if !mso]><!--> … <!--<![endif]-->, for all but Outlook
    while pos < len(html):
        match = _HTML_TOKEN.match(html, pos)
        end = match.end()
        comment, closing, tag, attributes = match.groups()
        within = enhancement or revealed
        if comment is not None:
            scan.add("html-comments", line, within)
            closed = match.group().endswith("-->")
            if closed and comment.startswith("[if") and comment.endswith("<![endif]") and "]>" in comment:
                inner = comment.index("]>") + 2  # <!--[if mso]> … <![endif]-->: only Outlook on Windows reads it
                _scan_html(comment[inner:-len("<![endif]")], scan, line=line + comment[:inner].count("\n"),
                           enhancement=within or MSO)
            elif closed and re.fullmatch(r"\[if[^\]]*\]><!", comment):
                revealed = MSO
            elif comment == "<![endif]":
                revealed = ""
        elif re.fullmatch(r"<!doctype\s+html\s*>", match.group(), re.I):
            scan.add("html-doctype", line, within)
        elif tag and not closing:
            tag = tag.lower()
            _start_tag(tag, _attributes(attributes), line, within, scan)
            if tag in _RAW_TEXT:  # its text up to </style> (or </title>…) is no markup
                close = _RAW_TEXT[tag].search(html, end)
                text_end, end = (close.start(), close.end()) if close else (len(html), len(html))
                if tag == "style":
                    plain = _scan_css(html[match.end():text_end], scan, line=line, enhancement=within)
                    # A <style> of @media rules only is an enhancement itself: a client that drops it loses those.
                    scan.add("html-style", line, within or ("" if plain else MEDIA_ONLY))
        line += html.count("\n", pos, end)
        pos = end


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, *values = match.groups()
        found.setdefault(name.lower(), htmllib.unescape(next((v for v in values if v is not None), "")))
    return found


def _start_tag(tag: str, attributes: dict[str, str], line: int, within: str, scan: _Scan) -> None:
    """Note the features of one start tag: the element, its attributes, its style, its link or image."""
    if tag != "style":  # noted once its content is read
        scan.add(ELEMENTS.get(tag, ""), line, within)
    if tag == "input":
        scan.add(INPUTS.get(attributes.get("type", "text").lower(), ""), line, within)
    if tag == "button" and attributes.get("type", "submit").lower() in ("reset", "submit"):
        scan.add(f"html-button-{attributes.get('type', 'submit').lower()}", line, within)
    for name in attributes:
        scan.add(ATTRIBUTES.get(name, ""), line, within)
    if tag == "meta" and attributes.get("name", "").lower() == "color-scheme":
        scan.add("html-meta-color-scheme", line, within)
    if "style" in attributes:
        _scan_css(attributes["style"], scan, line=line, enhancement=within, inline=True)
    href = attributes.get("href", "").strip()
    if tag in ("a", "area") and "href" in attributes:
        if href.lower().startswith("mailto:"):
            scan.add("html-mailto-links", line, within)
        elif href.startswith("#"):
            scan.add("html-anchor-links", line, within)
        if href == scan.unsubscribe_url or (scan.unsubscribe_url is None and "unsubscribe" in href.lower()):
            scan.unsubscribe_seen = True
        elif not href.lower().startswith(("https:", "mailto:", "tel:", "sms:", "#")):
            scan.insecure_links.add(line, href)
    if tag == "img":
        src = attributes.get("src", "").strip()
        if not attributes.get("alt", "").strip():
            scan.bare_images.add(line, src)
        data_url = re.match(r"data:image/([\w.+-]+);base64,", src, re.I)
        if data_url:
            scan.add("image-base64", line, within)
        kind = data_url.group(1) if data_url else urlsplit(src).path.rpartition(".")[2]
        scan.add(IMAGE_FORMATS.get(kind.lower(), ""), line, within)


def _scan_css(css: str, scan: _Scan, *, line: int, enhancement: str = "", inline: bool = False) -> bool:
    """Note the features of a style sheet (or, ``inline``, of a ``style=""`` attribute); True if
    any of it sits outside an enhancement block."""
    if inline:
        declarations = [d.partition(":") for d in re.sub(r'"[^"]*"|\'[^\']*\'', '""', css).split(";")]
        _declarations([(name, value, line) for name, colon, value in declarations if colon], scan, enhancement)
        return True
    stack = [("rules", enhancement)]  # each open block: what it holds, and the enhancement block it is in
    buffer: list[str] = []
    pending: list[tuple[str, str, int]] = []  # the declarations of the block being read
    start, plain = line, False
    for match in _CSS_TOKEN.finditer(css):
        token = match.group()
        if token.startswith("/*"):
            scan.add("css-comments", line, enhancement)
        elif token in ("{", "}", ";"):
            text, (holds, within) = "".join(buffer).strip(), stack[-1]
            if token == "{":
                stack.append(_open_block(text, holds, within, start, scan))
                plain = plain or not stack[-1][1]
            elif holds == "declarations" and text:
                name, colon, value = text.partition(":")
                if colon:
                    pending.append((name, value, start))
            elif text.startswith("@"):  # @import …; @charset …;
                scan.add(AT_RULES.get(_at_rule(text)[0], ""), start, within)
                plain = plain or not within
            if token == "}" and len(stack) > 1:
                _declarations(pending, scan, within)
                pending = []
                stack.pop()
            buffer = []
        elif token[0] in "\"'":
            buffer.append('""')  # what a string holds is no feature
        else:
            if not buffer:
                start = line + token[: len(token) - len(token.lstrip())].count("\n")
            if buffer or token.strip():
                buffer.append(token)
        line += token.count("\n")
    _declarations(pending, scan, stack[-1][1])  # a block never closed
    return plain


def _declarations(declarations: list[tuple[str, str, int]], scan: _Scan, within: str) -> None:
    """Note the features of one block of declarations (a rule's, a ``style=""``'s): each
    (name, value, line). Two ways of hiding or more in one block make a layered hiding."""
    hiding = {slug for name, value, _ in declarations for slug, (prop, hidden) in HIDING.items()
              if name.strip().lower() == prop and value.strip().lower().removesuffix("px") == hidden}
    layered = len(hiding) > 1 and not within
    for name, value, line in declarations:
        scrolls = name.strip().lower() in ("overflow", "overflow-x", "overflow-y") and value.strip().lower() in (
            "auto", "scroll")
        for slug in property_features(name, value, scan.data):
            if layered and slug in hiding:
                scan.add(slug, line, LAYERED_HIDING)
                scan.layers.setdefault(slug, set()).update(hiding - {slug})
            else:
                scan.add(slug, line, within or (SCROLLING if scrolls and slug == "css-overflow" else ""))


def _at_rule(prelude: str) -> tuple[str, str]:
    """``@media screen and (…)`` → ("media", "screen and (…)")."""
    match = re.match(r"@([\w-]+)\s*(.*)", prelude, re.S)
    return (match.group(1).lower(), match.group(2)) if match else ("", "")


def _open_block(prelude: str, holds: str, within: str, line: int, scan: _Scan) -> tuple[str, str]:
    """What the block that ``prelude {`` opens holds, and the enhancement block it is in."""
    if holds == "declarations":  # a rule inside a rule
        scan.add("css-nesting", line, within)
        return "declarations", within
    if prelude.startswith("@"):
        at, condition = _at_rule(prelude)
        if at in ENHANCING_AT_RULES:
            within = within or f"@{at}"  # the at-rule is the enhancement: a client without it skips the block
        scan.add(AT_RULES.get(at, ""), line, within)
        for pattern, slug in MEDIA_FEATURES if at == "media" else ():
            if pattern.search(condition.lower()):
                scan.add(slug, line, within)
        if at in ENHANCING_AT_RULES:
            return "rules", within
        return ("keyframes" if at.endswith("keyframes") else "descriptors"), within
    if holds == "keyframes":  # from { … }, 50% { … }
        return "declarations", within
    for slug in selector_features(prelude):
        if slug in scan.data.features:
            scan.add(slug, line, within)
    return "declarations", within


# -- the findings --------------------------------------------------------------------------------

def _feature_findings(feature: Feature, clients: Sequence[Client], line: int, count: int,
                      enhancement: str, data: CanIEmail, layers: dict[str, set[str]]) -> list[Finding]:
    by_level: dict[str, list[tuple[Client, tuple[str, ...]]]] = {"n": [], "a": []}
    for client in clients:
        support = feature.support.get(client.key)
        if support and support.level in by_level:
            by_level[support.level].append((client, support.notes))
    if enhancement == LAYERED_HIDING:  # a client with another of the ways hides it: a fallback; one with none fails
        others = [data.features[s] for s in sorted(layers.get(feature.slug, ())) if s in data.features]
        bare = [(c, n) for c, n in by_level["n"] if not any(_supports(o, c) for o in others)]
        if bare:
            hint = ", ".join(o.title for o in others)
            return [Finding("error", f"{feature.title} ({feature.slug}) is not supported by {_clients(bare)}, "
                            f"nor is {hint} beside it: the element is not hidden there ({feature.url})",
                            line, feature.slug, tuple(c.name for c, _ in bare))]
    where = f" ({count} places; {feature.url})" if count > 1 else f" ({feature.url})"
    name = f"{feature.title} ({feature.slug})"
    parts = {"n": "not supported by", "a": "only partly supported by"}
    graceful = not enhancement and feature.slug in GRACEFUL
    if enhancement or graceful:  # one line: the block, or what the client shows instead, makes it no failure
        said = [f"{parts[level]} {_clients(found)}" for level, found in by_level.items() if found]
        if not said:
            return []
        instead = f"; they show {GRACEFUL[feature.slug]}" if graceful else ""
        return [Finding("info", f"{name} is {'; '.join(said)}{instead}{_notes(feature, by_level)}{where}", line,
                        feature.slug, tuple(c.name for found in by_level.values() for c, _ in found), enhancement,
                        graceful)]
    return [Finding("error" if level == "n" else "warning",
                    f"{name} is {parts[level]} {_clients(found)}{_notes(feature, {level: found})}{where}",
                    line, feature.slug, tuple(c.name for c, _ in found))
            for level, found in by_level.items() if found]


def _supports(feature: Feature, client: Client) -> bool:
    support = feature.support.get(client.key)
    return support is not None and support.level in ("y", "a")


def _clients(found: Iterable[tuple[Client, tuple[str, ...]]]) -> str:
    """"Gmail iOS [1], Outlook Windows": the clients, each with the numbers of caniemail's notes for it."""
    return ", ".join(client.name + (f" [{','.join(notes)}]" if notes else "") for client, notes in found)


def _notes(feature: Feature, by_level: dict[str, list[tuple[Client, tuple[str, ...]]]]) -> str:
    """caniemail's numbered notes for these clients (its note on the whole page says what it covers)."""
    numbers = dict.fromkeys(n for found in by_level.values() for _, notes in found for n in notes)
    texts = [f"[{n}] {_plain(feature.note_text(n))}" for n in numbers if feature.note_text(n)]
    return ". " + " ".join(texts) if texts else ""


def _plain(markdown: str) -> str:
    """A note of caniemail's on one line: "[text](url)" as "text"."""
    return " ".join(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown).split())


def _size_findings(html: str) -> list[Finding]:
    size = len(html.encode("utf-8"))
    if size <= GMAIL_CLIP_BYTES:
        return []
    return [Finding("warning", f"the email's HTML is {size / 1000:.0f} KB; Gmail clips messages over "
                    f"{GMAIL_CLIP_BYTES // 1000} KB, hiding the end and the unsubscribe link. Lower [newsletter] "
                    "max_articles, or set full_content = false.", slug="gmail-clip")]


def _image_findings(bare: _Sample) -> list[Finding]:
    if not bare.count:
        return []
    return [Finding("warning", f"{_count(bare.count, 'image has', 'images have')} no alt text "
                    f"({_examples(bare)}): readers whose client hides images, and screen readers, see nothing. "
                    "Add one: ![what it shows](…) in Markdown, alt=\"…\" in a template.", bare.first[0][0],
                    "img-alt")]


def _link_findings(scan: _Scan) -> list[Finding]:
    findings, insecure = [], scan.insecure_links
    if insecure.count:
        findings.append(Finding("warning", f"{_count(insecure.count, 'link is', 'links are')} not https "
                                f"({_examples(insecure)}): mail clients warn of them, or block them. Use "
                                "https:// addresses.", insecure.first[0][0], "https-links"))
    if not scan.unsubscribe_seen:
        findings.append(Finding("error", "the email has no unsubscribe link: every newsletter must let its reader "
                                "leave (CAN-SPAM, GDPR, RFC 8058). Put {{ unsubscribe_url }} in a link in the "
                                "template (the packaged _footer.html.j2 has one).", slug="unsubscribe"))
    return findings


def _postal_findings(html: str, postal_address: str) -> list[Finding]:
    if not postal_address.strip():
        return [Finding("warning", "[newsletter] postal_address is empty: CAN-SPAM asks for the sender's postal "
                        "address in every email. Set it in syndicate.toml.", slug="postal-address")]
    if " ".join(postal_address.split()) not in " ".join(htmllib.unescape(html).split()):
        return [Finding("warning", f"the email does not show [newsletter] postal_address ({postal_address!r}): "
                        "put {{ postal_address }} in the template (the packaged _footer.html.j2 has it).",
                        slug="postal-address")]
    return []


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _examples(sample: _Sample) -> str:
    listed = ", ".join(f"{_short(what) or '(empty)'} on line {line}" for line, what in sample.first)
    more = sample.count - len(sample.first)
    return listed + (f", and {more} more" if more else "")


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- which email ---------------------------------------------------------------------------------

@dataclass
class EmailReport:
    """What ``syndicate check --email`` found, for the lines it prints and its exit code."""

    issue: int
    next: bool  # the next issue's preview, not one made
    path: str  # where a build writes this email (the line numbers are that file's)
    size: int
    clients: tuple[Client, ...]
    data: str  # which caniemail data: "2.0.2 (data of 2026-05-13)"
    findings: list[Finding]

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level)

    def exit_code(self, strict: bool = False) -> int:
        failing = ("error", "warning") if strict else ("error",)
        return 1 if any(f.level in failing for f in self.findings) else 0


def check_email(config: Config, *, now: datetime, issue: int | None = None,
                clients: Sequence[Client] = ()) -> EmailReport:
    """Check the email of the next issue (as ``syndicate build`` previews it), or of issue
    ``issue`` (one made, from the state database), for ``clients`` (default: the default ones).
    Writes nothing.

    :raises CannotStartError: there is no such issue, or no next one.
    """
    data = load_caniemail()
    clients = tuple(clients) or resolve_clients((), data)
    made = _made_issue(config, issue) if issue is not None else _next_issue(config, now)
    folder = "next" if issue is None else str(made.number)
    values = preview_values(config)
    html = personalizers(made)[0].fill(values)
    findings = lint_email(html, data=data, clients=clients, postal_address=config.newsletter.postal_address,
                          unsubscribe_url=values["unsubscribe_url"])
    return EmailReport(made.number, issue is None, f"{config.output_dir / 'newsletters' / folder / 'email.html'}",
                       len(html.encode("utf-8")), clients, f"{data.version} (data of {data.updated})", findings)


def _made_issue(config: Config, number: int) -> Issue:
    issues = []
    if has_state(config):
        with open_store(config) as store:
            issues = store.issues()
    for made in issues:
        if made.number == number:
            return made
    have = (f"the issues made are #{issues[0].number} to #{issues[-1].number}" if len(issues) > 1 else
            f"the only issue made is #{issues[0].number}" if issues else "no issue has been made yet")
    raise CannotStartError(f"there is no issue #{number}: {have} (in {state_name(config)}). Leave out --issue to "
                           "check the next one.")


def _next_issue(config: Config, now: datetime) -> Issue:
    env = template_env(config.templates_dir)
    if has_state(config):
        with open_store(config) as store:
            result = read_content(config, now=now, known=store.articles())
            fetched = source_content(config, store).newsletter if config.sources else []  # as the build previews it
            plans, _ = plan_next(store, store.issues(), result.articles + fetched, config, now=now)
    else:
        result = read_content(config, now=now)
        plans, _ = plan_issues(result.articles, (), config=config, now=now, next_number=1, first=True)
    if not plans:
        raise CannotStartError(f"there is no next issue to check: no published article in {config.content_shown} "
                               "is left for one. Check a made issue with --issue N.")
    return render_preview(plans[0], config, env)[0]
