"""Approval cases a department's staff take through the law's order: shared by the approval tests."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.catalogue.models import (
    ApprovalMatter,
    Department,
    ServiceType,
    approval_matter_service_type,
)
from market.db import db
from market.engagements.models import Engagement
from tests.conftest import Person
from tests.engagements.conftest import PDF, post
from tests.selection.conftest import City


def _department_of(app: Flask, who: Person) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Department.id).where(
            Department.organisation_id == who.org_id))


def make_staffed_matter(app: Flask, staff: Person, committed: int = 20) -> int:
    """A matter of ``staff``'s department: the EIA report is an acceptance condition, testing
    (TEST) is needed during review."""
    with app.app_context():
        test = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "TEST"))
        if test is None:
            test = ServiceType(code="TEST", name="检测", name_en="Testing",
                               qualification_types=[], practitioner_types=[])
            db.session.add(test)
            db.session.flush()
        eia = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "EIA"))
        m = ApprovalMatter(code=f"M-STAFF-{staff.org_id}", name="建设项目环境影响评价文件审批",
                           department_id=_department_of(app, staff), statutory_days=60,
                           committed_days=committed)
        db.session.add(m)
        db.session.flush()
        db.session.execute(approval_matter_service_type.insert(), [
            {"approval_matter_id": m.id, "service_type_id": eia.id, "need": "precondition"},
            {"approval_matter_id": m.id, "service_type_id": test.id, "need": "in_process"}])
        db.session.commit()
        return m.id


def _project_of(app: Flask, eid: str) -> tuple[int, str]:
    with app.app_context():
        eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == eid))
        return eng.project_id, eng.project.code


def _deliver_and_accept(city: City, eid: str, at: object) -> None:
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    page = f"/engagements/{eid}"
    with timeutil.frozen(at):  # type: ignore[arg-type]
        assert post(agency, page + "/deliverables", file=(PDF, "报告.pdf")).status_code == 302
        assert post(owner, page + "/accept").status_code == 302


def _sign(city: City, eid: str) -> None:
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    page = f"/engagements/{eid}"
    assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
    assert post(agency, page + "/contract/confirm").status_code == 302
