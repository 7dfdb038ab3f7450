"""Serve an app on loopback in a thread, for the browser tests; and check every page those tests
load with axe-core (npm's accessibility rules, installed by `make install`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# What fails a test: axe-core's two highest impacts.  "moderate" and "minor" are reported by
# axe as advice and left to review.
FAILING_IMPACTS = ("critical", "serious")


# The apps :func:`serve` is serving, by their URL (for :func:`open_page` and :class:`Axe`).
_SERVED: dict[str, Flask] = {}

# Where a served site also answers with axe-core's source, for its pages to load as a script of
# their own origin (the product's CSP allows scripts from 'self').  The app never sees the path.
AXE_PATH = "/_tests/axe-core.js"


@cache
def _axe_bytes() -> bytes:
    return AXE.read_bytes()


def _with_axe(app: Flask) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """``app`` as a WSGI application that also serves axe-core at :data:`AXE_PATH`, cacheable:
    a browser context fetches it once and its later pages take it from its HTTP cache."""
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != AXE_PATH or not AXE.exists():
            return app(environ, start_response)
        body = _axe_bytes()
        start_response("200 OK", [("Content-Type", "text/javascript; charset=utf-8"),
                                  ("Content-Length", str(len(body))),
                                  ("Cache-Control", "private, max-age=86400")])
        return [body]
    return application


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _with_axe(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    _SERVED[url] = app
    try:
        yield url
    finally:
        del _SERVED[url]
        server.shutdown()
        thread.join(timeout=10)


def open_page(browser: Any, site: str, email: str | None, password: str | None = None, *,
              viewport: dict[str, int] | None = None) -> Any:
    """A page in its own browser context (its own cookies, ``viewport`` or the browser's default
    size), logged in as ``email`` unless None and showing its dashboard; "are you sure?"
    confirmations are accepted.

    On a site :func:`serve` serves, the login form is posted through the app's test client and
    the session cookie it sets is handed to the context: the same login (its own server-side
    session, as each browser gets), without the browser loading the login page and filling it
    in.  The tests of logging in drive the form themselves."""
    from tests.conftest import PASSWORD

    context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    if email:
        app = _SERVED.get(site)
        if app is None:
            page.goto(site + "/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", password or PASSWORD)
            page.click("button[type=submit]")
        else:
            hand_session(page, app, site, email, password or PASSWORD)
        page.wait_for_selector("[data-test=dashboard-title]")
    return page


def hand_session(page: Any, app: Flask, site: str, email: str, password: str) -> None:
    """``email`` logged in through ``app``'s form (:func:`login_cookie`), the session cookie
    handed to ``page``'s browser context, and ``page`` gone where the login sends."""
    cookie, landing = login_cookie(app, email, password)
    page.context.add_cookies([{
        "name": cookie.key, "value": cookie.value, "url": urljoin(site, cookie.path or "/"),
        "secure": cookie.secure, "httpOnly": cookie.http_only,
        "sameSite": cookie.same_site or "Lax"}])
    page.goto(urljoin(site + "/login", landing))


def login_cookie(app: Flask, email: str, password: str) -> tuple[Any, str]:
    """The session cookie of a login through ``app``'s form, and where the login sends on."""
    from tests.conftest import login

    client = app.test_client()
    response = login(client, email, password)
    assert response.status_code == 302, f"{email} could not log in: {response.status}"
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, f"logging in as {email} set no session cookie"
    return cookie, response.headers["Location"]


def page_at(browser: Any, site: str, width: int, email: str | None = None,
            password: str | None = None) -> Any:
    """:func:`open_page` at ``width`` px wide (900 px high), logged in as ``email``."""
    return open_page(browser, site, email, password, viewport={"width": width, "height": 900})


# --- axe-core on every page -------------------------------------------------------------------

def axe_missing_reason() -> str | None:
    """Why the accessibility check cannot run, or None when it can."""
    if AXE.exists():
        return None
    return (f"browser tests skipped: axe-core is not installed ({AXE.relative_to(ROOT)} is "
            "missing; `make install` runs `npm ci`, which needs node and npm: "
            "apt-get install npm)")


