"""A project's pull (``GET /api/v1/projects/<code>``) reads the project in a fixed number of
queries, whatever its number of cases, events, engagements and selection requests: one query
per table, the clocks shown from their stored tallies.  Counted with a cursor listener on the
engine during one request; the answer itself is compared between the two sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts import operations as accounts
from market.accounts.models import OrgKind
from market.catalogue.models import ServiceType
from market.clocks import store as clocks
from market.clocks.models import ClockKind
from market.db import db
from market.engagements.models import Engagement
from market.integration import pull
from market.selection.models import Award, Project, SelectionRequest
from tests.integration.helpers import bearer, department, make_client, matter, token
from tests.support.page_cache import statements

NOW = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
CODE = "2026-530100-48-01-000077"

# The token and its client, visibility, the project, its owner's name, the engagements (their
# service types' codes and agencies' names in the same query), the selection requests (with
# their service types' codes), the cases (with their matters' and departments' codes), case
# events, the extensions' reasons, suspensions, clocks (the engagements' signing clocks too),
# every clock's entries, the calendar revisions of the project's tenant (once): whatever the
# sizes, the timeline's included (it reads nothing itself); and the operator's clock-warning
# setting, read once a request.  The two writes of the call's audit (its row, the client's last use) besides.
MAX_QUERIES = 15


def _engagements(app: Flask, n: int) -> list[str]:
    """``n`` engagements of the project (two agencies, two service types), each with a service
    clock of a few pauses."""
    out = []
    with app.app_context(), timeutil.frozen(NOW):
        project = db.session.scalar(sa.select(Project).where(Project.code == CODE))
        agencies = [accounts.create_organisation(OrgKind.AGENCY, f"查询中介{i}")
                    for i in range(2)]
        types = []
        for code in ("EIA-Q", "FS-Q"):
            st = ServiceType(code=code, name=f"服务{code}", qualification_types=[],
                             practitioner_types=[])
            db.session.add(st)
            types.append(st)
        db.session.flush()
        for i in range(n):
            st, agency = types[i % 2], agencies[i % 2]
            req = SelectionRequest(public_id=f"RQ-Q{i:05d}", project_id=project.id,
                                   owner_org_id=project.owner_org_id, service_type_id=st.id,
                                   title="委托", scope="s", price_kind="fixed", price_fen=100,
                                   service_days=20, signing_days=5, method="direct",
                                   signup_closes_at=NOW, state="selected", created_at=NOW,
                                   practitioners={})
            db.session.add(req)
            db.session.flush()
            award = Award(request_id=req.id, agency_org_id=agency.id, rank=0, fee_fen=100,
                          service_days=20, state="confirmed", offered_at=NOW, decided_at=NOW)
            db.session.add(award)
            db.session.flush()
            eng = Engagement(public_id=f"EG-Q{i:05d}", award_id=award.id, request_id=req.id,
                             project_id=project.id, service_type_id=st.id,
                             owner_org_id=project.owner_org_id, agency_org_id=agency.id,
                             fee_fen=100, service_days=20, state="in_service", created_at=NOW,
                             signing_due=NOW.date())
            db.session.add(eng)
            db.session.flush()
            clock = clocks.new_clock(ClockKind.SERVICE, 20, engagement_id=eng.id,
                                     tenant_id=req.tenant_id)
            at = NOW - timedelta(days=40)
            clocks.record(clock, "start", at=at)
            for _ in range(3):
                at += timedelta(days=2)
                clocks.record(clock, "pause", reason="materials", at=at)
                at += timedelta(days=1)
                clocks.record(clock, "resume", at=at)
            out.append(eng.public_id)
        db.session.commit()
    return out


def _world(app: Flask, cases: int, engagements: int) -> tuple[Any, str, int]:
    """The project with ``cases`` cases (in every state the events reach) and ``engagements``
    engagements; returns the test client, a token and the number of cases with a linked
    suspension."""
    dept = department(app)
    owner = None
    with app.app_context():
        owner = accounts.create_organisation(OrgKind.OWNER, "查询业主")
        db.session.add(Project(public_id="PJ-Q00001", owner_org_id=owner.id, name="查询项目",
                               code=CODE, fund_source="fiscal", investment_fen=100,
                               location="云川市", created_at=NOW))
        db.session.commit()
    engs = _engagements(app, engagements)
    client = make_client(app, "cases:write projects:read", department_code="YC-STHJJ")
    http = app.test_client()
    with timeutil.frozen(NOW):
        value = token(http, client)
    linked = 0
    n = 0

    def send(i: int, type_: str, day: int, **extra: Any) -> None:
        nonlocal n
        n += 1
        body = {"event_id": f"q-{n}", "case_no": f"Q-{i}", "project_code": CODE,
                "matter_code": f"Q-MATTER-{i}", "type": type_,
                "at": f"2026-12-{day:02d}T09:00:00+08:00", **extra}
        with timeutil.frozen(NOW):
            r = http.post("/api/v1/case-events", json=body, headers=bearer(value))
        assert r.status_code in (200, 201), r.get_data(as_text=True)

    for i in range(cases):
        matter(app, dept, f"Q-MATTER-{i}")
        send(i, "applied", 1)
        kind = i % 4
        if kind == 0:
            continue  # preparing
        send(i, "accepted" if kind != 3 else "pledge_acceptance", 2)
        if kind == 1:
            send(i, "extended", 3, days=5, approved_by="张局长", extension_reason="需现场核查")
            send(i, "special_procedure_started", 4, reason="testing", expected_days=3)
            send(i, "special_procedure_ended", 8)
        elif kind == 2 and engs:
            send(i, "special_procedure_started", 4, reason="expert_review",
                 engagement_id=engs[i % len(engs)])
            linked += 1
        else:
            send(i, "decided", 9, outcome="approved")
    return http, value, linked


def _pull(app: Flask, http: Any, value: str,
          monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, dict[str, Any]]:
    """(queries of the pull without the timeline's, queries of the timeline, the answer).  The
    timeline (:func:`market.approvals.timeline.project_split`) is given the rows the pull has
    read: its own queries are counted apart, and there must be none."""
    timeline: list[int] = []
    split = pull.project_split

    def counted_split(*args: Any, **kwargs: Any) -> Any:
        before = len(seen)
        try:
            return split(*args, **kwargs)
        finally:
            # the operator's setting a clock reads (its warning days) is read once a request,
            # by whichever part asks first: the pull's, not a read per row of the timeline
            timeline.append(sum(1 for q in seen[before:] if "setting_change" not in str(q)))

    monkeypatch.setattr(pull, "project_split", counted_split)
    with statements(app) as seen, timeutil.frozen(NOW):
        r = http.get(f"/api/v1/projects/{CODE}", headers=bearer(value))
    assert r.status_code == 200, r.get_data(as_text=True)
    [inside] = timeline
    return len(seen) - inside, inside, r.get_json()


@pytest.mark.parametrize(("cases", "engagements"), [(4, 2), (24, 12)])
def test_the_pull_reads_in_a_fixed_number_of_queries(
        app: Flask, monkeypatch: pytest.MonkeyPatch, cases: int, engagements: int) -> None:
    http, value, linked = _world(app, cases, engagements)
    queries, timeline, body = _pull(app, http, value, monkeypatch)
    assert len(body["cases"]) == cases and len(body["engagements"]) == engagements
    assert len(body["selection_requests"]) == engagements
    assert sum(len(c["events"]) for c in body["cases"]) > cases
    assert sum(len(c["clock"]["extensions"]) for c in body["cases"]) == (cases + 2) // 4
    assert linked and any(p["engagement_id"] for c in body["cases"]
                          for p in c["clock"]["special_procedures"])
    assert all(e["due_date"] for e in body["engagements"])
    assert queries <= MAX_QUERIES, (queries, timeline)
    assert timeline == 0, (queries, timeline)

