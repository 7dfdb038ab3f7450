"""Two cities' industry regulators (行业主管部门) of one service type, side by side.

A data set built here: 云川市 (the home tenant) and 云岭市 each map the environmental impact
assessment (EIA) to their own ecology bureau; cost consulting (COST) is mapped to neither.
Requests of both cities and both types are taken to their draws (the draw to-dos), drawn and
objected to; parties complain about each; agencies of both cities and types apply for
admission; both cities' regulators sanction agencies of both types, locally and province-wide.

Each bureau sees, on its dashboard's draw to-dos, in its admission queue and in its
objections, complaints and sanctions lists, only what concerns EIA in its own city (and the
province-wide sanctions of EIA agencies, which are in force in its city too); acting on the
other city's object is refused (403 or 404) and changes nothing."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from market import storage, timeutil
from market.accounts import operations as accounts
from market.accounts import tenants
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, OrgKind, RegulatorKind, Role, User
from market.agencies.models import AdmissionApplication
from market.catalogue import choices
from market.catalogue.models import ServiceType
from market.credit.models import Sanction
from market.db import db
from market.regulator import complaints, sanctions
from market.selection.models import (
    Award,
    ExternalProposal,
    Lottery,
    Objection,
    SelectionRequest,
)
from tests.conftest import PASSWORD, Person, create_person, csrf_token
from tests.selection.conftest import START, City, add_listing, enter_external
from tests.support.selection_flow import object_to, publish, sign_up

PDF = b"%PDF-1.4\n% licence\n%%EOF\n"


@dataclass
class Scene:
    """Each object's id by its name: ``A`` the home city's, ``B`` the second city's, then the
    service type (``A_EIA``, ``B_EIA``, ``B_COST``)."""

    people: dict[str, Person] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    lotteries: dict[str, str] = field(default_factory=dict)
    external_at: datetime | None = None
    objections: dict[str, int] = field(default_factory=dict)
    complaints: dict[str, str] = field(default_factory=dict)
    applications: dict[str, int] = field(default_factory=dict)
    sanctions: dict[str, int] = field(default_factory=dict)


def _member(org: Organisation, email: str) -> Person:
    user = accounts.add_member(org, name=f"{org.name}人员", email=email, role=Role(
        Role.OPERATOR if org.kind == OrgKind.OPERATOR.value else Role.REGULATOR),
        password=PASSWORD)
    return Person(email, PASSWORD, Role(user.memberships[0].role), user.id, org.id)


def _people(city: City, scene: Scene) -> tuple[int, int]:
    """The second city, its centre's supervisor and operator, each city's ecology bureau
    mapped to EIA, and COST in the catalogue; (home tenant, second tenant)."""
    with city.app.app_context():
        home = tenants.home_tenant().id
        second = tenants.add("539800", "云岭市", tenant=True).id
        db.session.add(ServiceType(code="COST", name="造价咨询", name_en="Cost consulting",
                                   qualification_types=[], practitioner_types=[]))
        made = {
            "IA": (OrgKind.REGULATOR, "云川市生态环境局", home, RegulatorKind.INDUSTRY),
            "IB": (OrgKind.REGULATOR, "云岭市生态环境局", second, RegulatorKind.INDUSTRY),
            "centre_B": (OrgKind.REGULATOR, "云岭市政务服务管理办公室", second,
                         RegulatorKind.CENTRE),
            "operator_B": (OrgKind.OPERATOR, "云岭市政务服务中心", second, None),
        }
        for name, (kind, org_name, tenant, regulator_kind) in made.items():
            org = accounts.create_organisation(kind, org_name, tenant_id=tenant,
                                               regulator_kind=regulator_kind)
            scene.people[name] = _member(org, f"{name.lower()}@two-cities.example.cn")
        db.session.flush()
        eia = db.session.scalar(sa.select(ServiceType.id).where(ServiceType.code == "EIA"))
        choices.assign_regulators(home, {eia: scene.people["IA"].org_id})
        choices.assign_regulators(second, {eia: scene.people["IB"].org_id})
        db.session.commit()
    for agency in city.agencies:
        add_listing(city.app, agency.org_id, "COST")
    return home, second


def _requests(city: City, scene: Scene, second: int) -> None:
    """One EIA request of the home city; then its owner moves to the second city (as if
    one of its owners had published them), an EIA and a COST request there; three agencies
    sign up for each (the register is the province's)."""
    witnesses = {"A": [str(city.delegate.user_id), str(city.regulator.user_id)],
                 "B": [str(city.delegate.user_id), str(scene.people["centre_B"].user_id)]}
    with timeutil.frozen(START):
        for n, (name, code) in enumerate((("A_EIA", "EIA"), ("B_EIA", "EIA"),
                                          ("B_COST", "COST"))):
            if name == "B_EIA":
                with city.app.app_context():
                    db.session.execute(sa.update(Organisation).where(
                        Organisation.id == city.owner.org_id).values(tenant_id=second))
                    db.session.commit()
            req = publish(city, code=f"00050{n}", service_code=code, title=f"两市{name}",
                          witnesses=witnesses[name[0]])  # type: ignore[arg-type]
            scene.requests[name] = req.public_id
            for agency in city.agencies[:3]:
                assert sign_up(city, agency, req.public_id) == 302
    with city.app.app_context():
        for name, public_id in scene.requests.items():
            lottery = db.session.scalar(sa.select(Lottery).join(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            scene.lotteries[name] = lottery.lottery_id
            scene.external_at = lottery.external_at
        tenants_of = dict(db.session.execute(sa.select(
            SelectionRequest.public_id, SelectionRequest.tenant_id)).all())
    assert [tenants_of[scene.requests[n]] for n in ("A_EIA", "B_EIA", "B_COST")] == [
        tenants_of[scene.requests["A_EIA"]], second, second]


def _witness(city: City, scene: Scene) -> None:
    assert scene.external_at is not None
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        for public_id in scene.requests.values():
            city.app.test_client().get(f"/notices/{public_id}")  # the sign-up closes
    with timeutil.frozen(scene.external_at - timedelta(hours=1)):
        for name, lottery in scene.lotteries.items():
            regulator = city.regulator if name.startswith("A") else scene.people["centre_B"]
            for who, value in ((city.delegate, "20260309"), (regulator, "88112233")):
                c = city.client(who)
                r = c.post(f"/lotteries/{lottery}/witness", data={
                    "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery}")})
                assert r.status_code == 302, r.get_data(as_text=True)[-1500:]


def _draw_tasks(c: FlaskClient) -> set[tuple[str, str]]:
    page = c.get("/dashboard").get_data(as_text=True)
    return set(re.findall(r'data-test="draw-task" data-state="(\w+)"><a href="/lotteries/'
                          r'([^"]+)"', page))


def _world(city: City) -> tuple[object, ...]:
    """What a refused act must leave as it was."""
    with city.app.app_context():
        return tuple(db.session.execute(stmt).all() for stmt in (
            sa.select(ExternalProposal.id).order_by(ExternalProposal.id),
            sa.select(Objection.id, Objection.state).order_by(Objection.id),
            sa.select(AdmissionApplication.id, AdmissionApplication.status)
            .order_by(AdmissionApplication.id),
            sa.select(Sanction.id, Sanction.repaired_on).order_by(Sanction.id),
            sa.select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1),
        )) + (tuple((c.public_id, c.state) for c in _all_complaints(city)),)


def _all_complaints(city: City) -> list[object]:
    with city.app.app_context():
        return [type("C", (), {"public_id": c.public_id, "state": c.state})
                for c in complaints.listing()]


def _objections(city: City, scene: Scene) -> None:
    """Each request drawn (its external value typed by two people whose scope covers it), and
    an agency that was not drawn objects to each result."""
    assert scene.external_at is not None
    people = {"A_EIA": (city.operator, scene.people["IA"]),
              "B_EIA": (scene.people["operator_B"], scene.people["IB"]),
              "B_COST": (scene.people["operator_B"], scene.people["centre_B"])}
    with timeutil.frozen(scene.external_at + timedelta(minutes=30)):
        for name, lottery in scene.lotteries.items():
            enter_external(city, lottery, scene.external_at, people=people[name])
    with city.app.app_context():
        awards = {name: db.session.scalar(sa.select(Award).join(SelectionRequest).where(
            SelectionRequest.public_id == public_id)) for name, public_id in scene.requests.items()}
        offered = {name: (a.agency_org_id, a.offered_at) for name, a in awards.items()}
    for name, (winner, offered_at) in offered.items():
        objector = next(a for a in city.agencies[:3] if a.org_id != winner)
        with timeutil.frozen(offered_at + timedelta(hours=1)):
            assert object_to(city, objector, scene.requests[name]) == 302
        with city.app.app_context():
            scene.objections[name] = db.session.scalar(sa.select(Objection.id).join(
                SelectionRequest).where(SelectionRequest.public_id == scene.requests[name]))


def _complaints_and_admissions(city: City, scene: Scene, home: int, second: int) -> None:
    """A signed-up agency complains about each request; an agency of each city and type
    applies for admission."""
    with city.app.app_context():
        filer = db.session.get(Organisation, city.agencies[0].org_id)
        by = db.session.get(User, city.agencies[0].user_id)
        for name, public_id in scene.requests.items():
            scene.complaints[name] = complaints.file(filer, by, "request", public_id,
                                                     "报名条件设置不合理，排斥潜在服务机构。").public_id
        db.session.commit()
    for name, tenant, code in (("A_EIA", home, "EIA"), ("B_EIA", second, "EIA"),
                               ("B_COST", second, "COST")):
        applicant = create_person(city.app, Role.AGENCY_ADMIN, admitted=False)
        add_listing(city.app, applicant.org_id, code)
        with city.app.app_context():
            org = db.session.get(Organisation, applicant.org_id)
            org.tenant_id = tenant
            upload = storage.store(io.BytesIO(PDF), "licence.pdf", organisation_id=org.id)
            application = AdmissionApplication(
                organisation_id=org.id, legal_name=org.name, credit_code=org.credit_code,
                region="云岭市" if tenant == second else "云川市", legal_representative="张三",
                authorised_representative="李四", contact_phone="0871-12345678",
                contact_email=applicant.email, licence_upload_id=upload.id,
                status="pending", submitted_at=timeutil.now(),
                review_due_on=timeutil.today_local() + timedelta(days=20))
            db.session.add(application)
            db.session.commit()
            scene.applications[name] = application.id


def _sanctions(city: City, scene: Scene) -> None:
    """Local sanctions by each city's bureau and the second city's centre, on agencies of
    each type, and one province-wide sanction of an EIA agency by the home city's centre."""
    cost_only = create_person(city.app, Role.AGENCY_ADMIN)
    add_listing(city.app, cost_only.org_id, "COST")
    eia_only = [create_person(city.app, Role.AGENCY_ADMIN) for _ in range(3)]
    for agency in eia_only:
        add_listing(city.app, agency.org_id, "EIA")
    issued = {"A_EIA": (scene.people["IA"], eia_only[0], True),
              "B_EIA": (scene.people["IB"], eia_only[1], True),
              "B_COST": (scene.people["centre_B"], cost_only, True),
              "province_EIA": (city.regulator, eia_only[2], False)}
    today = timeutil.today_local()
    with city.app.app_context():
        for name, (who, agency, local) in issued.items():
            row = sanctions.issue(
                db.session.get(Organisation, agency.org_id), "warning", "未按承诺时限提交成果",
                "《中介服务管理办法》第二十条", today, today + timedelta(days=90),
                db.session.get(User, who.user_id), db.session.get(Organisation, who.org_id),
                local=local)
            scene.sanctions[name] = row.id
        db.session.commit()


def _ids(html: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, html))


