"""Demo engagements and approval cases for 云川市 (called by ``flask demo load``).

Running, warned, overdue, paused and finished engagements and approval cases, so that every
clock colour shows on the dashboards, and one project (东城区滨河学校新建工程) whose timeline is
dominated by intermediary time.  Everything is driven through the real operations with the
clock frozen at past moments, so the clocks, audit trail and ledger are what they would be.

The cases follow the law's order and are recorded as the departments' approval systems record
them (case events through :func:`market.approvals.ingest.receive`, one machine client per
department), never by the owner: a report that is an acceptance condition is accepted before
the application is accepted (受理); a missing one is asked for by 补正 before 受理; and the one
report needed during review (the cost appraisal of a feasibility study) is an Art. 45 special
procedure linked to the engagement that performs it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from market import timeutil
from market.accounts.models import Membership, Organisation, OrgKind, OrgStatus, Role, User
from market.agencies.models import Listing
from market.approvals import ingest
from market.catalogue.models import ApprovalMatter, ServiceType
from market.clocks import store as clocks
from market.db import db
from market.engagements import operations as ops
from market.engagements.models import Engagement
from market.integration import clients
from market.integration.models import ApiClient
from market.selection.award import contract_from
from market.selection.models import Award, AwardState, Project, SelectionRequest

PDF = b"%PDF-1.4\n% demo document, fictional city\n%%EOF\n"
# Three weeks hold a result notice (中选公示) of 3 working days even across the Spring Festival.
NOTICE_OVER = timedelta(days=21)
# The approval matters the cases below use: the ones the demo's catalogue already lists
# (devdata.demo.agencies.APPROVAL_MATTERS), one row and one name per matter.
EIA, FSR, PERMIT = "PA-EIA", "PA-FSR", "PA-BLD"
MATTERS = (EIA, FSR, PERMIT)
# The Art. 45 reason the investment department gives for the cost appraisal it has an
# intermediary make during its review (鉴定).
APPRAISAL = "appraisal"


def _file(name: str, extra: bytes = b"") -> FileStorage:
    return FileStorage(io.BytesIO(PDF + extra), filename=name)


def _at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=timeutil.SHANGHAI).astimezone(UTC)


class _Demo:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.cal = clocks.calendar()
        self.today = now.astimezone(timeutil.SHANGHAI).date()
        self.owners = db.session.scalars(sa.select(Organisation).where(
            Organisation.kind == OrgKind.OWNER.value).order_by(Organisation.id)).all()

    def wd_ago(self, k: int, hour: int = 10) -> datetime:
        """``hour`` o'clock on the working day ``k`` working days before today."""
        d = self.today
        while self.cal.working_days_between(d, self.today) < k or not self.cal.is_working_day(d):
            d -= timedelta(days=1)
        return _at(d, hour)

    def user(self, org: Organisation | None, roles: tuple[Role, ...]) -> User:
        assert org is not None  # noqa: S101  # demo data is built in order
        user: User | None = db.session.scalar(sa.select(User).join(Membership).where(
            Membership.organisation_id == org.id, Membership.role.in_([r.value for r in roles]))
            .order_by(User.id).limit(1))
        assert user is not None  # noqa: S101
        return user

    def agency_for(self, code: str, n: int) -> Organisation:
        rows = db.session.scalars(sa.select(Organisation).join(
            Listing, Listing.organisation_id == Organisation.id).join(
            ServiceType, ServiceType.id == Listing.service_type_id).where(
            ServiceType.code == code, Organisation.status == OrgStatus.ADMITTED.value)
            .order_by(Organisation.id).distinct()).all()
        return rows[n % len(rows)]

    def project(self, owner: Organisation, name: str, code: str, at: datetime) -> Project:
        p = Project(public_id="tmp-" + uuid.uuid4().hex[:24], owner_org_id=owner.id, name=name,
                    code=code, fund_source="fiscal", investment_fen=120_000_000_00,
                    location="云川市", created_at=at)
        db.session.add(p)
        db.session.flush()
        p.public_id = f"PJ-{p.id:06d}"
        return p

    def engagement(self, project: Project, code: str, agency: Organisation, days: int,
                   at: datetime, fee_fen: int = 120_000_00,
                   published: datetime | None = None) -> Engagement:
        """A direct-selection request (published at ``published``, if given) with a confirmed
        award, and its engagement (the award offered long enough before ``at`` that its
        result notice is over: the contract starts at ``at``)."""
        st = db.session.scalars(sa.select(ServiceType).where(ServiceType.code == code)).one()
        if published is not None:  # the request comes before its award's offer
            published = min(published, at - NOTICE_OVER)
        req = SelectionRequest(
            public_id="tmp-" + uuid.uuid4().hex[:24], project_id=project.id,
            owner_org_id=project.owner_org_id, service_type_id=st.id,
            title=f"{project.name}{st.name}", scope=f"{st.name}（演示）", price_kind="fixed",
            price_fen=fee_fen, service_days=days, signing_days=5, method="direct",
            direct_agency_org_id=agency.id, signup_closes_at=at, state="selected", created_at=published or at,
            published_at=published, practitioners={})
        db.session.add(req)
        db.session.flush()
        req.public_id = f"RQ-{req.id:06d}"
        award = Award(request_id=req.id, agency_org_id=agency.id, rank=0, fee_fen=fee_fen,
                      service_days=days, state=AwardState.CONFIRMED.value,
                      offered_at=at - NOTICE_OVER, decided_at=at)
        db.session.add(award)
        db.session.flush()
        with timeutil.frozen(at):
            return ops.create_from_award(award)

    def finished(self, project: Project, code: str, n: int, days: int, start: int,
                 took: int) -> Engagement:
        """An engagement made ``start`` working days ago, signed the next working day, its
        report delivered ``took`` working days later and accepted the day after."""
        eng = self.engagement(project, code, self.agency_for(code, n), days, self.wd_ago(start),
                              published=self.wd_ago(start + 3))
        self.sign(eng, self.wd_ago(start - 1))
        self.deliver(eng, self.wd_ago(start - 1 - took))
        self.accept(eng, self.wd_ago(start - 2 - took))
        return eng

    def step(self, at: datetime, fn: Callable[..., Any], *args: Any) -> Any:
        with timeutil.frozen(at):
            return fn(*args)

    def sign(self, eng: Engagement, at: datetime) -> None:
        owner, agency = eng.owner, eng.agency
        self.step(at, ops.upload_contract, eng, agency, self.agency_user(eng), _file("合同.pdf"))
        self.step(at + timedelta(hours=2), ops.confirm_contract, eng, owner, self.owner_user(eng))

    def owner_user(self, eng: Engagement) -> User:
        return self.user(eng.owner, (Role.OWNER_ADMIN, Role.OWNER_DELEGATE))

    def agency_user(self, eng: Engagement) -> User:
        return self.user(eng.agency, (Role.AGENCY_ADMIN, Role.AGENCY_STAFF))

    def deliver(self, eng: Engagement, at: datetime, version: int = 1) -> None:
        self.step(at, ops.submit_deliverable, eng, eng.agency, self.agency_user(eng),
                  _file(f"{eng.service_type.name}报告v{version}.pdf", b"v%d" % version))

    def accept(self, eng: Engagement, at: datetime) -> None:
        self.step(at, ops.accept_deliverable, eng, eng.owner, self.owner_user(eng))



