"""Demo draws for the fictional city, dated from the day it is loaded: three finished
lotteries (their bundles verify; the last drawn within the past day), one failed request (too
few sign-ups), one whose sign-up has just closed and that waits for its witnesses, one open
for sign-up, and a credit merit (信用择优) whose short list is drawn and waits for the owner's
choice.

What happened in the past runs step by step with the clock frozen at each step's time, in time
order: the log's times never go backwards.
"""

from __future__ import annotations

import functools
import heapq
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from holidays.countries.china import China

from market import timeutil
from market.accounts.models import Organisation, OrgKind, Role, User
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.calendar import local_date
from market.domain.entropy import ExternalKind
from market.selection import award as award_ops
from market.selection import draw, procedures
from market.selection import requests as ops
from market.selection.eligibility import eligible_agencies, request_facts
from market.selection.external import draw_calendar, save_draw_year
from market.selection.models import Lottery, SelectionRequest
from market.selection.procedures import submit_external


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
    return eligible_agencies(request_facts(req), local_date(on), req.tenant_id)


def draw_schedule(now: datetime) -> None:
    """The demo's welfare-lottery draw schedule for the years around ``now``: the games pause
    from Spring Festival's eve to its seventh day (除夕至正月初七), as in recent years.  Fictional
    like the rest of the demo — the results the demo logs are not the real ones either."""
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
    entry = lottery.announcement["entropy_plan"][-1]
    official = lottery.external_at.astimezone(timeutil.SHANGHAI).date()
    for minutes, person in ((40, first), (70, second)):
        with timeutil.frozen(lottery.external_at + timedelta(minutes=minutes)):
            submit_external(lottery, person, demo_result(entry), "", official)


def _post(owner: Organisation, service_code: str, title: str, start: datetime, project_name: str,
          project_code: str, witnesses: list[User], external_kind: str,
          price_fen: int, closes: datetime | None = None, method: str = "lottery",
          credit: tuple[int, int] | None = None) -> SelectionRequest:
    """Publish a request drawn by lottery: 随机抽取, or 信用择优 with ``credit`` = (threshold,
    short list size)."""
    admin, _ = _people(owner)
    with timeutil.frozen(start):
        project = ops.create_project(owner, name=project_name, code=project_code,
                                     fund_source="fiscal", investment_fen=price_fen * 300,
                                     location=owner.region or "云川市")
        closes = closes or start + timedelta(days=14)
        data = ops.RequestInput(
            project_id=project.id, service_code=service_code, title=title,
            scope=f"{project_name}：{title}，按现行规范编制并通过审查。", qualification_type=None,
            qualification_level=None, practitioners={}, price_kind="fixed", price_fen=price_fen,
            cap_fen=None, floor_fen=None, service_days=20, signing_days=5, method=method,
            signup_closes_at=closes, external_kind=external_kind,
            witness_ids=[w.id for w in witnesses],
            credit_threshold=credit[0] if credit else None,
            shortlist_size=credit[1] if credit else None)
        req = ops.save_draft(owner, data, admin)
        ops.publish(owner, req)
    return req


class _Timeline:
    """The demo's selection steps in time order, whichever request each belongs to, each run
    with the clock frozen at its time: the draw log then carries every step's own time (it
    never goes backwards, so steps run out of order would all take the latest).  Steps after
    ``until`` (the load's real now) are not run: they are left for the person trying the demo.
    """

    def __init__(self, until: datetime) -> None:
        self.until = until
        self._steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self._n = 0

    def at(self, when: datetime, step: Callable[[], None]) -> None:
        heapq.heappush(self._steps, (when, self._n, step))
        self._n += 1

    def run(self) -> None:
        while self._steps:
            when, _n, step = heapq.heappop(self._steps)
            if when > self.until:
                continue
            with timeutil.frozen(when):
                step()


