"""The draw's external randomness in the app (外部随机数): which future result a plan names,
and how its value gets into the log — typed by one account, typed again by another, checked.

Planning (:func:`plan_external`): a welfare-lottery plan names the first official draw at or
after the earliest allowed time, its issue computed from the operators' draw schedule
(:class:`~market.selection.models.DrawScheduleYear`); a label that already has a value in the
log is never planned again (the next draw is taken).  A year without a confirmed schedule
refuses the game when an owner publishes or amends; when the system re-runs a draw on its own
(a restart after a void, a sealed bid's tie-break) it plans drand quicknet instead and says so
in the announcement (``external_note``).

Entering (:func:`enter_external`; the draw that follows is
:func:`market.selection.procedures.submit_external`), once the value is public and every
witness is in:

* **who may type it**: an operator (运营人员), a witness of this lottery, or a regulator
  (监管人员) — each from their own account;
* **two entries**: the first entry waits, unlogged; a *different* account of that list must
  type the same value (without seeing the first) before it is logged.  At least one of the two
  accounts must be a regulator's, so neither the owner's people nor the platform's can
  complete it alone.  The first account may correct its entry until it is confirmed;
* **checks**: the value against the game's rules (双色球/3D) or drand's BLS signature with the
  chain's public key; the official draw date the enterers read must not be before the plan's
  time (an issue number that named an earlier draw would show here); and a label already
  logged by another lottery must carry the same value.

The logged entropy event's ``entered_by`` is the first account; the second is kept as
``EntropyEntry.confirmed_by`` and shown on the draw page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lottery.errors import Invalid
from lottery.sources import check_source, public_time
from market import timeutil
from market.accounts import audit
from market.accounts.models import Membership, Organisation, OrgKind, Role, User
from market.accounts.scope import Act, covers
from market.calendar.operations import CalendarError, parse_days
from market.db import db, lock_row
from market.domain.calendar import local_date
from market.domain.entropy import (
    QUICKNET_PERIOD,
    DrawCalendar,
    DrawYear,
    ExternalKind,
    ResultError,
    ScheduleUnknown,
    canonical_result,
    drand_plan_entry,
    game_of,
    lottery_plan_entry,
)
from market.i18n import N_
from market.selection.drand import BeaconInvalid, verify_round
from market.selection.errors import SelectionError
from market.selection.models import (
    DrawScheduleYear,
    EntropyEntry,
    ExternalProposal,
    Lottery,
    LotteryState,
    SelectionRequest,
)
from market.selection.scope import request_subject
from market.transparency import log

RESULT_MESSAGES = {
    "empty": N_("请填写开奖号码。"),
    "groups": N_("开奖号码的分组不完整，请按官方公告填写，如 %(example)s。"),
    "number": N_("无法识别的号码：%(item)s"),
    "range": N_("号码 %(item)s 超出范围 %(lo)s–%(hi)s。"),
    "repeat": N_("同一组的号码不能重复：%(item)s"),
}
SHAPE_MESSAGES = {
    ExternalKind.SSQ: N_("双色球开奖号码须为 6 个红球（01–33，互不相同）和 1 个蓝球（01–16），如 %(example)s。"),
    ExternalKind.FC3D: N_("福彩3D开奖号码须为 3 个数字（0–9，可以重复），如 %(example)s。"),
}
FALLBACK_NOTE = "运营方尚未确认 {year} 年福彩开奖安排（休市日期），系统重新组织摇号时改用 drand quicknet"


# --- the schedule -----------------------------------------------------------------------------

def draw_calendar() -> DrawCalendar:
    """The draw calendar in force: every year an operator entered (a handful of rows)."""
    years = []
    for row in db.session.scalars(sa.select(DrawScheduleYear)):
        years.append(DrawYear(row.year, {
            ExternalKind.SSQ: frozenset(date.fromisoformat(d) for d in row.ssq_no_draw or []),
            ExternalKind.FC3D: frozenset(date.fromisoformat(d) for d in row.fc3d_no_draw or []),
        }, row.confirmed))
    return DrawCalendar(years)


class ScheduleError(SelectionError):
    """The game cannot be planned: its year's draw schedule is not confirmed."""


SCHEDULE_UNKNOWN = N_("运营方尚未确认 %(year)s 年福彩开奖安排（休市日期），无法确定开奖期号：请改选 drand，或待运营方确认后再发布。")


