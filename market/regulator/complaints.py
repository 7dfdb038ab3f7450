"""Complaints (投诉): filed by a party, handled by a regulator within a deadline in working
days (``COMPLAINT_WORKING_DAYS``), through visible states to a public outcome.

received (已受理) → under_review (调查处理中) → upheld (投诉成立) / rejected (投诉不成立)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, User
from market.accounts.scope import Act, Reach, Subject, covers
from market.calendar.service import current_calendar
from market.credit import score as credit
from market.db import db
from market.domain.calendar import local_day_start
from market.engagements.models import Engagement
from market.i18n import N_
from market.regulator.errors import RuleError
from market.regulator.models import Complaint, ComplaintAttachment, ComplaintState
from market.selection.models import SelectionRequest, SignUp
from market.selection.scope import request_subject
from market.settings import service as settings
from market.storage import Upload

STATE_LABELS = {
    ComplaintState.RECEIVED.value: N_("已受理"),
    ComplaintState.UNDER_REVIEW.value: N_("调查处理中"),
    ComplaintState.UPHELD.value: N_("投诉成立"),
    ComplaintState.REJECTED.value: N_("投诉不成立"),
}
SUBJECT_LABELS = {"engagement": N_("委托（服务过程）"), "request": N_("采购公告（选取过程）")}
# What may follow each state.
NEXT = {
    ComplaintState.RECEIVED.value: {ComplaintState.UNDER_REVIEW.value},
    ComplaintState.UNDER_REVIEW.value: {ComplaintState.UPHELD.value,
                                        ComplaintState.REJECTED.value},
}
MAX_TEXT = 5000


def parties(subject_kind: str, subject_id: str, filer: Organisation,
            reach: Reach | None = None) -> int | None:
    """Check the filer took part in the subject; return the organisation complained about.

    Engagement: its owner or its agency (against the other).  Selection request: its owner
    (against nobody in particular: the process) or an agency that signed up (against the
    owner).  ``reach``: the owner's person filing, who must reach the subject's project (a
    delegate, 采购受托人, its assigned projects only; any other is answered as if the filer
    were no party, so that the page does not tell it exists).  Anything else:
    :class:`RuleError` on ``subject_id``."""

    def not_party() -> RuleError:
        # A fresh error per raise: one shared instance would carry an old traceback along.
        return RuleError("subject_id", N_("您的单位不是该事项的当事方，不能就此投诉。"))

    if subject_kind == "engagement":
        eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == subject_id))
        if eng is None or filer.id not in (eng.owner_org_id, eng.agency_org_id) or (
                filer.id == eng.owner_org_id and reach is not None
                and not reach.sees(eng.owner_org_id, eng.project_id)):
            raise not_party()
        against: int = eng.agency_org_id if filer.id == eng.owner_org_id else eng.owner_org_id
        return against
    if subject_kind == "request":
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == subject_id))
        if req is None:
            raise not_party()
        if req.owner_org_id == filer.id:
            if reach is not None and not reach.sees(req.owner_org_id, req.project_id):
                raise not_party()
            return None
        signed = db.session.scalar(sa.select(SignUp.id).where(
            SignUp.request_id == req.id, SignUp.agency_org_id == filer.id).limit(1))
        if signed is None:
            raise not_party()
        owner: int = req.owner_org_id
        return owner
    raise RuleError("subject_kind", N_("请选择投诉对象。"))


def subject_request(subject_kind: str, subject_id: str) -> SelectionRequest | None:
    """The request a complaint's subject belongs to (an engagement's, or the request itself):
    what its tenant and its regulators are read from."""
    if subject_kind == "engagement":
        eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == subject_id))
        return eng.request if eng is not None else None
    if subject_kind == "request":
        return db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == subject_id))
    return None


def due_date(filed_on: date, tenant: int | None = None) -> date:
    days = settings.effective("COMPLAINT_WORKING_DAYS", local_day_start(filed_on), tenant)
    # the complaint is answered by the regulators of the tenant where its subject arose
    return current_calendar(tenant).add_working_days(filed_on, days)


def complaint_subject(row: Complaint) -> Subject:
    """A complaint as scope reads it: its subject's request (tenant, service type)."""
    req = subject_request(row.subject_kind, row.subject_id)
    return request_subject(req) if req is not None else Subject(None)


def _tenant_of(subject_kind: str, subject_id: str) -> int | None:
    req = subject_request(subject_kind, subject_id)
    return req.tenant_id if req is not None else None


