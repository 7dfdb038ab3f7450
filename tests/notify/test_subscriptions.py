"""Agencies hear about work (公告订阅): an agency subscribes on its page by service type and
region; a matching notice reaches it at once — in the app, by e-mail through a real SMTP server
on loopback, by SMS through a loopback stand-in of the gateway (no SMS provider can run here) —
or in one daily digest, written once however many runs race; a direct selection, another
service type or another region reach nobody; bad input is refused next to its field and changes
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, Role
from market.catalogue.models import ServiceType
from market.db import db
from market.notify.models import Notification, Subscription
from market.notify.reminders import tick
from market.notify.subscriptions import send_digests
from tests.conftest import create_person, csrf_token
from tests.selection.conftest import START, City
from tests.support.mail import Inbox
from tests.support.selection_flow import project, publish, request_form
from tests.support.sms import TOKEN, Gateway

PAGE = "/agency/subscriptions"
WEST = "云川市西岭区"


def _other_service(app: Flask) -> str:
    """A second service type in the catalogue (the city has only 环评)."""
    with app.app_context():
        db.session.add(ServiceType(code="SURVEY", name="测绘", name_en="Surveying"))
        db.session.commit()
    return "SURVEY"


def _add_west_owner(city: City) -> None:
    """A second owner unit in another region, so the page offers two regions."""
    owner = create_person(city.app, Role.OWNER_ADMIN)
    with city.app.app_context():
        db.session.get(Organisation, owner.org_id).region = WEST
        db.session.commit()


def _subscribe(city: City, who: int, **fields: object) -> object:
    c = city.client(city.agencies[who])
    data = {"service_codes": ["EIA"], "regions": [], "frequency": "now", "sms_phone": "",
            **fields, "csrf_token": csrf_token(c, PAGE)}
    return c.post(PAGE, data=data)


def _notices(app: Flask, org_id: int) -> list[Notification]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(
            Notification.organisation_id == org_id,
            Notification.state.in_(["published", "digest"])).order_by(Notification.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_a_matching_notice_reaches_the_subscriber_at_once_by_every_channel(
        city: City, smtp: tuple[Inbox, int], sms_gateway: Gateway) -> None:
    inbox, port = smtp
    app = city.app
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port),
                      SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN=TOKEN)
    _add_west_owner(city)
    other = _other_service(app)
    with timeutil.frozen(START - timedelta(hours=1)):
        page = city.client(city.agencies[0]).get(PAGE).get_data(as_text=True)
        assert WEST in page and "云川市" in page and 'name="sms_phone"' in page
        assert _subscribe(city, 0, sms_phone="13912345678").status_code == 302  # EIA, anywhere
        assert _subscribe(city, 1, service_codes=[other]).status_code == 302  # another service
        assert _subscribe(city, 2, regions=[WEST]).status_code == 302  # another region
        assert _subscribe(city, 3, frequency="daily").status_code == 302  # the digest
    with timeutil.frozen(START):
        req = publish(city)
    mine = _notices(app, city.agencies[0].org_id)
    assert [(n.subject, n.link, n.sms_phone) for n in mine] == [
        (f"【新公告】{req.title}", f"/notices/{req.public_id}", "13912345678")]
    for who in (1, 2, 3):
        assert _notices(app, city.agencies[who].org_id) == []
    with timeutil.frozen(START + timedelta(minutes=5)), app.app_context():
        result = tick()
        assert result.texted == 1
        assert tick().texted == 0  # once
    assert [m["to"] for m in sms_gateway.sent] == ["13912345678"]
    assert req.title in sms_gateway.sent[0]["text"]
    assert f"/notices/{req.public_id}" in sms_gateway.sent[0]["text"]
    assert len(sms_gateway.sent[0]["text"]) <= 140
    rcpts = {r for m in inbox.messages for r in m.rcpt_tos}
    assert city.agencies[0].email in rcpts
    assert not {city.agencies[i].email for i in (1, 2, 3)} & rcpts


def test_the_daily_digest_is_written_once_the_morning_after(city: City) -> None:
    app = city.app
    with timeutil.frozen(START - timedelta(hours=1)):
        assert _subscribe(city, 3, frequency="daily").status_code == 302
    with timeutil.frozen(START):  # Monday 09:00 in Beijing
        req = publish(city)
    with timeutil.frozen(START + timedelta(hours=10)), app.app_context():  # 19:00: not yet
        assert send_digests(timeutil.now()) == 0
    # Tuesday 07:59 in Beijing is before the digest hour; 08:05 is after
    with timeutil.frozen(START + timedelta(hours=22, minutes=59)), app.app_context():
        assert send_digests(timeutil.now()) == 0
    with timeutil.frozen(START + timedelta(hours=23, minutes=5)), app.app_context():
        assert send_digests(timeutil.now()) == 1
        assert send_digests(timeutil.now()) == 0  # a second run the same morning
        # a run that has not seen the first one's progress still writes nothing twice
        db.session.execute(sa.update(Subscription).values(digest_until=None))
        db.session.commit()
        assert send_digests(timeutil.now()) == 0
    [digest] = _notices(app, city.agencies[3].org_id)
    assert digest.subject == "【每日汇总】2026-03-03 新公告 1 条"
    assert req.public_id in digest.body and req.title in digest.body
    with timeutil.frozen(START + timedelta(days=1, hours=23, minutes=5)), app.app_context():
        assert send_digests(timeutil.now()) == 0  # nothing new on Wednesday: no digest


def test_a_direct_selection_reaches_no_subscriber(city: City) -> None:
    app = city.app
    with timeutil.frozen(START - timedelta(hours=1)):
        assert _subscribe(city, 0).status_code == 302
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = request_form(city, project(city), method="direct", price="40000",
                            signup_closes_at="", direct_agency=city.agency_id(city.agencies[1]))
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        rid = c.post("/owner/requests/new", data=data).headers["Location"].rsplit("/", 1)[1]
        assert c.post(f"/owner/requests/{rid}/publish", data={
            "csrf_token": csrf_token(c, f"/owner/requests/{rid}")}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.tag == "owner:request:publish", AuditEvent.target == rid)) is not None
    assert _notices(app, city.agencies[0].org_id) == []


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"service_codes": []}, "service_codes", "请至少选择一个中介服务事项。"),
    ({"service_codes": ["NO-SUCH"]}, "service_codes", "所选中介服务事项不存在。"),
    ({"regions": ["火星"]}, "regions", "所选地区不存在。"),
    ({"sms_phone": "1391234567"}, "sms_phone", "请输入 11 位手机号码。"),
])
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
        city: City, sms_gateway: Gateway, fields: dict[str, object], field: str,
        message: str) -> None:
    city.app.config.update(SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN=TOKEN)
    r = _subscribe(city, 0, **fields)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert message in html
    if field == "sms_phone":
        assert 'value="1391234567"' in html  # what was typed stays
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0
        assert db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.tag == "agency:subscription:save")) is None


def test_a_phone_is_refused_when_the_platform_has_no_sms(city: City) -> None:
    page = city.client(city.agencies[0]).get(PAGE).get_data(as_text=True)
    assert 'name="sms_phone"' not in page and 'data-test="sms-off"' in page
    r = _subscribe(city, 0, sms_phone="13912345678")
    assert r.status_code == 400 and "平台未开通短信通知。" in r.get_data(as_text=True)


def test_the_agency_changes_and_cancels_its_subscription_audited(city: City) -> None:
    app = city.app
    other = _other_service(app)
    assert _subscribe(city, 0).status_code == 302
    assert _subscribe(city, 0, service_codes=["EIA", other], frequency="daily").status_code == 302
    with app.app_context():
        row = db.session.scalars(sa.select(Subscription)).one()
        assert (sorted(row.service_codes), row.daily) == (sorted(["EIA", other]), True)
    page = city.client(city.agencies[0]).get(PAGE).get_data(as_text=True)
    assert "每日汇总一次" in page and 'data-test="subscription-cancel"' in page
    c = city.client(city.agencies[0])
    assert c.post(PAGE + "/cancel", data={"csrf_token": csrf_token(c, PAGE)}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0
        tags = db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.tag.like("agency:subscription:%")).order_by(AuditEvent.id)).all()
    assert tags == ["agency:subscription:save", "agency:subscription:save",
                    "agency:subscription:cancel"]
    # nothing to cancel any more: refused, nothing written
    assert c.post(PAGE + "/cancel", data={"csrf_token": csrf_token(c, PAGE)}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.tag == "agency:subscription:cancel")) == 1


def test_a_refused_sms_is_kept_as_an_error_and_not_retried(
        city: City, sms_gateway: Gateway) -> None:
    app = city.app
    app.config.update(SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN=TOKEN)
    with timeutil.frozen(START - timedelta(hours=1)):
        assert _subscribe(city, 0, sms_phone="13912345678").status_code == 302
    with timeutil.frozen(START):
        publish(city)
    sms_gateway.status = 503
    with timeutil.frozen(START + timedelta(minutes=5)), app.app_context():
        assert tick().texted == 0
        [n] = db.session.scalars(sa.select(Notification).where(
            Notification.sms_phone.is_not(None))).all()
        assert n.smsed_at is None and n.sms_error == "gateway answered 503"
    assert sms_gateway.sent == []
