"""What a draw asks of each person (摇号待办): a witness's digits, the external value's two
entries — on the draw page, on the dashboard, and as reminders (in the app and by e-mail).

Reminders are made by ``flask selection tick`` (every minute); each has a unique key, so a
second tick (or a second machine) adds nothing, and the e-mail of each goes out once
(:func:`market.notify.mail.send_emails`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from market import events, timeutil
from market.accounts.models import Membership, Organisation, OrgKind, RegulatorKind, Role, User
from market.catalogue.regulators import regulates
from market.db import db
from market.i18n import N_
from market.selection import external as external_ops
from market.selection.award import LIVE
from market.selection.models import (
    Award,
    EntropyEntry,
    ExternalProposal,
    Lottery,
    LotteryState,
    Method,
    RequestState,
    SelectionRequest,
    Witness,
)
from market.selection.procedures import advance

ROLE_WORDS = {Role.OWNER_ADMIN.value: N_("采购管理人"), Role.OWNER_DELEGATE.value: N_("采购受托人"),
              Role.REGULATOR.value: N_("监管人员"), Role.OPERATOR.value: N_("运营人员")}
SOON = timedelta(hours=2)  # the second witness reminder, this long before the deadline


@dataclass
class WitnessRow:
    """A witness as the draw page shows them: by name, role and organisation."""

    position: int
    label: str
    name: str
    role: str  # a ROLE_WORDS value (translated where shown)
    organisation: str
    entry: EntropyEntry | None


def _role(user_id: int, owner_org_id: int) -> tuple[str, str]:
    rows = db.session.execute(sa.select(Membership.role, Organisation.name, Organisation.kind,
                                        Organisation.id)
                              .join(Organisation, Organisation.id == Membership.organisation_id)
                              .where(Membership.user_id == user_id)
                              .order_by(Membership.id)).all()
    for role, name, kind, org_id in rows:  # the role that makes them a witness here first
        if org_id == owner_org_id or kind == OrgKind.REGULATOR.value:
            return ROLE_WORDS.get(role, role), name
    return (ROLE_WORDS.get(rows[0][0], rows[0][0]), rows[0][1]) if rows else ("", "")


def witness_rows(lottery: Lottery) -> list[WitnessRow]:
    entries = {e.position: e for e in lottery.entries}
    plan = lottery.announcement.get("entropy_plan", [])
    out = []
    for w in lottery.request.witnesses:
        role, org = _role(w.user_id, lottery.request.owner_org_id)
        label = plan[w.position]["label"] if w.position < len(plan) else w.label
        out.append(WitnessRow(w.position, label, w.user.name, role, org, entries.get(w.position)))
    return out


def _witnesses_in(lottery: Lottery) -> int:
    return sum(1 for e in lottery.entries if e.source.get("kind") == "witness")


def _planned_witnesses(lottery: Lottery) -> int:
    return sum(1 for e in lottery.announcement.get("entropy_plan", []) if e["kind"] == "witness")


def witness_status(lottery: Lottery, user: User) -> dict[str, Any] | None:
    """Where this user stands as a witness of ``lottery``: ``not_open`` (the pool is not frozen
    yet: ``opens`` at the close), ``waiting`` (``before``: the witness who must type first),
    ``due`` (until ``deadline``), ``done``, ``closed`` (the lottery moved on)."""
    witness = next((w for w in lottery.request.witnesses if w.user_id == user.id), None)
    if witness is None:
        return None
    entries = {e.position: e for e in lottery.entries}
    status: dict[str, Any] = {"position": witness.position, "deadline": lottery.external_at,
                              "opens": lottery.request.signup_closes_at}
    if witness.position in entries:
        status["state"] = "done"
    elif lottery.state == LotteryState.OPEN:
        status["state"] = "not_open"
    elif lottery.state != LotteryState.FROZEN or timeutil.now() >= lottery.external_at:
        status["state"] = "closed"
    else:
        missing = [w for w in lottery.request.witnesses
                   if w.position < witness.position and w.position not in entries]
        status["state"] = "waiting" if missing else "due"
        if missing:
            status["before"] = missing[0].user.name
    return status


_UNREAD: Any = object()


def external_status(lottery: Lottery, user: User, *, roles: set[str] | None = None,
                    proposal: ExternalProposal | None = _UNREAD) -> dict[str, Any] | None:
    """Where this user stands on the external value: None (may not type it), ``not_public``
    (until ``public_at``), ``waiting_witnesses``, ``enter``, ``mine`` (their entry awaits a
    second one), ``confirm``, ``needs_regulator`` (only a regulator may confirm), ``done``.

    ``roles`` (the user's) and ``proposal`` (the lottery's pending one, or None) may be passed
    by a caller that read them for many lotteries at once."""
    if lottery.state not in (LotteryState.FROZEN, LotteryState.DRAWN) or \
            not external_ops.may_enter(lottery, user, roles):
        return None
    status: dict[str, Any] = {"public_at": lottery.external_at}
    if lottery.state == LotteryState.DRAWN:
        status["state"] = "done"
    elif timeutil.now() < lottery.external_at:
        status["state"] = "not_public"
    elif _witnesses_in(lottery) < _planned_witnesses(lottery):
        status["state"] = "waiting_witnesses"
    else:
        if proposal is _UNREAD:
            proposal = external_ops.pending(lottery)
        if proposal is None:
            status["state"] = "enter"
        elif proposal.entered_by_id == user.id:
            status["state"] = "mine"
            status["proposal"] = proposal
        elif external_ops.may_confirm(proposal, user):
            status["state"] = "confirm"
        else:
            status["state"] = "needs_regulator"
    return status


@dataclass
class Task:
    lottery_id: str  # "" for a proposal scoring (no lottery)
    title: str
    kind: str  # witness / external / choose (信用择优) / score (方案择优)
    state: str
    at: datetime | None  # deadline (due), opening time (not_open), public time (external),
    # the short list's draw (choose), the opening of the proposals (score)
    detail: str = ""
    request_id: str = ""  # the request's public id, for the owner's pages


DASHBOARD_TASKS = 10  # the dashboard shows this many, most urgent first, and links to the rest
# an owner's choice and its panel's scores wait for nobody else: after the entries that have
# a deadline, before those that wait for someone
_RANK = {"due": 0, "confirm": 1, "enter": 2, "choose": 3, "score": 3, "waiting": 4, "mine": 5,
         "not_open": 6}


@dataclass
class TaskList:
    """The ``tasks`` of one page of a person's draw to-dos, of ``total`` in all."""

    tasks: list[Task]
    total: int


