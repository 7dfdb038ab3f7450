"""Whose scope covers what (监管范围): the one rule every regulator's and operator's write
reads, and the filter their lists apply.

A regulator (``Organisation.regulator_kind``) is one of three:

* the service centre's supervisor (服务中心监督, ``centre``): everything of its tenant;
* an industry regulator (行业主管部门, ``industry``): in its tenant, only what concerns a
  service type its tenant's operator maps to it (market.catalogue.regulators, which the
  callers read to build ``Subject.regulators`` and filter by ``ListScope.regulator_id``);
* the province (省级监管, ``province``): reads everything in every tenant.  It acts where a
  matter is province-wide: sanctions and their credit repair, relations between agencies, and
  supervision orders (督办, a superior's instruction to act).  It does not take over a city's
  first-instance decisions (admission review, objections, complaints, avoid-list reviews,
  award decisions, owners' breaches): those stay with the regulators of the tenant where the
  matter arose, whom it may order to act.

An agency is on one register for the whole province; as a subject it is either where it
applied (its admission, ``tenant_id`` of the agency) or province-wide (a sanction: any tenant's
regulator may sanction an agency on the register).  An operator acts in its own tenant only;
the provincial operator (tenant = the province) in the province's own matters: it alone keeps
what every tenant shares (:func:`keeps_shared`: the service catalogue and the lottery draw
schedule), which the other operators read.

The callers build a :class:`Subject` from their objects (the request's tenant and service
type, the agency's tenant and listed service types…) and ask :func:`covers`, which reads no
table but the organisation the caller passes, so every area can use it.

An owner's people reach projects (:class:`Reach`): the administrator (采购管理人) all of the
organisation's, a delegate (采购受托人) only those assigned to it, read from the assignments.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort

from market.accounts.models import (
    Division,
    DivisionLevel,
    Membership,
    Organisation,
    OrgKind,
    ProjectAssignment,
    RegulatorKind,
    Role,
)
from market.db import db


class Act(enum.StrEnum):
    """What the caller is about to do."""

    READ = "read"  # see it in a list or on its page
    DECIDE = "decide"  # a first-instance decision of the tenant where it arose
    SANCTION = "sanction"  # a province-wide matter: sanctions, credit repair, relations
    SUPERVISE = "supervise"  # 督办: order the competent regulator to act


@dataclass(frozen=True)
class Subject:
    """What a write is about, as scope reads it.

    ``tenant_id``: the tenant it arose in (a request's, an engagement's request's, an agency's
    where it applied); None for a province-wide subject (an agency on the register as a
    whole).  ``regulators``: the industry regulators of its service types in its tenant
    (market.catalogue.regulators: one at most for a request; every listed service type's, in
    any tenant, for an agency)."""

    tenant_id: int | None
    regulators: frozenset[int] = frozenset()


def covers(org: Organisation | None, subject: Subject, act: Act = Act.DECIDE) -> bool:
    """Whether ``org`` (the regulator or operator acting) may ``act`` on ``subject``."""
    if org is None:
        return False
    if org.kind == OrgKind.OPERATOR.value:
        return subject.tenant_id is None or subject.tenant_id == org.tenant_id
    if org.kind != OrgKind.REGULATOR.value:
        return False
    kind = org.regulator_kind
    if kind == RegulatorKind.PROVINCE.value:
        return act in (Act.READ, Act.SANCTION, Act.SUPERVISE)
    if subject.tenant_id is None:
        # the agency as a whole: only a sanction (or reading) reaches beyond a tenant
        if act not in (Act.READ, Act.SANCTION):
            return False
    elif subject.tenant_id != org.tenant_id:
        return False
    if kind == RegulatorKind.INDUSTRY.value:
        return org.id in subject.regulators
    return kind == RegulatorKind.CENTRE.value


def keeps_shared(org: Organisation | None) -> bool:
    """Whether ``org`` is the provincial operator (省级运营方, an operator whose tenant is the
    province's row), the one that edits what the whole province shares: the service types,
    approval matters and approving departments of the catalogue and the welfare-lottery draw
    schedule.  A city's or county's operator reads them and keeps its own catalogue choices
    (选用)."""
    return (org is not None and org.kind == OrgKind.OPERATOR.value
            and org.tenant.level == DivisionLevel.PROVINCE.value)


def require_keeper(org: Organisation | None) -> None:
    """Stop a change to what the province shares (403) unless ``org`` keeps it."""
    if not keeps_shared(org):
        abort(403)


def shared_keeper_name() -> str | None:
    """The name of the provincial operator, the one the read-only pages name as the keeper;
    None while the province has none."""
    return db.session.scalar(
        sa.select(Organisation.name).join(Division, Division.id == Organisation.tenant_id)
        .where(Organisation.kind == OrgKind.OPERATOR.value,
               Division.level == DivisionLevel.PROVINCE.value)
        .order_by(Organisation.id).limit(1))


@dataclass(frozen=True)
class ListScope:
    """What a regulator's or operator's lists show: every tenant (``tenant_id`` None) or one,
    and within it every service type (``regulator_id`` None) or those the tenant maps to one
    industry regulator (market.catalogue.regulators.regulates, on each row's tenant)."""

    tenant_id: int | None
    regulator_id: int | None = None


def list_scope(org: Organisation | None) -> ListScope:
    """The rows ``org``'s lists show (a province regulator: all)."""
    if org is None:
        return ListScope(-1, -1)  # nothing
    if org.kind == OrgKind.REGULATOR.value:
        if org.regulator_kind == RegulatorKind.PROVINCE.value:
            return ListScope(None)
        if org.regulator_kind == RegulatorKind.INDUSTRY.value:
            return ListScope(org.tenant_id, org.id)
    return ListScope(org.tenant_id)


def require(org: Organisation | None, subject: Subject, act: Act) -> None:
    """Stop the request unless ``org`` may ``act`` on ``subject``: 404 when it may not even
    see it (another tenant's, another industry's: its existence is not for them), 403 when it
    sees it but the act is another regulator's (the province reading a city's complaint)."""
    if not covers(org, subject, Act.READ):
        abort(404)
    if not covers(org, subject, act):
        abort(403)


# --- an owner's people (采购管理人, 采购受托人) ------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The projects an owner's person reaches, and with them everything that hangs from a
    project (its requests, engagements, approval cases and their clocks, payments).

    The owner's administrator (采购管理人) reaches every project of its organisation; a
    delegate (采购受托人, ``membership_id`` set) only the projects assigned to it
    (:class:`~market.accounts.models.ProjectAssignment`).  Every owner list filters by
    :meth:`where` and every owner page loads its object through :meth:`sees`, so this is the
    one place the rule is written; what is out of reach does not exist for the person (404)."""

    org_id: int
    membership_id: int | None = None

    @property
    def delegate(self) -> bool:
        return self.membership_id is not None

    def assigned(self) -> sa.Select[Any]:
        """The ids of the projects assigned to the delegate."""
        return sa.select(ProjectAssignment.project_id).where(
            ProjectAssignment.membership_id == self.membership_id)

    def where(self, owner_org: Any, project: Any, *,
              unit_wide: bool = False) -> sa.ColumnElement[bool]:
        """The condition on a row's owner organisation and project columns.

        ``unit_wide``: the rows may hang from no project (a notification about the
        organisation itself, its activation or refusal), and those are every member's; without
        it a row with no project is the administrator's only."""
        condition: sa.ColumnElement[bool] = owner_org == self.org_id
        if self.delegate:
            mine = project.in_(self.assigned())
            condition = sa.and_(condition, sa.or_(project.is_(None), mine) if unit_wide
                                else mine)
        return condition

    def sees(self, owner_org_id: int | None, project_id: int | None, *,
             unit_wide: bool = False) -> bool:
        """Whether one row (of this owner organisation and project) is within reach
        (``unit_wide`` as in :meth:`where`)."""
        if owner_org_id != self.org_id:
            return False
        if not self.delegate:
            return True
        if project_id is None:
            return unit_wide
        return db.session.scalar(sa.select(sa.exists().where(
            ProjectAssignment.membership_id == self.membership_id,
            ProjectAssignment.project_id == project_id))) is True


def reaching(project_id: int | None) -> sa.ColumnElement[bool]:
    """The condition on :class:`~market.accounts.models.Membership` rows whose person reaches
    ``project_id`` within their own organisation (the same rule as :class:`Reach`, read from
    the other side: who is told of a project's matter, by e-mail or in the app).  Every
    member but an owner's delegate reaches everything its organisation is told; a delegate
    only its assigned projects, and everything that hangs from no project."""
    if project_id is None:
        return sa.true()
    return sa.or_(Membership.role != Role.OWNER_DELEGATE.value, Membership.id.in_(
        sa.select(ProjectAssignment.membership_id).where(
            ProjectAssignment.project_id == project_id)))


def reach(membership: Membership | None) -> Reach | None:
    """What ``membership`` reaches as an owner's person; None for anyone else."""
    if membership is None or membership.organisation.kind != OrgKind.OWNER.value:
        return None
    if membership.role == Role.OWNER_DELEGATE.value:
        return Reach(membership.organisation_id, membership.id)
    return Reach(membership.organisation_id)
