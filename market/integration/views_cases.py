"""``POST /api/v1/case-events``: an approval system tells the marketplace what happened to a
case (shared/spec/integration.md §3).  The rules are :mod:`market.approvals.ingest`'s."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import request

from market.accounts.auth import ANYONE, access
from market.approvals import ingest
from market.integration import oauth
from market.integration.models import Scope
from market.integration.views_api import bp
from market.web.openapi import REQUIRED, ApiError, body_field, endpoint

EVENT_ID = r"^[\x21-\x7e]{1,64}$"
CODE = r"^[\x21-\x7e]{1,64}$"


def _d(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass
class CaseEventIn:
    """One event of an approval case (办件), as the approval system records it."""

    event_id: str = body_field(REQUIRED, "the sender's unique id for this event (1–64 "
                               "printable ASCII); the same id again is answered as the first "
                               "time", max_length=64, pattern=EVENT_ID)
    case_no: str = body_field(REQUIRED, "the approval system's case number (办件编号); each "
                              "department numbers its own cases, so a case is the matter's "
                              "department and this number", max_length=64, pattern=CODE)
    project_code: str = body_field(REQUIRED, "the project's 投资项目代码, as registered in "
                                   "the marketplace", max_length=32, pattern=CODE)
    matter_code: str = body_field(REQUIRED, "the approval matter's code in the marketplace's "
                                  "catalogue (/api/approval-matters)", max_length=32,
                                  pattern=CODE)
    type: str = body_field(REQUIRED, "what happened", enum=ingest.EVENT_TYPES)
    at: str = body_field(REQUIRED, "when it happened: an RFC 3339 time with its offset; not "
                         "before the case's last event", max_length=40,
                         pattern=ingest.RFC3339.pattern)
    reason: str | None = body_field(None, "special_procedure_started: the reason of 行政许可法 "
                                    "Art. 45", enum=tuple(ingest.SPECIAL_REASONS))
    expected_days: int | None = body_field(None, "special_procedure_started (unless linked "
                                           "to an engagement) and tolerated_acceptance: "
                                           "working days", minimum=1,
                                           maximum=ingest.MAX_EXPECTED_DAYS)
    engagement_id: str | None = body_field(None, "special_procedure_started: the marketplace "
                                           "engagement that performs it (its committed days "
                                           "are the expected length; it ends when the "
                                           "deliverable is accepted)", max_length=32,
                                           pattern=CODE)
    days: int | None = body_field(None, "extended: working days (Art. 42: at most 10, 15 "
                                  "for a joint case)", minimum=1,
                                  maximum=ingest.MAX_JOINT_EXTENSION_DAYS)
    approved_by: str | None = body_field(None, "extended: the official who approved it "
                                         "(本行政机关负责人; when joint, 本级人民政府负责人)",
                                         max_length=100)
    joint: bool | None = body_field(None, "applied: the case is handled jointly, centrally "
                                    "or in a unified way (统一办理、联合办理、集中办理, Art. 26), "
                                    "so it is decided within 45 working days (Art. 42); "
                                    "extended: may be left out, else must match the case "
                                    "(422 joint_mismatch)")
    extension_reason: str | None = body_field(None, "extended: the reason, told to the "
                                              "applicant (required)",
                                              max_length=ingest.MAX_REASON_LENGTH)
    outcome: str | None = body_field(None, "decided: the decision",
                                     enum=("approved", "refused"))


@dataclass
class SpecialProcedureOut:
    """A special procedure (特别程序, 行政许可法 Art. 45) of the case."""

    reason: str
    expected_days: int
    due_date: date | None
    started_at: datetime
    ended_at: datetime | None
    engagement_id: str | None = field(metadata=_d("the engagement performing it, if any"))


@dataclass
class ExtensionOut:
    """An extension of the limit (行政许可法 Art. 42)."""

    days: int
    approved_by: str
    joint: bool = field(metadata=_d("joint handling (联合办理): up to 15 days, approved by the "
                                    "head of the people's government at that level"))
    reason: str | None = field(metadata=_d("the reason told to the applicant"))
    at: datetime


@dataclass
class CaseClockOut:
    """The case's clock (审批时限) after the event."""

    state: str = field(metadata=_d("preparing, accepted, suspended, running, decided or "
                                   "withdrawn"))
    limit_days: int = field(metadata=_d("the committed limit plus extensions, working days"))
    used_days: int
    remaining_days: int
    due_date: date | None
    suspended_since: datetime | None
    special_procedures: list[SpecialProcedureOut]
    extensions: list[ExtensionOut]
    joint: bool = field(metadata=_d(
        "handled jointly, centrally or in a unified way (统一办理、联合办理、集中办理, 行政许可法 "
        "Art. 26): Art. 42 limits it to 45 working days in all (extended by at most 15)"))


@dataclass
class CaseEventOut:
    """The case's clock after the event."""

    case_no: str
    event_id: str
    type: str
    clock: CaseClockOut


@bp.route("/api/v1/case-events", methods=["POST"])
@access(ANYONE)
@oauth.client_access(Scope.CASES_WRITE)
@endpoint(body=CaseEventIn, response=CaseEventOut, tag="cases", created=True,
          errors=(403, 404, 409, 422))
def case_event(body: CaseEventIn) -> Any:
    """Record an event of an approval case (办件); 201 when it opens a case.

    Idempotent by `event_id` (per client): the same body again answers 200 with the stored
    result, another body under the same id is 409 `event_id_reused`. Events of one case must
    not go back in time (409 `stale_event`). A request that meets another's write at the same
    moment (one new case or one number at once, a lock held past its timeout) answers 409
    `concurrent_event` and changes nothing (send it again). A client of a department writes only cases of its
    department's matters (403 `wrong_department`). An impossible transition is 422 with a code
    (`precondition_missing`, `not_running`, `not_suspended`, `already_decided`,
    `extension_too_long`, `already_extended`, …) and changes nothing."""
    raw: dict[str, Any] = request.get_json(silent=True) or {}
    data = ingest.CaseEventData(**{k: getattr(body, k) for k in body.__dataclass_fields__})
    try:
        outcome = ingest.receive(oauth.current_client(), data, raw)
    except ingest.CaseEventError as error:
        raise ApiError(error.status, error.code, error.message) from None
    return outcome.result, outcome.status