def my_tasks(user: User, *, limit: int | None = None, offset: int = 0) -> TaskList:
    """The to-dos of one person (the dashboard's first ``limit``, or a page of the full list),
    most urgent first: the states of :func:`witness_status` (``due``, ``waiting``,
    ``not_open``) and of :func:`external_status` (``confirm``, ``enter``, ``mine``), and an
    owner's ``choose`` (信用择优: the short list is drawn, no award is live) and ``score``
    (方案择优: the proposals are opened, the panel's results not published), decided by the
    database for every request at once in one statement, so that the cost does not grow with
    how many lotteries a regulator witnesses; only the rows shown are read.  ``limit``
    defaults to ``DASHBOARD_TASKS``."""
    limit = DASHBOARD_TASKS if limit is None else limit
    now = timeutil.now()
    roles, regulator = _roles(user)
    wide = bool(roles & {Role.OPERATOR.value, Role.REGULATOR.value})
    _close_due(user, now, wide)
    count, page = _statements(wide, regulator)
    params = {"user_id": user.id, "now": now}
    rows = db.session.execute(page, {**params, "limit": limit, "offset": offset}).all()
    # the page's rows carry the total; an empty first page has none; a page past the end
    # counts separately
    total = (rows[0].total if rows else
             db.session.execute(count, params).scalar() or 0 if offset else 0)
    return TaskList([Task(r.lottery_id, r.title, r.kind, r.state, r.at,
                          _first_missing(r.request_id, r.lottery_pk, r.position)
                          if r.state == "waiting" else "", r.request_public_id)
                     for r in rows], total)


# The statements below are built once (Core, on the tables, with bound parameters): building
# and caching a statement of this size costs more than running it.
_L, _R, _W = Lottery.__table__, SelectionRequest.__table__, Witness.__table__
_E, _P = EntropyEntry.__table__, ExternalProposal.__table__
_M, _O = Membership.__table__, Organisation.__table__
_A = Award.__table__
_USER = sa.bindparam("user_id", type_=sa.Integer)
_NOW = sa.bindparam("now", type_=_L.c.external_at.type)


def _close_due(user: User, now: datetime, wide: bool) -> None:
    """Closes due now happen here, as on other pages: the open lotteries this person
    witnesses whose sign-up has closed (normally none; ``flask selection tick`` closes them
    too)."""
    due = db.session.execute(_closing(wide), {"user_id": user.id, "now": now}).scalars().all()
    for request in (db.session.get(SelectionRequest, rid) for rid in due):
        if request is not None:
            advance(request)


