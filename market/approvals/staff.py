"""A department's staff (部门工作人员) record case events through the UI, where a city has no
linked approval system.  Each function builds the event an approval system would send and
hands it to :func:`market.approvals.ingest.receive`: the same rules, the same
:class:`~market.approvals.models.CaseEvent` row and the same audit event (tagged ``staff:``
with the staff member's account instead of ``client:``).  Nothing here decides a rule.

Views check the role; these functions check that the case's matter is the staff member's
department's (ingest refuses another department's matter with 403 ``wrong_department``)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from market import timeutil
from market.accounts.models import Organisation, User
from market.approvals import ingest
from market.approvals.models import ApprovalCase
from market.catalogue.models import ApprovalMatter, Department
from market.catalogue.operations import department_of
from market.db import db


def staff(user: User, org: Organisation | None) -> ingest.Staff | None:
    """``user`` acting for ``org`` as a department's staff member, or None when ``org`` is
    not a department's organisation."""
    department = department_of(org)
    if department is None:
        return None
    return ingest.Staff(user_id=user.id, account_id=user.account_id,
                        department_id=department.id)


def department(who: ingest.Staff) -> Department:
    found: Department | None = db.session.get(Department, who.department_id)
    if found is None:  # pragma: no cover - a staff member's department exists
        raise LookupError(who.department_id)
    return found


def matters(who: ingest.Staff) -> list[ApprovalMatter]:
    """The approval matters of the staff member's department."""
    return list(db.session.scalars(sa.select(ApprovalMatter).where(
        ApprovalMatter.department_id == who.department_id).order_by(ApprovalMatter.name)))


def cases(who: ingest.Staff, limit: int = 500) -> list[ApprovalCase]:
    """The cases of the department's matters, newest first."""
    return list(db.session.scalars(sa.select(ApprovalCase).join(ApprovalMatter).where(
        ApprovalMatter.department_id == who.department_id).order_by(
        ApprovalCase.id.desc()).limit(limit)))


def _send(who: ingest.Staff, case_no: str, project_code: str, matter_code: str, kind: str,
          **fields: Any) -> ingest.Outcome:
    raw: dict[str, Any] = {
        "event_id": "ui-" + uuid.uuid4().hex, "case_no": case_no,
        "project_code": project_code, "matter_code": matter_code, "type": kind,
        "at": timeutil.now().isoformat(),
        **{k: v for k, v in fields.items() if v is not None}}
    return ingest.receive(who, ingest.CaseEventData(**raw), raw)


def receive_application(who: ingest.Staff, project_code: str, matter: ApprovalMatter,
                        case_no: str | None, *, joint: bool = False) -> ApprovalCase:
    """Staff: the department received an application (``applied``): the case opens
    ``preparing`` (or the case the owner opened to prepare gets its number), handled by the
    department alone or (``joint``) jointly under 行政许可法 Art. 26, which sets its limits
    (Art. 42).  Without a number one is made from the department's code."""
    number = (case_no or "").strip() or (
        f"{department(who).code}-{timeutil.today_local():%Y%m%d}-{uuid.uuid4().hex[:6].upper()}")
    outcome = _send(who, number, project_code.strip(), matter.code, "applied",
                    joint=True if joint else None)
    case: ApprovalCase | None = db.session.scalar(sa.select(ApprovalCase).where(
        ApprovalCase.department_id == matter.department_id,
        ApprovalCase.case_no == outcome.result["case_no"]))
    if case is None:  # pragma: no cover - ingest just wrote it
        raise LookupError(number)
    return case


def record(who: ingest.Staff, case: ApprovalCase, kind: str, **fields: Any) -> ingest.Outcome:
    """Staff: one event of ``case`` (any type but ``applied``), with the fields of the API."""
    if case.case_no is None:
        raise ingest.CaseEventError(422, "not_received", _("业主在申报准备，部门尚未登记收件。"))
    return _send(who, case.case_no, case.project.code, case.matter.code, kind, **fields)
