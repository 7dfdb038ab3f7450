"""Electronic supervision's operations: the periodic escalation run and answering a
supervision order (督办)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, RegulatorKind, User
from market.accounts.scope import Act, Subject, covers
from market.calendar.service import current_calendar
from market.db import db, lock_row
from market.domain.calendar import local_date
from market.domain.escalation import Ladder, Step, to_raise
from market.i18n import N_
from market.refusal import Refused
from market.supervision import scope
from market.supervision.models import EscalationStep, SupervisionOrder
from market.supervision.sources import Late, late_matters

MAX_ANSWER = 2000
MIN_ANSWER = 10


class SupervisionError(Refused):
    """A supervision rule refused the change; ``field`` names the form field (``None``: the
    form as a whole).  Nothing was stored."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def ladder() -> Ladder:
    """The ladder of the settings (``ESCALATION_*_DAYS``)."""
    c = current_app.config
    return Ladder(int(c["ESCALATION_WARNING_DAYS"]), int(c["ESCALATION_YELLOW_DAYS"]),
                  int(c["ESCALATION_RED_DAYS"]))


def _regulators(m: Late) -> list[Organisation]:
    """The regulators whose scope covers the late matter (market.accounts.scope): its
    tenant's service centre supervisor and the industry regulator of its service type — the
    ones who decide it; the province reads every tenant's ladder on its console but is not
    told each card.  A matter whose tenant is unknown tells every tenant's supervisors."""
    stmt = sa.select(Organisation).where(Organisation.kind == OrgKind.REGULATOR.value)
    if m.tenant_id is None:
        return list(db.session.scalars(stmt.where(
            Organisation.regulator_kind == RegulatorKind.CENTRE.value).order_by(Organisation.id)))
    subject = Subject(m.tenant_id, frozenset({m.regulator_id} if m.regulator_id else ()))
    return [org for org in db.session.scalars(stmt.where(
        Organisation.tenant_id == m.tenant_id).order_by(Organisation.id))
        if covers(org, subject, Act.DECIDE)]


def managing_department(m: Late) -> list[Organisation]:
    """The managing department (主管部门) of the late matter's tenant that its red card goes
    to: the organisation of that tenant among those ``ESCALATION_MANAGING_ORG`` names (public
    ids, separated by commas or spaces: one per tenant), else the regulators whose scope
    covers the matter."""
    named = str(current_app.config.get("ESCALATION_MANAGING_ORG") or "").replace(",", " ").split()
    if named:
        orgs = db.session.scalars(sa.select(Organisation).where(
            Organisation.public_id.in_(named)).order_by(Organisation.id)).all()
        # a single name keeps its old meaning where the tenant is unknown or the same
        mine = [o for o in orgs if m.tenant_id is None or o.tenant_id == m.tenant_id]
        if mine:
            return mine
    return _regulators(m)


def _recipients(m: Late, step: Step) -> list[tuple[Organisation, str]]:
    """Who a step tells, each with the role they are told in: the responsible party always
    (when it is an organisation of the market); the regulators whose scope covers the matter
    at the warning when the party is a department or the regulators themselves, and at the
    yellow card; the managing department of its tenant at the red card."""
    out: list[tuple[Organisation, str]] = []
    party = db.session.get(Organisation, m.party_org_id) if m.party_org_id else None
    if party is not None:
        out.append((party, "party"))
    if step == Step.WARNING and party is None or step == Step.YELLOW:
        out += [(org, "regulator") for org in _regulators(m)]
    if step == Step.RED:
        out += [(org, "managing") for org in managing_department(m)]
    seen: set[int] = set()
    unique = []
    for org, role in out:
        if org.id not in seen:
            seen.add(org.id)
            unique.append((org, role))
    return unique


def _raise(m: Late, step: Step, now: datetime) -> EscalationStep:
    """Write one step, its 督办 for a yellow card, its audit event, and tell the notifications
    (raises IntegrityError, rolled back by the caller's savepoint, when it exists already)."""
    channels = ["notice"] + (["email"] if current_app.config.get("SMTP_HOST") else [])
    told_orgs = _recipients(m, step)
    told: list[dict[str, Any]] = [{"org": org.public_id, "name": org.name, "role": role,
                                   "channels": channels} for org, role in told_orgs]
    row = EscalationStep(subject_kind=m.subject_kind.value, subject_id=m.subject_id,
                         subject_link=m.link[:200], subject_title=m.title[:200],
                         due_date=m.due_date, step=step.code, party_kind=m.party_kind.value,
                         party_org_id=m.party_org_id, party_name=m.party_name[:200],
                         late_days=m.late, raised_at=now, told=told)
    db.session.add(row)
    db.session.flush()
    details: dict[str, Any] = {"step": step.code, "subject": f"{m.subject_kind}:{m.subject_id}",
                               "due_date": m.due_date.isoformat(), "late_days": m.late,
                               "told": [t["org"] for t in told]}
    if step == Step.YELLOW:
        days = int(current_app.config["ESCALATION_ANSWER_WORKING_DAYS"])
        order = SupervisionOrder(public_id=f"DB-{row.id:06d}", step_id=row.id, opened_at=now,
                                 answer_due=current_calendar(m.tenant_id).add_working_days(
                                     local_date(now), days))
        db.session.add(order)
        db.session.flush()
        details["order"] = order.public_id
    audit.record(f"supervision:{step.code}", m.subject_id, details)
    events.send(events.EscalationRaised(
        at=now, step_id=row.id, step=step.code, subject_kind=m.subject_kind.value,
        subject_id=m.subject_id, told_org_ids=tuple(org.id for org, _ in told_orgs)))
    return row


