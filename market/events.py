"""Domain events (领域事件): what one area did, for the areas that react to it.

An operation sends an event after its change is flushed (:func:`send`); the receivers run at
once, in the same transaction, so what they write commits or rolls back with the change that
caused it.  Receivers live in the area that reacts (billing, approvals, notifications, credit,
the approval systems' webhook outbox…) and are connected by ``create_app`` through
:func:`connect`; the sending area imports nothing of theirs.

Every event has a stable dotted ``name`` and carries only JSON-serialisable facts (ids, public
ids, times), so that a receiver outside the process can be fed from :func:`payload`; a receiver
in the process loads what it needs from the session (the objects are already in its identity
map).  Names are a public contract once a webhook or an export carries them: add, never rename.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

from blinker import Namespace

_signals = Namespace()

E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every domain event: ``at`` is the business time of what happened (aware UTC)."""

    name: ClassVar[str] = ""
    at: datetime


def payload(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data: ``{"name", "at", ...fields}`` (times RFC 3339 in UTC)."""
    data: dict[str, Any] = {"name": event.name}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, datetime):
            value = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, date):
            value = value.isoformat()
        data[field.name] = value
    return data


def send(event: Event) -> list[Any]:
    """Hand ``event`` to every receiver connected to its name, in the caller's transaction.
    Returns what the receivers returned, in order (a reminder's receiver says whether it wrote
    one, so that a periodic command can count them; most return None)."""
    if not event.name:
        raise TypeError(f"{type(event).__name__} has no event name")
    return [answer for _receiver, answer in _signals.signal(event.name).send(event)]


def connect(kind: type[E], receiver: Callable[[E], Any]) -> None:
    """Call ``receiver(event)`` for every event of ``kind``.  Idempotent (one app per test
    connects the same module-level receivers again); held strongly."""

    def call(event: Any) -> Any:
        return receiver(event)

    # blinker keys a receiver by identity: keep one wrapper per (kind, receiver).
    key = (kind.name, receiver)
    wrapper = _wrappers.setdefault(key, call)
    _signals.signal(kind.name).connect(wrapper, weak=False)


_wrappers: dict[tuple[str, Callable[..., Any]], Callable[[Any], Any]] = {}


def names() -> list[str]:
    """Every event name defined here (for the catalogue in the docs and the webhook filter)."""
    return sorted(c.name for c in _all(Event) if c.name)


def _all(cls: type[Event]) -> list[type[Event]]:
    out: list[type[Event]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all(sub))
    return out


# --- the catalogue ------------------------------------------------------------------------------
# Accounts (账户) ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrganisationEvent(Event):
    organisation_id: int
    organisation_public_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OwnerActivated(OrganisationEvent):
    """The operator checked a project owner (核验): it may publish from now on."""

    name: ClassVar[str] = "owner.activated"


@dataclasses.dataclass(frozen=True, kw_only=True)
class OwnerRefused(OrganisationEvent):
    """The operator refused to activate a project owner, with the ``reason`` it is shown."""

    name: ClassVar[str] = "owner.refused"
    reason: str


# Working calendar (工作日历) -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class CalendarChanged(Event):
    """An operator saved a year's schedule (节假日安排) under calendar ``revision``, or, with
    ``division_id``, changed that division's local days (地方性节假日; its counter was
    ``previous_local``, the national revision did not move): the days from ``first_changed``
    to ``last_changed`` may count differently (both None when no day's working status
    changed, e.g. only the source or the confirmation)."""

    name: ClassVar[str] = "calendar.changed"
    year: int
    revision: int
    previous_revision: int
    first_changed: date | None
    last_changed: date | None
    division_id: int | None = None
    previous_local: int = 0


# Selection (采购) ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestEvent(Event):
    request_id: int
    request_public_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestPublished(RequestEvent):
    name: ClassVar[str] = "request.published"


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestFailed(RequestEvent):
    """流标: too few eligible sign-ups, no valid quote, or every alternate used up."""

    name: ClassVar[str] = "request.failed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestVoided(RequestEvent):
    """A selection voided (an upheld objection, missed witnesses) or withdrawn by its owner."""

    name: ClassVar[str] = "request.voided"


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestWithdrawn(RequestEvent):
    """The owner withdrew (撤销) the request before sign-up or quotes closed, with a public
    ``reason``."""

    name: ClassVar[str] = "request.withdrawn"
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class LotteryWitnessed(Event):
    """Every witness value of lottery ``lottery_id`` is in; the external value is public at
    ``external_at``."""

    name: ClassVar[str] = "lottery.witnessed"
    lottery_id: str
    request_id: int
    external_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class AvoidReviewSubmitted(RequestEvent):
    """The owner submitted a draft's long avoid list (回避名单) to the regulators (review
    ``review_id``, ``count`` agencies named)."""

    name: ClassVar[str] = "request.avoid_review.submitted"
    review_id: int
    count: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class AvoidReviewDecided(RequestEvent):
    """A regulator approved (``approved``) or refused a draft's long avoid list, with ``note``."""

    name: ClassVar[str] = "request.avoid_review.decided"
    review_id: int
    approved: bool
    note: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class WitnessDue(Event):
    """Witness ``position`` (person ``user_id``) of lottery ``lottery_id`` has not typed yet and
    must before ``deadline``; ``soon`` when the deadline is near (the second reminder)."""

    name: ClassVar[str] = "lottery.witness.due"
    lottery_id: str
    request_id: int
    position: int
    user_id: int
    deadline: datetime
    soon: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExternalValueDue(Event):
    """The external value of lottery ``lottery_id`` is public: person ``user_id`` may type it,
    or (``proposal_id`` set) confirm the first entry by typing it again."""

    name: ClassVar[str] = "lottery.external.due"
    lottery_id: str
    request_id: int
    user_id: int
    label: str
    proposal_id: int | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class OpeningKeyDue(RequestEvent):
    """A sealed bid awaits its opening: key holder ``holder_id`` (of organisation
    ``holder_org_id``) has not presented key ``key_id`` for round ``bid_round``; the round
    lapses at ``deadline``.  Sent at most once per holder and ``day`` is the receiver's to keep."""

    name: ClassVar[str] = "opening.key.due"
    bid_round: int
    key_id: str
    holder_id: int
    holder_org_id: int
    deadline: datetime
    day: date


