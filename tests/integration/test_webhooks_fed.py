"""The webhooks hear the domain events: the engagements' operations and the clocks' periodic
tick send them inside their change's transaction, and the outbox queues one message per event
for each endpoint that may see the project (shared/spec/integration.md §5)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.integration.models import WebhookDelivery, WebhookMessage
from market.notify import reminders as notify
from tests.engagements.conftest import (
    PDF,
    START,
    City,
    engagement_id_of,
    make_award,
    make_matter,
    post,
)
from tests.integration.helpers import bearer, make_client, token
from tests.selection.conftest import city  # noqa: F401  # the fixture

EVENTS = ["engagement.started", "engagement.paused", "engagement.resumed",
          "deliverable.submitted", "deliverable.accepted", "deliverable.returned",
          "engagement.overdue"]


def _messages(c: City) -> list[tuple[str, str]]:
    with c.app.app_context():
        return [(m.type, m.project_code) for m in db.session.scalars(
            sa.select(WebhookMessage).order_by(WebhookMessage.id))]


def test_the_engagements_operations_and_the_tick_feed_the_outbox(
        city: City) -> None:  # noqa: F811  # the fixture
    app = city.app
    platform = make_client(app, "webhooks:manage projects:read deliverables:read",
                           name="省级平台")
    http = app.test_client()
    with timeutil.frozen(START):
        r = http.post("/api/v1/webhooks", headers=bearer(token(http, platform)),
                      json={"url": "http://127.0.0.1:9/hook", "events": EVENTS})
        assert r.status_code == 201, r.get_data(as_text=True)
    make_matter(app)
    delivered = make_award(app, city, service_days=10)
    late = make_award(app, city, agency_index=1, service_days=3)
    owner = city.client(city.owner)
    agency, other = city.client(city.agencies[0]), city.client(city.agencies[1])
    with timeutil.frozen(START):
        eid, late_id = engagement_id_of(app, delivered), engagement_id_of(app, late)
        for who, e in ((agency, eid), (other, late_id)):
            assert post(owner, f"/engagements/{e}/contract",
                        file=(PDF, "合同.pdf")).status_code == 302
            assert post(who, f"/engagements/{e}/contract/confirm").status_code == 302
        assert post(agency, f"/engagements/{eid}/materials",
                    {"what": "地形图"}).status_code == 302
    with timeutil.frozen(START + timedelta(days=1)):
        assert post(owner, f"/engagements/{eid}/materials/answer",
                    {"answer": "已提供"}).status_code == 302
        assert post(agency, f"/engagements/{eid}/deliverables",
                    file=(PDF, "报告.pdf")).status_code == 302
        assert post(owner, f"/engagements/{eid}/accept").status_code == 302
    with app.app_context():
        code = db.session.execute(sa.text(
            "SELECT p.code FROM project p JOIN engagement e ON e.project_id = p.id "
            "WHERE e.public_id = :e"), {"e": eid}).scalar_one()
    seen = [t for t, c in _messages(city) if c == code]
    assert seen == ["engagement.started", "engagement.paused", "engagement.resumed",
                    "deliverable.submitted", "deliverable.accepted"], seen
    before = len(_messages(city))
    for _ in range(2):  # the second tick finds the notification made: no second event
        with timeutil.frozen(START + timedelta(days=14)), app.app_context():
            notify.tick()
    overdue = _messages(city)[before:]
    assert [t for t, _c in overdue] == ["engagement.overdue"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == \
            len(_messages(city))
