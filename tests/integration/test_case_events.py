"""Case events from an approval system (shared/spec/integration.md §3): the approval side in
the law's order, idempotent by event id, ordered per case, a department's client bound to
its matters, and every refused event a 4xx with a code that changes nothing (audit included)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.audit import AuditEvent
from market.approvals.models import ApprovalCase, CaseEvent, Suspension
from market.catalogue.models import ApprovalMatter, ServiceType, approval_matter_service_type
from market.db import db
from tests.integration.helpers import (
    bearer,
    counts,
    department,
    make_client,
    matter,
    owner_org,
    project,
    token,
)

# The calls are made on 2026-12-30 (Shanghai), reporting events of the weeks before.
NOW = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
PROJECT = "2026-530100-48-01-000001"


class World:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.dept = department(app)
        self.other_dept = department(app, "云川市住房和城乡建设局", "YC-ZJJ")
        self.matter = matter(app, self.dept, "EIA-APPROVAL")
        self.other_matter = matter(app, self.other_dept, "CONSTRUCTION-PERMIT")
        self.owner = owner_org(app)
        self.project = project(app, self.owner, PROJECT)
        self.http = app.test_client()
        self.client = make_client(app, "cases:write projects:read", department_code="YC-STHJJ")
        with timeutil.frozen(NOW):
            self.token = token(self.http, self.client)
        self.n = 0

    def post(self, body: dict[str, Any], *, at: datetime | None = None,
             headers: dict[str, str] | None = None, token_value: str | None = None) -> Any:
        with timeutil.frozen(at or NOW):
            return self.http.post("/api/v1/case-events", json=body,
                                  headers=headers if headers is not None
                                  else bearer(token_value or self.token))

    def pull(self) -> Any:
        """The project as this client pulls it, at NOW (its token was minted at NOW: read by
        the real clock it would expire once the real date passes NOW)."""
        with timeutil.frozen(NOW):
            return self.http.get(f"/api/v1/projects/{PROJECT}", headers=bearer(self.token))

    def event(self, type_: str, at: str, **fields: Any) -> dict[str, Any]:
        self.n += 1
        return {"event_id": f"evt-{self.n}", "case_no": "SP-2026-0001",
                "project_code": PROJECT, "matter_code": "EIA-APPROVAL", "type": type_,
                "at": at, **fields}

    def send(self, type_: str, at: str, expect: int = 200, **fields: Any) -> Any:
        r = self.post(self.event(type_, at, **fields))
        assert r.status_code == expect, r.get_data(as_text=True)
        return r.get_json()

    def needs(self, code: str, need: str = "precondition") -> None:
        with self.app.app_context():
            st = ServiceType(code=code, name=f"服务{code}", qualification_types=[],
                             practitioner_types=[])
            db.session.add(st)
            db.session.flush()
            db.session.execute(approval_matter_service_type.insert().values(
                approval_matter_id=self.matter, service_type_id=st.id, need=need))
            db.session.commit()


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def test_a_case_in_the_laws_order_from_application_to_decision(world: World) -> None:
    world.needs("EIA-REPORT", need="in_process")  # needed in review only: no precondition
    opened = world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    assert opened["clock"]["state"] == "preparing" and opened["case_no"] == "SP-2026-0001"
    world.send("returned_for_correction", "2026-12-08T09:00:00+08:00")
    world.send("resubmitted", "2026-12-10T09:00:00+08:00")
    accepted = world.send("accepted", "2026-12-11T09:00:00+08:00")["clock"]
    assert accepted["state"] == "accepted" and accepted["limit_days"] == 10
    special = world.send("special_procedure_started", "2026-12-14T09:00:00+08:00",
                         reason="testing", expected_days=5)["clock"]
    assert special["state"] == "suspended"
    assert special["suspended_since"] is not None
    [proc] = special["special_procedures"]
    assert (proc["reason"], proc["expected_days"], proc["due_date"]) == ("testing", 5,
                                                                         "2026-12-21")
    world.send("special_procedure_ended", "2026-12-18T09:00:00+08:00")
    extended = world.send("extended", "2026-12-21T09:00:00+08:00", days=10,
                          approved_by="张局长", extension_reason="需现场核查")["clock"]
    assert extended["limit_days"] == 20
    assert [(e["days"], e["approved_by"]) for e in extended["extensions"]] == [(10, "张局长")]
    decided = world.send("decided", "2026-12-28T09:00:00+08:00", outcome="approved")["clock"]
    assert decided["state"] == "decided"
    # Working days counted: 12-11 (Fri), 12-14 (Mon, before the suspension started at 09:00),
    # then from the resumption on 12-18 to the decision on 12-28.
    assert decided["used_days"] + decided["remaining_days"] == 20
    with world.app.app_context():
        case = db.session.scalar(sa.select(ApprovalCase))
        assert (case.case_no, case.acceptance, case.decision) == ("SP-2026-0001", "complete",
                                                                  "approved")
        s = db.session.scalar(sa.select(Suspension))
        assert "检测" in s.notice and "第四十五条" in s.notice and "云川市生态环境局" in s.notice
        assert "起暂停计时，检测结束后恢复计时。" in s.notice
        assert db.session.scalar(sa.select(sa.func.count(CaseEvent.id))) == 8
        tags = [e.tag for e in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.tag.like("client:case:%")).order_by(AuditEvent.id))]
        assert tags == [f"client:case:{t}" for t in (
            "applied", "returned_for_correction", "resubmitted", "accepted",
            "special_procedure_started", "special_procedure_ended", "extended", "decided")]
        details = db.session.scalars(sa.select(AuditEvent.details).where(
            AuditEvent.tag == "client:case:accepted")).one()
        assert details["client"] == world.client.client_id


def test_the_same_event_id_answers_as_the_first_time_and_another_body_is_409(
        world: World) -> None:
    body = world.event("applied", "2026-12-07T09:00:00+08:00")
    first = world.post(body)
    assert first.status_code == 201
    before = counts(world.app)
    again = world.post(dict(reversed(list(body.items()))))  # key order does not matter
    assert again.status_code == 200 and again.get_json() == first.get_json()
    reused = world.post({**body, "at": "2026-12-07T10:00:00+08:00"})
    assert reused.status_code == 409
    assert reused.get_json()["error"]["code"] == "event_id_reused"
    # The repeat adds only the call's own audit line; nothing of the case changes.
    after = counts(world.app)
    assert {k: v for k, v in after.items() if k != "audit_event"} == \
        {k: v for k, v in before.items() if k != "audit_event"}


def test_an_unmet_acceptance_condition_keeps_the_case_preparing(world: World) -> None:
    world.needs("EIA-REPORT")
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    before = counts(world.app)
    r = world.post(world.event("accepted", "2026-12-08T09:00:00+08:00"))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "precondition_missing"
    assert "EIA-REPORT" in r.get_json()["error"]["message"]
    assert counts(world.app) == before
    # 容缺受理: accepted, the report due within the stated working days.
    clock = world.send("tolerated_acceptance", "2026-12-08T09:00:00+08:00",
                       expected_days=5)["clock"]
    assert clock["state"] == "accepted"
    with world.app.app_context():
        case = db.session.scalar(sa.select(ApprovalCase))
        assert (case.acceptance, case.tolerated_until) == ("tolerated", date(2026, 12, 15))


def test_pledge_acceptance_accepts_on_the_applicants_written_pledge(world: World) -> None:
    world.needs("EIA-REPORT")
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    assert world.send("pledge_acceptance", "2026-12-08T09:00:00+08:00")["clock"]["state"] \
        == "accepted"
    with world.app.app_context():
        assert db.session.scalar(sa.select(ApprovalCase.acceptance)) == "pledge"


def _refused(world: World, body: dict[str, Any], status: int, code: str, **kw: Any) -> None:
    before = counts(world.app)
    r = world.post(body, **kw)
    assert r.status_code == status, r.get_data(as_text=True)
    if code:
        assert r.get_json()["error"]["code"] == code
    assert counts(world.app) == before, code


def test_every_rule_is_a_4xx_with_a_code_and_changes_nothing(world: World) -> None:
    ev = world.event
    _refused(world, ev("accepted", "2026-12-07T09:00:00+08:00"), 404, "unknown_case")
    _refused(world, {**ev("applied", "2026-12-07T09:00:00+08:00"), "matter_code": "NOPE"}, 422,
             "unknown_matter")
    _refused(world, {**ev("applied", "2026-12-07T09:00:00+08:00"),
                     "project_code": "2026-000000-00-00-000000"}, 422, "unknown_project")
    # Whatever the event: the project is what is unknown, and nothing is created (the audit
    # log included).
    for kind in ("accepted", "withdrawn"):
        _refused(world, {**ev(kind, "2026-12-07T09:00:00+08:00"),
                         "project_code": "2026-000000-00-00-000000"}, 422, "unknown_project")
    _refused(world, {**ev("applied", "2026-12-07T09:00:00+08:00"),
                     "matter_code": "CONSTRUCTION-PERMIT"}, 403, "wrong_department")
    _refused(world, ev("applied", "2026-12-07 09:00"), 400, "invalid_field")
    _refused(world, ev("applied", "2026-13-07T09:00:00+08:00"), 422, "invalid_time")
    _refused(world, ev("applied", "2027-12-07T09:00:00+08:00"), 422, "future_event")
    _refused(world, {**ev("applied", "2026-12-07T09:00:00+08:00"), "extra": 1}, 400,
             "unknown_field")
    _refused(world, {**ev("applied", "2026-12-07T09:00:00+08:00"), "event_id": "a b"}, 400,
             "invalid_field")
    _refused(world, {**ev("applied", "2026-12-07T09:00:00+08:00"),
                     "approved_by": "x" * 70_000}, 413, "")
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    _refused(world, ev("applied", "2026-12-07T10:00:00+08:00"), 422, "already_applied")
    _refused(world, ev("special_procedure_started", "2026-12-08T09:00:00+08:00",
                       reason="testing", expected_days=3), 422, "not_running")
    _refused(world, ev("resubmitted", "2026-12-08T09:00:00+08:00"), 422, "not_in_correction")
    _refused(world, ev("decided", "2026-12-08T09:00:00+08:00", outcome="approved"), 422,
             "not_accepted")
    world.send("accepted", "2026-12-08T09:00:00+08:00")
    _refused(world, ev("returned_for_correction", "2026-12-09T09:00:00+08:00"), 422,
             "already_accepted")
    _refused(world, ev("extended", "2026-12-07T09:00:00+08:00", days=5, approved_by="张局长", extension_reason="需现场核查"),
             409, "stale_event")
    _refused(world, ev("special_procedure_started", "2026-12-09T09:00:00+08:00",
                       reason="survey", expected_days=3), 400, "invalid_field")
    _refused(world, ev("special_procedure_started", "2026-12-09T09:00:00+08:00",
                       reason="testing"), 422, "expected_days_required")
    _refused(world, ev("special_procedure_started", "2026-12-09T09:00:00+08:00",
                       reason="testing", engagement_id="EG-999999"), 422, "unknown_engagement")
    _refused(world, ev("special_procedure_ended", "2026-12-09T09:00:00+08:00"), 422,
             "not_suspended")
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=11, approved_by="张局长",
                       extension_reason="需现场核查"), 422, "extension_too_long")
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=16, approved_by="张局长",
                       extension_reason="需现场核查"), 400, "invalid_field")
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=5), 422,
             "approved_by_required")
    # Art. 42: the reason is told to the applicant; 15 days only for joint handling.
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=5, approved_by="张局长"),
             422, "extension_reason_required")
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=16, joint=True,
                       approved_by="李副市长", extension_reason="联合办理"), 400, "invalid_field")
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=12, joint="yes",
                       approved_by="李副市长", extension_reason="联合办理"), 400, "invalid_field")
    # a case handled by one department has no joint extension (Art. 42 ¶2 is for joint cases)
    _refused(world, ev("extended", "2026-12-09T09:00:00+08:00", days=12, joint=True,
                       approved_by="李副市长", extension_reason="联合办理"), 422,
             "joint_mismatch")
    clock = world.send("extended", "2026-12-09T09:00:00+08:00", days=10, joint=False,
                       approved_by="张局长", extension_reason="需现场核查")["clock"]
    assert clock["extensions"][0]["joint"] is False and clock["joint"] is False
    assert clock["extensions"][0]["reason"] == "需现场核查"
    _refused(world, ev("extended", "2026-12-10T09:00:00+08:00", days=5, approved_by="张局长",
                       extension_reason="需现场核查"),
             422, "already_extended")
    world.send("special_procedure_started", "2026-12-10T09:00:00+08:00", reason="appraisal",
               expected_days=10)
    _refused(world, ev("decided", "2026-12-11T09:00:00+08:00", outcome="approved"), 422,
             "not_running")
    world.send("special_procedure_ended", "2026-12-14T09:00:00+08:00")
    _refused(world, ev("decided", "2026-12-15T09:00:00+08:00"), 422, "outcome_required")
    world.send("decided", "2026-12-15T09:00:00+08:00", outcome="refused")
    _refused(world, ev("withdrawn", "2026-12-16T09:00:00+08:00"), 422, "already_decided")
    _refused(world, {**ev("special_procedure_started", "2026-12-16T09:00:00+08:00"),
                     "project_code": "2026-999999-00-00-000000"}, 422, "case_mismatch")


def test_a_department_writes_only_its_matters_and_needs_the_scope(world: World) -> None:
    body = {**world.event("applied", "2026-12-07T09:00:00+08:00"),
            "matter_code": "CONSTRUCTION-PERMIT"}
    platform = make_client(world.app, "cases:write", name="省级平台")
    reader = make_client(world.app, "projects:read", department_code="YC-STHJJ",
                         name="只读系统")
    with timeutil.frozen(NOW):
        platform_token = token(world.http, platform)
        reader_token = token(world.http, reader)
    _refused(world, body, 403, "wrong_department")
    _refused(world, body, 403, "insufficient_scope", token_value=reader_token)
    _refused(world, body, 401, "unauthorized", headers={})
    r = world.post(body, token_value=platform_token)
    assert r.status_code == 201  # the province's platform writes any department's case
    # Event ids are the sender's: another client may use the same id for its own event.
    r = world.post(world.event("applied", "2026-12-07T09:00:00+08:00")
                   | {"event_id": "evt-1", "case_no": "SP-2026-0002"})
    assert r.status_code == 201


def test_an_owners_open_case_is_linked_by_its_first_event(world: World) -> None:
    from tests.integration.helpers import open_case

    public_id = open_case(world.app, world.project, world.matter)
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    with world.app.app_context():
        [case] = db.session.scalars(sa.select(ApprovalCase)).all()
        assert (case.public_id, case.case_no) == (public_id, "SP-2026-0001")


def test_the_openapi_document_describes_the_endpoint_with_its_security(app: Flask) -> None:
    doc = app.test_client().get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/v1/case-events"]["post"]
    assert op["security"] == [{"oauth2": ["cases:write"]}, {"bearer": ["cases:write"]}]
    assert {"200", "201", "401", "403", "404", "409", "413", "415", "422", "429"} <= set(
        op["responses"])
    schema = doc["components"]["schemas"]["CaseEventIn"]
    assert schema["properties"]["days"] == {
        "type": "integer", "minimum": 1, "maximum": 15,
        "description": schema["properties"]["days"]["description"]}
    assert json.dumps(schema["properties"]["reason"]["enum"]) == json.dumps(
        ["hearing", "tendering", "auction", "inspection", "testing", "quarantine", "appraisal",
         "expert_review"])


def test_an_owner_cannot_record_the_events_of_a_case_a_system_reports(world: World) -> None:
    """The owner reads the case; its events are the department's (no owner route writes one)."""
    from market.accounts.models import Role
    from tests.conftest import create_person, csrf_token, login

    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    owner = create_person(world.app, Role.OWNER_ADMIN, org_id=world.owner)
    http = world.app.test_client()
    assert login(http, owner.email).status_code == 302
    with world.app.app_context():
        public_id = db.session.scalar(sa.select(ApprovalCase.public_id))
    before = counts(world.app)
    with timeutil.frozen(NOW):
        page = http.get(f"/approvals/{public_id}").get_data(as_text=True)
        assert "SP-2026-0001" in page and "/events/" not in page
        token = csrf_token(http, f"/approvals/{public_id}")
        for kind in ("accept", "decide", "withdraw", "special", "extend"):
            r = http.post(f"/approvals/{public_id}/events/{kind}",
                          data={"csrf_token": token, "accept-mode": "pledge_acceptance"})
            assert r.status_code == 403, (kind, r.status_code)
        for old in ("accept", "suspend", "resume", "decide", "withdraw"):
            assert http.post(f"/approvals/{public_id}/{old}",
                             data={"csrf_token": token}).status_code == 404
    assert counts(world.app) == before


