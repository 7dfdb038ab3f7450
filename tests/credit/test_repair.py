"""Credit repair (信用修复): a regulator's published decision ends a sanction's effect early,
not before the minimum publication period; its publication ends (终止公示) while the
regulators' record keeps it, marked repaired."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.credit.models import Sanction
from market.db import db
from market.selection.models import SignUp
from tests.regulator.conftest import post
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up

GOOD = {"repaired_on": "2026-03-02", "decision": "云川信修〔2026〕3号",
        "reason": "已改正报告错误并完成整改，作出信用承诺"}


def _sanction(city: City, index: int, kind: str, start: str, end: str) -> int:
    r = post(city, city.regulator, "/regulator/sanctions/new", {
        "agency": city.agency_id(city.agencies[index]), "kind": kind, "reason": "出具虚假报告",
        "legal_basis": "《云川市中介服务管理办法》第二十条", "starts_on": start, "ends_on": end,
        "action": "confirm"})
    assert r.status_code == 302
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Sanction.id)))


def _score(city: City, index: int) -> int:
    page = city.app.test_client().get(
        f"/agencies/{city.agency_id(city.agencies[index])}").get_data(as_text=True)
    return int(re.search(r'data-test="credit-score">(\d+)<', page).group(1))


def test_a_repair_ends_the_effect_and_the_record_stays(city: City) -> None:
    with timeutil.frozen(START):
        sid = _sanction(city, 0, "suspension", "2025-11-01", "2026-12-31")
        path = f"/regulator/sanctions/{sid}/repair"
        assert city.client(city.regulator).get(path).status_code == 200
        suspended = _score(city, 0)
        for bad, words in (({"repaired_on": "2026-03-01"}, "不能早于今天"),
                           # published until 2026-10-31 (一般: a year at most)
                           ({"repaired_on": "2026-11-01"}, "不能晚于公示截止日期 2026-10-31"),
                           ({"repaired_on": "2026-13-01"}, 'class="error"'),
                           ({"decision": ""}, 'class="error"'),
                           ({"reason": "已整改"}, "至少 10 个字")):
            r = post(city, city.regulator, path, {**GOOD, **bad})
            assert r.status_code == 400 and words in r.get_data(as_text=True), bad
        with city.app.app_context():
            assert db.session.get(Sanction, sid).repaired_on is None
        assert post(city, city.owner, path, GOOD, "/dashboard").status_code == 403
        assert post(city, city.regulator, path, GOOD).status_code == 302
        again = post(city, city.regulator, path, GOOD)
        assert again.status_code == 400 and "已经信用修复" in again.get_data(as_text=True)
        # in force no more: the agency signs up again and its score recovers
        req = _publish(city)
        assert _sign_up(city, city.agencies[0], req.public_id) == 302
        assert _score(city, 0) > suspended
        page = city.app.test_client().get(
            f"/agencies/{city.agency_id(city.agencies[0])}").get_data(as_text=True)
        assert 'data-test="active-sanction"' not in page
        # its publication ends with the repair (终止公示): the public profile no longer shows it
        assert "出具虚假报告" not in page and 'data-test="repaired-sanction"' not in page
        csv = city.client(city.regulator).get("/regulator/sanctions?format=csv").get_data(
            as_text=True)
        assert "repaired_on" in csv and "2026-03-02,云川信修〔2026〕3号" in csv
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 1
        row = db.session.get(Sanction, sid)
        assert row.repaired and row.effective_end.isoformat() == "2026-03-01"
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.tag == "regulator:sanction:repair")) == 1


def test_no_repair_before_the_minimum_publication_period(city: City) -> None:
    with timeutil.frozen(START):
        sid = _sanction(city, 1, "blacklist", "2025-12-01", "2027-11-30")
        r = post(city, city.regulator, f"/regulator/sanctions/{sid}/repair", GOOD)
        assert r.status_code == 400 and "2026-12-01" in r.get_data(as_text=True)
        # a sanction no longer published needs no repair (a warning: 3 months at most)
        gone = _sanction(city, 2, "warning", "2025-01-01", "2025-12-31")
        r = post(city, city.regulator, f"/regulator/sanctions/{gone}/repair", GOOD)
        assert r.status_code == 400 and "已停止公示" in r.get_data(as_text=True)
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Sanction.id)).where(
            Sanction.repaired_on.is_not(None))) == 0


def test_a_repair_ends_the_publication_of_a_sanction_that_has_ended(city: City) -> None:
    """A suspension's term is over but, 一般失信信息, it stays published for a year: a repair
    after its shortest period ends the publication; its term in force is unchanged."""
    with timeutil.frozen(START):  # 2026-03-02
        sid = _sanction(city, 0, "suspension", "2025-06-01", "2025-07-31")
        profile = f"/agencies/{city.agency_id(city.agencies[0])}"
        assert "出具虚假报告" in city.app.test_client().get(profile).get_data(as_text=True)
        listing = city.client(city.regulator).get("/regulator/sanctions").get_data(as_text=True)
        assert f'data-test="repair-{sid}"' in listing
        assert post(city, city.regulator, f"/regulator/sanctions/{sid}/repair",
                    GOOD).status_code == 302
        assert "出具虚假报告" not in city.app.test_client().get(profile).get_data(as_text=True)
    with city.app.app_context():
        row = db.session.get(Sanction, sid)
        assert row.repaired_on.isoformat() == "2026-03-02"
        assert row.effective_end.isoformat() == "2025-07-31"  # its term in force unchanged


def test_the_pages_say_what_a_repair_does_and_offer_none_that_cannot_be(city: City) -> None:
    """A repair ends the sanction's publication (终止公示, 《信用修复管理办法》令第36号第三条):
    the published formula and the repair form say so, not that the record stays public.  A
    sanction whose longest publication period has run is no longer published: the list
    offers no repair for it, its form page says why and has no form; one shorter than its
    shortest period may be repaired from then on, while it is still published."""
    with timeutil.frozen(START):
        short = _sanction(city, 0, "suspension", "2026-03-01", "2026-05-31")  # earliest 06-01
        long = _sanction(city, 1, "suspension", "2026-01-01", "2026-12-31")
        gone = _sanction(city, 2, "suspension", "2024-01-01", "2024-02-28")  # until 2024-12-31
        regulator = city.client(city.regulator)
        listing = regulator.get("/regulator/sanctions").get_data(as_text=True)
        assert f'data-test="repair-{long}"' in listing
        assert f'data-test="repair-{short}"' in listing and "2026-06-01 起" in listing
        assert f'data-test="repair-{gone}"' not in listing
        page = regulator.get(f"/regulator/sanctions/{gone}/repair").get_data(as_text=True)
        assert 'data-test="not-repairable"' in page and 'name="decision"' not in page
        assert "2024-12-31" in page
        page = regulator.get(f"/regulator/sanctions/{short}/repair").get_data(as_text=True)
        assert "最早可于 2026-06-01 修复，公示至 2027-02-28" in page
        r = post(city, city.regulator, f"/regulator/sanctions/{short}/repair", GOOD)
        assert r.status_code == 400 and "不早于 2026-06-01" in r.get_data(as_text=True)
        page = regulator.get(f"/regulator/sanctions/{long}/repair").get_data(as_text=True)
        formula = city.app.test_client().get("/credit").get_data(as_text=True)
        for text in (page, formula):
            assert "继续公开" not in text and "终止公示" in text


def test_a_warning_is_minor_and_may_be_repaired_at_once(city: City) -> None:
    """A warning is 轻微失信信息: no shortest publication period, so a repair may take effect
    from its second day once the duty is done."""
    with timeutil.frozen(START):  # 2026-03-02
        sid = _sanction(city, 0, "warning", "2026-03-01", "2026-08-31")
        page = city.client(city.regulator).get(f"/regulator/sanctions/{sid}/repair").get_data(
            as_text=True)
        assert "本处罚属轻微失信信息，最早可于 2026-03-02 修复" in page
        assert post(city, city.regulator, f"/regulator/sanctions/{sid}/repair",
                    GOOD).status_code == 302
    with city.app.app_context():
        assert db.session.get(Sanction, sid).repaired_on.isoformat() == "2026-03-02"


def test_no_longer_published_once_the_longest_period_has_run(city: City) -> None:
    """The longest publication period of a sanction's class ends its publication on the
    agency's page, the black list and the API, even while it is still in force; the
    regulators' list keeps it and says it is no longer published."""
    with timeutil.frozen(START):  # 2026-03-02
        # 严重: published 2023-01-01 .. 2025-12-31, in force until 2027
        old_black = _sanction(city, 0, "blacklist", "2023-01-01", "2027-12-31")
        # 一般: one ended and past its year, one ended and still within it
        gone = _sanction(city, 1, "suspension", "2025-01-01", "2025-02-28")
        _sanction(city, 1, "suspension", "2025-06-01", "2025-07-31")
        # 轻微: published until 2026-03-31, in force until the end of the year
        _sanction(city, 2, "warning", "2026-01-01", "2026-12-31")
    ids = [city.agency_id(city.agencies[i]) for i in range(3)]
    anyone = city.app.test_client()

    def profile(i: int) -> str:
        return anyone.get(f"/agencies/{ids[i]}").get_data(as_text=True)

    def api(i: int) -> list[dict]:
        r = anyone.get(f"/api/agencies/{ids[i]}")
        assert r.status_code == 200
        return r.get_json()["sanctions"]

    with timeutil.frozen(START):
        assert "出具虚假报告" not in profile(0) and api(0) == []
        lists = anyone.get("/credit/lists").get_data(as_text=True)
        assert ids[0] not in lists and "最长公示 36 个月" in lists
        # still in force: the agency cannot sign up
        req = _publish(city)
        _sign_up(city, city.agencies[0], req.public_id)
        with city.app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 0
        page = profile(1)
        assert page.count('data-test="past-sanction"') == 1 and "2025-06-01 – 2025-07-31" in page
        assert "一般失信信息，公示至 2026-05-31" in page
        page = profile(2)
        assert 'data-test="active-sanction"' in page and "轻微失信信息，公示至 2026-03-31" in page
        assert api(2) == [{"kind": "warning", "reason": "出具虚假报告", "ends_on": "2026-12-31",
                           "severity": "minor", "published_until": "2026-03-31"}]
        listing = city.client(city.regulator).get("/regulator/sanctions").get_data(as_text=True)
        for sid in (old_black, gone):
            cell = listing[listing.index(f'data-test="publication-{sid}"'):]
            assert cell[:cell.index("</span>")].endswith("不再公示")
    with timeutil.frozen(START + timedelta(days=30)):  # 2026-04-01
        assert "出具虚假报告" not in profile(2) and api(2) == []


