"""Rating a step of an engagement — its acceptance or a return of its deliverable — (owner, once
each), replying to a rating (agency, once), hiding one with a published reason (operator); the
ratings as the public profile counts them (:func:`level_summary`) and as the credit score reads
them (:func:`credit_ratings`, :func:`levels_since`).  A hidden rating counts nowhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.accounts.scope import Reach
from market.agencies.operations import profile_of
from market.calendar.service import current_calendar
from market.credit import score as credit
from market.db import db, lock_row
from market.domain.credit_formula import satisfied_bp
from market.engagements.models import Decision, Deliverable, Engagement, EngagementState
from market.evaluation.models import (
    DIMENSIONS,
    FOLLOW_UP_RESULTS,
    LEVELS,
    POOR_LEVELS,
    Correction,
    Rating,
)
from market.i18n import N_
from market.refusal import Refused
from market.selection.models import SelectionRequest
from market.settings import service as settings

DIMENSION_LABELS = {
    "quality": N_("服务质量"),
    "timeliness": N_("时效"),
    "attitude": N_("服务态度"),
    "fees": N_("收费"),
    "integrity": N_("诚信"),
}
# The 好差评 scale (国办发〔2019〕51号), best first.
LEVEL_LABELS = {
    "very_satisfied": N_("非常满意"),
    "satisfied": N_("满意"),
    "basically_satisfied": N_("基本满意"),
    "dissatisfied": N_("不满意"),
    "very_dissatisfied": N_("非常不满意"),
}
FOLLOW_UP_LABELS = {"satisfied": N_("整改到位，业主满意"),
                    "basically_satisfied": N_("基本整改到位"),
                    "dissatisfied": N_("整改不到位，业主不满意")}
STEP_LABELS = {"acceptance": N_("验收"), "return": N_("退回修改")}
MAX_TEXT = 2000
MIN_ANSWER = 10
MIN_HIDE_REASON = 10
MAX_HIDE_REASON = 500


class RatingError(Refused):
    """A rule refused the rating or the reply; ``field`` names the form field to show
    ``message`` next to (an ``N_()`` string, formatted with ``params`` after translation).
    Nothing was stored."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Step:
    """A step of an engagement its owner may rate: the acceptance (``version`` 0) or the return
    of deliverable ``version``; ``at`` is when it was decided."""

    engagement: Engagement
    version: int
    at: datetime | None
    rating: Rating | None

    @property
    def kind(self) -> str:
        return "acceptance" if self.version == 0 else "return"


def rateable(reach: Reach) -> list[Step]:
    """The owner's rateable steps within ``reach`` (a delegate: its projects'), newest first:
    each accepted engagement's acceptance and each returned deliverable, with its rating if it
    has one."""
    ratings = {(r.engagement_id, r.deliverable_version): r for r in db.session.scalars(
        sa.select(Rating).where(Rating.owner_org_id == reach.org_id))}
    steps = [Step(e, 0, e.accepted_at, ratings.get((e.id, 0))) for e in db.session.scalars(
        sa.select(Engagement).where(reach.where(Engagement.owner_org_id, Engagement.project_id),
                                    Engagement.state == EngagementState.ACCEPTED.value))]
    returned = db.session.execute(
        sa.select(Engagement, Deliverable.version, Deliverable.decided_at)
        .join(Deliverable, Deliverable.engagement_id == Engagement.id)
        .where(reach.where(Engagement.owner_org_id, Engagement.project_id),
               Deliverable.decision == Decision.RETURNED.value))
    steps += [Step(e, v, at, ratings.get((e.id, v))) for e, v, at in returned]
    return sorted(steps, key=lambda s: (s.at is not None, s.at, s.engagement.id, s.version),
                  reverse=True)


def rating_of(engagement_id: int, version: int = 0) -> Rating | None:
    """The rating of the engagement's acceptance (``version`` 0) or of the return of
    deliverable ``version``."""
    return db.session.scalar(sa.select(Rating).where(Rating.engagement_id == engagement_id,
                                                     Rating.deliverable_version == version))


def returned_deliverable(engagement: Engagement, version: int) -> Deliverable | None:
    """The engagement's deliverable ``version`` if the owner returned it (退回修改)."""
    return db.session.scalar(sa.select(Deliverable).where(
        Deliverable.engagement_id == engagement.id, Deliverable.version == version,
        Deliverable.decision == Decision.RETURNED.value))