def test_a_tolerated_report_not_delivered_in_time_is_on_the_regulators_list(
        world: World) -> None:
    from market.accounts.models import Role
    from tests.conftest import create_person, login

    world.needs("EIA-REPORT")
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    world.send("tolerated_acceptance", "2026-12-08T09:00:00+08:00", expected_days=5)
    regulator = create_person(world.app, Role.REGULATOR)
    http = world.app.test_client()
    assert login(http, regulator.email).status_code == 302
    with timeutil.frozen(datetime(2026, 12, 15, 2, 0, tzinfo=UTC)):  # the due date itself
        assert 'data-test="tolerated-overdue"' not in http.get("/regulator/overdue").get_data(
            as_text=True)
    with timeutil.frozen(datetime(2026, 12, 16, 2, 0, tzinfo=UTC)):
        page = http.get("/regulator/overdue").get_data(as_text=True)
    assert 'data-test="tolerated-overdue"' in page and "SP-2026-0001" in page
    assert "EIA-REPORT" in page and "2026-12-15" in page



def test_the_overdue_page_shows_a_regulator_its_own_scope(world: World) -> None:
    """Another tenant's supervisor and an industry regulator do not see the case on the
    tolerated list; the share of intermediary time is the regulator's tenant's; the province
    sees one row per tenant."""
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, RegulatorKind, Role
    from tests.conftest import create_person, login

    world.needs("EIA-REPORT")
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    world.send("tolerated_acceptance", "2026-12-08T09:00:00+08:00", expected_days=5)
    with world.app.app_context():
        home = tenants.home_tenant()
        home_name = home.name
        root = tenants.province()
        assert root is not None
        other = tenants.add("539700", "云峰市", tenant=True)
        orgs = {name: ops.create_organisation(OrgKind.REGULATOR, name, tenant_id=tenant,
                                              regulator_kind=kind).id
                for name, tenant, kind in (
                    ("elsewhere", other.id, RegulatorKind.CENTRE),
                    ("industry", home.id, RegulatorKind.INDUSTRY),
                    ("province", root.id, RegulatorKind.PROVINCE))}
        db.session.commit()
    pages = {}
    for name, org_id in [("centre", None), *orgs.items()]:
        person = create_person(world.app, Role.REGULATOR, org_id=org_id)
        http = world.app.test_client()
        assert login(http, person.email).status_code == 302
        with timeutil.frozen(datetime(2026, 12, 16, 2, 0, tzinfo=UTC)):
            pages[name] = http.get("/regulator/overdue").get_data(as_text=True)
    for name in ("centre", "province"):
        assert "SP-2026-0001" in pages[name] and 'data-test="city-share"' in pages[name]
    for name in ("elsewhere", "industry"):
        assert "SP-2026-0001" not in pages[name], name
    assert 'data-test="city-share"' not in pages["elsewhere"]
    assert f"{home_name}有办件的项目" in pages["centre"]
    assert "云峰市有办件的项目" in pages["elsewhere"]
    assert 'data-test="tenant-share"' in pages["province"]
    assert f'<td data-label="地区">{home_name}</td>' in pages["province"]
    assert 'data-test="tenant-share"' not in pages["centre"]