class _Systems:
    """The departments' approval systems: one machine client per department, sending each
    case's events as the API receives them (shared/spec/integration.md §3)."""

    def __init__(self) -> None:
        self.clients: dict[int, ApiClient] = {}
        self.n = 0

    def client(self, matter: ApprovalMatter) -> ApiClient:
        if matter.department_id not in self.clients:
            made = clients.create_client(f"{matter.department.name}审批系统",
                                         matter.department.code, ["cases:write"])
            self.clients[matter.department_id] = made.row
        return self.clients[matter.department_id]

    def event(self, project: Project, matter: ApprovalMatter, case_no: str, type_: str,
              at: datetime, **fields: Any) -> dict[str, Any]:
        """Send one event at ``at``; a refusal is a mistake in the demo's story."""
        self.n += 1
        raw = {"event_id": f"demo-{self.n:04d}", "case_no": case_no,
               "project_code": project.code, "matter_code": matter.code, "type": type_,
               "at": at.isoformat(), **fields}
        with timeutil.frozen(at):
            out = ingest.receive(self.client(matter), ingest.CaseEventData(**raw), raw)
        return out.result


def _matters() -> dict[str, ApprovalMatter]:
    out = {}
    for code in (EIA, FSR, PERMIT):
        m = db.session.scalar(sa.select(ApprovalMatter).where(ApprovalMatter.code == code))
        if m is None:
            raise RuntimeError(f"the demo catalogue lists approval matter {code} first")
        out[code] = m
    return out


