"""Walk every page a role can reach by following links, with Flask's test client.

Used by the sweep that checks the words on every page (tests/test_page_words.py) and by the
browser sweep that measures the layout and runs axe-core on the same pages."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

# Links that change something, download a file or leave the HTML pages.
_SKIP = re.compile(r"^/(static/|uploads/|logout)|\.(json|csv|pdf|txt|pem)$|/files/|/file$|/attachment"
                   r"|/transparency/(log|checkpoint|consistency|key|bids/)|^/api/|^/healthz")


@dataclass(frozen=True)
class Page:
    """A page the crawl fetched: its HTML and what a person reads on it (:func:`visible_text`,
    from the same parse that found its links)."""

    endpoint: str
    url: str
    html: str
    text: list[Text]


def _local(hrefs: list[str], base: str) -> list[str]:
    """The crawl's next pages among ``hrefs``: on this site, HTML pages only (see _SKIP)."""
    out = []
    for href in hrefs:
        parts = urlsplit(urljoin(base, href))
        if parts.netloc not in ("localhost", ""):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not _SKIP.search(parts.path):
            out.append(path)
    return out


def entry_points(app: Flask) -> list[str]:
    """Every GET route that takes no argument: the pages a crawl starts from (some, like
    /complaints or /billing/statement, are reached from no menu)."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in (rule.methods or ()) and not rule.arguments
                  and not _SKIP.search(rule.rule))


def crawl(app: Flask, client: FlaskClient, starts: Iterable[str], *,
          per_endpoint: int = 6, variants: int = 2) -> Iterator[Page]:
    """Every HTML page reachable from ``starts``: at most ``per_endpoint`` URLs per view and
    ``variants`` query strings per path (pagers and filters repeat one template)."""
    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    per: dict[str, int] = {}
    per_path: dict[str, int] = {}
    queue: deque[str] = deque(starts)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = url.split("?", 1)[0]
        try:
            endpoint, _args = adapter.match(path, method="GET")
        except HTTPException:
            continue
        if per.get(endpoint, 0) >= per_endpoint or per_path.get(path, 0) >= variants:
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        per[endpoint] = per.get(endpoint, 0) + 1
        per_path[path] = per_path.get(path, 0) + 1
        html = response.get_data(as_text=True)
        parser = _Text()
        parser.feed(html)
        yield Page(endpoint, url, html, parser.parts)
        queue.extend(u for u in _local(parser.hrefs, url) if u not in seen)


@dataclass(frozen=True)
class Text:
    """A piece of text a person reads or hears: ``code`` when it is shown as an identifier
    (inside <code>, <pre>, <kbd> or <samp>), ``lang`` the nearest language given in the markup."""

    text: str
    code: bool
    lang: str


class _Text(HTMLParser):
    """Text and the labels assistive technology reads out (title, aria-label, placeholder,
    alt), without scripts and styles; and the links, for the crawl (one parse for both)."""

    _CODE = {"code", "pre", "kbd", "samp"}
    _SKIP = {"script", "style", "template"}
    _ATTRS = ("title", "aria-label", "placeholder", "alt")
    _VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[Text] = []
        self.hrefs: list[str] = []
        self._stack: list[tuple[str, str]] = []  # (tag, language)

    def _lang(self) -> str:
        return self._stack[-1][1] if self._stack else ""

    def _code(self) -> bool:
        return any(tag in self._CODE for tag, _ in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        lang = values.get("lang") or self._lang()
        if tag not in self._VOID:
            self._stack.append((tag, lang))
        code = self._code() or tag in self._CODE
        for name in self._ATTRS:
            if values.get(name):
                self.parts.append(Text(str(values[name]), code, lang))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self._VOID and self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if any(t == tag for t, _ in self._stack):
            while self._stack.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(tag in self._SKIP for tag, _ in self._stack):
            self.parts.append(Text(data.strip(), self._code(), self._lang()))


def visible_text(html: str) -> list[Text]:
    parser = _Text()
    parser.feed(html)
    return parser.parts