@pytest.mark.parametrize(("language", "chinese"), [
    (None, True), ("zh-CN,zh;q=0.9,en;q=0.8", True), ("en-US,en;q=0.9", False),
    ("en;q=0.5, zh-TW;q=0.8", True), ("fr-FR", True)])
def test_a_refusal_speaks_the_requests_language_and_keeps_its_code(
        world: World, language: str | None, chinese: bool) -> None:
    """Chinese first: English only when the request prefers it; the code never changes."""
    headers = bearer(world.token)
    if language is not None:
        headers["Accept-Language"] = language
    before = counts(world.app)
    r = world.post(world.event("accepted", "2026-12-01T09:00:00+08:00"), headers=headers)
    assert r.status_code == 404
    error = r.get_json()["error"]
    assert error["code"] == "unknown_case"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]) is chinese, error
    world.send("applied", "2026-12-01T09:00:00+08:00", expect=201)
    r = world.post(world.event("decided", "2026-12-02T09:00:00+08:00", outcome="approved"),
                   headers=headers)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_accepted"
    message = r.get_json()["error"]["message"]
    assert message == ("办件尚未受理。" if chinese else "The case is not accepted."), message
    assert counts(world.app)["case_event"] == before["case_event"] + 1


def test_art_32_five_working_days_for_the_one_time_correction_notice(world: World) -> None:
    """行政许可法 Art. 32 (4): the 补正 notice comes on the spot or within five (working, Art.
    82) days of receipt; without it the application counts as accepted from its receipt,
    acceptance conditions or not."""
    world.needs("EIA-REPORT")  # an acceptance condition with no accepted deliverable
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)  # Monday
    # Five working days after Monday 12-07 end on Monday 12-14; Tuesday is too late.
    r = world.post(world.event("returned_for_correction", "2026-12-15T09:00:00+08:00"))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "correction_too_late"
    clock = world.send("accepted", "2026-12-16T09:00:00+08:00")["clock"]
    assert clock["state"] == "accepted"
    with world.app.app_context():
        case = db.session.scalar(sa.select(ApprovalCase))
        assert case.acceptance == "deemed"
        assert case.accepted_at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    # The clock counts from the receipt (12-07), not from 12-16, to the call on 12-30.
    assert clock["used_days"] == 17


