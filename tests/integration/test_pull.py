"""What an approval system reads back (shared/spec/integration.md §4): the project with its
cases, clocks, events, engagements and timeline; the deliverables with their hashes and bytes;
only for a client that may see the project (anything else is 404, like an unknown id)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from market import timeutil
from market.approvals.models import ApprovalCase
from market.catalogue.models import ApprovalMatter
from market.db import db
from market.engagements.models import Engagement
from tests.engagements.conftest import (
    PDF,
    START,
    City,
    engagement_id_of,
    make_award,
    make_matter,
    post,
)
from tests.integration.helpers import bearer, counts, department, make_client, token
from tests.selection.conftest import city  # noqa: F401  # the fixture


def _project(c: City) -> tuple[str, str, str]:
    """An engagement with one delivered version and a case of its project reported by the
    environment bureau's system: (project code, engagement id, matter code)."""
    app = c.app
    matter_id = make_matter(app)
    award_id = make_award(app, c, service_days=10)
    owner, agency = c.client(c.owner), c.client(c.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        page = f"/engagements/{eid}"
        assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
        assert post(agency, page + "/contract/confirm").status_code == 302
        assert post(agency, page + "/deliverables", file=(PDF, "报告.pdf")).status_code == 302
    with app.app_context():
        eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == eid))
        matter = db.session.get(ApprovalMatter, matter_id)
        return eng.project.code, eid, matter.code


def test_a_department_reads_its_project_and_the_deliverables_bytes(
        city: City) -> None:  # noqa: F811  # the fixture
    app = city.app
    code, eid, matter_code = _project(city)
    with app.app_context():
        dept = db.session.scalar(sa.select(ApprovalMatter).where(
            ApprovalMatter.code == matter_code)).department.code
    department(app, "云川市水务局", "YC-SWJ")
    eeb = make_client(app, "cases:write projects:read deliverables:read", department_code=dept)
    water = make_client(app, "projects:read deliverables:read", department_code="YC-SWJ",
                        name="水务系统")
    platform = make_client(app, "projects:read", name="省级平台")
    http = app.test_client()
    with timeutil.frozen(START):
        t_eeb, t_water, t_platform = (token(http, c) for c in (eeb, water, platform))
        # before any case of its matters, the bureau does not see the project
        assert http.get(f"/api/v1/projects/{code}", headers=bearer(t_eeb)).status_code == 404
        r = http.post("/api/v1/case-events", headers=bearer(t_eeb), json={
            "event_id": "e1", "case_no": "HP-1", "project_code": code,
            "matter_code": matter_code, "type": "applied", "at": START.isoformat()})
        assert r.status_code == 201, r.get_data(as_text=True)
        r = http.get(f"/api/v1/projects/{code}", headers=bearer(t_eeb))
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()
        [case] = body["cases"]
        assert (case["case_no"], case["state"], case["department_code"]) == ("HP-1",
                                                                             "preparing", dept)
        assert [e["event_id"] for e in case["events"]] == ["e1"]
        [eng] = body["engagements"]
        assert (eng["id"], eng["committed_days"], eng["state"]) == (eid, 10, "in_review")
        assert all(isinstance(v, int) for v in body["timeline_days"].values())
        assert http.get(f"/api/v1/projects/{code}",
                        headers=bearer(t_platform)).status_code == 200
        before = counts(app)
        for path in (f"/api/v1/projects/{code}", f"/api/v1/engagements/{eid}/deliverables",
                     f"/api/v1/engagements/{eid}/deliverables/1",
                     "/api/v1/projects/2099-000000-00-00-000000"):
            assert http.get(path, headers=bearer(t_water)).status_code == 404, path
        assert http.get(f"/api/v1/engagements/{eid}/deliverables",
                        headers=bearer(t_platform)).status_code == 403  # no deliverables:read
        assert http.get(f"/api/v1/projects/{code}").status_code == 401
        assert counts(app) == before
        r = http.get(f"/api/v1/engagements/{eid}/deliverables", headers=bearer(t_eeb))
        assert r.status_code == 200
        [v1] = r.get_json()["versions"]
        assert (v1["version"], v1["sha256"], v1["size"], v1["media_type"], v1["state"]) == (
            1, hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf", "submitted")
        got = http.get(v1["download_url"], headers=bearer(t_eeb))
        assert got.status_code == 200 and hashlib.sha256(got.data).hexdigest() == v1["sha256"]
        got.close()
        assert http.get(v1["download_url"]).status_code == 401
        assert http.get(v1["download_url"], headers=bearer(t_water)).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(ApprovalCase.case_no)) == "HP-1"
