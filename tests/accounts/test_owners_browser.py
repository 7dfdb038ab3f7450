"""An owner's people and natural persons in a real browser, at phone width (390 px): a
delegate (采购受托人) sees only the projects assigned to it and the administrator assigns one
more; a natural person registers (a wrong number first) and the operator activates them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market.db import db
from market.domain.identity import resident_id_check_char
from tests.accounts.test_accounts_browser import fits, log_in, page_at
from tests.support import demo_data
from tests.support.live import serve

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-owners-screens"
WIDTH = 390


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    app: Flask = demo_data.demo_app(tmp_path_factory.mktemp("owners-browser"))
    SHOTS.mkdir(exist_ok=True)
    with serve(app) as url:
        yield app, url


def _projects(app: Flask) -> tuple[list[str], str, str]:
    """delegate1's project names, and the name and public id of the one kept from it."""
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT p.name, p.public_id, EXISTS (SELECT 1 FROM project_assignment a JOIN "
            "membership m ON m.id = a.membership_id JOIN user_account u ON u.id = m.user_id "
            "WHERE a.project_id = p.id AND u.email = 'delegate1@yunchuan.demo') FROM project p "
            "JOIN membership m ON m.organisation_id = p.owner_org_id JOIN user_account u ON "
            "u.id = m.user_id WHERE u.email = 'owner1@yunchuan.demo' ORDER BY p.id")).all()
        db.session.remove()
    kept = [(name, pid) for name, pid, mine in rows if not mine]
    assert len(kept) == 1
    return [name for name, _pid, mine in rows if mine], kept[0][0], kept[0][1]


def test_a_delegate_sees_only_its_projects_until_one_more_is_assigned(
        browser: Any, demo: tuple[Flask, str]) -> None:
    app, site = demo
    mine, kept, kept_id = _projects(app)
    delegate = page_at(browser, WIDTH)
    log_in(delegate, site, "delegate1@yunchuan.demo")
    delegate.goto(site + "/owner/projects")
    delegate.wait_for_selector("[data-test=project-link]")
    shown = delegate.locator("[data-test=project-link]").all_inner_texts()
    assert sorted(shown) == sorted(mine) and kept not in shown
    fits(delegate, WIDTH)
    delegate.screenshot(path=str(SHOTS / "delegate-projects-390.png"), full_page=True)
    response = delegate.goto(f"{site}/owner/projects/{kept_id}")
    assert response is not None and response.status == 404

    admin = page_at(browser, WIDTH)
    log_in(admin, site, "owner1@yunchuan.demo")
    admin.goto(f"{site}/owner/projects/{kept_id}")
    admin.wait_for_selector("[data-test=assign-form]")
    fits(admin, WIDTH)
    admin.locator("[data-test=assign-form] label", has_text="delegate1@yunchuan.demo").click()
    admin.click("[data-test=assign-form] button[type=submit]")
    admin.wait_for_selector(".flash-success")
    assert "分派 1 人" in admin.inner_text(".flash-success")
    assert "采购受托人 1号" in admin.inner_text("[data-test=project-delegates]")
    admin.screenshot(path=str(SHOTS / "assign-390.png"), full_page=True)

    delegate.goto(site + "/owner/projects")
    delegate.wait_for_selector("[data-test=project-link]")
    assert kept in delegate.locator("[data-test=project-link]").all_inner_texts()
    delegate.click(f"[data-test=project-link] >> text={kept}")
    delegate.wait_for_selector("[data-test=project-title]")
    assert delegate.locator("[data-test=assign-form]").count() == 0
    assert delegate.errors == [] and admin.errors == []
    for p in (delegate, admin):
        p.context.close()


def test_a_natural_person_registers_and_the_operator_activates_them(
        browser: Any, demo: tuple[Flask, str]) -> None:
    _app, site = demo
    body = "53990119920229031"  # 1992 was a leap year
    number = body + resident_id_check_char(body)
    wrong = body + ("0" if number[-1] != "0" else "1")
    person = page_at(browser, WIDTH)
    person.goto(site + "/register")
    person.click("[data-test=register-person]")
    person.wait_for_selector("[data-test=person-register]")
    person.fill("input[name=name]", "欧阳明月")
    person.fill("input[name=id_number]", wrong)
    person.fill("input[name=region]", "云川市南湖区")
    person.fill("input[name=email]", "ouyang@test.example.cn")
    person.fill("input[name=password]", "good-password-1")
    person.fill("input[name=confirm]", "good-password-1")
    person.check("input[name=consent]")
    person.click("main button[type=submit]")
    person.wait_for_selector("#id_number-msg")
    assert "校验位不正确" in person.inner_text("#id_number-msg")
    assert person.locator("input[name=name]").input_value() == "欧阳明月"
    fits(person, WIDTH)
    person.screenshot(path=str(SHOTS / "person-wrong-number-390.png"), full_page=True)
    person.fill("input[name=id_number]", number.lower())
    person.fill("input[name=password]", "good-password-1")
    person.fill("input[name=confirm]", "good-password-1")
    person.click("main button[type=submit]")
    person.wait_for_selector("[data-test=owner-pending]")
    assert "欧阳明月" in person.inner_text("[data-test=person-name]")
    assert number not in person.content()
    fits(person, WIDTH)
    person.screenshot(path=str(SHOTS / "person-pending-390.png"), full_page=True)

    operator = page_at(browser, WIDTH)
    log_in(operator, site, "operator@yunchuan.demo")
    operator.click("[data-test=owners-queue]")
    card = operator.locator("article", has_text="欧阳明月")
    card.wait_for()
    assert "自然人" in card.inner_text() and "欧***" in card.inner_text()
    assert number not in operator.content()
    fits(operator, WIDTH)
    operator.screenshot(path=str(SHOTS / "operator-person-390.png"), full_page=True)
    card.locator("button", has_text="激活").first.click()
    operator.wait_for_selector(".flash-success")
    person.goto(site + "/dashboard")
    person.wait_for_selector("[data-test=owner-status]")
    assert "已核验" in person.inner_text("[data-test=owner-status]")
    assert person.errors == [] and operator.errors == []
    for p in (person, operator):
        p.context.close()
