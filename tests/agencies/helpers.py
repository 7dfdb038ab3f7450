"""Builders for agency tests: a catalogue, admitted agencies with listings, files to upload."""

from __future__ import annotations

import io
import itertools
from datetime import date

import sqlalchemy as sa
from flask import Flask

from market.accounts import operations as account_ops
from market.accounts import tenants
from market.accounts.models import Organisation, OrgKind, OrgStatus, Role, User
from market.agencies import operations as ops
from market.agencies.models import AgencyProfile
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.codes import make_credit_code
from market.domain.fees import FeeKind, FeeSchedule
from tests.conftest import PASSWORD

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32

_n = itertools.count(500)


def pdf(name: str = "licence.pdf", content: bytes = PDF) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def catalogue(app: Flask) -> None:
    """Three service types with their qualification and practitioner types."""
    with app.app_context():
        for code, name, qual, prac in (
            ("EIA", "环境影响评价", "环境影响评价资质", "环境影响评价工程师"),
            ("SURV", "测绘", "测绘资质", "注册测绘师"),
            ("COST", "造价咨询", "工程造价咨询企业登记", "一级造价工程师"),
        ):
            if not db.session.scalar(sa.select(ServiceType.id).where(ServiceType.code == code)):
                db.session.add(ServiceType(code=code, name=name, name_en=code,
                                           qualification_types=[qual],
                                           practitioner_types=[prac]))
        db.session.commit()


def credit_code() -> str:
    return make_credit_code(f"91539900MA{next(_n):07d}"[:17])


def agency(app: Flask, name: str, *, region: str = "云川市东城区",
           listings: dict[str, tuple[FeeSchedule, int]] | None = None,
           level: str | None = None, qual_until: date | None = None,
           rating: int | None = None, tenant: str | None = None) -> str:
    """An admitted agency (status set directly) with listings, admitted in the division with
    the code ``tenant`` (the home tenant when None); returns its public id."""
    with app.app_context():
        where = tenants.by_code(tenant) if tenant else None
        org = account_ops.create_organisation(OrgKind.AGENCY, name, credit_code=credit_code(),
                                              region=region,
                                              tenant_id=where.id if where else None)
        user = account_ops.add_member(org, name="授权人", email=f"a{org.id}-{next(_n)}@t.cn",
                                      role=Role.AGENCY_ADMIN, password=PASSWORD)
        org.status = OrgStatus.ADMITTED.value
        types = {t.code: t for t in db.session.scalars(sa.select(ServiceType))}
        for code, (fee, days) in (listings or {}).items():
            ops.save_listing(org, user, types[code], fee, days)
        if level:
            from market.agencies.models import Qualification, ReviewStatus
            from market.timeutil import now

            db.session.add(Qualification(
                organisation_id=org.id, qualification_type="测绘资质", level=level,
                number="测绘甲字第0012345号", issuer="云川市自然资源和规划局",
                valid_from=date(2020, 1, 1), valid_until=qual_until or date(2099, 1, 1),
                status=ReviewStatus.APPROVED.value, submitted_at=now()))
        if rating is not None:
            ops.profile_of(org).rating_centi = rating
        db.session.commit()
        return org.public_id


def fixed(yuan: int, days: int) -> tuple[FeeSchedule, int]:
    return FeeSchedule(FeeKind.FIXED, amount_fen=yuan * 100), days


def org_by_public_id(public_id: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.public_id == public_id))
    assert org is not None
    return org


def first_user(org: Organisation) -> User:
    return org.memberships[0].user


def profile(org: Organisation) -> AgencyProfile | None:
    return db.session.get(AgencyProfile, org.id)
