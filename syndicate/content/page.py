"""Whole web pages, as a scraper saves them (``.html`` files that start with ``<``, not with front
matter): the article's title, authors, date, lead image and body, found by trafilatura. Pure.

trafilatura (with htmldate for the date) is the extraction library most scrapers and research
corpora use; it is an optional dependency (``pip install 'syndicate[pages]'``) because it brings
some 50 MB of language data that a site of Markdown never needs.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urljoin

from ..errors import ContentError
from .limits import TookTooLong, time_limit

#: A saved page may be this big (trafilatura takes some 4 s and 400 MB a megabyte, worst case).
MAX_PAGE_BYTES = 1024 * 1024
#: The time trafilatura may take on one page.
MAX_PAGE_SECONDS = 10.0

#: Fewer words than this is no article: a menu, a list of links, a page its scripts fill in.
MIN_WORDS = 12

#: Where the date is looked for: the page's own metadata and markup, never guessed from its text.
_DATE_SEARCH = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}


def is_web_page(data: bytes) -> bool:
    """Whether an ``.html`` file is a whole page (``<!doctype html>``, ``<html>``…) rather than a
    Hugo content file (front matter, then HTML)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def read_web_page(data: bytes) -> tuple[dict[str, Any], str]:
    """The page's metadata, as front-matter keys (``title``, ``authors``, ``date``, ``updated``,
    ``image``), and the article's body as HTML (not yet sanitized)."""
    try:
        import trafilatura
        from lxml import etree
        from lxml import html as lxml_html
    except ImportError:
        raise ContentError("is a whole web page, and reading one needs the page extractor. Install it with "
                           "pip install 'syndicate[pages]'.") from None
    for name in ("trafilatura", "htmldate", "courlan", "justext"):  # its doubts are not the user's problems
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if len(data) > MAX_PAGE_BYTES:
        raise ContentError(f"is a web page of {len(data) / 2**20:.1f} MB; one may be at most "
                           f"{MAX_PAGE_BYTES // 2**20} MB. Save the article's text as a .txt file.")
    try:
        with time_limit(MAX_PAGE_SECONDS):
            extracted = trafilatura.extract(
                data, output_format="html", with_metadata=True, include_formatting=True, include_links=True,
                include_images=True, include_tables=True, include_comments=False, deduplicate=False,
                date_extraction_params=_DATE_SEARCH,
            )
    except TookTooLong:
        raise ContentError(f"is a web page trafilatura could not read in {MAX_PAGE_SECONDS:g} s, so it was left out. "
                           "Save the article's text as a .txt file.") from None
    body_text = re.sub(r"<[^>]*>", " ", extracted.partition("<body>")[2]) if extracted else ""
    if len(body_text.split()) < MIN_WORDS:
        raise ContentError("is a web page in which no article text was found (a listing, say, or a page "
                           "its scripts fill in). Save the article's own page, or its text as a .txt file.")
    # trafilatura's HTML is serialized from its own tree, so it is well-formed XML; read as HTML,
    # an inline <pre> (its name for every <code>) would end the paragraph around it.
    tree = etree.fromstring(extracted, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    found = {m.get("name"): (m.get("content") or "").strip() for m in tree.iter("meta")}
    meta: dict[str, Any] = {key: found[key] for key in ("title", "date") if found.get(key)}
    if found.get("author"):
        meta["authors"] = [name.strip() for name in found["author"].split(";") if name.strip()]
    try:
        meta.update(_page_metadata(lxml_html.document_fromstring(data)))
    except (etree.ParserError, ValueError):  # bytes lxml cannot make a document of: trafilatura's word stands
        pass
    body = tree.find("body")
    if body is None:
        return meta, ""
    first = body[0] if len(body) else None
    if first is not None and first.tag in ("h1", "h2") and "".join(first.itertext()).strip() == meta.get("title"):
        body.remove(first)  # the title, said again
    base = found.get("url") or ""
    if base.startswith(("http://", "https://")):  # links are relative to where the page was, not to us
        for element in body.iter("a", "img"):
            attribute = "href" if element.tag == "a" else "src"
            if element.get(attribute):
                element.set(attribute, urljoin(base, element.get(attribute)))
    for image in [child for child in body if child.tag == "img"]:  # a paragraph of its own, as in the page
        paragraph = etree.Element("p")
        image.addprevious(paragraph)
        paragraph.append(image)  # moves it, with its tail
    for pre in body.iter("pre"):
        if pre.getparent() is not body and pre.getparent().tag not in ("blockquote", "li", "td", "th"):
            pre.tag = "code"  # inline code
    return meta, "".join(etree.tostring(child, encoding="unicode", method="html") for child in body)


#: Open Graph (and the like) properties that state the page's moments and lead image exactly.
_PROPERTIES = {
    "article:published_time": "date", "og:published_time": "date", "article:modified_time": "updated",
    "og:updated_time": "updated", "og:image": "image", "twitter:image": "image",
}


def _page_metadata(page: Any) -> dict[str, str]:
    """The publication and update time to the second (htmldate gives only the day) and the lead
    image, from the page's ``<meta property>`` tags, else its JSON-LD."""
    out: dict[str, str] = {}
    for element in page.iter("meta"):
        key = _PROPERTIES.get((element.get("property") or element.get("name") or "").strip().lower())
        if key and key not in out and (element.get("content") or "").strip():
            out[key] = element.get("content").strip()
    for script in page.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            for item in _json_ld(script.text):
                for field, key in (("datePublished", "date"), ("dateModified", "updated")):
                    if isinstance(item.get(field), str) and key not in out:
                        out[key] = item[field]
    return out


def _json_ld(text: str) -> list[dict[str, Any]]:
    """The objects of a JSON-LD block (a list, a ``@graph``, or one object); none if it is broken."""
    try:
        data = json.loads(text[:200_000])
    except (ValueError, RecursionError):
        return []
    if isinstance(data, dict):
        data = data["@graph"] if isinstance(data.get("@graph"), list) else [data]
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