def label_logged(label: str) -> bool:
    """Whether any lottery has logged a value under ``label``."""
    return db.session.scalar(sa.select(EntropyEntry.id).where(
        EntropyEntry.source["label"].as_string() == label).limit(1)) is not None


def plan_external(kind: str, not_before: datetime, *,
                  fallback: bool) -> tuple[dict[str, Any], str | None]:
    """The external plan entry for a source of ``kind`` public at or after ``not_before``, and
    a note when the system had to plan drand instead (``fallback``; else ScheduleError)."""
    entry, unknown_year = preview_external(kind, not_before)
    if entry is not None:
        return entry, None
    if not fallback:
        raise ScheduleError("external_kind", SCHEDULE_UNKNOWN, year=unknown_year)
    return _drand(not_before), FALLBACK_NOTE.format(year=unknown_year)


def preview_external(kind: str, not_before: datetime) -> tuple[dict[str, Any] | None, int | None]:
    """What :func:`plan_external` would plan now, without refusing (a refusal rolls the
    request back): (entry, None), or (None, the year whose schedule is unconfirmed)."""
    if kind == ExternalKind.DRAND:
        return _drand(not_before), None
    calendar = draw_calendar()
    try:
        draw = calendar.next_draw(ExternalKind(kind), not_before)
        while label_logged(draw.label):
            draw = calendar.next_draw(ExternalKind(kind), draw.at + timedelta(seconds=1))
    except ScheduleUnknown as error:
        return None, error.year
    return lottery_plan_entry(draw), None


def _drand(not_before: datetime) -> dict[str, Any]:
    entry = drand_plan_entry(not_before)
    while label_logged(entry["label"]):
        not_before += timedelta(seconds=QUICKNET_PERIOD)
        entry = drand_plan_entry(not_before)
    return entry


def check_plannable(request: SelectionRequest, not_before: datetime) -> None:
    """Refuse (next to the source field) a game whose schedule is not confirmed."""
    plan_external(request.external_kind, not_before, fallback=False)


# --- who may type, who may confirm ------------------------------------------------------------

def roles_of(user: User) -> set[str]:
    return {m.role for m in db.session.scalars(sa.select(Membership).where(
        Membership.user_id == user.id))}


def is_regulator(user: User) -> bool:
    return db.session.scalar(sa.select(Membership.id).join(
        Organisation, Organisation.id == Membership.organisation_id).where(
        Membership.user_id == user.id, Organisation.kind == OrgKind.REGULATOR.value,
        Membership.role == Role.REGULATOR.value).limit(1)) is not None


def may_enter(lottery: Lottery, user: User, roles: set[str] | None = None) -> bool:
    """This lottery's witnesses, and the operators and regulators whose scope covers its
    request (market.accounts.scope: its tenant's; an industry regulator for its own service
    types; not the province, which reads a city's draw and does not act in it), may type an
    external value (``roles``: the user's, from :func:`roles_of`, when the caller already
    read them)."""
    if any(w.user_id == user.id for w in lottery.request.witnesses):
        return True
    if not (roles_of(user) if roles is None else roles) & {Role.OPERATOR.value,
                                                           Role.REGULATOR.value}:
        return False
    subject = request_subject(lottery.request)
    return any(covers(org, subject, Act.DECIDE) for org in db.session.scalars(
        sa.select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id,
               Membership.role.in_([Role.OPERATOR.value, Role.REGULATOR.value]))))


def may_confirm(proposal: ExternalProposal, user: User) -> bool:
    """A second account, and one of the two a regulator's."""
    if proposal.entered_by_id == user.id or not may_enter(proposal.lottery, user):
        return False
    first = db.session.get(User, proposal.entered_by_id)
    return is_regulator(user) or (first is not None and is_regulator(first))


def pending(lottery: Lottery) -> ExternalProposal | None:
    return db.session.scalar(sa.select(ExternalProposal).where(
        ExternalProposal.lottery_pk == lottery.id))


def pending_of(lotteries: list[Lottery]) -> dict[int, ExternalProposal]:
    """:func:`pending` of many lotteries in one read, by lottery primary key."""
    if not lotteries:
        return {}
    return {p.lottery_pk: p for p in db.session.scalars(sa.select(ExternalProposal).where(
        ExternalProposal.lottery_pk.in_([lot.id for lot in lotteries])))}


# --- typed values ------------------------------------------------------------------------------

_HEX = re.compile(r"(?:0x)?([0-9a-fA-F]*)")


@dataclass(frozen=True)
class Typed:
    value: str
    signature: str | None
    official_date: date | None


