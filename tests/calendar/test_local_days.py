"""Local holidays (地方性节假日): a division's days laid over the national calendar for it and
the tenants under it, the clocks they move (only that tenant's), the operators who may enter
them, and where they show."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from market.accounts import tenants
from market.accounts.audit import AuditEvent
from market.calendar import service
from market.calendar.models import CalendarLocalDay
from market.calendar.operations import CalendarError, add_local_days, remove_local_day
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockKind
from market.db import db
from market.domain.calendar import SHANGHAI, WorkingCalendar, library_calendar
from market.selection.models import SelectionRequest
from market.selection.opening import deadline
from tests.conftest import create_person, csrf_token, login

# Monday 2026-07-27: the 火把节 of a (fictional) prefecture falls on Tue 07-28..Thu 07-30
START = date(2026, 7, 27)
FIRE = "2026-07-28..2026-07-30"
SOURCE = "《云南省楚雄彝族自治州自治条例》；楚雄州人民政府办公室关于部分节假日安排的通知"


def _tree() -> tuple[int, int, int, int]:
    """(province, 云川市, 云岭市, its county 青石县): the home city and a second city with a
    county, all three tenants."""
    home = tenants.home_tenant()
    root = tenants.province()
    assert root is not None
    city = tenants.add("539800", "云岭市", tenant=True, audited=False)
    county = tenants.add("539821", "青石县", tenant=True, audited=False)
    return root.id, home.id, city.id, county.id


def _local(division: int, days: str = FIRE, *, working: bool = False) -> None:
    add_local_days(division, days_text=days, working=working, name="火把节", source=SOURCE,
                   user_id=None)


# --- the overlay, pure ------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.lists(st.dates(date(2000, 1, 1), date(2100, 12, 31)), max_size=20),
       st.integers(0, 36000), st.integers(0, 60))
def test_overlaying_nothing_gives_exactly_the_national_calendar(
        noise: list[date], offset: int, n: int) -> None:
    """No local days: the very calendar, day for day; local days change those days only."""
    national = library_calendar()
    assert national.overlay() is national
    assert national.overlay(rest=[], work=[]) is national
    start = date(2000, 1, 1) + timedelta(offset)
    if start.year <= 2099:
        assert national.overlay([], []).add_working_days(start, n) == \
            national.add_working_days(start, n)
    rest = {d for d in noise if national.is_working_day(d)}
    laid = national.overlay(rest=rest)
    for d in noise:
        assert laid.is_working_day(d) == (national.is_working_day(d) and d not in rest)
    first, last = date(2000, 1, 1), date(2100, 12, 31)
    assert laid.working_days_between(first, last) == \
        national.working_days_between(first, last) - len(rest - {first})


def test_a_day_both_rest_and_work_is_refused() -> None:
    cal = WorkingCalendar.build(first_year=2026, last_year=2026)
    try:
        cal.overlay(rest=[date(2026, 7, 28)], work=[date(2026, 7, 28)])
    except ValueError:
        return
    raise AssertionError("a day both rest and work was laid over")


# --- the calendar of a tenant -----------------------------------------------------------------

def test_a_county_under_a_city_with_a_local_holiday_counts_it(app: Flask) -> None:
    """The same start and limit: a due date three working days later in the county whose
    city declared 火把节 than in a city without it; the national calendar unchanged."""
    with app.app_context():
        _root, home, city, county = _tree()
        _local(city)
        db.session.commit()
        national = service.current_calendar()
        assert national.add_working_days(START, 1) == date(2026, 7, 28)
        assert service.current_calendar(home).add_working_days(START, 1) == date(2026, 7, 28)
        for tenant in (city, county):
            assert service.current_calendar(tenant).add_working_days(START, 1) == \
                date(2026, 7, 31)
        # a county's own day on top of its city's: one more working day later
        _local(county, "2026-07-31")
        db.session.commit()
        assert service.current_calendar(county).add_working_days(START, 1) == date(2026, 8, 3)
        assert service.current_calendar(city).add_working_days(START, 1) == date(2026, 7, 31)


def test_a_clock_in_a_county_with_a_local_holiday_falls_due_later(app: Flask) -> None:
    """Two service clocks started the same moment with the same limit: the one of the county
    with a local holiday (one day, a Tuesday) falls due one working day after the city's."""
    with app.app_context():
        _root, home, _city, county = _tree()
        _local(county, "2026-07-28")
        started = datetime(2026, 7, 27, 2, tzinfo=UTC)
        due = {}
        for tenant in (home, county):
            clock = clocks.new_clock(ClockKind.SERVICE, 5, tenant_id=tenant)
            clocks.record(clock, "start", at=started)
            due[tenant] = clock.due_date
        db.session.commit()
        assert due[home] == date(2026, 8, 3)
        assert due[county] == date(2026, 8, 4)
        assert service.current_calendar(county).working_days_between(due[home], due[county]) == 1


