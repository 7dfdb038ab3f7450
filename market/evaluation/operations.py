"""Rating an accepted engagement (owner, once) and replying to it (agency, once); the ratings
as the credit score reads them (:func:`credit_ratings`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.agencies.operations import profile_of
from market.credit import score as credit
from market.db import db
from market.engagements.models import Engagement, EngagementState
from market.evaluation.models import DIMENSIONS, Rating
from market.i18n import N_
from market.refusal import Refused

DIMENSION_LABELS = {
    "quality": N_("服务质量"),
    "timeliness": N_("时效"),
    "attitude": N_("服务态度"),
    "fees": N_("收费"),
    "integrity": N_("诚信"),
}
MAX_TEXT = 2000


class RatingError(Refused):
    """A rule refused the rating or the reply; ``field`` names the form field to show
    ``message`` next to (an ``N_()`` string, formatted with ``params`` after translation).
    Nothing was stored."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


def rateable(owner_org_id: int) -> list[tuple[Engagement, Rating | None]]:
    """The owner's accepted engagements, each with its rating if it has one."""
    engs = db.session.scalars(sa.select(Engagement).where(
        Engagement.owner_org_id == owner_org_id,
        Engagement.state == EngagementState.ACCEPTED.value)
        .order_by(Engagement.accepted_at.desc())).all()
    ratings = {r.engagement_id: r for r in db.session.scalars(
        sa.select(Rating).where(Rating.owner_org_id == owner_org_id))}
    return [(e, ratings.get(e.id)) for e in engs]


def rating_of(engagement_id: int) -> Rating | None:
    return db.session.scalar(sa.select(Rating).where(Rating.engagement_id == engagement_id))


def rate(engagement: Engagement, owner: Organisation, by: User, scores: Mapping[str, object],
         comment: str) -> Rating:
    """The engagement's owner rates it once, after acceptance, 1–5 on each dimension.

    Refuses (nothing stored) another organisation, an engagement not accepted, a second rating
    and a score outside 1–5.  Updates the agency's public average and its credit score."""
    if engagement.owner_org_id != owner.id:
        raise RatingError("comment", N_("只有该委托的业主可以评价。"))
    if engagement.state != EngagementState.ACCEPTED.value:
        raise RatingError("comment", N_("委托验收通过后才能评价。"))
    if rating_of(engagement.id) is not None:
        raise RatingError("comment", N_("该委托已经评价过，每个委托只能评价一次。"))
    values: dict[str, int] = {}
    for d in DIMENSIONS:
        raw = scores.get(d)
        value = raw if isinstance(raw, int) else (
            int(raw) if isinstance(raw, str) and raw.strip().isascii()
            and raw.strip().isdigit() else None)
        if value is None or not 1 <= value <= 5:
            raise RatingError(d, N_("请给出 1 到 5 分。"))
        values[d] = value
    comment = comment.strip()
    if len(comment) > MAX_TEXT:
        raise RatingError("comment", N_("不能超过 %(n)s 字。"), n=MAX_TEXT)
    row = Rating(engagement_id=engagement.id, owner_org_id=owner.id,
                 agency_org_id=engagement.agency_org_id, comment=comment,
                 rated_at=timeutil.now(), rated_by_id=by.id, **values)
    db.session.add(row)
    db.session.flush()
    audit.record("owner:rating:create", engagement.public_id, dict(values))
    _refresh_agency(engagement.agency_org_id)
    return row


def reply(row: Rating, agency: Organisation, by: User, text: str) -> None:
    """The rated agency replies once (public)."""
    if row.agency_org_id != agency.id:
        raise RatingError("reply", N_("只有被评价的机构可以回复。"))
    if row.reply is not None:
        raise RatingError("reply", N_("已经回复过，每条评价只能回复一次。"))
    text = text.strip()
    if not text:
        raise RatingError("reply", N_("请填写回复内容。"))
    if len(text) > MAX_TEXT:
        raise RatingError("reply", N_("不能超过 %(n)s 字。"), n=MAX_TEXT)
    row.reply = text
    row.replied_at = timeutil.now()
    row.replied_by_id = by.id
    audit.record("agency:rating:reply", str(row.id))


def _refresh_agency(agency_org_id: int) -> None:
    ratings = db.session.scalars(sa.select(Rating).where(
        Rating.agency_org_id == agency_org_id)).all()
    agency = db.session.get(Organisation, agency_org_id)
    if agency is not None and ratings:
        # profile_of: an agency without a profile row yet gets one, so its average shows
        profile_of(agency).rating_centi = round(
            100 * sum(r.average for r in ratings) / len(ratings))
    credit.recompute(agency_org_id)


def public_ratings(agency_org_id: int) -> list[Rating]:
    return list(db.session.scalars(sa.select(Rating).where(
        Rating.agency_org_id == agency_org_id).order_by(Rating.rated_at.desc())))


def credit_ratings(agency_org_id: int) -> tuple[float | None, int]:
    """The agency's ratings as the credit score reads them: the average over every dimension
    of every rating (None without any) and how many there are."""
    ratings = db.session.scalars(sa.select(Rating).where(
        Rating.agency_org_id == agency_org_id)).all()
    average = (sum(sum(getattr(r, d) for d in DIMENSIONS) for r in ratings)
               / (len(DIMENSIONS) * len(ratings))) if ratings else None
    return average, len(ratings)
