"""A city with confirmed awards, an approval matter needing the service, and helpers to act as
each side through its own client."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.catalogue import operations as catalogue_ops
from market.catalogue.models import ApprovalMatter, ServiceType
from market.db import db
from market.engagements.models import Engagement
from market.selection.models import Award, Project, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City, city, site  # noqa: F401  # the fixtures

PDF = b"%PDF-1.4\n% a tiny test pdf\n%%EOF\n"
# Three weeks hold the result notice's 3 working days even across the Spring Festival.
NOTICE_OVER = timedelta(days=21)
_n = itertools.count(1)


def make_award(app: Flask, c: City, agency_index: int = 0, *, service_days: int = 10,
               signing_days: int = 5, at: datetime = START, project_id: int | None = None,
               code: str = "EIA", offered_at: datetime | None = None) -> int:
    """A selected request of the owner's with an award to ``c.agencies[i]`` confirmed at
    ``at``, offered (by default) long enough before that its result notice is over at ``at``:
    the contract starts at ``at``."""
    n = next(_n)
    with app.app_context():
        st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == code))
        if project_id is None:
            project = Project(public_id=f"PJ-T{n:04d}", owner_org_id=c.owner.org_id,
                              name=f"东城区第{n}小学改扩建", code=f"2026-539901-47-01-{n:06d}",
                              fund_source="fiscal", investment_fen=86_000_000_00,
                              location="云川市东城区", created_at=at)
            db.session.add(project)
            db.session.flush()
            project_id = project.id
        req = SelectionRequest(public_id=f"RQ-T{n:04d}", project_id=project_id,
                               owner_org_id=c.owner.org_id, service_type_id=st.id,
                               title="环评", scope="编制环境影响报告表", price_kind="fixed",
                               price_fen=30_000_00, service_days=service_days,
                               signing_days=signing_days, method="lottery",
                               signup_closes_at=at, state="selected", created_at=at,
                               practitioners={})
        db.session.add(req)
        db.session.flush()
        award = Award(request_id=req.id, agency_org_id=c.agencies[agency_index].org_id, rank=0,
                      fee_fen=30_000_00, service_days=service_days, state="confirmed",
                      offered_at=offered_at or at - NOTICE_OVER, decided_at=at)
        db.session.add(award)
        db.session.commit()
        return award.id


def make_matter(app: Flask, code: str = "EIA", committed: int = 20) -> int:
    with app.app_context():
        st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == code))
        m = ApprovalMatter(code=f"M-{code}-{next(_n)}", name="建设项目环境影响评价文件审批",
                           department=catalogue_ops.department_named("云川市生态环境局"),
                           statutory_days=60,
                           committed_days=committed, service_types=[st])
        db.session.add(m)
        db.session.commit()
        return m.id


def engagement_id_of(app: Flask, award_id: int) -> str:
    with app.app_context():
        from market.engagements import operations as ops

        ops.sync_from_awards()
        db.session.commit()
        return db.session.scalar(sa.select(Engagement.public_id).where(
            Engagement.award_id == award_id))


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None,
         file: tuple[bytes, str] | None = None) -> Any:
    payload: dict[str, Any] = {"csrf_token": csrf_token(client, "/dashboard"), **(data or {})}
    if file is not None:
        payload["file"] = (io.BytesIO(file[0]), file[1])
    return client.post(path, data=payload, content_type="multipart/form-data")


@pytest.fixture
def frozen_start() -> Any:
    with timeutil.frozen(START):
        yield