def test_the_provinces_days_reach_every_tenant(app: Flask) -> None:
    """A province-wide day (as 广西's 壮族三月三) reaches every city and county; the
    national calendar (no tenant) stays the State Council's."""
    with app.app_context():
        root, home, city, county = _tree()
        _local(root, "2026-07-28")
        db.session.commit()
        for tenant in (home, city, county):
            assert not service.current_calendar(tenant).is_working_day(date(2026, 7, 28))
        assert service.current_calendar().is_working_day(date(2026, 7, 28))


def test_a_local_make_up_day_is_a_working_day_there(app: Flask) -> None:
    with app.app_context():
        _root, home, city, _county = _tree()
        add_local_days(city, days_text="2026-08-01", working=True, name="火把节调休",
                       source=SOURCE, user_id=None)
        db.session.commit()
        assert service.current_calendar(city).is_working_day(date(2026, 8, 1))  # a Saturday
        assert not service.current_calendar(home).is_working_day(date(2026, 8, 1))
        # a weekday is a working day already: refused, nothing stored
        try:
            add_local_days(city, days_text="2026-08-03", working=True, name="x", source="y",
                           user_id=None)
        except CalendarError as error:
            assert error.field == "days"
        else:
            raise AssertionError("a working weekday was accepted as a make-up day")


def test_an_opening_deadline_counts_in_the_requests_tenant(app: Flask) -> None:
    """Selection windows follow the request's tenant: the opening deadline of a request of
    the county is later by its local days."""
    with app.app_context():
        _root, home, _city, county = _tree()
        _local(county)
        db.session.commit()
        closes = datetime(2026, 7, 27, 9, tzinfo=SHANGHAI).astimezone(UTC)
        here = deadline(SelectionRequest(tenant_id=home, signup_closes_at=closes))
        there = deadline(SelectionRequest(tenant_id=county, signup_closes_at=closes))
        # two working days (SEALED_OPENING_WORKING_DAYS): Wed 07-29 at home; in the county
        # 07-28..07-30 are off, so Fri 07-31 and Mon 08-03
        assert app.config["SEALED_OPENING_WORKING_DAYS"] == 2
        assert here.astimezone(SHANGHAI).date() == date(2026, 7, 29)
        assert there.astimezone(SHANGHAI).date() == date(2026, 8, 3)


# --- clocks refreshed: that tenant's only -------------------------------------------------------