def _witnessed_by(wide: bool) -> Any:
    """``witness.user_id`` is the person's.  An operator or a regulator witnesses the draws of
    a whole tenant: its witness rows grow with every draw ever held (a thousand after two
    thousand draws), while the lotteries still open or frozen are the few of this month, so
    for them the test is written ``user_id + 0`` and SQLite starts from the lotteries' state
    index, looking each one's witnesses up by request (CPU on 10,000 agencies and 2,000 draws,
    a loaded machine: 5.6 -> 0.7 ms for the closing test, 8.0 -> 4.1 ms for the to-dos).  Anyone
    else witnesses a few draws: their own rows, by the user index, are the shorter walk."""
    return (_W.c.user_id + 0 if wide else _W.c.user_id) == _USER


@functools.cache
def _closing(wide: bool) -> sa.Select[Any]:
    return (sa.select(_R.c.id).distinct()
            .join(_W, _W.c.request_id == _R.c.id).join(_L, _L.c.request_id == _R.c.id)
            .where(_witnessed_by(wide), _L.c.state == LotteryState.OPEN.value,
                   _R.c.signup_closes_at <= _NOW).order_by(_R.c.id))


_ROLES = (sa.select(_M.c.role, _O.c.kind).join(_O, _O.c.id == _M.c.organisation_id)
          .where(_M.c.user_id == _USER))


def _roles(user: User) -> tuple[set[str], bool]:
    """The user's roles (as :func:`external.roles_of`) and whether they are a regulator (as
    :func:`external.is_regulator`), in one read."""
    rows = db.session.execute(_ROLES, {"user_id": user.id}).all()
    return ({role for role, _kind in rows},
            any(role == Role.REGULATOR.value and kind == OrgKind.REGULATOR.value
                for role, kind in rows))


def _entered(position: Any) -> Any:
    """An entry at ``position`` of the lottery of the enclosing query exists (correlated
    explicitly: it may sit two subqueries below the query that reads ``lottery``)."""
    entry = _E.alias()
    return sa.exists().where(entry.c.lottery_pk == _L.c.id,
                             entry.c.position == position).correlate_except(entry)


def _witness_tasks(wide: bool) -> sa.Select[Any]:
    """:func:`witness_status` in SQL: a witness of an open lottery (``not_open``), or of a
    frozen one before its deadline with no entry of theirs yet: ``waiting`` while a witness
    before them has not typed, else ``due``."""
    before = _W.alias()
    earlier_missing = sa.exists().where(before.c.request_id == _W.c.request_id,
                                        before.c.position < _W.c.position,
                                        ~_entered(before.c.position))
    is_open = _L.c.state == LotteryState.OPEN.value
    return (sa.select(
        _L.c.lottery_id.label("lottery_id"), _R.c.title.label("title"),
        sa.literal("witness").label("kind"),
        sa.case((is_open, "not_open"), (earlier_missing, "waiting"), else_="due").label("state"),
        sa.case((is_open, _R.c.signup_closes_at), else_=_L.c.external_at).label("at"),
        _L.c.id.label("lottery_pk"), _R.c.id.label("request_id"),
        _W.c.position.label("position"), _R.c.public_id.label("request_public_id"))
        # The request is read for the person's rows only, after their witness row: joined
        # to the lottery, SQLite read it for every open or frozen lottery first (the ``+ 0``
        # keeps it from going back to that order; CPU on the generated data, a regulator
        # witnessing 175 of 320: 4.0 -> 2.3 ms for this part).
        .select_from(_L).join(_W, _W.c.request_id == _L.c.request_id)
        .join(_R, _R.c.id == _W.c.request_id + 0)
        .where(_L.c.state.in_([LotteryState.OPEN.value, LotteryState.FROZEN.value]),
               _witnessed_by(wide), ~_entered(_W.c.position),
               sa.or_(is_open, _L.c.external_at > _NOW)))


