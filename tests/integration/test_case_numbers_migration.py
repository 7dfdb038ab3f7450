"""Migration 0020 (case numbers per department): the numbers given so far are their matter's
department's; downgrading refuses while two departments share a number."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from market import create_app, timeutil
from market.accounts import operations as accounts
from market.accounts.models import OrgKind
from market.approvals.models import ApprovalCase
from market.catalogue import operations as catalogue_ops
from market.catalogue.models import ApprovalMatter
from market.db import db
from market.selection.models import Project


def test_numbered_cases_get_their_matters_department(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        now = timeutil.now()
        owner = accounts.create_organisation(OrgKind.OWNER, "迁移业主")
        project = Project(public_id="PJ-M00001", owner_org_id=owner.id, name="迁移项目",
                          code="2026-530100-48-01-000099", fund_source="fiscal",
                          investment_fen=100, location="云川市", created_at=now)
        db.session.add(project)
        ids = []
        for name, code in (("云川市生态环境局", "YC-STHJJ"), ("云川市住房和城乡建设局", "YC-ZJJ")):
            dept = catalogue_ops.department_named(name, code)
            db.session.add(matter := ApprovalMatter(code=f"M-{code}", name=f"事项{code}",
                                                    department_id=dept.id, statutory_days=20,
                                                    committed_days=10))
            db.session.flush()
            ids.append(dept.id)
            for n, number in enumerate((f"N-{code}", None)):
                db.session.add(ApprovalCase(
                    public_id=f"BJ-M{code}{n}", project_id=project.id, matter_id=matter.id,
                    owner_org_id=owner.id, state="preparing", limit_days=10,
                    statutory_days=20, created_at=now, case_no=number,
                    department_id=dept.id if number else None))
        db.session.commit()
        downgrade(revision="0019")  # to the global numbers: each number is unique so far
        upgrade()
        rows = db.session.execute(sa.text(
            "SELECT case_no, department_id FROM approval_case ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("N-YC-STHJJ", ids[0]), (None, None),
                                            ("N-YC-ZJJ", ids[1]), (None, None)]
        # Two departments may now share a number; the old constraint could not hold it.
        db.session.execute(sa.text("UPDATE approval_case SET case_no = '2026-0001' "
                                   "WHERE case_no IS NOT NULL"))
        db.session.commit()
        with pytest.raises(SystemExit):  # flask-migrate logs the migration's error and exits
            downgrade(revision="0019")
        db.session.rollback()
        assert db.session.scalar(sa.text(
            "SELECT count(department_id) FROM approval_case WHERE case_no = '2026-0001'")) == 2
        db.engine.dispose()
