"""The dashboard's draw to-dos (摇号待办): decided by the database for every lottery at once,
the same as the per-lottery rules of the draw page (witness_status, external_status); the
dashboard shows the first few with a count and a link, the paged list shows them all."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection import tasks, views_public
from market.selection.models import Lottery, SelectionRequest
from tests.conftest import Person, csrf_token
from tests.selection.conftest import START, City, city_in
from tests.support.selection_flow import publish, sign_up


def _beijing(at: datetime) -> str:
    return at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _lottery_of(city: City, public_id: str) -> tuple[str, datetime]:
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).join(
            SelectionRequest, SelectionRequest.id == Lottery.request_id).where(
            SelectionRequest.public_id == public_id).order_by(Lottery.id.desc()))
        return lottery.lottery_id, lottery.external_at


def _witness(city: City, who: Person, lottery_id: str, value: str) -> None:
    c = city.client(who)
    r = c.post(f"/lotteries/{lottery_id}/witness", data={
        "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]


def _published(city: City, code: str, closes: datetime | None = None) -> str:
    with timeutil.frozen(START):
        extra = {"signup_closes_at": _beijing(closes)} if closes else {}
        req = publish(city, code=code, title=f"第{code}号工程环评", **extra)
        for a in city.agencies[:3]:
            assert sign_up(city, a, req.public_id) == 302
    return req.public_id


def _scene(city: City) -> tuple[datetime, dict[str, str]]:
    """Five lotteries, one of each kind of to-do, seen at the returned time:
    ``typed_one`` (frozen, the delegate typed: the regulator is due), ``none_typed`` (frozen:
    the delegate is due, the regulator waits for them), ``external`` (past its external time,
    both witnesses in: anyone may enter it), ``proposed`` (the operator entered it: theirs is
    pending, the regulator may confirm it), ``open`` (sign-up still open: not_open)."""
    ids = {}
    ids["external"], ids["proposed"] = _published(city, "000301"), _published(city, "000302")
    lot_ext, external_at = _lottery_of(city, ids["external"])
    lot_prop, _ = _lottery_of(city, ids["proposed"])
    # the other frozen ones close an hour before the first external value is public, so
    # they are frozen then and their own external time (at least 2 hours on) is still ahead
    closes = (external_at - timedelta(hours=1)).replace(second=0, microsecond=0)
    ids["typed_one"] = _published(city, "000303", closes)
    ids["none_typed"] = _published(city, "000304", closes)
    ids["open"] = _published(city, "000305", external_at + timedelta(days=10))
    with timeutil.frozen(closes + timedelta(minutes=5)):  # the first two are frozen by now
        for lot in (lot_ext, lot_prop):
            _witness(city, city.delegate, lot, "20260309")
            _witness(city, city.regulator, lot, "88112233")
    seen = external_at + timedelta(minutes=20)
    with timeutil.frozen(seen):
        _witness(city, city.delegate, _lottery_of(city, ids["typed_one"])[0], "11223344")
        c = city.client(city.operator)
        official = external_at.astimezone(timeutil.SHANGHAI).date().isoformat()
        r = c.post(f"/lotteries/{lot_prop}/external", data={
            "value": "3 7 12 19 25 31 + 9", "official_date": official,
            "csrf_token": csrf_token(c, f"/lotteries/{lot_prop}")})
        assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    return seen, {k: _lottery_of(city, v)[0] for k, v in ids.items()}


def _by_the_rules(user: User) -> list[tuple[str, str, str, str]]:
    """Every to-do by the draw page's per-lottery rules (what the dashboard computed before)."""
    now = timeutil.now()
    found = []
    for lottery in db.session.scalars(sa.select(Lottery).where(
            Lottery.state.in_(["open", "frozen"])).order_by(Lottery.id)):
        status = tasks.witness_status(lottery, user)
        if status and status["state"] in ("not_open", "waiting", "due"):
            found.append((lottery.lottery_id, "witness", status["state"],
                          status.get("before", "")))
        if lottery.state == "frozen" and lottery.external_at <= now:
            status = tasks.external_status(lottery, user)
            if status and status["state"] in ("enter", "confirm", "mine"):
                found.append((lottery.lottery_id, "external", status["state"], ""))
    return sorted(found)


