"""The accessibility check every browser test runs (tests/support/live.py): axe-core is injected
into each page a test loads, and a critical or serious violation fails the test with a list a
person can act on."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from flask import Flask

from tests.support import live
from tests.support.live import AccessibilityViolations, serve

BAD = """<!doctype html><html lang="zh-Hans"><head><title>坏页面</title></head>
<body><main><h1>坏页面</h1><img src="/x.png"><a href="/next">下一页</a></main></body></html>"""
# Fails only rules axe-core rates moderate or minor: no heading, text outside any landmark.
UNTIDY = """<!doctype html><html lang="zh-Hans"><head><title>散页面</title></head>
<body><p>没有标题的页面</p><img src="/x.png"></body></html>"""
GOOD = """<!doctype html><html lang="zh-Hans"><head><title>好页面</title></head>
<body><main><h1>好页面</h1><img src="/x.png" alt="示意图"><a href="/bad">坏页面</a></main></body>
</html>"""


@pytest.fixture
def pages() -> Any:
    app = Flask(__name__)
    app.add_url_rule("/bad", "bad", lambda: BAD)
    app.add_url_rule("/good", "good", lambda: GOOD)
    app.add_url_rule("/next", "next", lambda: GOOD)
    app.add_url_rule("/form", "form", lambda: GOOD.replace(
        "</main>", f'<form><input name="csrf_token" type="hidden" value="{uuid4()}"></form></main>'))
    app.add_url_rule("/untidy", "untidy", lambda: UNTIDY)
    # the product's policy lets in scripts of the page's own site; the other lets in none
    app.add_url_rule("/strict", "strict", lambda: (
        BAD, {"Content-Security-Policy": "default-src 'self'; script-src 'self'"}))
    app.add_url_rule("/no-scripts", "no_scripts", lambda: (
        BAD, {"Content-Security-Policy": "default-src 'self'; script-src 'none'"}))
    app.add_url_rule("/x.png", "png", lambda: ("", 404))
    with serve(app) as url:
        yield url


@pytest.mark.browser
def test_a_violation_fails_at_the_step_that_loaded_the_page(browser: Any, pages: str) -> None:
    page = browser.new_page()
    page.goto(pages + "/good")
    with pytest.raises(AccessibilityViolations) as raised:
        page.goto(pages + "/bad")
    message = str(raised.value)
    assert f"fail on {pages}/bad" in message
    assert "[critical] image-alt" in message and "img" in message
    # a page reached by a click is checked too
    page.goto(pages + "/next")
    with pytest.raises(AccessibilityViolations, match="fail on .*/bad"):
        page.click("text=坏页面")
        page.wait_for_url(pages + "/bad")


@pytest.mark.browser
def test_pages_in_contexts_are_checked_when_the_context_closes(browser: Any, pages: str) -> None:
    page = browser.new_context().new_page()
    page.goto(pages + "/good")
    # A locator's click goes to Playwright directly; the test then leaves the page alone.
    page.locator("a").click()
    page._target.wait_for_load_state()
    with pytest.raises(AccessibilityViolations, match="fail on .*/bad"):
        page.context.close()


@pytest.mark.browser
def test_axe_core_reaches_every_page_by_url_or_by_its_source(browser: Any, pages: str) -> None:
    """A served site's page loads axe-core as a script of its own (a context's later pages from
    its HTTP cache); a page that refuses scripts, or comes from no served site, is sent the
    source.  Each is audited alike."""
    page = browser.new_page()
    with pytest.raises(AccessibilityViolations, match="fail on .*/strict"):
        page.goto(pages + "/strict")
    with pytest.raises(AccessibilityViolations, match="fail on .*/strict"):
        page.reload()
    fetched = page.evaluate("""(url) => performance.getEntriesByName(url)
      .map(e => e.transferSize)""", pages + live.AXE_PATH)
    assert fetched == [0], "axe-core was fetched again instead of read from the context's cache"
    with pytest.raises(AccessibilityViolations, match="fail on .*/no-scripts"):
        page.goto(pages + "/no-scripts")
    app = live._SERVED.pop(pages)  # as a site tests/support/live.py does not serve
    try:
        other = browser.new_page()
        with pytest.raises(AccessibilityViolations, match="fail on .*/strict"):
            other.goto(pages + "/strict")
        assert other.evaluate("(url) => performance.getEntriesByName(url).length",
                              pages + live.AXE_PATH) == 0
    finally:
        live._SERVED[pages] = app


@pytest.mark.browser
def test_a_page_audited_clean_is_not_audited_again_until_it_changes(chromium: Any,
                                                                     pages: str) -> None:
    axe = live.Axe()  # its own memory of clean pages, not the session's
    browser = live.CheckedBrowser(chromium, axe)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(pages + "/good")
    page.goto(pages + "/next")  # the same page at another address
    page.goto(pages + "/form")
    page.goto(pages + "/form")  # the same form with a new CSRF token
    page.wait_for_load_state()
    assert axe.checked == [pages + "/good", pages + "/form"]
    assert axe.reused == [pages + "/next", pages + "/form"]
    page.set_viewport_size({"width": 390, "height": 844})  # laid out anew: audited anew
    page.goto(pages + "/good")
    page.evaluate("document.querySelector('h1').textContent = '好页面，改过'")
    page.reload()  # back as it came from the server: the same as audited at this width
    page.wait_for_load_state()
    assert axe.checked == [pages + "/good", pages + "/form", pages + "/good"]
    # a page with violations fails every time it is loaded
    for _ in range(2):
        with pytest.raises(AccessibilityViolations, match="fail on .*/bad"):
            page.goto(pages + "/bad")
    browser.finish()


@pytest.mark.browser
def test_a_page_caught_between_documents_is_checked_when_touched_next(chromium: Any,
                                                                        pages: str) -> None:
    """A click that navigates can leave the page, for a moment, with a document that has no
    element yet: the check waits for the next touch instead of failing on it."""
    axe = live.Axe()
    page = live.CheckedBrowser(chromium, axe).new_page()
    raw = page._target
    page.goto(pages + "/good")
    raw.evaluate("document.removeChild(document.documentElement)")  # as between documents
    raw.reload()
    raw.evaluate("document.removeChild(document.documentElement)")
    axe.check(raw)  # nothing to audit yet, and no error
    assert axe.checked == [pages + "/good"]
    raw.reload()
    page.title()  # the next touch audits the page as it is now
    assert axe.checked == [pages + "/good"] and axe.reused == [pages + "/good"]
    page.context.close()


@pytest.mark.browser
def test_the_rules_left_out_could_never_fail_a_test(chromium: Any, pages: str) -> None:
    """The audit skips rules whose declared impact is below critical and serious; on pages that
    break those rules and the others, it finds exactly what the full audit finds."""
    page = chromium.new_page()
    try:
        for path in ("/bad", "/untidy", "/good"):
            page.goto(pages + path)
            page.evaluate(live.AXE.read_text(encoding="utf-8"))
            full = page.evaluate("""async (impacts) => (await axe.run(document))
              .violations.filter(v => impacts.includes(v.impact)).map(v => v.id)""",
                                 list(live.FAILING_IMPACTS))
            every = page.evaluate("async () => (await axe.run(document)).violations.length")
            assert [v["id"] for v in page.evaluate(live._RUN, list(live.FAILING_IMPACTS))] == full
            if path == "/untidy":  # it breaks rules of both kinds
                assert full and every > len(full)
        left_out = page.evaluate("""(impacts) => axe._audit.rules
          .filter(r => r.impact && !impacts.includes(r.impact)).map(r => r.impact)""",
                                 list(live.FAILING_IMPACTS))
        assert len(left_out) > 10 and set(left_out) <= {"moderate", "minor"}
    finally:
        page.close()


def test_without_axe_core_the_browser_tests_say_why(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Any) -> None:
    monkeypatch.setattr(live, "ROOT", tmp_path)
    monkeypatch.setattr(live, "AXE", tmp_path / "node_modules" / "axe-core" / "axe.min.js")
    reason = live.axe_missing_reason()
    assert reason is not None and "npm ci" in reason and "skipped" in reason
