"""A form being sent says so and is not sent twice: on a phone, the owner's project form is
sent while the answer has not come (here the answer is "204 No Content", so the page stays and
can be looked at); its button reads "正在提交…" and is disabled, and impatient clicks send
nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from tests.selection.conftest import City
from tests.support.live import no_sideways_scroll, sized_page

pytestmark = pytest.mark.browser
FORM = "form:has(input[name=code])"


def test_a_form_being_sent_says_so_and_is_sent_once(browser: Any, city: City,
                                                    site: str) -> None:
    page = sized_page(browser, site, city.owner.email, phone=True)
    page.goto(site + "/owner/projects")
    page.fill("input[name=name]", "城东小学扩建工程")
    page.fill("input[name=code]", "2026-539901-47-01-000777")
    page.check("input[name=fund_source][value=fiscal]")
    page.fill("input[name=investment]", "1200.50")
    page.fill("input[name=location]", "东城区")
    sent: list[str] = []

    def no_answer_yet(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(route.request.post_data or "")
        route.fulfill(status=204)

    page.route("**/owner/projects", no_answer_yet)
    button = page.locator(f"{FORM} button[type=submit]")
    button.click()
    page.wait_for_function(f"() => document.querySelector('{FORM} button[type=submit]').disabled")
    assert button.inner_text() == "正在提交…"
    assert page.get_attribute(FORM, "aria-busy") == "true"
    no_sideways_scroll(page)
    button.click(force=True)  # impatient clicks, on the button and by the keyboard's Enter
    page.evaluate(f"() => document.querySelector('{FORM}').requestSubmit()")
    page.wait_for_timeout(300)
    assert len(sent) == 1 and "code=2026-539901-47-01-000777" in sent[0]