def _outsiders(app: Flask) -> dict[str, str]:
    """People outside the city's scope, by e-mail."""
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, RegulatorKind, Role
    from tests.conftest import PASSWORD

    with app.app_context():
        other = tenants.add("539700", "云峰市", tenant=True).id
        home, root = tenants.home_tenant().id, tenants.province()
        assert root is not None
        made = {"tenant": (OrgKind.REGULATOR, other, RegulatorKind.CENTRE, Role.REGULATOR),
                "other_operator": (OrgKind.OPERATOR, other, None, Role.OPERATOR),
                "industry": (OrgKind.REGULATOR, home, RegulatorKind.INDUSTRY, Role.REGULATOR),
                "province": (OrgKind.REGULATOR, root.id, RegulatorKind.PROVINCE,
                             Role.REGULATOR)}
        emails = {}
        for who, (kind, tenant, rk, role) in made.items():
            org = ops.create_organisation(kind, f"{who}单位", tenant_id=tenant, regulator_kind=rk)
            emails[who] = f"{who}@tasks.example.cn"
            ops.add_member(org, name=f"{who}人员", email=emails[who], role=role,
                           password=PASSWORD)
        db.session.commit()
    return emails


@pytest.fixture
def any_city(any_app: Flask) -> City:
    """The selection city on SQLite and on PostgreSQL (the to-dos are one SQL statement)."""
    return city_in(any_app)


def test_the_database_decides_as_the_per_lottery_rules(any_city: City) -> None:
    city = any_city
    seen, lots = _scene(city)
    expected = {
        "delegate": {(lots["none_typed"], "due"), (lots["external"], "enter"),
                     (lots["open"], "not_open")},
        "regulator": {(lots["typed_one"], "due"), (lots["none_typed"], "waiting"),
                      (lots["external"], "enter"), (lots["proposed"], "confirm"),
                      (lots["open"], "not_open")},
        "operator": {(lots["external"], "enter"), (lots["proposed"], "mine")},
        "owner": set(),
        # outside the requests' scope: another city's regulator and operator, an industry
        # regulator of another service type, the province (reads, does not type)
        "tenant": set(), "other_operator": set(), "industry": set(), "province": set(),
    }
    emails = {**{n: getattr(city, n).email for n in ("delegate", "regulator", "operator",
                                                      "owner")}, **_outsiders(city.app)}
    with city.app.app_context(), timeutil.frozen(seen):
        for name, want in expected.items():
            user = db.session.scalar(sa.select(User).where(User.email == emails[name]))
            found = tasks.my_tasks(user, limit=1000)
            got = sorted((t.lottery_id, t.kind, t.state, t.detail) for t in found.tasks)
            assert got == _by_the_rules(user), name
            assert {(t.lottery_id, t.state) for t in found.tasks} == want, name
            assert found.total == len(want)
            # most urgent first, the deadline (or opening time) of each
            ranks = [["due", "confirm", "enter", "waiting", "mine", "not_open"].index(t.state)
                     for t in found.tasks]
            assert ranks == sorted(ranks)
            # a page is a slice of the whole list, and carries the count
            page = tasks.my_tasks(user, limit=2, offset=1)
            assert [t.lottery_id for t in page.tasks] == [
                t.lottery_id for t in found.tasks[1:3]]
            assert page.total == found.total
            past = tasks.my_tasks(user, limit=2, offset=50)
            assert past.tasks == [] and past.total == found.total
        waiting = next(t for t in tasks.my_tasks(db.session.scalar(sa.select(User).where(
            User.email == city.regulator.email)), limit=10).tasks if t.state == "waiting")
        assert waiting.detail == db.session.scalar(sa.select(User.name).where(
            User.email == city.delegate.email))


@pytest.mark.parametrize("who", ["regulator", "delegate"])
def test_a_witness_dashboard_closes_a_sign_up_that_has_ended(any_city: City, who: str) -> None:
    """The dashboard closes the sign-up of a lottery its witness is to type for once the time
    is past, whether the witness is a regulator (whose to-dos start from the lotteries still
    open) or the owner's delegate (from their own few witness rows)."""
    city = any_city
    public_id = _published(city, "000401")
    with city.app.app_context():
        closes = db.session.scalar(sa.select(SelectionRequest.signup_closes_at).where(
            SelectionRequest.public_id == public_id))
    assert closes is not None
    lottery_id = _lottery_of(city, public_id)[0]
    c = city.client(getattr(city, who))
    with timeutil.frozen(closes - timedelta(minutes=1)):
        assert c.get("/dashboard").status_code == 200
        with city.app.app_context():
            assert db.session.scalar(sa.select(Lottery.state).where(
                Lottery.lottery_id == lottery_id)) == "open"
    with timeutil.frozen(closes + timedelta(minutes=1)):
        page = c.get("/dashboard").get_data(as_text=True)
    with city.app.app_context():
        assert db.session.scalar(sa.select(Lottery.state).where(
            Lottery.lottery_id == lottery_id)) == "frozen"
    assert f'href="/lotteries/{lottery_id}"' in page