def escalate(now: datetime | None = None) -> int:
    """Raise every step the late matters have reached and not yet raised (called by the
    periodic run, any instance; commits per matter).  Each step of a matter and due date is
    raised exactly once even when several runs race: its row's unique constraint is the claim,
    and a run that loses it leaves the rest of that matter to the winner."""
    now = now or timeutil.now()
    rule = ladder()
    raised = 0
    for m in late_matters(now, current_calendar):
        done = {Step[s.upper()] for s in db.session.scalars(sa.select(EscalationStep.step).where(
            EscalationStep.subject_kind == m.subject_kind.value,
            EscalationStep.subject_id == m.subject_id, EscalationStep.due_date == m.due_date))}
        for step in to_raise(m.late, done, rule):
            try:
                with db.session.begin_nested():
                    _raise(m, step, now)
            except IntegrityError:
                break  # raised by a concurrent run, which raises this matter's next steps too
            raised += 1
        db.session.commit()
    return raised


def answer(order: SupervisionOrder, user: User, text: str) -> SupervisionOrder:
    """A regulator answers a supervision order (督办) in writing, once: what was done about the
    late matter.  Changes the order (answer, who, when) and writes an audit event."""
    text = (text or "").strip()
    if len(text) < MIN_ANSWER:
        raise SupervisionError("answer", N_("请写明督办的办理情况（至少 10 个字）。"))
    if len(text) > MAX_ANSWER:
        raise SupervisionError("answer", N_("办理情况不能超过 2000 字。"))
    order = lock_row(SupervisionOrder, order.id)
    if order.answered:
        raise SupervisionError(None, N_("该督办已答复，不能再次答复。"))
    order.answer, order.answered_by_id, order.answered_at = text, user.id, timeutil.now()
    audit.record("regulator:supervision:answer", order.public_id,
                 {"step": order.step_id, "length": len(text)})
    return order


def by_public_id(public_id: str) -> SupervisionOrder | None:
    return db.session.scalar(sa.select(SupervisionOrder).where(
        SupervisionOrder.public_id == public_id))


@dataclass(frozen=True)
class Party:
    """A responsible party on the console: an organisation of the market, or a department
    known only by name (``org_public_id`` None); ``key`` names it in the console's address."""

    key: str
    kind: str
    name: str
    org_public_id: str | None
    matters: int
    first_raised: datetime


@dataclass
class Matter:
    """One late matter and due date, with its raised steps by code."""

    first: EscalationStep
    party: str  # the key of its party
    steps: dict[str, EscalationStep] = field(default_factory=dict)


def _party_key() -> Any:
    # one string per party: its kind and the organisation's public id, or the name of a
    # department that has no organisation of its own ("~" never starts a public id)
    return EscalationStep.party_kind + ":" + sa.func.coalesce(
        Organisation.public_id, "~" + EscalationStep.party_name)


def _matters(org: Organisation | None) -> Any:
    """Every late matter (subject and due date) ``org``'s scope covers, with its party, its
    first raise and its place within the party's matters, oldest first."""
    key = _party_key().label("party")
    first, first_id = sa.func.min(EscalationStep.raised_at), sa.func.min(EscalationStep.id)
    stmt = (sa.select(key, EscalationStep.party_kind, Organisation.public_id.label("org"),
                      sa.func.max(EscalationStep.party_name).label("name"),
                      EscalationStep.subject_kind, EscalationStep.subject_id,
                      EscalationStep.due_date, first.label("first"),
                      first_id.label("first_id"),
                      sa.func.row_number().over(partition_by=key, order_by=(first, first_id))
                      .label("place"))
            .select_from(EscalationStep)
            .outerjoin(Organisation, Organisation.id == EscalationStep.party_org_id))
    covered = scope.visible(org)
    if covered is not None:
        stmt = stmt.where(covered)
    return stmt.group_by(key, EscalationStep.party_kind, Organisation.public_id,
                         EscalationStep.subject_kind, EscalationStep.subject_id,
                         EscalationStep.due_date).subquery("matter")