def read_value(entry: dict[str, Any], value: str, signature: str, official_date: date | None,
               at: datetime) -> Typed:
    """Check what a person typed for plan ``entry``; the canonical value or SelectionError."""
    if entry["kind"] == "drand":
        return _read_drand(entry, value, signature)
    kind = game_of(entry)
    if kind is None:
        raise SelectionError("value", N_("平台不认识该期号所属的游戏，无法核对开奖号码。"))
    try:
        canonical = canonical_result(kind, value)
    except ResultError as error:
        if error.code == "shape":
            raise SelectionError("value", SHAPE_MESSAGES[kind], **error.params) from None
        raise SelectionError("value", RESULT_MESSAGES[error.code], **error.params) from None
    if official_date is None:
        raise SelectionError("official_date", N_("请填写官方公告中该期的开奖日期。"))
    planned = local_date(datetime.strptime(entry["available_at"], "%Y-%m-%dT%H:%M:%SZ")
                         .replace(tzinfo=at.tzinfo))
    if official_date < planned:
        raise SelectionError("official_date", N_("该期开奖日期早于计划的 %(date)s：期号与计划不符，不能录入。请联系运营方核对开奖安排。"),
                             date=planned.isoformat())
    if official_date > local_date(at):
        raise SelectionError("official_date", N_("开奖日期不能晚于今天。"))
    return Typed(canonical, None, official_date)


def _read_drand(entry: dict[str, Any], value: str, signature: str) -> Typed:
    match = _HEX.fullmatch(re.sub(r"\s+", "", signature or ""))
    if not signature.strip():
        raise SelectionError("signature", N_("请填写该轮的 signature（十六进制）。"))
    if match is None or len(match.group(1)) % 2:
        raise SelectionError("signature", N_("signature 须为十六进制。"))
    sig = bytes.fromhex(match.group(1))
    try:
        randomness = verify_round(entry["chain"], entry["round"], sig).hex()
    except BeaconInvalid as error:
        raise SelectionError("signature", error.message, **error.params) from None
    typed = re.sub(r"\s+", "", value or "").lower().removeprefix("0x")
    if typed and typed != randomness:
        raise SelectionError("value", N_("randomness 与签名不符：应为签名的 SHA-256。可以留空，由系统计算。"))
    return Typed(randomness, sig.hex(), None)


def _source(entry: dict[str, Any], typed: Typed) -> dict[str, Any]:
    source: dict[str, Any] = {**entry, "value": typed.value}
    if typed.signature is not None:
        source["signature"] = typed.signature
    try:
        check_source(source)
    except Invalid:  # the checks above make this unreachable; refuse rather than log it
        raise SelectionError("value", N_("格式不符，未录入。")) from None
    return source


def logged_value(label: str, lottery: Lottery) -> str | None:
    """The value another lottery logged under ``label``, if any."""
    for source in db.session.scalars(sa.select(EntropyEntry.source).where(
            EntropyEntry.source["label"].as_string() == label,
            EntropyEntry.lottery_pk != lottery.id)):
        return str(source.get("value"))
    return None


# --- a lottery's entropy ---------------------------------------------------------------------

def parse_time(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timeutil.now().tzinfo)


def plan_entries(lottery: Lottery) -> list[dict[str, Any]]:
    return list(lottery.announcement["entropy_plan"])


def entries_of(lottery: Lottery) -> dict[int, EntropyEntry]:
    return {e.position: e for e in db.session.scalars(
        sa.select(EntropyEntry).where(EntropyEntry.lottery_pk == lottery.id))}


def log_entropy(lottery: Lottery, position: int, source: dict[str, Any], user: User,
                 at: datetime, confirmed_by: User | None = None) -> None:
    log.append([("entropy", lottery.lottery_id, {"source": source, "entered_by": user.account_id})],
               at=at)
    db.session.add(EntropyEntry(lottery_pk=lottery.id, position=position, source=source,
                                entered_by_id=user.id, at=at,
                                confirmed_by_id=confirmed_by.id if confirmed_by else None))
    db.session.flush()
    audit.record("witness:lottery:entropy", lottery.lottery_id,
                 {"position": position, "kind": source["kind"]})


# --- the operation -----------------------------------------------------------------------------

