"""What a person reads on a page, and where its links go, from one parse of its HTML.

libxml2 (lxml) builds the tree and a short walk reads it: the sweeps read a few thousand pages,
and the standard library's ``html.parser``, written in Python, spent more on tokenising them than
the checks spent on the words.  The walk gives what the earlier ``HTMLParser`` reader gave on
every page of the demo city (each text in the same order, with the same language and code flag,
and the same links), checked against it once when the reader changed (docs/performance.md)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree


@dataclass(frozen=True)
class Text:
    """A piece of text a person reads or hears: ``code`` when it is shown as an identifier
    (inside <code>, <pre>, <kbd> or <samp>), ``lang`` the nearest language given in the markup."""

    text: str
    code: bool
    lang: str


_CODE = frozenset({"code", "pre", "kbd", "samp"})
_SKIP = frozenset({"script", "style", "template"})  # text not read (their labels still are)
_ATTRS = ("title", "aria-label", "placeholder", "alt")


def read(html: str) -> tuple[list[Text], list[str]]:
    """Text and the labels assistive technology reads out (title, aria-label, placeholder,
    alt), without scripts and styles; and the links' hrefs, in document order."""
    parts: list[Text] = []
    hrefs: list[str] = []
    # A parser per call: an lxml parser keeps state between documents and is not thread-safe.
    root = etree.fromstring(html.encode(), etree.HTMLParser(encoding="utf-8"))
    if root is not None:
        _element(root, "", False, False, parts, hrefs)
    return parts, hrefs


def _element(element: etree._Element, lang: str, code: bool, skip: bool,
             parts: list[Text], hrefs: list[str]) -> None:
    """``lang``, ``code`` and ``skip`` are the parent's; the element's own text, its children
    and their tails are read in its context."""
    tag = element.tag
    values = element.attrib
    if tag == "a" and values.get("href"):
        hrefs.append(values["href"])
    lang = values.get("lang") or lang
    code = code or tag in _CODE
    skip = skip or tag in _SKIP
    for name in _ATTRS:
        if values.get(name):
            parts.append(Text(values[name], code, lang))
    _data(element.text, lang, code, skip, parts)
    for child in element:
        if isinstance(child.tag, str):
            _element(child, lang, code, skip, parts, hrefs)
        # a comment's or processing instruction's own text is not read, what follows it is
        _data(child.tail, lang, code, skip, parts)


def _data(data: str | None, lang: str, code: bool, skip: bool, parts: list[Text]) -> None:
    if data and not skip:
        text = data.strip()
        if text:
            parts.append(Text(text, code, lang))


def visible_text(html: str) -> list[Text]:
    return read(html)[0]
