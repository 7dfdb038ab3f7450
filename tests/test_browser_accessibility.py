"""The accessibility check every browser test runs (tests/support/live.py): axe-core is injected
into each page a test loads, and a critical or serious violation fails the test with a list a
person can act on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.support import live
from tests.support.live import AccessibilityViolations, serve

BAD = """<!doctype html><html lang="zh-Hans"><head><title>坏页面</title></head>
<body><main><h1>坏页面</h1><img src="/x.png"><a href="/next">下一页</a></main></body></html>"""
GOOD = """<!doctype html><html lang="zh-Hans"><head><title>好页面</title></head>
<body><main><h1>好页面</h1><img src="/x.png" alt="示意图"><a href="/bad">坏页面</a></main></body>
</html>"""


@pytest.fixture
def pages() -> Any:
    app = Flask(__name__)
    app.add_url_rule("/bad", "bad", lambda: BAD)
    app.add_url_rule("/good", "good", lambda: GOOD)
    app.add_url_rule("/next", "next", lambda: GOOD)
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


def test_without_axe_core_the_browser_tests_say_why(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Any) -> None:
    monkeypatch.setattr(live, "ROOT", tmp_path)
    monkeypatch.setattr(live, "AXE", tmp_path / "node_modules" / "axe-core" / "axe.min.js")
    reason = live.axe_missing_reason()
    assert reason is not None and "npm ci" in reason and "skipped" in reason
