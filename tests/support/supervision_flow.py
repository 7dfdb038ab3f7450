"""Late matters for the electronic supervision tests."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from market import timeutil
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.selection.conftest import START, City

WARNING_AT, YELLOW_AT, RED_AT = (START + timedelta(days=d) for d in (4, 8, 17))


def _late_service(app: Flask, city: City) -> str:
    award_id = make_award(app, city, service_days=3)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        assert post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code == 302
        assert post(owner, f"/engagements/{eid}/contract/confirm").status_code == 302
    return eid
