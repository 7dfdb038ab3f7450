"""Demo draws for the fictional city: three finished lotteries (their bundles verify), one
failed request (too few sign-ups) and one request open for sign-up.

The finished ones happened in the past, so each step runs with the clock frozen at its time,
in order: the log's times never go backwards.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation, OrgKind, Role, User
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.calendar import local_date
from market.selection import draw
from market.selection import requests as ops
from market.selection.eligibility import eligible_agencies, request_facts
from market.selection.models import Lottery, SelectionRequest


def _people(owner: Organisation) -> tuple[User, User]:
    admin = delegate = None
    for m in owner.memberships:
        if m.role == Role.OWNER_ADMIN.value:
            admin = m.user
        elif m.role == Role.OWNER_DELEGATE.value:
            delegate = m.user
    if admin is None or delegate is None:
        raise RuntimeError(f"demo owner {owner.public_id} needs an administrator and a delegate")
    return admin, delegate


def _user(email: str) -> User:
    user: User | None = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"demo account {email} is created first")
    return user


def _eligible(service: ServiceType, req: SelectionRequest, on: datetime) -> list[Organisation]:
    return eligible_agencies(request_facts(req), local_date(on))


def draw_schedule(now: datetime) -> None:
    """The demo's welfare-lottery draw schedule for the years around ``now``: the games pause
    from Spring Festival's eve to its seventh day (除夕至正月初七), as in recent years.  Fictional
    like the rest of the demo — the results the demo logs are not the real ones either."""
    from holidays.countries.china import China

    from market.selection.external import save_draw_year

    for year in range(now.year - 1, now.year + 2):
        days = China(years=year, language="en_US").items()  # type: ignore[no-untyped-call]
        new_year = min(d for d, name in days if name == "Chinese New Year (Spring Festival)")
        pause = f"{new_year - timedelta(days=1)}..{new_year + timedelta(days=6)}"
        save_draw_year(year, ssq_text=pause, fc3d_text=pause, confirmed=True, user_id=None,
                       source="演示数据（虚构）：按除夕至正月初七休市估计，未与官方公告核对")


def demo_result(entry: dict[str, Any]) -> str:
    """The demo's result of an issue: fixed by its label, so every demo draw naming one issue
    logs the same result (the log's audit holds each label to one value)."""
    rng = random.Random(entry["label"])  # noqa: S311  # demo values, not secrets
    if list(entry["groups"]) == [3]:
        return " ".join(str(rng.randint(0, 9)) for _ in range(3))
    reds = sorted(rng.sample(range(1, 34), 6))
    return " ".join(f"{r:02d}" for r in reds) + f" + {rng.randint(1, 16):02d}"


def enter_external(lottery: Lottery, first: User, second: User) -> None:
    """Type the demo's external value twice (an operator, then a regulator), an hour apart."""
    from market.selection.external import submit_external

    entry = lottery.announcement["entropy_plan"][-1]
    official = lottery.external_at.astimezone(timeutil.SHANGHAI).date()
    for minutes, person in ((40, first), (70, second)):
        with timeutil.frozen(lottery.external_at + timedelta(minutes=minutes)):
            submit_external(lottery, person, demo_result(entry), "", official)


def _post(owner: Organisation, service_code: str, title: str, start: datetime, project_name: str,
          project_code: str, witnesses: list[User], external_kind: str,
          price_fen: int) -> SelectionRequest:
    admin, _ = _people(owner)
    with timeutil.frozen(start):
        project = ops.create_project(owner, name=project_name, code=project_code,
                                     fund_source="fiscal", investment_fen=price_fen * 300,
                                     location=owner.region or "云川市")
        closes = start + timedelta(days=14)
        data = ops.RequestInput(
            project_id=project.id, service_code=service_code, title=title,
            scope=f"{project_name}：{title}，按现行规范编制并通过审查。", qualification_type=None,
            qualification_level=None, practitioners={}, price_kind="fixed", price_fen=price_fen,
            cap_fen=None, floor_fen=None, service_days=20, signing_days=5, method="lottery",
            signup_closes_at=closes, external_kind=external_kind,
            witness_ids=[w.id for w in witnesses])
        req = ops.save_draft(owner, data, admin)
        ops.publish(owner, req)
    return req


def _run(req: SelectionRequest, signups: int, rng: random.Random, operator: User,
         regulator: User, finish: bool = True) -> None:
    start = req.published_at or timeutil.now()
    agencies = _eligible(req.service_type, req, start)[:signups]
    for i, org in enumerate(agencies):
        admin = next(m.user for m in org.memberships if m.role == Role.AGENCY_ADMIN.value)
        with timeutil.frozen(start + timedelta(hours=2, minutes=7 * i)):
            draw.sign_up(req, org, admin)
    if not finish:
        return
    with timeutil.frozen(req.signup_closes_at + timedelta(minutes=1)):
        draw.advance(req)
    lottery = draw.current_lottery(req)
    if lottery is None or lottery.state != "frozen":
        return
    for i, w in enumerate(req.witnesses):
        with timeutil.frozen(req.signup_closes_at + timedelta(minutes=20 + 5 * i)):
            draw.enter_witness(lottery, w.user, f"{rng.randrange(10**7, 10**8)}")
    enter_external(lottery, operator, regulator)


def load(now: datetime) -> None:
    """Add the demo draws (called by ``flask demo load`` after agencies and listings)."""
    from devdata.demo import award as demo_award

    draw_schedule(now)
    demo_award.load(now)  # first: these requests happened earlier, and log times only go forward
    rng = random.Random(20261125)  # noqa: S311  # demo values, not secrets
    owners = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrgKind.OWNER.value).order_by(Organisation.id)).all()
    regulator = _user("regulator1@yunchuan.demo")
    operator = _user("operator@yunchuan.demo")
    base = now - timedelta(days=80)
    plans = [
        (0, "EIA", "东城区第三小学改扩建工程环境影响评价", "东城区第三小学改扩建工程",
         "2026-539901-83-01-000101", "ssq", 3_200_000, 6),
        # 福彩3D rather than drand: a demo cannot show a real drand signature for its rounds
        (1, "SURV", "西岭大道二期地形测绘", "西岭大道二期工程", "2026-539902-48-01-000202",
         "fc3d", 1_850_000, 5),
        (2, "COST", "南湖泵站改造工程造价咨询", "南湖泵站改造工程", "2026-539903-46-01-000303",
         "ssq", 2_400_000, 4),
    ]
    for n, (owner_i, code, title, project, pcode, kind, price, count) in enumerate(plans):
        owner = owners[owner_i % len(owners)]
        _admin, delegate = _people(owner)
        req = _post(owner, code, title, base + timedelta(days=17 * n), project, pcode,
                    [delegate, regulator], kind, price)
        _run(req, count, rng, operator, regulator)
    owner = owners[3 % len(owners)]
    _admin, delegate = _people(owner)
    failed = _post(owner, "SAFE", "城市更新片区安全评价", base + timedelta(days=55),
                   "老城片区城市更新项目", "2026-539901-47-01-000404", [delegate, regulator],
                   "ssq", 1_500_000)
    _run(failed, 2, rng, operator, regulator)
    owner = owners[1 % len(owners)]
    _admin, delegate = _people(owner)
    # Published yesterday, so its sign-ups are in the past too.
    open_req = _post(owner, "FSR", "环城绿道工程可行性研究报告编制", now - timedelta(days=1),
                     "环城绿道工程", "2026-539902-78-01-000505", [delegate, regulator],
                     "ssq", 2_800_000)
    _run(open_req, 2, rng, operator, regulator, finish=False)
    drawn = db.session.scalar(sa.select(sa.func.count(Lottery.id)).where(
        Lottery.state == "drawn", Lottery.request_id.in_(sa.select(SelectionRequest.id).where(
            SelectionRequest.method == "lottery", SelectionRequest.title.in_(
                [p[2] for p in plans])))))
    if drawn != 3:
        raise RuntimeError(f"the demo should have 3 finished draws, it has {drawn}")
