"""Owner activation: a self-registered owner may log in and prepare but publishes only after
the operator's check; a refusal carries a reason the applicant sees and gives up the name and
the credit code; names are unique however they are spaced, widened or cased."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from market import timeutil
from market.accounts import operations as ops
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, OrgKind, User
from market.accounts.operations import AccountError
from market.db import db
from market.domain.codes import make_credit_code
from market.notify.models import Notification
from market.selection.models import SelectionRequest
from tests.conftest import create_person, csrf_token, login
from tests.selection.conftest import START, City, city  # noqa: F401  # the fixture
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form

BUREAU = "云川市住房和城乡建设局"


def code(n: int) -> str:
    return make_credit_code(f"11539900MB{n:07d}")


def register(client: FlaskClient, *, kind: str = "owner", org_name: str = BUREAU,
             credit_code: str | None = None, email: str = "applicant@test.example.cn") -> int:
    return client.post("/register", data={
        "kind": kind, "org_name": org_name, "credit_code": credit_code or code(1),
        "region": "云川市东城区", "name": "申请人", "email": email, "phone": "",
        "password": "good-password-1", "confirm": "good-password-1",
        "csrf_token": csrf_token(client, "/register")}).status_code


def org_named(app: Flask, name: str) -> Organisation:
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
        assert org is not None
        db.session.expunge(org)
        return org


def test_a_registered_owner_starts_pending_and_sees_it(app: Flask) -> None:
    c = app.test_client()
    assert register(c) == 302
    assert org_named(app, BUREAU).status == "pending"
    page = c.get("/dashboard").get_data(as_text=True)
    assert "待核验" in page and 'data-test="owner-pending"' in page


def test_an_owner_publishes_only_after_the_operator_activates_it(city: City) -> None:  # noqa: F811
    with city.app.app_context():
        db.session.get(Organisation, city.owner.org_id).status = "pending"
        db.session.commit()
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city))  # projects and drafts are allowed
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 302
        public_id = r.headers["Location"].rsplit("/", 1)[1]
        page = c.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        assert 'data-test="publish-waits"' in page and 'data-test="publish"' not in page
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        assert "尚未通过平台运营方核验" in c.get(r.headers["Location"]).get_data(as_text=True)
        with city.app.app_context():
            assert db.session.scalar(sa.select(SelectionRequest.state)) == "draft"

        op = city.client(city.operator)
        queue = op.get("/operator/owners").get_data(as_text=True)
        with city.app.app_context():
            owner = db.session.get(Organisation, city.owner.org_id)
            db.session.expunge(owner)
        assert f'data-test="pending-{owner.public_id}"' in queue
        r = op.post(f"/operator/owners/{owner.public_id}/activate",
                    data={"csrf_token": csrf_token(op, "/operator/owners")})
        assert r.status_code == 302
        with city.app.app_context():
            assert db.session.get(Organisation, owner.id).status == "active"
            assert db.session.scalar(sa.select(AuditEvent.tag).where(
                AuditEvent.target == owner.public_id).order_by(AuditEvent.id.desc())) == \
                "operator:owner:activate"
            assert db.session.scalar(sa.select(Notification.subject).where(
                Notification.organisation_id == owner.id)).startswith("【已通过核验】")
        assert "已核验" in c.get("/dashboard").get_data(as_text=True)
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        with city.app.app_context():
            assert db.session.scalar(sa.select(SelectionRequest.state)) == "open"


def test_a_refusal_has_a_reason_the_applicant_sees_and_releases_name_and_code(app: Flask):
    operator = create_person(app, "operator")
    squatter = app.test_client()
    assert register(squatter, email="squatter@test.example.cn") == 302
    org = org_named(app, BUREAU)
    op = app.test_client()
    login(op, operator.email)
    prefix = f"o{org.id}-"

    r = op.post(f"/operator/owners/{org.public_id}/refuse", data={
        prefix + "reason": "   ", prefix + "csrf_token": csrf_token(op, "/operator/owners")})
    assert r.status_code == 400 and "请填写此项" in r.get_data(as_text=True)
    assert org_named(app, BUREAU).status == "pending"

    reason = "单位名称与统一社会信用代码不符，且申请人不能证明代表该局。"
    r = op.post(f"/operator/owners/{org.public_id}/refuse", data={
        prefix + "reason": reason, prefix + "csrf_token": csrf_token(op, "/operator/owners")})
    assert r.status_code == 302
    refused = org_named(app, BUREAU)
    assert (refused.status, refused.status_reason) == ("rejected", reason)
    assert refused.name_key is None and refused.credit_code is None
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:owner:refuse"))
        assert event.details["credit_code"] == code(1) and event.user_id == operator.user_id
        note = db.session.scalar(sa.select(Notification).where(
            Notification.organisation_id == refused.id))
        assert reason in note.body
    page = squatter.get("/dashboard").get_data(as_text=True)
    assert reason in page and 'data-test="owner-refused"' in page
    # A second operator acting on the same registration is told it is already decided.
    r = op.post(f"/operator/owners/{org.public_id}/activate",
                data={"csrf_token": csrf_token(op, "/operator/owners")})
    assert "不在待核验状态" in op.get(r.headers["Location"]).get_data(as_text=True)
    assert org_named(app, BUREAU).status == "rejected"

    # The real bureau registers with its own name and code.
    real = app.test_client()
    assert register(real, email="bureau@test.example.cn") == 302

    # The refused applicant may correct the details, but not take the name back.
    def reapply(name: str, credit: str) -> int:
        return squatter.post("/org/reapply", data={
            "org_name": name, "credit_code": credit, "region": "云川市",
            "csrf_token": csrf_token(squatter, "/dashboard")}).status_code

    assert reapply(BUREAU + "\u3000", code(2)) == 400
    assert reapply("云川某某置业有限公司", code(1)) == 400  # the bureau's code
    assert reapply("云川某某置业有限公司", code(3)) == 302
    again = org_named(app, "云川某某置业有限公司")
    assert (again.status, again.status_reason, again.credit_code) == ("pending", None, code(3))


def _register_second(client: FlaskClient, org_name: str) -> TestResponse:
    return client.post("/register", data={
        "kind": "owner", "org_name": org_name, "credit_code": code(9), "region": "云川市",
        "name": "后来者", "email": "second@test.example.cn", "phone": "",
        "password": "good-password-1", "confirm": "good-password-1",
        "csrf_token": csrf_token(client, "/register")})


def _only_the_first_is_stored(app: Flask) -> None:
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


@pytest.mark.parametrize("lookalike", ["云川青禾环境科技有限公司 ", "云川青禾环境科技\u3000有限公司"])
def test_a_name_that_reads_the_same_is_refused_and_nothing_stored(any_app: Flask,
                                                                   lookalike: str) -> None:
    assert register(any_app.test_client(), kind="agency", org_name="云川青禾环境科技有限公司",
                    email="first@test.example.cn") == 302
    r = _register_second(any_app.test_client(), lookalike)
    assert r.status_code == 400
    assert "已有单位使用这个名称" in r.get_data(as_text=True)
    _only_the_first_is_stored(any_app)


def test_a_name_with_an_invisible_character_is_refused_for_that_character(any_app: Flask) -> None:
    """The form edge names the invisible character (where it is, what it is) before the name
    rule sees the name: the person learns what to delete, with what they typed kept."""
    assert register(any_app.test_client(), kind="agency", org_name="云川青禾环境科技有限公司",
                    email="first@test.example.cn") == 302
    r = _register_second(any_app.test_client(), "云川青禾环境科技\u200b有限公司")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "第 9 个字符是看不见的控制字符或格式字符（U+200B 零宽空格" in page
    assert "已有单位使用这个名称" not in page  # one message: the character to delete
    assert 'value="云川青禾环境科技\u200b有限公司"' in page
    _only_the_first_is_stored(any_app)


def test_a_lookalike_name_that_skips_the_form_is_refused_by_the_name_rule(app: Flask) -> None:
    """Loaders and commands create organisations without the form edge: the name's key still
    drops the invisible character, so the lookalike is refused there too."""
    with app.app_context():
        ops.create_organisation(OrgKind.AGENCY, "云川青禾环境科技有限公司")
        db.session.commit()
        with pytest.raises(AccountError) as refused:
            ops.create_organisation(OrgKind.OWNER, "云川青禾环境科技\u200b有限公司")
        assert refused.value.field == "org_name"
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1


def test_names_are_stored_cleaned(app: Flask) -> None:
    assert register(app.test_client(), org_name="  云川\u3000市 \u3000东城区教育局 ") == 302
    org = org_named(app, "云川 市 东城区教育局")
    assert org.name_key == "云川市东城区教育局"
    with app.app_context():  # what reaches the rule without the form edge
        shown = ops.create_organisation(OrgKind.OWNER, "云川市\u200b西城区教育局 ").name
        assert shown == "云川市西城区教育局"


@pytest.mark.postgres
def test_concurrent_registrations_of_one_name_give_one_organisation(pg_app: Flask) -> None:
    """Both pass the name check before either inserts; the unique key refuses the second,
    which answers 400 next to the field, never a 500."""
    n = 6
    clients = [pg_app.test_client() for _ in range(n)]
    tokens = [csrf_token(c, "/register") for c in clients]
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def go(i: int) -> None:
        barrier.wait()
        codes.append(clients[i].post("/register", data={
            "kind": "owner", "org_name": "云川市并发测试局", "credit_code": code(100 + i),
            "region": "云川市", "name": f"人{i}", "email": f"race{i}@test.example.cn",
            "phone": "", "password": "good-password-1", "confirm": "good-password-1",
            "csrf_token": tokens[i]}).status_code)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [302] + [400] * (n - 1)
    with pg_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
