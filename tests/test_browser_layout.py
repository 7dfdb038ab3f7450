"""Every page of the demo city on a 390 px phone, plain and in care mode (关怀版), and on a tablet
in care mode, measured in a real browser: the header stays small and keeps its menu, nothing runs off the side, no word is
set one character per line, tables that become stacks keep their labels — and axe-core checks
each page (the ``browser`` fixture).  Then the defects found one by one: the calendar grid, the
step bar, the timeline chart, the countdown's words, the header on a desk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devdata import demo
from market import timeutil
from market.accounts.models import Organisation
from market.approvals.models import ApprovalCase
from market.db import db
from market.selection.models import Lottery, Project
from tests.conftest import csrf_token
from tests.support import demo_data
from tests.support.crawl import crawl, entry_points
from tests.support.layout import CHECK, HEADER, MEASURE
from tests.support.live import hand_session, open_page, serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESK = {"width": 1280, "height": 800}
# The header's height on a phone: what is left of an 844 px screen for the page itself.
HEADER_MAX = {"plain": 112, "care": 150}

ROLES = {
    "anonymous": None,
    "owner": "owner1@yunchuan.demo",
    "agency": "agency1@yunchuan.demo",
    "regulator": "regulator1@yunchuan.demo",
    "operator": "operator@yunchuan.demo",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    app = demo_data.demo_app(tmp_path_factory.mktemp("layout"))
    # The stylesheets and the script are the same on every page: the browser keeps them for the
    # module instead of asking for each again (three conditional requests per page).
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    with serve(app) as url:
        yield app, url
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def pages(city: tuple[Flask, str]) -> dict[str, list[str]]:
    """Each role's pages, crawled once for the module (the crawls below only read)."""
    return _pages(city[0])


def _pages(app: Flask) -> dict[str, list[str]]:
    """Each role's pages, every view once, a view seen by an earlier role not again."""
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for role, email in ROLES.items():
        client = app.test_client()
        if email:
            client.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD,
                                        "csrf_token": csrf_token(client)})
        out[role] = []
        for page in crawl(app, client, entry_points(app), per_endpoint=1, variants=1):
            if page.endpoint not in seen:
                seen.add(page.endpoint)
                out[role].append(page.url)
    return out


def _login(browser: Any, site: str, email: str | None, *, viewport: dict[str, int],
           care: bool = False, english: bool = False) -> Any:
    page = open_page(browser, site, email, demo.DEMO_PASSWORD, viewport=viewport)
    if not email:
        page.goto(site + "/login")
    if english:
        page.click("[data-test=lang-en]")
        page.wait_for_selector("html[lang=en]", state="attached")
    if care:
        page.click("[data-test=care-toggle]")
        page.wait_for_selector("html.care", state="attached")
    return page


# The layout's findings, and whether the page's content has a closed <details> (see below).
_CHECK = f"""(headerMax) => [({CHECK})(headerMax),
                             document.querySelector("main details:not([open])") !== null]"""


def _switch_role(page: Any, app: Flask, site: str, email: str | None, *, care: bool) -> None:
    """``page``'s browser context as a fresh one logged in as ``email`` (as :func:`_login` and
    ``open_page`` leave it): its cookies, and with them the session and its care mode, replaced.
    The crawl keeps one context, so one renderer whose fonts, caches and compiled axe-core
    serve every role's pages, instead of starting a context per role."""
    page.context.clear_cookies()
    if email:
        hand_session(page, app, site, email, demo.DEMO_PASSWORD)
        page.wait_for_selector("[data-test=dashboard-title]")
    else:
        page.goto(site + "/login")
    assert page.evaluate("document.documentElement.classList.contains('care')") is False
    if care:
        page.click("[data-test=care-toggle]")
        page.wait_for_selector("html.care", state="attached")


def _header_problems(page: Any, mode: str) -> list[str]:
    """What is wrong with the header on a phone, measured in the page."""
    return list(page.evaluate(HEADER, HEADER_MAX[mode]))


@pytest.mark.parametrize(("mode", "viewports"), [("plain", [PHONE]), ("care", [PHONE, TABLET])],
                         ids=["phone", "care"])
