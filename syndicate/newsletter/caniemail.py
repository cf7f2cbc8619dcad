"""caniemail.com's support data for email clients, from the snapshot shipped beside this module.

``caniemail.json`` is a compact copy of the data of the ``caniemail`` npm package (MIT; its
licence is ``caniemail-LICENSE.txt``, beside it), made by ``scripts/refresh_caniemail.py``:
for each HTML, CSS and image-format feature, the support of the last version caniemail lists
for each client, as caniemail.com shows it. Reading it needs no network.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("caniemail.json")
LICENCE = Path(__file__).with_name("caniemail-LICENSE.txt")

#: The clients checked when none is named: most readers open their mail in one of these.
#: caniemail has no column for the new Outlook for Windows: it renders as Outlook.com does.
DEFAULT_CLIENTS = (
    "gmail/desktop-webmail", "gmail/ios", "gmail/android", "gmail/mobile-webmail",
    "outlook/windows", "outlook/windows-mail", "outlook/outlook-com",
    "apple-mail/macos", "apple-mail/ios",
    "yahoo/desktop-webmail", "yahoo/ios", "yahoo/android",
)


@dataclass(frozen=True)
class Client:
    """One client on one platform, as caniemail names it: ``key`` "gmail/ios", ``name`` "Gmail iOS"."""

    key: str
    name: str


@dataclass(frozen=True)
class Support:
    """How a client supports a feature: ``level`` "y", "n" or "a" (partly), and caniemail's notes."""

    level: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feature:
    """A feature caniemail has a page for (``css-display-flex``, ``html-svg``…) and its support."""

    slug: str
    title: str
    category: str
    url: str
    support: Mapping[str, Support]  # by client key; a client with no data is missing
    notes: Mapping[str, str]  # caniemail's numbered notes
    note: str = ""  # its note about the whole feature

    def note_text(self, number: str) -> str:
        return self.notes.get(number, "")


@dataclass(frozen=True)
class CanIEmail:
    """The snapshot: every feature by slug, every client by key, and which version of the data."""

    version: str
    updated: str  # the date of caniemail's data, "2026-05-13"
    features: Mapping[str, Feature]
    clients: Mapping[str, Client]


