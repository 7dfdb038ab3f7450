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
from sqlalchemy.orm import load_only, selectinload

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


def my_tasks(user: User) -> list[Task]:
    """The dashboard's draw to-dos of one person, most urgent first."""
    tasks: list[Task] = []

    mine = db.session.scalars(sa.select(Witness).where(Witness.user_id == user.id)).all()
    requests = {w.request_id for w in mine}
    now = timeutil.now()
    lotteries = _open_lotteries(requests)
    closing = [lot for lot in lotteries
               if lot.state == LotteryState.OPEN and lot.request.signup_closes_at <= now]
    for lottery in closing:  # closes due now happen here, as on other pages
        advance(lottery.request)
    if closing:  # read again: a close freezes, fails or re-announces
        lotteries = _open_lotteries(requests)
    for lottery in lotteries:
        status = witness_status(lottery, user)
        if status and status["state"] in ("not_open", "waiting", "due"):
            at = status["deadline"] if status["state"] != "not_open" else status["opens"]
            tasks.append(Task(lottery.lottery_id, lottery.request.title, "witness",
                              status["state"], at, status.get("before", "")))
    roles = external_ops.roles_of(user)
    wide = bool(roles & {Role.OPERATOR.value, Role.REGULATOR.value})
    query = sa.select(Lottery).where(Lottery.state == LotteryState.FROZEN.value,
                                     Lottery.external_at <= now)
    if not wide:
        query = query.where(Lottery.request_id.in_(requests or {-1}))
    # What external_status reads of each, read for all at once (a regulator may type the
    # value of every lottery waiting for one: tens at a time).
    waiting = list(db.session.scalars(query.order_by(Lottery.external_at).limit(100).options(
        load_only(*_LOTTERY_COLUMNS, Lottery.announcement), selectinload(Lottery.entries),
        selectinload(Lottery.request).load_only(*_REQUEST_COLUMNS)
        .selectinload(SelectionRequest.witnesses))))
    proposals = external_ops.pending_of(waiting)
    for lottery in waiting:
        status = external_status(lottery, user, roles=roles,
                                 proposal=proposals.get(lottery.id))
        if status and status["state"] in ("enter", "confirm", "mine"):
            tasks.append(Task(lottery.lottery_id, lottery.request.title, "external",
                              status["state"], lottery.external_at))
    order = {"due": 0, "confirm": 1, "enter": 2, "waiting": 3, "mine": 4, "not_open": 5}
    return sorted(tasks, key=lambda t: (order.get(t.state, 9), t.at or now))


_LOTTERY_COLUMNS = (Lottery.lottery_id, Lottery.request_id, Lottery.state, Lottery.external_at)
_REQUEST_COLUMNS = (SelectionRequest.title, SelectionRequest.signup_closes_at,
                    SelectionRequest.owner_org_id, SelectionRequest.state)


def _open_lotteries(request_ids: set[int]) -> list[Lottery]:
    if not request_ids:
        return []
    # What witness_status reads of each, loaded for all at once (a witness of a hundred open
    # lotteries would otherwise cost four queries per lottery on every dashboard view), and
    # only the columns it reads: the JSON ones (announcement, summaries) cost the most to load.
    # Anything else a caller touches is still read when touched.
    return list(db.session.scalars(sa.select(Lottery).where(
        Lottery.request_id.in_(request_ids),
        Lottery.state.in_([LotteryState.OPEN.value, LotteryState.FROZEN.value]))
        .options(load_only(*_LOTTERY_COLUMNS), selectinload(Lottery.entries),
                 selectinload(Lottery.request).load_only(*_REQUEST_COLUMNS)
                 .selectinload(SelectionRequest.witnesses).selectinload(Witness.user))
        .order_by(Lottery.id)))


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