def rate(engagement: Engagement, owner: Organisation, by: User, scores: Mapping[str, object],
         comment: str, *, level: str | None, version: int = 0) -> Rating:
    """The engagement's owner rates one step of it once: its acceptance (``version`` 0) or the
    return (退回修改) of deliverable ``version``; 1–5 on each dimension and on the government's
    five-level 好差评 scale (``level``).  A poor rating (差评) opens a correction (整改) for the
    agency (:func:`open_correction`).

    Refuses (nothing stored) another organisation, an engagement not accepted (or a version
    the owner did not return), a second rating of the same step, a score outside 1–5 and a
    missing or unknown level.  Updates the agency's public average and its credit score."""
    if engagement.owner_org_id != owner.id:
        raise RatingError("comment", N_("只有该委托的业主可以评价。"))
    if version == 0 and engagement.state != EngagementState.ACCEPTED.value:
        raise RatingError("comment", N_("委托验收通过后才能评价。"))
    if version != 0 and returned_deliverable(engagement, version) is None:
        raise RatingError("comment", N_("只能评价已退回修改的成果版本。"))
    lock_row(Engagement, engagement.id)  # two tabs rating the same step: one wins
    if rating_of(engagement.id, version) is not None:
        raise RatingError("comment", N_("这一环节已经评价过，每个环节只能评价一次。"))
    values: dict[str, int] = {}
    for d in DIMENSIONS:
        raw = scores.get(d)
        value = raw if isinstance(raw, int) else (
            int(raw) if isinstance(raw, str) and raw.strip().isascii()
            and raw.strip().isdigit() else None)
        if value is None or not 1 <= value <= 5:
            raise RatingError(d, N_("请给出 1 到 5 分。"))
        values[d] = value
    if level not in LEVELS:
        raise RatingError("level", N_("请选择满意程度。"))
    comment = comment.strip()
    if len(comment) > MAX_TEXT:
        raise RatingError("comment", N_("不能超过 %(n)s 字。"), n=MAX_TEXT)
    row = Rating(engagement_id=engagement.id, deliverable_version=version,
                 owner_org_id=owner.id, agency_org_id=engagement.agency_org_id,
                 comment=comment, level=level, rated_at=timeutil.now(), rated_by_id=by.id,
                 **values)
    db.session.add(row)
    db.session.flush()
    audit.record("owner:rating:create", engagement.public_id,
                 {**values, "level": level, "version": version})
    if row.poor:
        open_correction(row)
    _refresh_agency(engagement.agency_org_id)
    return row


def open_correction(rating: Rating) -> Correction:
    """A poor rating (差评) opens a correction (整改) for the rated agency, due
    ``CORRECTION_WORKING_DAYS`` working days after today (called by :func:`rate`)."""
    tenant = rating.engagement.request.tenant_id
    days = settings.effective("CORRECTION_WORKING_DAYS", None, tenant)
    row = Correction(public_id="", rating_id=rating.id, agency_org_id=rating.agency_org_id,
                     opened_at=timeutil.now(),
                     due_on=current_calendar(tenant).add_working_days(
                         timeutil.today_local(), days))
    db.session.add(row)
    db.session.flush()
    row.public_id = f"ZG-{row.id:06d}"
    audit.record("system:correction:open", row.public_id,
                 {"rating": rating.id, "due_on": row.due_on.isoformat()})
    events.send(events.CorrectionOpened(
        at=row.opened_at, correction_id=row.id, correction_public_id=row.public_id,
        agency_org_id=row.agency_org_id, engagement_public_id=rating.engagement.public_id,
        due_on=row.due_on))
    return row


def correction_by_public_id(public_id: str) -> Correction | None:
    return db.session.scalar(sa.select(Correction).where(Correction.public_id == public_id))


PER_PAGE = 20  # rows on a page of the operator's and the agency's lists