def _carry_forward(d: _Demo) -> None:
    """The engagements the demo's confirmed awards opened went on as engagements do: the
    contract signed the next day and, where the time since allows, the work delivered within
    half its service days and accepted the day after.  Left alone, their signing limits would
    have run out weeks before anyone looks at the demo.  Those still inside the limit wait."""
    # Made now rather than lazily at the first page view, so that each is made when its
    # contract could start (the result notice over, no objection pending); the others wait.
    for award in db.session.scalars(
            sa.select(Award).outerjoin(Engagement, Engagement.award_id == Award.id)
            .where(Award.state == AwardState.CONFIRMED.value, Engagement.id.is_(None))
            .order_by(Award.id)).all():
        start = contract_from(award)
        if start is not None and start <= d.now:
            d.step(start, ops.create_from_award, award)
    rows = db.session.scalars(sa.select(Engagement).where(
        Engagement.state == "signing", Engagement.signing_due < d.today)
        .order_by(Engagement.id)).all()
    for eng in rows:
        signed = eng.created_at + timedelta(days=1)
        d.sign(eng, signed)
        delivered = signed + timedelta(days=max(1, eng.service_days // 2))
        if delivered + timedelta(days=1) < d.now - timedelta(hours=1):
            d.deliver(eng, delivered)
            d.accept(eng, delivered + timedelta(days=1))


def load(now: datetime) -> None:
    """Add the demo engagements and approval cases (after agencies and selection)."""
    d = _Demo(now)
    _carry_forward(d)
    matters = _matters()
    systems = _Systems()
    o1, o2, o3 = d.owners[0], d.owners[1 % len(d.owners)], d.owners[2 % len(d.owners)]

    # 1. The project whose timeline is dominated by intermediary time.  The 环评 report (an
    #    acceptance condition) takes an agency that runs late; only then is the application
    #    accepted and decided.  The feasibility study likewise; its case is returned once for
    #    补正, accepted, and then suspended for the cost appraisal (an Art. 45 special
    #    procedure performed by an engagement), whose agency is now overdue.
    p = d.project(o1, "东城区滨河学校新建工程", "2026-539901-83-01-000901", d.wd_ago(66))
    eia = d.engagement(p, "EIA", d.agency_for("EIA", 0), 15, d.wd_ago(57),
                       published=d.wd_ago(64))
    d.sign(eia, d.wd_ago(56))
    d.step(d.wd_ago(50), ops.ask_materials, eia, eia.agency, d.agency_user(eia), "项目选址意见书和总平面图")
    d.step(d.wd_ago(47), ops.answer_materials, eia, eia.owner, d.owner_user(eia), "已提供选址意见书和总平面图")
    fsr = d.engagement(p, "FSR", d.agency_for("FSR", 1), 12, d.wd_ago(38),
                       published=d.wd_ago(44))
    d.sign(fsr, d.wd_ago(37))
    d.deliver(eia, d.wd_ago(36))
    d.step(d.wd_ago(34), ops.return_deliverable, eia, eia.owner, d.owner_user(eia), "缺少声环境影响预测")
    d.deliver(eia, d.wd_ago(30), 2)
    d.accept(eia, d.wd_ago(29))
    no = "YC-STHJJ-2026-0417"
    systems.event(p, matters[EIA], no, "applied", d.wd_ago(28))
    systems.event(p, matters[EIA], no, "accepted", d.wd_ago(27))
    d.deliver(fsr, d.wd_ago(26))
    d.accept(fsr, d.wd_ago(25))
    no = "YC-FGW-2026-0233"
    systems.event(p, matters[FSR], no, "applied", d.wd_ago(24))
    systems.event(p, matters[FSR], no, "returned_for_correction", d.wd_ago(23))
    systems.event(p, matters[FSR], no, "resubmitted", d.wd_ago(22))
    systems.event(p, matters[FSR], no, "accepted", d.wd_ago(21))
    systems.event(p, matters[EIA], "YC-STHJJ-2026-0417", "decided", d.wd_ago(20), outcome="approved")
    cost = d.engagement(p, "COST", d.agency_for("COST", 0), 12, d.wd_ago(19),
                        published=d.wd_ago(21))
    d.sign(cost, d.wd_ago(18))
    systems.event(p, matters[FSR], no, "special_procedure_started", d.wd_ago(18, 15),
              reason=APPRAISAL, engagement_id=cost.public_id)
    # still running: overdue, and the case stays suspended until its report is accepted

    # 2. Engagements in every state, for the dashboards' colours; the permit's application
    #    came in before its 施工图审查 was done and was returned for 补正.
    p2 = d.project(o2, "西岭大道三期工程", "2026-539902-48-01-000902", d.wd_ago(30))
    normal = d.engagement(p2, "SURV", d.agency_for("SURV", 0), 20, d.wd_ago(5))
    d.sign(normal, d.wd_ago(4))
    warned = d.engagement(p2, "DES", d.agency_for("DES", 0), 6, d.wd_ago(6))
    d.sign(warned, d.wd_ago(5))  # 1 working day left
    paused = d.engagement(p2, "COST", d.agency_for("COST", 0), 15, d.wd_ago(8))
    d.sign(paused, d.wd_ago(7))
    d.step(d.wd_ago(2), ops.ask_materials, paused, paused.agency, d.agency_user(paused), "施工图预算编制依据")
    review = d.engagement(p2, "DRR", d.agency_for("DRR", 0), 10, d.wd_ago(9))
    d.sign(review, d.wd_ago(8))
    d.deliver(review, d.wd_ago(1))
    d.engagement(p2, "SAFE", d.agency_for("SAFE", 0), 10, d.wd_ago(1))  # awaiting contract
    no = "YC-ZJJ-2026-0651"
    systems.event(p2, matters[PERMIT], no, "applied", d.wd_ago(3))
    systems.event(p2, matters[PERMIT], no, "returned_for_correction", d.wd_ago(2))

    # 3. Finished engagements (on time and late) for the agencies' public records.
    p3 = d.project(o3, "南湖湿地公园提升工程", "2026-539903-46-01-000903", d.wd_ago(45))
    for i, (days, took) in enumerate(((10, 8), (8, 12), (15, 14))):
        e = d.engagement(p3, ("SWC", "EIA", "SURV")[i], d.agency_for(("SWC", "EIA", "SURV")[i], 2),
                         days, d.wd_ago(40))
        d.sign(e, d.wd_ago(39))
        d.deliver(e, d.wd_ago(39 - took))
        d.accept(e, d.wd_ago(38 - took))

    # 4. Approval cases running, each accepted after its reports were: one overdue, one
    #    warned, one normal.
    p4 = d.project(o3, "南湖区污水管网改造工程", "2026-539903-48-01-000904", d.wd_ago(40))
    d.finished(p4, "FSR", 2, 15, 30, 14)
    systems.event(p4, matters[FSR], "YC-FGW-2026-0301", "applied", d.wd_ago(13))
    systems.event(p4, matters[FSR], "YC-FGW-2026-0301", "accepted", d.wd_ago(12))  # 10: overdue
    p5 = d.project(o2, "西岭区体育中心工程", "2026-539902-83-01-000905", d.wd_ago(40))
    d.finished(p5, "FSR", 3, 12, 22, 10)
    d.finished(p5, "DES", 1, 20, 30, 18)
    d.finished(p5, "DRR", 1, 10, 10, 5)
    systems.event(p5, matters[FSR], "YC-FGW-2026-0318", "applied", d.wd_ago(9))
    systems.event(p5, matters[FSR], "YC-FGW-2026-0318", "accepted", d.wd_ago(8))  # 2 left
    systems.event(p5, matters[PERMIT], "YC-ZJJ-2026-0702", "applied", d.wd_ago(2))
    systems.event(p5, matters[PERMIT], "YC-ZJJ-2026-0702", "accepted", d.wd_ago(1))  # normal
    db.session.flush()
