"""What an owner's delegate (采购受托人) reads, and a refused natural person's second try, in a
real browser at desktop and phone width: the delegate's notifications and billing statement
show its assigned projects only; a natural person refused by the operator corrects the number
from the same account (a wrong one first) and is activated."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from market.domain.identity import resident_id_check_char
from market.notify import reminders
from tests.accounts.test_accounts_browser import fits, log_in, page_at
from tests.support import demo_data
from tests.support.live import serve

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-delegate-screens"
DELEGATE, ADMIN = "delegate1@yunchuan.demo", "owner1@yunchuan.demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    app: Flask = demo_data.demo_app(tmp_path_factory.mktemp("delegate-browser"))
    with app.app_context(), timeutil.frozen(timeutil.now() + timedelta(days=40)):
        # the clocks run on: engagements fall overdue and their owners are told
        reminders.tick()
        db.session.remove()
    SHOTS.mkdir(exist_ok=True)
    with serve(app) as url:
        yield app, url


def _sql(app: Flask, sql: str, **params: object) -> list[Any]:
    with app.app_context():
        rows = list(db.session.execute(sa.text(sql), params).all())
        db.session.remove()
    return rows


def _kept(app: Flask) -> tuple[list[str], list[str]]:
    """The public ids and billing numbers of the engagements of owner1's project kept from
    delegate1."""
    rows = _sql(app, "SELECT e.public_id, e.id FROM engagement e JOIN project p ON "
                "p.id = e.project_id JOIN membership m ON m.organisation_id = p.owner_org_id "
                "JOIN user_account u ON u.id = m.user_id WHERE u.email = :a AND p.id NOT IN "
                "(SELECT a.project_id FROM project_assignment a JOIN membership d ON "
                "d.id = a.membership_id JOIN user_account v ON v.id = d.user_id "
                "WHERE v.email = :d)", a=ADMIN, d=DELEGATE)
    assert rows
    return [r[0] for r in rows], [str(r[1]) for r in rows]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_delegates_notifications_and_statement_show_its_projects_only(
        browser: Any, demo: tuple[Flask, str], width: int) -> None:
    app, site = demo
    kept, billed = _kept(app)
    delegate, admin = page_at(browser, width), page_at(browser, width)
    log_in(delegate, site, DELEGATE)
    log_in(admin, site, ADMIN)
    for page in (delegate, admin):
        page.goto(site + "/notifications")
        page.wait_for_selector("main h1")
    mine, everything = delegate.inner_text("main"), admin.inner_text("main")
    assert any(e in everything for e in kept)  # the kept project's overdue reminder
    assert not [e for e in kept if e in mine]
    assert "已通过核验" in mine  # about the organisation itself: every member's
    if width == 390:
        fits(delegate, width)
    delegate.screenshot(path=str(SHOTS / f"delegate-notifications-{width}.png"), full_page=True)
    for page in (delegate, admin):
        page.goto(site + "/billing/statement")
        page.wait_for_selector("[data-test=statement]")
    lines = re.compile(r'data-engagement="(\d+)"')
    shown = set(lines.findall(delegate.content()))
    assert shown and not shown & set(billed)
    assert set(billed) <= set(lines.findall(admin.content()))
    assert delegate.locator("[data-test=statement-partial]").is_visible()
    assert admin.locator("[data-test=statement-partial]").count() == 0
    if width == 390:
        fits(delegate, width)
    delegate.screenshot(path=str(SHOTS / f"delegate-statement-{width}.png"), full_page=True)
    assert delegate.errors == [] and admin.errors == []
    for p in (delegate, admin):
        p.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_refused_person_resubmits_and_is_activated(
        browser: Any, demo: tuple[Flask, str], width: int) -> None:
    _app, site = demo
    body = f"539901199{'2' if width == 390 else '3'}0615031"
    number = body + resident_id_check_char(body)
    wrong = body + ("0" if number[-1] != "0" else "1")
    name = "司马青云" if width == 390 else "诸葛青云"
    person = page_at(browser, width)
    person.goto(site + "/register/person")
    person.wait_for_selector("[data-test=person-register]")
    person.fill("input[name=name]", name)
    person.fill("input[name=id_number]", number)
    person.fill("input[name=region]", "云川市南湖区")
    person.fill("input[name=email]", f"qingyun{width}@test.example.cn")
    person.fill("input[name=password]", "good-password-1")
    person.fill("input[name=confirm]", "good-password-1")
    person.check("input[name=consent]")
    person.click("main button[type=submit]")
    person.wait_for_selector("[data-test=owner-pending]")

    operator = page_at(browser, width)
    log_in(operator, site, "operator@yunchuan.demo")
    operator.click("[data-test=owners-queue]")
    card = operator.locator("article", has_text=name)
    card.wait_for()
    card.locator("textarea").fill("姓名与居民身份证不符，请核对。")
    card.locator("button", has_text="不予激活").click()
    operator.wait_for_selector(".flash-success")

    person.goto(site + "/dashboard")
    person.wait_for_selector("[data-test=person-reapply]")
    assert "姓名与居民身份证不符" in person.inner_text("[data-test=owner-refused]")
    form = "[data-test=person-reapply] "
    assert person.locator(form + "input[name=name]").input_value() == name
    assert person.locator(form + "input[name=id_number]").input_value() == ""  # erased
    # bad data first: a wrong check digit, shown next to the field, what was typed kept
    person.fill(form + "input[name=id_number]", wrong)
    person.fill(form + "input[name=region]", "云川市东城区")
    person.check(form + "input[name=consent]")
    person.click(form + "button[type=submit]")
    person.wait_for_selector("#id_number-msg")
    assert "校验位不正确" in person.inner_text("#id_number-msg")
    assert person.locator(form + "input[name=region]").input_value() == "云川市东城区"
    if width == 390:
        fits(person, width)
    person.screenshot(path=str(SHOTS / f"person-reapply-wrong-{width}.png"), full_page=True)
    person.fill(form + "input[name=id_number]", number)
    person.check(form + "input[name=consent]")
    person.click(form + "button[type=submit]")
    person.wait_for_selector("[data-test=owner-pending]")
    assert number not in person.content()
    person.screenshot(path=str(SHOTS / f"person-reapplied-{width}.png"), full_page=True)

    operator.goto(site + "/operator/owners")
    card = operator.locator("article", has_text=name)
    card.wait_for()
    card.locator("button", has_text="激活").first.click()
    operator.wait_for_selector(".flash-success")
    person.goto(site + "/dashboard")
    person.wait_for_selector("[data-test=owner-status]")
    assert "已核验" in person.inner_text("[data-test=owner-status]")
    assert person.errors == [] and operator.errors == []
    for p in (person, operator):
        p.context.close()