def _page_of(stmt: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of ``stmt``'s rows (from 1), and how many rows there are."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return rows, total


def _corrections() -> Any:
    return sa.select(Correction).options(
        joinedload(Correction.rating).joinedload(Rating.engagement),
        joinedload(Correction.agency))


def agency_corrections(agency_org_id: int, page: int = 1, per_page: int = PER_PAGE
                       ) -> tuple[list[Correction], int]:
    """The agency's corrections, open ones first, earliest due first: a page, and how many."""
    return _page_of(_corrections().where(Correction.agency_org_id == agency_org_id).order_by(
        Correction.answered_at.is_not(None), Correction.due_on, Correction.id), page, per_page)


def _of_tenant(stmt: Any, rating_id: Any, tenant_id: int) -> Any:
    """``stmt`` narrowed to the ratings (by ``rating_id``) of ``tenant_id``'s requests."""
    return stmt.where(rating_id.in_(
        sa.select(Rating.id).join(Engagement, Engagement.id == Rating.engagement_id)
        .join(SelectionRequest, SelectionRequest.id == Engagement.request_id)
        .where(SelectionRequest.tenant_id == tenant_id)))


def all_corrections(page: int = 1, per_page: int = PER_PAGE, *, tenant_id: int
                    ) -> tuple[list[Correction], int]:
    """The corrections of ratings of ``tenant_id``'s requests, for its operator, those
    awaiting a follow-up first: a page, and how many."""
    return _page_of(_of_tenant(_corrections(), Correction.rating_id, tenant_id).order_by(
        Correction.followed_up_at.is_not(None), Correction.due_on, Correction.id),
        page, per_page)


def answer_correction(row: Correction, agency: Organisation, by: User, text: str) -> None:
    """The rated agency answers its correction once, in writing (整改情况).  Refuses (nothing
    stored) another organisation, a second answer and a text under 10 or over 2000 characters."""
    if row.agency_org_id != agency.id:
        raise RatingError("answer", N_("只有被评价的机构可以答复整改。"))
    text = (text or "").strip()
    if len(text) < MIN_ANSWER:
        raise RatingError("answer", N_("请写明整改情况（至少 10 个字）。"))
    if len(text) > MAX_TEXT:
        raise RatingError("answer", N_("不能超过 %(n)s 字。"), n=MAX_TEXT)
    row = lock_row(Correction, row.id)
    if row.answered_at is not None:
        raise RatingError("answer", N_("整改情况已经提交，不能再次提交。"))
    row.answer, row.answered_at, row.answered_by_id = text, timeutil.now(), by.id
    audit.record("agency:correction:answer", row.public_id, {"length": len(text)})


def follow_up(row: Correction, by: User, result: str, note: str) -> None:
    """The operator records the follow-up (回访) with the owner once the agency has answered:
    its result (FOLLOW_UP_RESULTS) and a note.  Refuses (nothing stored) a correction not yet
    answered, a second follow-up, an unknown result and an empty note."""
    if result not in FOLLOW_UP_RESULTS:
        raise RatingError("result", N_("请选择回访结果。"))
    note = (note or "").strip()
    if not note:
        raise RatingError("note", N_("请填写回访情况。"))
    if len(note) > MAX_TEXT:
        raise RatingError("note", N_("不能超过 %(n)s 字。"), n=MAX_TEXT)
    row = lock_row(Correction, row.id)
    if row.answered_at is None:
        raise RatingError("result", N_("机构提交整改情况后才能回访。"))
    if row.followed_up_at is not None:
        raise RatingError("result", N_("已经回访过，不能再次记录。"))
    row.follow_up_result, row.follow_up_note = result, note
    row.followed_up_at, row.followed_up_by_id = timeutil.now(), by.id
    audit.record("operator:correction:follow_up", row.public_id, {"result": result})


def reply(row: Rating, agency: Organisation, by: User, text: str) -> None:
    """The rated agency replies once to each rating (public).  Refuses (nothing stored) another
    organisation, a hidden rating, a second reply and an empty or too long text."""
    if row.agency_org_id != agency.id:
        raise RatingError("reply", N_("只有被评价的机构可以回复。"))
    row = lock_row(Rating, row.id)
    if row.hidden:
        raise RatingError("reply", N_("该评价已被屏蔽，不能回复。"))
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


def all_ratings(page: int = 1, per_page: int = PER_PAGE, *, tenant_id: int
                ) -> tuple[list[Rating], int]:
    """The ratings of ``tenant_id``'s requests for its operator (hidden ones too), the newest
    first: a page, and how many."""
    stmt = sa.select(Rating).options(joinedload(Rating.engagement), joinedload(Rating.agency))
    return _page_of(_of_tenant(stmt, Rating.id, tenant_id)
                    .order_by(Rating.rated_at.desc(), Rating.id.desc()), page, per_page)


def tenant_of(row: Rating | Correction) -> int:
    """The tenant a rating (or its correction) arose in: its engagement's request's."""
    rating = row.rating if isinstance(row, Correction) else row
    return int(rating.engagement.request.tenant_id)


def hide(row: Rating, by: User, reason: str) -> None:
    """The operator hides a rating (屏蔽) with a reason that is published in its place: its
    text, scores and reply no longer show, the date and the reason do, and it no longer counts
    in the agency's average, 好差评 counts or credit.  Once; it cannot be undone.  Refuses
    (nothing stored) a reason under 10 or over 500 characters and a rating already hidden."""
    reason = (reason or "").strip()
    if len(reason) < MIN_HIDE_REASON:
        raise RatingError("reason", N_("请写明屏蔽理由（至少 10 个字），理由将公开。"))
    if len(reason) > MAX_HIDE_REASON:
        raise RatingError("reason", N_("不能超过 %(n)s 字。"), n=MAX_HIDE_REASON)
    row = lock_row(Rating, row.id)
    if row.hidden:
        raise RatingError("reason", N_("该评价已经屏蔽。"))
    row.hidden_at, row.hidden_reason, row.hidden_by_id = timeutil.now(), reason, by.id
    audit.record("operator:rating:hide", str(row.id),
                 {"engagement": row.engagement.public_id, "reason": reason})
    _refresh_agency(row.agency_org_id)


def _visible(agency_org_id: int) -> list[Rating]:
    return list(db.session.scalars(sa.select(Rating).where(
        Rating.agency_org_id == agency_org_id, Rating.hidden_at.is_(None))))


def _refresh_agency(agency_org_id: int) -> None:
    ratings = _visible(agency_org_id)
    agency = db.session.get(Organisation, agency_org_id)
    if agency is not None:
        # profile_of: an agency without a profile row yet gets one, so its average shows
        profile_of(agency).rating_centi = round(
            100 * sum(r.average for r in ratings) / len(ratings)) if ratings else None
    credit.recompute(agency_org_id)


def public_ratings(agency_org_id: int) -> list[Rating]:
    """Every rating of the agency, newest first; hidden ones too (the page shows only the fact,
    date and reason of those)."""
    return list(db.session.scalars(sa.select(Rating).where(
        Rating.agency_org_id == agency_org_id).order_by(Rating.rated_at.desc(),
                                                        Rating.id.desc())))


@dataclass(frozen=True)
class LevelSummary:
    """The agency's 好差评 as its profile shows it: how many of each level (not hidden), and
    the 满意率 (非常满意, 满意 and 基本满意 of them, in basis points; None without any)."""

    counts: dict[str, int]
    total: int
    satisfied_bp: int | None
    hidden: int


def level_summary(agency_org_id: int) -> LevelSummary:
    rows = db.session.execute(sa.select(Rating.level, Rating.hidden_at.is_(None),
                                        sa.func.count(Rating.id))
                              .where(Rating.agency_org_id == agency_org_id)
                              .group_by(Rating.level, Rating.hidden_at.is_(None)))
    counts = dict.fromkeys(LEVELS, 0)
    hidden = 0
    for level, visible, n in rows:
        if not visible:
            hidden += n
        elif level in counts:
            counts[level] += n
    total = sum(counts.values())
    satisfied = total - sum(counts[lv] for lv in POOR_LEVELS)
    return LevelSummary(counts, total, satisfied_bp(satisfied, total), hidden)


def levels_since(agency_org_id: int, since: datetime) -> tuple[int, int]:
    """(satisfied, all) 好差评 levels the agency was given since ``since``, not hidden (what
    the red list reads)."""
    rows = db.session.execute(sa.select(Rating.level, sa.func.count(Rating.id)).where(
        Rating.agency_org_id == agency_org_id, Rating.hidden_at.is_(None),
        Rating.level.is_not(None), Rating.rated_at >= since).group_by(Rating.level))
    counts: dict[str | None, int] = {level: n for level, n in rows}
    total = sum(counts.values())
    return total - sum(counts.get(lv, 0) for lv in POOR_LEVELS), total


def rated_at_least(n: int, since: datetime) -> list[int]:
    """The agencies given at least ``n`` 好差评 levels since ``since`` (not hidden)."""
    return list(db.session.scalars(
        sa.select(Rating.agency_org_id).where(Rating.hidden_at.is_(None),
                                              Rating.level.is_not(None),
                                              Rating.rated_at >= since)
        .group_by(Rating.agency_org_id).having(sa.func.count(Rating.id) >= n)
        .order_by(Rating.agency_org_id)))


def credit_ratings(agency_org_id: int) -> tuple[float | None, int]:
    """The agency's ratings as the credit score reads them: the average over every dimension
    of every rating not hidden (None without any) and how many there are."""
    ratings = _visible(agency_org_id)
    average = (sum(sum(getattr(r, d) for d in DIMENSIONS) for r in ratings)
               / (len(DIMENSIONS) * len(ratings))) if ratings else None
    return average, len(ratings)
