"""Rating pages: the owner rates an engagement's acceptance and each return; the agency
replies; the operator hides a rating with a published reason; a poor rating's correction (整改),
answered by the agency and followed up (回访) by the operator."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import scope
from market.accounts.auth import access, current_org, require_org, require_reach, within_reach
from market.accounts.models import OrgKind
from market.accounts.scope import Subject
from market.db import db
from market.engagements.models import Engagement
from market.evaluation import operations as ops
from market.evaluation.forms import (
    CorrectionAnswerForm,
    FollowUpForm,
    HideForm,
    RatingForm,
    ReplyForm,
)
from market.evaluation.models import DIMENSIONS, Rating
from market.forms import show_error
from market.timeutil import today_local
from market.web.openapi import MAX_PAGE

bp = Blueprint("evaluation", __name__)


def _page() -> int:
    """The list page asked for (``?page=``, from 1; anything else is the first)."""
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def _pages(total: int) -> int:
    return max(1, -(-total // ops.PER_PAGE))


@bp.route("/owner/ratings")
@access(OrgKind.OWNER)
def owner_ratings() -> ResponseReturnValue:
    return render_template("evaluation/owner_ratings.html", rows=ops.rateable(require_reach()),
                           dimensions=ops.DIMENSION_LABELS, steps=ops.STEP_LABELS)


@bp.route("/owner/engagements/<public_id>/rating", methods=["GET", "POST"])
@access(OrgKind.OWNER)
def rate(public_id: str) -> ResponseReturnValue:
    """Rate the engagement's acceptance (验收)."""
    return _rate(public_id, 0)


@bp.route("/owner/engagements/<public_id>/returns/<int:version>/rating",
          methods=["GET", "POST"])
@access(OrgKind.OWNER)
def rate_return(public_id: str, version: int) -> ResponseReturnValue:
    """Rate the return (退回修改) of deliverable ``version``."""
    return _rate(public_id, version)


def _rate(public_id: str, version: int) -> ResponseReturnValue:
    org = require_org()
    eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == public_id))
    if eng is None or not within_reach(eng.owner_org_id, eng.project_id):
        abort(404)
    if version != 0 and ops.returned_deliverable(eng, version) is None:
        abort(404)
    existing = ops.rating_of(eng.id, version)
    form = RatingForm()
    if existing is None and form.validate_on_submit():
        try:
            row = ops.rate(eng, org, current_user,
                           {d: getattr(form, d).data for d in DIMENSIONS},
                           form.comment.data or "", level=form.level.data, version=version)
        except ops.RatingError as error:
            show_error(form, error)
        else:
            flash(_("评价已提交，将在机构主页公开。"), "success")
            if row.poor:
                flash(_("这是一条差评：机构须在规定期限内整改并书面答复，平台运营方将回访您。"),
                      "info")
            return redirect(url_for("evaluation.owner_ratings"))
    elif existing is not None and form.is_submitted():
        form.comment.errors = [_("这一环节已经评价过，每个环节只能评价一次。")]
    return render_template("evaluation/rate.html", eng=eng, form=form, existing=existing,
                           version=version, steps=ops.STEP_LABELS,
                           dimensions=ops.DIMENSION_LABELS, levels=ops.LEVEL_LABELS), \
        400 if form.errors else 200


@bp.route("/agency/ratings")
@access(OrgKind.AGENCY)
def agency_ratings() -> ResponseReturnValue:
    org = require_org()
    return render_template("evaluation/agency_ratings.html", rows=ops.public_ratings(org.id),
                           dimensions=ops.DIMENSION_LABELS, reply_form=ReplyForm(),
                           levels=ops.LEVEL_LABELS, steps=ops.STEP_LABELS)


@bp.route("/agency/ratings/<int:rating_id>/reply", methods=["POST"])
@access(OrgKind.AGENCY)
def reply(rating_id: int) -> ResponseReturnValue:
    org = require_org()
    row = db.session.get(Rating, rating_id)
    if row is None or row.agency_org_id != org.id:
        abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            ops.reply(row, org, current_user, form.reply.data or "")
        except ops.RatingError as error:
            show_error(form, error)
        else:
            flash(_("回复已发布。"), "success")
            return redirect(url_for("evaluation.agency_ratings"))
    return render_template("evaluation/agency_ratings.html", rows=ops.public_ratings(org.id),
                           dimensions=ops.DIMENSION_LABELS, reply_form=form,
                           failed_id=row.id, levels=ops.LEVEL_LABELS,
                           steps=ops.STEP_LABELS), 400


