"""Walk every page a role can reach by following links, with Flask's test client.

Used by the sweep that checks the words on every page (tests/test_page_words.py) and by the
browser sweep that measures the layout and runs axe-core on the same pages."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from tests.support.page_text import Text, read

# Links that change something, download a file or leave the HTML pages.
_SKIP = re.compile(r"^/(static/|uploads/|logout)|\.(json|csv|pdf|txt|pem)$|/files/|/file$|/attachment"
                   r"|/transparency/(log|checkpoint|consistency|key|bids/)|^/api/|^/healthz")


@dataclass(frozen=True)
class Page:
    """A page the crawl fetched: its HTML and what a person reads on it
    (:func:`tests.support.page_text.read`, the same parse that found its links)."""

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
        text, hrefs = read(html)
        yield Page(endpoint, url, html, text)
        queue.extend(u for u in _local(hrefs, url) if u not in seen)
