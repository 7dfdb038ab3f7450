"""Demo sanctions, complaints and ratings for 云川市 (called by ``flask demo load``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation, OrgKind, OrgStatus, User
from market.db import db
from market.engagements.models import Engagement, EngagementState
from market.evaluation import operations as evaluation
from market.regulator import complaints, sanctions
from market.selection.models import SelectionRequest, SignUp

_BASIS = "《云川市网上中介服务超市管理办法（示例）》第二十三条"


def _user(email: str) -> User:
    user: User | None = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"demo user {email} is missing")
    return user


def load(now: datetime) -> None:
    """One active suspension (blocks sign-up), one ended blacklisting, one active warning,
    a complaint in each state, and a rating of every accepted engagement."""
    regulator = _user("regulator1@yunchuan.demo")
    reg_org = regulator.memberships[0].organisation
    agencies = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrgKind.AGENCY.value,
        Organisation.status == OrgStatus.ADMITTED.value).order_by(Organisation.id)).all()
    today = timeutil.today_local()
    with timeutil.frozen(now - timedelta(days=30)):
        sanctions.issue(agencies[-1], "suspension", "在环评报告中引用失效监测数据", _BASIS,
                        today - timedelta(days=30), today + timedelta(days=150), regulator,
                        reg_org)
        sanctions.issue(agencies[-2], "blacklist", "伪造执业人员签字", _BASIS,
                        today - timedelta(days=400), today - timedelta(days=35), regulator,
                        reg_org)
        sanctions.issue(agencies[-3], "warning", "逾期两次未确认中选", _BASIS,
                        today - timedelta(days=30), today + timedelta(days=60), regulator,
                        reg_org)
    # Complaints by agencies that signed up for a demo request, about its selection.
    signups = db.session.execute(
        sa.select(SignUp.agency_org_id, SelectionRequest.public_id)
        .join(SelectionRequest, SignUp.request_id == SelectionRequest.id)
        .order_by(SignUp.id)).all()
    texts = ("公告要求的资质等级与服务内容不匹配", "报名截止时间在节假日，实际报名时间不足",
             "中选机构的执业人员同时在其他项目任职", "见证人录入随机数的时间未提前公示")
    for i, (org_id, request_id) in enumerate(signups[:4]):
        filer = db.session.get(Organisation, org_id)
        user = filer.memberships[0].user if filer and filer.memberships else None
        if filer is None or user is None:
            continue
        with timeutil.frozen(now - timedelta(days=20 - i)):
            row = complaints.file(filer, user, "request", request_id, texts[i])
        if i >= 1:
            with timeutil.frozen(now - timedelta(days=15 - i)):
                complaints.start_review(row, regulator)
        if i >= 2:
            with timeutil.frozen(now - timedelta(days=10 - i)):
                complaints.decide(row, regulator, upheld=i == 2,
                                  outcome=("经查属实，已责令采购人更正公告。" if i == 2
                                           else "经查，报名时间符合规定，投诉不成立。"))
    _rate_accepted(now)


def _rate_accepted(now: datetime) -> None:
    engs = db.session.scalars(sa.select(Engagement).where(
        Engagement.state == EngagementState.ACCEPTED.value).order_by(Engagement.id)).all()
    for n, eng in enumerate(engs):
        if evaluation.rating_of(eng.id) is not None:
            continue
        owner = db.session.get(Organisation, eng.owner_org_id)
        user = owner.memberships[0].user if owner and owner.memberships else None
        if owner is None or user is None:
            continue
        scores = {"quality": 5 - n % 2, "timeliness": 4 + n % 2, "attitude": 5, "fees": 4,
                  "integrity": 5}
        with timeutil.frozen(now):
            evaluation.rate(eng, owner, user, scores, "成果质量符合要求，沟通顺畅。",
                            level="very_satisfied" if n % 2 == 0 else "satisfied")