def file(filer: Organisation, by: User, subject_kind: str, subject_id: str, text: str,
         uploads: Sequence[Upload] = (), reach: Reach | None = None) -> Complaint:
    """A party (owner or agency) files a complaint; it is received at once with its deadline.
    Refuses (nothing stored) empty text and a subject the filer is not party to (or, for an
    owner's person, whose project is out of its ``reach``)."""
    if filer.kind not in (OrgKind.OWNER.value, OrgKind.AGENCY.value):
        raise RuleError("subject_id", N_("您的单位不是该事项的当事方，不能就此投诉。"))
    text = text.strip()
    if not text:
        raise RuleError("text", N_("请填写投诉内容。"))
    if len(text) > MAX_TEXT:
        raise RuleError("text", N_("投诉内容不能超过 %(n)s 字。"), n=MAX_TEXT)
    against = parties(subject_kind, subject_id.strip(), filer, reach)
    now = timeutil.now()
    row = Complaint(public_id="", filer_org_id=filer.id, filed_by_id=by.id,
                    against_org_id=against, subject_kind=subject_kind,
                    subject_id=subject_id.strip(), text=text,
                    state=ComplaintState.RECEIVED.value, filed_at=now,
                    due_on=due_date(timeutil.today_local(), _tenant_of(subject_kind,
                                                                       subject_id.strip())))
    db.session.add(row)
    db.session.flush()
    row.public_id = f"TS-{row.id:06d}"
    for u in uploads:
        db.session.add(ComplaintAttachment(complaint_id=row.id, upload_id=u.id))
    db.session.flush()
    audit.record("party:complaint:file", row.public_id,
                 {"subject": f"{subject_kind}:{row.subject_id}", "due_on": row.due_on.isoformat()})
    return row


def _move(row: Complaint, to: str) -> None:
    if to not in NEXT.get(row.state, set()):
        raise RuleError("state", N_("该投诉当前状态下不能进行此操作。"))


def start_review(row: Complaint, by: User) -> None:
    """A regulator takes the complaint up (received → under review)."""
    _move(row, ComplaintState.UNDER_REVIEW.value)
    row.state = ComplaintState.UNDER_REVIEW.value
    row.review_started_at = timeutil.now()
    row.handler_id = by.id
    audit.record("regulator:complaint:review", row.public_id)


def decide(row: Complaint, by: User, upheld: bool, outcome: str) -> None:
    """A regulator decides (under review → upheld / rejected) with a public outcome.  An upheld
    complaint against an agency counts in its credit (recomputed here)."""
    to = ComplaintState.UPHELD.value if upheld else ComplaintState.REJECTED.value
    _move(row, to)
    if not outcome.strip():
        raise RuleError("outcome", N_("请填写处理结果（将公开）。"))
    row.state = to
    row.outcome = outcome.strip()
    row.decided_at = timeutil.now()
    row.handler_id = by.id
    audit.record("regulator:complaint:decide", row.public_id, {"state": to})
    if row.against_org_id is not None:
        against = db.session.get(Organisation, row.against_org_id)
        if against is not None and against.kind == OrgKind.AGENCY.value:
            credit.recompute(against.id)


def overdue(row: Complaint, today: date | None = None) -> bool:
    return not row.decided and (today or timeutil.today_local()) > row.due_on


def listing(state: str | None = None, org: Organisation | None = None) -> list[Complaint]:
    """The complaints (of ``state``), those ``org``'s scope covers when given."""
    stmt = sa.select(Complaint).order_by(Complaint.due_on, Complaint.id)
    if state:
        stmt = stmt.where(Complaint.state == state)
    rows = list(db.session.scalars(stmt))
    if org is None:
        return rows
    return [c for c in rows if covers(org, complaint_subject(c), Act.READ)]


def by_public_id(public_id: str) -> Complaint | None:
    return db.session.scalar(sa.select(Complaint).where(Complaint.public_id == public_id))


def _subject_project() -> sa.ColumnElement[int | None]:
    """A complaint's project, as a column: its engagement's or its request's."""
    return sa.case(
        (Complaint.subject_kind == "engagement", sa.select(Engagement.project_id).where(
            Engagement.public_id == Complaint.subject_id).scalar_subquery()),
        else_=sa.select(SelectionRequest.project_id).where(
            SelectionRequest.public_id == Complaint.subject_id).scalar_subquery())


def filer_reaches(row: Complaint, reach: Reach) -> bool:
    """Whether the owner's person (``reach``) reaches the complaint its organisation filed."""
    project: int | None = db.session.scalar(sa.select(_subject_project()).where(
        Complaint.id == row.id))
    return reach.sees(row.filer_org_id, project)


def of_filer(org_id: int, reach: Reach | None = None) -> list[Complaint]:
    """The complaints the organisation filed; ``reach``: an owner's person's, those about its
    projects only (a delegate, 采购受托人: its assigned projects')."""
    mine = (Complaint.filer_org_id == org_id if reach is None
            else reach.where(Complaint.filer_org_id, _subject_project()))
    return list(db.session.scalars(sa.select(Complaint).where(mine).order_by(
        Complaint.filed_at.desc())))


def decided_about(org_id: int) -> list[Complaint]:
    """Public outcomes of complaints about an organisation."""
    return list(db.session.scalars(sa.select(Complaint).where(
        Complaint.against_org_id == org_id,
        Complaint.state.in_((ComplaintState.UPHELD.value, ComplaintState.REJECTED.value)))
        .order_by(Complaint.decided_at.desc())))


def upheld_since(org_id: int, since: datetime) -> int:
    """How many complaints against an organisation were upheld (decided) since ``since`` (what
    the red list reads)."""
    return db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(
        Complaint.against_org_id == org_id, Complaint.decided_at >= since,
        Complaint.state == ComplaintState.UPHELD.value)) or 0


def upheld_against(org_id: int) -> int:
    """How many complaints against an organisation were upheld (what the credit score
    counts)."""
    return db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(
        Complaint.against_org_id == org_id,
        Complaint.state == ComplaintState.UPHELD.value)) or 0
