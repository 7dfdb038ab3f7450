"""The agency's reply to a rating in a real browser at 1280 and 390 px: the field is laid out
like every other form's (its label above a full-width box), an empty reply is refused next to
it, the reply is published once and the form is gone after it."""

from __future__ import annotations

from typing import Any

import pytest

from market import timeutil
from tests.evaluation.conftest import DAY, GOOD, returned_once, submit
from tests.selection.conftest import START, City
from tests.support.live import no_sideways_scroll, open_page

pytestmark = pytest.mark.browser


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


@pytest.mark.parametrize("width", [1280, 390])
def test_the_agency_replies_once(browser: Any, city: City, site: str, width: int) -> None:
    eid = returned_once(city)
    with timeutil.frozen(START + 4 * DAY):
        assert submit(city, city.owner, f"/owner/engagements/{eid}/returns/1/rating",
                      GOOD).status_code == 302
        page = open_page(browser, site, city.agencies[0].email,
                         viewport={"width": width, "height": 900})
        page.goto(site + "/agency/ratings")
        form = "form[action$='/reply']"
        for state in ("fresh", "refused"):
            label, box = _box(page, f"{form} label"), _box(page, f"{form} textarea")
            # the label on its own line above the box, the box as wide as the form allows
            assert label["y"] + label["height"] <= box["y"] + 1, state
            assert box["width"] >= 0.8 * _box(page, form)["width"], (state, box)
            no_sideways_scroll(page)
            if state == "fresh":
                page.click(f"{form} button")  # empty: refused next to the field
                page.wait_for_selector(".field.has-error .error")
        page.fill(f"{form} textarea", "感谢指正，已补充噪声预测章节。")
        page.click(f"{form} button")
        page.wait_for_selector("text=回复已发布")
        assert page.locator(form).count() == 0  # once: no second reply
        assert "感谢指正，已补充噪声预测章节。" in page.inner_text("body")