def test_every_page_fits_a_phone(browser: Any, city: tuple[Flask, str],
                                 pages: dict[str, list[str]], mode: str,
                                 viewports: list[dict[str, int]]) -> None:
    """The tablet in care mode is where tables have the least room per column: that is where
    short words (状态, 已通过) were set one character per line.

    In care mode a page is loaded once and measured at both widths, the second after a resize:
    the layout follows the width through the stylesheet's media queries alone (no script reads
    the width as the page loads).  Resized, every element of 108 of the 111 crawled pages had
    the box it has when loaded at that width, the header's folded menu included; on the other
    three the difference was inside a closed <details> in the page's content, whose hidden
    text Chromium lays out on a fresh load when asked and not after a resize: a page with one is
    loaded anew at the second width.  axe-core audits each page at each width."""
    app, site = city
    problems: dict[int, dict[str, list[str]]] = {v["width"]: {} for v in viewports}
    visited = dict.fromkeys(problems, 0)
    page = browser.new_context(viewport=viewports[0]).new_page()
    for role, urls in pages.items():
        page.set_viewport_size(viewports[0])
        _switch_role(page, app, site, ROLES[role], care=mode == "care")
        widths = viewports
        for url in urls:
            page.goto(site + url)  # the browser fixture runs axe-core here
            # the hall's big screen (大厅大屏) has no site header, menu or switches on purpose:
            # it is shown on a wall, not used; its content is still measured
            header = None if url.endswith("/hall") else HEADER_MAX[mode]
            for i, viewport in enumerate(widths):
                found, closed_details = page.evaluate(_CHECK, header)
                if found:
                    problems[viewport["width"]][f"{role} {url}"] = found
                visited[viewport["width"]] += 1
                if i + 1 < len(widths):
                    page.set_viewport_size(widths[i + 1])
                    if closed_details:
                        page.goto(site + url)  # audited on load
                    else:
                        page.audit()
            widths = widths[::-1]  # the next page starts at the width this one ended at
    page.context.close()
    report = "\n".join(
        f"{width}px, {where}:\n  " + "\n  ".join(list(dict.fromkeys(found))[:6])
        for width, found_at in problems.items() for where, found in found_at.items())
    assert not any(problems.values()), (
        ", ".join(f"{len(found_at)} of {visited[width]} pages at {width}px"
                  for width, found_at in problems.items()) + f" ({mode}):\n{report}")
    assert all(count > 60 for count in visited.values()), visited


def test_the_phone_menu_opens_and_holds_every_link(browser: Any, city: tuple[Flask, str]) -> None:
    _app, site = city
    page = _login(browser, site, ROLES["regulator"], viewport=PHONE)
    review = page.locator("[data-test=nav-review]")
    assert not review.is_visible()  # folded away on a phone
    page.click("[data-test=menu-toggle]")
    assert review.is_visible()
    assert page.locator("[data-test=logout]").is_visible()
    # open, the menu lies over the page instead of pushing it down
    assert page.evaluate("document.querySelector('header').getBoundingClientRect().height") <= 112
    review.click()
    page.wait_for_url(re.compile(r"/review/admissions$"))
    page.click("[data-test=menu-toggle]")
    page.click("[data-test=logout]")
    page.wait_for_url(site + "/")
    assert page.locator("[data-test=logout]").count() == 0
    page.context.close()


def test_on_a_desk_the_links_show_without_a_menu(browser: Any, city: tuple[Flask, str]) -> None:
    _app, site = city
    page = _login(browser, site, ROLES["owner"], viewport=DESK)
    assert not page.locator("[data-test=menu-toggle]").is_visible()
    for link in ("nav-projects", "nav-requests", "nav-approvals", "logout"):
        assert page.locator(f"[data-test={link}]").is_visible(), link
    page.context.close()


def test_the_english_header_fits_a_phone_in_care_mode(browser: Any, city: tuple[Flask, str]) -> None:
    _app, site = city
    page = _login(browser, site, ROLES["agency"], viewport=PHONE, care=True, english=True)
    assert _header_problems(page, "care") == []
    assert page.evaluate(MEASURE) == []
    page.context.close()


def test_the_calendar_grid_lines_days_up_under_their_weekday(browser: Any,
                                                             city: tuple[Flask, str]) -> None:
    _app, site = city
    for viewport, care in ((PHONE, False), (PHONE, True), (DESK, False)):
        page = _login(browser, site, None, viewport=viewport, care=care)
        page.goto(site + "/calendar?year=2026")
        misplaced = page.evaluate("""() => {
          const out = [];
          for (const table of document.querySelectorAll("table.month")) {
            const heads = [...table.querySelectorAll("thead th")].map(th => th.getBoundingClientRect());
            for (const row of table.querySelectorAll("tbody tr")) {
              [...row.cells].forEach((cell, i) => {
                const box = cell.getBoundingClientRect();
                if (Math.abs(box.left - heads[i].left) > 1 || Math.abs(box.width - heads[i].width) > 1)
                  out.push(`${table.querySelector("caption").textContent} ${cell.title || "blank"} column ${i + 1}`);
              });
            }
          }
          return out;
        }""")
        assert misplaced == [], (viewport, care, misplaced[:5])
        page.context.close()


