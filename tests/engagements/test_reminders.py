"""``flask clocks tick``: reminders once per clock and state, in-app and by e-mail through a real
SMTP server on loopback, even when two ticks run at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.notify.models import Notification
from market.notify.reminders import tick
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.selection.conftest import START, City
from tests.support.mail import (
    Inbox,
    smtp,  # noqa: F401  # the fixture
)


def test_tick_reminds_once_by_app_and_mail(city: City, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    app = city.app
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    award_id = make_award(app, city, service_days=3)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        assert post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code == 302
        assert post(owner, f"/engagements/{eid}/contract/confirm").status_code == 302
        with app.app_context():
            assert tick().notified == 0  # normal: nothing to say
    with timeutil.frozen(START + timedelta(days=2)):  # 1 working day left: warning
        results = []

        def run() -> None:
            with app.app_context():
                results.append(tick())

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with app.app_context():
            rows = db.session.scalars(sa.select(Notification)).all()
            assert {(n.organisation_id, n.state) for n in rows} == {
                (city.agencies[0].org_id, "warning"), (city.owner.org_id, "warning")}
            assert all(n.emailed_at is not None for n in rows)
        assert sum(r.notified for r in results) == 2
        assert len(inbox.messages) == 2  # once each, though two ticks ran
        assert "即将到期" in agency.get("/notifications").get_data(as_text=True)
    with timeutil.frozen(START + timedelta(days=7)):  # overdue: one more per organisation
        with app.app_context():
            first = tick()
            assert (first.notified, first.escalated) == (2, 1)  # and the ladder's warning
            assert (tick().notified, tick().escalated) == (0, 0)
        # the overdue reminders, and the electronic supervision warning to the agency
        # (two working days late; tests/supervision)
        assert len(inbox.messages) == 5
        recipients = {r for m in inbox.messages for r in m.rcpt_tos}
        assert city.agencies[0].email in recipients and city.owner.email in recipients
