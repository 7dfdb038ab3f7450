"""What an approval system reads back (shared/spec/integration.md §4): ``GET
/api/v1/projects/<project_code>``, ``GET /api/v1/engagements/<id>/deliverables`` and each
version's bytes.  A project the client may not see is 404, like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _

from market import storage
from market.accounts import audit
from market.accounts.auth import ANYONE, access
from market.integration import oauth, pull
from market.integration.models import Scope
from market.integration.views_api import bp
from market.integration.views_cases import CaseClockOut
from market.web.openapi import ApiError, PathParam, RawBody, endpoint

PROJECT_CODE = PathParam("the project's 投资项目代码", r"^[\x21-\x7e]{1,32}$")
ENGAGEMENT_ID = PathParam("the engagement's id", r"^[\x21-\x7e]{1,32}$")


def _d(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass
class CaseEventRef:
    """An event of the case as received."""

    event_id: str
    type: str
    at: datetime


@dataclass
class ProjectCaseOut:
    """An approval case (办件) of the project with its clock and events."""

    case_no: str | None = field(metadata=_d("the approval system's case number; null for a "
                                            "case no system has reported yet"))
    id: str = field(metadata=_d("the marketplace's case id (BJ-…)"))
    matter_code: str = ""
    department_code: str = ""
    state: str = ""
    acceptance: str | None = field(default=None, metadata=_d(
        "complete, tolerated (容缺受理) or pledge (告知承诺); null before acceptance"))
    tolerated_until: date | None = None
    clock: CaseClockOut | None = None
    events: list[CaseEventRef] = field(default_factory=list)


@dataclass
class RequestRef:
    """A selection request (选取公告) of the project."""

    id: str
    service_type_code: str
    state: str


@dataclass
class EngagementOut:
    """An engagement (中介服务) of the project with its service clock."""

    id: str
    service_type_code: str
    agency: str
    committed_days: int = field(metadata=_d("承诺服务时限, working days"))
    used_days: int
    state: str
    due_date: date | None


@dataclass
class TimelineSpanOut:
    """The span the timeline's buckets divide (全流程): working days in (start, end]."""

    start: date | None = field(metadata=_d(
        "the first selection request's publication or the first case event, whichever is "
        "earlier (Asia/Shanghai date; the day itself is not counted)"))
    end: date | None = field(metadata=_d("the last decision, or today while anything is open"))
    total_days: int = field(metadata=_d("working days in the span: the sum of timeline_days"))
    priority: list[str] = field(metadata=_d(
        "the buckets, highest priority first: a working day claimed by several goes to the "
        "first of them; 'waiting' is a day nothing recorded accounts for"))


@dataclass
class ProjectOut:
    """A project with its cases, selection requests, engagements and timeline."""

    code: str
    name: str
    owner: str
    cases: list[ProjectCaseOut]
    selection_requests: list[RequestRef]
    engagements: list[EngagementOut]
    timeline_days: dict[str, int] = field(metadata=_d(
        "working days of the project's span per bucket of the timeline, every bucket present: "
        "approval, special_intermediary, special_other, acceptance, service_late, service_ok, "
        "owner_review, owner_correction, owner_materials, owner_signing, selection, waiting; "
        "they add up to timeline_span.total_days"))
    timeline_span: TimelineSpanOut


@dataclass
class DeliverableOut:
    """One version of an engagement's deliverable (服务成果)."""

    version: int
    sha256: str = field(metadata=_d("SHA-256 of the stored bytes, hex"))
    size: int
    media_type: str
    state: str = field(metadata=_d("submitted, accepted, returned or withdrawn"))
    submitted_at: datetime
    download_url: str = field(metadata=_d("the bytes; needs this client's bearer token with "
                                          "deliverables:read"))


@dataclass
class DeliverablesOut:
    """An engagement's deliverable, every version."""

    engagement_id: str
    versions: list[DeliverableOut]


@bp.route("/api/v1/projects/<project_code>", methods=["GET"])
@access(ANYONE)
@oauth.client_access(Scope.PROJECTS_READ)
@endpoint(response=ProjectOut, tag="projects", errors=(404,), path={"project_code": PROJECT_CODE})
def project(project_code: str) -> Any:
    """A project as an approval system reads it back.

    Its cases with their clocks and events, its selection requests, its engagements (agency,
    committed days, used, state, due date) and its timeline in working days per bucket. The
    province's platform sees every project, a department's client the projects with a case of
    its department's matters; any other is 404."""
    row = pull.visible_project(oauth.current_client(), project_code)
    if row is None:
        raise ApiError(404, "not_found", _("没有这个项目。"))
    return pull.project_data(row)


@bp.route("/api/v1/engagements/<engagement_id>/deliverables", methods=["GET"])
@access(ANYONE)
@oauth.client_access(Scope.DELIVERABLES_READ)
@endpoint(response=DeliverablesOut, tag="projects", errors=(404,),
          path={"engagement_id": ENGAGEMENT_ID})
def deliverables(engagement_id: str) -> Any:
    """The versions of an engagement's deliverable, with their hashes.

    Each with its SHA-256, size, media type, state and a download URL that answers only to a
    bearer token of a client that may see the project."""
    eng = pull.visible_engagement(oauth.current_client(), engagement_id)
    if eng is None:
        raise ApiError(404, "not_found", _("没有这个委托。"))
    return DeliverablesOut(eng.public_id, [DeliverableOut(
        d.version, d.sha256, d.size, d.upload.content_type,
        pull.STATE_OF_DECISION.get(d.decision, d.decision), d.submitted_at,
        url_for("integration_api.deliverable_file", engagement_id=eng.public_id,
                version=d.version, _external=True)) for d in pull.deliverables_of(eng)])


_BYTES = RawBody("application/octet-stream", {"type": "string", "format": "binary"})


@bp.route("/api/v1/engagements/<engagement_id>/deliverables/<int:version>", methods=["GET"])
@access(ANYONE)
@oauth.client_access(Scope.DELIVERABLES_READ)
@endpoint(response=_BYTES, tag="projects", errors=(404,),
          path={"engagement_id": ENGAGEMENT_ID,
                "version": PathParam("the version number")})
def deliverable_file(engagement_id: str, version: int) -> Response:
    """The stored bytes of one version (their SHA-256 is the listed one)."""
    client = oauth.current_client()
    eng = pull.visible_engagement(client, engagement_id)
    row = next((d for d in pull.deliverables_of(eng) if d.version == version), None) \
        if eng is not None else None
    if eng is None or row is None:
        raise ApiError(404, "not_found", _("没有这个成果版本。"))
    audit.record("client:deliverable:download", eng.public_id,
                 {"client": client.client_id, "version": version, "sha256": row.sha256})
    return storage.send_upload(row.upload)