# A page's fingerprint: its DOM (CSRF tokens left out: a new one on every response, and a hidden
# input's value is nothing axe-core looks at) and the window it is laid out in, hashed in the page.
_FINGERPRINT = """async () => {
  if (document.contentType !== "text/html") { return null; }
  if (!document.documentElement) { return ""; }  // a new document not yet parsed
  const html = document.documentElement.outerHTML
    .replace(/(name="csrf_token" type="hidden" value=")[^"]*"/g, '$1"');
  const text = [innerWidth, innerHeight, devicePixelRatio, document.compatMode, html].join("\\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, "0")).join("");
}"""

# axe-core loaded by URL from the page's own site (:data:`AXE_PATH`); the script element is
# removed once run, leaving the DOM as it was (the fingerprint is taken again after the audit).
# False when it did not load; the source is then sent into the page instead.
_LOAD = """(path) => new Promise(resolve => {
  const script = document.createElement("script");
  script.src = path;
  script.onload = script.onerror = () => {
    script.remove();
    resolve(typeof axe === "object");
  };
  (document.head || document.documentElement).append(script);
})"""

# Rules that declare a lower impact than those that fail a test are not run: axe-core gives each
# of a rule's violations the rule's declared impact, so they could never fail one.  (An axe-core
# without the rule list there runs every rule, as before.)
_RUN = """async (impacts) => {
  if (document.contentType !== "text/html") { return null; }
  const rules = Object.fromEntries((axe._audit?.rules ?? [])
    .filter(r => r.impact && !impacts.includes(r.impact)).map(r => [r.id, {enabled: false}]));
  const result = await axe.run(document, {resultTypes: ["violations"], rules});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " — " + n.failureSummary
      .replace(/\\s+/g, " ").slice(0, 240)),
    more: Math.max(0, v.nodes.length - 4)}));
}"""


class AccessibilityViolations(AssertionError):
    """axe-core found critical or serious violations on a page a test loaded."""


class Axe:
    """Runs axe-core on each page load it is told about, once the test next touches the page
    (an event handler cannot call back into the page in Playwright's sync API), and raises
    :class:`AccessibilityViolations` with a readable list on any critical or serious one.

    A page found clean is not audited again when it comes back identical (same DOM, CSRF tokens
    aside, in a window of the same size) later in the session: axe-core would find the same.
    A page with violations is audited, and fails, each time."""

    def __init__(self) -> None:
        self.source = AXE.read_text(encoding="utf-8")
        self._loaded: set[int] = set()
        self._clean: set[str] = set()  # fingerprints of the pages audited without a violation
        self.checked: list[str] = []  # the URLs audited, in order
        self.reused: list[str] = []  # the URLs of pages found identical to one audited clean

    def watch(self, page: Any) -> None:
        page.on("load", lambda p: self._loaded.add(id(p)))

    def check_if_loaded(self, page: Any) -> None:
        if id(page) in self._loaded and not page.is_closed():
            self.check(page)

    def _load(self, page: Any) -> None:
        """Put axe-core into ``page``: by URL on a site :func:`serve` serves (a context fetches
        it once and reads it from its HTTP cache after, instead of 654 kB carried through
        Playwright's pipes, the driver and the browser into each page), else by sending the
        source."""
        parts = urlsplit(page.url)
        if f"{parts.scheme}://{parts.netloc}" in _SERVED and page.evaluate(_LOAD, AXE_PATH):
            return
        page.evaluate(self.source)

    def check(self, page: Any, *, same_document: bool = False) -> None:
        """Audit ``page`` now; ``same_document`` when no load came since it was last checked
        (axe-core's source may be in it already, and is then not sent again)."""
        from playwright.sync_api import Error

        try:
            fingerprint = page.evaluate(_FINGERPRINT)
            if fingerprint == "":
                return  # a navigation is under way: the page is checked when touched next
            if fingerprint is None or fingerprint in self._clean:
                found = None
            else:
                if not (same_document and page.evaluate("typeof axe === 'object'")):
                    self._load(page)
                found = page.evaluate(_RUN, list(FAILING_IMPACTS))
                if page.evaluate(_FINGERPRINT) != fingerprint:
                    fingerprint = ""  # the page changed while audited: not one to reuse
        except Error as exc:
            if "navigat" in str(exc) or "context was destroyed" in str(exc):
                return  # the page moved on: the next load is checked instead
            raise
        self._loaded.discard(id(page))
        if fingerprint is None:
            return
        if fingerprint in self._clean:
            self.reused.append(page.url)
            return
        self.checked.append(page.url)
        if found:
            raise AccessibilityViolations(format_violations(page.url, found))
        if fingerprint:
            self._clean.add(fingerprint)