@dataclasses.dataclass(frozen=True, kw_only=True)
class OpeningLapsed(RequestEvent):
    """Too few key holders presented by the opening deadline: round ``bid_round`` failed,
    unopened, for the public ``reason``."""

    name: ClassVar[str] = "opening.lapsed"
    owner_org_id: int
    bid_round: int
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwardEvent(Event):
    award_id: int
    request_id: int
    request_public_id: str
    agency_org_id: int
    agency_public_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwardOffered(AwardEvent):
    name: ClassVar[str] = "award.offered"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwardPassed(AwardEvent):
    """The award left this agency for the next alternate, or for nobody (the request failed):
    declined (also a contract not signed by the signing limit), timed out, or voided by an
    upheld objection whose notice named the next alternate."""

    name: ClassVar[str] = "award.passed"
    how: str  # declined / timed_out / voided


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwardVoided(AwardEvent):
    """An upheld objection (异议成立) voided this award and the selection runs again
    (``rerun``; False: it failed, nothing to re-run), for the public ``reason``."""

    name: ClassVar[str] = "award.voided"
    reason: str
    rerun: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class ObjectionDue(Event):
    """An objection (异议) to the result notice of request ``request_public_id`` awaits the
    regulators' decision, due by the end of ``due_on``; sent once the last working day before
    it has come (the reminder)."""

    name: ClassVar[str] = "objection.due"
    objection_id: int
    request_id: int
    request_public_id: str
    due_on: date


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwardConfirmed(AwardEvent):
    name: ClassVar[str] = "award.confirmed"


# Engagements (委托) -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementEvent(Event):
    engagement_id: int
    engagement_public_id: str
    project_code: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContractConfirmed(EngagementEvent):
    """Both sides hold the signed contract: the fee (``fee_fen``) falls due from the owner."""

    name: ClassVar[str] = "contract.confirmed"
    owner_org_id: int
    agency_org_id: int
    fee_fen: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementStarted(EngagementEvent):
    """The service clock started (at contract confirmation)."""

    name: ClassVar[str] = "engagement.started"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementPaused(EngagementEvent):
    """The agency waits on the owner (materials asked for)."""

    name: ClassVar[str] = "engagement.paused"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementResumed(EngagementEvent):
    name: ClassVar[str] = "engagement.resumed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementAccepted(EngagementEvent):
    """The owner accepted the deliverable: the engagement is done."""

    name: ClassVar[str] = "engagement.accepted"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementCancelled(EngagementEvent):
    name: ClassVar[str] = "engagement.cancelled"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EngagementOverdue(EngagementEvent):
    """Raised once by the periodic command when the service clock passes its due date."""

    name: ClassVar[str] = "engagement.overdue"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliverableEvent(EngagementEvent):
    deliverable_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliverableSubmitted(DeliverableEvent):
    name: ClassVar[str] = "deliverable.submitted"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliverableAccepted(DeliverableEvent):
    name: ClassVar[str] = "deliverable.accepted"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliverableReturned(DeliverableEvent):
    name: ClassVar[str] = "deliverable.returned"


# Approval cases (办件) ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaseClockEvent(Event):
    case_id: int
    case_public_id: str
    project_code: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaseClockWarning(CaseClockEvent):
    """Raised once when a case's clock enters its warning days."""

    name: ClassVar[str] = "case.clock.warning"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaseClockOverdue(CaseClockEvent):
    name: ClassVar[str] = "case.clock.overdue"


# Ratings (好差评) ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class CorrectionOpened(Event):
    """A poor rating (差评) opened correction ``correction_public_id`` (整改) for the agency,
    to answer by ``due_on``."""

    name: ClassVar[str] = "correction.opened"
    correction_id: int
    correction_public_id: str
    agency_org_id: int
    engagement_public_id: str
    due_on: date


# Supervision (监管) -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SanctionIssued(Event):
    name: ClassVar[str] = "sanction.issued"
    sanction_id: int
    agency_org_id: int
    kind: str  # warning / suspension / blacklist


@dataclasses.dataclass(frozen=True, kw_only=True)
class EscalationRaised(Event):
    """Electronic supervision (电子监察) raised ``step`` (warning 预警提醒 / yellow 黄牌 / red
    红牌) of escalation step ``step_id`` about a late matter; ``told_org_ids`` are the
    organisations to tell (the step's record says who and how)."""

    name: ClassVar[str] = "escalation.raised"
    step_id: int
    step: str
    subject_kind: str
    subject_id: str
    told_org_ids: tuple[int, ...]