@bp.route("/operator/ratings")
@access(OrgKind.OPERATOR)
def operator_ratings() -> ResponseReturnValue:
    page = _page()
    rows, total = ops.all_ratings(page, ops.PER_PAGE, tenant_id=require_org().tenant_id)
    return render_template("evaluation/operator_ratings.html", rows=rows, page=page,
                           pages=_pages(total), levels=ops.LEVEL_LABELS, steps=ops.STEP_LABELS)


@bp.route("/operator/ratings/<int:rating_id>/hide", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def hide(rating_id: int) -> ResponseReturnValue:
    """Hide a rating with a reason that is published in its place (a rating of the
    operator's tenant's requests)."""
    row = db.session.get(Rating, rating_id)
    if row is None:
        abort(404)
    scope.require(require_org(), Subject(ops.tenant_of(row)), scope.Act.DECIDE)
    form = HideForm()
    failed = False
    if not row.hidden and form.validate_on_submit():
        try:
            ops.hide(row, current_user, form.reason.data or "")
        except ops.RatingError as error:
            show_error(form, error)
        else:
            flash(_("评价已屏蔽，屏蔽理由已公开。"), "success")
            return redirect(url_for("evaluation.operator_ratings"))
    elif row.hidden and form.is_submitted():
        failed = True
        form.reason.errors = [_("该评价已经屏蔽。")]
    return render_template("evaluation/hide.html", row=row, form=form, levels=ops.LEVEL_LABELS,
                           dimensions=ops.DIMENSION_LABELS, steps=ops.STEP_LABELS), \
        400 if form.errors or failed else 200


def _correction_page(row: object, form: object, status: int = 200) -> ResponseReturnValue:
    return render_template("evaluation/correction.html", row=row, form=form,
                           levels=ops.LEVEL_LABELS, results=ops.FOLLOW_UP_LABELS,
                           today=today_local()), status


@bp.route("/agency/corrections")
@access(OrgKind.AGENCY)
def agency_corrections() -> ResponseReturnValue:
    org = require_org()
    page = _page()
    rows, total = ops.agency_corrections(org.id, page, ops.PER_PAGE)
    return render_template("evaluation/corrections.html", rows=rows, page=page,
                           pages=_pages(total), side="agency", results=ops.FOLLOW_UP_LABELS,
                           today=today_local())


@bp.route("/agency/corrections/<public_id>", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def answer_correction(public_id: str) -> ResponseReturnValue:
    org = require_org()
    row = ops.correction_by_public_id(public_id)
    if row is None or row.agency_org_id != org.id:
        abort(404)
    form = CorrectionAnswerForm()
    failed = False
    if row.answered_at is None and form.validate_on_submit():
        try:
            ops.answer_correction(row, org, current_user, form.answer.data or "")
        except ops.RatingError as error:
            failed = True
            show_error(form, error)
        else:
            flash(_("整改情况已提交。"), "success")
            return redirect(url_for("evaluation.answer_correction", public_id=row.public_id))
    elif row.answered_at is not None and form.is_submitted():
        failed = True
        form.answer.errors = [_("整改情况已经提交，不能再次提交。")]
    return _correction_page(row, form, 400 if form.errors or failed else 200)


@bp.route("/operator/corrections")
@access(OrgKind.OPERATOR)
def operator_corrections() -> ResponseReturnValue:
    page = _page()
    rows, total = ops.all_corrections(page, ops.PER_PAGE, tenant_id=require_org().tenant_id)
    return render_template("evaluation/corrections.html", rows=rows, page=page,
                           pages=_pages(total), side="operator", results=ops.FOLLOW_UP_LABELS,
                           today=today_local())


@bp.route("/operator/corrections/<public_id>", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def follow_up(public_id: str) -> ResponseReturnValue:
    row = ops.correction_by_public_id(public_id)
    if row is None or current_org() is None:
        abort(404)
    scope.require(require_org(), Subject(ops.tenant_of(row)), scope.Act.DECIDE)
    form = FollowUpForm()
    failed = False
    if row.followed_up_at is None and form.validate_on_submit():
        try:
            ops.follow_up(row, current_user, form.result.data or "", form.note.data or "")
        except ops.RatingError as error:
            failed = True
            show_error(form, error)
        else:
            flash(_("回访已记录。"), "success")
            return redirect(url_for("evaluation.follow_up", public_id=row.public_id))
    elif row.followed_up_at is not None and form.is_submitted():
        failed = True
        form.result.errors = [_("已经回访过，不能再次记录。")]
    return _correction_page(row, form, 400 if form.errors or failed else 200)
