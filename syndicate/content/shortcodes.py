"""Template code in a body: Liquid (Jekyll) and Hugo shortcodes. Pure.

syndicate runs no templates in articles. The constructs that only wrap content are unwrapped
as the tool would: ``{% raw %}…{% endraw %}`` gives its content as written,
``{% highlight ruby %}…{% endhighlight %}`` and ``{{< highlight go >}}…{{< /highlight >}}`` give a
fenced code block, Hugo's ``{{</* x */>}}`` gives ``{{< x >}}`` as written. Any other construct outside code (``{% link … %}``, ``{{ site.url }}``,
``{{< youtube … >}}``) is left as written and reported: one warning, at the first one's line,
naming the first few kinds and their lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: The tags that open and close a wrapping block: Liquid's raw and highlight, Hugo's highlight.
_RAW_TAGS = re.compile(r"{%-?\s*(?P<end>end)?raw\s*-?%}")
_HIGHLIGHT_TAGS = re.compile(
    r"{%-?\s*(?P<end>end)?highlight(?:\s+(?P<lang>[\w+#.-]+))?[^%]{0,200}?-?%}"
    r"|{{[<%]\s*(?P<hend>/)?highlight(?:\s+\"?(?P<hlang>[\w+#.-]+)\"?)?[^}]{0,200}?[>%]}}")
_HTML_CODE_TAGS = re.compile(r"<(?P<end>/)?(?:code|pre|kbd|samp)\b[^>]{0,500}>", re.I)
#: Any construct: a Liquid tag or output, a Hugo shortcode (both kinds), on one line.
_CONSTRUCT = re.compile(r"{{[<%].{0,200}?[>%]}}|{%.{0,200}?%}|{{.{0,200}?}}")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})", re.M)
_NAME = re.compile(r"[{%<\s-]*(/?)\s*([\w.]+)")
#: Hugo's way to show a shortcode as written: ``{{</* x */>}}``.
_ESCAPED = re.compile(r"{{([<%])/\*(.{0,200}?)\*/([>%])}}")

#: The kinds of construct a warning names (the rest are counted).
MAX_SHOWN = 3
#: Openers looked at for constructs, at most: 2 MB of "{{" must not cost a regex try each.
MAX_OPENERS = 20_000


def unwrap_template_code(text: str, first_line: int = 1) -> tuple[str, list[tuple[int, str]]]:
    """The body with raw and highlight blocks unwrapped, and a ``(line, message)`` warning naming
    the other template code left in it, if any (``text`` starting on line ``first_line``)."""
    if "{%" not in text and "{{" not in text:
        return text, []
    return _unwrap(text), _report(text, first_line)


def _blocks(text: str, tags: re.Pattern[str]) -> list[tuple[re.Match[str], re.Match[str]]]:
    """The (opening, closing) tag pairs of the blocks ``tags`` finds, outermost only, in one pass
    (a tag with no partner is not a block)."""
    pairs = []
    opening = None
    for tag in tags.finditer(text):
        closes = bool(tag["end"] or tag.groupdict().get("hend"))
        if opening is None and not closes:
            opening = tag
        elif opening is not None and closes:
            pairs.append((opening, tag))
            opening = None
    return pairs


def _replace_blocks(text: str, tags: re.Pattern[str], replace) -> str:  # type: ignore[no-untyped-def]
    out, at = [], 0
    for opening, closing in _blocks(text, tags):
        out += [text[at:opening.start()], replace(opening, text[opening.end():closing.start()])]
        at = closing.end()
    return "".join(out) + text[at:]


def _unwrap(text: str) -> str:
    kept: list[str] = []

    def keep(_opening: re.Match[str], inner: str) -> str:
        kept.append(inner)
        return f"\x00{len(kept) - 1}\x00"

    text = _replace_blocks(text.replace("\x00", ""), _RAW_TAGS, keep)
    text = _replace_blocks(text, _HIGHLIGHT_TAGS, _fenced)
    if "/*" in text:
        out, at = [], 0
        for m in _matches(_ESCAPED, text, "{{"):
            out += [text[at:m.start()], "{{", m.group(1), m.group(2), m.group(3), "}}"]
            at = m.end()
        text = "".join(out) + text[at:]
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _fenced(opening: re.Match[str], code: str) -> str:
    lang = opening["lang"] or opening["hlang"] or ""
    code = code.removeprefix("\n").rstrip(" \t").removesuffix("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * (longest + 1)
    return f"\n{fence}{lang}\n{code}\n{fence}\n"


def _report(text: str, first_line: int) -> list[tuple[int, str]]:
    """One warning for the template code left in ``text``, at the line of the first construct,
    naming the first few kinds and their lines."""
    masked = _mask(text)
    shown: list[tuple[int, str]] = []
    kinds: set[str] = set()
    for match in _matches(_CONSTRUCT, masked, "{"):
        construct = text[match.start():match.end()]
        name = _kind(construct)
        if name.endswith("/") or name in kinds:  # a closing tag says nothing its opening tag did not
            continue
        kinds.add(name)
        if len(shown) < MAX_SHOWN:
            shown.append((text.count("\n", 0, match.start()) + first_line, construct))
    if not shown:
        return []
    named = ", ".join(f"{c if len(c) <= 40 else c[:37] + '…'!r} (line {line})" for line, c in shown)
    others = len(kinds) - len(shown)
    more = f" and {others} other kind{'s' if others > 1 else ''}" if others > 0 else ""
    tools = " or ".join(sorted({"Hugo shortcodes" if c.startswith(("{{<", "{{%")) else "Liquid" for _, c in shown}))
    return [(shown[0][0], f"has template code, published as written: {named}{more}. syndicate runs no {tools}: "
                          "write what it stands for in Markdown or HTML.")]


def _kind(construct: str) -> str:
    """What a construct is, for reporting each kind once: ``{{< youtube x >}}`` → ``<youtube``."""
    head = construct[:3] if construct.startswith("{{") and construct[2:3] in "<%" else construct[:2]
    m = _NAME.match(construct[len(head):])
    return head + (m.group(2) + m.group(1) if m else "")


def _mask(text: str) -> str:
    """``text`` with code (fenced blocks, code spans), raw blocks and highlight blocks blanked out,
    keeping every position and line break, so constructs in them are not reported."""
    chars = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "

    for tags in (_RAW_TAGS, _HIGHLIGHT_TAGS, _HTML_CODE_TAGS):
        for opening, closing in _blocks(text, tags):
            blank(opening.start(), closing.end())
    for m in _matches(_ESCAPED, text, "{{") if "/*" in text else ():
        blank(m.start(), m.end())
    opening = None
    for fence in _FENCE.finditer(text):
        if opening is None:
            opening = fence
        elif fence.group(1)[0] == opening.group(1)[0] and len(fence.group(1)) >= len(opening.group(1)):
            blank(opening.start(), fence.end())
            opening = None
    if opening is not None:  # a fence left open runs to the end, as in CommonMark
        blank(opening.start(), len(text))
    masked = "".join(chars)
    for start, end in _code_spans(masked):
        blank(start, end)
    return "".join(chars)


def _matches(pattern: re.Pattern[str], text: str, opener: str) -> Iterator[re.Match[str]]:
    """``pattern``'s matches, tried only where ``opener`` stands and at most :data:`MAX_OPENERS`
    times (each try may read 200 characters)."""
    at, tries = 0, 0
    while tries < MAX_OPENERS and (at := text.find(opener, at)) >= 0:
        tries += 1
        match = pattern.match(text, at)
        at = match.end() if match else at + 1
        if match:
            yield match


def _code_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where the code spans are (a run of backticks closed by a run as long, in one paragraph),
    in one pass over the runs, as CommonMark pairs them."""
    breaks = [m.start() for m in re.finditer(r"\n[ \t]*\n", text)] + [len(text)]
    paragraph = 0
    waiting: dict[int, int] = {}  # run length -> where the first unclosed run of it starts
    for run in re.finditer(r"`+", text):
        if run.start() > breaks[paragraph]:  # a blank line closes nothing: start afresh
            while run.start() > breaks[paragraph]:
                paragraph += 1
            waiting = {}
        length = len(run.group(0))
        if length in waiting:
            start = waiting.pop(length)
            waiting = {n: at for n, at in waiting.items() if at < start}
            yield start, run.end()
        else:
            waiting[length] = run.start()