def format_violations(url: str, found: list[dict[str, Any]]) -> str:
    lines = [f"axe-core: {len(found)} critical/serious accessibility rule(s) fail on {url}"]
    for v in found:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      {node}" for node in v["nodes"])
        if v["more"]:
            lines.append(f"      … and {v['more']} more")
    return "\n".join(lines)


class _Proxy:
    """Forwards everything to the wrapped Playwright object; methods check the page after."""

    _passthrough: frozenset[str] = frozenset()

    def __init__(self, target: Any, axe: Axe) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_axe", axe)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value) or name in self._passthrough:
            return value
        return self._after(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def _after(self, method: Callable[..., Any]) -> Callable[..., Any]:
        return method


# Screenshots saved to a file are for a person to look at after a run; no test reads them.
# Taken only when this is set (to anything): a full page costs chromium a repaint and a PNG,
# about 0.3 s of CPU.  One asked for as bytes is always taken.
SCREENSHOTS = "MARKET_SCREENSHOTS"


class CheckedPage(_Proxy):
    _passthrough = frozenset({"on", "once", "remove_listener", "is_closed", "evaluate"})

    def screenshot(self, **kwargs: Any) -> bytes | None:
        path = kwargs.get("path")
        if path is not None and not os.environ.get(SCREENSHOTS):
            self._axe.check_if_loaded(self._target)
            return None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return self._after(self._target.screenshot)(**kwargs)

    @property
    def context(self) -> CheckedContext:
        return CheckedContext(self._target.context, self._axe)

    def close(self, **kwargs: Any) -> None:
        self._axe.check_if_loaded(self._target)
        self._target.close(**kwargs)

    def audit(self) -> None:
        """Check the page as it is now, after a change no load announces (a new viewport size
        lays it out anew)."""
        self._axe.check(self._target, same_document=True)

    def _after(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            self._axe.check_if_loaded(self._target)
            return result
        return call


class CheckedContext(_Proxy):
    def new_page(self, **kwargs: Any) -> CheckedPage:
        page = self._target.new_page(**kwargs)
        self._axe.watch(page)
        return CheckedPage(page, self._axe)

    def close(self, **kwargs: Any) -> None:
        for page in self._target.pages:
            self._axe.check_if_loaded(page)
        self._target.close(**kwargs)


class CheckedBrowser(_Proxy):
    """A Playwright browser whose every page is checked with axe-core (see :class:`Axe`)."""

    def new_context(self, **kwargs: Any) -> CheckedContext:
        return CheckedContext(self._target.new_context(**kwargs), self._axe)

    def new_page(self, **kwargs: Any) -> CheckedPage:
        page = self._target.new_page(**kwargs)
        self._axe.watch(page)
        return CheckedPage(page, self._axe)

    def finish(self) -> None:
        """Check the pages a test loaded last and never touched again, and close them."""
        for context in self._target.contexts:
            for page in context.pages:
                try:
                    self._axe.check_if_loaded(page)
                finally:
                    page.close()
            context.close()


PHONE = {"width": 390, "height": 844}


def sized_page(browser: Any, site: str, email: str | None, phone: bool = False) -> Any:
    """:func:`open_page` at phone width (390 px) when ``phone``."""
    return open_page(browser, site, email, viewport=PHONE if phone else None)


def menu_click(page: Any, test_id: str) -> None:
    """Click the header's ``[data-test=<test_id>]``, opening the menu first where it is folded
    (on a phone); the stylesheet decides that, so wait for the page to load before asking."""
    page.wait_for_load_state()
    toggle = page.locator("[data-test=menu-toggle]")
    if toggle.is_visible():
        toggle.click()
    page.click(f"[data-test={test_id}]")


def no_sideways_scroll(page: Any) -> None:
    """Nothing pushes the page wider than its screen (at phone width above all)."""
    page.wait_for_load_state()  # a click may have started a navigation: measure the new page
    screen = page.evaluate("window.innerWidth")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= screen + 1, f"{page.url} is {width}px wide at {screen}px"
