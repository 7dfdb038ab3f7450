"""Sanctions (处罚) as everyone reads them: public while they run, history kept.

:func:`sanctions_for` is what :mod:`market.selection.eligibility` reads: an active suspension
or blacklisting blocks sign-up (and excludes at close); a warning does not.  Regulators issue
them (:mod:`market.regulator.sanctions`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa

from market import timeutil
from market.credit.models import Sanction, SanctionKind
from market.db import db
from market.domain.credit_repair import LONGEST_MONTHS, SEVERITY, SHORTEST_MONTHS, Severity
from market.domain.eligibility import Sanction as SanctionFact
from market.i18n import N_

KIND_LABELS = {
    SanctionKind.WARNING.value: N_("警告"),
    SanctionKind.SUSPENSION.value: N_("暂停"),
    SanctionKind.BLACKLIST.value: N_("黑名单"),
}

SEVERITY_LABELS = {
    Severity.MINOR.value: N_("轻微失信"),
    Severity.GENERAL.value: N_("一般失信"),
    Severity.SERIOUS.value: N_("严重失信"),
}


def publication_rules() -> list[tuple[str, str, int, int]]:
    """Each kind's label, its class's label and its shortest and longest publication periods
    in months, as the forms and the published formula state them."""
    return [(KIND_LABELS[kind], SEVERITY_LABELS[cls.value], SHORTEST_MONTHS[cls],
             LONGEST_MONTHS[cls]) for kind, cls in SEVERITY.items()]


def sanctions_for(org_id: int, tenant: int | None = None) -> Iterable[SanctionFact]:
    """Every sanction of an agency that reaches ``tenant`` (the province-wide ones and that
    tenant's local ones; all when None), as the eligibility rule sees them."""
    return sanctions_for_many([org_id], tenant)[org_id]


def sanctions_for_many(org_ids: list[int], tenant: int | None = None
                       ) -> dict[int, list[SanctionFact]]:
    """The same for many agencies in one query (at most 900 ids: SQLite's variable limit)."""
    found: dict[int, list[SanctionFact]] = {i: [] for i in org_ids}
    stmt = (sa.select(Sanction.agency_org_id, Sanction.kind, Sanction.starts_on,
                      Sanction.ends_on, Sanction.repaired_on)
            .where(Sanction.agency_org_id.in_(org_ids)).order_by(Sanction.id))
    if tenant is not None:
        stmt = stmt.where(sa.or_(Sanction.local_tenant_id.is_(None),
                                 Sanction.local_tenant_id == tenant))
    rows = db.session.execute(stmt)
    for org_id, kind, starts_on, ends_on, repaired_on in rows:
        # a credit repair (信用修复) ends the effect the day before its date
        end = ends_on if repaired_on is None else min(ends_on, repaired_on - timedelta(days=1))
        found[org_id].append(SanctionFact(kind, starts_on, end))
    return found


def history(org_id: int) -> list[Sanction]:
    """Every sanction of an agency, newest first (public)."""
    return list(db.session.scalars(
        sa.select(Sanction).where(Sanction.agency_org_id == org_id)
        .order_by(Sanction.starts_on.desc(), Sanction.id.desc())))


def active(org_id: int, on: date | None = None) -> list[Sanction]:
    on = on or timeutil.today_local()
    return [s for s in history(org_id) if s.active_on(on)]


def published(org_id: int, on: date | None = None) -> list[Sanction]:
    """What the public sees of an agency's sanctions on ``on`` (today), newest first: those
    within their publication period and not repaired."""
    on = on or timeutil.today_local()
    return [s for s in history(org_id) if s.published_on(on)]


def all_sanctions(kind: str | None = None) -> list[Sanction]:
    stmt = sa.select(Sanction).order_by(Sanction.issued_at.desc(), Sanction.id.desc())
    if kind:
        stmt = stmt.where(Sanction.kind == kind)
    return list(db.session.scalars(stmt))