def _external_tasks(wide: bool, regulator: bool) -> sa.Select[Any]:
    """:func:`external_status` in SQL: a frozen lottery past its external value's time with
    every witness in, which this person may type (a witness of it, an operator, a regulator):
    ``enter`` with no entry yet, ``mine`` when theirs waits for a second, ``confirm`` when they
    may confirm another's (a second account, one of the two a regulator's)."""
    witness = _W.alias()
    missing = sa.exists().where(witness.c.request_id == _L.c.request_id,
                                ~_entered(witness.c.position))
    mine = _W.alias()
    may_enter = sa.exists().where(mine.c.request_id == _L.c.request_id,
                                  mine.c.user_id == _USER)
    first_regulator = sa.exists().where(
        _M.c.user_id == _P.c.entered_by_id, _O.c.id == _M.c.organisation_id,
        _O.c.kind == OrgKind.REGULATOR.value, _M.c.role == Role.REGULATOR.value)
    confirm = sa.and_(_P.c.entered_by_id != _USER, sa.true() if regulator else first_regulator)
    none, own = _P.c.id.is_(None), _P.c.entered_by_id == _USER
    query = (sa.select(
        _L.c.lottery_id.label("lottery_id"), _R.c.title.label("title"),
        sa.literal("external").label("kind"),
        sa.case((none, "enter"), (own, "mine"), else_="confirm").label("state"),
        _L.c.external_at.label("at"), _L.c.id.label("lottery_pk"),
        _R.c.id.label("request_id"), sa.literal(-1).label("position"),
        _R.c.public_id.label("request_public_id"))
        .select_from(_L).join(_R, _R.c.id == _L.c.request_id)
        .outerjoin(_P, _P.c.lottery_pk == _L.c.id)
        .where(_L.c.state == LotteryState.FROZEN.value, _L.c.external_at <= _NOW,
               ~missing, sa.or_(none, own, confirm)))
    if not wide:
        return query.where(may_enter)
    # an operator or regulator types the values of the requests its scope covers
    # (market.accounts.scope, as external.may_enter): its tenant's, an industry regulator's
    # own service types
    acting, org = _M.alias(), _O.alias()
    own_type = regulates(org.c.id, _R.c.tenant_id, _R.c.service_type_id)
    in_scope = sa.exists().where(
        acting.c.user_id == _USER,
        acting.c.role.in_([Role.OPERATOR.value, Role.REGULATOR.value]),
        org.c.id == acting.c.organisation_id, org.c.tenant_id == _R.c.tenant_id,
        sa.or_(org.c.kind == OrgKind.OPERATOR.value,
               org.c.regulator_kind == RegulatorKind.CENTRE.value,
               sa.and_(org.c.regulator_kind == RegulatorKind.INDUSTRY.value, own_type)))
    return query.where(sa.or_(may_enter, in_scope))


def _owner_tasks() -> tuple[sa.Select[Any], sa.Select[Any]]:
    """What a request asks of its owner's members (administrator or delegate): ``choose``,
    a credit merit (信用择优) whose short list is drawn and has no live award (after a
    decline the owner chooses again, as :func:`market.selection.procedures.lottery.choose`
    allows); ``score``, a proposal selection (方案择优) whose proposals are opened and whose
    panel's results are not published (publishing selects, or announces a tie-break lottery
    after the opening)."""
    # Start from the requests of the person's owner organisations (a list, not a correlated
    # EXISTS), never from every drawn lottery or closed request of the province: with the
    # statistics of a full database SQLite chose the state indexes and walked them all (5 ms
    # where this takes 0.2); ``|| ''`` keeps it off those indexes, as in the clock board.
    member = _R.c.owner_org_id.in_(sa.select(_M.c.organisation_id).where(
        _M.c.user_id == _USER,
        _M.c.role.in_([Role.OWNER_ADMIN.value, Role.OWNER_DELEGATE.value])))
    later = _L.alias()
    current = _L.c.id == sa.select(sa.func.max(later.c.id)).where(
        later.c.request_id == _R.c.id).scalar_subquery()
    live = sa.exists().where(_A.c.request_id == _R.c.id, _A.c.state.in_(LIVE))
    choose = (sa.select(
        _L.c.lottery_id.label("lottery_id"), _R.c.title.label("title"),
        sa.literal("choose").label("kind"), sa.literal("choose").label("state"),
        _L.c.drawn_at.label("at"),
        _L.c.id.label("lottery_pk"), _R.c.id.label("request_id"),
        sa.literal(-1).label("position"), _R.c.public_id.label("request_public_id"))
        .select_from(_R).join(_L, _L.c.request_id == _R.c.id)
        .where(_R.c.method == Method.CREDIT_MERIT.value, _R.c.credit_threshold.is_not(None),
               _R.c.state.concat("") == RequestState.CLOSED.value, current,
               _L.c.state.concat("") == LotteryState.DRAWN.value, ~live, member))
    tie = _L.alias()
    tie_announced = sa.exists().where(tie.c.request_id == _R.c.id,
                                      tie.c.created_at >= _R.c.opened_at)
    score = (sa.select(
        sa.literal("").label("lottery_id"), _R.c.title.label("title"),
        sa.literal("score").label("kind"), sa.literal("score").label("state"),
        _R.c.opened_at.label("at"),
        sa.literal(-1).label("lottery_pk"), _R.c.id.label("request_id"),
        sa.literal(-1).label("position"), _R.c.public_id.label("request_public_id"))
        .select_from(_R)
        .where(_R.c.method == Method.PROPOSALS.value,
               _R.c.state.concat("") == RequestState.CLOSED.value,
               _R.c.opened_at.is_not(None), ~tie_announced, member))
    return choose, score