def _schedule(t: _Timeline, owner: Organisation, code: str, title: str, start: datetime,
              project: str, pcode: str, witnesses: list[User], kind: str, price: int,
              signups: int, rng: random.Random, operator: User, regulator: User, *,
              closes: datetime | None = None, finish: bool = True, witnessed: bool = True,
              confirm: bool = False, credit: tuple[int, int] | None = None
              ) -> list[SelectionRequest]:
    """Publish a lottery request at ``start`` (credit merit with ``credit`` = (threshold, short
    list size)), sign ``signups`` agencies up, and (``finish``) close it; the witnesses enter
    (``witnessed``), the external value is typed twice and the draw runs; the winner confirms
    3 hours later (``confirm``).  Returns a list that holds the request once it is
    published."""
    made: list[SelectionRequest] = []

    def publish() -> None:
        req = _post(owner, code, title, start, project, pcode, witnesses, kind, price,
                    closes=closes, method="credit_merit" if credit else "lottery",
                    credit=credit)
        made.append(req)
        for i in range(signups):
            t.at(start + timedelta(hours=2, minutes=7 * i), functools.partial(sign_up, i))
        if finish:
            t.at(req.signup_closes_at + timedelta(minutes=1), close)

    def sign_up(i: int) -> None:
        req = made[0]
        agencies = _eligible(req.service_type, req, timeutil.now())
        org = agencies[i]
        admin = next(m.user for m in org.memberships if m.role == Role.AGENCY_ADMIN.value)
        draw.sign_up(req, org, admin)

    def close() -> None:
        req = made[0]
        procedures.advance(req)
        lottery = draw.current_lottery(req)
        if lottery is None or lottery.state != "frozen":
            return
        if witnessed:
            for i, w in enumerate(req.witnesses):
                t.at(req.signup_closes_at + timedelta(minutes=20 + 5 * i),
                     functools.partial(draw.enter_witness, lottery, w.user,
                                       f"{rng.randrange(10**7, 10**8)}"))
        entry = lottery.announcement["entropy_plan"][-1]
        official = lottery.external_at.astimezone(timeutil.SHANGHAI).date()
        for minutes, person in ((40, operator), (70, regulator)):
            t.at(lottery.external_at + timedelta(minutes=minutes), functools.partial(
                external, lottery, person, demo_result(entry), official))

    def external(lottery: Lottery, person: User, value: str, official: date) -> None:
        submit_external(lottery, person, value, "", official)
        if confirm and lottery.state == "drawn":
            t.at(timeutil.now() + timedelta(hours=3), win)

    def win() -> None:
        award = award_ops.current_award(made[0])
        if award is not None and award.state == "offered":
            award_ops.confirm(award, award.agency)

    t.at(start, publish)
    return made


def cross_city_request(owner: Organisation, witnesses: list[User]) -> SelectionRequest:
    """A request of another city's owner published now, and the first eligible agency (all
    were admitted in 云川市) signed up to it: one register for the province."""
    req = _post(owner, "SURV", "环湖路改造工程地形测绘", timeutil.now(), "云岭市环湖路改造工程",
                "2026-539800-48-01-000901", witnesses, "ssq", 700_000)
    agency = _eligible(req.service_type, req, timeutil.now())[0]
    admin = next(m.user for m in agency.memberships if m.role == Role.AGENCY_ADMIN.value)
    draw.sign_up(req, agency, admin)
    return req


def person_request(owner: Organisation, witnesses: list[User]) -> SelectionRequest:
    """A natural person's small request (自然人业主: a house's survey), published now and open
    for sign-up; the person is its only member, so the administrator publishes it."""
    admin = next(m.user for m in owner.memberships if m.role == Role.OWNER_ADMIN.value)
    now = timeutil.now()
    with timeutil.frozen(now):
        project = ops.create_project(owner, name="自建住房翻建工程",
                                     code="2026-539901-47-03-000951", fund_source="social",
                                     investment_fen=48_000_000, location=owner.region or "云川市")
        req = ops.save_draft(owner, ops.RequestInput(
            project_id=project.id, service_code="SURV", title="自建住房翻建地形测绘",
            scope="自建住房翻建工程：宅基地及周边地形测绘，出具 1:500 地形图。",
            qualification_type=None, qualification_level=None, practitioners={},
            price_kind="fixed", price_fen=600_000, cap_fen=None, floor_fen=None,
            service_days=10, signing_days=5, method="lottery",
            signup_closes_at=now + timedelta(days=14), external_kind="ssq",
            witness_ids=[w.id for w in witnesses]), admin)
        ops.publish(owner, req)
    return req


def _draft(owner: Organisation, now: datetime) -> SelectionRequest:
    """A request saved an hour ago and not yet published (no log entry: drafts are private)."""
    admin, delegate = _people(owner)
    with timeutil.frozen(now - timedelta(hours=1)):
        project = ops.create_project(owner, name="东城区第二实验小学操场改造工程",
                                     code="2026-539901-83-01-000909", fund_source="fiscal",
                                     investment_fen=1_200_000 * 300,
                                     location=owner.region or "云川市")
        return ops.save_draft(owner, ops.RequestInput(
            project_id=project.id, service_code="DRR", title="东城区第二实验小学操场改造工程施工图审查",
            scope="东城区第二实验小学操场改造工程：施工图审查，按现行规范出具审查意见。",
            qualification_type=None, qualification_level=None, practitioners={},
            price_kind="fixed", price_fen=1_200_000, cap_fen=None, floor_fen=None,
            service_days=15, signing_days=5, method="lottery",
            signup_closes_at=now + timedelta(days=14), external_kind="ssq",
            witness_ids=[delegate.id, _user("regulator1@yunchuan.demo").id]), admin)


def latest_draw(kind: str, before: datetime) -> datetime:
    """The time of the last official draw of ``kind`` at or before ``before``."""
    calendar = draw_calendar()
    at = calendar.next_draw(ExternalKind(kind), before - timedelta(days=10)).at
    while (following := calendar.next_draw(ExternalKind(kind), at + timedelta(seconds=1)).at) \
            <= before:
        at = following
    return at


