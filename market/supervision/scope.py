"""Which ladder entries and supervision orders (督办) a regulator's scope covers
(market.accounts.scope): each late matter is read back to the request it belongs to (its
tenant and service type) or, for an approval case, to its owner's tenant.

An approval case concerns no intermediary service type, so an industry regulator
(行业主管部门) is not shown one; the centre's supervisor of its tenant is.  Complaints live
on a higher floor: their area connects the reader of the complaints a scope covers
(:func:`connect`, from ``create_app``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.accounts.scope import list_scope
from market.approvals.models import ApprovalCase
from market.engagements.models import Engagement
from market.evaluation.models import Correction, Rating
from market.selection.models import Objection, SelectionRequest
from market.selection.scope import within
from market.supervision.models import EscalationStep, SubjectKind

# the public ids of one kind's matters that an organisation's lists show
Reader = Callable[[Organisation | None], sa.Select[Any]]
_readers: dict[str, Reader] = {}


def connect(kind: str, reader: Reader) -> None:
    """A higher area's reader of its matters of ``kind`` (a :class:`SubjectKind`) in a scope
    (``create_app``); idempotent."""
    _readers[SubjectKind(kind).value] = reader


def _engagements(org: Organisation | None) -> sa.Select[Any]:
    return within(sa.select(Engagement.public_id).join(
        SelectionRequest, SelectionRequest.id == Engagement.request_id), org)


def _cases(org: Organisation | None) -> sa.Select[Any]:
    scope = list_scope(org)
    stmt = sa.select(ApprovalCase.public_id).join(
        Organisation, Organisation.id == ApprovalCase.owner_org_id)
    if scope.regulator_id is not None:
        return stmt.where(sa.false())
    if scope.tenant_id is not None:
        stmt = stmt.where(Organisation.tenant_id == scope.tenant_id)
    return stmt


def visible(org: Organisation | None) -> Any:
    """The condition on :class:`EscalationStep` rows ``org``'s scope covers (``None``: every
    row, the province's)."""
    scope = list_scope(org)
    if scope.tenant_id is None and scope.regulator_id is None:
        return None
    kind, subject = EscalationStep.subject_kind, EscalationStep.subject_id
    engagements = _engagements(org).subquery()
    # a review clock's subject is the engagement's public id, a slash and the clock's id
    review = sa.exists(sa.select(engagements.c.public_id).where(
        subject.like(engagements.c.public_id + "/%")))
    parts = [
        sa.and_(kind.in_((SubjectKind.SERVICE.value, SubjectKind.SIGNING.value)),
                subject.in_(sa.select(engagements.c.public_id))),
        sa.and_(kind == SubjectKind.REVIEW.value, review),
        sa.and_(kind.in_((SubjectKind.CASE.value, SubjectKind.TOLERATED.value)),
                subject.in_(_cases(org))),
        sa.and_(kind == SubjectKind.OBJECTION.value, subject.in_(within(
            sa.select(sa.cast(Objection.id, sa.String)).join(
                SelectionRequest, SelectionRequest.id == Objection.request_id), org))),
        sa.and_(kind == SubjectKind.CORRECTION.value, subject.in_(within(
            sa.select(Correction.public_id).join(Rating, Rating.id == Correction.rating_id)
            .join(Engagement, Engagement.id == Rating.engagement_id)
            .join(SelectionRequest, SelectionRequest.id == Engagement.request_id), org))),
    ]
    parts += [sa.and_(kind == name, subject.in_(reader(org)))
              for name, reader in sorted(_readers.items())]
    return sa.or_(*parts)
