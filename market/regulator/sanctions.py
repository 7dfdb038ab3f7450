"""Sanctions (处罚): issued by regulators, public while they run, history kept.

:func:`sanctions_for` is the hook :mod:`market.selection.eligibility` reads: an active
suspension or blacklisting blocks sign-up (and excludes at close); a warning does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from market import audit, timeutil
from market.accounts.models import Organisation, OrgKind, User
from market.db import db
from market.domain.eligibility import Sanction as SanctionFact
from market.i18n import N_
from market.regulator.errors import RuleError
from market.regulator.models import Sanction, SanctionKind

KIND_LABELS = {
    SanctionKind.WARNING.value: N_("警告"),
    SanctionKind.SUSPENSION.value: N_("暂停"),
    SanctionKind.BLACKLIST.value: N_("黑名单"),
}


def sanctions_for(org_id: int) -> Iterable[SanctionFact]:
    """Every sanction of an agency, as the eligibility rule sees them."""
    return sanctions_for_many([org_id])[org_id]


def sanctions_for_many(org_ids: list[int]) -> dict[int, list[SanctionFact]]:
    """The same for many agencies in one query (at most 900 ids: SQLite's variable limit)."""
    found: dict[int, list[SanctionFact]] = {i: [] for i in org_ids}
    rows = db.session.execute(sa.select(Sanction.agency_org_id, Sanction.kind, Sanction.starts_on,
                                        Sanction.ends_on)
                              .where(Sanction.agency_org_id.in_(org_ids))
                              .order_by(Sanction.id))
    for org_id, kind, starts_on, ends_on in rows:
        found[org_id].append(SanctionFact(kind, starts_on, ends_on))
    return found


def history(org_id: int) -> list[Sanction]:
    """Every sanction of an agency, newest first (public)."""
    return list(db.session.scalars(
        sa.select(Sanction).where(Sanction.agency_org_id == org_id)
        .order_by(Sanction.starts_on.desc(), Sanction.id.desc())))


def active(org_id: int, on: date | None = None) -> list[Sanction]:
    on = on or timeutil.today_local()
    return [s for s in history(org_id) if s.active_on(on)]


def issue(agency: Organisation | None, kind: str, reason: str, legal_basis: str,
          starts_on: date | None, ends_on: date | None, by: User,
          regulator: Organisation | None) -> Sanction:
    """A regulator sanctions an agency.  Refuses (nothing stored) a missing agency, kind,
    reason or legal basis, and an end before the start.  Recomputes the agency's credit."""
    if agency is None or agency.kind != OrgKind.AGENCY.value:
        raise RuleError("agency", N_("请填写正确的中介机构编号。"))
    if kind not in KIND_LABELS:
        raise RuleError("kind", N_("请选择处罚类型。"))
    if not reason.strip():
        raise RuleError("reason", N_("请填写处罚事由。"))
    if not legal_basis.strip():
        raise RuleError("legal_basis", N_("请填写处罚依据。"))
    if starts_on is None:
        raise RuleError("starts_on", N_("请填写开始日期。"))
    if ends_on is None:
        raise RuleError("ends_on", N_("请填写结束日期。"))
    if ends_on < starts_on:
        raise RuleError("ends_on", N_("结束日期不能早于开始日期。"))
    row = Sanction(agency_org_id=agency.id, kind=kind, reason=reason.strip(),
                   legal_basis=legal_basis.strip(), starts_on=starts_on, ends_on=ends_on,
                   issued_at=timeutil.now(), issued_by_id=by.id,
                   regulator_org_id=regulator.id if regulator else None)
    db.session.add(row)
    db.session.flush()
    audit.record("regulator:sanction:issue", agency.public_id,
                 {"sanction": row.id, "kind": kind, "starts_on": starts_on.isoformat(),
                  "ends_on": ends_on.isoformat()})
    from market.regulator import credit

    credit.recompute(agency.id)
    return row


def all_sanctions(kind: str | None = None) -> list[Sanction]:
    stmt = sa.select(Sanction).order_by(Sanction.issued_at.desc(), Sanction.id.desc())
    if kind:
        stmt = stmt.where(Sanction.kind == kind)
    return list(db.session.scalars(stmt))
