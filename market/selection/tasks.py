"""What a draw asks of each person (摇号待办): a witness's digits, the external value's two
entries — on the draw page, on the dashboard, and as reminders (in the app and by e-mail).

Reminders are made by ``flask selection tick`` (every minute); each has a unique key, so a
second tick (or a second machine) adds nothing, and the e-mail of each goes out once
(:func:`market.notify.mail.send_emails`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from market import events, timeutil
from market.accounts.models import Membership, Organisation, OrgKind, Role, User
from market.db import db
from market.i18n import N_
from market.selection import external as external_ops
from market.selection.models import (
    EntropyEntry,
    ExternalProposal,
    Lottery,
    LotteryState,
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
    lottery_id: str
    title: str
    kind: str  # witness / external
    state: str
    at: datetime | None  # deadline (due), opening time (not_open), public time (external)
    detail: str = ""


DASHBOARD_TASKS = 10  # the dashboard shows this many, most urgent first, and links to the rest
_RANK = {"due": 0, "confirm": 1, "enter": 2, "waiting": 3, "mine": 4, "not_open": 5}


@dataclass
class TaskList:
    """The ``tasks`` of one page of a person's draw to-dos, of ``total`` in all."""

    tasks: list[Task]
    total: int


def my_tasks(user: User, *, limit: int | None = DASHBOARD_TASKS, offset: int = 0) -> TaskList:
    """The draw to-dos of one person (the dashboard's first ``limit``, or a page of the full
    list), most urgent first: the states of :func:`witness_status` (``due``, ``waiting``,
    ``not_open``) and of :func:`external_status` (``confirm``, ``enter``, ``mine``), decided
    by the database for every lottery at once, so that the cost does not grow with how many
    lotteries a regulator witnesses; only the rows shown are read."""
    now = timeutil.now()
    _close_due(user, now)
    roles, regulator = _roles(user)
    wide = bool(roles & {Role.OPERATOR.value, Role.REGULATOR.value})
    both = sa.union_all(_witness_tasks(user.id, now),
                        _external_tasks(user.id, now, wide, regulator)).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(both)) or 0
    query = sa.select(both).order_by(both.c.rank, both.c.at, both.c.lottery_id).offset(offset)
    rows = db.session.execute(query.limit(limit) if limit is not None else query).all()
    return TaskList([Task(r.lottery_id, r.title, r.kind, r.state, r.at,
                          _first_missing(r.request_id, r.lottery_pk, r.position)
                          if r.state == "waiting" else "") for r in rows], total)


def _close_due(user: User, now: datetime) -> None:
    """Closes due now happen here, as on other pages: the open lotteries this person
    witnesses whose sign-up has closed (normally none; ``flask selection tick`` closes them
    too)."""
    for request in db.session.scalars(sa.select(SelectionRequest).join(
            Witness, Witness.request_id == SelectionRequest.id).join(
            Lottery, Lottery.request_id == SelectionRequest.id).where(
            Witness.user_id == user.id, Lottery.state == LotteryState.OPEN.value,
            SelectionRequest.signup_closes_at <= now).order_by(SelectionRequest.id)).unique():
        advance(request)


def _roles(user: User) -> tuple[set[str], bool]:
    """The user's roles (as :func:`external.roles_of`) and whether they are a regulator (as
    :func:`external.is_regulator`), in one read."""
    rows = db.session.execute(sa.select(Membership.role, Organisation.kind).join(
        Organisation, Organisation.id == Membership.organisation_id).where(
        Membership.user_id == user.id)).all()
    return ({role for role, _kind in rows},
            any(role == Role.REGULATOR.value and kind == OrgKind.REGULATOR.value
                for role, kind in rows))


def _entered(position: Any) -> Any:
    """An entry at ``position`` of the lottery of the enclosing query exists (correlated
    explicitly: it may sit two subqueries below the query that reads ``lottery``)."""
    entry = aliased(EntropyEntry)
    return sa.exists().where(entry.lottery_pk == Lottery.id,
                             entry.position == position).correlate_except(entry)


