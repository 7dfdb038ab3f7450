"""Which clients may see a project's data (shared/spec/integration.md §2, §5).

The rule: the province's platform (a client without a department) sees every project; a
department's client sees the projects that have an approval case (办件) of one of its
department's matters, in any state — it is that case's department.  On top of that a client
sees an event's data only with the scope that reads it: ``projects:read`` for engagements and
case clocks, ``deliverables:read`` for deliverables.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa

from market.approvals.models import ApprovalCase
from market.catalogue.models import ApprovalMatter
from market.db import db
from market.integration.models import ApiClient, Scope
from market.selection.models import Project

# The webhook event types (shared/spec/integration.md §5) and the scope each one's data needs.
EVENT_SCOPES: dict[str, str] = {
    "engagement.started": Scope.PROJECTS_READ,
    "engagement.paused": Scope.PROJECTS_READ,
    "engagement.resumed": Scope.PROJECTS_READ,
    "engagement.overdue": Scope.PROJECTS_READ,
    "deliverable.submitted": Scope.DELIVERABLES_READ,
    "deliverable.accepted": Scope.DELIVERABLES_READ,
    "deliverable.returned": Scope.DELIVERABLES_READ,
    "case.clock.warning": Scope.PROJECTS_READ,
    "case.clock.overdue": Scope.PROJECTS_READ,
}
EVENT_TYPES = tuple(EVENT_SCOPES)


@functools.cache
def _departments_query() -> sa.Executable:
    # built once: every API call that reads a project asks it
    return (sa.select(ApprovalMatter.department_id).distinct()
            .join(ApprovalCase, ApprovalCase.matter_id == ApprovalMatter.id)
            .join(Project, Project.id == ApprovalCase.project_id)
            .where(Project.code == sa.bindparam("code")))


def departments_of_project(project_code: str) -> set[int]:
    """The departments with a case of the project (by its 投资项目代码)."""
    return set(db.session.scalars(_departments_query(), {"code": project_code}))


def may_see_project(client: ApiClient, project_code: str,
                    departments: set[int] | None = None) -> bool:
    """Whether ``client`` may see the project's data (the scope aside)."""
    if client.revoked_at is not None:
        return False
    if client.department_id is None:
        return True
    if departments is None:
        departments = departments_of_project(project_code)
    return client.department_id in departments