def test_a_correction_notice_within_the_window_keeps_the_acceptance_conditions(
        world: World) -> None:
    world.needs("EIA-REPORT")
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    world.send("returned_for_correction", "2026-12-14T17:00:00+08:00")
    world.send("resubmitted", "2026-12-21T09:00:00+08:00")
    r = world.post(world.event("accepted", "2026-12-22T09:00:00+08:00"))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "precondition_missing"


def test_two_departments_number_their_cases_independently(world: World) -> None:
    """办件编号 are each department's own: the same number from two departments is two
    cases, and each department's events reach its own; within one department a number is one
    case."""
    housing = make_client(world.app, "cases:write projects:read", department_code="YC-ZJJ",
                          name="住建审批系统")
    with timeutil.frozen(NOW):
        housing_token = token(world.http, housing)
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
    theirs = {**world.event("applied", "2026-12-07T10:00:00+08:00"),
              "matter_code": "CONSTRUCTION-PERMIT"}
    r = world.post(theirs, token_value=housing_token)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["case_no"] == "SP-2026-0001"
    accepted = {**world.event("pledge_acceptance", "2026-12-08T09:00:00+08:00"),
                "matter_code": "CONSTRUCTION-PERMIT"}
    r = world.post(accepted, token_value=housing_token)
    assert r.status_code == 200, r.get_data(as_text=True)
    with world.app.app_context():
        rows = db.session.execute(sa.select(ApprovalCase.case_no, ApprovalCase.state)
                                  .order_by(ApprovalCase.id)).all()
    assert [tuple(r) for r in rows] == [("SP-2026-0001", "preparing"),
                                        ("SP-2026-0001", "accepted")]
    # The environment bureau's case is untouched by the housing bureau's event.
    world.send("returned_for_correction", "2026-12-08T10:00:00+08:00")
    r = world.pull()
    assert sorted((c["department_code"], c["state"]) for c in r.get_json()["cases"]) == [
        ("YC-STHJJ", "preparing"), ("YC-ZJJ", "accepted")]
    # One department, one number: another matter of the same department is refused.
    with world.app.app_context():
        db.session.add(ApprovalMatter(code="EIA-2", name="审批事项EIA-2",
                                      department_id=world.dept, statutory_days=20,
                                      committed_days=10))
        db.session.commit()
    _refused(world, {**world.event("applied", "2026-12-09T09:00:00+08:00"),
                     "matter_code": "EIA-2"}, 422, "case_mismatch")