def _witness_tasks(user_id: int, now: datetime) -> sa.Select[Any]:
    """:func:`witness_status` in SQL: a witness of an open lottery (``not_open``), or of a
    frozen one before its deadline with no entry of theirs yet: ``waiting`` while a witness
    before them has not typed, else ``due``."""
    before = aliased(Witness)
    earlier_missing = sa.exists().where(before.request_id == Witness.request_id,
                                        before.position < Witness.position,
                                        ~_entered(before.position))
    is_open = Lottery.state == LotteryState.OPEN.value
    return (sa.select(
        Lottery.lottery_id.label("lottery_id"), SelectionRequest.title.label("title"),
        sa.literal("witness").label("kind"),
        sa.case((is_open, "not_open"), (earlier_missing, "waiting"), else_="due").label("state"),
        sa.case((is_open, _RANK["not_open"]), (earlier_missing, _RANK["waiting"]),
                else_=_RANK["due"]).label("rank"),
        sa.case((is_open, SelectionRequest.signup_closes_at),
                else_=Lottery.external_at).label("at"),
        Lottery.id.label("lottery_pk"), SelectionRequest.id.label("request_id"),
        Witness.position.label("position"))
        .join(SelectionRequest, SelectionRequest.id == Lottery.request_id)
        .join(Witness, Witness.request_id == SelectionRequest.id)
        .where(Lottery.state.in_([LotteryState.OPEN.value, LotteryState.FROZEN.value]),
               Witness.user_id == user_id, ~_entered(Witness.position),
               sa.or_(is_open, Lottery.external_at > now)))


def _external_tasks(user_id: int, now: datetime, wide: bool, regulator: bool
                    ) -> sa.Select[Any]:
    """:func:`external_status` in SQL: a frozen lottery past its external value's time with
    every witness in, which this person may type (a witness of it, an operator, a regulator):
    ``enter`` with no entry yet, ``mine`` when theirs waits for a second, ``confirm`` when they
    may confirm another's (a second account, one of the two a regulator's)."""
    witness = aliased(Witness)
    missing = sa.exists().where(witness.request_id == Lottery.request_id,
                                ~_entered(witness.position))
    mine = aliased(Witness)
    may_enter = sa.exists().where(mine.request_id == Lottery.request_id, mine.user_id == user_id)
    first_regulator = sa.exists().where(
        Membership.user_id == ExternalProposal.entered_by_id,
        Organisation.id == Membership.organisation_id,
        Organisation.kind == OrgKind.REGULATOR.value, Membership.role == Role.REGULATOR.value)
    confirm = sa.and_(ExternalProposal.entered_by_id != user_id,
                      sa.true() if regulator else first_regulator)
    none, own = ExternalProposal.id.is_(None), ExternalProposal.entered_by_id == user_id
    query = (sa.select(
        Lottery.lottery_id.label("lottery_id"), SelectionRequest.title.label("title"),
        sa.literal("external").label("kind"),
        sa.case((none, "enter"), (own, "mine"), else_="confirm").label("state"),
        sa.case((none, _RANK["enter"]), (own, _RANK["mine"]),
                else_=_RANK["confirm"]).label("rank"),
        Lottery.external_at.label("at"), Lottery.id.label("lottery_pk"),
        SelectionRequest.id.label("request_id"), sa.literal(-1).label("position"))
        .join(SelectionRequest, SelectionRequest.id == Lottery.request_id)
        .outerjoin(ExternalProposal, ExternalProposal.lottery_pk == Lottery.id)
        .where(Lottery.state == LotteryState.FROZEN.value, Lottery.external_at <= now,
               ~missing, sa.or_(none, own, confirm)))
    return query if wide else query.where(may_enter)


def _first_missing(request_id: int, lottery_pk: int, position: int) -> str:
    """The name of the first witness before ``position`` who has not typed (a waiting task)."""
    entry = aliased(EntropyEntry)
    return db.session.scalar(sa.select(User.name).join(Witness, Witness.user_id == User.id).where(
        Witness.request_id == request_id, Witness.position < position,
        ~sa.exists().where(entry.lottery_pk == lottery_pk, entry.position == Witness.position))
        .order_by(Witness.position).limit(1)) or ""


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