def _parties(matters: Any) -> Any:
    first, first_id = sa.func.min(matters.c.first), sa.func.min(matters.c.first_id)
    return (sa.select(matters.c.party, matters.c.party_kind, matters.c.org,
                      sa.func.max(matters.c.name).label("name"),
                      sa.func.count().label("matters"), first.label("first"),
                      sa.func.row_number().over(order_by=(first, first_id)).label("rank"))
            .group_by(matters.c.party, matters.c.party_kind, matters.c.org)
            .subquery("party"))


def _steps_of(matters: Any, where: Any) -> list[Matter]:
    """The steps of the matters ``where`` picks, grouped per matter, oldest first."""
    rows = db.session.execute(
        sa.select(EscalationStep, matters.c.party).join(matters, sa.and_(
            matters.c.subject_kind == EscalationStep.subject_kind,
            matters.c.subject_id == EscalationStep.subject_id,
            matters.c.due_date == EscalationStep.due_date))
        .where(where)
        .options(joinedload(EscalationStep.order))
        .order_by(matters.c.first, matters.c.first_id, EscalationStep.raised_at,
                  EscalationStep.id)).all()
    out: dict[tuple[str, str, Any], Matter] = {}
    for step, party in rows:
        entry = out.setdefault((step.subject_kind, step.subject_id, step.due_date),
                               Matter(step, party))
        entry.steps[step.step] = step
    return list(out.values())


def _party(row: Any) -> Party:
    return Party(key=row.party, kind=row.party_kind, name=row.name, org_public_id=row.org,
                 matters=row.matters, first_raised=row.first)


def ladder_by_party(org: Organisation | None, page: int = 1, per_page: int = 10,
                    matters_each: int = 5) -> tuple[list[tuple[Party, list[Matter]]], int]:
    """The console's view, a page of it, of the matters ``org``'s scope covers (market.
    accounts.scope; the province: all): the responsible parties, the one whose oldest late
    matter was raised first at the top, each with its oldest ``matters_each`` matters and their
    raised steps; and how many parties there are."""
    matters = _matters(org)
    parties = _parties(matters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(parties)) or 0
    low, high = (page - 1) * per_page, page * per_page
    found = [_party(r) for r in db.session.execute(
        sa.select(parties).where(parties.c.rank > low, parties.c.rank <= high)
        .order_by(parties.c.rank))]
    by_key: dict[str, list[Matter]] = {p.key: [] for p in found}
    if found:
        for m in _steps_of(matters, sa.and_(matters.c.party.in_(list(by_key)),
                                            matters.c.place <= matters_each)):
            by_key[m.party].append(m)
    return [(p, by_key[p.key]) for p in found], total


def party_ladder(org: Organisation | None, key: str, page: int = 1, per_page: int = 20
                 ) -> tuple[Party, list[Matter]] | None:
    """One responsible party's late matters that ``org``'s scope covers, a page of them,
    oldest first (``None``: no such step was ever raised for a party of that key)."""
    matters = _matters(org)
    parties = _parties(matters)
    row = db.session.execute(sa.select(parties).where(parties.c.party == key)).first()
    if row is None:
        return None
    low, high = (page - 1) * per_page, page * per_page
    return _party(row), _steps_of(matters, sa.and_(
        matters.c.party == key, matters.c.place > low, matters.c.place <= high))


def in_scope(org: Organisation | None, order: SupervisionOrder) -> bool:
    """Whether ``org``'s scope covers the late matter ``order`` is about (the province: every
    one)."""
    covered = scope.visible(org)
    return covered is None or db.session.scalar(sa.select(EscalationStep.id).where(
        EscalationStep.id == order.step_id, covered)) is not None


def open_orders(org: Organisation | None, page: int = 1, per_page: int = 20
                ) -> tuple[list[SupervisionOrder], int]:
    """督办 not yet answered about matters ``org``'s scope covers, the earliest answer deadline
    first: a page of them, and how many there are."""
    waiting: Any = SupervisionOrder.answered_at.is_(None)
    covered = scope.visible(org)
    if covered is not None:
        waiting = sa.and_(waiting, covered)
    total = db.session.scalar(sa.select(sa.func.count(SupervisionOrder.id))
                              .select_from(SupervisionOrder).join(EscalationStep)
                              .where(waiting)) or 0
    return list(db.session.scalars(
        sa.select(SupervisionOrder).join(EscalationStep).where(waiting)
        .options(joinedload(SupervisionOrder.step_row))
        .order_by(SupervisionOrder.answer_due, SupervisionOrder.id)
        .limit(per_page).offset((page - 1) * per_page))), total