def test_a_joint_case_is_decided_within_45_days_and_extended_by_15(world: World) -> None:
    """行政许可法 Art. 42 ¶2: a case handled jointly (统一办理、联合办理、集中办理, Art. 26) is
    decided within 45 working days whatever its matter's own limits, and extended by at most
    15 with the approval of the head of the people's government at that level."""
    with world.app.app_context():
        row = db.session.get(ApprovalMatter, world.matter)
        row.statutory_days, row.committed_days = 60, 60  # a special law's longer limit
        db.session.commit()
    ev = world.event
    opened = world.send("applied", "2026-12-01T09:00:00+08:00", expect=201, joint=True)
    assert opened["clock"]["joint"] is True and opened["clock"]["limit_days"] == 45
    with world.app.app_context():
        case = db.session.scalar(sa.select(ApprovalCase))
        assert (case.joint, case.statutory_days, case.limit_days) == (True, 45, 45)
    clock = world.send("accepted", "2026-12-02T09:00:00+08:00")["clock"]
    assert (clock["limit_days"], clock["used_days"], clock["remaining_days"]) == (45, 20, 25)
    # 45 working days after 2026-12-02: 21 in December, 20 in January (1 January a holiday), 4
    assert clock["due_date"] == "2027-02-04"
    _refused(world, ev("extended", "2026-12-03T09:00:00+08:00", days=10, joint=False,
                       approved_by="张局长", extension_reason="需现场核查"), 422,
             "joint_mismatch")
    _refused(world, ev("extended", "2026-12-03T09:00:00+08:00", days=16,
                       approved_by="李副市长", extension_reason="联合办理"), 400,
             "invalid_field")
    # ``joint`` left out: the case's own handling decides
    clock = world.send("extended", "2026-12-03T09:00:00+08:00", days=15,
                       approved_by="李副市长", extension_reason="多部门联合踏勘")["clock"]
    assert clock["limit_days"] == 60 and clock["extensions"][0]["joint"] is True
    pulled = world.pull()
    [case_out] = pulled.get_json()["cases"]
    assert case_out["clock"]["joint"] is True and case_out["clock"]["limit_days"] == 60


