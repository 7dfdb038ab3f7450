"""The sanction form: the regulator finds the agency by name or code on the server (no script
needed), sees its name and current record, and confirms what the sanction will do before it
is published; nothing is stored before the confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation
from market.credit.models import Sanction
from market.db import db
from tests.conftest import csrf_token
from tests.regulator.conftest import post
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up

NAME = "云川青禾环境科技有限公司"
NEW = "/regulator/sanctions/new"


def _name_agency(city: City, index: int = 0, name: str = NAME) -> tuple[str, str]:
    """Give agency ``index`` a real-looking name; its (public id, credit code)."""
    with city.app.app_context():
        org = db.session.get(Organisation, city.agencies[index].org_id)
        org.name = name
        db.session.commit()
        return org.public_id, org.credit_code or ""


def _sanctions(city: City) -> int:
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Sanction.id))) or 0


def _search(city: City, q: str):
    return city.client(city.regulator).get(NEW, query_string={"q": q})


def test_the_search_finds_agencies_by_name_credit_code_or_id_and_only_agencies(
        city: City) -> None:
    public_id, code = _name_agency(city)
    with timeutil.frozen(START):
        for q in ("青禾环境", code[:17], code.lower(), public_id, public_id.lower()):
            page = _search(city, q).get_data(as_text=True)
            assert f'data-test="pick-{public_id}"' in page and NAME in page, q
            assert page.count('data-test="pick-') == 1, q
        # every agency of the city is a 测试单位 and so is the owner: only agencies are listed
        page = _search(city, "测试单位").get_data(as_text=True)
        assert page.count('data-test="pick-') == len(city.agencies) - 1
        for q in ("%", "_", "无此机构"):  # LIKE's wildcards are literal
            r = _search(city, q)
            assert r.status_code == 200 and 'data-test="no-agency"' in r.get_data(as_text=True)
        too_long = _search(city, "青" * 101)
        assert too_long.status_code == 400 and 'id="q-msg"' in too_long.get_data(as_text=True)


def test_picking_an_agency_shows_its_name_and_current_record(city: City) -> None:
    public_id, code = _name_agency(city)
    with timeutil.frozen(START):
        assert post(city, city.regulator, NEW, {
            "agency": public_id, "kind": "warning", "reason": "未按时提交成果",
            "legal_basis": "《云川市中介服务管理办法》第十八条", "starts_on": "2026-02-01",
            "ends_on": "2026-12-31", "action": "confirm"}).status_code == 302
        page = city.client(city.regulator).get(NEW, query_string={"agency": public_id})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(rf'data-test="agency-name">{NAME}<', html)
    assert f'data-test="agency-credit-code">{code}<' in html
    assert "未按时提交成果" in html and "执行中" in html
    # base 80 (no record yet), less 5 for the running warning
    score = re.search(r'data-test="agency-score">(\d+)<', html)
    assert score is not None and int(score.group(1)) == 75
    assert f'name="agency" type="hidden" value="{public_id}"' in html
    unknown = city.client(city.regulator).get(NEW, query_string={"agency": "AG-999999"})
    assert unknown.status_code == 400 and "没有找到这家中介机构" in unknown.get_data(as_text=True)


def test_the_sanction_is_shown_for_confirmation_and_stored_only_when_confirmed(
        city: City) -> None:
    public_id, code = _name_agency(city)
    with timeutil.frozen(START):
        req = _publish(city)
        assert _sign_up(city, city.agencies[0], req.public_id) == 302
        data = {"agency": public_id, "kind": "suspension", "reason": "出具虚假环评报告",
                "legal_basis": "《云川市中介服务管理办法》第二十条",
                "starts_on": START.date().isoformat(), "ends_on": "2026-06-30"}
        shown = post(city, city.regulator, NEW, {**data, "action": "preview"})
        html = shown.get_data(as_text=True)
        assert shown.status_code == 200 and _sanctions(city) == 0
        summary = html[html.index('data-test="sanction-summary"'):]
        assert NAME in html and code in html
        assert "暂停" in summary and f"{START.date().isoformat()} – 2026-06-30" in summary
        assert f"{START.date().isoformat()} 至 2026-06-30 期间，该机构不能报名任何采购公告" in html
        assert "信用分由 80 变为 50，即日生效" in html  # a suspension costs 30
        excluded = html[html.index('data-test="effect-excluded"'):]
        assert "1 个采购公告" in excluded and req.public_id in excluded
        # the confirmation carries exactly what was shown
        for name, value in data.items():
            assert f'name="{name}" type="hidden" value="{value}"' in html or \
                f'type="hidden" name="{name}" value="{value}"' in html, name
        # back to the form, with what was typed
        back = post(city, city.regulator, NEW, {**data, "action": "edit"})
        assert back.status_code == 200 and _sanctions(city) == 0
        assert "出具虚假环评报告</textarea>" in back.get_data(as_text=True)
        assert post(city, city.regulator, NEW, {**data, "action": "confirm"}).status_code == 302
    with city.app.app_context():
        row = db.session.scalars(sa.select(Sanction)).one()
        assert (row.kind, row.reason, row.ends_on.isoformat()) == (
            "suspension", "出具虚假环评报告", "2026-06-30")


def test_what_a_warning_a_later_and_an_ended_sanction_will_do(city: City) -> None:
    public_id, _code = _name_agency(city)
    base = {"agency": public_id, "reason": "x", "legal_basis": "y", "action": "preview"}
    later = (START + timedelta(days=30)).date().isoformat()
    with timeutil.frozen(START):
        warning = post(city, city.regulator, NEW, {
            **base, "kind": "warning", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
        upcoming = post(city, city.regulator, NEW, {
            **base, "kind": "blacklist", "starts_on": later, "ends_on": "2027-12-31"})
        ended = post(city, city.regulator, NEW, {
            **base, "kind": "suspension", "starts_on": "2025-01-01", "ends_on": "2025-06-30"})
    html = warning.get_data(as_text=True)
    assert "警告只公示，不影响报名" in html and "信用分由 80 变为 75，即日生效" in html
    html = upcoming.get_data(as_text=True)
    assert f"自 {later} 起，信用分由 80 变为 0" in html and "不能报名任何采购公告" in html
    html = ended.get_data(as_text=True)
    assert "处罚期已经结束" in html and "信用分由" not in html
    assert _sanctions(city) == 0


def test_refusals_at_the_confirmation_are_shown_in_the_form(city: City) -> None:
    public_id, _code = _name_agency(city)
    with timeutil.frozen(START):
        r = post(city, city.regulator, NEW, {
            "agency": public_id, "kind": "warning", "reason": "x", "legal_basis": "y",
            "starts_on": "2026-06-30", "ends_on": "2026-03-01", "action": "confirm"})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and 'id="ends_on-msg">结束日期不能早于开始日期' in html
        assert 'data-test="preview-sanction"' in html  # the form, not the confirmation
        # without a CSRF token nothing happens, whatever the action
        c = city.client(city.regulator)
        csrf_token(c, NEW)
        r = c.post(NEW, data={"agency": public_id, "kind": "warning", "reason": "x",
                              "legal_basis": "y", "starts_on": "2026-03-01",
                              "ends_on": "2026-03-02", "action": "confirm"})
        assert r.status_code == 400
    assert _sanctions(city) == 0


def test_the_confirmation_says_the_class_the_earliest_repair_and_the_end_of_publication(
        city: City) -> None:
    """《信用修复管理办法》 (令 2025 年第 36 号): a warning is 轻微 (published at most 3 months,
    repairable at once), a suspension 一般 (3 months to 1 year), a blacklisting 严重 (1 to 3
    years); the preview says which, until when it is published and from when it may be
    repaired, and the form states the classes before."""
    public_id, _code = _name_agency(city)
    base = {"agency": public_id, "reason": "x", "legal_basis": "y", "action": "preview"}
    with timeutil.frozen(START):  # 2026-03-02
        form = city.client(city.regulator).get(f"{NEW}?agency={public_id}").get_data(
            as_text=True)
        rules = form[form.index('data-test="kind-classes"'):]
        assert "警告属轻微失信信息：公示不超过 3 个月" in rules
        assert "暂停属一般失信信息：公示 3 至 12 个月，满 3 个月后可申请信用修复" in rules
        assert "黑名单属严重失信信息：公示 12 至 36 个月，满 12 个月后可申请信用修复" in rules
        shown = {kind: post(city, city.regulator, NEW, {
            **base, "kind": kind, "starts_on": "2026-03-02", "ends_on": end}).get_data(
                as_text=True) for kind, end in (("warning", "2026-12-31"),
                                                ("suspension", "2026-04-30"),
                                                ("blacklist", "2030-12-31"))}
    html = shown["warning"]
    assert "失信信息类别：轻微失信" in html and "公示至 2026-06-01（最长公示期届满）" in html
    assert "处罚仍执行至 2026-12-31，但自 2026-06-02 起不再公示" in html
    assert "最早可于 2026-03-03 信用修复生效" in html
    html = shown["suspension"]
    assert "失信信息类别：一般失信" in html and "公示至 2027-03-01" in html
    assert "不再公示" not in html
    assert "最早可于 2026-06-02 信用修复生效" in html
    html = shown["blacklist"]
    assert "失信信息类别：严重失信" in html and "公示至 2029-03-01" in html
    assert "处罚仍执行至 2030-12-31，但自 2029-03-02 起不再公示" in html
    assert "最早可于 2027-03-02 信用修复生效" in html
    assert _sanctions(city) == 0