def test_the_sanctions_csv_gives_each_ones_credit_class_and_publication(city: City) -> None:
    """The regulators' CSV names each sanction's class of 失信信息 and the last day it is
    published: the longest period of its class, or the day before a repair ends it; its cells
    stay text (a reason starting with = is not a formula)."""
    import csv as csvlib
    import io

    with timeutil.frozen(START):
        for index, kind, start, end, reason in (
                (0, "warning", "2026-03-01", "2026-06-30", "=1+1 报告错误"),
                (1, "suspension", "2025-11-01", "2026-12-31", "出具虚假报告"),
                (2, "blacklist", "2026-03-01", "2027-02-28", "@SUM(1) 串通")):
            r = post(city, city.regulator, "/regulator/sanctions/new", {
                "agency": city.agency_id(city.agencies[index]), "kind": kind,
                "reason": reason, "legal_basis": "《云川市中介服务管理办法》第二十条",
                "starts_on": start, "ends_on": end, "action": "confirm"})
            assert r.status_code == 302, kind
        with city.app.app_context():
            suspension = db.session.scalar(sa.select(Sanction.id).where(
                Sanction.kind == "suspension"))
        assert post(city, city.regulator, f"/regulator/sanctions/{suspension}/repair",
                    GOOD).status_code == 302
        text = city.client(city.regulator).get("/regulator/sanctions?format=csv").get_data(
            as_text=True)
    rows = list(csvlib.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    got = {row[header.index("kind")]: (row[header.index("credit_class")],
                                       row[header.index("published_until")],
                                       row[header.index("reason")]) for row in rows[1:]}
    assert got == {
        # 轻微: at most 3 months; 一般: a year, cut short by the repair of 2026-03-02;
        # 严重: three years
        "warning": ("轻微失信信息", "2026-05-31", "'=1+1 报告错误"),
        "suspension": ("一般失信信息", "2026-03-01", "出具虚假报告"),
        "blacklist": ("严重失信信息", "2029-02-28", "'@SUM(1) 串通"),
    }