def test_a_joint_case_keeps_a_shorter_committed_limit(world: World) -> None:
    opened = world.send("applied", "2026-12-01T09:00:00+08:00", expect=201, joint=True)
    assert opened["clock"]["limit_days"] == 10  # the department's commitment, under 45
    with world.app.app_context():
        case = db.session.scalar(sa.select(ApprovalCase))
        assert (case.joint, case.statutory_days, case.limit_days) == (True, 45, 10)
    clock = world.send("accepted", "2026-12-02T09:00:00+08:00")["clock"]
    assert clock["limit_days"] == 10 and clock["joint"] is True
    clock = world.send("extended", "2026-12-03T09:00:00+08:00", days=12, joint=True,
                       approved_by="李副市长", extension_reason="联合办理")["clock"]
    assert clock["limit_days"] == 22


def test_a_new_case_of_a_matter_its_owners_tenant_does_not_use_is_refused(world: World) -> None:
    """目录选用: a city that switched an approval matter off gets no new case of it; its
    cases already reported keep their events."""
    from market.accounts.models import Organisation
    from market.catalogue import choices
    from market.catalogue.models import ApprovalMatter

    with world.app.app_context():
        tenant = db.session.get(Organisation, world.owner).tenant_id
        used = [m for m in db.session.scalars(sa.select(ApprovalMatter.id))
                if m != world.matter]
        choices.choose(tenant, [], used)
        db.session.commit()
    body = world.send("applied", "2026-12-07T09:00:00+08:00", expect=422)
    assert "matter_not_used" in str(body)
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApprovalCase)) == 0
        choices.choose(tenant, [], [world.matter, *used])
        db.session.commit()
    world.send("applied", "2026-12-07T09:00:00+08:00", expect=201)
