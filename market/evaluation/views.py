"""Rating pages: the owner rates accepted engagements; the agency replies."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.auth import access, require_org
from market.accounts.models import OrgKind
from market.db import db
from market.engagements.models import Engagement
from market.evaluation import operations as ops
from market.evaluation.forms import RatingForm, ReplyForm
from market.evaluation.models import DIMENSIONS, Rating
from market.forms import show_error

bp = Blueprint("evaluation", __name__)


@bp.route("/owner/ratings")
@access(OrgKind.OWNER)
def owner_ratings() -> ResponseReturnValue:
    org = require_org()
    return render_template("evaluation/owner_ratings.html", rows=ops.rateable(org.id),
                           dimensions=ops.DIMENSION_LABELS)


@bp.route("/owner/engagements/<public_id>/rating", methods=["GET", "POST"])
@access(OrgKind.OWNER)
def rate(public_id: str) -> ResponseReturnValue:
    org = require_org()
    eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == public_id))
    if eng is None or eng.owner_org_id != org.id:
        abort(404)
    existing = ops.rating_of(eng.id)
    form = RatingForm()
    if existing is None and form.validate_on_submit():
        try:
            ops.rate(eng, org, current_user, {d: getattr(form, d).data for d in DIMENSIONS},
                     form.comment.data or "")
        except ops.RatingError as error:
            show_error(form, error)
        else:
            flash(_("评价已提交，将在机构主页公开。"), "success")
            return redirect(url_for("evaluation.owner_ratings"))
    elif existing is not None and form.is_submitted():
        form.comment.errors = [_("该委托已经评价过，每个委托只能评价一次。")]
    return render_template("evaluation/rate.html", eng=eng, form=form, existing=existing,
                           dimensions=ops.DIMENSION_LABELS), 400 if form.errors else 200


@bp.route("/agency/ratings")
@access(OrgKind.AGENCY)
def agency_ratings() -> ResponseReturnValue:
    org = require_org()
    return render_template("evaluation/agency_ratings.html", rows=ops.public_ratings(org.id),
                           dimensions=ops.DIMENSION_LABELS, reply_form=ReplyForm())


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
                           failed_id=row.id), 400
