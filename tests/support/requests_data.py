"""Published selection requests (采购公告) in given states, written as rows: the public lists'
test data (tests/selection/test_notice_pager.py, the migration of the drafts' check)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from market import timeutil
from market.accounts import tenants
from market.accounts.models import Organisation, Role
from market.catalogue.models import ServiceType
from market.db import db
from market.selection.models import Project, SelectionRequest
from tests.conftest import create_person


def published_requests(app: Flask, states: list[str], county: int = 0,
              in_county: set[int] | None = None) -> None:
    """Published requests in ``states`` (plus one draft), one a minute, the newest last;
    the last ``county`` of them (or those numbered in ``in_county``) by an owner in a county
    (539921) of the home city."""
    home = create_person(app, Role.OWNER_ADMIN)
    other = create_person(app, Role.OWNER_ADMIN)
    with app.app_context():
        tenants.home_tenant()
        tenants.add("539921", "云川县", tenant=True)
        db.session.get(Organisation, other.org_id).tenant_id = (  # type: ignore[union-attr]
            tenants.by_code("539921").id)  # type: ignore[union-attr]
        st = ServiceType(code="EIA", name="环境影响评价", name_en="EIA")
        db.session.add(st)
        now = timeutil.now()
        projects = {}
        for org_id in (home.org_id, other.org_id):
            projects[org_id] = Project(public_id=f"PJ-P{org_id}", owner_org_id=org_id,
                                       name="项目", code=f"2026-539900-47-01-0000{org_id:02d}",
                                       fund_source="fiscal", investment_fen=100_00,
                                       location="某地", created_at=now)
            db.session.add(projects[org_id])
        db.session.flush()
        for n, state in enumerate([*states, "draft"]):
            owner = (other.org_id if (len(states) - county <= n < len(states)
                                      or n in (in_county or ())) else home.org_id)
            db.session.add(SelectionRequest(
                public_id=f"RQ-P{n:05d}", project_id=projects[owner].id, owner_org_id=owner,
                service_type_id=st.id, title=f"公告{n:05d}", scope="范围", price_kind="fixed",
                price_fen=10_000_00, service_days=10, signing_days=5, method="lottery",
                signup_closes_at=now + timedelta(days=20), state=state,
                published_at=None if state == "draft" else now + timedelta(minutes=n),
                created_at=now, practitioners={}))
        db.session.commit()