def load(now: datetime) -> None:
    """Add the demo draws (called by ``flask demo load`` after agencies and listings), dated
    from ``now`` so that the city is alive on the day it is loaded: three finished draws (the
    last one drawn within the past day, its winner still free to confirm), a request that
    failed, one whose sign-up has just closed and that waits for its witnesses, and one open
    for sign-up (after :func:`draw_schedule` and the awards of devdata.demo.award, whose
    requests happened earlier)."""
    rng = random.Random(20261125)  # noqa: S311  # demo values, not secrets
    owners = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrgKind.OWNER.value).order_by(Organisation.id)).all()
    regulator = _user("regulator1@yunchuan.demo")
    operator = _user("operator@yunchuan.demo")
    delay = timedelta(hours=int(current_app.config["EXTERNAL_ENTROPY_MIN_DELAY_HOURS"]))
    t = _Timeline(now)

    def who(i: int) -> tuple[Organisation, list[User]]:
        owner = owners[i % len(owners)]
        _admin, delegate = _people(owner)
        return owner, [delegate, regulator]

    base = now - timedelta(days=80)
    plans = [
        (0, "EIA", "东城区第三小学改扩建工程环境影响评价", "东城区第三小学改扩建工程",
         "2026-539901-83-01-000101", "ssq", 3_200_000, 6),
        (1, "SURV", "西岭大道二期地形测绘", "西岭大道二期工程", "2026-539902-48-01-000202",
         "ssq", 1_850_000, 5),
    ]
    for n, (owner_i, code, title, project, pcode, kind, price, count) in enumerate(plans):
        owner, witnesses = who(owner_i)
        _schedule(t, owner, code, title, base + timedelta(days=17 * n), project, pcode,
                  witnesses, kind, price, count, rng, operator, regulator, confirm=True)
    # The last finished draw took the latest 福彩3D draw (one every day) that leaves time for
    # both entries before now: its winner has an offer to confirm, well within the window.
    # 福彩3D rather than drand: a demo cannot show a real drand signature for its rounds.
    official = latest_draw("fc3d", now - timedelta(minutes=75))
    closes = official - delay - timedelta(minutes=1)
    owner, witnesses = who(2)
    recent = ("南湖泵站改造工程造价咨询", "南湖泵站改造工程", "2026-539903-46-01-000303")
    _schedule(t, owner, "COST", recent[0], closes - timedelta(days=14), recent[1], recent[2],
              witnesses, "fc3d", 2_400_000, 4, rng, operator, regulator, closes=closes)
    plans.append((2, "COST", *recent, "fc3d", 2_400_000, 4))
    owner, witnesses = who(3)
    _schedule(t, owner, "SAFE", "城市更新片区安全评价", base + timedelta(days=55), "老城片区城市更新项目",
              "2026-539901-47-01-000404", witnesses, "ssq", 1_500_000, 2, rng, operator,
              regulator)
    # Its sign-up closed within the hour: the lottery is frozen and waits for its witnesses.
    owner, witnesses = who(0)
    closes = now - timedelta(minutes=40)
    _schedule(t, owner, "EIA", "东城区文化馆修缮工程环境影响评价", closes - timedelta(days=14),
              "东城区文化馆修缮工程", "2026-539901-83-01-000707", witnesses, "ssq", 900_000, 4,
              rng, operator, regulator, closes=closes, witnessed=False)
    # Credit merit (信用择优) as Guangdong runs it: the long list above the published threshold,
    # the short list drawn from it; the owner has yet to choose from the short list.
    owner, witnesses = who(2)
    _schedule(t, owner, "SURV", "南湖区排水管网普查测绘（信用择优）", now - timedelta(days=24),
              "南湖区排水管网普查工程", "2026-539903-48-01-000910", witnesses, "ssq", 1_400_000, 6,
              rng, operator, regulator, credit=(60, 3))
    owner, witnesses = who(1)
    # Published yesterday, so its sign-ups are in the past too.
    _schedule(t, owner, "FSR", "环城绿道工程可行性研究报告编制", now - timedelta(days=1),
              "环城绿道工程", "2026-539902-78-01-000505", witnesses, "ssq", 2_800_000, 2,
              rng, operator, regulator, finish=False)
    owner, witnesses = who(0)
    # Owner 1 has one of each: a request open for sign-up it may still amend, and a draft.
    _schedule(t, owner, "SURV", "东城区青少年活动中心新建工程地形测绘",
              now - timedelta(days=3), "东城区青少年活动中心新建工程", "2026-539901-48-01-000808", witnesses, "ssq",
              600_000, 3, rng, operator, regulator, finish=False)
    t.run()
    _draft(owner, now)
    drawn = db.session.scalar(sa.select(sa.func.count(Lottery.id)).where(
        Lottery.state == "drawn", Lottery.request_id.in_(sa.select(SelectionRequest.id).where(
            SelectionRequest.method == "lottery", SelectionRequest.title.in_(
                [p[2] for p in plans])))))
    if drawn != 3:
        raise RuntimeError(f"the demo should have 3 finished draws, it has {drawn}")