def test_the_calendar_pager_stops_at_the_years_that_exist(browser: Any,
                                                          city: tuple[Flask, str]) -> None:
    _app, site = city
    page = _login(browser, site, None, viewport=PHONE)
    for year, previous, following in ((2000, False, True), (2050, True, True),
                                      (2100, True, False)):
        page.goto(f"{site}/calendar?year={year}")
        links = page.eval_on_selector_all(".pager a", "as => as.map(a => a.href)")
        assert [h for h in links if "year=" in h] == (
            [f"{site}/calendar?year={year - 1}"] * previous
            + [f"{site}/calendar?year={year + 1}"] * following)
        for href in links:
            assert page.request.get(href).status == 200, href
    page.context.close()


def test_the_step_bar_numbers_never_run_into_the_previous_step(
        browser: Any, city: tuple[Flask, str]) -> None:
    """List markers are drawn outside their item; with steps side by side they overlapped the
    previous step's text.  Each step's box, with its marker if any, stays clear of the others."""
    _app, site = city
    for viewport, care in ((PHONE, False), (PHONE, True), (DESK, False)):
        page = _login(browser, site, ROLES["owner"], viewport=viewport, care=care)
        page.goto(site + "/owner/requests/new")
        boxes = page.evaluate("""() => [...document.querySelectorAll("ol.steps > li")].map((li, i) => {
          const box = li.getBoundingClientRect(), style = getComputedStyle(li);
          let left = box.left;
          if (style.display === "list-item" && style.listStylePosition === "outside"
              && style.listStyleType !== "none") {
            const probe = document.createElement("span");
            probe.textContent = `${i + 1}. `;
            probe.style.font = style.font;
            probe.style.whiteSpace = "pre";
            document.body.appendChild(probe);
            left -= probe.getBoundingClientRect().width;
            probe.remove();
          }
          return {left, right: box.right, top: box.top, bottom: box.bottom};
        })""")
        assert len(boxes) == 7
        for a, b in zip(boxes, boxes[1:], strict=False):
            same_line = a["top"] < b["bottom"] and b["top"] < a["bottom"]
            assert not same_line or a["right"] <= b["left"] + 0.5, (viewport, care, a, b)
        page.context.close()


def test_the_project_timeline_is_readable_on_a_phone(browser: Any,
                                                     city: tuple[Flask, str]) -> None:
    app, site = city
    with app.app_context():
        owner = db.session.scalar(sa.select(Organisation.id).where(
            Organisation.name == demo.OWNERS[0][0]))
        project = db.session.scalar(  # the owner's project with the most approval cases
            sa.select(Project.public_id).join(ApprovalCase, ApprovalCase.project_id == Project.id)
            .where(Project.owner_org_id == owner).group_by(Project.public_id)
            .order_by(sa.func.count().desc()).limit(1))
        assert project is not None
    page = _login(browser, site, ROLES["owner"], viewport=PHONE)
    page.goto(f"{site}/projects/{project}/timeline")
    sizes = page.evaluate("""() => [...document.querySelectorAll("svg.timeline text")].map(t => {
      const box = t.getBoundingClientRect();
      return box.height;
    })""")
    assert sizes and min(sizes) >= 11, sizes  # drawn at its own size: 12px text, not ~4px
    # the chart scrolls sideways inside its box, the page itself does not
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_the_countdown_speaks_the_page_language(browser: Any, city: tuple[Flask, str]) -> None:
    app, site = city
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).where(
            Lottery.state.in_(("open", "frozen")), Lottery.external_at > timeutil.now()
            + timedelta(days=2)).order_by(Lottery.id))
        assert lottery is not None, "the demo city has a draw waiting for its witnesses"
        lottery_id = lottery.lottery_id
    for english, pattern in ((False, r"还剩 \d+ 天 \d\d:\d\d:\d\d"),
                             (True, r"\d+ days \d\d:\d\d:\d\d left")):
        page = _login(browser, site, None, viewport=PHONE, english=english)
        page.goto(f"{site}/lotteries/{lottery_id}")
        text = page.inner_text(".countdown")
        assert re.fullmatch(pattern, text), text
        page.context.close()


def test_care_mode_shows_the_whole_credit_code(browser: Any, city: tuple[Flask, str]) -> None:
    _app, site = city
    page = _login(browser, site, ROLES["owner"], viewport=PHONE, care=True)
    code = page.locator("dd code", has_text=re.compile(r"^[0-9A-Z]{18}$"))
    box = code.bounding_box()
    card = page.locator("section.card").first.bounding_box()
    assert box is not None and card is not None
    assert box["x"] + box["width"] <= card["x"] + card["width"], (box, card)
    assert box["x"] + box["width"] <= PHONE["width"]
    page.context.close()