def test_each_citys_bureau_sees_and_acts_on_its_own_citys_eia_only(city: City) -> None:
    scene = Scene()
    home, second = _people(city, scene)
    _requests(city, scene, second)
    _witness(city, scene)
    ia, ib = city.client(scene.people["IA"]), city.client(scene.people["IB"])
    assert scene.external_at is not None

    # the draw to-dos: the external value of its own city's EIA draw, nothing else
    with timeutil.frozen(scene.external_at + timedelta(minutes=20)):
        assert _draw_tasks(ia) == {("enter", scene.lotteries["A_EIA"])}
        assert _draw_tasks(ib) == {("enter", scene.lotteries["B_EIA"])}
        # the other's draw: its value is not theirs to type
        before = _world(city)
        for c, other in ((ia, "B_EIA"), (ib, "A_EIA"), (ib, "B_COST")):
            lottery = scene.lotteries[other]
            r = c.post(f"/lotteries/{lottery}/external", data={
                "value": "3 7 12 19 25 31 + 9",
                "official_date": scene.external_at.astimezone(timeutil.SHANGHAI).date()
                .isoformat(), "csrf_token": csrf_token(c, "/dashboard")})
            assert r.status_code in (403, 404), (other, r.status_code)
        assert _world(city) == before

    _objections(city, scene)
    _complaints_and_admissions(city, scene, home, second)
    _sanctions(city, scene)

    expected = {"IA": "A_EIA", "IB": "B_EIA"}
    clients = {"IA": ia, "IB": ib}
    for who, mine in expected.items():
        c = clients[who]
        objections = c.get("/regulator/objections").get_data(as_text=True)
        assert _ids(objections, r'action="/regulator/objections/(\d+)"') == {
            str(scene.objections[mine])}, who
        listed = c.get("/regulator/complaints").get_data(as_text=True)
        assert {p for p in scene.complaints.values() if p in listed} == {
            scene.complaints[mine]}, who
        queue = c.get("/review/admissions").get_data(as_text=True)
        assert _ids(queue, r'href="/review/admissions/(\d+)"') == {
            str(scene.applications[mine])}, who
        csv = c.get("/regulator/sanctions?format=csv").get_data(as_text=True)
        with city.app.app_context():
            agencies = {name: db.session.get(Sanction, sid).agency.public_id  # type: ignore[union-attr]
                        for name, sid in scene.sanctions.items()}
        # its city's local sanction of an EIA agency and the province-wide one (in force in
        # every city); neither the other city's local one nor any COST agency's
        shown = {line.split(",")[0] for line in csv.splitlines()[1:]}
        assert shown == {agencies[mine], agencies["province_EIA"]}, (who, shown)
        assert agencies["B_COST"] not in shown
        dashboard = c.get("/regulator").get_data(as_text=True)
        assert agencies["B_COST"] not in dashboard

    # acting on the other city's object: refused, nothing changed
    before = _world(city)
    for who, theirs in (("IA", "B_EIA"), ("IB", "A_EIA"), ("IB", "B_COST")):
        c = clients[who]
        token = csrf_token(c, "/regulator/objections")
        answers = {
            "objection": c.post(f"/regulator/objections/{scene.objections[theirs]}", data={
                "decision": "reject", "reason": "经核查，异议不成立，维持原结果。",
                "csrf_token": token}).status_code,
            "complaint": c.post(f"/regulator/complaints/{scene.complaints[theirs]}", data={
                "action": "review", "csrf_token": token}).status_code,
            "admission": c.post(f"/review/admissions/{scene.applications[theirs]}", data={
                "decision": "admit", "reasons": "", "csrf_token": token}).status_code,
            "repair": c.post(f"/regulator/sanctions/{scene.sanctions[theirs]}/repair", data={
                "repaired_on": timeutil.today_local().isoformat(), "decision": "云岭信修〔2026〕1号",
                "reason": "已按要求整改完毕并提交信用承诺书。", "csrf_token": token}).status_code,
            "page": c.get(f"/regulator/complaints/{scene.complaints[theirs]}").status_code,
        }
        assert set(answers.values()) <= {403, 404}, (who, theirs, answers)
    assert _world(city) == before

    # and on its own: the bureau starts the review of its city's complaint
    r = ib.post(f"/regulator/complaints/{scene.complaints['B_EIA']}", data={
        "action": "review", "csrf_token": csrf_token(ib, "/regulator/complaints")})
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
