"""Projects assigned to an owner's delegates (项目分派给采购受托人).

The owner's administrator (采购管理人) assigns each project to one or more of the
organisation's delegates (采购受托人) and can take it back; a delegate sees and acts on the
projects assigned to it only (:class:`market.accounts.scope.Reach`).  A project a delegate
registers is assigned to it at once, so it never loses sight of what it has just made.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.accounts.models import Membership, ProjectAssignment, Role, User
from market.db import db
from market.i18n import N_
from market.selection.errors import SelectionError
from market.selection.models import Project


def delegates_of(org_id: int) -> list[Membership]:
    """The organisation's delegates (采购受托人), in the order they joined."""
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.organisation_id == org_id,
        Membership.role == Role.OWNER_DELEGATE.value).order_by(Membership.id)))


def assignees(project: Project) -> list[Membership]:
    """The delegates ``project`` is assigned to."""
    return list(db.session.scalars(sa.select(Membership).join(
        ProjectAssignment, ProjectAssignment.membership_id == Membership.id).where(
        ProjectAssignment.project_id == project.id).order_by(Membership.id)))


def assigned_projects(membership: Membership) -> list[Project]:
    """The projects assigned to ``membership`` (a delegate), newest first."""
    return list(db.session.scalars(sa.select(Project).join(
        ProjectAssignment, ProjectAssignment.project_id == Project.id).where(
        ProjectAssignment.membership_id == membership.id).order_by(Project.id.desc())))


def _check(project: Project, membership: Membership) -> None:
    if (membership.organisation_id != project.owner_org_id
            or membership.role != Role.OWNER_DELEGATE.value):
        raise SelectionError("delegates", N_("只能分派给本单位的采购受托人。"))


def assign(project: Project, membership: Membership, *, by: User | None) -> bool:
    """Assign ``project`` to the delegate ``membership`` (of the project's owner).

    Who may call: the owner's administrator; a delegate for a project it has just registered
    (``create_project``).  Changes: one assignment and its audit event; nothing when the
    project is assigned to it already (answers False)."""
    _check(project, membership)
    if db.session.scalar(sa.select(ProjectAssignment.id).where(
            ProjectAssignment.project_id == project.id,
            ProjectAssignment.membership_id == membership.id)) is not None:
        return False
    db.session.add(ProjectAssignment(project_id=project.id, membership_id=membership.id,
                                     assigned_by_id=by.id if by is not None else None,
                                     created_at=timeutil.now()))
    db.session.flush()
    audit.record("owner:project:assign", project.public_id,
                 {"delegate": membership.user.account_id}, organisation_id=project.owner_org_id)
    return True


def unassign(project: Project, membership: Membership, *, by: User | None) -> bool:
    """Take ``project`` back from the delegate ``membership``.

    Who may call: the owner's administrator.  Changes: the assignment goes, with an audit
    event; nothing when there was none (answers False)."""
    _check(project, membership)
    row = db.session.scalar(sa.select(ProjectAssignment).where(
        ProjectAssignment.project_id == project.id,
        ProjectAssignment.membership_id == membership.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit.record("owner:project:unassign", project.public_id,
                 {"delegate": membership.user.account_id}, organisation_id=project.owner_org_id)
    return True


def set_assignees(project: Project, membership_ids: Iterable[int], *,
                  by: User | None) -> tuple[int, int]:
    """Make ``project``'s delegates exactly ``membership_ids`` (the administrator's form).

    Who may call: the owner's administrator.  Changes: one assignment added or removed (each
    audited) per delegate whose box changed; an id that is not one of the owner's delegates is
    refused and nothing changes.  Answers (added, removed)."""
    wanted = set(membership_ids)
    delegates = {m.id: m for m in delegates_of(project.owner_org_id)}
    if wanted - set(delegates):
        raise SelectionError("delegates", N_("只能分派给本单位的采购受托人。"))
    current = {m.id for m in assignees(project)}
    added = sum(assign(project, delegates[i], by=by) for i in sorted(wanted - current))
    removed = sum(unassign(project, delegates[i], by=by) for i in sorted(current - wanted))
    return added, removed
