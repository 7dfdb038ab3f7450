"""The demo city's sanctions, complaints and ratings; its fair draws are not flagged."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from market.credit import sanctions as credit_sanctions
from market.credit.models import Sanction
from market.db import db
from market.regulator import fairness_data
from market.regulator.models import Complaint


def test_demo_regulator_data(demo_city_app: Flask) -> None:
    app = demo_city_app
    with app.app_context():
        rows = db.session.scalars(sa.select(Sanction)).all()
        assert {s.kind for s in rows} == {"warning", "suspension", "blacklist"}
        blocking = [s for s in rows if s.kind == "suspension"][0]
        assert credit_sanctions.active(blocking.agency_org_id)
        assert not credit_sanctions.active([s for s in rows if s.kind == "blacklist"][0].agency_org_id)
        states = set(db.session.scalars(sa.select(Complaint.state)))
        assert states == {"received", "under_review", "upheld", "rejected"}
        report = fairness_data.report()
        assert report.services and not report.flagged