def enter_external(lottery: Lottery, user: User, value: str, signature: str = "",
                   official_date: date | None = None) -> str:
    """Type the external value (外部随机数录入或复核): operators, this lottery's witnesses and
    regulators, after its public time and after every witness value.

    The first entry is kept unlogged (``"pending"``); the same account may correct it.  A
    second account typing the same value logs it (``"logged"``; the caller draws, see
    :func:`market.selection.procedures.submit_external`) — refused unless one of the two is a
    regulator, or when the values differ (neither value is shown)."""
    lottery = lock_row(Lottery, lottery.id)
    at = log.next_time()
    if not may_enter(lottery, user):
        raise SelectionError(None, N_("只有运营人员、本次摇号的见证人和监管人员可以录入外部随机数。"))
    plan = plan_entries(lottery)
    position = len(plan) - 1
    entry = plan[position]
    if lottery.state != LotteryState.FROZEN:
        raise SelectionError(None, N_("该摇号不在等待外部随机数的状态。"))
    public_at = parse_time(public_time(entry))
    if at < public_at:
        raise SelectionError("value", N_("外部随机数要到 %(at)s 才公开，现在不能录入。"),
                             at=public_at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M"))
    entered = entries_of(lottery)
    if any(p not in entered for p in range(position)):
        raise SelectionError(None, N_("见证人尚未全部录入。"))
    typed = read_value(entry, value, signature, official_date, at)
    source = _source(entry, typed)
    earlier = logged_value(entry["label"], lottery)
    if earlier is not None and earlier != typed.value:
        raise SelectionError("value", N_("%(label)s 已由其他摇号记录为 %(value)s，与您录入的不一致。请核对官方公告。"),
                             label=entry["label"], value=earlier)
    proposal = pending(lottery)
    if proposal is None or proposal.entered_by_id == user.id:
        if proposal is None:
            proposal = ExternalProposal(lottery_pk=lottery.id, entered_by_id=user.id, at=at,
                                        value="")
            db.session.add(proposal)
        proposal.value, proposal.signature = typed.value, typed.signature
        proposal.official_date, proposal.at = typed.official_date, at
        audit.record("lottery:external:enter", lottery.lottery_id, {"label": entry["label"]})
        return "pending"
    if not may_confirm(proposal, user):
        raise SelectionError(None, N_("复核须由监管人员完成：第一次录入的不是监管人员，您也不是。"))
    if (proposal.value, proposal.signature, proposal.official_date) != (
            typed.value, typed.signature, typed.official_date):
        raise SelectionError("value", N_("与第一次录入不一致（开奖号码、签名或开奖日期不同），未写入日志。请再次核对官方公告；第一次录入的人也可以更正。"))
    first = db.session.get(User, proposal.entered_by_id)
    assert first is not None  # noqa: S101 - a foreign key
    log_entropy(lottery, position, source, first, at, confirmed_by=user)
    db.session.delete(proposal)
    audit.record("lottery:external:confirm", lottery.lottery_id,
                 {"label": entry["label"], "entered_by": first.account_id})
    return "logged"


# --- the operators' draw schedule ---------------------------------------------------------------

def save_draw_year(year: int, *, ssq_text: str, fc3d_text: str, source: str, confirmed: bool,
                   user_id: int | None) -> DrawScheduleYear:
    """Operators only: replace ``year``'s no-draw dates (休市、停开) of 福彩双色球 and 福彩3D, as
    the welfare lottery centre announced them, and whether they are confirmed.

    Plans already announced keep their issue; later plans count with the new dates."""
    days = {"ssq_no_draw": parse_days("ssq_no_draw", ssq_text),
            "fc3d_no_draw": parse_days("fc3d_no_draw", fc3d_text)}
    for field, values in days.items():
        outside = sorted(d for d in values if d.year != year)
        if outside:
            raise CalendarError(field, N_("日期须在 %(item)s 年内。"), str(year))
    if not source.strip():
        raise CalendarError("source", N_("请注明依据（如中国福利彩票发行管理中心的休市公告）。"))
    row = db.session.get(DrawScheduleYear, year)
    if row is None:
        row = DrawScheduleYear(year=year)
        db.session.add(row)
    row.ssq_no_draw = [d.isoformat() for d in sorted(days["ssq_no_draw"])]
    row.fc3d_no_draw = [d.isoformat() for d in sorted(days["fc3d_no_draw"])]
    row.confirmed, row.source = confirmed, source.strip()
    row.updated_at, row.updated_by = timeutil.now(), user_id
    audit.record("operator:draw-schedule:save", str(year), {
        "confirmed": confirmed, "source": row.source, "ssq_no_draw": row.ssq_no_draw,
        "fc3d_no_draw": row.fc3d_no_draw})
    return row