def test_the_dashboard_shows_the_first_and_the_list_shows_all(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    seen, lots = _scene(city)
    monkeypatch.setattr(tasks, "DASHBOARD_TASKS", 2)
    monkeypatch.setattr(views_public, "PER_PAGE", 2)
    c = city.client(city.regulator)
    with timeutil.frozen(seen):
        page = c.get("/dashboard").get_data(as_text=True)
        states = re.findall(r'data-test="draw-task" data-state="(\w+)"', page)
        assert states == ["due", "confirm"]  # the two most urgent
        assert 'data-test="all-draw-tasks"' in page and "查看全部 5 项" in page
        listed = []
        for n in (1, 2, 3):
            body = c.get(f"/draw-tasks?page={n}").get_data(as_text=True)
            assert f"第 {n} / 3 页，共 5 条" in body
            listed += re.findall(r'data-test="draw-task" data-state="(\w+)"><a href="/lotteries/'
                                 r'(LT-[\w-]+)"', body)
        assert [s for s, _ in listed] == ["due", "confirm", "enter", "waiting", "not_open"]
        assert {lot for _, lot in listed} == {lots[k] for k in (
            "typed_one", "proposed", "external", "none_typed", "open")}
        assert c.get("/draw-tasks?page=9").status_code == 200  # past the end: an empty page
        assert c.get("/draw-tasks?page=abc").status_code == 200  # read as the first
        # with room for all, the dashboard shows every one and no link
        monkeypatch.setattr(tasks, "DASHBOARD_TASKS", 10)
        page = c.get("/dashboard").get_data(as_text=True)
        assert re.findall(r'data-test="draw-task" data-state="(\w+)"', page) == [
            "due", "confirm", "enter", "waiting", "not_open"]
        assert 'data-test="all-draw-tasks"' not in page
        # the operator: every kind of external to-do, in English too
        c = city.client(city.operator)
        page = c.get("/dashboard").get_data(as_text=True)
        assert re.findall(r'data-test="draw-task" data-state="(\w+)"', page) == ["enter", "mine"]
        c.post("/language", data={"lang": "en", "csrf_token": csrf_token(c, "/")})
        body = c.get("/draw-tasks").get_data(as_text=True)
        assert "To-dos" in body and "待办事项" not in body


def _plan(statement: sa.Select[object], params: dict[str, object]) -> str:
    """SQLite's plan for ``statement`` with ``params``."""
    state = statement.compile(db.engine).construct_expanded_state(params)
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {state.statement}",
                                                   tuple(state.positional_parameters))
    return "\n".join(str(row[-1]) for row in rows)


# The statistics of the load data (10,000 agencies, 5,000 requests, 2,000 draws; ANALYZE): a
# witness's user id looks selective (16 rows each on average), a lottery state does not (500).
LOAD_STATISTICS = [
    ("selection_request", "ix_selection_request_state", "5000 1000"),
    ("selection_request", "ix_selection_request_owner_org_id", "5000 25"),
    ("lottery", "ix_lottery_request_id", "2000 1"), ("lottery", "ix_lottery_state", "2000 500"),
    ("witness", "ix_witness_user_id", "3058 16"), ("witness", "ix_witness_request_id", "3058 2"),
]


def test_an_operator_or_regulator_to_dos_start_from_the_live_lotteries(app: Flask) -> None:
    """Operators and regulators witness every draw of a tenant: their to-dos and the closing
    test are planned from the lotteries' state, never by walking all their witness rows (which
    grow with every draw held; a regulator had 1,058 in the load data).  Anyone else's start
    from their own few witness rows, as the statistics suggest."""
    params = {"user_id": 1, "now": timeutil.now(), "limit": 10, "offset": 0}
    with app.app_context():
        connection = db.session.connection()
        connection.exec_driver_sql("ANALYZE")  # makes the (empty) statistics table
        for row in LOAD_STATISTICS:
            connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
        connection.exec_driver_sql("ANALYZE sqlite_schema")  # reloads the statistics
        for statement in (tasks._closing(True), tasks._statements(True, True)[1],
                          tasks._statements(True, False)[1]):
            plan = _plan(statement, params)
            assert "ix_witness_user_id" not in plan and "ix_lottery_state" in plan, plan
        for statement in (tasks._closing(False), tasks._statements(False, False)[1]):
            assert "ix_witness_user_id" in _plan(statement, params)