def test_a_change_of_a_tenants_days_refreshes_only_its_clocks(app: Flask) -> None:
    """A county's local holiday moves the due dates of its open clocks at once (same
    transaction); the home city's clocks keep their stamp and due date, and the next
    dashboard finds nothing stale; deleting the day moves them back."""
    with app.app_context():
        _root, home, city, county = _tree()
        started = datetime(2026, 7, 20, 2, tzinfo=UTC)
        made = {}
        for tenant in (home, city, county):
            clock = clocks.new_clock(ClockKind.SERVICE, 10, tenant_id=tenant)
            clocks.record(clock, "start", at=started)
            made[tenant] = clock.id
        db.session.commit()
        before = {t: (c.due_date, c.calendar_revision) for t, c in
                  ((t, db.session.get(Clock, i)) for t, i in made.items())}
        _local(county)
        db.session.commit()
        db.session.expire_all()
        after = {t: (c.due_date, c.calendar_revision) for t, c in
                 ((t, db.session.get(Clock, i)) for t, i in made.items())}
        assert after[home] == before[home] and after[city] == before[city]
        assert after[county][0] == before[county][0] + timedelta(days=3)
        assert after[county][1] == service.stamp(county) != before[county][1]
        # nothing left stale for the dashboards to refold
        stale = db.session.scalars(sa.select(Clock.id).where(
            Clock.calendar_revision.is_(None))).all()
        assert stale == []
        for tenant, clock_id in made.items():
            clock = db.session.get(Clock, clock_id)
            assert clocks.is_fresh(clock, clocks.calendar_revision(tenant))
        # a city's day reaches its county's clocks too, not the home city's
        _local(city, "2026-07-31")
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Clock, made[county]).due_date == before[county][0] + timedelta(4)
        assert db.session.get(Clock, made[city]).due_date == before[city][0] + timedelta(1)
        assert db.session.get(Clock, made[home]).due_date == before[home][0]
        # deleting the county's days moves its clock back by them
        for row in db.session.scalars(sa.select(CalendarLocalDay).where(
                CalendarLocalDay.division_id == county)).all():
            remove_local_day(county, row.id)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Clock, made[county]).due_date == before[county][0] + timedelta(1)


def test_another_process_sees_a_tenants_change_on_its_next_request(app: Flask) -> None:
    """The per-process cache is keyed by the revisions read from the database: a change
    made without this process's knowledge (another instance) is seen at once."""
    with app.app_context():
        _root, _home, _city, county = _tree()
        db.session.commit()
        assert service.current_calendar(county).is_working_day(date(2026, 7, 28))
        # as another instance would: rows and counter written, nothing else told
        db.session.add(CalendarLocalDay(division_id=county, day=date(2026, 7, 28), working=False,
                                        name="火把节", source=SOURCE,
                                        created_at=datetime(2026, 7, 1, tzinfo=UTC)))
        service.bump_local_revision(county)
        db.session.commit()
        assert not service.current_calendar(county).is_working_day(date(2026, 7, 28))


# --- the operators' page, the public calendar, the API ------------------------------------------

