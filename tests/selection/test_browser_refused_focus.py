"""After a refused post the first error is where the eye and the keyboard are: in a real browser
at phone (390 px) and desk (1280 px) width, the field of the first error is focused and in the
viewport with its message, even when it sits far down the page (a quote box down the agency's
list of requests, the avoid list at the end of the guided request form); with motion reduced,
the page jumps there at once."""

from __future__ import annotations

from typing import Any

import pytest

from market import timeutil
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.live import open_page
from tests.support.selection_flow import SEALED, publish, request_form
from tests.support.selection_flow import project as make_project

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])

# The focused element is the field, and the field and its message are inside the viewport.
FOCUSED_IN_VIEW = """(selector) => {
  const field = document.querySelector(selector);
  if (!field || document.activeElement !== field) { return false; }
  const message = document.getElementById(field.getAttribute("aria-describedby"));
  const top = field.getBoundingClientRect().top;
  const bottom = Math.max(field.getBoundingClientRect().bottom,
                          message ? message.getBoundingClientRect().bottom : 0);
  return top >= 0 && bottom <= window.innerHeight;
}"""


def _below_the_fold(page: Any, selector: str) -> bool:
    return bool(page.evaluate(
        "(s) => document.querySelector(s).getBoundingClientRect().top > window.innerHeight",
        selector))


def _lowest_quote_box(page: Any, ids: list[str]) -> str:
    boxes = [f"[data-test=request-{rid}] input[name=amount]" for rid in ids]
    tops = [page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", box)
            for box in boxes]
    return boxes[tops.index(max(tops))]


@VIEWPORTS
@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_a_refused_quote_down_the_list_is_focused_in_view(browser: Any, city: City, site: str,
                                                          viewport: dict[str, int],
                                                          motion: str) -> None:
    with timeutil.frozen(START):
        ids = [publish(city, code=f"00031{i}", **SEALED).public_id for i in range(4)]
        page = open_page(browser, site, city.agencies[0].email, viewport=viewport)
        page.emulate_media(reduced_motion=motion)
        page.goto(site + "/agency/requests")
        box = _lowest_quote_box(page, ids)
        if viewport is PHONE:
            assert _below_the_fold(page, box)  # the case this is about
        page.fill(box, "-500")
        with page.expect_navigation():  # until the refused page has loaded
            page.locator(box).press("Enter")
        assert page.locator("[aria-invalid=true]").count() == 1
        if motion == "reduce":  # no smooth scroll to wait for: there as soon as loaded
            assert page.evaluate(FOCUSED_IN_VIEW, "[aria-invalid=true]")
        page.wait_for_function(FOCUSED_IN_VIEW, arg="[aria-invalid=true]", timeout=5000)
        assert "报价须在最低限价" in page.inner_text(box.split(" ")[0])
        page.context.close()


@VIEWPORTS
def test_the_first_error_of_the_guided_form_is_focused_in_view(browser: Any, city: City,
                                                               site: str,
                                                               viewport: dict[str, int]) -> None:
    """A draft corrected with an agency on the avoid list that is not there: the form comes
    back at its top and the avoid list, at its end, is brought into view."""
    owner = city.client(city.owner)
    with timeutil.frozen(START):
        data = request_form(city, make_project(city, "000320"))
        data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
        draft = owner.post("/owner/requests/new", data=data).headers["Location"]
        page = open_page(browser, site, city.owner.email, viewport=viewport)
        page.goto(site + draft.removeprefix("http://localhost") + "/edit")
        page.fill("textarea[name=avoid]", "AG-999999 与设计单位同一集团")
        page.click("form.wizard button[type=submit]")
        page.wait_for_selector("#avoid-msg")
        page.wait_for_function(FOCUSED_IN_VIEW, arg="textarea[name=avoid]", timeout=5000)
        # far down the page (past the first screen even on a desk): it was brought there
        assert page.evaluate("() => window.scrollY + document.querySelector("
                             "'textarea[name=avoid]').getBoundingClientRect().top") \
            > viewport["height"]
        assert page.locator(".field.has-error").count() == 1
        page.context.close()


@VIEWPORTS
def test_a_radio_group_left_empty_under_a_list_is_focused_in_view(browser: Any, city: City,
                                                                  site: str,
                                                                  viewport: dict[str, int]) -> None:
    """The owner's project form under the list of its projects (on a phone a stack of rows,
    laid out by the same script): the source of funds left empty is where the page stops."""
    for n in range(8):
        make_project(city, f"00033{n}")
    page = open_page(browser, site, city.owner.email, viewport=viewport)
    page.goto(site + "/owner/projects")
    page.fill("input[name=name]", "城北小学扩建工程")
    page.fill("input[name=code]", "2026-539901-47-01-000339")
    page.fill("input[name=investment]", "900")
    page.fill("input[name=location]", "北城区")
    with page.expect_navigation():
        page.click("form:has(input[name=code]) button[type=submit]")
    assert page.inner_text("#fund_source-msg") == "请选择资金来源。"
    page.wait_for_function(FOCUSED_IN_VIEW, arg="input[name=fund_source]", timeout=5000)
    page.context.close()