@functools.cache
def _statements(wide: bool, regulator: bool) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The count and one page of a person's to-dos, each row with the count (parameters
    ``user_id``, ``now``, ``limit``, ``offset``)."""
    both = sa.union_all(_witness_tasks(wide), _external_tasks(wide, regulator),
                        *_owner_tasks()).subquery()
    count = sa.select(sa.func.count()).select_from(both)
    # the rank follows from the state, out here: in a branch, a witness's EXISTS for
    # "waiting" was evaluated twice, once for each
    rank = sa.case(_RANK, value=both.c.state)
    page = (sa.select(both, sa.func.count().over().label("total"))
            .order_by(rank, both.c.at, both.c.lottery_id)
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .offset(sa.bindparam("offset", type_=sa.Integer)))
    return count, page


_MISSING = _W.alias()
_FIRST_MISSING = (sa.select(User.__table__.c.name)
                  .join(_MISSING, _MISSING.c.user_id == User.__table__.c.id)
                  .where(_MISSING.c.request_id == sa.bindparam("request_id"),
                         _MISSING.c.position < sa.bindparam("position"),
                         ~sa.exists().where(_E.c.lottery_pk == sa.bindparam("lottery_pk"),
                                            _E.c.position == _MISSING.c.position))
                  .order_by(_MISSING.c.position).limit(1))


def _first_missing(request_id: int, lottery_pk: int, position: int) -> str:
    """The name of the first witness before ``position`` who has not typed (a waiting task)."""
    return db.session.execute(_FIRST_MISSING, {"request_id": request_id, "position": position,
                                               "lottery_pk": lottery_pk}).scalar() or ""


# --- reminders ---------------------------------------------------------------------------------

def remind(now: datetime) -> int:
    """What is due in every frozen lottery, sent as domain events (the notify area writes the
    reminders, once each, and e-mails them with ``flask clocks tick``): each witness when the
    pool is frozen and again ``SOON`` before the deadline (until they type), everyone who may
    type or confirm the external value once it is public.  Idempotent; returns how many
    reminders were new."""
    made = 0
    for lottery in db.session.scalars(sa.select(Lottery).where(
            Lottery.state == LotteryState.FROZEN.value)):
        request: SelectionRequest = lottery.request
        entered = {e.position for e in lottery.entries}
        if now < lottery.external_at:
            for w in request.witnesses:
                if w.position in entered:
                    continue
                for soon in (False, True) if now >= lottery.external_at - SOON else (False,):
                    made += _count(events.send(events.WitnessDue(
                        at=now, lottery_id=lottery.lottery_id, request_id=request.id,
                        position=w.position, user_id=w.user_id,
                        deadline=lottery.external_at, soon=soon)))
            continue
        if len(entered) < sum(1 for e in lottery.announcement["entropy_plan"]
                              if e["kind"] == "witness"):
            continue  # the tick voids it
        proposal = db.session.scalar(sa.select(ExternalProposal).where(
            ExternalProposal.lottery_pk == lottery.id))
        label = lottery.announcement["entropy_plan"][-1]["label"]
        for user_id in _external_people(lottery):
            if proposal is not None and proposal.entered_by_id == user_id:
                continue
            made += _count(events.send(events.ExternalValueDue(
                at=now, lottery_id=lottery.lottery_id, request_id=request.id, user_id=user_id,
                label=label, proposal_id=proposal.id if proposal is not None else None)))
    return made


def _count(answers: list[Any]) -> int:
    """How many receivers wrote a new reminder (each answers 1 or 0)."""
    return sum(a for a in answers if isinstance(a, int))


def _external_people(lottery: Lottery) -> list[int]:
    """Whom to remind about the external value: the witnesses and the regulators (the
    operators see it on their dashboard)."""
    people = [w.user_id for w in lottery.request.witnesses]
    people += db.session.scalars(sa.select(Membership.user_id).join(
        Organisation, Organisation.id == Membership.organisation_id).where(
        Organisation.kind == OrgKind.REGULATOR.value, Membership.role == Role.REGULATOR.value)
        .order_by(Membership.user_id)).all()
    return list(dict.fromkeys(people))
