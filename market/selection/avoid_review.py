"""Long avoid lists go to a regulator first (回避名单审核).

An owner may ask that named agencies not be selected (回避), each with a reason; a list longer
than ``AVOID_LIST_MAX`` narrows the field enough to steer a selection, so such a request is
published only once a regulator approved exactly that list.  Changing the list after approval
needs a new review.

Who may call: :func:`submit` the owner of a draft request; :func:`decide` a regulator.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.db import db
from market.i18n import N_
from market.selection.errors import SelectionError
from market.selection.models import AvoidReview, RequestState, SelectionRequest


def limit() -> int:
    return int(current_app.config["AVOID_LIST_MAX"])


def _listed(request: SelectionRequest) -> list[str]:
    return sorted(a.agency.public_id for a in request.avoid)


def needs_review(request: SelectionRequest) -> bool:
    return len(request.avoid) > limit()


def latest(request: SelectionRequest) -> AvoidReview | None:
    return db.session.scalar(sa.select(AvoidReview).where(
        AvoidReview.request_id == request.id).order_by(AvoidReview.id.desc()).limit(1))


def approved(request: SelectionRequest) -> bool:
    """Whether a regulator approved the request's avoid list as it stands."""
    review = latest(request)
    return (review is not None and review.state == "approved"
            and review.agencies == _listed(request))


def check_before_publishing(request: SelectionRequest) -> None:
    """Refuse to publish a request whose long avoid list was not approved as it stands."""
    if needs_review(request) and not approved(request):
        raise SelectionError(None, N_("回避名单超过 %(n)s 家，须经监管部门审核同意后才能发布：请先提交审核。"),
                             n=limit())


def submit(owner: Organisation, request: SelectionRequest, user: User) -> AvoidReview:
    """The owner submits its draft's long avoid list to the regulators."""
    if request.owner_org_id != owner.id or request.state != RequestState.DRAFT:
        raise SelectionError(None, N_("只有本单位的草稿可以提交回避名单审核。"))
    if not needs_review(request):
        raise SelectionError(None, N_("回避名单不超过 %(n)s 家，无须审核。"), n=limit())
    listed = _listed(request)
    review = latest(request)
    if review is not None and review.agencies == listed and review.state != "refused":
        raise SelectionError(None, N_("这份回避名单已提交审核。"))
    now = timeutil.now()
    review = AvoidReview(request_id=request.id, agencies=listed, state="pending",
                         submitted_at=now, submitted_by_id=user.id)
    db.session.add(review)
    db.session.flush()
    audit.record("owner:avoid-review:submit", request.public_id, {"agencies": listed})
    events.send(events.AvoidReviewSubmitted(at=now, request_id=request.id,
                                            request_public_id=request.public_id,
                                            review_id=review.id, count=len(listed)))
    return review


def decide(review: AvoidReview, regulator: User, approve: bool, note: str) -> AvoidReview:
    """A regulator approves or refuses a pending avoid list; a refusal says why."""
    if review.state != "pending":
        raise SelectionError(None, N_("该回避名单已审核。"))
    text = note.strip()
    if not approve and len(text) < 5:
        raise SelectionError("note", N_("不同意时请写明理由（至少 5 个字）。"))
    review.state = "approved" if approve else "refused"
    review.decided_at = timeutil.now()
    review.decided_by_id = regulator.id
    review.note = text
    request = review.request
    audit.record(f"regulator:avoid-review:{review.state}", request.public_id,
                 {"agencies": review.agencies, "note": text})
    db.session.flush()
    events.send(events.AvoidReviewDecided(at=review.decided_at, request_id=request.id,
                                          request_public_id=request.public_id,
                                          review_id=review.id, approved=approve, note=text))
    return review


def status(request: SelectionRequest) -> dict[str, object]:
    """What the owner's page says about the avoid list's review."""
    review = latest(request)
    return {"needed": needs_review(request), "limit": limit(), "review": review,
            "approved": approved(request),
            "current": review is not None and review.agencies == _listed(request)}