@functools.lru_cache(maxsize=4)
def load_caniemail(path: Path = SNAPSHOT) -> CanIEmail:
    """Read the snapshot (once per process)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    families, platforms = raw["families"], raw["platforms"]
    features, keys = {}, set()
    for slug, entry in raw["features"].items():
        support = {}
        for family, by_platform in entry["support"].items():
            for platform, value in by_platform.items():
                level, *notes = value.split()
                support[f"{family}/{platform}"] = Support(level, tuple(n.lstrip("#") for n in notes))
        keys.update(support)
        features[slug] = Feature(slug, entry["title"], entry["category"], entry["url"], support,
                                 entry.get("notes", {}), entry.get("note", ""))
    clients = {key: Client(key, _client_name(key, families, platforms)) for key in sorted(keys)}
    return CanIEmail(raw["source"]["version"], raw["source"].get("data_updated", "")[:10], features, clients)


def _client_name(key: str, families: Mapping[str, str], platforms: Mapping[str, str]) -> str:
    family, platform = key.split("/")
    family_name, platform_name = families.get(family, family), platforms.get(platform, platform)
    # "Outlook" + "Outlook.com" reads "Outlook.com"
    return platform_name if platform_name.startswith(family_name) else f"{family_name} {platform_name}"


def resolve_clients(names: Iterable[str], data: CanIEmail) -> tuple[Client, ...]:
    """The clients that ``names`` pick: "gmail/ios" (one), "gmail" (all its platforms), "all",
    or "default" (:data:`DEFAULT_CLIENTS`); each item may be a comma-separated list. No name
    at all means the default ones.

    :raises ValueError: a name caniemail does not know, with the names it does.
    """
    wanted = [n.strip().lower() for item in names for n in item.split(",") if n.strip()]
    picked: dict[str, Client] = {}
    unknown = []
    for name in wanted or ["default"]:
        if name == "all":
            keys = list(data.clients)
        elif name == "default":
            keys = [k for k in DEFAULT_CLIENTS if k in data.clients]
        elif "/" in name:
            keys = [name] if name in data.clients else []
        else:
            keys = [k for k in data.clients if k.split("/")[0] == name]
        if not keys:
            unknown.append(name)
        picked.update((k, data.clients[k]) for k in keys)
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        raise ValueError(f"{listed} {'is not a client' if len(unknown) == 1 else 'are not clients'} caniemail has "
                         "data on. Use a family, a family/platform, 'default' or 'all'; the clients are: "
                         f"{client_list(data)}.")
    return tuple(picked.values())


def client_list(data: CanIEmail) -> str:
    """Every client key, grouped by family: "…; gmail/{android,desktop-webmail,ios,mobile-webmail}; …"."""
    families: dict[str, list[str]] = {}
    for key in data.clients:
        family, platform = key.split("/")
        families.setdefault(family, []).append(platform)
    return "; ".join(f"{family}/{{{','.join(platforms)}}}" if len(platforms) > 1 else f"{family}/{platforms[0]}"
                     for family, platforms in sorted(families.items()))


# -- what caniemail calls things: the slug of each feature an email can use ----------------------
# Only features with a caniemail page are named here (tests/test_email_lint.py checks each slug).

ELEMENTS = {tag: f"html-{tag}" for tag in (
    "abbr", "acronym", "address", "audio", "base", "bdi", "blockquote", "body", "code", "del", "dfn", "dialog",
    "div", "form", "hr", "img", "link", "marquee", "meter", "object", "p", "picture", "pre", "progress", "rp",
    "rt", "ruby", "select", "small", "span", "strike", "strong", "style", "svg", "table", "textarea", "video",
    "wbr")}
ELEMENTS.update({f"h{n}": "html-h1-h6" for n in range(1, 7)})
ELEMENTS.update({tag: "html-lists" for tag in ("ul", "ol", "dl")})
ELEMENTS.update({tag: "html-image-maps" for tag in ("map", "area")})
ELEMENTS.update({tag: "html-semantics" for tag in (
    "article", "aside", "details", "figcaption", "figure", "footer", "header", "main", "mark", "nav", "section",
    "summary", "time")})
INPUTS = {t: f"html-input-{t}" for t in ("checkbox", "hidden", "radio", "reset", "submit", "text")}
ATTRIBUTES = {name: f"html-{name}" for name in (
    "align", "background", "cellpadding", "cellspacing", "dir", "height", "hidden", "lang", "popover", "required",
    "role", "srcset", "target", "valign", "width", "aria-describedby", "aria-hidden", "aria-label",
    "aria-labelledby", "aria-live")}
ATTRIBUTES.update({"sizes": "html-srcset", "usemap": "html-image-maps", "loading": "html-loading-attribute",
                   "inert": "css-inert-attribute"})
IMAGE_FORMATS = {"png": "image-png", "jpg": "image-jpg", "jpeg": "image-jpg", "gif": "image-gif",
                 "webp": "image-webp", "svg": "image-svg", "svg+xml": "image-svg", "avif": "image-avif",
                 "bmp": "image-bmp", "ico": "image-ico", "tif": "image-tiff", "tiff": "image-tiff",
                 "heic": "image-heif", "heif": "image-heif", "apng": "image-apng", "mp4": "image-mp4"}

# Properties whose page is not css-<name>: the longhands of a shorthand's page, and logical ones.
_PROPERTY_FAMILIES = [(re.compile(p), slug) for p, slug in (
    (r"border-(start|end)-(start|end)-radius", "css-border-radius-logical"),
    (r"border-(top|bottom)-(left|right)-radius", "css-border-radius"),
    (r"border-(inline|block)-(start|end)-(color|style|width)", "css-border-inline-block-longhand"),
    (r"border-(inline|block)-(start|end|color|style|width)", "css-border-inline-block-individual"),
    (r"border-image-.+", "css-border-image"),
    (r"border-(top|right|bottom|left)(-(width|style|color))?|border-(width|style|color)", "css-border"),
    (r"margin-(top|right|bottom|left)", "css-margin"),
    (r"margin-(inline|block)", "css-margin-inline-block"),
    (r"padding-(top|right|bottom|left)", "css-padding"),
    (r"padding-(inline|block)", "css-padding-inline-block"),
    (r"overflow-(x|y|block|inline)", "css-overflow"),
    (r"top|right|bottom|left", "css-left-right-top-bottom"),
    (r"inset(-.+)?", "css-inset"),
    (r"gap|row-gap|column-gap", "css-gap"),
    (r"columns|column-.+", "css-column-layout-properties"),
    (r"grid-template(-.+)?", "css-grid-template"),
    (r"animation-.+", "css-animation"),
    (r"transition-.+", "css-transition"),
    (r"scroll-snap-.+", "css-scroll-snap"),
    (r"text-emphasis-(color|style)", "css-text-emphasis"),
    (r"outline-(color|style|width)", "css-outline"),
    (r"block-size", "css-block-inline-size"),
)]
_NOT_PROPERTIES = {"flex-direction", "flex-wrap"}  # their pages are about one value (column, wrap)
_DISPLAY = {"flex": "css-display-flex", "inline-flex": "css-display-flex", "grid": "css-display-grid",
            "inline-grid": "css-display-grid", "none": "css-display-none"}
_FUNCTIONS = {"calc": "css-unit-calc", "clamp": "css-function-clamp", "min": "css-function-min",
              "max": "css-function-max", "light-dark": "css-function-light-dark", "rgb": "css-rgb",
              "rgba": "css-rgba", "lch": "css-modern-color", "oklch": "css-modern-color", "lab": "css-modern-color",
              "oklab": "css-modern-color", "var": "css-variables", "fit-content": "css-intrinsic-size",
              "linear-gradient": "css-linear-gradient", "repeating-linear-gradient": "css-linear-gradient",
              "radial-gradient": "css-radial-gradient", "repeating-radial-gradient": "css-radial-gradient",
              "conic-gradient": "css-conic-gradient", "repeating-conic-gradient": "css-conic-gradient"}
# "css-sytem-ui" is caniemail's own spelling.
_KEYWORDS = {"initial": "css-unit-initial", "fit-content": "css-intrinsic-size", "min-content": "css-intrinsic-size",
             "max-content": "css-intrinsic-size", "system-ui": "css-sytem-ui", "ui-serif": "css-sytem-ui",
             "ui-sans-serif": "css-sytem-ui", "ui-rounded": "css-sytem-ui", "ui-monospace": "css-sytem-ui"}
_UNITS = {u: f"css-unit-{u}" for u in ("px", "em", "rem", "pt", "vh", "vw", "vmin", "vmax", "ch", "ex", "cm", "mm",
                                       "in", "pc")} | {"%": "css-unit-percent"}
AT_RULES = {"media": "css-at-media", "supports": "css-at-supports", "font-face": "css-at-font-face",
            "import": "css-at-import", "keyframes": "css-at-keyframes", "-webkit-keyframes": "css-at-keyframes"}
MEDIA_FEATURES = [(re.compile(p), slug) for p, slug in (
    (r"prefers-color-scheme", "css-at-media-prefers-color-scheme"),
    (r"prefers-reduced-motion", "css-at-media-prefers-reduced-motion"),
    (r"\borientation\b", "css-at-media-orientation"),
    (r"\b(any-)?hover\b", "css-at-media-hover"),
    (r"device-pixel-ratio", "css-at-media-device-pixel-ratio"),
)]
_PSEUDO_ELEMENTS = {"after", "before", "first-letter", "first-line", "marker", "placeholder"}
ENHANCING_AT_RULES = ("media", "supports")

_FUNCTION = re.compile(r"([a-z-]+)\(")
_NUMBER_UNIT = re.compile(r"(?<![\w#.-])[+-]?(?:\d+\.?\d*|\.\d+)(%|[a-z]+)")
_WORD = re.compile(r"[a-z][a-z0-9-]*")
_URL = re.compile(r"url\([^)]*\)?")


def property_features(name: str, value: str, data: CanIEmail) -> list[str]:
    """The features a declaration ``name: value`` uses (its property, value, functions, units)."""
    name, value = name.strip().lower(), value.strip().lower()
    found = []
    if "!important" in value.replace(" ", ""):
        found.append("css-important")
        value = re.sub(r"!\s*important", "", value)
    if name.startswith("--"):
        found.append("css-variables")
    elif f"css-{name}" in data.features and name not in _NOT_PROPERTIES:
        found.append(f"css-{name}")
    else:
        found += [slug for pattern, slug in _PROPERTY_FAMILIES if pattern.fullmatch(name)][:1]
    if name == "display" and value in _DISPLAY:
        found.append(_DISPLAY[value])
    elif name == "flex-direction" and value.startswith("column"):
        found.append("css-flex-direction")
    elif name == "flex-wrap" and value.startswith("wrap"):
        found.append("css-flex-wrap")
    value = _URL.sub("url()", value)
    found += [_FUNCTIONS[f] for f in _FUNCTION.findall(value) if f in _FUNCTIONS]
    found += [_UNITS[u] for u in _NUMBER_UNIT.findall(value) if u in _UNITS]
    found += [_KEYWORDS[w] for w in _WORD.findall(value) if w in _KEYWORDS]
    return found


def selector_features(selectors: str) -> list[str]:
    """The features a rule's selector list uses: its kinds of selector, combinators, pseudo-classes."""
    found = ["css-selector-grouping"] if "," in re.sub(r"\([^()]*\)", "", selectors) else []
    for colons, name in re.findall(r"(::?)([a-zA-Z-]+)", selectors):
        name = name.lower()
        if colons == "::" or name in _PSEUDO_ELEMENTS:
            found.append(f"css-pseudo-element-{name}")
        else:
            found.append(f"css-pseudo-class-{name}")
    plain = re.sub(r"\[[^\[\]]*\]", "[]", selectors)
    for _ in range(3):  # arguments of :not(…), :nth-child(…), a few levels deep
        plain = re.sub(r"\([^()]*\)", "", plain)
    plain = re.sub(r"::?[a-zA-Z-]+", "", plain)
    for complex_selector in plain.split(","):
        parts = re.split(r"\s*([>+~])\s*|\s+", complex_selector.strip())
        combinators = parts[1::2]
        found += [{">": "css-selector-child", "+": "css-selector-adjacent-sibling",
                   "~": "css-selector-general-sibling"}.get(c or " ", "css-selector-descendant") for c in combinators]
        for compound in parts[::2]:
            simple = re.findall(r"\.[\w-]+|#[\w-]+|\[\]|\*|^[a-zA-Z][\w-]*", compound or "")
            found += [{".": "css-selector-class", "#": "css-selector-id", "[": "css-selector-attribute",
                       "*": "css-selector-universal"}.get(s[0], "css-selector-type") for s in simple]
            if len([s for s in simple if s != "*"]) > 1:
                found.append("css-selector-chaining")
    return found