def test_a_city_operator_enters_its_local_holiday(app: Flask) -> None:
    """Bad data: 400, the message next to the field in Chinese, what was typed kept, nothing
    stored; good data: stored with its source, audited, on the public calendar of the
    city (not on the national one) and counted by the API with ?division."""
    operator = create_person(app, "operator")  # the home city's (云川市)
    with app.app_context():
        tenants.home_tenant()
        home = tenants.home_tenant()
        code = home.code
    client = app.test_client()
    login(client, operator.email)
    token = csrf_token(client, "/operator/calendar/local")
    for days, name, source, message in (
            ("2026-02-30", "火把节", SOURCE, "不存在的日期"),
            ("下周二", "火把节", SOURCE, "无法识别的日期"),
            ("", "火把节", SOURCE, "请填写日期"),
            (FIRE, "", SOURCE, "请填写节日或调休的名称"),
            (FIRE, "火把节", "", "请注明依据的地方性法规")):
        answer = client.post("/operator/calendar/local", data={
            "csrf_token": token, "days": days, "working": "rest", "name": name,
            "source": source})
        assert answer.status_code == 400, (days, name, source)
        assert message in answer.text
        assert 'class="error"' in answer.text
        if days:
            assert days in answer.text  # what was typed stays
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CalendarLocalDay.id))) == 0
    assert client.post("/operator/calendar/local", data={
        "csrf_token": token, "days": FIRE, "working": "rest", "name": "火把节",
        "source": SOURCE}).status_code == 302
    again = client.post("/operator/calendar/local", data={
        "csrf_token": token, "days": "2026-07-29", "working": "rest", "name": "火把节",
        "source": SOURCE})
    assert again.status_code == 400 and "已有本地日历条目" in again.text
    with app.app_context():
        rows = db.session.scalars(sa.select(CalendarLocalDay)).all()
        assert [(r.day.isoformat(), r.source) for r in rows] == [
            ("2026-07-28", SOURCE), ("2026-07-29", SOURCE), ("2026-07-30", SOURCE)]
        audit = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:calendar:local-add"))
        assert audit is not None and audit.details["source"] == SOURCE
    visitor = app.test_client()
    local_page = visitor.get(f"/calendar?year=2026&division={code}").text
    assert 'data-test="local-list"' in local_page and SOURCE in local_page
    assert local_page.count('data-test="local-cell"') == 3
    assert 'data-test="local-cell"' not in visitor.get("/calendar?year=2026").text
    assert visitor.get("/calendar?year=2026&division=123456").status_code == 404
    api = f"/api/calendar/add?start={START.isoformat()}&days=1"
    assert visitor.get(api).get_json()["due"] == "2026-07-28"
    assert visitor.get(f"{api}&division={code}").get_json()["due"] == "2026-07-31"
    count = "/api/calendar/count?from=2026-07-27&to=2026-07-31"
    assert visitor.get(count).get_json()["working_days"] == 4
    assert visitor.get(f"{count}&division={code}").get_json()["working_days"] == 1
    unknown = visitor.get(f"{api}&division=123456")
    assert unknown.status_code == 400 and "division" in unknown.get_json()["error"]["message"]


def test_an_operator_cannot_delete_another_tenants_day(app: Flask) -> None:
    """云川市's operator asks to delete a day of 云岭市: 404, the day stays; 云岭市's deletes
    it."""
    home_operator = create_person(app, "operator")
    with app.app_context():
        _root, _home, city, _county = _tree()
        _local(city, "2026-07-28")
        row = db.session.scalars(sa.select(CalendarLocalDay)).one()
        entry = row.id
        db.session.commit()
    other = create_person(app, "operator")
    with app.app_context():
        from market.accounts.models import Organisation

        org = db.session.get(Organisation, other.org_id)
        assert org is not None
        org.tenant_id = city
        db.session.commit()
    client = app.test_client()
    login(client, home_operator.email)
    refused = client.post(f"/operator/calendar/local/{entry}/delete",
                          data={"csrf_token": csrf_token(client, "/operator/calendar/local")})
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.get(CalendarLocalDay, entry) is not None
    owner = app.test_client()
    login(owner, other.email)
    page = owner.get("/operator/calendar/local")
    assert page.status_code == 200 and "2026-07-28" in page.text
    done = owner.post(f"/operator/calendar/local/{entry}/delete",
                      data={"csrf_token": csrf_token(owner, "/operator/calendar/local")})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(CalendarLocalDay, entry) is None
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.tag == "operator:calendar:local-remove")) == 1


def test_only_the_provincial_operator_edits_the_national_calendar(app: Flask) -> None:
    city_operator = create_person(app, "operator")
    provincial = create_person(app, "operator", provincial=True)
    city, province = app.test_client(), app.test_client()
    login(city, city_operator.email)
    login(province, provincial.email)
    refused = city.get("/operator/calendar/2026")
    assert refused.status_code == 403
    assert "只有省级运营方可以修改" in refused.text and "/operator/calendar/local" in refused.text
    assert province.get("/operator/calendar/2026").status_code == 200
    # the provincial operator's own local days reach every tenant
    assert province.post("/operator/calendar/local", data={
        "csrf_token": csrf_token(province, "/operator/calendar/local"), "days": "2026-07-28",
        "working": "rest", "name": "全省节日", "source": "某省民族节日条例"}).status_code == 302
    with app.app_context():
        home = tenants.home_tenant()
        assert not service.current_calendar(home.id).is_working_day(date(2026, 7, 28))
